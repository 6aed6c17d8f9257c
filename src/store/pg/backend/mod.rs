//! The PostgreSQL backend behind the store interface (issue 11). The
//! methods are laid out by group, each group's `impl PgBackend` in its own
//! file:
//!
//! - `reads.rs`: select, scan_text, count, scan_all, table_keys, sample,
//!   the read and snapshot transactions;
//! - `writes.rs`: write transactions and savepoints, delete / anonymize /
//!   replace_text, the watch, erasure hashing, and the SQL interface for
//!   dsr's own tables (meta, audit, anonymized, deferred, requests,
//!   migrations);
//! - `retention.rs`: expired_page, range_end, key_bounds, the surely
//!   expired keys, candidates and deletion, and the advisory sweep lock.
//!
//! The trait impl below only delegates, in one place.

mod copy;
mod expiry;
mod keys;
mod read_sql;
mod reads;
#[cfg(test)]
mod reads_tests;
mod retention;
mod sql;
mod watch;
mod writes;
#[cfg(test)]
mod writes_tests;

use super::connect::{connect, PgConn};
use super::introspect::read_schema;
use super::url::{redact_raw, PgUrl};
use crate::error::{Error, Result};
use crate::store::backend::{Backend, BackendKind, Capabilities, Cell, Mode, SweepLock};
use crate::store::expire::{Cutoffs, ExpiredPage, KeyRange, PageAt};
use crate::store::schema::{RowIds, Schema, TableSchema};
use crate::store::watch::{Unplanned, WatchPlan};
use crate::store::write::Assign;
use crate::store::{Filter, Needle, Row};
use crate::value::Value;
use std::cell::{RefCell, RefMut};
use std::collections::HashSet;
use std::rc::Rc;

/// A tenant's schema on a PostgreSQL server.
pub struct PgBackend {
    /// `postgres::Client` needs `&mut`; the store interface is `&self`.
    /// Callbacks never call back into the store while a result streams, so
    /// a borrow never meets another ([`PgBackend::conn`] refuses one that
    /// would rather than panic). Shared (`Rc`) with the sweep lock's
    /// guard, which releases the lock on this session when dropped.
    conn: Rc<RefCell<PgConn>>,
    /// The URL as given, the password shown as `***`.
    shown: String,
    /// The write group's session state (writes.rs).
    w: writes::State,
    /// What the reads keep between calls (`reads.rs`).
    reads: reads::ReadState,
    /// The second session an export copies on (`copy.rs`), once opened.
    copier: RefCell<Option<copy::Copier>>,
    /// Set once a second session could not be had (the server's or the
    /// role's connection limit, a standby that cannot export a snapshot):
    /// the export then copies on the first session.
    copier_refused: std::cell::Cell<bool>,
}

impl PgBackend {
    /// Connects to the URL's database and checks the tenant schema; a
    /// command that records (`Mode::ReadWrite`) is refused at once where
    /// it could not write its audit record (writes.rs).
    pub fn open(url: &str, mode: Mode, today: jiff::civil::Date) -> Result<PgBackend> {
        let parsed = PgUrl::parse(url)?;
        let mut conn = connect(&parsed)?;
        if mode == Mode::ReadWrite {
            writes::check_writable(&mut conn)?;
        }
        Ok(PgBackend {
            conn: Rc::new(RefCell::new(conn)),
            shown: redact_raw(url.trim()),
            w: writes::State::default(),
            reads: reads::ReadState::new(today),
            copier: RefCell::new(None),
            copier_refused: std::cell::Cell::new(false),
        })
    }

