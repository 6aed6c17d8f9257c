//! The tenant's store: an interface over backends (SQLite in `sqlite/`,
//! PostgreSQL in `pg/`), opened from the URL in one place ([`open`]).
//! Commands ask for rows by filters and needles, never write SQL, and never
//! name a driver: all SQL lives under `src/store/` (and in `demo`, which
//! builds a store).
//!
//! [`Store`] holds the backend as a [`Backend`] trait object and keeps the
//! ergonomic generic methods (`select`, `write`, `read`, `snapshot`, …) as
//! thin wrappers, with what is the same on every backend: row references
//! (`refs`), the tenant secret, dsr's own tables (`trail`, `requests`,
//! `write`, `migrate`, through the backend's small SQL interface) and the
//! plan bookkeeping of the watch.

pub mod backend;
#[cfg(test)]
mod contract;
mod expire;
pub mod load;
mod memo;
pub mod migrate;
pub mod pg;
pub mod refs;
pub mod requests;
pub mod schema;
pub mod sqlite;
mod trail;
mod watch;
pub mod write;

use crate::error::{Error, Result};
use crate::ident::Kind;
use crate::value::Value;
use schema::{Schema, TableSchema};
use std::collections::HashSet;

pub use backend::{Backend, BackendKind, Capabilities, Cell, Mode, SweepLock};
pub use expire::{Cutoffs, ExpiredBounds, ExpiredPage, KeyRange, PageAt};
pub use trail::{AuditItem, AuditRow, TrailFacts};
pub use watch::{Unplanned, Watch, WatchPlan};
pub use write::{Assign, Deferred};

pub struct Store {
    backend: Box<dyn Backend>,
    today: jiff::civil::Date,
    /// Tables whose key is personal data (see `refs`).
    personal_keys: HashSet<String>,
    /// Lookups read once per column while on (see `memo`).
    memo: std::cell::RefCell<Option<memo::Memo>>,
    /// The tenant secret as read in the transaction of [`Store::write`]
    /// or [`Store::read`] under way (`secret_held` is set for their
    /// length): read once there, not once per row reference. Only dsr
    /// writes it, and forgets it when it does (`forget_secret`).
    secret: std::cell::RefCell<Option<String>>,
    secret_held: std::cell::Cell<bool>,
}

/// A row as read: its key (primary key values, or the backend's row id for
/// a table without one) and every column's value in schema order.
#[derive(Debug, Clone)]
pub struct Row {
    pub key: Vec<Value>,
    pub values: Vec<Value>,
}

/// Which rows to read.
pub enum Filter<'a> {
    /// (c1, …, cn) equals one of the tuples.
    In {
        columns: &'a [String],
        tuples: &'a [Vec<Value>],
    },
    /// The column's text starts with one of `prefixes`, compared by code
    /// point, or ignoring ASCII case when `nocase`. An index on the column
    /// (a case-folding one for `nocase`) answers it with one range per
    /// prefix: `lo <= col < hi`, `hi` being the prefix with its last
    /// character advanced; non-text values never match.
    Prefixed {
        column: &'a str,
        prefixes: &'a [String],
        nocase: bool,
    },
    /// The column, normalised as an identifier of `kind`, is one of `keys`:
    /// the fallback when no index can answer (a scan). Where the backend
    /// cannot normalise in SQL it reads the column and normalises in Rust.
    Normalized {
        column: &'a str,
        kind: Kind,
        keys: &'a [String],
    },
    /// Rows by their keys (as `Row::key` gives them).
    Keys(&'a [Vec<Value>]),
}

impl Filter<'_> {
    /// What the filter is, for `DSR_TRACE` (names and counts, no values).
    fn describe(&self) -> String {
        match self {
            Filter::In { columns, tuples } => {
                format!("in({}) x{}", columns.join(","), tuples.len())
            }
            Filter::Prefixed {
                column,
                prefixes,
                nocase,
            } => {
                format!(
                    "prefixed({column}{}) x{}",
                    if *nocase { " nocase" } else { "" },
                    prefixes.len()
                )
            }
            Filter::Normalized { column, kind, keys } => {
                format!("normalized({column} {}) x{}", kind.as_str(), keys.len())
            }
            Filter::Keys(k) => format!("keys x{}", k.len()),
        }
    }
}

