//! dsr's own tables are versioned (DESIGN §4): `_dsr_meta` holds
//! `schema_version`, and dsr migrates its tables forward itself, in one
//! transaction, by numbered steps. A store whose version is newer than this
//! dsr knows is refused before anything is read or written.
//!
//! Each [`Step`] has a number, what it does in words, its DDL per backend
//! and, where it rewrites data, a function that does so through the store's
//! own methods (backend-neutral). PostgreSQL has its own DDL for the same
//! numbered steps (the `postgres` field beside `sqlite`), so a version
//! means the same on every backend. Steps are written so that
//! running one again changes nothing (`CREATE … IF NOT EXISTS`, rewrites
//! that only touch what is still in the old form), since a store from
//! before versioning has no version but may already have some tables.
//! Other parts of dsr that need a change to dsr's tables add a step at the
//! end of [`STEPS`]; nothing else has to change.

use super::refs::{hashed_ref, REF_PREFIX};
use super::{BackendKind, Store, Tx};
use crate::error::{Error, Result};

/// The `_dsr_meta` key holding the version of dsr's own tables.
pub const VERSION_KEY: &str = "schema_version";

/// One numbered migration of dsr's own tables.
pub struct Step {
    pub version: u32,
    pub what: &'static str,
    /// The step's DDL on SQLite (several statements; may be empty).
    pub sqlite: &'static str,
    /// The same step on PostgreSQL (in the tenant's schema, first on the
    /// search path).
    pub postgres: &'static str,
    /// Rewrites data after the DDL, inside the same transaction.
    pub data: Option<fn(&Tx<'_>) -> Result<()>>,
}

/// The tables of dsr 0.1, the release before versioning, exactly as it
/// created them (`tests/cli/fixtures/dsr-0.1.sql` keeps a copy).
const V1_SQLITE: &str = "
CREATE TABLE IF NOT EXISTS _dsr_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _dsr_audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    command TEXT NOT NULL,
    request TEXT,
    subject TEXT,
    outcome TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS _dsr_anonymized (
    tbl TEXT NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (tbl, key)
);
CREATE TABLE IF NOT EXISTS _dsr_deferred (
    tbl TEXT NOT NULL,
    key TEXT NOT NULL,
    action TEXT NOT NULL,
    until TEXT,
    reason TEXT NOT NULL,
    subject TEXT,
    created_at TEXT NOT NULL,
    audit_seq INTEGER,
    PRIMARY KEY (tbl, key)
);
";

/// Step 1 on PostgreSQL: the same tables, `seq` a `bigint`, and every
/// text column compared bytewise (`COLLATE "C"`), as SQLite compares text:
/// the ranges over dsr's keys (`key >= '[' AND key < '\'`) and the orders
/// of pages (`ORDER BY tbl, key`) then mean the same on both, and the
/// primary keys' indexes answer them.
const V1_POSTGRES: &str = r#"
CREATE TABLE IF NOT EXISTS _dsr_meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT COLLATE "C" NOT NULL);
CREATE TABLE IF NOT EXISTS _dsr_audit (
    seq BIGINT PRIMARY KEY,
    at TEXT COLLATE "C" NOT NULL,
    operator TEXT COLLATE "C" NOT NULL,
    command TEXT COLLATE "C" NOT NULL,
    request TEXT COLLATE "C",
    subject TEXT COLLATE "C",
    outcome TEXT COLLATE "C" NOT NULL,
    details TEXT COLLATE "C" NOT NULL,
    prev_hash TEXT COLLATE "C" NOT NULL,
    hash TEXT COLLATE "C" NOT NULL
);
CREATE TABLE IF NOT EXISTS _dsr_anonymized (
    tbl TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tbl, key)
);
CREATE TABLE IF NOT EXISTS _dsr_deferred (
    tbl TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    until TEXT COLLATE "C",
    reason TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    audit_seq BIGINT,
    PRIMARY KEY (tbl, key)
);
"#;

/// The request register (DESIGN §7): one row per subject request, and the
/// keyed references of the identifiers it was registered with (one per
/// identifier, so that an extract or a later request naming any of them
/// finds it). Dates are `YYYY-MM-DD` text, times RFC 3339 text in UTC; a
/// PostgreSQL backend keeps them as the same text (`V3_POSTGRES`).
const V3_SQLITE: &str = "
CREATE TABLE IF NOT EXISTS _dsr_requests (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    received TEXT NOT NULL,
    first_due TEXT NOT NULL,
    due TEXT NOT NULL,
    extended_at TEXT,
    extend_reason TEXT,
    channel TEXT,
    note TEXT,
    status TEXT NOT NULL,
    close_reason TEXT,
    closed_at TEXT,
    registered_at TEXT NOT NULL,
    subject TEXT,
    repeat_of TEXT
);
CREATE TABLE IF NOT EXISTS _dsr_request_subjects (
    request TEXT NOT NULL,
    ref TEXT NOT NULL,
    PRIMARY KEY (request, ref)
);
CREATE INDEX IF NOT EXISTS _dsr_request_subjects_ref ON _dsr_request_subjects (ref);
";

