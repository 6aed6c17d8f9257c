//! The SQLite backend: a rusqlite connection to the tenant's database
//! file. One module per job: opening and failures here, schema
//! introspection (`schema`), reads (`read`), writes and transactions
//! (`write`), the watch (`watch`), retention (`expire`), and the SQL of
//! dsr's own tables (`sql`).

mod expire;
mod read;
mod schema;
mod split;
mod sql;
mod watch;
mod write;

use super::backend::{Backend, BackendKind, Capabilities, Cell as SqlCell, Mode, SweepLock};
use super::expire::{Cutoffs, ExpiredBounds, ExpiredPage, KeyRange, PageAt};
use super::schema::{RowIds, Schema, TableSchema};
use super::watch::{Unplanned, WatchPlan};
use super::write::Assign;
use super::{Filter, Needle, Row};
use crate::error::{Error, Result};
use crate::ident::{self, Kind};
use crate::value::Value;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Also PostgreSQL's: the needles' LIKE patterns and the prefix ranges
/// are the same text on both.
pub(crate) use read::{like_pattern, prefix_ranges, spread};
#[cfg(test)]
pub(crate) use schema::{column_type, max_len};

/// How long dsr waits for the application's write lock before giving up.
const DEFAULT_BUSY_MS: u64 = 5_000;
/// Values bound per statement; well under SQLite's limit of 32,766.
const CHUNK: usize = 500;

pub struct SqliteBackend {
    /// Read-only connections that take part of a long free-text scan (see
    /// `split`). Declared before `conn` so that they close first, and the
    /// main connection, closing last, checkpoints the WAL as it always did.
    helpers: split::Helpers,
    conn: Connection,
    path: PathBuf,
    busy: Duration,
    /// Rows stepped through by full-table scans in `select` (not the
    /// free-text scan): zero when every lookup was answered by an index.
    scanned: Cell<u64>,
    /// What the watch's triggers saw (see `watch`).
    seen: watch::Shared,
    /// Whether the store has triggers or foreign-key actions (see `watch`).
    own_rules: Cell<Option<bool>>,
    /// Whether the store has triggers (see `watch`).
    triggers: Cell<Option<bool>>,
    /// The connection's count of changed rows when a watch by counts
    /// began (see `watch`).
    quick_from: Cell<Option<u64>>,
    /// Whether that watch began with a savepoint to undo to (see `watch`).
    quick_undo: Cell<bool>,
    /// The secret `dsr_hash` was created with on this connection.
    hashing: RefCell<Option<String>>,
    /// Whether the store declares foreign keys (see `write`).
    foreign_keys: Cell<Option<bool>>,
    /// The date identifiers are normalised against (personnummer centuries).
    today: jiff::civil::Date,
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
            // Values only another backend reads: as SQLite would store them.
            Value::Bool(b) => ValueRef::Integer(i64::from(*b)),
            Value::Numeric(s) | Value::Json(s) => ValueRef::Text(s.as_bytes()),
            Value::Array(_) => {
                return Ok(ToSqlOutput::Owned(rusqlite::types::Value::Text(
                    self.to_json().to_string(),
                )))
            }
        }))
    }
}

