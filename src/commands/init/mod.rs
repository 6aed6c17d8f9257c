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
use crate::store::Store;
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
    crate::writers::check_output(&args.output, args.force, false)?;
    let tenant = g.tenant(false)?;
    let store = Store::open(&tenant.store, true, today)?;
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
    let to = if crate::writers::is_stdout(&args.output) {
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
