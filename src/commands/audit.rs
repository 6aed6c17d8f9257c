//! `dsr audit`: reading the trail (`log`, `operators`), proving it has not
//! been changed (`verify`, also against the mirror), and carrying it on
//! after an investigated break (`repair`).

mod log;
mod repair;

use super::{clock, print_json, status};
use crate::audit::{self, mirror, Verdict};
use crate::config::Globals;
use crate::error::{Error, ExitCode, Result};
use crate::store::{AuditItem, Store};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// List audit records, oldest first
    Log(log::LogArgs),
    /// Recompute the hash chain (and compare it with the mirror); exit 7 naming the first bad record
    Verify(VerifyArgs),
    /// After a break has been investigated: append a record that states it and carry the chain on
    Repair(RepairArgs),
    /// Who has acted on the tenant: first and last use, and counts per command
    Operators,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Also compare the chain record by record with this JSONL mirror (the tenant's audit_log)
    #[arg(long, value_name = "FILE")]
    pub mirror: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RepairArgs {
    /// What the investigation found and why the trail may carry on (recorded; no personal data)
    #[arg(long, value_name = "TEXT", required = true)]
    pub reason: String,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let (_, today) = clock()?;
    let need_map = matches!(&args.command, AuditCommand::Log(a) if !a.subject.is_empty());
    let tenant = g.tenant(need_map)?;
    let read_only = !matches!(args.command, AuditCommand::Repair(_));
    let store = crate::store::open(&tenant.store, super::mode(read_only), today)?;
    match &args.command {
        AuditCommand::Log(a) => log::log(g, &tenant, &store, a, today),
        AuditCommand::Verify(a) => verify(g, &tenant.actor, &store, a),
        AuditCommand::Repair(a) => repair::repair(g, &tenant.actor, &store, &a.reason),
        AuditCommand::Operators => log::operators(g, &store),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn repaired_json(r: &audit::Repaired) -> serde_json::Value {
    json!({ "seq": r.seq, "at": r.at, "operator": r.operator, "reason": r.reason, "found": r.found, "last_good_seq": r.last_good_seq })
}

fn verify(g: &Globals, actor: &audit::Actor, store: &Store, a: &VerifyArgs) -> Result<ExitCode> {
    match verify_inner(g, actor, store, a) {
        // With --json the verify document (ok: false) is the one document
        // on stdout; the error goes to stderr only.
        Err(e @ Error::ChainBroken(_)) if g.json => {
            eprintln!("dsr: error: {e}");
            Ok(e.exit_code())
        }
        other => other,
    }
}

fn verify_inner(
    g: &Globals,
    actor: &audit::Actor,
    store: &Store,
    a: &VerifyArgs,
) -> Result<ExitCode> {
    // The mirror first, then the store in one snapshot: a command appending
    // meanwhile makes the mirror look behind, never the store cut back.
    let mirror_lines = match &a.mirror {
        Some(path) => Some((path, mirror::read(path)?)),
        None => None,
    };
    let (verdict, rows) = store.read(|s| {
        let verdict = audit::verify(s, actor.key.as_deref())?;
        let mut rows = Vec::new();
        if mirror_lines.is_some() {
            s.audit_items(|i| {
                if let AuditItem::Row(r) = i {
                    rows.push(r);
                }
                Ok(())
            })?;
        }
        Ok((verdict, rows))
    })?;
    let report = mirror_lines.map(|(path, (lines, mut notes))| {
        let mut r = mirror::compare(&rows, &lines);
        notes.append(&mut r.notes);
        r.notes = notes;
        (path, r)
    });
    let (records, repaired) = match &verdict {
        Verdict::Holds {
            records, repaired, ..
        }
        | Verdict::Broken {
            records, repaired, ..
        } => (*records, repaired),
    };
    if g.json {
        let mut doc = json!({ "schema": "dsr.audit-verify/1", "ok": matches!(verdict, Verdict::Holds { .. }) && report.as_ref().is_none_or(|(_, r)| r.problems.is_empty()), "records": records });
        if let Verdict::Broken { seq, problem, .. } = &verdict {
            doc["first_bad"] = json!(seq);
            doc["problem"] = json!(problem);
        }
        if !repaired.is_empty() {
            doc["repaired"] = repaired.iter().map(repaired_json).collect();
        }
        if let Verdict::Holds {
            keyed_since: Some(k),
            ..
        } = &verdict
        {
            doc["keyed_since"] = json!(k);
        }
        if let Some((path, r)) = &report {
            doc["mirror"] = json!({
                "path": path, "lines": r.lines, "status": r.status.as_str(), "behind": r.behind,
                "problems": r.problems, "notes": r.notes,
            });
        }
        print_json(&doc)?;
    }
    for r in repaired {
        status(
            g,
            format!(
                "repaired break: record {} (by {} at {}) states that {}; the chain was carried on from record {}; reason: {}",
                r.seq,
                r.operator,
                r.at,
                r.found.join("; "),
                r.last_good_seq,
                r.reason
            ),
        );
    }
    if let Some((path, r)) = &report {
        for n in &r.notes {
            status(g, format!("mirror: {n}"));
        }
        for p in r.problems.iter().skip(1) {
            eprintln!("dsr: mirror: {p}");
        }
        if let Some(first) = r.problems.first() {
            if let Verdict::Broken { seq, problem, .. } = &verdict {
                eprintln!("dsr: the store's own chain is broken too, at record {seq}: {problem}");
            }
            return Err(Error::ChainBroken(format!(
                "the audit trail differs from its mirror {}: {first}{}; the store was cut back or changed, or the mirror was: investigate, and then run `dsr audit repair --reason TEXT`",
                path.display(),
                if r.problems.len() > 1 {
                    format!(" (and {} more, above)", r.problems.len() - 1)
                } else {
                    String::new()
                }
            )));
        }
        match r.status {
            mirror::Status::Behind => status(
                g,
                format!(
                    "the mirror {} is behind the store by {} (a command stopped before writing it); the next command appends {}",
                    path.display(),
                    plural(r.behind, "record", "records"),
                    if r.behind == 1 { "it" } else { "them" }
                ),
            ),
            _ => status(
                g,
                format!(
                    "the mirror {} agrees with the store ({})",
                    path.display(),
                    plural(r.lines, "line", "lines")
                ),
            ),
        }
    }
    match verdict {
        Verdict::Holds {
            records,
            keyed_since,
            repaired,
        } => {
            status(
                g,
                format!(
                    "the audit chain holds: {}{}{}",
                    plural(records, "record", "records"),
                    keyed_since
                        .map(|k| format!(", keyed from record {k} on"))
                        .unwrap_or_default(),
                    if repaired.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", with {} (above)",
                            plural(repaired.len() as u64, "repaired break", "repaired breaks")
                        )
                    }
                ),
            );
            Ok(ExitCode::Ok)
        }
        Verdict::Broken { seq, problem, .. } => Err(audit::broken_error(seq, &problem)),
    }
}
