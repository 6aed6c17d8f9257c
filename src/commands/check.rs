//! `dsr check`: validates the data map against the live store.

use super::{clock, status};
use crate::config::Globals;
use crate::error::{ExitCode, Result};
use crate::map::{self, Severity};

use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Store tables missing from the map, and unmapped columns that look personal, are errors (exit 3): for an application's CI
    #[arg(long)]
    pub strict: bool,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let (_, today) = clock()?;
    let tenant = g.tenant(true)?;
    let map_path = tenant.map.clone().unwrap_or_default();
    let map = map::load(&map_path)?;
    let store = crate::store::open(&tenant.store, crate::store::Mode::ReadOnly, today)?;
    let schema = store.schema()?;
    let mut findings = map::fit::check_with(&map, &schema, Some(&store), args.strict)?;
    // The map was just read whole; were it to vanish meanwhile, the TODO
    // scan only has nothing to say.
    if let Ok(src) = std::fs::read_to_string(&map_path) {
        findings.extend(map::fit::todos(&src));
    }
    findings.extend(replay_readiness(&tenant));
    let errors = findings
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;

    if g.json {
        let list: Vec<_> = findings
            .iter()
            .map(|d| {
                json!({
                    "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                    "file": map_path,
                    "line": d.loc.map(|l| l.line),
                    "column": d.loc.map(|l| l.col),
                    "place": d.place,
                    "message": d.message,
                    "hint": d.hint,
                })
            })
            .collect();
        super::extract::print_json(&json!({
            "schema": "dsr.check/1",
            "map": map_path,
            "map_sha256": map.sha256,
            "store": store.describe(),
            "tables": map.tables.len(),
            "errors": errors,
            "warnings": warnings,
            "findings": list,
        }))?;
    } else {
        for d in &findings {
            if g.quiet {
                if d.severity == Severity::Error {
                    eprintln!("{}", d.render(&map_path));
                }
            } else {
                println!("{}", d.render(&map_path));
            }
        }
        status(
            g,
            format!(
                "{}: {} tables, {errors} error{}, {warnings} warning{}{}",
                map_path.display(),
                map.tables.len(),
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
                if errors == 0 {
                    ": the map fits the store"
                } else {
                    ": the map does not fit the store"
                }
            ),
        );
    }
    Ok(if errors == 0 {
        ExitCode::Ok
    } else {
        ExitCode::MapMismatch
    })
}

/// A config tenant without a mirror or a replay key cannot have its
/// erasures carried out again after a backup is restored (DESIGN §9): said
/// as warnings, for the tenant, not the map.
fn replay_readiness(tenant: &crate::config::Tenant) -> Vec<map::Diagnostic> {
    let Some(name) = &tenant.name else {
        return Vec::new();
    };
    let warn = |what: &str, hint: String| {
        map::Diagnostic {
        severity: Severity::Warning,
        loc: None,
        place: format!("[tenants.{name}]"),
        message: format!("{what}, so erasures made now cannot be carried out again by `dsr replay` after a backup of the store is restored"),
        hint: Some(hint),
    }
    };
    let mut out = Vec::new();
    if tenant.actor.mirror.is_none() {
        out.push(warn(
            "the tenant has no audit_log",
            "set audit_log to a file on another system than the store and its backups".into(),
        ));
    }
    if tenant.replay_key_file.is_none() {
        out.push(warn(
            "the tenant has no replay_key_file",
            format!("set replay_key_file to a path outside the store, then run `dsr --tenant {name} replay --new-key`"),
        ));
    }
    out
}
