//! The audit trail (DESIGN §4): a hash chain of records in the tenant's own
//! store, written in the same transaction as the work it records.
//!
//! `hash = hex(SHA-256(prev_hash || "\n" || canonical))`, where `canonical`
//! is the compact JSON array `[seq, at, operator, command, request, subject,
//! outcome, details]` (details being the stored JSON text, byte for byte).
//! The first record's `prev_hash` is 64 zeros. `_dsr_meta.audit_head` holds
//! the last `seq:hash`, so that removing the newest records is seen too.

use crate::error::{Error, Result};
use crate::map::hex;
use crate::store::{AuditRow, Store, Tx};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acts and why: the same for every record a command writes.
#[derive(Debug, Clone)]
pub struct Actor {
    pub operator: String,
    pub request: Option<String>,
    /// Optional JSONL mirror (the tenant's `audit_log`).
    pub mirror: Option<PathBuf>,
}

/// What a command records; the chain fields are filled in by [`append`].
#[derive(Debug, Clone)]
pub struct Entry {
    pub command: String,
    pub subject: Option<String>,
    pub outcome: String,
    pub details: serde_json::Value,
}

pub fn canonical(r: &AuditRow) -> String {
    serde_json::json!([
        r.seq, r.at, r.operator, r.command, r.request, r.subject, r.outcome, r.details
    ])
    .to_string()
}

pub fn record_hash(prev_hash: &str, r: &AuditRow) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical(r).as_bytes());
    hex(&h.finalize())
}

/// HMAC-SHA-256 under the tenant's secret, hex.
pub fn hmac_hex(secret: &str, data: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut m =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    m.update(data);
    hex(&m.finalize().into_bytes())
}

/// The subject reference: never the identifiers, only their keyed hash, so
/// that records about the same person can be found without naming them.
/// `ids` are (identifier name as declared in the map, normalised key).
pub fn subject_ref(secret: &str, ids: &[(String, String)]) -> String {
    let mut lines: Vec<String> = ids.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    lines.sort();
    lines.dedup();
    format!(
        "hmac-sha256:{}",
        hmac_hex(secret, lines.join("\n").as_bytes())
    )
}

/// Appends a record inside the caller's transaction and returns its seq.
pub fn append(tx: &Tx<'_>, actor: &Actor, at: &str, entry: &Entry) -> Result<AuditRow> {
    tx.ensure_tool_tables()?;
    let (seq, prev_hash) = match tx.audit_tail()? {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let mut row = AuditRow {
        seq,
        at: at.to_string(),
        operator: actor.operator.clone(),
        command: entry.command.clone(),
        request: actor.request.clone(),
        subject: entry.subject.clone(),
        outcome: entry.outcome.clone(),
        details: entry.details.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = record_hash(&row.prev_hash, &row);
    tx.audit_insert(&row)?;
    tx.set_meta("audit_head", &format!("{}:{}", row.seq, row.hash))?;
    Ok(row)
}

pub fn row_json(r: &AuditRow) -> serde_json::Value {
    let details: serde_json::Value = serde_json::from_str(&r.details)
        .unwrap_or_else(|_| serde_json::Value::String(r.details.clone()));
    serde_json::json!({
        "seq": r.seq, "at": r.at, "operator": r.operator, "command": r.command,
        "request": r.request, "subject": r.subject, "outcome": r.outcome,
        "details": details, "prev_hash": r.prev_hash, "hash": r.hash,
    })
}

/// Appends the committed record to the JSONL mirror. The store's record is
/// the authority; a mirror that cannot be written is reported, not fatal.
pub fn mirror(path: &Path, r: &AuditRow) -> std::result::Result<(), String> {
    let line = row_json(r).to_string();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| crate::error::io_reason(&e))?;
    writeln!(f, "{line}").map_err(|e| crate::error::io_reason(&e))
}

/// What verification found.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Holds {
        records: u64,
    },
    Broken {
        records: u64,
        seq: i64,
        problem: String,
    },
}

/// The chain walk itself, record by record in stored order.
#[derive(Default)]
struct Walk {
    expect_seq: i64,
    prev: String,
    count: u64,
    broken: Option<(i64, String)>,
}

impl Walk {
    fn new() -> Walk {
        Walk {
            expect_seq: 1,
            prev: GENESIS.to_string(),
            ..Default::default()
        }
    }

    fn step(&mut self, r: &AuditRow) {
        self.count += 1;
        if self.broken.is_some() {
            return;
        }
        let e = self.expect_seq;
        self.broken = if r.seq > e {
            Some((
                e,
                format!(
                    "record {e} is missing (the next stored record is {})",
                    r.seq
                ),
            ))
        } else if r.seq < e {
            Some((
                r.seq,
                format!("record {} is out of order or repeated", r.seq),
            ))
        } else if r.prev_hash != self.prev {
            Some((r.seq, format!("record {} does not follow record {}: its prev_hash differs (a record was removed, reordered or changed)", r.seq, r.seq - 1)))
        } else if record_hash(&r.prev_hash, r) != r.hash {
            Some((
                r.seq,
                format!(
                    "record {} has been changed: its hash does not match its contents",
                    r.seq
                ),
            ))
        } else {
            None
        };
        self.expect_seq = r.seq + 1;
        self.prev = r.hash.clone();
    }

