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

/// How many tuples a chunk of `n` is bound as: the next power of two, at
/// most `per` (the chunk size). A sweep's every batch ends in a chunk of
/// its own length; padded, a table's statements come in a few shapes that
/// stay in the connection's statement cache instead of being prepared anew.
fn padded_len(n: usize, per: usize) -> usize {
    n.checked_next_power_of_two().unwrap_or(n).min(per).max(n)
}

/// The values of a chunk of tuples to bind, padded (see [`padded_len`]) by
/// repeating its last tuple: `IN` tests membership, so a repeat matches no
/// other row and a row is still read, counted or changed once. Returns the
/// number of tuples bound.
pub(super) fn padded(chunk: &[Vec<Value>], per: usize) -> (usize, Vec<&dyn ToSql>) {
    let n = padded_len(chunk.len(), per);
    let fill = chunk.last().into_iter().cycle().take(n - chunk.len());
    let params = chunk
        .iter()
        .chain(fill)
        .flatten()
        .map(|v| v as &dyn ToSql)
        .collect();
    (n, params)
}

/// `KEY IN (…)` for a chunk of keys, with the values to bind (padded, see
/// [`padded`]).
pub(super) fn key_in<'k>(t: &TableSchema, keys: &'k [Vec<Value>]) -> (String, Vec<&'k dyn ToSql>) {
    let (k, n) = key_sql(t);
    let (tuples, params) = padded(keys, (CHUNK / n).max(1));
    let sql = if n == 1 {
        format!("{k} IN ({})", vec!["?"; tuples].join(", "))
    } else {
        let tuple = format!("({})", vec!["?"; n].join(", "));
        let cols: Vec<String> = (1..=n).map(|i| format!("column{i}")).collect();
        format!(
            "{k} IN (SELECT {} FROM (VALUES {}))",
            cols.join(", "),
            vec![tuple.as_str(); tuples].join(", ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_padded_to_a_few_shapes_by_their_last_tuple() {
        let lens: Vec<usize> = [1, 2, 3, 5, 137, 256, 257, 499, 500]
            .iter()
            .map(|n| padded_len(*n, 500))
            .collect();
        assert_eq!(lens, [1, 2, 4, 8, 256, 256, 500, 500, 500]);
        let chunk = vec![
            vec![Value::Integer(1), Value::Text("a".into())],
            vec![Value::Integer(2), Value::Text("b".into())],
            vec![Value::Integer(3), Value::Text("c".into())],
        ];
        let (n, params) = padded(&chunk, 250);
        assert_eq!((n, params.len()), (4, 8));
        let bound: Vec<String> = params
            .iter()
            .map(|p| format!("{:?}", p.to_sql().expect("value")))
            .collect();
        let last = [bound[4].clone(), bound[5].clone()];
        assert_eq!(
            [bound[6].clone(), bound[7].clone()],
            last,
            "the last tuple again"
        );
        assert!(padded(&[], 500).1.is_empty());
    }
}
