//! Long reads split over several connections, one thread each, so that a
//! tenant-sized read (the mention scan of every extract and erase, DESIGN
//! §2, and the read of a column that lookups normalise) takes the time of
//! its largest part rather than of the whole, on a machine with cores to
//! spare. A table is split by rowid, or, where an index on the column
//! answers the read, by ranges of the column's values.
//!
//! A part run on another connection reads what that connection sees, so a
//! read is split only where that is what the command's own connection sees:
//! outside any transaction (each statement is its own read then too), or in
//! a write transaction that has changed nothing yet (the write lock is
//! dsr's, so no one else commits, and the other connections see the state
//! the transaction started from). Inside a read transaction, or once the
//! transaction has changed rows, the read runs whole on the command's
//! connection. A part that fails on its helper (it could not open, the
//! store was locked) is read again on the command's connection.

use super::{db_error, from_ref, register_functions, SqliteBackend};
use crate::error::Result;
use crate::store::schema::{quote, RowIds, TableSchema};
use crate::value::Value;
use rusqlite::{Connection, OpenFlags, ToSql, TransactionState, MAIN_DB};
use std::cell::{Cell, RefCell};
use std::time::Duration;

/// Rowids per part below which a part is not worth a connection.
const PART_MIN: i64 = 16_384;
/// At most this many parts, whatever the machine.
const MAX_PARTS: usize = 4;
/// Values sampled per part to place the bounds of a split by value.
const SAMPLES_PER_PART: usize = 16;
/// How long a helper waits for a lock before its part goes back to the
/// command's connection (which waits as long as the user allows).
const HELPER_BUSY: Duration = Duration::from_millis(200);

#[derive(Default)]
pub(super) struct Helpers {
    conns: RefCell<Vec<Connection>>,
    /// A helper could not be opened: do not try again in this process.
    failed: Cell<bool>,
    /// The connection's count of changed rows when its write transaction
    /// began; `None` outside one begun by `begin_write`.
    write_from: Cell<Option<u64>>,
    /// Rowids per part below which a read is not split, and the most
    /// parts (tests set them).
    part_min: Cell<Option<i64>>,
    max_parts: Cell<Option<usize>>,
    /// The parts the last split read ran in at once (trace and tests).
    last: Cell<usize>,
}

impl Helpers {
    pub(super) fn began_write(&self, changes: Option<u64>) {
        self.write_from.set(changes);
    }

    /// Whether the open write has changed nothing yet (`changes` is the
    /// connection's `total_changes` now).
    pub(super) fn unchanged_since_begin(&self, changes: u64) -> bool {
        self.write_from.get() == Some(changes)
    }
}

/// A part of a read.
pub(super) enum Part {
    /// The whole table, as one statement.
    Whole,
    /// Rowids from the first to the second, both included.
    Rowids(i64, i64),
    /// Values of the column from `lo` (included) to `hi` (excluded), read
    /// through the index; `None` is open.
    Values {
        index: String,
        lo: Option<Value>,
        hi: Option<Value>,
    },
}

impl Part {
    /// What this part adds after the table's name (`INDEXED BY …`).
    pub fn indexed_by(&self) -> String {
        match self {
            Part::Values { index, .. } => format!(" INDEXED BY {}", quote(index)),
            _ => String::new(),
        }
    }

    /// The condition on `column` this part adds to a statement's `WHERE`,
    /// followed by `AND`, its bounds bound from `?{n}` on ([`Self::bounds`]).
    pub fn condition(&self, column: &str, n: usize) -> String {
        match self {
            Part::Whole => String::new(),
            Part::Rowids(..) => format!("_rowid_ BETWEEN ?{n} AND ?{} AND ", n + 1),
            Part::Values { lo, hi, .. } => {
                let mut out = String::new();
                let mut i = n;
                if lo.is_some() {
                    out.push_str(&format!("{column} >= ?{i} AND "));
                    i += 1;
                }
                if hi.is_some() {
                    out.push_str(&format!("{column} < ?{i} AND "));
                }
                out
            }
        }
    }

    /// The values [`Self::condition`] binds, in order.
    pub fn bounds(&self) -> Vec<&dyn ToSql> {
        match self {
            Part::Whole => Vec::new(),
            Part::Rowids(lo, hi) => vec![lo as &dyn ToSql, hi],
            Part::Values { lo, hi, .. } => lo
                .iter()
                .chain(hi.iter())
                .map(|v| v as &dyn ToSql)
                .collect(),
        }
    }
}