    /// The session, or an error (never a panic) on a re-entrant call.
    pub(super) fn conn(&self) -> Result<RefMut<'_, PgConn>> {
        self.conn.try_borrow_mut().map_err(|_| {
            Error::Runtime(
                "internal: a re-entrant call into the PostgreSQL store while a result streams"
                    .into(),
            )
        })
    }

    /// A statement prepared once per session, its text the key: a sweep
    /// sends the same few statements in every batch, and preparing one is
    /// a round trip to the server of its own.
    pub(super) fn prepared(
        &self,
        c: &mut PgConn,
        sql: &str,
    ) -> std::result::Result<postgres::Statement, postgres::Error> {
        if let Some(st) = self.w.statements.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = c.client.prepare(sql)?;
        self.w
            .statements
            .borrow_mut()
            .insert(sql.to_string(), st.clone());
        Ok(st)
    }

    /// Whether the tenant's schema has the table. A table found is
    /// remembered (dsr asks about its own tables several times a batch)
    /// until a write transaction or dry run is rolled back, which may undo
    /// its creation.
    fn table_exists(&self, name: &str) -> Result<bool> {
        if self.w.tables_seen.borrow().contains(name) {
            return Ok(true);
        }
        let mut c = self.conn()?;
        let schema = c.url.schema.clone();
        let row = self
            .prepared(
                &mut c,
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))",
            )
            .and_then(|st| c.client.query_one(&st, &[&schema, &name]))
            .map_err(|e| c.err("reading the schema", e))?;
        let found: bool = row.get(0);
        if found {
            self.w.tables_seen.borrow_mut().insert(name.to_string());
        }
        Ok(found)
    }
}

impl Backend for PgBackend {
    fn describe(&self) -> String {
        self.shown.clone()
    }
    fn kind(&self) -> BackendKind {
        BackendKind::Postgres
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            row_ids: RowIds::InTransaction,
            journal_advice: false,
            sql_functions: false,
            writes_block_all: false,
        }
    }
    fn schema(&self) -> Result<Schema> {
        let pg = read_schema(&mut *self.conn()?)?;
        Ok(self.remember_schema(pg))
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
    fn select_to_change(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        self.select_locking(t, filter, f)
    }
    fn rows_reading(
        &self,
        t: &TableSchema,
        keys: &[Vec<Value>],
        _read: &[bool],
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        self.rows_current(t, keys, f)
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
    fn copy_csv(
        &self,
        t: &TableSchema,
        out: &mut dyn std::io::Write,
        werr: &dyn Fn(std::io::Error) -> Error,
    ) -> Result<Option<u64>> {
        self.copy_csv_rows(t, out, werr)
    }
    fn table_keys(&self, t: &TableSchema, f: &mut dyn FnMut(Vec<Value>)) -> Result<()> {
        self.all_keys(t, f)
    }
    fn scanned_rows(&self) -> u64 {
        self.scanned()
    }
    fn begin_write(&self) -> Result<()> {
        self.begin_write_tx()
    }
    fn begin_read(&self) -> Result<()> {
        self.begin_read_tx()
    }
    fn begin_snapshot(&self) -> Result<bool> {
        self.begin_snapshot_tx()
    }
    fn commit(&self) -> Result<()> {
        self.commit_tx()
    }
    fn end_read(&self, ok: bool) -> Result<()> {
        self.end_read_tx(ok)
    }
    fn rollback(&self) {
        self.rollback_tx()
    }
    fn in_transaction(&self) -> bool {
        self.in_tx() || self.in_read()
    }
    fn savepoint(&self) -> Result<()> {
        self.savepoint_tx()
    }
    fn rollback_savepoint(&self) -> Result<()> {
        self.rollback_savepoint_tx()
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
        self.quick_possible()
    }
    fn quick_watch_finish(&self, own: u64) -> Result<bool> {
        self.finish_quick_watch(own)
    }
    fn expired_page(&self, t: &TableSchema, after: &str, at: &PageAt<'_>) -> Result<ExpiredPage> {
        self.expired_rows(t, after, at)
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
        self.integer_key_bounds(t)
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
        self.advisory_lock(wait, now, announce)
    }
    fn sql_batch(&self, sql: &str, doing: &str) -> Result<()> {
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
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<()>,
    ) -> Result<()> {
        self.query_cells(sql, params, doing, f)
    }
}
