//! The writes of an erasure, set-based: one statement per table and chunk
//! of keys, never one per row (except free-text edits, whose new values
//! differ row by row); and the statements that run transactions.

use super::{SqliteBackend, CHUNK};
use crate::audit::hmac_hex;
use crate::error::Result;
use crate::store::schema::{quote, TableSchema};
use crate::store::write::Assign;
use crate::value::Value;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::ToSql;

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

/// The bytes `dsr_hash` keys a stored value by: text as UTF-8, integers
/// and reals as their decimal text, blobs as they are (the same bytes a
/// backend that hashes in Rust gives: `refs::hash_value`).
fn hash_ref(key: &str, v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Text(t) => Some(hmac_hex(key, t)),
        ValueRef::Blob(b) => Some(hmac_hex(key, b)),
        ValueRef::Integer(i) => Some(hmac_hex(key, i.to_string().as_bytes())),
        ValueRef::Real(f) => Some(hmac_hex(key, f.to_string().as_bytes())),
    }
}

impl SqliteBackend {
    /// Runs statements without parameters.
    pub(super) fn batch(&self, sql: &str, doing: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| self.err(doing, e))
    }

    /// Runs one cached statement; returns the rows it changed itself.
    pub(super) fn exec(&self, sql: &str, params: &[&dyn ToSql], doing: &str) -> Result<u64> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut st| st.execute(params))
            .map(|n| n as u64)
            .map_err(|e| self.err(doing, e))
    }

    /// Creates the `dsr_hash` SQL function keyed with the tenant secret for
    /// this connection, and defers the foreign keys to the commit.
    pub(super) fn prepare_hashing(&self, secret: &str) -> Result<()> {
        let key = secret.to_string();
        self.conn
            .create_scalar_function(
                "dsr_hash",
                1,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                move |ctx| Ok(hash_ref(&key, ctx.get_raw(0))),
            )
            .map_err(|e| self.err("preparing", e))?;
        // Cycles of links are deleted in one go; the store's constraints
        // are checked at commit.
        self.batch("PRAGMA defer_foreign_keys = ON", "preparing")
    }

    pub(super) fn delete_by_keys(&self, t: &TableSchema, keys: &[Vec<Value>]) -> Result<u64> {
        let mut n = 0;
        let doing = format!("deleting from {} in", t.name);
        for chunk in keys.chunks(CHUNK / t.pk.len().max(1)) {
            let (cond, params) = key_in(t, chunk);
            let sql = format!("DELETE FROM {} WHERE {cond}", quote(&t.name));
            n += self.exec(&sql, &params, &doing)?;
        }
        Ok(n)
    }

    pub(super) fn anonymize_by_keys(
        &self,
        t: &TableSchema,
        sets: &[(String, Assign)],
        keys: &[Vec<Value>],
    ) -> Result<u64> {
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

    pub(super) fn replace_one(
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
}