fn from_ref(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl SqliteBackend {
    /// Opens an existing store. `sqlite:PATH` or a plain path; never creates
    /// a database where none was.
    pub fn open(url: &str, mode: Mode, today: jiff::civil::Date) -> Result<SqliteBackend> {
        let read_only = mode == Mode::ReadOnly;
        let path = parse_url(url)?;
        if !path.exists() {
            return Err(Error::Runtime(format!(
                "the store {} does not exist; check --store / DSR_STORE or the tenant's `store` in the config",
                path.display()
            )));
        }
        if path.is_dir() {
            return Err(Error::Runtime(format!(
                "the store {} is a directory, not a SQLite database file; give the path of the tenant's database file (--store / DSR_STORE)",
                path.display()
            )));
        }
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
            // SQLite would take an empty file for an empty database, and
            // every mapped table would then seem to be missing.
            return Err(Error::Runtime(format!(
                "the store {} is an empty file (0 bytes), not a tenant's database: is the path right? dsr never creates a store; nothing was read or changed",
                path.display()
            )));
        }
        if !read_only {
            // dsr writes an audit record of every command that reads personal
            // data: a store it cannot write is refused before anything is read.
            if let Err(e) = std::fs::OpenOptions::new().write(true).open(&path) {
                use std::io::ErrorKind as K;
                if matches!(e.kind(), K::ReadOnlyFilesystem | K::PermissionDenied) {
                    return Err(Error::Runtime(format!(
                        "the store {} cannot be written ({}); dsr records every command in the store's audit trail, so it needs write access to the file and its directory; nothing was read or changed",
                        path.display(),
                        crate::error::io_reason(&e)
                    )));
                }
            }
        }
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(&path, flags).map_err(|e| db_error(&path, "opening", e))?;
        let busy = std::env::var("DSR_BUSY_TIMEOUT")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_millis(DEFAULT_BUSY_MS));
        if !read_only {
            // Per connection, not a setting of the store: erasure runs with
            // the store's foreign keys enforced.
            // Also per connection: what dsr deletes or overwrites is
            // overwritten with zeros in the file, not left in free space
            // where a copy of the file would still hold it.
            conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON")
                .map_err(|e| db_error(&path, "opening", e))?;
        }
        BUSY_MS.store(busy.as_millis() as u64, Ordering::Relaxed);
        // A sweep's batch runs a few dozen statement shapes (reads, chunked
        // deletes, the audit record's): rusqlite's 16 cached would prepare
        // most of them anew every batch.
        conn.set_prepared_statement_cache_capacity(128);
        conn.busy_handler(Some(wait_for_lock))
            .map_err(|e| db_error(&path, "opening", e))?;
        // Touch the schema now, so that a file that is not a database fails
        // here with a clear message rather than in the middle of a command.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| locked_detail(db_error(&path, "reading the schema of", e), busy))?;
        register_functions(&conn, today).map_err(|e| db_error(&path, "preparing", e))?;
        crate::trace::note(|| format!("SQLite {}", rusqlite::version()));
        let seen = watch::Shared::default();
        watch::register(&conn, &seen).map_err(|e| db_error(&path, "preparing", e))?;
        Ok(SqliteBackend {
            helpers: split::Helpers::default(),
            conn,
            path,
            busy,
            scanned: Cell::new(0),
            seen,
            own_rules: Cell::new(None),
            triggers: Cell::new(None),
            quick_from: Cell::new(None),
            quick_undo: Cell::new(false),
            hashing: RefCell::new(None),
            foreign_keys: Cell::new(None),
            today,
        })
    }

    /// The one boolean `sql` answers about the store's schema, read once per
    /// connection into `known`.
    pub(super) fn schema_flag(
        &self,
        known: &Cell<Option<bool>>,
        sql: &str,
        doing: &str,
    ) -> Result<bool> {
        if let Some(known) = known.get() {
            return Ok(known);
        }
        let found = self
            .conn
            .query_row(sql, [], |r| r.get::<_, bool>(0))
            .map_err(|e| self.err(doing, e))?;
        known.set(Some(found));
        Ok(found)
    }

    pub(crate) fn err(&self, doing: &str, e: rusqlite::Error) -> Error {
        locked_detail(db_error(&self.path, doing, e), self.busy)
    }
}