/// What a free-text value must hold to be worth the exact matcher: the
/// narrowing of a scan, which each backend renders in its own SQL (SQLite:
/// `LIKE … ESCAPE`). A backend may return a superset; never fewer rows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Needle {
    /// The text occurs in the value; with `ignore_case`, ASCII letters
    /// compare ignoring case (the folding every backend does alike).
    Substring { text: String, ignore_case: bool },
    /// The digits occur in this order, with anything before, between and
    /// after them (separators may fall anywhere in a written number).
    DigitsInOrder(String),
}

/// Opens an existing store: a SQLite path (`sqlite:PATH`, `sqlite://PATH`
/// or a plain path), or a PostgreSQL URL (`postgres://…`). The one place a
/// store URL is read. Never creates a database where none was.
pub fn open(url: &str, mode: Mode, today: jiff::civil::Date) -> Result<Store> {
    let backend: Box<dyn Backend> = if pg::is_postgres_url(url) {
        Box::new(pg::backend::PgBackend::open(url, mode, today)?)
    } else {
        Box::new(sqlite::SqliteBackend::open(url, mode, today)?)
    };
    let store = Store {
        backend,
        today,
        personal_keys: Default::default(),
        memo: Default::default(),
        secret: Default::default(),
        secret_held: Default::default(),
    };
    // A store whose dsr tables a newer dsr wrote is refused before
    // anything is read from it.
    migrate::version(&store)?;
    Ok(store)
}

/// The local file a store URL names, for checks that compare paths (an
/// audit key file must not be the store); None for a server's URL.
pub fn local_file(url: &str) -> Option<std::path::PathBuf> {
    (!pg::is_postgres_url(url)).then(|| std::path::PathBuf::from(sqlite::path_of(url)))
}

