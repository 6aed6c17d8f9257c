//! The writes of an erasure, set-based: one statement per table and chunk
//! of keys, never one per row (except free-text edits, whose new values
//! differ row by row).

use super::refs::ref_forms;
use super::schema::{quote, TableSchema};
use super::{Store, Tx, CHUNK};
use crate::audit::hmac_hex;
use crate::error::Result;
use crate::value::Value;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::ToSql;
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

/// The key columns of a table as SQL, and how many there are.
pub(super) fn key_sql(t: &TableSchema) -> (String, usize) {
    if t.pk.is_empty() {
        ("_rowid_".to_string(), 1)
    } else if t.pk.len() == 1 {
        (quote(&t.pk[0]), 1)
    } else {
        let cols: Vec<String> = t.pk.iter().map(|c| quote(c)).collect();
        (format!("({})", cols.join(", ")), t.pk.len())
    }
}

/// `KEY IN (…)` for a chunk of keys, with the values to bind.
pub(super) fn key_in<'k>(t: &TableSchema, keys: &'k [Vec<Value>]) -> (String, Vec<&'k dyn ToSql>) {
    let (k, n) = key_sql(t);
    let params: Vec<&dyn ToSql> = keys.iter().flatten().map(|v| v as &dyn ToSql).collect();
    let sql = if n == 1 {
        format!("{k} IN ({})", vec!["?"; keys.len()].join(", "))
    } else {
        let tuple = format!("({})", vec!["?"; n].join(", "));
        let cols: Vec<String> = (1..=n).map(|i| format!("column{i}")).collect();
        format!(
            "{k} IN (SELECT {} FROM (VALUES {}))",
            cols.join(", "),
            vec![tuple.as_str(); keys.len()].join(", ")
        )
    };
    (sql, params)
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
        let doing = "reading _dsr_anonymized in";
        let secret = self.secret()?;
        let mut st = self
            .conn
            .prepare_cached("SELECT 1 FROM _dsr_anonymized WHERE tbl = ?1 AND key IN (?2, ?3)")
            .map_err(|e| self.err(doing, e))?;
        for k in keys {
            let (plain, hashed) = ref_forms(secret.as_deref(), table, k);
            let hit = st
                .exists([table, &plain, hashed.as_ref().unwrap_or(&plain)])
                .map_err(|e| self.err(doing, e))?;
            if hit {
                out.insert(k.clone());
            }
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Runs one cached statement; returns the rows it changed itself.
    pub(super) fn exec(&self, sql: &str, params: &[&dyn ToSql], doing: &str) -> Result<u64> {
        self.store
            .conn
            .prepare_cached(sql)
            .and_then(|mut st| st.execute(params))
            .map(|n| n as u64)
            .map_err(|e| self.err(doing, e))
    }

    /// Creates the `dsr_hash` SQL function keyed with the tenant secret for
    /// this connection (dsr's own tables exist: `ensure_tool_tables`).
    pub fn prepare_erasure(&self, secret: &str) -> Result<()> {
        let conn = &self.store.conn;
        let key = secret.to_string();
        conn.create_scalar_function(
            "dsr_hash",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            move |ctx| {
                Ok(match ctx.get_raw(0) {
                    ValueRef::Null => None,
                    ValueRef::Text(t) => Some(hmac_hex(&key, t)),
                    ValueRef::Blob(b) => Some(hmac_hex(&key, b)),
                    ValueRef::Integer(i) => Some(hmac_hex(&key, i.to_string().as_bytes())),
                    ValueRef::Real(f) => Some(hmac_hex(&key, f.to_string().as_bytes())),
                })
            },
        )
        .map_err(|e| self.err("preparing", e))?;
        // Cycles of links are deleted in one go; the store's constraints
        // are checked at commit.
        conn.execute_batch("PRAGMA defer_foreign_keys = ON")
            .map_err(|e| self.err("preparing", e))
    }

    /// Whether the transaction is still open: some failures of the store
    /// (a trigger's `RAISE(ROLLBACK)`, a full disk) end it early.
    pub fn is_open(&self) -> bool {
        !self.store.conn.is_autocommit()
    }

    /// Runs `f` and then undoes everything it did, keeping the rest of the
    /// transaction (a savepoint): a dry run carries out its plan this way,
    /// so that it meets every refusal the real run would. `f`'s result is
    /// returned either way.
    pub fn trial<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let conn = &self.store.conn;
        conn.execute_batch("SAVEPOINT dsr_trial")
            .map_err(|e| self.err("starting a dry run on", e))?;
        let out = f(self);
        let undone = conn.execute_batch("ROLLBACK TO dsr_trial; RELEASE dsr_trial");
        match (out, undone) {
            // A failure that ended the whole transaction took the savepoint along.
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(self.err("undoing a dry run on", e)),
            (Ok(v), Ok(())) => Ok(v),
        }
    }

    /// Deletes rows by key; returns how many the statements themselves
    /// deleted (not counting cascades).
    pub fn delete_keys(&self, t: &TableSchema, keys: &[Vec<Value>]) -> Result<u64> {
        let mut n = 0;
        let doing = format!("deleting from {} in", t.name);
        for chunk in keys.chunks(CHUNK / t.pk.len().max(1)) {
            let (cond, params) = key_in(t, chunk);
            let sql = format!("DELETE FROM {} WHERE {cond}", quote(&t.name));
            n += self.exec(&sql, &params, &doing)?;
        }
        Ok(n)
    }

    /// Rewrites the given columns of rows by key.
    pub fn anonymize_keys(
        &self,
        t: &TableSchema,
        sets: &[(String, Assign)],
        keys: &[Vec<Value>],
    ) -> Result<u64> {
        if sets.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        let doing = format!("anonymizing {} in", t.name);
        let mut texts: Vec<&String> = Vec::new();
        let assigns: Vec<String> = sets
            .iter()
            .map(|(c, a)| {
                let q = quote(c);
                match a {
                    Assign::Null => format!("{q} = NULL"),
                    Assign::Hash => format!("{q} = dsr_hash({q})"),
                    Assign::Redact(w) => {
                        texts.push(w);
                        format!("{q} = CASE WHEN {q} IS NULL THEN NULL ELSE ? END")
                    }
                }
            })
            .collect();
        for chunk in keys.chunks(CHUNK / t.pk.len().max(1)) {
            let (cond, key_params) = key_in(t, chunk);
            let sql = format!(
                "UPDATE {} SET {} WHERE {cond}",
                quote(&t.name),
                assigns.join(", ")
            );
            let mut params: Vec<&dyn ToSql> = texts.iter().map(|s| *s as &dyn ToSql).collect();
            params.extend(key_params);
            n += self.exec(&sql, &params, &doing)?;
        }
        Ok(n)
    }

    /// Replaces one free-text value, only if it is still what was planned on.
    pub fn replace_text(
        &self,
        t: &TableSchema,
        key: &[Value],
        column: &str,
        old: &str,
        new: &str,
    ) -> Result<u64> {
        let keys = [key.to_vec()];
        let (cond, key_params) = key_in(t, &keys);
        let c = quote(column);
        let sql = format!(
            "UPDATE {} SET {c} = ? WHERE {cond} AND {c} = ?",
            quote(&t.name)
        );
        let mut all: Vec<&dyn ToSql> = vec![&new];
        all.extend(key_params);
        all.push(&old);
        self.exec(
            &sql,
            &all,
            &format!("erasing mentions in {}.{column} in", t.name),
        )
    }

    pub fn remember_anonymized(&self, table: &str, keys: &[Vec<Value>], at: &str) -> Result<()> {
        let mut st = self
            .store
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO _dsr_anonymized (tbl, key, at) VALUES (?1, ?2, ?3)",
            )
            .map_err(|e| self.err("writing _dsr_anonymized in", e))?;
        for k in keys {
            st.execute([table, &self.row_ref(table, k)?, at])
                .map_err(|e| self.err("writing _dsr_anonymized in", e))?;
        }
        Ok(())
    }

    /// Records deferred erasures; a row deferred before keeps its first record.
    pub fn defer(&self, rows: &[Deferred], at: &str, audit_seq: i64) -> Result<()> {
        let mut st = self
            .store
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO _dsr_deferred (tbl, key, action, until, reason, subject, created_at, audit_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(|e| self.err("writing _dsr_deferred in", e))?;
        for d in rows {
            let key = self.row_ref(&d.table, &d.key)?;
            st.execute(rusqlite::params![
                d.table, key, d.action, d.until, d.reason, d.subject, at, audit_seq
            ])
            .map_err(|e| self.err("writing _dsr_deferred in", e))?;
        }
        Ok(())
    }
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
        let doing = "reading _dsr_deferred in";
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT tbl, key, action, until FROM _dsr_deferred \
                 WHERE (?1 IS NULL OR tbl = ?1) AND (tbl, key) > (?2, ?3) ORDER BY tbl, key LIMIT ?4",
            )
            .map_err(|e| self.err(doing, e))?;
        let rows = st
            .query_map(rusqlite::params![table, ct, ck, limit as i64], |r| {
                Ok(DeferredRow {
                    table: r.get(0)?,
                    key: r.get(1)?,
                    action: r.get(2)?,
                    until: r.get(3)?,
                })
            })
            .map_err(|e| self.err(doing, e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(doing, e))
    }
}