impl Backend for SqliteBackend {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }
    fn kind(&self) -> BackendKind {
        BackendKind::Sqlite
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            row_ids: RowIds::Stable,
            journal_advice: true,
            sql_functions: true,
            writes_block_all: true,
        }
    }
    fn schema(&self) -> Result<Schema> {
        self.read_schema()
    }
    fn has_table(&self, name: &str) -> Result<bool> {
        self.table_exists(name)
    }
    fn sample(&self, table: &str, column: &str, limit: usize) -> Result<Vec<Value>> {
        self.sample_values(table, column, limit)
    }
    fn select(&self, t: &TableSchema, filter: &Filter<'_>, f: &mut dyn FnMut(Row)) -> Result<()> {
        self.select_rows(t, filter, f)
    }
    fn scan_text(
        &self,
        t: &TableSchema,
        column: &str,
        needles: &[Needle],
        f: &mut dyn FnMut(Vec<Value>, &str),
    ) -> Result<()> {
        self.scan_text_values(t, column, needles, f)
    }
    fn count(&self, t: &TableSchema) -> Result<u64> {
        self.count_rows(t)
    }
    fn select_in_key_order(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
        f: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        self.select_ordered(t, columns, tuples, f)
    }
    fn count_in(&self, t: &TableSchema, columns: &[String], tuples: &[Vec<Value>]) -> Result<u64> {
        self.count_matching(t, columns, tuples)
    }
    fn scan_all(&self, t: &TableSchema, f: &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<u64> {
        self.scan_all_rows(t, f)
    }
    fn table_keys(&self, t: &TableSchema, f: &mut dyn FnMut(Vec<Value>)) -> Result<()> {
        self.all_keys(t, f)
    }
    fn scanned_rows(&self) -> u64 {
        self.scanned.get()
    }
    fn begin_write(&self) -> Result<()> {
        self.helpers.began_write(None);
        self.batch("BEGIN IMMEDIATE", "starting a write on")?;
        self.helpers.began_write(Some(self.conn.total_changes()));
        Ok(())
    }
    fn own_tables_write(&self, f: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        let unchanged = self
            .helpers
            .unchanged_since_begin(self.conn.total_changes());
        f()?;
        if unchanged {
            self.helpers.began_write(Some(self.conn.total_changes()));
        }
        Ok(())
    }
    fn begin_read(&self) -> Result<()> {
        self.helpers.began_write(None);
        self.batch("BEGIN", "starting a read of")
    }
    fn begin_snapshot(&self) -> Result<bool> {
        self.helpers.began_write(None);
        self.begin_wal_snapshot()
    }
    fn commit(&self) -> Result<()> {
        self.batch("COMMIT", "committing to")
    }
    fn end_read(&self, ok: bool) -> Result<()> {
        self.batch(if ok { "COMMIT" } else { "ROLLBACK" }, "ending a read of")
    }
    fn rollback(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
    fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }
    fn rows_reading(
        &self,
        t: &TableSchema,
        keys: &[Vec<Value>],
        read: &[bool],
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        let list = Self::select_only(t, read);
        self.select_listing(t, &Filter::Keys(keys), list, f)
    }
    fn others_version(&self) -> Result<Option<i64>> {
        // SQLite's own count, per connection, of commits by other
        // connections: inside a write transaction (BEGIN IMMEDIATE) it
        // counts up to the moment the lock was taken.
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map(Some)
            .map_err(|e| self.err("reading the data version of", e))
    }
    fn savepoint(&self) -> Result<()> {
        self.batch("SAVEPOINT dsr_trial", "starting a dry run on")
    }
    fn rollback_savepoint(&self) -> Result<()> {
        self.batch(
            "ROLLBACK TO dsr_trial; RELEASE dsr_trial",
            "undoing a dry run on",
        )
    }
    fn prepare_erasure(&self, secret: &str) -> Result<()> {
        self.prepare_hashing(secret)
    }
    fn delete_keys(&self, t: &TableSchema, keys: &[Vec<Value>]) -> Result<u64> {
        self.delete_by_keys(t, keys)
    }
    fn delete_in(&self, t: &TableSchema, columns: &[String], tuples: &[Vec<Value>]) -> Result<u64> {
        self.delete_in_rows(t, columns, tuples)
    }
    fn anonymize_keys(
        &self,
        t: &TableSchema,
        sets: &[(String, Assign)],
        keys: &[Vec<Value>],
    ) -> Result<u64> {
        self.anonymize_by_keys(t, sets, keys)
    }
    fn replace_text(
        &self,
        t: &TableSchema,
        key: &[Value],
        column: &str,
        old: &str,
        new: &str,
    ) -> Result<u64> {
        self.replace_one(t, key, column, old, new)
    }
    fn watch_start(&self, schema: &Schema, counted: Option<&str>) -> Result<HashSet<String>> {
        self.start_watch(schema, counted)
    }
    fn watch_finish(&self, plan: &WatchPlan) -> Unplanned {
        self.finish_watch(plan)
    }
    fn watch_stop(&self) {
        self.stop_watch()
    }
    fn quick_watch_start(&self) -> Result<bool> {
        self.start_quick_watch()
    }
    fn quick_watch_possible(&self) -> Result<bool> {
        self.counts_watch_possible()
    }
    fn quick_watch_finish(&self, own: u64) -> Result<bool> {
        self.finish_quick_watch(own)
    }
    fn expired_page(&self, t: &TableSchema, after: &str, at: &PageAt<'_>) -> Result<ExpiredPage> {
        let rows = self.expired_rows(t, after, at, None)?;
        Ok(ExpiredPage::by_key(rows))
    }
    fn expired_page_reading(
        &self,
        t: &TableSchema,
        after: &str,
        at: &PageAt<'_>,
        read: &[bool],
    ) -> Result<ExpiredPage> {
        let rows = self.expired_rows(t, after, at, Some(read))?;
        Ok(ExpiredPage::by_key(rows))
    }
    fn expired_key_bounds(
        &self,
        t: &TableSchema,
        after: &str,
        before: i64,
    ) -> Result<ExpiredBounds> {
        self.expired_bounds(t, after, before)
    }
    fn range_end(
        &self,
        t: &TableSchema,
        lo: Option<&[Value]>,
        span: usize,
    ) -> Result<Option<Vec<Value>>> {
        self.key_after(t, lo, span)
    }
    fn key_bounds(&self, t: &TableSchema) -> Result<Option<(i64, i64)>> {
        self.rowid_bounds(t)
    }
    fn surely_expired_keys(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        range: KeyRange<'_>,
    ) -> Result<Vec<Vec<Value>>> {
        self.surely_expired(t, after, cut, range)
    }
    fn expiry_candidates(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        range: KeyRange<'_>,
    ) -> Result<Vec<(Vec<Value>, Value)>> {
        self.candidates(t, after, cut, range)
    }
    fn delete_surely_expired(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        range: KeyRange<'_>,
    ) -> Result<u64> {
        self.delete_expired(t, after, cut, range)
    }
    fn sweep_lock(&self, wait: bool, now: &str, announce: bool) -> Result<SweepLock> {
        crate::lock::acquire(&self.path, wait, now, announce).map(SweepLock::new)
    }
    fn prepare_sweep(&self) -> Result<()> {
        // A batch reads and rewrites a few thousand pages of the table and
        // its indexes: with the default 2 MB page cache it spills dirty
        // pages into the write-ahead log mid-transaction and reads pages
        // again. And a DELETE from a table that a foreign key references
        // keeps a statement journal, a copy of every page it changes: in
        // memory rather than a temporary file. Both last for this
        // connection only.
        self.batch(
            "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY",
            "preparing the sweep of",
        )
    }
    fn sql_batch(&self, sql: &str, doing: &str) -> Result<()> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        self.batch(sql, doing)
    }
    fn sql_exec(&self, sql: &str, params: &[Value], doing: &str) -> Result<u64> {
        self.exec_values(sql, params, doing)
    }
    fn sql_query(
        &self,
        sql: &str,
        params: &[Value],
        doing: &str,
        f: &mut dyn FnMut(&[SqlCell<'_>]) -> Result<()>,
    ) -> Result<()> {
        self.query_cells(sql, params, doing, f)
    }
}

/// The path a SQLite store URL names: `sqlite://PATH`, `sqlite:PATH` or
/// a plain path.
pub(crate) fn path_of(url: &str) -> &str {
    let u = url.trim();
    u.strip_prefix("sqlite://")
        .or_else(|| u.strip_prefix("sqlite:"))
        .unwrap_or(u)
}

fn parse_url(url: &str) -> Result<PathBuf> {
    let p = path_of(url);
    if p.is_empty() {
        return Err(Error::Usage(
            "--store is empty; give the tenant's SQLite file".into(),
        ));
    }
    Ok(PathBuf::from(p))
}

/// How long [`wait_for_lock`] waits, in ms (the process opens one store).
static BUSY_MS: AtomicU64 = AtomicU64::new(DEFAULT_BUSY_MS);

thread_local! {
    /// When the current wait for the lock began.
    static WAITING_SINCE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// dsr's SQL functions, on every connection that runs its statements.
fn register_functions(conn: &Connection, today: jiff::civil::Date) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "dsr_norm",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            // The kind is the same for every row of a statement: read
            // it once (SQLite keeps it with the statement's constant).
            let kind =
                ctx.get_or_create_aux(0, |v| -> std::result::Result<_, rusqlite::Error> {
                    Ok(v.as_str().ok().and_then(Kind::from_code))
                })?;
            let Some(kind) = *kind else {
                return Ok(None);
            };
            let text = match ctx.get_raw(1) {
                ValueRef::Text(t) => String::from_utf8_lossy(t),
                ValueRef::Integer(i) => i.to_string().into(),
                _ => return Ok(None),
            };
            Ok(ident::normalize_stored(kind, &text, today))
        },
    )?;
    conn.create_scalar_function(
        "dsr_admits",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            // Built once per statement from the constant needles.
            let test =
                ctx.get_or_create_aux(0, |v| -> std::result::Result<_, rusqlite::Error> {
                    Ok(v.as_str()
                        .ok()
                        .and_then(read::decode_needles)
                        .and_then(|n| read::TextTest::new(&n).ok()))
                })?;
            Ok(match (test.as_ref(), ctx.get_raw(1)) {
                (Some(test), ValueRef::Text(t)) => test.admits(t),
                // Needles it cannot read: every value is a candidate.
                (None, ValueRef::Text(_)) => true,
                _ => false,
            })
        },
    )?;
    Ok(())
}