impl Store {
    /// The store for messages: its path, or its URL with the password as `***`.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    pub fn kind(&self) -> BackendKind {
        self.backend.kind()
    }

    pub fn capabilities(&self) -> Capabilities {
        self.backend.capabilities()
    }

    /// Rows read by full-table scans in lookups so far (not the free-text
    /// scan): zero when every lookup was answered by an index.
    pub fn scanned_rows(&self) -> u64 {
        self.backend.scanned_rows()
    }

    /// The date identifiers are normalised against (personnummer centuries).
    pub fn today(&self) -> jiff::civil::Date {
        self.today
    }

    /// Reads the live schema.
    pub fn schema(&self) -> Result<Schema> {
        self.backend.schema()
    }

    pub(crate) fn has_table(&self, name: &str) -> Result<bool> {
        self.backend.has_table(name)
    }

    /// Up to `limit` non-null values of a column, for guessing what it holds.
    pub fn sample(&self, table: &str, column: &str, limit: usize) -> Result<Vec<Value>> {
        self.backend.sample(table, column, limit)
    }

    /// Reads the rows of `t` that match `filter`, calling `f` for each.
    pub fn select(&self, t: &TableSchema, filter: &Filter<'_>, f: impl FnMut(Row)) -> Result<()> {
        self.select_with(t, filter, f, false)
    }

    /// See [`Backend::select_to_change`]: the rows linked beneath what an
    /// erasure or a sweep found, locked as read where the store's writes
    /// do not keep the application out.
    pub fn select_to_change(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        f: impl FnMut(Row),
    ) -> Result<()> {
        self.select_with(t, filter, f, true)
    }

    fn select_with(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        mut f: impl FnMut(Row),
        to_change: bool,
    ) -> Result<()> {
        if self.select_memoized(t, filter, &mut f)? {
            return Ok(());
        }
        let mut rows = 0usize;
        let mut count = |r: Row| {
            rows += 1;
            f(r)
        };
        let scanned = self.backend.scanned_rows();
        let out = crate::trace::step(
            || format!("select {} {}", t.name, filter.describe()),
            || {
                if to_change {
                    self.backend.select_to_change(t, filter, &mut count)
                } else {
                    self.backend.select(t, filter, &mut count)
                }
            },
            |_| String::new(),
        );
        if crate::trace::on() {
            eprintln!(
                "dsr trace:     rows {rows}, scanned {}",
                self.backend.scanned_rows() - scanned
            );
        }
        out
    }

    /// Streams (key, text) for the values of a text column that may hold
    /// one of the needles: the whole-table search behind free-text
    /// mentions, narrowed in the store so that only candidate rows reach
    /// the caller's exact matcher.
    pub fn scan_text(
        &self,
        t: &TableSchema,
        column: &str,
        needles: &[Needle],
        mut f: impl FnMut(Vec<Value>, &str),
    ) -> Result<()> {
        if needles.is_empty() {
            return Ok(());
        }
        let mut rows = 0usize;
        let mut count = |k: Vec<Value>, text: &str| {
            rows += 1;
            f(k, text)
        };
        let out = crate::trace::step(
            || format!("scan_text {}.{column} {} needles", t.name, needles.len()),
            || self.backend.scan_text(t, column, needles, &mut count),
            |_| String::new(),
        );
        if crate::trace::on() {
            eprintln!("dsr trace:     candidates {rows}");
        }
        out
    }

    /// [`Backend::select_in_key_order`]: the rows of `t` whose `columns`
    /// equal one of `tuples` (distinct), in key order, as they stream
    /// from the store. A row out of order (a key type whose order in the
    /// store is not dsr's) stops the read with an error rather than
    /// giving a copy in another order.
    pub fn select_in_key_order(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
        mut f: impl FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        let mut last: Option<Vec<Value>> = None;
        self.backend
            .select_in_key_order(t, columns, tuples, &mut |row: Row| {
                if let Some(prev) = &last {
                    if !crate::value::key_cmp(prev, &row.key).is_lt() {
                        return Err(Error::Runtime(format!(
                            "the store {} gave the rows of {} out of the order of their keys; nothing was written; report this with the types of the table's key columns",
                            self.describe(),
                            t.name
                        )));
                    }
                }
                match &mut last {
                    Some(k) => k.clone_from(&row.key),
                    None => last = Some(row.key.clone()),
                }
                f(row)
            })
    }

    /// [`Backend::count_in`]: how many rows of `t` have `columns` equal to
    /// one of `tuples` (distinct).
    pub fn count_in(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
    ) -> Result<u64> {
        self.backend.count_in(t, columns, tuples)
    }

    /// Whether an erasure's write transaction would be watched by counts
    /// alone ([`Backend::quick_watch_possible`]).
    pub fn quick_watch_possible(&self) -> Result<bool> {
        self.backend.quick_watch_possible()
    }

    /// Rows in a table.
    pub fn count(&self, t: &TableSchema) -> Result<u64> {
        self.backend.count(t)
    }

    /// Calls `f` with every row of `t` (its columns' values in schema
    /// order), in batches by the table's storage key. Returns the number
    /// of rows read.
    pub fn scan_all(
        &self,
        t: &TableSchema,
        mut f: impl FnMut(&[Value]) -> Result<()>,
    ) -> Result<u64> {
        self.backend.scan_all(t, &mut f)
    }

    /// [`Backend::copy_csv`]: `t`'s rows as CSV records written by the
    /// store itself, or `None` (write them from [`Store::scan_all`]).
    pub fn copy_csv(
        &self,
        t: &TableSchema,
        out: &mut dyn std::io::Write,
        werr: &dyn Fn(std::io::Error) -> Error,
    ) -> Result<Option<u64>> {
        self.backend.copy_csv(t, out, werr)
    }

    /// Runs `f` as one consistent snapshot where the backend can hold one
    /// without blocking the application's writers (SQLite in WAL mode);
    /// otherwise each batch is its own read.
    pub fn snapshot<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if !self.backend.begin_snapshot()? {
            return f();
        }
        let out = f();
        let end = self.backend.end_read(out.is_ok());
        match (out, end) {
            (Ok(v), Ok(())) => Ok(v),
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        }
    }

    /// Runs `f` in one read transaction, so that what it reads of the trail
    /// (records, head, secret) is one consistent snapshot even while
    /// another dsr appends. Inside a write transaction it simply runs.
    pub fn read<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        if self.backend.in_transaction() {
            return f(self);
        }
        self.backend.begin_read()?;
        self.hold_secret(true);
        let out = f(self);
        self.hold_secret(false);
        let done = self.backend.end_read(out.is_ok());
        match (out, done) {
            (Ok(v), Ok(())) => Ok(v),
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        }
    }

    /// Runs `f` in one write transaction, its locks taken at once so that
    /// the wait for the application's lock happens before any work.
    /// Nothing of `f`'s is kept unless it returns Ok and the commit succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.backend.begin_write()?;
        self.hold_secret(true);
        let out = f(&Tx { store: self });
        self.hold_secret(false);
        let done = match out {
            Ok(v) => self.backend.commit().map(|_| v),
            Err(e) => Err(e),
        };
        if done.is_err() && self.backend.in_transaction() {
            // Nothing of the command's is kept.
            self.backend.rollback();
        }
        done
    }

    /// The tenant's sweep lock, held until dropped (exit 6 when another
    /// sweep holds it and `wait` is false).
    pub fn sweep_lock(&self, wait: bool, now: &str, announce: bool) -> Result<SweepLock> {
        self.backend.sweep_lock(wait, now, announce)
    }

    /// Settles the connection for a sweep's batches (see
    /// [`Backend::prepare_sweep`]).
    pub fn prepare_sweep(&self) -> Result<()> {
        self.backend.prepare_sweep()
    }

    /// A page of the rows of `t` whose `after` column holds a time before
    /// `before` (Unix seconds), after `cursor` (the `next` of the page
    /// before; None for the first). Integers and reals are Unix seconds,
    /// text is ISO-8601 (or a long run of digits, Unix seconds); NULL and
    /// unreadable values are never returned. The caller checks each row
    /// exactly: this is the narrowing in the store. The pages come in key
    /// order, or in the order of an index of `after` where the backend has
    /// one that reads fewer rows (see [`ExpiredPage::next`]).
    pub fn expired_page(
        &self,
        t: &TableSchema,
        after: &str,
        before: i64,
        cursor: Option<&[Value]>,
        limit: usize,
    ) -> Result<ExpiredPage> {
        let at = PageAt {
            before,
            cursor,
            until: None,
            limit,
        };
        self.backend.expired_page(t, after, &at)
    }

    /// [`Store::expired_page`] with its bounds in one place, reading only
    /// the columns `read` marks (by schema index; the key always) where
    /// given: the others read as NULL. For callers that know every column
    /// they will look at (the sweep's planning).
    pub fn expired_page_at(
        &self,
        t: &TableSchema,
        after: &str,
        at: &PageAt<'_>,
        read: Option<&[bool]>,
    ) -> Result<ExpiredPage> {
        match read {
            Some(read) => self.backend.expired_page_reading(t, after, at, read),
            None => self.backend.expired_page(t, after, at),
        }
    }

    /// See [`Backend::expired_key_bounds`]: where the rows of `t` that may
    /// have expired lie in key order, where an index tells it cheaply;
    /// None for a table whose key is not one integer.
    pub fn expired_key_bounds(
        &self,
        t: &TableSchema,
        after: &str,
        before: i64,
    ) -> Result<ExpiredBounds> {
        if !t.integer_key() {
            return Ok(None);
        }
        self.backend.expired_key_bounds(t, after, before)
    }

    /// See [`Backend::rows_reading`]: rows by key as they are now, only
    /// some columns read (all with `None`).
    pub fn rows_reading(
        &self,
        t: &TableSchema,
        keys: &[Vec<Value>],
        read: Option<&[bool]>,
        mut f: impl FnMut(Row),
    ) -> Result<()> {
        let all;
        let read = match read {
            Some(read) => read,
            None => {
                all = vec![true; t.columns.len()];
                &all
            }
        };
        self.backend.rows_reading(t, keys, read, &mut f)
    }

    /// See [`Backend::others_version`]: whether rows read before a write
    /// transaction began may have been changed by another connection since.
    pub fn others_version(&self) -> Result<Option<i64>> {
        self.backend.others_version()
    }

    /// The key of the row `span` rows after `lo` in key order (after the
    /// first row when `lo` is None): the end of the next range of a
    /// one-pass sweep, or None when fewer rows remain.
    pub fn range_end(
        &self,
        t: &TableSchema,
        lo: Option<&[Value]>,
        span: usize,
    ) -> Result<Option<Vec<Value>>> {
        self.backend.range_end(t, lo, span)
    }

    /// The smallest and largest key of a table keyed by one integer (see
    /// [`TableSchema::integer_key`]), or None when it is empty.
    pub fn key_bounds(&self, t: &TableSchema) -> Result<Option<(i64, i64)>> {
        self.backend.key_bounds(t)
    }

    /// The keys of the rows in the key range (lo, hi] that have surely
    /// expired (see [`Cutoffs`]): what [`Tx::delete_surely_expired`] would
    /// delete (a dry run).
    pub fn surely_expired_keys(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        range: KeyRange<'_>,
    ) -> Result<Vec<Vec<Value>>> {
        self.backend.surely_expired_keys(t, after, cut, range)
    }

    /// The rows in the key range (lo, hi] that may have expired but not
    /// surely (text values, and numbers near the cutoff), as (key, `after`
    /// value), for the caller to test exactly.
    pub fn expiry_candidates(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        range: KeyRange<'_>,
    ) -> Result<Vec<(Vec<Value>, Value)>> {
        self.backend.expiry_candidates(t, after, cut, range)
    }

    /// One query of dsr's own tables (see [`Backend::sql_query`]).
    fn query(
        &self,
        sql: &str,
        params: &[Value],
        doing: &str,
        mut f: impl FnMut(&[Cell<'_>]) -> Result<()>,
    ) -> Result<()> {
        self.backend.sql_query(sql, params, doing, &mut f)
    }

    /// The first row's first cell of a query of dsr's own tables, as `f`
    /// reads it; None when there is no row.
    fn query_one<T>(
        &self,
        sql: &str,
        params: &[Value],
        doing: &str,
        f: impl Fn(Cell<'_>) -> T,
    ) -> Result<Option<T>> {
        let mut out = None;
        self.query(sql, params, doing, |r| {
            if out.is_none() {
                out = r.first().map(|c| f(*c));
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The tenant's secret, if it has been created. Read once per
    /// transaction of [`Store::write`] or [`Store::read`].
    pub fn secret(&self) -> Result<Option<String>> {
        if self.secret_held.get() {
            if let Some(s) = self.secret.borrow().as_ref() {
                return Ok(Some(s.clone()));
            }
        }
        if !self.has_table("_dsr_meta")? {
            return Ok(None);
        }
        let read = self.query_one(
            "SELECT value FROM _dsr_meta WHERE key = 'secret'",
            &[],
            "reading the tenant secret from",
            |c| c.to_text(),
        )?;
        if self.secret_held.get() {
            self.secret.borrow_mut().clone_from(&read);
        }
        Ok(read)
    }

    /// Forgets the secret read in this transaction: dsr is writing it, or
    /// the transaction (or a savepoint, which may undo its writing) ends.
    pub(crate) fn forget_secret(&self) {
        *self.secret.borrow_mut() = None;
    }

    /// Keeps the secret for the length of one transaction.
    fn hold_secret(&self, on: bool) {
        self.forget_secret();
        self.secret_held.set(on);
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        if !self.has_table("_dsr_meta")? {
            return Ok(None);
        }
        // Read whatever type is stored, so that an edited value (a blob
        // head, say) is judged by its reader, not a driver error.
        self.query_one(
            "SELECT value FROM _dsr_meta WHERE key = ?1",
            &[text(key)],
            "reading _dsr_meta in",
            |c| c.to_text(),
        )
    }

    /// The last audit record's seq and hash.
    pub fn audit_tail(&self) -> Result<Option<(i64, String)>> {
        let mut out = None;
        self.query(
            "SELECT seq, hash FROM _dsr_audit ORDER BY seq DESC LIMIT 1",
            &[],
            "reading the audit trail in",
            |r| {
                if out.is_none() {
                    out = Some((r[0].integer().unwrap_or(0), r[1].to_text()));
                }
                Ok(())
            },
        )?;
        Ok(out)
    }
}

/// A text parameter.
pub(crate) fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// An optional text parameter (NULL for None).
pub(crate) fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, text)
}

/// A write transaction in progress; reads through it see its own writes.
pub struct Tx<'a> {
    store: &'a Store,
}

impl std::ops::Deref for Tx<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store
    }
}

impl Tx<'_> {
    /// One statement on dsr's own tables; the rows it changed.
    pub(super) fn exec(&self, sql: &str, params: &[Value], doing: &str) -> Result<u64> {
        self.store.backend.sql_exec(sql, params, doing)
    }

    /// Readies the transaction for an erasure (dsr's own tables exist:
    /// `ensure_tool_tables`): values hashed under the tenant secret, the
    /// store's foreign keys checked at commit.
    pub fn prepare_erasure(&self, secret: &str) -> Result<()> {
        self.store.backend.prepare_erasure(secret)
    }

    /// Whether the transaction is still open: some failures of the store
    /// (a trigger's `RAISE(ROLLBACK)`, a full disk) end it early.
    pub fn is_open(&self) -> bool {
        self.store.backend.in_transaction()
    }

    /// Runs `f` and then undoes everything it did, keeping the rest of the
    /// transaction (a savepoint): a dry run carries out its plan this way,
    /// so that it meets every refusal the real run would. `f`'s result is
    /// returned either way.
    pub fn trial<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.store.backend.savepoint()?;
        let out = f(self);
        self.forget_secret();
        let undone = self.store.backend.rollback_savepoint();
        match (out, undone) {
            // A failure that ended the whole transaction took the savepoint along.
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(e),
            (Ok(v), Ok(())) => Ok(v),
        }
    }

    /// Deletes rows by key; returns how many the statements themselves
    /// deleted (not counting cascades).
    pub fn delete_keys(&self, t: &TableSchema, keys: &[Vec<Value>]) -> Result<u64> {
        self.store.backend.delete_keys(t, keys)
    }

    /// Deletes the rows whose `columns` hold one of `tuples` (the rows
    /// [`Filter::In`] selects; see [`Backend::delete_in`]); returns how many
    /// the statements themselves deleted (not counting cascades).
    pub fn delete_in(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
    ) -> Result<u64> {
        if tuples.is_empty() {
            return Ok(0);
        }
        self.store.backend.delete_in(t, columns, tuples)
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
        self.store.backend.anonymize_keys(t, sets, keys)
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
        self.store.backend.replace_text(t, key, column, old, new)
    }

    /// Deletes the rows in the key range (lo, hi] that have surely expired
    /// (see [`Cutoffs`]) in one statement, one pass over the range; returns
    /// how many it deleted itself.
    pub fn delete_surely_expired(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        range: KeyRange<'_>,
    ) -> Result<u64> {
        self.store
            .backend
            .delete_surely_expired(t, after, cut, range)
    }

    /// Creates dsr's own tables (or migrates them to this dsr's version:
    /// `migrate`) and the tenant secret on first use. First use only: where
    /// the trail already has records or a head, a missing secret is a broken
    /// trail (exit 7), never silently made anew, since a new secret would
    /// break every earlier subject reference.
    pub fn ensure_tool_tables(&self) -> Result<String> {
        let mut secret = None;
        self.store.backend.own_tables_write(&mut || {
            secret = Some(self.make_tool_tables()?);
            Ok(())
        })?;
        secret.ok_or_else(|| Error::Runtime("the tenant secret could not be read back".into()))
    }

    /// [`Self::ensure_tool_tables`]'s work: dsr's tables only.
    fn make_tool_tables(&self) -> Result<String> {
        migrate::pending(self)?;
        // The common case: the secret is there, and inserting it would do nothing.
        if let Some(secret) = self.secret()? {
            return Ok(secret);
        }
        let f = self.trail_facts()?;
        if f.newest.is_some() || f.head.is_some() {
            let records = self.audit_count()?;
            return Err(Error::ChainBroken(format!(
                "the audit trail is broken: the tenant secret is missing from _dsr_meta, though the trail has {} record{}{}; nothing was changed or released; restore _dsr_meta from a backup, or after investigating run `dsr audit repair --reason TEXT` (which makes a new secret and says so)",
                records,
                if records == 1 { "" } else { "s" },
                if f.head.is_some() { " and a head" } else { "" }
            )));
        }
        self.exec(
            "INSERT INTO _dsr_meta (key, value) VALUES ('secret', ?1) ON CONFLICT (key) DO NOTHING",
            &[Value::Text(refs::new_secret()?)],
            "creating the tenant secret in",
        )?;
        self.forget_secret();
        self.secret()?
            .ok_or_else(|| Error::Runtime("the tenant secret could not be read back".into()))
    }

    /// Takes the tenant's secret kept (sealed) in the audit log mirror for
    /// a store restored from a backup taken before dsr first ran, so that
    /// hashes and subject references stay what they were (DESIGN §9). A
    /// store that has a secret keeps its own.
    pub fn adopt_secret(&self, secret: &str) -> Result<()> {
        migrate::pending(self)?;
        self.exec(
            "INSERT INTO _dsr_meta (key, value) VALUES ('secret', ?1) ON CONFLICT (key) DO NOTHING",
            &[text(secret)],
            "writing the tenant secret to",
        )?;
        self.forget_secret();
        Ok(())
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        if key == "secret" {
            self.forget_secret();
        }
        self.exec(
            "INSERT INTO _dsr_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[text(key), text(value)],
            "writing _dsr_meta in",
        )
        .map(|_| ())
    }

    pub fn audit_insert(&self, r: &AuditRow) -> Result<()> {
        self.exec(
            "INSERT INTO _dsr_audit (seq, at, operator, command, request, subject, outcome, details, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            &[
                Value::Integer(r.seq),
                text(&r.at),
                text(&r.operator),
                text(&r.command),
                opt_text(r.request.as_deref()),
                opt_text(r.subject.as_deref()),
                text(&r.outcome),
                text(&r.details),
                text(&r.prev_hash),
                text(&r.hash),
            ],
            "writing the audit record to",
        )
        .map(|_| ())
    }
}