/// Step 3 on PostgreSQL: the same tables, text compared bytewise (request
/// ids in order as on SQLite) and dates and times kept as the same text.
const V3_POSTGRES: &str = r#"
CREATE TABLE IF NOT EXISTS _dsr_requests (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL,
    received TEXT COLLATE "C" NOT NULL,
    first_due TEXT COLLATE "C" NOT NULL,
    due TEXT COLLATE "C" NOT NULL,
    extended_at TEXT COLLATE "C",
    extend_reason TEXT COLLATE "C",
    channel TEXT COLLATE "C",
    note TEXT COLLATE "C",
    status TEXT COLLATE "C" NOT NULL,
    close_reason TEXT COLLATE "C",
    closed_at TEXT COLLATE "C",
    registered_at TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C",
    repeat_of TEXT COLLATE "C"
);
CREATE TABLE IF NOT EXISTS _dsr_request_subjects (
    request TEXT COLLATE "C" NOT NULL,
    ref TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (request, ref)
);
CREATE INDEX IF NOT EXISTS _dsr_request_subjects_ref ON _dsr_request_subjects (ref);
"#;

/// Every step, in order. The last one's number is [`CURRENT`].
pub const STEPS: &[Step] = &[
    Step {
        version: 1,
        what: "dsr's tables as dsr 0.1 made them: _dsr_meta, _dsr_audit, _dsr_anonymized, _dsr_deferred",
        sqlite: V1_SQLITE,
        postgres: V1_POSTGRES,
        data: None,
    },
    Step {
        version: 2,
        what: "keys that are personal data are held in _dsr_anonymized and _dsr_deferred as their HMAC",
        sqlite: "",
        postgres: "",
        data: Some(hash_personal_refs),
    },
    Step {
        version: 3,
        what: "the request register: _dsr_requests and _dsr_request_subjects",
        sqlite: V3_SQLITE,
        postgres: V3_POSTGRES,
        data: None,
    },
];

impl Step {
    /// The step's DDL for this backend.
    pub fn ddl(&self, kind: BackendKind) -> &'static str {
        match kind {
            BackendKind::Sqlite => self.sqlite,
            BackendKind::Postgres => self.postgres,
        }
    }
}

/// The version this dsr writes.
pub const CURRENT: u32 = STEPS[STEPS.len() - 1].version;

/// The version recorded in the store, or 0 where none is (no dsr tables
/// yet, or tables made before versioning). Refuses a version this dsr does
/// not know (newer, or not a number): exit 1, nothing read or changed.
pub fn version(store: &Store) -> Result<u32> {
    let Some(v) = store.meta(VERSION_KEY)? else {
        return Ok(0);
    };
    let p = store.describe();
    match v.trim().parse::<u32>() {
        Ok(n) if n <= CURRENT => Ok(n),
        Ok(n) => Err(Error::Runtime(format!(
            "the store {p} was written by a newer dsr: its own tables (_dsr_*) are at version {n}, and this dsr ({}) knows versions up to {CURRENT}; nothing was read or changed; run the dsr that wrote it, or a newer one",
            env!("CARGO_PKG_VERSION")
        ))),
        Err(_) => Err(Error::Runtime(format!(
            "the store {p} has an unreadable version of dsr's own tables in _dsr_meta ({VERSION_KEY}); nothing was read or changed; dsr's tables are migrated by dsr and never edited by hand: restore _dsr_meta from a backup"
        ))),
    }
}

/// Brings dsr's tables to [`CURRENT`] and rewrites any plain personal key
/// still in them (also one that became personal when the map changed), in
/// one write transaction; does not write at all when nothing is to be done.
/// The store must know which keys are personal (`Store::set_personal_keys`).
pub fn run(store: &Store) -> Result<()> {
    let v = version(store)?;
    if v == 0 && !has_tool_tables(store)? {
        // A store dsr has not written to yet: its tables are made with the
        // command's first write (`ensure_tool_tables`), so that a command
        // refused before that leaves the store as it was.
        return Ok(());
    }
    if v == CURRENT && !store.has_plain_personal_refs()? {
        return Ok(());
    }
    store.write(|tx| {
        pending(tx)?;
        hash_personal_refs(tx)
    })
}

fn has_tool_tables(store: &Store) -> Result<bool> {
    for t in [
        "_dsr_meta",
        "_dsr_audit",
        "_dsr_anonymized",
        "_dsr_deferred",
        "_dsr_requests",
    ] {
        if store.has_table(t)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Inside a write transaction: the steps the store has not had yet, and the
/// version they reach. Cheap when there are none (one read of `_dsr_meta`).
pub fn pending(tx: &Tx<'_>) -> Result<()> {
    let from = version(tx)?;
    if from == CURRENT {
        return Ok(());
    }
    for step in STEPS.iter().filter(|s| s.version > from) {
        tx.ddl(step.ddl(tx.kind()), step.what)?;
        if let Some(data) = step.data {
            data(tx)?;
        }
    }
    tx.set_meta(VERSION_KEY, &CURRENT.to_string())
}

/// Step 2, and what keeps it true when the map changes: every key of a
/// table whose key is personal that dsr's tables still hold plain becomes
/// `hmac-sha256:` + its HMAC under the tenant secret. Without a secret
/// there is nothing to key it with; the keys stay until one exists (the
/// audit trail's own checks refuse such a store).
fn hash_personal_refs(tx: &Tx<'_>) -> Result<()> {
    let Some(secret) = tx.secret()? else {
        return Ok(());
    };
    for table in tx.personal_key_tables() {
        for plain in tx.plain_refs(&table)? {
            let hashed = hashed_ref(&secret, &table, &plain);
            debug_assert!(hashed.starts_with(REF_PREFIX));
            tx.rename_ref(&table, &plain, &hashed)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_one_by_one() {
        for (i, s) in STEPS.iter().enumerate() {
            assert_eq!(s.version as usize, i + 1, "{}", s.what);
        }
        assert_eq!(CURRENT, 3);
    }
}
