//! The store interface: what a backend (SQLite, PostgreSQL) does for
//! [`Store`](super::Store). The trait is object-safe (callbacks are
//! `&mut dyn FnMut`, no generic methods) so that the backend is chosen once,
//! from the URL, and the rest of dsr holds a `Box<dyn Backend>`; `Store`
//! keeps the ergonomic generic wrappers and everything that is the same on
//! every backend (row references, the tenant secret, the audit chain, dsr's
//! own tables through the small SQL interface at the end).
//!
//! Transactions are explicit (`begin_write`/`commit`/`rollback`, savepoints
//! for `Tx::trial`) rather than closures, which a trait object cannot take
//! generically; `Store::write` pairs them.

use super::expire::{Cutoffs, ExpiredBounds, ExpiredPage, KeyRange, PageAt};
use super::schema::{Schema, TableSchema};
use super::watch::{Unplanned, WatchPlan};
use super::write::Assign;
use super::{Filter, Needle, Row};
use crate::error::Result;
use crate::value::Value;
use std::collections::HashSet;

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads only (check, init, audit verify): nothing is recorded.
    ReadOnly,
    /// A command that records (and may change) something.
    ReadWrite,
}

/// Which backend a store is (for the few choices that are per dialect
/// inside `src/store/`, such as a migration step's DDL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

/// What a backend can and cannot do, asked instead of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether rows without a primary key have a stable identity.
    pub row_ids: super::schema::RowIds,
    /// Whether `check` gives journal-mode advice (SQLite's WAL).
    pub journal_advice: bool,
    /// Whether dsr's functions run inside the store's SQL (SQLite's
    /// `dsr_norm`/`dsr_hash`); elsewhere dsr computes in Rust.
    pub sql_functions: bool,
    /// Whether a write transaction keeps the application from writing
    /// anything while it lasts (SQLite's one write lock). Where it does not
    /// (PostgreSQL's row locks), the sweep reads each page of expired rows
    /// inside its batch's transaction, locked as they are read, rather than
    /// before it and then again by key.
    pub writes_block_all: bool,
}

/// One stored value as a query of dsr's own tables returns it, raw: text
/// as bytes, so that a reader can tell invalid UTF-8 from a wrong type
/// (the audit trail's checks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

impl Cell<'_> {
    /// The value (invalid UTF-8 replaced).
    pub fn to_value(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Integer(i) => Value::Integer(i),
            Cell::Real(f) => Value::Real(f),
            Cell::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            Cell::Blob(b) => Value::Blob(b.to_vec()),
        }
    }

    /// The value as text, whatever its type (meta entries; NULL is empty).
    pub fn to_text(self) -> String {
        match self {
            Cell::Text(t) | Cell::Blob(t) => String::from_utf8_lossy(t).into_owned(),
            Cell::Integer(i) => i.to_string(),
            Cell::Real(f) => f.to_string(),
            Cell::Null => String::new(),
        }
    }

    /// Text, or None for NULL and any other type.
    pub fn text(self) -> Option<String> {
        match self {
            Cell::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
            _ => None,
        }
    }

    pub fn integer(self) -> Option<i64> {
        match self {
            Cell::Integer(i) => Some(i),
            _ => None,
        }
    }
}

/// The tenant's sweep lock, held until dropped (a file lock on SQLite, an
/// advisory lock of the tenant on PostgreSQL).
pub struct SweepLock {
    _held: Box<dyn std::any::Any>,
}

impl SweepLock {
    pub fn new(held: impl std::any::Any) -> SweepLock {
        SweepLock {
            _held: Box::new(held),
        }
    }
}

/// A store backend. Every method names its failures in dsr's terms (what,
/// where, what to do), never as a bare driver error; `doing` arguments are
/// the words a message puts before "the store …".
pub trait Backend {
    // --- identity -------------------------------------------------------

