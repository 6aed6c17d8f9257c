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
    /// this connection (once: creating a function, like setting a pragma
    /// flag, makes SQLite prepare every cached statement anew, a cost paid
    /// every batch of a sweep), and defers the foreign keys to the commit
    /// where the store has any.
    pub(super) fn prepare_hashing(&self, secret: &str) -> Result<()> {
        if self.hashing.borrow().as_deref() != Some(secret) {
            self.create_hashing(secret)?;
        }
        // Cycles of links are deleted in one go; the store's constraints
        // are checked at commit. With no foreign key there is nothing to
        // defer.
        if self.has_foreign_keys()? {
            self.batch("PRAGMA defer_foreign_keys = ON", "preparing")?;
        }
        Ok(())
    }

    fn create_hashing(&self, secret: &str) -> Result<()> {
        let key = secret.to_string();
        self.conn
            .create_scalar_function(
                "dsr_hash",
                1,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                move |ctx| Ok(hash_ref(&key, ctx.get_raw(0))),
            )
            .map_err(|e| self.err("preparing", e))?;
        *self.hashing.borrow_mut() = Some(secret.to_string());
        Ok(())
    }

    /// Whether the store declares any foreign key. Read once per connection.
    fn has_foreign_keys(&self) -> Result<bool> {
        self.schema_flag(
            &self.foreign_keys,
            "SELECT EXISTS (SELECT 1 FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table')",
            "reading the foreign keys of",
        )
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
    use super::super::test_store as store;
    use super::*;

    fn ints(b: &SqliteBackend, sql: &str) -> Vec<i64> {
        let mut st = b.conn.prepare(sql).expect("prepare");
        let rows = st.query_map([], |r| r.get::<_, i64>(0)).expect("query");
        rows.map(|r| r.expect("row")).collect()
    }

    /// Deleting by keys: a key given twice or missing deletes nothing more,
    /// a key given as text matches by the column's affinity, composite keys
    /// match on every column, and the foreign keys are checked at the
    /// commit (deferred where the store has any).
    #[test]
    fn deleting_by_keys_counts_each_row_once_and_defers_foreign_keys() {
        let (_dir, b) = store(
            "CREATE TABLE p (id INTEGER PRIMARY KEY, a TEXT);
             CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));
             CREATE TABLE q (id INTEGER PRIMARY KEY);
             CREATE TABLE qc (id INTEGER PRIMARY KEY, q_id INTEGER REFERENCES q (id) ON DELETE CASCADE);
             CREATE TABLE k (a INTEGER, b TEXT, PRIMARY KEY (a, b));
             CREATE TABLE kc (a INTEGER, b TEXT, FOREIGN KEY (a, b) REFERENCES k (a, b) ON DELETE RESTRICT);
             INSERT INTO p VALUES (1, 'x'), (2, 'x'), (3, 'x'), (4, 'x'), (5, 'x');
             INSERT INTO c VALUES (1, 5);
             INSERT INTO q VALUES (1), (2);
             INSERT INTO qc VALUES (1, 1);
             INSERT INTO k VALUES (1, 'x'), (1, 'y'), (2, 'x');",
        );
        let schema = b.read_schema().expect("schema");
        let (p, k) = (schema.table("p").expect("p"), schema.table("k").expect("k"));
        b.batch("BEGIN IMMEDIATE", "test").expect("begin");
        b.prepare_hashing("secret").expect("prepare");
        let i = |n: i64| vec![Value::Integer(n)];
        let keys = [i(1), i(2), i(2), i(9), vec![Value::Text("3".into())]];
        assert_eq!(b.delete_by_keys(p, &keys).expect("delete"), 3);
        assert_eq!(ints(&b, "SELECT id FROM p ORDER BY id"), [4, 5]);
        let kv = |a: i64, s: &str| vec![Value::Integer(a), Value::Text(s.into())];
        let keys = [kv(1, "x"), kv(2, "x"), kv(2, "y")];
        assert_eq!(b.delete_by_keys(k, &keys).expect("delete"), 2);
        assert_eq!(ints(&b, "SELECT a FROM k WHERE b = 'y'"), [1]);
        assert_eq!(ints(&b, "SELECT count(*) FROM k"), [1]);
        b.batch("COMMIT", "test").expect("commit");
        // Deferred, as before: the statement passes, the commit does not.
        b.batch("BEGIN IMMEDIATE", "test").expect("begin");
        b.prepare_hashing("secret").expect("prepare");
        assert_eq!(b.delete_by_keys(p, &[i(5)]).expect("deferred"), 1);
        assert!(b.batch("COMMIT", "test").is_err(), "c still references 5");
        b.batch("ROLLBACK", "test").expect("rollback");
        assert_eq!(ints(&b, "SELECT id FROM p ORDER BY id"), [4, 5]);
    }

    /// `dsr_hash` is created once per secret, and the foreign keys are
    /// deferred in each transaction where the store has any.
    #[test]
    fn hashing_is_prepared_once_and_foreign_keys_deferred_where_there_are_any() {
        let (_dir, b) = store("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);");
        let hash = |b: &SqliteBackend| -> String {
            b.conn
                .query_row("SELECT dsr_hash('a')", [], |r| r.get(0))
                .expect("hash")
        };
        let deferred = |b: &SqliteBackend| ints(b, "PRAGMA defer_foreign_keys") == [1];
        b.batch("BEGIN IMMEDIATE", "test").expect("begin");
        b.prepare_hashing("one").expect("prepare");
        let first = hash(&b);
        b.prepare_hashing("one").expect("again");
        assert_eq!(hash(&b), first);
        assert!(!deferred(&b), "no foreign key: nothing deferred");
        b.prepare_hashing("two").expect("another secret");
        assert_ne!(hash(&b), first, "keyed with the new secret");
        b.batch("COMMIT", "test").expect("commit");
        let (_dir2, b) = store(
            "CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));",
        );
        for _ in 0..2 {
            b.batch("BEGIN IMMEDIATE", "test").expect("begin");
            b.prepare_hashing("one").expect("prepare");
            assert!(deferred(&b), "every transaction");
            b.batch("COMMIT", "test").expect("commit");
        }
    }

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
