//! `dsr replay`: after a store is restored from a backup, carries out again
//! the erasures recorded in the mirror after the backup's newest record
//! (DESIGN §9); `dsr replay --new-key` writes the tenant's replay key.
//!
//! Each erasure is re-applied in its own write transaction with its own
//! audit record (`command = "replay"`, naming the original's seq and hash),
//! chained on the restored store's trail, so the mirror then holds both
//! branches; a closing record marks the restore even when nothing was left
//! to do. A dry run writes no record: it would become the store's newest
//! record and start a branch of its own.

mod branch;
mod redo;

use super::extract::print_json;
use super::{count, status, Context};
use crate::audit::replay::{self, Payload, ReplayKey};
use crate::audit::{self, mirror, Actor, Entry};
use crate::config::Globals;
use crate::error::{Error, ExitCode, Result};
use crate::store::{AuditItem, AuditRow};
use crate::time;
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Report what would be carried out again, and change nothing (records nothing)
    #[arg(long, conflicts_with = "new_key")]
    pub dry_run: bool,
    /// Write the tenant's replay_key_file: 32 random bytes, mode 0600; never over an existing file
    #[arg(long)]
    pub new_key: bool,
}

/// One mirror record to carry out again: its line and sealed payload.
struct Todo<'m> {
    line: &'m mirror::MirrorLine,
    payload: Payload,
}

fn key_path(g: &Globals) -> Result<(crate::config::Tenant, PathBuf)> {
    let mut g = g.clone();
    g.defer_replay_key = true;
    let tenant = g.tenant(false)?;
    let Some(p) = tenant.replay_key_file.clone() else {
        return Err(Error::Usage(
            "the tenant has no replay_key_file: name one in its [tenants.NAME] entry of the config (a path outside the store and its backups), and use --tenant NAME".into(),
        ));
    };
    Ok((tenant, p))
}

fn new_key(g: &Globals) -> Result<ExitCode> {
    let (_, path) = key_path(g)?;
    let k = replay::new_key(&path)?;
    if g.json {
        print_json(&json!({ "schema": "dsr.replay_key/1", "path": path, "key_id": k.id }))?;
    }
    status(
        g,
        format!(
            "wrote the replay key (id {}) to {}; keep a copy where the store's backups are not: without it no erasure can be replayed",
            k.id,
            path.display()
        ),
    );
    Ok(ExitCode::Ok)
}

/// Whether a record changed rows without leaving what replay needs (made
/// before the tenant had a replay key): reported, never carried out again.
fn unreplayable(l: &mirror::MirrorLine) -> bool {
    let v = &l.value;
    let d = &v["details"];
    let erasing = matches!(v["command"].as_str(), Some("erase" | "sweep" | "replay"));
    let changed = d["tables"].as_object().into_iter().flatten().any(|(_, c)| {
        c["deleted"].as_u64().unwrap_or(0) + c["anonymized"].as_u64().unwrap_or(0) > 0
    }) || d["mentions"].as_object().is_some_and(|m| !m.is_empty());
    erasing
        && v["outcome"] == "ok"
        && d["dry_run"] != true
        && d["summary"] != true
        && d.get(replay::FIELD).is_none()
        && changed
}