impl Tx<'_> {
    /// Records the hold's last day as judged now on deferred erasures whose
    /// row's hold date the application changed (`(table, key, until)`):
    /// only what reports show; the sweep never trusts it.
    pub fn set_deferred_until(&self, rows: &[(String, String, Option<String>)]) -> Result<()> {
        let mut st = self
            .store
            .conn
            .prepare_cached("UPDATE _dsr_deferred SET until = ?3 WHERE tbl = ?1 AND key = ?2")
            .map_err(|e| self.err("writing _dsr_deferred in", e))?;
        for (t, k, u) in rows {
            st.execute(rusqlite::params![t, k, u])
                .map_err(|e| self.err("writing _dsr_deferred in", e))?;
        }
        Ok(())
    }
}

impl Tx<'_> {
    /// Drops deferred erasures that are done (or whose row is gone).
    pub fn forget_deferred(&self, done: &[(String, String)]) -> Result<u64> {
        let mut st = self
            .store
            .conn
            .prepare_cached("DELETE FROM _dsr_deferred WHERE tbl = ?1 AND key = ?2")
            .map_err(|e| self.err("writing _dsr_deferred in", e))?;
        let mut n = 0;
        for (t, k) in done {
            n += st
                .execute([t, k])
                .map_err(|e| self.err("writing _dsr_deferred in", e))? as u64;
        }
        Ok(n)
    }
}