impl SqliteBackend {
    #[cfg(test)]
    fn split_at(&self, part_min: i64, max_parts: usize) {
        self.helpers.part_min.set(Some(part_min));
        self.helpers.max_parts.set(Some(max_parts));
    }

    /// The parts the last split read ran in at once.
    pub(super) fn parts_at_once(&self) -> usize {
        self.helpers.last.get()
    }

    /// How many parts a read of `t` may run in, and its first and last
    /// rowids: `None` where splitting would not pay or would not read what
    /// this connection sees.
    fn split_span(&self, t: &TableSchema) -> Option<(usize, i64, i64)> {
        let wanted = self.helpers.max_parts.get().unwrap_or_else(max_parts);
        let has_rowid_column = t
            .columns
            .iter()
            .any(|c| ["rowid", "_rowid_", "oid"].contains(&c.name.to_ascii_lowercase().as_str()));
        if wanted < 2
            || t.row_ids != RowIds::Stable
            || has_rowid_column
            || self.helpers.failed.get()
        {
            return None;
        }
        let consistent = match self.conn.transaction_state(Some(MAIN_DB)) {
            Ok(TransactionState::None) => true,
            Ok(TransactionState::Write) => self
                .helpers
                .unchanged_since_begin(self.conn.total_changes()),
            _ => false,
        };
        if !consistent {
            return None;
        }
        let sql = format!(
            "SELECT (SELECT _rowid_ FROM {t} ORDER BY _rowid_ LIMIT 1), \
             (SELECT _rowid_ FROM {t} ORDER BY _rowid_ DESC LIMIT 1)",
            t = quote(&t.name)
        );
        let (first, last) = self
            .conn
            .query_row(&sql, [], |r| {
                Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?))
            })
            .ok()?;
        let (first, last) = (first?, last?);
        let span = last as i128 - first as i128 + 1;
        let min = i128::from(self.helpers.part_min.get().unwrap_or(PART_MIN).max(1));
        let n = wanted.min(usize::try_from(span / min).unwrap_or(usize::MAX));
        (n >= 2).then_some((n, first, last))
    }

    /// `t` split by rowid: [`Part::Whole`] alone where it is not split.
    pub(super) fn rowid_parts(&self, t: &TableSchema) -> Vec<Part> {
        let Some((n, first, last)) = self.split_span(t) else {
            return vec![Part::Whole];
        };
        let step = (last as f64 - first as f64 + 1.0) / n as f64;
        let bound = |i: usize| (first as f64 + step * i as f64).floor() as i64;
        (0..n)
            .map(|i| {
                let lo = if i == 0 { i64::MIN } else { bound(i) };
                let hi = if i + 1 == n {
                    i64::MAX
                } else {
                    bound(i + 1) - 1
                };
                Part::Rowids(lo, hi)
            })
            .collect()
    }

    /// A read of `column` with the key (`SELECT {column}, key FROM t`)
    /// split by ranges of the column's values, each read through an index
    /// that leads with the column, where SQLite answers such a range from
    /// it; the bounds are values sampled at evenly spread rowids, so the
    /// parts are about equal. [`Part::Whole`] alone otherwise.
    pub(super) fn value_parts(&self, t: &TableSchema, column: &str) -> Vec<Part> {
        let whole = vec![Part::Whole];
        let Some(index) = leading_index(t, column) else {
            return whole;
        };
        let Some((n, first, last)) = self.split_span(t) else {
            return whole;
        };
        let c = quote(column);
        let from = format!("{} INDEXED BY {}", quote(&t.name), quote(&index.name));
        // SQLite must answer a range of the column from the index (not read
        // all of it per part, as it would under another collation).
        let plan =
            format!("EXPLAIN QUERY PLAN SELECT {c} FROM {from} WHERE {c} >= ?1 AND {c} < ?2");
        let ranged = self.conn.prepare(&plan).and_then(|mut st| {
            let mut rows = st.query([Value::Null, Value::Null])?;
            let mut ok = false;
            while let Some(r) = rows.next()? {
                let detail: String = r.get(3)?;
                ok |= detail.starts_with("SEARCH") && detail.contains('<');
            }
            Ok(ok)
        });
        if !matches!(ranged, Ok(true)) {
            return whole;
        }
        let sample = format!(
            "SELECT {c} FROM {t} WHERE _rowid_ >= ?1 AND {c} IS NOT NULL ORDER BY _rowid_ LIMIT 1",
            t = quote(&t.name)
        );
        let k = n * SAMPLES_PER_PART;
        let step = (last as f64 - first as f64 + 1.0) / k as f64;
        let mut values: Vec<Value> = Vec::with_capacity(k);
        let Ok(mut st) = self.conn.prepare(&sample) else {
            return whole;
        };
        for i in 0..k {
            let at = (first as f64 + step * i as f64).floor() as i64;
            match st.query_row([at], |r| r.get_ref(0).map(from_ref)) {
                Ok(v) => values.push(v),
                Err(rusqlite::Error::QueryReturnedNoRows) => {}
                Err(_) => return whole,
            }
        }
        // Any value bounds a correct split (`< v` and `>= v` part every
        // non-NULL value in two whatever the collation); the order only
        // evens the parts out.
        values.sort_by(sample_order);
        let mut bounds: Vec<Value> = (1..n)
            .map(|i| values[i * values.len() / n].clone())
            .collect();
        bounds.dedup();
        if bounds.is_empty() || values.is_empty() {
            return whole;
        }
        let mut parts = Vec::with_capacity(bounds.len() + 1);
        let mut lo = None;
        for b in bounds {
            parts.push(Part::Values {
                index: index.name.clone(),
                lo: lo.take(),
                hi: Some(b.clone()),
            });
            lo = Some(b);
        }
        parts.push(Part::Values {
            index: index.name.clone(),
            lo,
            hi: None,
        });
        parts
    }

    /// Helper connections for `n` parts (read-only, dsr's functions on
    /// them), opened the first time they are needed; fewer when they
    /// cannot be opened.
    fn take_helpers(&self, n: usize) -> Vec<Connection> {
        let mut have = std::mem::take(&mut *self.helpers.conns.borrow_mut());
        while have.len() < n && !self.helpers.failed.get() {
            match self.open_helper() {
                Ok(c) => have.push(c),
                Err(e) => {
                    crate::trace::note(|| format!("no helper connection: {e}"));
                    self.helpers.failed.set(true);
                }
            }
        }
        have
    }

    fn open_helper(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)
            .map_err(|e| db_error(&self.path, "opening", e))?;
        conn.busy_timeout(HELPER_BUSY)
            .and_then(|_| register_functions(&conn, self.today))
            .map_err(|e| db_error(&self.path, "preparing", e))?;
        Ok(conn)
    }

    /// Runs `work` once per part, the first on this connection and the
    /// rest on helpers at the same time, and gives the results in the
    /// parts' order. A part whose helper failed or was not had runs here
    /// after the others, where its failure is the read's.
    pub(super) fn run_parts<T: Send>(
        &self,
        parts: &[Part],
        work: &(dyn Fn(&Connection, &Part) -> rusqlite::Result<T> + Sync),
    ) -> rusqlite::Result<Vec<T>> {
        let (first, rest) = match parts.split_first() {
            Some(split) => split,
            None => return Ok(Vec::new()),
        };
        let helpers = if rest.is_empty() {
            Vec::new()
        } else {
            self.take_helpers(rest.len())
        };
        self.helpers.last.set(1 + helpers.len());
        let (mine, theirs, back) = std::thread::scope(|s| {
            let running: Vec<_> = rest
                .iter()
                .zip(helpers)
                .map(|(part, conn)| s.spawn(move || (work(&conn, part).ok(), conn)))
                .collect();
            let mine = work(&self.conn, first);
            let mut theirs = Vec::new();
            let mut back = Vec::new();
            for h in running {
                match h.join() {
                    Ok((done, conn)) => {
                        theirs.push(done);
                        back.push(conn);
                    }
                    Err(_) => theirs.push(None),
                }
            }
            (mine, theirs, back)
        });
        *self.helpers.conns.borrow_mut() = back;
        let mut out = vec![mine?];
        let mut theirs = theirs.into_iter();
        for part in rest {
            match theirs.next().flatten() {
                Some(done) => out.push(done),
                None => out.push(work(&self.conn, part)?),
            }
        }
        Ok(out)
    }
}