/// SQLite's busy handler: called with the number of earlier calls for this
/// lock; true to try again. SQLite's own handler sleeps up to 100 ms between
/// tries, which an application writing back to back never leaves a gap
/// long enough for; polling every 200 µs (1 ms after the first 50 ms) finds
/// the gaps between its transactions.
fn wait_for_lock(tries: i32) -> bool {
    let now = Instant::now();
    let since = WAITING_SINCE.with(|w| {
        if tries == 0 {
            w.set(Some(now));
        }
        w.get().unwrap_or(now)
    });
    let waited = now.duration_since(since);
    if waited >= Duration::from_millis(BUSY_MS.load(Ordering::Relaxed)) {
        return false;
    }
    std::thread::sleep(if waited < Duration::from_millis(50) {
        Duration::from_micros(200)
    } else {
        Duration::from_millis(1)
    });
    true
}

fn locked_detail(e: Error, busy: Duration) -> Error {
    match e {
        Error::Runtime(m) if m.contains("is locked") => {
            Error::Runtime(format!("{m} (waited {} ms)", busy.as_millis()))
        }
        e => e,
    }
}

/// SQLITE_IOERR_SHMSIZE: the WAL index could not be enlarged.
const IOERR_SHMSIZE: i32 = rusqlite::ffi::SQLITE_IOERR_SHMSIZE;
/// I/O errors while writing or growing a file (the write itself, fsync,
/// truncate/allocate, mapping the WAL index), which a full disk can cause
/// when the operating system does not say ENOSPC.
const IOERR_WRITING: [i32; 4] = [
    rusqlite::ffi::SQLITE_IOERR_WRITE,
    rusqlite::ffi::SQLITE_IOERR_FSYNC,
    rusqlite::ffi::SQLITE_IOERR_TRUNCATE,
    rusqlite::ffi::SQLITE_IOERR_SHMMAP,
];

