//! Bulk loading of a new tenant's tables (`dsr demo`), behind one
//! interface so that the caller names no driver: it hands over DDL for
//! each backend, then rows of [`Value`]s by table, then the DDL that
//! follows the rows, and commits. Each backend loads the fastest way it
//! has (SQLite: prepared inserts in one transaction without a journal;
//! PostgreSQL: `COPY … FROM STDIN` in one transaction), and either all of
//! it is there afterwards or none.

mod postgres;
mod sqlite;

use super::pg::PgUrl;
use crate::error::Result;
use crate::value::Value;
use std::path::Path;

/// DDL for each backend; a loader runs its own.
#[derive(Debug, Clone, Copy)]
pub struct Ddl {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// Where the tables go.
pub enum Target<'a> {
    /// A new, empty SQLite file (the caller's temporary file: it decides
    /// where the finished file goes).
    SqliteFile(&'a Path),
    /// A PostgreSQL schema, which must exist.
    Postgres(&'a PgUrl),
}

/// A table the loader has been told about, to insert rows by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableId(usize);

/// A relation already in the target with a name the load needs (or one of
/// dsr's own `_dsr_` tables, which mean the schema is a tenant already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub name: String,
    /// A plain table (not a view, sequence, index, …).
    pub table: bool,
    /// The table's comment, if it has one.
    pub comment: Option<String>,
}

/// One load into one target, in one transaction.
pub trait Loader {
    /// The target as messages name it: the file, or "database D on
    /// HOST:PORT, schema S" (never a password).
    fn describe(&self) -> String;
    /// Relations that are in the way: those named in `names`, and dsr's own
    /// `_dsr_` tables.
    fn existing(&mut self, names: &[&str]) -> Result<Vec<Existing>>;
    /// Drops these tables (inside the load's transaction, so a failed load
    /// leaves them).
    fn drop_tables(&mut self, names: &[String]) -> Result<()>;
    /// Runs this backend's DDL creating the tables.
    fn create(&mut self, ddl: &Ddl) -> Result<()>;
    /// Declares the columns that rows of `table` carry, in order.
    fn table(&mut self, name: &str, columns: &[&str]) -> Result<TableId>;
    /// Calls `fill` with the inserter of the declared tables (the inserts
    /// stay prepared, and on PostgreSQL a thread sends the rows, while it
    /// runs); every row is sent when this returns.
    fn with_rows(&mut self, fill: &mut dyn FnMut(&mut dyn Inserter) -> Result<()>) -> Result<()>;
    /// Runs this backend's DDL that follows the rows, and puts `comment` on every declared table where the backend
    /// keeps comments. Nothing is visible to others until [`Loader::commit`].
    fn finish(&mut self, after: &Ddl, comment: &str) -> Result<()>;
    /// Makes the load durable and visible.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// Rows going into a load.
pub trait Inserter {
    /// Adds one row (buffered: a failure may surface at a later call, or
    /// when [`Loader::with_rows`] returns).
    fn insert(&mut self, table: TableId, row: &[Value]) -> Result<()>;
}

/// Opens a load into the target: for PostgreSQL, connected, the schema
/// checked (it exists, the role may create tables in it, the server is not
/// a standby), a transaction begun and the tenant's lock taken.
pub fn open(target: Target<'_>) -> Result<Box<dyn Loader>> {
    Ok(match target {
        Target::SqliteFile(path) => Box::new(sqlite::SqliteLoader::open(path)?),
        Target::Postgres(url) => Box::new(postgres::PgLoader::open(url)?),
    })
}
