//! `dsr demo`: a synthetic tenant to try every command on, and to benchmark.

use super::{clock, status};
use crate::config::{redact_url, Globals};
use crate::demo::{self, Destination};
use crate::error::{Error, ExitCode, Result};
use crate::store::pg::{is_postgres_url, PgUrl};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write tenant.db and datamap.toml into (with --store only datamap.toml), created if missing
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Number of data subjects (customers)
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub subjects: u64,
    /// Seed: the same seed and day give the same tenant
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Replace an existing demo tenant in DIR (on PostgreSQL: the demo's tables in the schema)
    #[arg(long)]
    pub force: bool,
    /// Write the tables into a PostgreSQL schema instead of DIR/tenant.db:
    /// postgres://…[?schema=NAME] (the schema must exist; only the map goes into DIR).
    /// Taken from the command line only, never from DSR_STORE
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Set after parsing: --store came from the command line (DSR_STORE,
    /// which names the tenant the other commands work on, is ignored here).
    #[arg(skip)]
    pub store_given: bool,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let (_, today) = clock()?;
    let dest = destination(args)?;
    let s = demo::generate_to(
        &args.dir,
        &dest,
        args.subjects,
        args.seed,
        today,
        args.force,
    )?;
    if g.json {
        super::extract::print_json(&s.json(args.seed))?;
    }
    status(g, s.text());
    Ok(ExitCode::Ok)
}

/// Where the tables go: DIR, or the PostgreSQL schema given on the command
/// line. A SQLite `--store` is refused: the SQLite demo store is always
/// DIR/tenant.db, beside its map.
fn destination(args: &Args) -> Result<Destination> {
    let Some(url) = args.store.as_deref().filter(|_| args.store_given) else {
        return Ok(Destination::Dir);
    };
    if !is_postgres_url(url) {
        return Err(Error::Usage(format!(
            "--store {} is not a PostgreSQL URL; dsr demo writes a SQLite tenant to DIR/{} (leave --store out), or into a PostgreSQL schema with --store postgres://…[?schema=NAME]",
            redact_url(url),
            demo::STORE_FILE
        )));
    }
    Ok(Destination::Postgres(Box::new(PgUrl::parse(url)?)))
}
