//! Reading dsr's audit trail (`_dsr_audit`) and its meta entries as they
//! are, including records whose fields have been given the wrong type.
//!
//! A second backend implements the same four questions: every record in seq
//! order, the newest record, the records after a seq, and the facts the
//! append check needs (which of dsr's tables exist, the secret, the head).
//! On PostgreSQL the typed columns make most malformed values impossible;
//! invalid text would still be reported per field the same way.

use super::backend::Cell;
use super::{Store, Tx};
use crate::error::{Error, Result};
use crate::map::hex;
use crate::value::Value;
use sha2::{Digest, Sha256};

/// One audit record as stored in `_dsr_audit`.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub operator: String,
    pub command: String,
    pub request: Option<String>,
    pub subject: Option<String>,
    pub outcome: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// A stored record, or one that cannot be read as a record because a field
/// holds a value of the wrong type (a blob, a number, invalid UTF-8).
#[derive(Debug, Clone, PartialEq)]
pub enum AuditItem {
    Row(AuditRow),
    Malformed {
        seq: i64,
        /// What is wrong, naming the field.
        problem: String,
        /// SHA-256 over the raw stored values, so that a repair can pin the
        /// broken record down exactly as it was found.
        digest: String,
    },
}

impl AuditItem {
    pub fn seq(&self) -> i64 {
        match self {
            AuditItem::Row(r) => r.seq,
            AuditItem::Malformed { seq, .. } => *seq,
        }
    }
}

/// What the append check needs to know about the trail, read in one go.
#[derive(Debug, Clone, Default)]
pub struct TrailFacts {
    pub has_meta: bool,
    pub has_audit: bool,
    pub secret: bool,
    pub head: Option<String>,
    pub newest: Option<AuditItem>,
}

const COLUMNS: &str =
    "seq, at, operator, command, request, subject, outcome, details, prev_hash, hash";
const FIELDS: [&str; 10] = [
    "seq",
    "at",
    "operator",
    "command",
    "request",
    "subject",
    "outcome",
    "details",
    "prev_hash",
    "hash",
];

