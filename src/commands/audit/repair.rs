//! `dsr audit repair --reason TEXT`: after a break has been investigated,
//! appends a record that states it (what was found, the last good record,
//! the broken records as they were) and carries the chain on from the last
//! good record, so that the break stays visible to `verify` for ever.

use super::super::{print_json, status};
use crate::audit::{self, mirror, verify, Actor, Verdict, GENESIS, KEY_MARK};
use crate::config::Globals;
use crate::error::{Error, ExitCode, Result};
use crate::store::{AuditItem, AuditRow, Store};
use crate::time;
use serde_json::json;

pub fn repair(g: &Globals, actor: &Actor, store: &Store, reason: &str) -> Result<ExitCode> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Usage(
            "--reason is empty; say what the investigation found and why the trail may carry on"
                .into(),
        ));
    }
    let (now, _) = super::super::clock()?;
    let at = time::format_ts(now);
    let key = actor.key.as_deref();
    let done = store.write(|tx| {
        let verdict = verify(tx, key)?;
        let mut found = Vec::new();
        let mut rows = Vec::new();
        let mut max_seq = 0i64;
        tx.audit_items(|i| {
            max_seq = max_seq.max(i.seq());
            if let AuditItem::Row(r) = i {
                rows.push(r);
            }
            Ok(())
        })?;
        let (good_seq, good_hash, region_records, region_sha256, first_bad, keyed) = match &verdict
        {
            Verdict::Broken {
                seq,
                problem,
                last_good_seq,
                last_good_hash,
                region_records,
                region_sha256,
                keyed_since,
                ..
            } => {
                found.push(format!("record {seq}: {problem}"));
                (
                    *last_good_seq,
                    last_good_hash.clone(),
                    *region_records,
                    region_sha256.clone(),
                    Some(*seq),
                    keyed_since.is_some(),
                )
            }
            Verdict::Holds { keyed_since, .. } => {
                let (s, h) = rows
                    .last()
                    .map(|r| (r.seq, r.hash.clone()))
                    .unwrap_or((0, GENESIS.to_string()));
                (
                    s,
                    h,
                    0,
                    verify::region_digest(&[]),
                    None,
                    keyed_since.is_some(),
                )
            }
        };
        let mut mirror_max = 0;
        if let Some(path) = actor.mirror.as_ref().filter(|p| p.exists()) {
            let (lines, _) = mirror::read(path)?;
            mirror_max = lines.iter().map(|l| l.seq).max().unwrap_or(0);
            let report = mirror::compare(&rows, &lines);
            for p in report.problems {
                found.push(format!("mirror {}: {p}", path.display()));
            }
        }
        if found.is_empty() {
            return Ok(None);
        }
        let facts = tx.trail_facts()?;
        let head_was = facts.head.clone();
        let head_seq = head_was
            .as_deref()
            .and_then(|h| h.split(':').next())
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        let secret_replaced = !facts.secret;
        tx.recreate_tool_tables()?;
        if secret_replaced {
            tx.new_secret()?;
        }
        tx.ensure_tool_tables()?;
        let mark = key.filter(|_| !keyed);
        let mut details = json!({
            "reason": reason,
            "found": found,
            "first_bad_seq": first_bad,
            "last_good_seq": good_seq,
            "last_good_hash": good_hash,
            "region_records": region_records,
            "region_sha256": region_sha256,
            "head_was": head_was,
            "secret_replaced": secret_replaced,
            "tool_version": env!("CARGO_PKG_VERSION"),
        });
        if let Some(k) = mark {
            details[KEY_MARK] = json!({ "algorithm": "hmac-sha256", "key_id": k.id });
        }
        let mut row = AuditRow {
            seq: max_seq.max(head_seq).max(mirror_max).max(good_seq) + 1,
            at: at.clone(),
            operator: actor.operator.clone(),
            command: "repair".into(),
            request: actor.request.clone(),
            subject: None,
            outcome: "repaired".into(),
            details: details.to_string(),
            prev_hash: good_hash,
            hash: String::new(),
        };
        row.hash = audit::chain_hash(key, &row.prev_hash, &row);
        tx.audit_insert(&row)?;
        tx.set_meta("audit_head", &format!("{}:{}", row.seq, row.hash))?;
        if let Some(k) = mark {
            tx.set_meta("audit_key", &format!("{}:{}", row.seq, k.id))?;
        }
        Ok(Some((row, found, good_seq, secret_replaced)))
    })?;
    let Some((row, found, good_seq, secret_replaced)) = done else {
        if g.json {
            print_json(&json!({ "schema": "dsr.audit-repair/1", "repaired": false }))?;
        }
        status(
            g,
            "the audit chain holds and agrees with its mirror: there is nothing to repair",
        );
        return Ok(ExitCode::Ok);
    };
    if let Some(path) = &actor.mirror {
        if let Err(why) = mirror::write_repair(store, path, good_seq, &row) {
            eprintln!(
                "dsr: warning: repair record {} is in the store, but could not be appended to the audit log {}: {why}",
                row.seq,
                path.display()
            );
        }
    }
    if g.json {
        print_json(&json!({
            "schema": "dsr.audit-repair/1", "repaired": true, "seq": row.seq,
            "last_good_seq": good_seq, "found": found, "secret_replaced": secret_replaced,
        }))?;
    }
    for f in &found {
        status(g, format!("found: {f}"));
    }
    if secret_replaced {
        status(g, "the tenant secret was missing and has been made anew: subject references before this record do not match later ones");
    }
    status(
        g,
        format!(
            "appended repair record {}: the chain carries on from record {good_seq}; `dsr audit verify` reports this break as repaired from now on",
            row.seq
        ),
    );
    Ok(ExitCode::Ok)
}