/// Turns a SQLite failure into what the user needs: what, where, what to do.
pub fn db_error(path: &Path, doing: &str, e: rusqlite::Error) -> Error {
    use rusqlite::ffi::ErrorCode as C;
    let p = path.display();
    let extended = match &e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.extended_code),
        _ => None,
    };
    let full = || {
        format!(
            "the disk holding the store {p} is full ({doing} it); nothing was changed; free space and run again"
        )
    };
    let msg = match e.sqlite_error_code() {
        Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => format!(
            "the store {p} is locked by another process while {doing} it; nothing was changed; try again when the application's write finishes, or set DSR_BUSY_TIMEOUT (ms) higher"
        ),
        Some(C::NotADatabase) | Some(C::DatabaseCorrupt) => format!(
            "the store {p} is not a SQLite database or is damaged ({doing} it failed); nothing was changed; check the path, or restore the store from a backup"
        ),
        Some(C::DiskFull) => full(),
        // In WAL mode a full disk often shows as a failure to grow the
        // `-shm` index file, which SQLite reports as an I/O error.
        Some(C::SystemIoFailure) if extended == Some(IOERR_SHMSIZE) => full(),
        Some(C::SystemIoFailure) if extended.is_some_and(|x| IOERR_WRITING.contains(&x)) => format!(
            "could not write the store {p} ({doing} it): the disk is full or failing; nothing was changed; check free space (also for the -wal and -shm files beside it) and the disk, then run again"
        ),
        Some(C::ReadOnly) => format!(
            "the store {p} is read-only ({doing} it); nothing was changed; dsr must be able to write its audit record: run as a user who may write the store and its directory"
        ),
        Some(C::CannotOpen) | Some(C::PermissionDenied) => format!(
            "cannot open the store {p} ({doing} it): check that the file and its directory are readable and writable by this user"
        ),
        _ => format!("SQLite failed while {doing} the store {p}: {e}; nothing was changed"),
    };
    Error::Runtime(msg)
}