/// Opens the sealed payloads on the branch, in order, up to the first that
/// does not open; a wrong key before any opened is a configuration error.
fn open_all<'m>(
    key: &ReplayKey,
    lines: &[&'m mirror::MirrorLine],
    stop: &mut Option<(u64, String)>,
) -> Result<Vec<Todo<'m>>> {
    let mut out = Vec::new();
    for l in lines {
        let Some(sealed) = l.value["details"].get(replay::FIELD) else {
            continue;
        };
        match key.open(l.seq, &l.prev_hash, sealed) {
            Ok(payload) => out.push(Todo { line: l, payload }),
            Err(why) if out.is_empty() && why.contains("another replay key") => {
                return Err(Error::Usage(format!(
                    "record {} (line {} of the mirror) {why}; nothing was replayed",
                    l.seq, l.line
                )))
            }
            Err(why) => {
                *stop = Some((l.line, format!("record {} {why}", l.seq)));
                break;
            }
        }
    }
    Ok(out)
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    if args.new_key {
        return new_key(g);
    }
    let (_, key_file) = key_path(g)?;
    let key = Arc::new(replay::load(&key_file)?);
    let mut gk = g.clone();
    gk.defer_replay_key = true;
    let mut tenant = gk.tenant(true)?;
    let Some(path) = tenant.actor.mirror.take() else {
        return Err(Error::Usage(
            "the tenant has no audit_log: replay carries out the erasures recorded in the mirror, so it needs the tenant's audit_log in the config".into(),
        ));
    };
    // The restored store is behind its mirror: checked here against the
    // mirror's branches, not by the usual check of the mirror's newest line.
    let cx = Context::open_tenant(tenant, false)?;
    let actor = Actor {
        replay: Some(key.clone()),
        ..cx.tenant.actor.clone()
    };
    let at = time::format_ts(cx.now);
    // No sweep meanwhile (exit 6): it would act on the store as restored.
    let _lock = cx.store.sweep_lock(false, &at, false)?;
    let tip = cx
        .store
        .read(|s| audit::check_tip(s, actor.key.as_deref()))?;
    let mut rows: Vec<AuditRow> = Vec::new();
    cx.store.audit_items_after(0, |i| {
        if let AuditItem::Row(r) = i {
            rows.push(r);
        }
        Ok(())
    })?;
    let tip_row = tip
        .as_ref()
        .and_then(|t| rows.iter().find(|r| r.seq == t.seq && r.hash == t.hash));
    let m = branch::read(&path)?;
    let from = branch::resume_point(&rows, tip_row);
    // Erasures an unfinished replay of this restore carried out already.
    let done: Vec<Json> = rows
        .iter()
        .filter(|r| r.command == "replay" && from.is_none_or(|f| r.seq > f.seq))
        .filter_map(|r| serde_json::from_str::<Json>(&r.details).ok())
        .map(|d| d["original"]["hash"].clone())
        .collect();
    let mut later = branch::after(&path, &m, tip_row, &rows)?;
    later.retain(|l| !done.contains(&Json::String(l.hash.clone())));
    let mut stop = m
        .damaged
        .map(|n| (n, "it is damaged (not a whole audit record)".to_string()));
    let todo = open_all(&key, &later, &mut stop)?;
    let stop_line = stop.as_ref().map(|(n, _)| *n);
    let before_stop = |l: &mirror::MirrorLine| stop_line.is_none_or(|s| l.line < s);
    let skipped: Vec<i64> = later
        .iter()
        .filter(|l| before_stop(l) && unreplayable(l))
        .map(|l| l.seq)
        .collect();
    let restored_after = from.map(|f| f.seq);
    let secret = todo.first().map(|t| t.payload.secret.clone());
    let work: Vec<&Todo> = todo.iter().filter(|t| t.payload.changes()).collect();

    let mut records: Vec<Json> = Vec::new();
    let mut last_seq = None;
    if later.is_empty() || (args.dry_run && work.is_empty()) {
        // Nothing recorded after the store's newest record.
    } else if args.dry_run {
        cx.store.write(|tx| {
            tx.trial(|tx| {
                if let Some(s) = &secret {
                    tx.adopt_secret(s)?;
                }
                let secret = tx.ensure_tool_tables()?;
                for t in &work {
                    let subject = t.line.value["subject"].as_str();
                    let r = redo::redo(&cx, tx, &t.payload, &secret, &at, subject)?;
                    records.push(report(t, &r, None));
                }
                Ok(())
            })
        })?;
    } else {
        for t in &work {
            let row = cx.store.write(|tx| {
                if let Some(s) = &secret {
                    tx.adopt_secret(s)?;
                }
                let secret = tx.ensure_tool_tables()?;
                let subject = t.line.value["subject"].as_str();
                let r = redo::redo(&cx, tx, &t.payload, &secret, &at, subject)?;
                let details = cx.details(json!({
                    "dry_run": false,
                    "original": { "seq": t.line.seq, "hash": t.line.hash, "command": t.line.value["command"] },
                    "tables": r.tables, "held": r.held, "mentions": r.mentions, "gone": r.gone,
                }));
                let entry = Entry {
                    command: "replay".into(),
                    subject: subject.map(str::to_string),
                    outcome: "ok".into(),
                    details,
                };
                let row = audit::append_with(tx, &actor, &at, &entry, r.changes.clone())?;
                tx.defer(&r.deferred, &at, row.seq)?;
                records.push(report(t, &r, Some(row.seq)));
                Ok(row)
            })?;
            mirrored(&path, &row);
        }
        let row = cx.store.write(|tx| {
            if let Some(s) = &secret {
                tx.adopt_secret(s)?;
            }
            let entry = Entry {
                command: "replay".into(),
                subject: None,
                outcome: if stop.is_some() { "failed" } else { "ok" }.into(),
                details: cx.details(json!({
                    "summary": true, "dry_run": false, "restored_after": restored_after,
                    "mirror_records": later.len(), "replayed": records.len(),
                    "not_replayable": skipped,
                    "stopped_at_line": stop_line,
                })),
            };
            audit::append(tx, &actor, &at, &entry)
        })?;
        mirrored(&path, &row);
        last_seq = Some(row.seq);
    }
    // A replay that stopped says so in its error document instead.
    let json = g.json && stop.is_none();
    let done = Done {
        records: &records,
        skipped: &skipped,
        restored_after,
        audit_seq: last_seq,
        nothing: later.is_empty(),
    };
    finish(g, json, args.dry_run, &done)?;
    if let Some((line, why)) = stop {
        return Err(Error::Runtime(format!(
            "line {line} of the audit log {}: {why}; nothing was replayed from that line on ({} before it); restore the mirror from its own copy and run dsr replay again",
            path.display(),
            count(records.len() as u64, "record")
        )));
    }
    Ok(ExitCode::Ok)
}