    /// The store for messages: the SQLite path, or the URL with `***` for
    /// the password. Never a secret.
    fn describe(&self) -> String;
    fn kind(&self) -> BackendKind;
    fn capabilities(&self) -> Capabilities;

    // --- schema ---------------------------------------------------------

    /// The live schema of the tenant's tables (dsr's own included).
    fn schema(&self) -> Result<Schema>;
    fn has_table(&self, name: &str) -> Result<bool>;
    /// Up to `limit` non-null values of a column, for guessing what it holds.
    fn sample(&self, table: &str, column: &str, limit: usize) -> Result<Vec<Value>>;

    // --- reads ----------------------------------------------------------

    /// The rows of `t` that match `filter`, key first (see [`Row`]).
    fn select(&self, t: &TableSchema, filter: &Filter<'_>, f: &mut dyn FnMut(Row)) -> Result<()>;
    /// [`Backend::select`] of rows an erasure or a sweep may change (those
    /// linked beneath what it found). Inside a write transaction, where
    /// [`Capabilities::writes_block_all`] is false, they are locked as read
    /// (as [`Backend::rows_reading`] locks), so that they stay as read
    /// until it ends; elsewhere the same read.
    fn select_to_change(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        self.select(t, filter, f)
    }
    /// (key, text) of the values of a column that may hold one of the
    /// needles (a superset: the caller's exact matcher decides).
    fn scan_text(
        &self,
        t: &TableSchema,
        column: &str,
        needles: &[Needle],
        f: &mut dyn FnMut(Vec<Value>, &str),
    ) -> Result<()>;
    fn count(&self, t: &TableSchema) -> Result<u64>;
    /// The rows of `t` (which has a primary key) whose `columns` equal one
    /// of `tuples`, streamed in key order as [`crate::value::key_cmp`]
    /// orders keys (text by code point), so that a writer can take them
    /// straight from the store; `f` stops the read by failing.
    fn select_in_key_order(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
        f: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()>;
    /// How many rows of `t` have `columns` equal to one of `tuples`.
    fn count_in(&self, t: &TableSchema, columns: &[String], tuples: &[Vec<Value>]) -> Result<u64>;
    /// Every row's values in a stable order, in batches; the row count.
    fn scan_all(&self, t: &TableSchema, f: &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<u64>;
    /// Every row of `t` as `writers::csv` records (CRLF, no header),
    /// written by the store itself where it can (PostgreSQL's COPY), in
    /// `scan_all`'s order; the number of rows, or `None` where the caller
    /// must write the rows from `scan_all`.
    fn copy_csv(
        &self,
        _t: &TableSchema,
        _out: &mut dyn std::io::Write,
        _werr: &dyn Fn(std::io::Error) -> crate::error::Error,
    ) -> Result<Option<u64>> {
        Ok(None)
    }
    /// Every key of `t` (only the key columns).
    fn table_keys(&self, t: &TableSchema, f: &mut dyn FnMut(Vec<Value>)) -> Result<()>;
    /// Rows read by full-table scans in `select` so far.
    fn scanned_rows(&self) -> u64;

    // --- transactions ---------------------------------------------------

    /// A write transaction, its locks taken at once.
    fn begin_write(&self) -> Result<()>;
    /// Runs `f`, which writes only dsr's own tables: where the write had
    /// changed nothing before, the tenant's tables are still as committed,
    /// and a backend that reads them on other connections may go on doing
    /// so (SQLite's reads in parts, `split`).
    fn own_tables_write(&self, f: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        f()
    }
    /// A consistent read of dsr's tables (the audit trail).
    fn begin_read(&self) -> Result<()>;
    /// A snapshot for a whole-tenant export, where the backend can hold one
    /// without blocking the application's writers; false when it did not
    /// begin one (each batch is then its own read).
    fn begin_snapshot(&self) -> Result<bool>;
    fn commit(&self) -> Result<()>;
    /// Ends a read begun by `begin_read`/`begin_snapshot`.
    fn end_read(&self, ok: bool) -> Result<()>;
    /// Undoes the open transaction, if any; never fails loudly (it runs
    /// after the failure that is reported).
    fn rollback(&self);
    /// Whether a transaction is open (a trigger's `RAISE(ROLLBACK)` or a
    /// full disk may end one early).
    fn in_transaction(&self) -> bool;
    /// Rows of `t` by key ([`Filter::Keys`]) reading only the columns `read`
    /// marks (by schema index; the key always): the others are NULL. A
    /// backend may read them all. Inside a write transaction the rows are
    /// as they are now and stay so until it ends, whatever the application
    /// does meanwhile (SQLite: the transaction holds the write lock;
    /// PostgreSQL reads them `FOR UPDATE`): the sweep decides on them.
    fn rows_reading(
        &self,
        t: &TableSchema,
        keys: &[Vec<Value>],
        read: &[bool],
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        let _ = read;
        self.select(t, &Filter::Keys(keys), f)
    }
    /// A number that differs between two calls when another connection
    /// committed a change to the store between them; `None` when the backend
    /// cannot tell, and a caller must then assume that something changed.
    fn others_version(&self) -> Result<Option<i64>> {
        Ok(None)
    }
    fn savepoint(&self) -> Result<()>;
    /// Rolls back to the savepoint and releases it.
    fn rollback_savepoint(&self) -> Result<()>;

    // --- erasure --------------------------------------------------------

    /// Readies the open write transaction for an erasure: hashing under the
    /// tenant secret, foreign keys checked at commit.
    fn prepare_erasure(&self, secret: &str) -> Result<()>;
    /// Rows the statements themselves deleted (not cascades).
    fn delete_keys(&self, t: &TableSchema, keys: &[Vec<Value>]) -> Result<u64>;
    fn anonymize_keys(
        &self,
        t: &TableSchema,
        sets: &[(String, Assign)],
        keys: &[Vec<Value>],
    ) -> Result<u64>;
    /// Deletes the rows of `t` whose `columns` hold one of `tuples`: the
    /// rows `select` with `Filter::In` of the same columns and tuples
    /// gives, compared alike (a link's rows, by its parents' values). Rows
    /// the statements themselves deleted (not cascades).
    fn delete_in(&self, t: &TableSchema, columns: &[String], tuples: &[Vec<Value>]) -> Result<u64>;
    /// Replaces one value only if it is still `old`.
    fn replace_text(
        &self,
        t: &TableSchema,
        key: &[Value],
        column: &str,
        old: &str,
        new: &str,
    ) -> Result<u64>;

    // --- the watch on a write transaction ---------------------------------

    /// Starts watching row changes in the tables of `schema` (not `_dsr_`
    /// ones); `counted` is a table whose deletions are counted, not watched
    /// row by row. Returns the tables watched row by row (the plan's keys
    /// are kept only for those).
    fn watch_start(&self, schema: &Schema, counted: Option<&str>) -> Result<HashSet<String>>;
    /// Ends the watch: the changed rows the plan did not name.
    fn watch_finish(&self, plan: &WatchPlan) -> Unplanned;
    /// Ends the watch without a report (it was dropped).
    fn watch_stop(&self);

    /// Starts, where the backend has one, a watch by counts alone, with no
    /// cost per row: it tells only whether every row changed from now on
    /// is one that dsr's own statements changed (SQLite: the connection's
    /// count of changed rows, and a savepoint where foreign-key actions
    /// may change rows). False where the backend
    /// has none, or where the store's own rules would often write more than
    /// dsr does (triggers): the ordinary watch is then used.
    fn quick_watch_start(&self) -> Result<bool> {
        Ok(false)
    }
    /// Whether [`Backend::quick_watch_start`] would start a watch by
    /// counts (asked before a plan, which may then leave rows unread that
    /// only the row-by-row watch would need).
    fn quick_watch_possible(&self) -> Result<bool> {
        Ok(false)
    }
    /// Ends the watch by counts: true when the rows changed since it began
    /// are exactly `own`, the rows dsr's own statements changed themselves
    /// (the changes stay); false otherwise, with everything since it began
    /// undone, or the refusal where nothing but dsr's statements could have
    /// changed rows and so no savepoint was taken.
    fn quick_watch_finish(&self, _own: u64) -> Result<bool> {
        Ok(false)
    }

    // --- retention ------------------------------------------------------

    /// Inside a write transaction, where [`Capabilities::writes_block_all`]
    /// is false, the rows are locked as they are read (see
    /// [`Backend::rows_reading`]).
    fn expired_page(&self, t: &TableSchema, after: &str, at: &PageAt<'_>) -> Result<ExpiredPage>;
    /// [`Backend::expired_page`] reading only the columns `read` marks
    /// (by schema index; the key always): the others are NULL in the rows
    /// returned. A backend may read them all.
    fn expired_page_reading(
        &self,
        t: &TableSchema,
        after: &str,
        at: &PageAt<'_>,
        read: &[bool],
    ) -> Result<ExpiredPage> {
        let _ = read;
        self.expired_page(t, after, at)
    }
    /// Where the rows of `t` that may have expired (those
    /// [`Backend::expired_page`] would return) lie in key order, where an
    /// index of `after` tells it without reading the table (see
    /// [`ExpiredBounds`]). Only asked for a table with one integer key
    /// ([`TableSchema::integer_key`]), and only offered by a backend whose
    /// pages of that table go in key order, so that `[lo - 1]` is a page's
    /// cursor.
    fn expired_key_bounds(
        &self,
        t: &TableSchema,
        after: &str,
        before: i64,
    ) -> Result<ExpiredBounds> {
        let _ = (t, after, before);
        Ok(None)
    }
    fn range_end(
        &self,
        t: &TableSchema,
        lo: Option<&[Value]>,
        span: usize,
    ) -> Result<Option<Vec<Value>>>;
    /// The smallest and largest key of a table whose key is one integer
    /// ([`TableSchema::integer_key`]); None when it is empty.
    fn key_bounds(&self, t: &TableSchema) -> Result<Option<(i64, i64)>>;
    fn surely_expired_keys(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        range: KeyRange<'_>,
    ) -> Result<Vec<Vec<Value>>>;
    fn expiry_candidates(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        range: KeyRange<'_>,
    ) -> Result<Vec<(Vec<Value>, Value)>>;
    fn delete_surely_expired(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        range: KeyRange<'_>,
    ) -> Result<u64>;
    /// The tenant's sweep lock, or exit 6 naming the holder; with `wait`,
    /// blocks (said on stderr when `announce`).
    fn sweep_lock(&self, wait: bool, now: &str, announce: bool) -> Result<SweepLock>;
    /// Settles the connection for a sweep's many batches of deletes (its
    /// own, not the store's: SQLite's page cache and statement journal).
    fn prepare_sweep(&self) -> Result<()> {
        Ok(())
    }

    // --- SQL for dsr's own tables -----------------------------------------
    //
    // dsr's `_dsr_` tables are plain text and integer columns whose
    // statements are the same on both dialects, written once in shared
    // code with numbered placeholders (`?1`, `?2`, …), which each backend
    // renders (PostgreSQL: `$1`, …). Never used for the tenant's tables.

    /// Runs statements without parameters (a migration step's DDL).
    fn sql_batch(&self, sql: &str, doing: &str) -> Result<()>;
    /// Runs one statement; the rows it changed.
    fn sql_exec(&self, sql: &str, params: &[Value], doing: &str) -> Result<u64>;
    /// Runs one query, calling `f` with each row's cells.
    fn sql_query(
        &self,
        sql: &str,
        params: &[Value],
        doing: &str,
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<()>,
    ) -> Result<()>;
}
