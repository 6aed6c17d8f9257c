//! Whole-table reads for the tenant export: every row of a table, streamed
//! in batches by key, so that memory stays flat and (outside WAL mode) the
//! application's writers get their turn between batches.

use super::schema::{quote, TableSchema};
use super::{from_ref, Store};
use crate::error::Result;
use crate::value::Value;
use rusqlite::ToSql;

/// Rows per statement of a whole-table read.
const BATCH: usize = 10_000;

impl Store {
    /// Rows in a table.
    pub fn count(&self, t: &TableSchema) -> Result<u64> {
        let doing = format!("counting {}", t.name);
        self.conn
            .query_row(
                &format!("SELECT count(*) FROM {}", quote(&t.name)),
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(&doing, e))
    }

    /// Calls `f` with every row of `t` (its columns' values in schema
    /// order), in the order of the table's storage key (rowid, or the
    /// primary key of a WITHOUT ROWID table), [`BATCH`] rows per
    /// statement. Returns the number of rows read.
    pub fn scan_all(
        &self,
        t: &TableSchema,
        mut f: impl FnMut(&[Value]) -> Result<()>,
    ) -> Result<u64> {
        let key: Vec<String> = if t.without_rowid {
            t.pk.iter().map(|c| quote(c)).collect()
        } else {
            vec!["_rowid_".into()]
        };
        let nkey = key.len();
        let cols: Vec<String> = t.columns.iter().map(|c| quote(&c.name)).collect();
        let keys = key.join(", ");
        let head = format!("SELECT {keys}, {} FROM {}", cols.join(", "), quote(&t.name));
        let first = format!("{head} ORDER BY {keys} LIMIT {BATCH}");
        let next = format!(
            "{head} WHERE ({keys}) > ({}) ORDER BY {keys} LIMIT {BATCH}",
            vec!["?"; nkey].join(", ")
        );
        let doing = format!("reading {}", t.name);
        let mut last: Option<Vec<Value>> = None;
        let mut values: Vec<Value> = Vec::with_capacity(t.columns.len());
        let mut total = 0u64;
        loop {
            let mut st = self
                .conn
                .prepare_cached(if last.is_some() { &next } else { &first })
                .map_err(|e| self.err(&doing, e))?;
            let params: Vec<&dyn ToSql> = last.iter().flatten().map(|v| v as &dyn ToSql).collect();
            let mut rows = st
                .query(params.as_slice())
                .map_err(|e| self.err(&doing, e))?;
            let mut n = 0usize;
            let mut key_of_last: Vec<Value> = Vec::new();
            while let Some(r) = rows.next().map_err(|e| self.err(&doing, e))? {
                values.clear();
                for i in 0..t.columns.len() {
                    values.push(from_ref(
                        r.get_ref(i + nkey).map_err(|e| self.err(&doing, e))?,
                    ));
                }
                f(&values)?;
                n += 1;
                if n == BATCH {
                    key_of_last = (0..nkey)
                        .map(|i| r.get_ref(i).map(from_ref))
                        .collect::<rusqlite::Result<_>>()
                        .map_err(|e| self.err(&doing, e))?;
                }
            }
            total += n as u64;
            if n < BATCH {
                return Ok(total);
            }
            last = Some(key_of_last);
        }
    }

    /// Runs `f` as one read transaction when the store is in WAL mode,
    /// where a reader never blocks the application's writers, so that a
    /// whole-tenant export is one consistent snapshot. In other journal
    /// modes a long read would hold up every writer, so each batch is its
    /// own read instead.
    pub fn snapshot<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let wal = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .map_err(|e| self.err("reading the journal mode of", e))?
            .eq_ignore_ascii_case("wal");
        if !wal {
            return f();
        }
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(|e| self.err("starting a read of", e))?;
        let out = f();
        let end = self
            .conn
            .execute_batch(if out.is_ok() { "COMMIT" } else { "ROLLBACK" });
        match (out, end) {
            (Ok(v), Ok(())) => Ok(v),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(self.err("ending a read of", e)),
        }
    }
}
