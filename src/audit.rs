//! The audit trail (DESIGN §4): a hash chain of records in the tenant's own
//! store, written in the same transaction as the work it records.
//!
//! `hash = hex(SHA-256(prev_hash || "\n" || canonical))`, where `canonical`
//! is the compact JSON array `[seq, at, operator, command, request, subject,
//! outcome, details]` (details being the stored JSON text, byte for byte);
//! with a key (`audit_key_file`), HMAC-SHA-256 under it from the record
//! whose details carry `"audit_key"` on. The first record's `prev_hash` is
//! 64 zeros. `_dsr_meta.audit_head` holds the last `seq:hash`, and every
//! append first checks the newest record against it ([`check_tip`]), so
//! that tampering with the newest records is refused by the next command
//! rather than written over.

pub mod key;
pub mod mirror;
pub mod replay;
pub mod verify;

use crate::error::{Error, Result};
use crate::map::hex;
use crate::store::{AuditItem, AuditRow, Store, Tx};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

pub use key::AuditKey;
pub use verify::{verify, Repaired, Verdict};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The `details` field that marks the first record hashed under a key.
pub const KEY_MARK: &str = "audit_key";

/// The commands that write audit records, for `audit log --command`.
pub const COMMANDS: &[&str] = &["extract", "erase", "export", "sweep", "repair", "replay"];

/// Who acts and why: the same for every record a command writes.
#[derive(Debug, Clone)]
pub struct Actor {
    pub operator: String,
    pub request: Option<String>,
    /// Optional JSONL mirror (the tenant's `audit_log`).
    pub mirror: Option<PathBuf>,
    /// Optional key of the chain (the tenant's `audit_key_file`).
    pub key: Option<Arc<AuditKey>>,
    /// Optional replay key (the tenant's `replay_key_file`, DESIGN §9):
    /// with it every record carries the sealed secret, and every erasure
    /// what it changed.
    pub replay: Option<Arc<replay::ReplayKey>>,
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

/// The unkeyed hash of a record.
pub fn record_hash(prev_hash: &str, r: &AuditRow) -> String {
    chain_hash(None, prev_hash, r)
}

/// A record's hash: SHA-256, or HMAC-SHA-256 under `key`.
pub fn chain_hash(key: Option<&AuditKey>, prev_hash: &str, r: &AuditRow) -> String {
    let data = format!("{prev_hash}\n{}", canonical(r));
    match key {
        Some(k) => k.hmac(data.as_bytes()),
        None => {
            let mut h = Sha256::new();
            h.update(data.as_bytes());
            hex(&h.finalize())
        }
    }
}

pub(crate) fn hmac_bytes(key: &[u8], data: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(data);
    hex(&m.finalize().into_bytes())
}

/// HMAC-SHA-256 under the tenant's secret, hex.
pub fn hmac_hex(secret: &str, data: &[u8]) -> String {
    hmac_bytes(secret.as_bytes(), data)
}

/// The key id a record's details name, if the record is the first keyed one.
pub fn key_mark(details: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(details).ok()?;
    let m = v.get(KEY_MARK)?;
    Some(m.get("key_id")?.as_str()?.to_string())
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

/// The trail's newest record, checked: where the next record chains on.
#[derive(Debug, Clone)]
pub struct Tip {
    pub seq: i64,
    pub hash: String,
    /// The newest record is hashed under the key.
    pub keyed: bool,
}

/// The refusal of a command whose trail does not hold (exit 7).
fn refusal(found: String) -> Error {
    Error::ChainBroken(format!(
        "the audit trail is broken: {found}; nothing was changed or released; run `dsr audit verify` (with --mirror FILE where there is a mirror), and after investigating `dsr audit repair --reason TEXT`"
    ))
}

fn parse_head(head: &str) -> Option<(i64, &str)> {
    let (s, h) = head.split_once(':')?;
    Some((s.trim().parse().ok()?, h.trim()))
}

/// `_dsr_meta.audit_key`: `SEQ:KEY_ID` of the first keyed record.
fn keyed_since(store: &Store) -> Result<Option<(i64, String)>> {
    Ok(store
        .meta("audit_key")?
        .and_then(|v| parse_head(&v).map(|(s, id)| (s, id.to_string()))))
}

/// The key a keyed trail needs, or the configuration error saying so.
pub(crate) fn need_key<'k>(
    key: Option<&'k AuditKey>,
    since: i64,
    id: &str,
) -> Result<&'k AuditKey> {
    match key {
        None => Err(Error::Usage(format!(
            "the audit trail is keyed from record {since} on (key id {id}), and no key was given: set audit_key_file in the tenant's config (--tenant NAME) to the key file"
        ))),
        Some(k) if k.id != id => Err(Error::Usage(format!(
            "the audit_key_file {} holds another key (id {}) than the one that keys the trail from record {since} on (id {id}): give the right key file; if it is the right one, record {since} was changed",
            k.path.display(),
            k.id
        ))),
        Some(k) => Ok(k),
    }
}

