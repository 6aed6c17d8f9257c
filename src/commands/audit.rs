//! `dsr audit log` and `dsr audit verify`: reading the trail, and proving it
//! has not been changed.

use super::{clock, status};
use crate::audit::{self, Verdict};
use crate::config::Globals;
use crate::error::{stdout_error, Error, ExitCode, Result};
use crate::store::{AuditRow, Store};
use crate::time;
use serde_json::json;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// List audit records, oldest first
    Log(LogArgs),
    /// Recompute the hash chain; exit 7 naming the first bad record
    Verify,
}

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Only records at or after this time (YYYY-MM-DD or an ISO date-time)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only records of this command (extract, erase, export, sweep)
    #[arg(long, value_name = "C")]
    pub command: Option<String>,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let (_, today) = clock()?;
    let tenant = g.tenant(false)?;
    let store = Store::open(&tenant.store, true, today)?;
    match &args.command {
        AuditCommand::Log(a) => log(g, &store, a),
        AuditCommand::Verify => verify(g, &store),
    }
}

/// One line of a record's details for people: counts per table.
fn summary(r: &AuditRow) -> String {
    let d: serde_json::Value = serde_json::from_str(&r.details).unwrap_or_default();
    let mut parts = Vec::new();
    if d.get("dry_run").and_then(|v| v.as_bool()) == Some(true) {
        parts.push("dry run".to_string());
    }
    if let Some(t) = d.get("tables").and_then(|t| t.as_object()) {
        for (name, v) in t {
            match v {
                serde_json::Value::Object(counts) => {
                    let c: Vec<String> = counts
                        .iter()
                        .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect();
                    if !c.is_empty() {
                        parts.push(format!("{name}: {}", c.join(", ")));
                    }
                }
                n => parts.push(format!("{name} {n}")),
            }
        }
    }
    parts.join("; ")
}

fn log(g: &Globals, store: &Store, a: &LogArgs) -> Result<ExitCode> {
    let since = match &a.since {
        Some(s) => Some(time::parse_text(s).ok_or_else(|| {
            Error::Usage(format!(
                "--since \"{s}\" is not a date; use YYYY-MM-DD or an ISO date-time"
            ))
        })?),
        None => None,
    };
    let mut rows = Vec::new();
    store.audit_records(|r| {
        let after = since.is_none_or(|s| time::parse_text(&r.at).is_some_and(|at| at >= s));
        let cmd = a.command.as_ref().is_none_or(|c| &r.command == c);
        if after && cmd {
            rows.push(r);
        }
        Ok(())
    })?;
    if g.json {
        let records: Vec<_> = rows.iter().map(audit::row_json).collect();
        super::extract::print_json(&json!({ "schema": "dsr.audit-log/1", "records": records }))?;
        return Ok(ExitCode::Ok);
    }
    let out = std::io::stdout();
    let mut w = std::io::BufWriter::new(out.lock());
    let mut write = || -> std::io::Result<()> {
        writeln!(
            w,
            "{:>5}  {:<20}  {:<12}  {:<8}  {:<12}  {:<10}  {:<20}  DETAILS",
            "SEQ", "AT", "OPERATOR", "COMMAND", "REQUEST", "OUTCOME", "SUBJECT"
        )?;
        for r in &rows {
            let subject = r
                .subject
                .as_deref()
                .map(|s| {
                    s.strip_prefix("hmac-sha256:")
                        .map(|h| format!("{}…", &h[..h.len().min(12)]))
                        .unwrap_or_else(|| s.to_string())
                })
                .unwrap_or_else(|| "-".into());
            writeln!(
                w,
                "{:>5}  {:<20}  {:<12}  {:<8}  {:<12}  {:<10}  {:<20}  {}",
                r.seq,
                r.at,
                r.operator,
                r.command,
                r.request.as_deref().unwrap_or("-"),
                r.outcome,
                subject,
                summary(r)
            )?;
        }
        w.flush()
    };
    write().map_err(stdout_error)?;
    status(
        g,
        format!(
            "{} record{}",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        ),
    );
    Ok(ExitCode::Ok)
}

fn verify(g: &Globals, store: &Store) -> Result<ExitCode> {
    let verdict = audit::verify(store)?;
    if g.json {
        let doc = match &verdict {
            Verdict::Holds { records } => {
                json!({ "schema": "dsr.audit-verify/1", "ok": true, "records": records })
            }
            Verdict::Broken {
                records,
                seq,
                problem,
            } => json!({
                "schema": "dsr.audit-verify/1", "ok": false, "records": records, "first_bad": seq, "problem": problem,
            }),
        };
        super::extract::print_json(&doc)?;
    }
    match verdict {
        Verdict::Holds { records } => {
            status(
                g,
                format!(
                    "the audit chain holds: {records} record{}",
                    if records == 1 { "" } else { "s" }
                ),
            );
            Ok(ExitCode::Ok)
        }
        Verdict::Broken { seq, problem, .. } => Err(audit::broken_error(seq, &problem)),
    }
}