fn read_item(raw: &[Cell<'_>]) -> AuditItem {
    let seq = match raw[0] {
        Cell::Integer(i) => i,
        _ => 0,
    };
    let mut problem = None;
    let mut text = |i: usize, nullable: bool| -> Option<String> {
        match raw[i] {
            Cell::Text(t) => match std::str::from_utf8(t) {
                Ok(s) => Some(s.to_string()),
                Err(_) => {
                    problem.get_or_insert(format!(
                        "record {seq}: its {} is not valid UTF-8 text",
                        FIELDS[i]
                    ));
                    None
                }
            },
            Cell::Null if nullable => None,
            other => {
                let kind = match other {
                    Cell::Null => "NULL",
                    Cell::Integer(_) => "a number",
                    Cell::Real(_) => "a number",
                    Cell::Blob(_) => "a blob",
                    Cell::Text(_) => "text",
                };
                problem.get_or_insert(format!(
                    "record {seq}: its {} holds {kind}, not text",
                    FIELDS[i]
                ));
                None
            }
        }
    };
    let row = AuditRow {
        seq,
        at: text(1, false).unwrap_or_default(),
        operator: text(2, false).unwrap_or_default(),
        command: text(3, false).unwrap_or_default(),
        request: text(4, true),
        subject: text(5, true),
        outcome: text(6, false).unwrap_or_default(),
        details: text(7, false).unwrap_or_default(),
        prev_hash: text(8, false).unwrap_or_default(),
        hash: text(9, false).unwrap_or_default(),
    };
    let problem = match (raw[0], problem) {
        (Cell::Integer(_), None) => return AuditItem::Row(row),
        (Cell::Integer(_), Some(p)) => p,
        (_, p) => p.unwrap_or_else(|| "a record's seq is not a number".into()),
    };
    let mut h = Sha256::new();
    for v in raw {
        let (tag, bytes): (u8, Vec<u8>) = match v {
            Cell::Null => (0, vec![]),
            Cell::Integer(i) => (1, i.to_be_bytes().to_vec()),
            Cell::Real(f) => (2, f.to_be_bytes().to_vec()),
            Cell::Text(t) => (3, t.to_vec()),
            Cell::Blob(b) => (4, b.to_vec()),
        };
        h.update([tag]);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }
    AuditItem::Malformed {
        seq,
        problem,
        digest: hex(&h.finalize()),
    }
}

impl Store {
    /// Every stored audit item in seq order, malformed ones included.
    pub fn audit_items(&self, mut f: impl FnMut(AuditItem) -> Result<()>) -> Result<()> {
        self.audit_query("", &[], &mut f)
    }

    /// The stored items with a seq greater than `seq`, in order.
    pub fn audit_items_after(
        &self,
        seq: i64,
        mut f: impl FnMut(AuditItem) -> Result<()>,
    ) -> Result<()> {
        self.audit_query("WHERE seq > ?1", &[Value::Integer(seq)], &mut f)
    }

    /// The stored item with this seq.
    pub fn audit_item(&self, seq: i64) -> Result<Option<AuditItem>> {
        let mut out = None;
        self.audit_query("WHERE seq = ?1", &[Value::Integer(seq)], &mut |i| {
            out = Some(i);
            Ok(())
        })?;
        Ok(out)
    }

    fn audit_query(
        &self,
        cond: &str,
        params: &[Value],
        f: &mut dyn FnMut(AuditItem) -> Result<()>,
    ) -> Result<()> {
        if !self.has_table("_dsr_audit")? {
            return Ok(());
        }
        self.query(
            &format!("SELECT {COLUMNS} FROM _dsr_audit {cond} ORDER BY seq"),
            params,
            "reading the audit trail in",
            |r| f(read_item(r)),
        )
    }

    /// Every audit record in `seq` order; a record with a field of the
    /// wrong type is a broken chain (exit 7) naming it.
    pub fn audit_records(&self, mut f: impl FnMut(AuditRow) -> Result<()>) -> Result<()> {
        self.audit_items(|i| match i {
            AuditItem::Row(r) => f(r),
            AuditItem::Malformed { seq, problem, .. } => Err(Error::ChainBroken(format!(
                "the audit chain is broken at record {seq}: {problem}; the trail has been tampered with or damaged: run `dsr audit verify`, and after investigating `dsr audit repair --reason TEXT`"
            ))),
        })
    }

    /// The facts the append check compares: which of dsr's tables exist,
    /// whether the secret does, the head and the
    /// newest one.
    pub fn trail_facts(&self) -> Result<TrailFacts> {
        let mut f = TrailFacts {
            has_meta: self.has_table("_dsr_meta")?,
            has_audit: self.has_table("_dsr_audit")?,
            ..Default::default()
        };
        if f.has_meta {
            f.secret = self.secret()?.is_some();
            f.head = self.meta("audit_head")?;
        }
        if f.has_audit {
            // max(seq) is answered from the key; the count only where a
            // message needs it.
            let max = self
                .query_one(
                    "SELECT max(seq) FROM _dsr_audit",
                    &[],
                    "reading the audit trail in",
                    |c| c.integer(),
                )?
                .flatten();
            if let Some(max) = max {
                f.newest = self.audit_item(max)?;
            }
        }
        Ok(f)
    }
}

impl Store {
    /// How many records the trail holds (a full count: for messages).
    pub fn audit_count(&self) -> Result<u64> {
        if !self.has_table("_dsr_audit")? {
            return Ok(0);
        }
        Ok(self
            .query_one(
                "SELECT count(*) FROM _dsr_audit",
                &[],
                "reading the audit trail in",
                |c| c.integer().unwrap_or(0).max(0) as u64,
            )?
            .unwrap_or(0))
    }
}

impl Tx<'_> {
    /// Brings back any of dsr's own tables that was dropped (every
    /// migration step's DDL again; each is idempotent), for `audit repair`;
    /// the version stays as it is.
    pub fn recreate_tool_tables(&self) -> Result<()> {
        super::migrate::pending(self)?;
        for step in super::migrate::STEPS {
            self.ddl(step.ddl(self.kind()), step.what)?;
        }
        Ok(())
    }

    /// Replaces a lost tenant secret with a new one (only `audit repair`
    /// does this, and its record says so).
    pub fn new_secret(&self) -> Result<String> {
        self.recreate_tool_tables()?;
        self.exec(
            "INSERT INTO _dsr_meta (key, value) VALUES ('secret', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[Value::Text(super::refs::new_secret()?)],
            "creating the tenant secret in",
        )?;
        self.forget_secret();
        self.secret()?
            .ok_or_else(|| Error::Runtime("the new tenant secret could not be read back".into()))
    }
}