/// A store built with `sql` in a new directory, opened for writing, for
/// the backend's unit tests.
#[cfg(test)]
pub(super) fn test_store(sql: &str) -> (tempfile::TempDir, SqliteBackend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.db");
    let conn = rusqlite::Connection::open(&db).expect("db");
    conn.execute_batch(sql).expect("schema");
    drop(conn);
    let today = jiff::civil::date(2026, 11, 22);
    let b = SqliteBackend::open(
        db.to_str().expect("utf8"),
        crate::store::Mode::ReadWrite,
        today,
    )
    .expect("open");
    (dir, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_disks_in_wal_mode_are_reported_as_full() {
        let p = Path::new("/srv/t.db");
        let err = |code: i32| {
            let e = rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                Some("disk I/O error".into()),
            );
            db_error(p, "committing to", e).to_string()
        };
        for code in [rusqlite::ffi::SQLITE_FULL, IOERR_SHMSIZE] {
            let m = err(code);
            assert!(
                m.contains("the disk holding the store /srv/t.db is full"),
                "{m}"
            );
            assert!(m.contains("nothing was changed"), "{m}");
        }
        for code in IOERR_WRITING {
            let m = err(code);
            assert!(
                m.contains("the disk is full or failing") && m.contains("-wal"),
                "{m}"
            );
        }
        let m = err(rusqlite::ffi::SQLITE_IOERR_READ);
        assert!(m.contains("SQLite failed") && !m.contains("full"), "{m}");
    }
}