    /// Ends the walk against the head recorded in `_dsr_meta`.
    fn finish(self, head: Option<String>) -> Verdict {
        let records = self.count;
        if let Some((seq, problem)) = self.broken {
            return Verdict::Broken {
                records,
                seq,
                problem,
            };
        }
        let last = self.expect_seq - 1;
        let tail = format!("{last}:{}", self.prev);
        match head {
            Some(h) if h != tail => {
                let seq = h
                    .split(':')
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(last + 1);
                Verdict::Broken {
                    records,
                    seq,
                    problem: format!("the newest record should be {seq} (as _dsr_meta.audit_head records), but the trail ends at {last}: records were removed or changed"),
                }
            }
            None if records > 0 => Verdict::Broken {
                records,
                seq: 1,
                problem: "_dsr_meta.audit_head is missing, though the trail has records".into(),
            },
            _ => Verdict::Holds { records },
        }
    }
}

/// Walks the chain in stored order and names the first record that does not fit.
pub fn verify(store: &Store) -> Result<Verdict> {
    let mut walk = Walk::new();
    store.audit_records(|r| {
        walk.step(&r);
        Ok(())
    })?;
    Ok(walk.finish(store.meta("audit_head")?))
}

/// Writes one record about a subject as its own transaction (for commands
/// that change nothing else), then mirrors it. `ids` are (identifier name,
/// normalised key); only their keyed hash is stored.
pub fn record(
    store: &Store,
    actor: &Actor,
    at: &str,
    command: &str,
    ids: &[(String, String)],
    outcome: &str,
    details: serde_json::Value,
) -> Result<AuditRow> {
    let row = store.write(|tx| {
        let secret = tx.ensure_tool_tables()?;
        let entry = Entry {
            command: command.into(),
            subject: (!ids.is_empty()).then(|| subject_ref(&secret, ids)),
            outcome: outcome.into(),
            details,
        };
        append(tx, actor, at, &entry)
    })?;
    after_commit(actor, &row);
    Ok(row)
}

/// Post-commit duty: the mirror.
pub fn after_commit(actor: &Actor, row: &AuditRow) {
    if let Some(path) = &actor.mirror {
        if let Err(why) = mirror(path, row) {
            eprintln!(
                "dsr: warning: audit record {} is in the store, but could not be appended to the audit log {}: {why}",
                row.seq,
                path.display()
            );
        }
    }
}

/// Maps a broken chain to its exit code.
pub fn broken_error(seq: i64, problem: &str) -> Error {
    Error::ChainBroken(format!(
        "the audit chain is broken at record {seq}: {problem}; the trail has been tampered with or damaged: compare with the audit log mirror or a backup"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRow> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut r = AuditRow {
                    seq,
                    at: format!("2026-11-22T10:00:{seq:02}Z"),
                    operator: "ops".into(),
                    command: "extract".into(),
                    request: Some(format!("REQ-{seq}")),
                    subject: Some("hmac-sha256:ab".into()),
                    outcome: "ok".into(),
                    details: format!("{{\"n\":{seq}}}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = record_hash(&r.prev_hash, &r);
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn head(rows: &[AuditRow]) -> Option<String> {
        rows.last().map(|r| format!("{}:{}", r.seq, r.hash))
    }

    /// Runs the real walk; `head` is what _dsr_meta says of the untouched chain.
    fn first_bad(rows: &[AuditRow], head: Option<String>) -> Option<i64> {
        let mut w = Walk::new();
        rows.iter().for_each(|r| w.step(r));
        match w.finish(head) {
            Verdict::Holds { .. } => None,
            Verdict::Broken { seq, .. } => Some(seq),
        }
    }

    #[test]
    fn an_untouched_chain_holds() {
        let c = chain(6);
        assert_eq!(first_bad(&c, head(&c)), None);
        assert_eq!(first_bad(&[], None), None);
    }

    #[test]
    fn every_single_field_edit_is_seen() {
        let base = chain(6);
        for i in 0..base.len() {
            let edits: [fn(&mut AuditRow); 9] = [
                |r| r.at.push('0'),
                |r| r.operator = "mallory".into(),
                |r| r.command = "erase".into(),
                |r| r.request = None,
                |r| r.subject = Some("hmac-sha256:cd".into()),
                |r| r.outcome = "error".into(),
                |r| r.details = "{\"n\":99}".into(),
                |r| r.prev_hash = GENESIS.replace('0', "1"),
                |r| r.hash = GENESIS.into(),
            ];
            for edit in edits {
                let mut rows = base.clone();
                edit(&mut rows[i]);
                assert_eq!(
                    first_bad(&rows, head(&base)),
                    Some(i as i64 + 1),
                    "edit of record {}",
                    i + 1
                );
            }
        }
    }

    #[test]
    fn every_removal_and_swap_is_seen() {
        let base = chain(6);
        for i in 0..base.len() {
            let mut rows = base.clone();
            rows.remove(i);
            assert_eq!(
                first_bad(&rows, head(&base)),
                Some(i as i64 + 1),
                "removal of {}",
                i + 1
            );
            if i + 1 == base.len() {
                continue;
            }
            let mut rows = base.clone();
            rows.swap(i, i + 1);
            assert_eq!(
                first_bad(&rows, head(&base)),
                Some(i as i64 + 1),
                "swap of {} and {}",
                i + 1,
                i + 2
            );
        }
    }

    #[test]
    fn subject_ref_is_order_free_and_keyed() {
        let ids = |a: &str, b: &str| vec![(a.to_string(), b.to_string())];
        let both = [ids("email", "a@x.se"), ids("customer_id", "17")].concat();
        let rev = [ids("customer_id", "17"), ids("email", "a@x.se")].concat();
        let a = subject_ref("k1", &both);
        let b = subject_ref("k1", &rev);
        let c = subject_ref("k2", &both);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("hmac-sha256:") && !a.contains("a@x.se"));
        assert_eq!(a.len(), "hmac-sha256:".len() + 64);
    }
}