/// Checks the newest record against the head before anything is appended
/// (DESIGN §4): its hash recomputes, its seq and hash are the head's, and
/// the head, the secret and the records are all there or all absent.
/// `None` is a trail that has not begun.
pub fn check_tip(store: &Store, key: Option<&AuditKey>) -> Result<Option<Tip>> {
    let f = store.trail_facts()?;
    let since = keyed_since(store)?;
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let Some(newest) = f.newest else {
        if let Some(h) = &f.head {
            let seq = parse_head(h)
                .map(|(s, _)| s.to_string())
                .unwrap_or_default();
            return Err(refusal(if f.has_audit {
                format!("_dsr_meta.audit_head names record {seq}, but _dsr_audit holds no records (it was emptied)")
            } else {
                format!("_dsr_meta.audit_head names record {seq}, but the table _dsr_audit is gone (it was dropped)")
            }));
        }
        return Ok(None);
    };
    // Counted only for a refusal's message (a full count).
    let records = || store.audit_count().unwrap_or(0);
    if !f.has_meta {
        return Err(refusal(format!(
            "the table _dsr_meta (the head and the tenant secret) is gone, though the trail has {} record{}",
            records(),
            plural(records())
        )));
    }
    if !f.secret {
        return Err(refusal(format!(
            "the tenant secret is missing from _dsr_meta, though the trail has {} record{}",
            records(),
            plural(records())
        )));
    }
    let Some(head) = f.head else {
        return Err(refusal(format!(
            "_dsr_meta.audit_head is missing, though the trail has {} record{}",
            records(),
            plural(records())
        )));
    };
    let Some((hseq, hhash)) = parse_head(&head) else {
        return Err(refusal(
            "_dsr_meta.audit_head is not SEQ:HASH (it was edited)".into(),
        ));
    };
    let r = match newest {
        AuditItem::Malformed { problem, .. } => return Err(refusal(problem)),
        AuditItem::Row(r) => r,
    };
    if hseq > r.seq {
        return Err(refusal(format!(
            "_dsr_meta.audit_head names record {hseq}, but the trail ends at record {}: the newest records were removed",
            r.seq
        )));
    }
    if hseq < r.seq {
        return Err(refusal(format!(
            "the trail holds record {} beyond the head's record {hseq}: a record was added outside dsr, or the head was rewritten",
            r.seq
        )));
    }
    if hhash != r.hash {
        return Err(refusal(format!(
            "the newest record {}'s hash is not the one _dsr_meta.audit_head records: the record or the head was rewritten",
            r.seq
        )));
    }
    let keyed = match (&since, key_mark(&r.details)) {
        (Some((s, id)), _) if *s <= r.seq => Some(need_key(key, *s, id)?),
        (_, Some(id)) => Some(need_key(key, r.seq, &id)?),
        _ => None,
    };
    if chain_hash(keyed, &r.prev_hash, &r) != r.hash {
        return Err(refusal(format!(
            "record {} (the newest) has been changed: its hash does not match its contents",
            r.seq
        )));
    }
    Ok(Some(Tip {
        seq: r.seq,
        hash: r.hash,
        keyed: keyed.is_some(),
    }))
}

/// The check every command that records makes before it reads personal
/// data: the trail's tip, and the mirror's newest record against it.
pub fn precheck(store: &Store, actor: &Actor) -> Result<()> {
    let newest = actor
        .mirror
        .as_ref()
        .and_then(|p| mirror::newest_line(p).map(|l| (p, l)));
    store.read(|s| {
        let tip = check_tip(s, actor.key.as_deref())?;
        if let Some((path, line)) = &newest {
            mirror::check_against(s, path, line.as_deref(), tip.as_ref())?;
        }
        Ok(())
    })
}

/// Appends a record inside the caller's transaction and returns it. The
/// trail is checked first ([`check_tip`], exit 7 refusing the whole
/// transaction), and the mirror is brought up to date with the records
/// already committed.
pub fn append(tx: &Tx<'_>, actor: &Actor, at: &str, entry: &Entry) -> Result<AuditRow> {
    append_with(tx, actor, at, entry, None)
}

