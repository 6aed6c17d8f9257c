//! What an erasure writes (the statements are each backend's), and dsr's
//! own records of it: `_dsr_anonymized` and `_dsr_deferred`, through the
//! backend's SQL interface (the same statements on every backend).

use super::refs::ref_forms;
use super::{opt_text, text, Store, Tx};
use crate::error::Result;
use crate::value::Value;
use std::collections::HashSet;

/// What anonymization writes into one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assign {
    Null,
    /// The replacement text; a NULL stays NULL (nothing was there to erase).
    Redact(String),
    /// HMAC-SHA-256 of the stored value under the tenant's secret, hex.
    Hash,
}

/// A row deferred by a hold, to be completed by `sweep` once it ends.
#[derive(Debug, Clone)]
pub struct Deferred {
    pub table: String,
    pub key: Vec<Value>,
    pub action: String,
    /// ISO date of the last held day, or None when the hold date is unreadable.
    pub until: Option<String>,
    pub reason: String,
    pub subject: Option<String>,
}

/// A key as compact JSON of its values: how dsr's own tables name a row
/// whose key is not personal data (see [`Store::row_ref`]).
pub fn key_text(key: &[Value]) -> String {
    serde_json::Value::Array(key.iter().map(Value::to_json).collect()).to_string()
}

impl Store {
    /// Which of `keys` of `table` dsr has anonymized before.
    pub fn anonymized(&self, table: &str, keys: &[Vec<Value>]) -> Result<HashSet<Vec<Value>>> {
        let mut out = HashSet::new();
        if keys.is_empty() || !self.has_table("_dsr_anonymized")? {
            return Ok(out);
        }
        let secret = self.secret()?;
        for k in keys {
            let (plain, hashed) = ref_forms(secret.as_deref(), table, k);
            let other = hashed.as_ref().unwrap_or(&plain);
            let mut hit = false;
            self.query(
                "SELECT 1 FROM _dsr_anonymized WHERE tbl = ?1 AND key IN (?2, ?3)",
                &[text(table), text(&plain), text(other)],
                "reading _dsr_anonymized in",
                |_| {
                    hit = true;
                    Ok(())
                },
            )?;
            if hit {
                out.insert(k.clone());
            }
        }
        Ok(out)
    }
}

impl Tx<'_> {
    pub fn remember_anonymized(&self, table: &str, keys: &[Vec<Value>], at: &str) -> Result<()> {
        for k in keys {
            self.exec(
                "INSERT INTO _dsr_anonymized (tbl, key, at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                &[text(table), Value::Text(self.row_ref(table, k)?), text(at)],
                "writing _dsr_anonymized in",
            )?;
        }
        Ok(())
    }

    /// Records deferred erasures; a row deferred before keeps its first
    /// record (also a row named twice: the first is written). One
    /// statement per [`DEFER_CHUNK`] rows rather than one per row: on a
    /// server each statement is a round trip (32 for a typical customer's
    /// held invoices).
    pub fn defer(&self, rows: &[Deferred], at: &str, audit_seq: i64) -> Result<()> {
        for chunk in rows.chunks(DEFER_CHUNK) {
            let mut params: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
            for d in chunk {
                params.extend([
                    text(&d.table),
                    Value::Text(self.row_ref(&d.table, &d.key)?),
                    text(&d.action),
                    opt_text(d.until.as_deref()),
                    text(&d.reason),
                    opt_text(d.subject.as_deref()),
                    text(at),
                    Value::Integer(audit_seq),
                ]);
            }
            self.exec(&defer_sql(chunk.len()), &params, "writing _dsr_deferred in")?;
        }
        Ok(())
    }
}

/// Rows of `_dsr_deferred` written by one statement (8 parameters each,
/// well within SQLite's limit of parameters).
const DEFER_CHUNK: usize = 100;

/// The INSERT of `n` deferred rows, numbered `?1`…`?8n`.
fn defer_sql(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|r| {
            let p: Vec<String> = (1..=8).map(|i| format!("?{}", r * 8 + i)).collect();
            format!("({})", p.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO _dsr_deferred (tbl, key, action, until, reason, subject, created_at, audit_seq) VALUES {} ON CONFLICT DO NOTHING",
        rows.join(", ")
    )
}

/// The key from its stored text (the inverse of [`key_text`] for the types
/// keys have: integers, reals, text).
pub fn key_from_text(s: &str) -> Option<Vec<Value>> {
    let v: serde_json::Value = serde_json::from_str(s).ok()?;
    v.as_array()?
        .iter()
        .map(|x| match x {
            serde_json::Value::Null => Some(Value::Null),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Value::Integer)
                .or_else(|| n.as_f64().map(Value::Real)),
            serde_json::Value::String(t) => Some(Value::Text(t.clone())),
            _ => None,
        })
        .collect()
}

/// A deferred erasure as recorded: which row, what it gets when its hold
/// ends, and the hold's last day as it was last judged (for reports only:
/// the sweep judges the hold again on the row itself).
#[derive(Debug, Clone)]
pub struct DeferredRow {
    pub table: String,
    pub key: String,
    pub action: String,
    pub until: Option<String>,
}

impl Store {
    /// Deferred erasures in (table, key) order after `cursor`, at most
    /// `limit`: every one, whatever date was recorded with it, since only
    /// the row as it is now can tell whether its hold has ended. (A second
    /// backend pages the same way: `WHERE (tbl, key) > (…) ORDER BY tbl,
    /// key LIMIT n`.)
    pub fn deferred_page(
        &self,
        table: Option<&str>,
        cursor: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<DeferredRow>> {
        if !self.has_table("_dsr_deferred")? {
            return Ok(Vec::new());
        }
        let (ct, ck) = cursor.unwrap_or(("", ""));
        let mut out = Vec::new();
        self.query(
            "SELECT tbl, key, action, until FROM _dsr_deferred \
             WHERE (?1 IS NULL OR tbl = ?1) AND (tbl, key) > (?2, ?3) ORDER BY tbl, key LIMIT ?4",
            &[
                opt_text(table),
                text(ct),
                text(ck),
                Value::Integer(limit as i64),
            ],
            "reading _dsr_deferred in",
            |r| {
                out.push(DeferredRow {
                    table: r[0].to_text(),
                    key: r[1].to_text(),
                    action: r[2].to_text(),
                    until: r[3].text(),
                });
                Ok(())
            },
        )?;
        Ok(out)
    }
}

impl Tx<'_> {
    /// Records the hold's last day as judged now on deferred erasures whose
    /// row's hold date the application changed (`(table, key, until)`):
    /// only what reports show; the sweep never trusts it.
    pub fn set_deferred_until(&self, rows: &[(String, String, Option<String>)]) -> Result<()> {
        for (t, k, u) in rows {
            self.exec(
                "UPDATE _dsr_deferred SET until = ?3 WHERE tbl = ?1 AND key = ?2",
                &[text(t), text(k), opt_text(u.as_deref())],
                "writing _dsr_deferred in",
            )?;
        }
        Ok(())
    }

    /// Drops deferred erasures that are done (or whose row is gone).
    pub fn forget_deferred(&self, done: &[(String, String)]) -> Result<u64> {
        let mut n = 0;
        for (t, k) in done {
            n += self.exec(
                "DELETE FROM _dsr_deferred WHERE tbl = ?1 AND key = ?2",
                &[text(t), text(k)],
                "writing _dsr_deferred in",
            )?;
        }
        Ok(n)
    }
}