/// Appends a replay record to the mirror, as the branch it starts.
fn mirrored(path: &Path, row: &AuditRow) {
    if let Err(why) = mirror::append_branch(path, row) {
        eprintln!(
            "dsr: warning: replay record {} is in the store, but could not be appended to the audit log {}: {why}; append it before any other command (`dsr audit log --json` shows it)",
            row.seq,
            path.display()
        );
    }
}

fn report(t: &Todo<'_>, r: &redo::Redone, seq: Option<i64>) -> Json {
    json!({
        "original_seq": t.line.seq, "original_hash": t.line.hash,
        "command": t.line.value["command"], "tables": r.tables, "held": r.held,
        "mentions": r.mentions, "gone": r.gone, "audit_seq": seq,
    })
}

/// What a replay did, for its report.
struct Done<'a> {
    records: &'a [Json],
    skipped: &'a [i64],
    restored_after: Option<i64>,
    audit_seq: Option<i64>,
    /// Nothing was recorded after the store's newest record.
    nothing: bool,
}

fn finish(g: &Globals, json: bool, dry_run: bool, d: &Done<'_>) -> Result<()> {
    let Done {
        records,
        skipped,
        restored_after,
        audit_seq,
        nothing,
    } = *d;
    if json {
        print_json(&json!({
            "schema": "dsr.replay/1", "dry_run": dry_run, "restored_after": restored_after,
            "records": records, "not_replayable": skipped, "audit_seq": audit_seq,
        }))?;
    }
    for s in skipped {
        eprintln!("dsr: warning: record {s} changed rows before the tenant had a replay key, so it cannot be carried out again; erase its subject again by hand (`dsr audit log` shows the record)");
    }
    if nothing {
        status(g, "replay: the store's newest audit record is the mirror's newest on its branch: nothing to replay");
        return Ok(());
    }
    let mut out = format!(
        "replay{} after record {}:",
        if dry_run {
            " (dry run, nothing changed)"
        } else {
            ""
        },
        restored_after.map_or(
            "none (a store from before dsr's first record)".into(),
            |s| s.to_string()
        )
    );
    for r in records {
        let mut parts = Vec::new();
        for (name, c) in r["tables"].as_object().into_iter().flatten() {
            for k in ["deleted", "anonymized", "held"] {
                let n = c[k].as_u64().unwrap_or(0);
                if n > 0 {
                    parts.push(format!("{name} {k} {n}"));
                }
            }
        }
        for (col, n) in r["mentions"].as_object().into_iter().flatten() {
            parts.push(format!("mentions erased in {col}: {n}"));
        }
        let gone = r["gone"].as_u64().unwrap_or(0);
        if gone > 0 {
            parts.push(format!("{} already gone", count(gone, "row")));
        }
        if parts.is_empty() {
            parts.push("nothing left to change".into());
        }
        out.push_str(&format!(
            "\n  record {} ({}): {}",
            r["original_seq"],
            r["command"].as_str().unwrap_or(""),
            parts.join(", ")
        ));
    }
    if records.is_empty() {
        out.push_str(" no erasure to carry out again");
    }
    if let Some(s) = audit_seq {
        out.push_str(&format!("\n(audit record {s})"));
    }
    status(g, out);
    Ok(())
}
