//! `dsr demo`: a synthetic tenant to try every command on, and to benchmark.

use super::{clock, status};
use crate::config::Globals;
use crate::demo;
use crate::error::{ExitCode, Result};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write tenant.db and datamap.toml into (created if missing)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Number of data subjects (customers)
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub subjects: u64,
    /// Seed: the same seed and day give the same tenant
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Replace an existing demo tenant in DIR
    #[arg(long)]
    pub force: bool,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let (_, today) = clock()?;
    let s = demo::generate(&args.dir, args.subjects, args.seed, today, args.force)?;
    if g.json {
        let tables: serde_json::Map<String, serde_json::Value> =
            s.rows.iter().map(|(t, n)| (t.clone(), json!(n))).collect();
        super::extract::print_json(&json!({
            "schema": "dsr.demo/1",
            "store": s.store,
            "map": s.map,
            "subjects": s.subjects,
            "seed": args.seed,
            "tables": tables,
        }))?;
    }
    let total: u64 = s.rows.iter().map(|(_, n)| n).sum();
    status(
        g,
        format!(
            "wrote a demo tenant with {} subjects ({total} rows in {} tables):\n  store {}\n  map   {}\ntry: dsr --store {} --map {} extract customer_id:1",
            s.subjects,
            s.rows.len(),
            s.store.display(),
            s.map.display(),
            s.store.display(),
            s.map.display()
        ),
    );
    Ok(ExitCode::Ok)
}
