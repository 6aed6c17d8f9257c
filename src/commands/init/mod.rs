//! `dsr init`: a draft data map from the live store, for a person to finish.
//! Reads the schema and a small sample of each text column through the
//! store interface (so any backend serves), guesses in [`guess`], writes
//! the text in [`write`]. The store is opened read-only; sampled values are
//! counted and dropped, never printed or written.

pub mod guess;
pub mod write;

use super::{clock, status};
use crate::config::Globals;
use crate::error::{ExitCode, Result};

use crate::writers::Pending;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the draft (a new file, mode 0600); `-` for standard output
    #[arg(short, long, value_name = "PATH", default_value = "-")]
    pub output: PathBuf,
    /// Replace an existing file at PATH
    #[arg(long)]
    pub force: bool,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let (_, today) = clock()?;
    let to_stdout = crate::writers::is_stdout(&args.output);
    if g.json && to_stdout {
        return Err(crate::error::Error::Usage(
            "--json prints a summary on standard output, where the draft would go: give -o PATH for the draft".into(),
        ));
    }
    crate::writers::check_output(&args.output, args.force, false)?;
    let tenant = g.tenant(false)?;
    let store = crate::store::open(&tenant.store, crate::store::Mode::ReadOnly, today)?;
    let schema = store.schema()?;
    let tables = guess::guess(&store, &schema, today)?;
    let text = write::draft(&tables);
    let mut out = Pending::create(&args.output, args.force)?;
    out.writer()
        .write_all(text.as_bytes())
        .map_err(|e| out.write_error(e))?;
    let path = out.commit()?;
    let personal: usize = tables
        .iter()
        .map(|t| t.columns.iter().filter(|c| c.cat.is_some()).count())
        .sum();
    let subjects = tables.iter().filter(|t| t.subjects).count();
    if g.json {
        return super::print_json(&serde_json::json!({
            "schema": "dsr.init/1",
            "output": path,
            "tables": tables.len(),
            "subjects": subjects,
            "personal_columns": personal,
        }))
        .map(|_| ExitCode::Ok);
    }
    let to = if to_stdout {
        "standard output".to_string()
    } else {
        path.display().to_string()
    };
    status(
        g,
        format!(
            "draft map written to {to}: {} tables, {subjects} of one row per person, {personal} columns that look personal; finish its TODOs, then run `dsr check`",
            tables.len()
        ),
    );
    Ok(ExitCode::Ok)
}