/// [`append`] of a record that changed rows: `changes` is what replay needs
/// to carry it out again, sealed into the details when the tenant has a
/// replay key (otherwise dropped).
pub fn append_with(
    tx: &Tx<'_>,
    actor: &Actor,
    at: &str,
    entry: &Entry,
    changes: Option<replay::Payload>,
) -> Result<AuditRow> {
    let tip = check_tip(tx, actor.key.as_deref())?;
    let secret = tx.ensure_tool_tables()?;
    append_checked(tx, actor, at, entry, changes, tip, secret)
}

/// [`append_with`] after the trail's tip was checked and the tenant secret
/// read, in this transaction: [`record`] has done both to build the entry,
/// and need not do them again.
pub(crate) fn append_checked(
    tx: &Tx<'_>,
    actor: &Actor,
    at: &str,
    entry: &Entry,
    changes: Option<replay::Payload>,
    tip: Option<Tip>,
    secret: String,
) -> Result<AuditRow> {
    if let Some(path) = &actor.mirror {
        mirror::catch_up(tx, path, tip.as_ref())?;
    }
    let (seq, prev_hash, keyed) = match tip {
        Some(t) => (t.seq + 1, t.hash, t.keyed),
        None => (1, GENESIS.to_string(), false),
    };
    let mut details = entry.details.clone();
    if let Some(rk) = &actor.replay {
        let mut p = changes.unwrap_or_default();
        p.secret = secret;
        let sealed = rk.seal(seq, &prev_hash, &p)?;
        match details.as_object_mut() {
            Some(o) => {
                o.insert(replay::FIELD.into(), sealed);
            }
            None => details = serde_json::json!({ "value": details, replay::FIELD: sealed }),
        }
    }
    let key = actor.key.as_deref();
    let first_keyed = key.is_some() && !keyed;
    if let (true, Some(k)) = (first_keyed, key) {
        let mark = serde_json::json!({ "algorithm": "hmac-sha256", "key_id": k.id });
        match details.as_object_mut() {
            Some(o) => {
                o.insert(KEY_MARK.into(), mark);
            }
            None => details = serde_json::json!({ "value": details, KEY_MARK: mark }),
        }
    }
    let mut row = AuditRow {
        seq,
        at: at.to_string(),
        operator: actor.operator.clone(),
        command: entry.command.clone(),
        request: actor.request.clone(),
        subject: entry.subject.clone(),
        outcome: entry.outcome.clone(),
        details: details.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = chain_hash(key, &row.prev_hash, &row);
    tx.audit_insert(&row)?;
    if entry.command != "request" {
        if let Some(id) = &actor.request {
            // A command run for a registered request: it is in progress.
            tx.request_started(id)?;
        }
    }
    tx.set_meta("audit_head", &format!("{}:{}", row.seq, row.hash))?;
    if let (true, Some(k)) = (first_keyed, key) {
        tx.set_meta("audit_key", &format!("{}:{}", row.seq, k.id))?;
    }
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
        // Before the tables and secret are made: a dropped table is named as such.
        let tip = check_tip(tx, actor.key.as_deref())?;
        let secret = tx.ensure_tool_tables()?;
        let entry = Entry {
            command: command.into(),
            subject: (!ids.is_empty()).then(|| subject_ref(&secret, ids)),
            outcome: outcome.into(),
            details,
        };
        append_checked(tx, actor, at, &entry, None, tip, secret)
    })?;
    after_commit(actor, &row);
    Ok(row)
}

/// Post-commit duty: the mirror. A failure is reported, not fatal: the
/// record is in the store, and the next command's append writes it to the
/// mirror before its own.
pub fn after_commit(actor: &Actor, row: &AuditRow) {
    if let Some(path) = &actor.mirror {
        if let Err(why) = mirror::append_committed(path, row) {
            eprintln!(
                "dsr: warning: audit record {} is in the store, but could not be appended to the audit log {}: {why}; the next command appends it",
                row.seq,
                path.display()
            );
        }
    }
}

/// Maps a broken chain to its exit code.
pub fn broken_error(seq: i64, problem: &str) -> Error {
    Error::ChainBroken(format!(
        "the audit chain is broken at record {seq}: {problem}; the trail has been tampered with or damaged: compare with the audit log mirror or a backup, and after investigating run `dsr audit repair --reason TEXT`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_key_changes_every_hash() {
        let k = AuditKey::from_bytes(vec![7; 32], "k".into());
        let r = AuditRow {
            seq: 1,
            at: "2026-11-22T10:00:00Z".into(),
            operator: "ops".into(),
            command: "extract".into(),
            request: None,
            subject: None,
            outcome: "ok".into(),
            details: "{}".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        assert_ne!(chain_hash(Some(&k), GENESIS, &r), record_hash(GENESIS, &r));
        assert_eq!(k.id.len(), 16);
    }
}