/// An index of all of `t`'s rows whose first key is `column`: one that
/// can answer a whole read of the column.
pub(super) fn leading_index<'t>(
    t: &'t TableSchema,
    column: &str,
) -> Option<&'t crate::store::schema::Index> {
    t.indexes.iter().find(|i| {
        !i.partial
            && i.parts
                .first()
                .is_some_and(|(c, _)| c.as_deref() == Some(column))
    })
}

/// SQLite's order of values of different types (NULL, numbers, text,
/// blobs), text by its bytes: near enough the index's order to even the
/// parts out.
fn sample_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    let rank = |v: &Value| match v {
        Value::Null => 0,
        Value::Integer(_) | Value::Real(_) => 1,
        Value::Blob(_) => 3,
        _ => 2,
    };
    let num = |v: &Value| match v {
        Value::Integer(i) => *i as f64,
        Value::Real(f) => *f,
        _ => 0.0,
    };
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
        _ => num(a).total_cmp(&num(b)),
    })
}

/// How many parts a read may run in: the machine's cores, at most
/// [`MAX_PARTS`], or `DSR_SCAN_PARTS` (1: never split).
fn max_parts() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::env::var("DSR_SCAN_PARTS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(cores)
        .clamp(1, MAX_PARTS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::backend::{Backend, Mode};
    use crate::store::Needle;

    const ROWS: i64 = 2_000;
    /// Rows that name the subject: the first, both sides of every bound a
    /// four-way split of 1..=2000 has, and the last.
    const NAMED: [i64; 8] = [1, 500, 501, 1000, 1001, 1500, 1501, 2000];

    /// A store of one table, `setup` its DDL, `value(id)` the second
    /// column of rows 1 to [`ROWS`], opened as dsr opens a store.
    fn tenant(
        setup: &str,
        value: impl Fn(i64) -> rusqlite::types::Value,
    ) -> (tempfile::TempDir, SqliteBackend) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.db");
        let c = Connection::open(&path).expect("create");
        c.execute_batch(setup).expect("setup");
        let table: String = c
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .expect("table");
        let tx = c.unchecked_transaction().expect("tx");
        for id in 1..=ROWS {
            tx.execute(
                &format!("INSERT INTO {table} VALUES (?1, ?2)"),
                rusqlite::params![id, value(id)],
            )
            .expect("row");
        }
        tx.commit().expect("commit");
        drop(c);
        let today = jiff::civil::date(2026, 12, 1);
        let b = SqliteBackend::open(path.to_str().expect("path"), Mode::ReadWrite, today)
            .expect("open");
        (dir, b)
    }

    fn store(wal: bool) -> (tempfile::TempDir, SqliteBackend) {
        let mode = if wal { "WAL" } else { "DELETE" };
        let setup = format!(
            "PRAGMA journal_mode = {mode}; CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"
        );
        tenant(&setup, |id| {
            if NAMED.contains(&id) {
                format!("call back Alice@Example.com about {id}").into()
            } else {
                format!("nothing about anyone {id}").into()
            }
        })
    }

    fn found(b: &SqliteBackend) -> Vec<i64> {
        let schema = b.read_schema().expect("schema");
        let t = schema.table("notes").expect("notes");
        let needle = Needle::Substring {
            text: "alice@example.com".into(),
            ignore_case: true,
        };
        let mut out = Vec::new();
        b.scan_text_values(t, "body", &[needle], &mut |key, text| {
            assert!(text.contains("Alice@Example.com"), "{text}");
            match key.as_slice() {
                [Value::Integer(i)] => out.push(*i),
                other => panic!("key {other:?}"),
            }
        })
        .expect("scan");
        out
    }

    /// Split four ways, the scan finds the same rows in the same (rowid)
    /// order as one statement, on both journal modes, and again with the
    /// helpers it kept open.
    #[test]
    fn a_split_scan_finds_what_one_statement_finds() {
        for wal in [false, true] {
            let (_dir, b) = store(wal);
            b.split_at(1, 1);
            assert_eq!(found(&b), NAMED);
            assert_eq!(b.helpers.last.get(), 1);
            b.split_at(100, 4);
            assert_eq!(found(&b), NAMED, "wal {wal}");
            assert_eq!(b.helpers.last.get(), 4);
            assert_eq!(found(&b), NAMED, "wal {wal}, helpers reused");
            assert_eq!(b.helpers.conns.borrow().len(), 3);
        }
    }

    /// Too few rowids for the parts asked: fewer parts, or none.
    #[test]
    fn a_small_table_is_not_split() {
        let (_dir, b) = store(false);
        b.split_at(1_000, 4);
        assert_eq!(found(&b), NAMED);
        assert_eq!(b.helpers.last.get(), 2);
        b.split_at(5_000, 4);
        assert_eq!(found(&b), NAMED);
        assert_eq!(b.helpers.last.get(), 1);
    }

    /// Changes row 1234 to mention the needle inside the open write, runs
    /// `then`, and checks that the scan ran whole and found the change.
    fn changed_row_scanned_whole(b: &SqliteBackend, wal: bool, then: impl Fn(&SqliteBackend)) {
        b.conn
            .execute(
                "UPDATE notes SET body = 'mail Alice@Example.com' WHERE id = 1234",
                [],
            )
            .expect("update");
        then(b);
        let mut want = NAMED.to_vec();
        want.insert(5, 1234);
        assert_eq!(found(b), want, "wal {wal}");
        assert_eq!(b.helpers.last.get(), 1);
    }

    /// In a write transaction that has changed a row, a helper would not
    /// see the change: the scan runs whole and finds the changed row; in
    /// one that has changed nothing it is split.
    #[test]
    fn a_write_transaction_with_changes_is_scanned_whole() {
        for wal in [false, true] {
            let (_dir, b) = store(wal);
            b.split_at(100, 4);
            b.begin_write().expect("begin");
            assert_eq!(found(&b), NAMED);
            assert_eq!(b.helpers.last.get(), 4, "unchanged write transaction");
            changed_row_scanned_whole(&b, wal, |_| {});
            b.rollback();
        }
    }

    /// dsr's own tables written first (the tenant secret, on first use)
    /// leave the tenant's tables as committed: still split. Written after a
    /// change to the tenant's, they do not make it split again.
    #[test]
    fn a_write_of_dsr_tables_only_is_still_split() {
        for wal in [false, true] {
            let (_dir, b) = store(wal);
            b.split_at(100, 4);
            let own = |b: &SqliteBackend| {
                b.own_tables_write(&mut || {
                    b.conn
                        .execute_batch(
                            "CREATE TABLE IF NOT EXISTS _dsr_meta (key TEXT PRIMARY KEY, value TEXT);
                             INSERT OR REPLACE INTO _dsr_meta VALUES ('secret', 'x')",
                        )
                        .map_err(|e| crate::error::Error::Runtime(e.to_string()))
                })
                .expect("own write")
            };
            b.begin_write().expect("begin");
            own(&b);
            assert_eq!(found(&b), NAMED);
            assert_eq!(b.helpers.last.get(), 4, "wal {wal}: after dsr's own write");
            changed_row_scanned_whole(&b, wal, own);
            b.rollback();
        }
    }

    /// Inside a read transaction another connection may see a later state
    /// (WAL): never split there.
    #[test]
    fn a_read_transaction_is_scanned_whole() {
        let (_dir, b) = store(true);
        b.split_at(100, 4);
        assert!(b.begin_wal_snapshot().expect("snapshot"));
        assert_eq!(found(&b), NAMED);
        assert_eq!(b.helpers.last.get(), 1);
        b.end_read(true).expect("end");
    }

    /// When no helper can be had, every part is read on the command's
    /// connection, in order.
    #[test]
    fn without_helpers_every_part_is_read_here() {
        let (_dir, b) = store(false);
        b.split_at(100, 4);
        b.helpers.failed.set(true);
        assert_eq!(found(&b), NAMED);
        assert_eq!(b.helpers.last.get(), 1);
    }

    /// The helpers close before the command's connection, which, closing
    /// last, checkpoints the write-ahead log and removes it as before.
    #[test]
    fn the_command_connection_closes_last() {
        let (dir, b) = store(true);
        b.split_at(100, 4);
        b.conn
            .execute("UPDATE notes SET body = 'x' WHERE id = 3", [])
            .expect("write");
        assert_eq!(found(&b), NAMED);
        assert_eq!(b.helpers.last.get(), 4);
        let wal = dir.path().join("t.db-wal");
        assert!(wal.exists());
        drop(b);
        assert!(!wal.exists(), "the WAL was left behind");
    }

    /// A phone column in many written forms, NULLs and integers among
    /// them; the rows whose number is +46 70 123 45 67 are spread over the
    /// table, at the ends and near the bounds of a four-way split.
    fn phones(index: Option<&str>) -> (tempfile::TempDir, SqliteBackend) {
        let setup = format!(
            "CREATE TABLE people (id INTEGER PRIMARY KEY, phone TEXT); {}",
            index.unwrap_or("")
        );
        tenant(&setup, |id| match id {
            1 | 777 | 1999 => "070-123 45 67".to_string().into(),
            500 | 1000 => "+46 70 123 45 67".to_string().into(),
            1501 => "0046701234567".to_string().into(),
            2000 => 46701234567_i64.into(),
            _ if id % 7 == 0 => rusqlite::types::Value::Null,
            _ if id % 5 == 0 => (46_700_000_000_i64 + id).into(),
            _ => format!("08-{:06}", id * 37 % 1_000_000).into(),
        })
    }

    fn by_phone(b: &SqliteBackend) -> Vec<i64> {
        let schema = b.read_schema().expect("schema");
        let t = schema.table("people").expect("people");
        let keys = ["+46701234567".to_string()];
        let filter = crate::store::Filter::Normalized {
            column: "phone",
            kind: crate::ident::Kind::Phone(crate::ident::Region::DEFAULT),
            keys: &keys,
        };
        let mut out = Vec::new();
        b.select_rows(t, &filter, &mut |row| match row.key.as_slice() {
            [Value::Integer(i)] => out.push(*i),
            other => panic!("key {other:?}"),
        })
        .expect("select");
        out.sort_unstable();
        out
    }

    const SAME_NUMBER: [i64; 7] = [1, 500, 777, 1000, 1501, 1999, 2000];

    /// A lookup that normalises the column finds the same rows split by
    /// the index's values as read whole; without an index, split by rowid.
    #[test]
    fn a_normalised_lookup_split_finds_what_one_read_finds() {
        for (ddl, parts) in [
            (Some("CREATE INDEX people_phone ON people (phone)"), 4),
            (None, 4),
            // An index of another collation cannot answer a range of the
            // column: the read stays whole rather than read it all per part.
            (
                Some("CREATE INDEX people_phone ON people (phone COLLATE NOCASE)"),
                1,
            ),
        ] {
            let (_dir, b) = phones(ddl);
            b.split_at(1, 1);
            assert_eq!(by_phone(&b), SAME_NUMBER, "{ddl:?} whole");
            b.split_at(100, 4);
            assert_eq!(by_phone(&b), SAME_NUMBER, "{ddl:?} split");
            assert_eq!(b.parts_at_once(), parts, "{ddl:?}");
        }
    }

    /// The bounds of a split by value part every non-NULL value exactly
    /// once: the parts' rows together are the column's, none twice.
    #[test]
    fn value_parts_cover_every_value_once() {
        let (_dir, b) = phones(Some("CREATE INDEX people_phone ON people (phone)"));
        b.split_at(100, 4);
        let schema = b.read_schema().expect("schema");
        let t = schema.table("people").expect("people");
        let parts = b.value_parts(t, "phone");
        assert_eq!(parts.len(), 4);
        let mut seen = Vec::new();
        for part in &parts {
            let cond = part.condition("phone", 1);
            let sql = format!(
                "SELECT id FROM people{} WHERE {}phone IS NOT NULL",
                part.indexed_by(),
                cond
            );
            let mut st = b.conn.prepare(&sql).expect("prepare");
            let ids: Vec<i64> = st
                .query_map(part.bounds().as_slice(), |r| r.get(0))
                .expect("query")
                .collect::<rusqlite::Result<_>>()
                .expect("rows");
            assert!(ids.len() > 100, "parts about even: {}", ids.len());
            seen.extend(ids);
        }
        seen.sort_unstable();
        let all: Vec<i64> = (1..=ROWS)
            .filter(|i| i % 7 != 0 || SAME_NUMBER.contains(i))
            .collect();
        assert_eq!(seen, all);
    }
}
