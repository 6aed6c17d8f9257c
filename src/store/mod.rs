//! The tenant's store. All SQL lives here (and in `demo`, which builds a
//! store): commands ask for rows by filters, never write SQL themselves, so
//! that a PostgreSQL backend can sit behind the same interface.

mod expire;
pub mod migrate;
pub mod pg;
pub mod refs;
pub mod requests;
mod scan;
pub mod schema;
mod trail;
mod watch;
pub mod write;

use crate::error::{Error, Result};
use crate::ident::{self, Kind};
use crate::value::Value;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};
use schema::{quote, Affinity, ColumnSchema, ForeignKey, Index, Schema, TableSchema};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long dsr waits for the application's write lock before giving up.
const DEFAULT_BUSY_MS: u64 = 5_000;
/// Values bound per statement; well under SQLite's limit of 32,766.
const CHUNK: usize = 500;

pub use expire::{Cutoffs, KeyRange};
pub use trail::{AuditItem, AuditRow, TrailFacts};
pub use watch::{Unplanned, Watch};
pub use write::{Assign, Deferred};

pub struct Store {
    conn: Connection,
    path: PathBuf,
    busy: Duration,
    today: jiff::civil::Date,
    /// Rows stepped through by full-table scans in `select` (not the
    /// free-text scan): zero when every lookup was answered by an index.
    scanned: Cell<u64>,
    /// Tables whose key is personal data (see `refs`).
    personal_keys: std::collections::HashSet<String>,
    /// What the watch's triggers saw (see [`Watch`]).
    seen: watch::Shared,
    /// Whether the store has triggers or foreign-key actions (see [`Watch`]).
    own_rules: Cell<Option<bool>>,
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
    /// (a `COLLATE NOCASE` one for `nocase`) answers it with one range per
    /// prefix: `lo <= col < hi`, `hi` being the prefix with its last
    /// character advanced. A second backend does the same with `col >= $1
    /// AND col < $2` over a `COLLATE "C"` (or `text_pattern_ops`) index, and
    /// over `lower(col)` for `nocase`; non-text values never match.
    Prefixed {
        column: &'a str,
        prefixes: &'a [String],
        nocase: bool,
    },
    /// The column, normalised as an identifier of `kind`, is one of `keys`:
    /// the fallback when no index can answer (a scan). A second backend
    /// reads the column and normalises in the client, as the SQL function
    /// does here.
    Normalized {
        column: &'a str,
        kind: Kind,
        keys: &'a [String],
    },
    /// Rows by their keys (as `Row::key` gives them).
    Keys(&'a [Vec<Value>]),
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
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

impl Store {
    /// Opens an existing store. `sqlite:PATH` or a plain path; never creates
    /// a database where none was.
    pub fn open(url: &str, read_only: bool, today: jiff::civil::Date) -> Result<Store> {
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
        conn.busy_handler(Some(wait_for_lock))
            .map_err(|e| db_error(&path, "opening", e))?;
        // Touch the schema now, so that a file that is not a database fails
        // here with a clear message rather than in the middle of a command.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| locked_detail(db_error(&path, "reading the schema of", e), busy))?;
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
        )
        .map_err(|e| db_error(&path, "preparing", e))?;
        let seen = watch::Shared::default();
        watch::register(&conn, &seen).map_err(|e| db_error(&path, "preparing", e))?;
        let store = Store {
            conn,
            path,
            busy,
            today,
            scanned: Cell::new(0),
            personal_keys: Default::default(),
            seen,
            own_rules: Cell::new(None),
        };
        // A store whose dsr tables a newer dsr wrote is refused before
        // anything is read from it.
        migrate::version(&store)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows read by full-table scans in lookups so far (see `scanned`).
    pub fn scanned_rows(&self) -> u64 {
        self.scanned.get()
    }

    /// The date identifiers are normalised against (personnummer centuries).
    pub fn today(&self) -> jiff::civil::Date {
        self.today
    }

    pub(crate) fn err(&self, doing: &str, e: rusqlite::Error) -> Error {
        locked_detail(db_error(&self.path, doing, e), self.busy)
    }

    /// Reads the live schema: every table but SQLite's own.
    pub fn schema(&self) -> Result<Schema> {
        let e = |x| self.err("reading the schema of", x);
        let mut names: Vec<(String, String)> = Vec::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
                .map_err(e)?;
            let rows = st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(e)?;
            for r in rows {
                names.push(r.map_err(e)?);
            }
        }
        let mut tables = Vec::with_capacity(names.len());
        for (name, sql) in names {
            let mut columns = Vec::new();
            {
                let mut st = self
                    .conn
                    .prepare("SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid")
                    .map_err(e)?;
                let mut rows = st.query([&name]).map_err(e)?;
                while let Some(r) = rows.next().map_err(e)? {
                    let hidden: i64 = r.get(4).map_err(e)?;
                    if hidden == 1 {
                        continue; // virtual-table hidden columns are not data
                    }
                    let decl: String = r
                        .get::<_, Option<String>>(1)
                        .map_err(e)?
                        .unwrap_or_default();
                    columns.push(ColumnSchema {
                        name: r.get(0).map_err(e)?,
                        affinity: Affinity::of(&decl),
                        decl_type: decl,
                        not_null: r.get::<_, i64>(2).map_err(e)? != 0,
                        pk: r.get::<_, i64>(3).map_err(e)?.max(0) as usize,
                    });
                }
            }
            let mut pk: Vec<&ColumnSchema> = columns.iter().filter(|c| c.pk > 0).collect();
            pk.sort_by_key(|c| c.pk);
            let pk: Vec<String> = pk.into_iter().map(|c| c.name.clone()).collect();

            let mut foreign_keys: Vec<ForeignKey> = Vec::new();
            {
                let mut st = self
                    .conn
                    .prepare("SELECT id, seq, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq")
                    .map_err(e)?;
                let mut rows = st.query([&name]).map_err(e)?;
                let mut last_id = -1i64;
                while let Some(r) = rows.next().map_err(e)? {
                    let id: i64 = r.get(0).map_err(e)?;
                    let from: String = r.get(3).map_err(e)?;
                    let to: Option<String> = r.get(4).map_err(e)?;
                    if id != last_id {
                        foreign_keys.push(ForeignKey {
                            from: vec![],
                            table: r.get(2).map_err(e)?,
                            to: vec![],
                            on_delete: r.get(5).map_err(e)?,
                        });
                        last_id = id;
                    }
                    if let Some(fk) = foreign_keys.last_mut() {
                        fk.from.push(from);
                        if let Some(t) = to {
                            fk.to.push(t);
                        }
                    }
                }
            }

            let mut indexes = Vec::new();
            {
                let mut st = self
                    .conn
                    .prepare("SELECT name, partial FROM pragma_index_list(?1)")
                    .map_err(e)?;
                let list: Vec<(String, bool)> = st
                    .query_map([&name], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? != 0))
                    })
                    .map_err(e)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(e)?;
                let mut parts_st = self
                    .conn
                    .prepare("SELECT name, coll FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno")
                    .map_err(e)?;
                for (iname, partial) in list {
                    let parts = parts_st
                        .query_map([&iname], |r| {
                            Ok((
                                r.get::<_, Option<String>>(0)?,
                                r.get::<_, Option<String>>(1)?
                                    .unwrap_or_else(|| "BINARY".into()),
                            ))
                        })
                        .map_err(e)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(e)?;
                    indexes.push(Index {
                        name: iname,
                        parts,
                        partial,
                    });
                }
            }
            let without_rowid = sql.to_ascii_uppercase().contains("WITHOUT ROWID");
            tables.push(TableSchema {
                name,
                columns,
                pk,
                without_rowid,
                foreign_keys,
                indexes,
            });
        }
        // A foreign key that names no parent columns references the parent's key.
        let pks: Vec<(String, Vec<String>)> = tables
            .iter()
            .map(|t| (t.name.clone(), t.pk.clone()))
            .collect();
        for t in &mut tables {
            for fk in &mut t.foreign_keys {
                if fk.to.is_empty() {
                    if let Some((_, pk)) =
                        pks.iter().find(|(n, _)| n.eq_ignore_ascii_case(&fk.table))
                    {
                        fk.to = pk.clone();
                    }
                }
            }
        }
        let journal_mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(e)?;
        Ok(Schema {
            tables,
            journal_mode,
        })
    }

    /// Up to `limit` non-null values of a column, for guessing what it holds.
    pub fn sample(&self, table: &str, column: &str, limit: usize) -> Result<Vec<Value>> {
        let sql = format!(
            "SELECT {c} FROM {t} WHERE {c} IS NOT NULL LIMIT {limit}",
            c = quote(column),
            t = quote(table)
        );
        let mut st = self
            .conn
            .prepare(&sql)
            .map_err(|e| self.err("sampling", e))?;
        let rows = st
            .query_map([], |r| Ok(from_ref(r.get_ref(0)?)))
            .map_err(|e| self.err("sampling", e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err("sampling", e))
    }

    /// The SELECT list that reads a row: key first, then every column.
    fn select_list(t: &TableSchema) -> (String, usize) {
        let cols: Vec<String> = t.columns.iter().map(|c| quote(&c.name)).collect();
        if t.pk.is_empty() {
            (format!("_rowid_, {}", cols.join(", ")), 1)
        } else {
            (cols.join(", "), 0)
        }
    }

    fn read_row(t: &TableSchema, r: &rusqlite::Row<'_>, skip: usize) -> rusqlite::Result<Row> {
        let mut values = Vec::with_capacity(t.columns.len());
        for i in 0..t.columns.len() {
            values.push(from_ref(r.get_ref(i + skip)?));
        }
        let key = if skip == 1 {
            vec![from_ref(r.get_ref(0)?)]
        } else {
            t.pk.iter()
                .filter_map(|p| t.column_index(p))
                .map(|i| values[i].clone())
                .collect()
        };
        Ok(Row { key, values })
    }

    /// Reads the rows of `t` that match `filter`, calling `f` for each. Work
    /// is chunked so that each statement binds a bounded number of values.
    pub fn select(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        mut f: impl FnMut(Row),
    ) -> Result<()> {
        let (list, skip) = Self::select_list(t);
        let from = quote(&t.name);
        let doing = format!("reading {}", t.name);
        let mut run = |sql: &str, params: Vec<&dyn ToSql>| -> Result<()> {
            let mut st = self
                .conn
                .prepare_cached(sql)
                .map_err(|e| self.err(&doing, e))?;
            let mut rows = st
                .query(params.as_slice())
                .map_err(|e| self.err(&doing, e))?;
            while let Some(r) = rows.next().map_err(|e| self.err(&doing, e))? {
                f(Self::read_row(t, r, skip).map_err(|e| self.err(&doing, e))?);
            }
            drop(rows);
            let steps = st.reset_status(rusqlite::StatementStatus::FullscanStep);
            self.scanned.set(self.scanned.get() + steps.max(0) as u64);
            Ok(())
        };
        match filter {
            Filter::In { columns, tuples } => {
                let n = columns.len().max(1);
                let per = (CHUNK / n).max(1);
                for chunk in tuples.chunks(per) {
                    let sql =
                        if n == 1 {
                            format!(
                                "SELECT {list} FROM {from} WHERE {} IN ({})",
                                quote(&columns[0]),
                                vec!["?"; chunk.len()].join(", ")
                            )
                        } else {
                            let cols: Vec<String> = columns.iter().map(|c| quote(c)).collect();
                            let tuple = format!("({})", vec!["?"; n].join(", "));
                            format!(
                            // A row-value IN over a plain VALUES list is not planned as an
                        // index search; over a subquery it is.
                        "SELECT {list} FROM {from} WHERE ({}) IN (SELECT {} FROM (VALUES {}))",
                            cols.join(", "),
                            (1..=n).map(|i| format!("column{i}")).collect::<Vec<_>>().join(", "),
                            vec![tuple.as_str(); chunk.len()].join(", ")
                        )
                        };
                    let params: Vec<&dyn ToSql> =
                        chunk.iter().flatten().map(|v| v as &dyn ToSql).collect();
                    run(&sql, params)?;
                }
            }
            Filter::Prefixed {
                column,
                prefixes,
                nocase,
            } => {
                let c = if *nocase {
                    format!("{} COLLATE NOCASE", quote(column))
                } else {
                    quote(column)
                };
                for (lo, hi) in prefix_ranges(prefixes, *nocase) {
                    let lo = Value::Text(lo);
                    match hi {
                        Some(hi) => {
                            let hi = Value::Text(hi);
                            let sql =
                                format!("SELECT {list} FROM {from} WHERE {c} >= ?1 AND {c} < ?2");
                            run(&sql, vec![&lo as &dyn ToSql, &hi])?;
                        }
                        None => {
                            let sql = format!("SELECT {list} FROM {from} WHERE {c} >= ?1");
                            run(&sql, vec![&lo as &dyn ToSql])?;
                        }
                    }
                }
            }
            Filter::Normalized { column, kind, keys } => {
                let code = kind.code();
                let c = quote(column);
                // Where the kind knows digits that every stored form holds
                // in order, a LIKE (cheap, in SQLite's C) passes only the
                // rows worth normalising.
                let narrow: Option<Vec<String>> = keys
                    .iter()
                    .map(|k| ident::required_digits(*kind, k).map(|d| spread(&d)))
                    .collect();
                for start in (0..keys.len()).step_by(CHUNK / 2) {
                    let chunk = &keys[start..keys.len().min(start + CHUNK / 2)];
                    let n = chunk.len();
                    let placeholders = |from: usize| {
                        (from..from + n)
                            .map(|i| format!("?{i}"))
                            .collect::<Vec<_>>()
                    };
                    let mut cond = format!("dsr_norm(?1, {c}) IN ({})", placeholders(2).join(", "));
                    let mut params: Vec<&dyn ToSql> = vec![&code];
                    params.extend(chunk.iter().map(|v| v as &dyn ToSql));
                    if let Some(narrow) = &narrow {
                        let likes: Vec<String> = placeholders(n + 2)
                            .into_iter()
                            .map(|p| format!("{c} LIKE {p}"))
                            .collect();
                        cond = format!("({}) AND {cond}", likes.join(" OR "));
                        params.extend(narrow[start..start + n].iter().map(|v| v as &dyn ToSql));
                    }
                    run(&format!("SELECT {list} FROM {from} WHERE {cond}"), params)?;
                }
            }
            Filter::Keys(keys) => {
                for chunk in keys.chunks(CHUNK / t.pk.len().max(1)) {
                    let (cond, params) = write::key_in(t, chunk);
                    run(&format!("SELECT {list} FROM {from} WHERE {cond}"), params)?;
                }
            }
        }
        Ok(())
    }

    /// Streams (key, text) for the values of a text column that match one of
    /// the LIKE `patterns` (escape character `\`): the whole-table search
    /// behind free-text mentions, narrowed in SQL so that only candidate rows
    /// reach the caller's exact matcher.
    pub fn scan_text(
        &self,
        t: &TableSchema,
        column: &str,
        needles: &[String],
        mut f: impl FnMut(Vec<Value>, &str),
    ) -> Result<()> {
        if needles.is_empty() {
            return Ok(());
        }
        let key = if t.pk.is_empty() {
            "_rowid_".to_string()
        } else {
            t.pk.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ")
        };
        let nkey = t.pk.len().max(1);
        let c = quote(column);
        let any: Vec<String> = needles
            .iter()
            .map(|_| format!("{c} LIKE ? ESCAPE '\\'"))
            .collect();
        let sql = format!(
            "SELECT {key}, {c} FROM {t} WHERE {c} IS NOT NULL AND ({})",
            any.join(" OR "),
            t = quote(&t.name)
        );
        let doing = format!("searching {}.{}", t.name, column);
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(&doing, e))?;
        let params: Vec<&dyn ToSql> = needles.iter().map(|n| n as &dyn ToSql).collect();
        let mut rows = st
            .query(params.as_slice())
            .map_err(|e| self.err(&doing, e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(&doing, e))? {
            if let ValueRef::Text(text) = r.get_ref(nkey).map_err(|e| self.err(&doing, e))? {
                let text = String::from_utf8_lossy(text);
                let mut key = Vec::with_capacity(nkey);
                for i in 0..nkey {
                    key.push(from_ref(r.get_ref(i).map_err(|e| self.err(&doing, e))?));
                }
                f(key, &text);
            }
        }
        Ok(())
    }

    /// Runs `f` in one write transaction, taken at once (BEGIN IMMEDIATE) so
    /// that the wait for the application's lock happens before any work.
    /// Nothing of `f`'s is kept unless it returns Ok and the commit succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err("starting a write on", e))?;
        let out = f(&Tx { store: self });
        let done = match out {
            Ok(v) => self
                .conn
                .execute_batch("COMMIT")
                .map(|_| v)
                .map_err(|e| self.err("committing to", e)),
            Err(e) => Err(e),
        };
        if done.is_err() && !self.conn.is_autocommit() {
            // Nothing of the command's is kept.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        done
    }

    /// The tenant's secret, if it has been created.
    pub fn secret(&self) -> Result<Option<String>> {
        if !self.has_table("_dsr_meta")? {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT value FROM _dsr_meta WHERE key = 'secret'",
                [],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(self.err("reading the tenant secret from", e)),
            })
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        if !self.has_table("_dsr_meta")? {
            return Ok(None);
        }
        self.conn
            // Read whatever type is stored, so that an edited value (a
            // blob head, say) is judged by its reader, not a driver error.
            .query_row("SELECT value FROM _dsr_meta WHERE key = ?1", [key], |r| {
                Ok(match r.get_ref(0)? {
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        String::from_utf8_lossy(t).into_owned()
                    }
                    ValueRef::Integer(i) => i.to_string(),
                    ValueRef::Real(f) => f.to_string(),
                    ValueRef::Null => String::new(),
                })
            })
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(self.err("reading _dsr_meta in", e)),
            })
    }

    pub(crate) fn has_table(&self, name: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.err("reading the schema of", e))
    }
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
    /// Creates dsr's own tables (or migrates them to this dsr's version:
    /// `migrate`) and the tenant secret on first use. First use only: where
    /// the trail already has records or a head, a missing secret is a broken
    /// trail (exit 7), never silently made anew, since a new secret would
    /// break every earlier subject reference.
    pub fn ensure_tool_tables(&self) -> Result<String> {
        migrate::pending(self)?;
        if self.secret()?.is_none() {
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
        }
        self.store.conn
            .execute(
                "INSERT OR IGNORE INTO _dsr_meta (key, value) VALUES ('secret', lower(hex(randomblob(32))))",
                [],
            )
            .map_err(|e| self.err("creating the tenant secret in", e))?;
        self.store
            .conn
            .query_row(
                "SELECT value FROM _dsr_meta WHERE key = 'secret'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err("reading the tenant secret from", e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.store.conn
            .execute(
                "INSERT INTO _dsr_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err("writing _dsr_meta in", e))
    }

    /// The last audit record's seq and hash.
    pub fn audit_tail(&self) -> Result<Option<(i64, String)>> {
        self.store
            .conn
            .query_row(
                "SELECT seq, hash FROM _dsr_audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(self.err("reading the audit trail in", e)),
            })
    }

    pub fn audit_insert(&self, r: &AuditRow) -> Result<()> {
        self.store.conn
            .execute(
                "INSERT INTO _dsr_audit (seq, at, operator, command, request, subject, outcome, details, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                rusqlite::params![r.seq, r.at, r.operator, r.command, r.request, r.subject, r.outcome, r.details, r.prev_hash, r.hash],
            )
            .map(|_| ())
            .map_err(|e| self.err("writing the audit record to", e))
    }
}

fn parse_url(url: &str) -> Result<PathBuf> {
    let u = url.trim();
    if u.starts_with("postgres://") || u.starts_with("postgresql://") {
        return Err(Error::Usage(
            "PostgreSQL stores are not supported yet; give a SQLite file (--store PATH or sqlite:PATH)".into(),
        ));
    }
    let p = u
        .strip_prefix("sqlite://")
        .or_else(|| u.strip_prefix("sqlite:"))
        .unwrap_or(u);
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

/// Turns a SQLite failure into what the user needs: what, where, what to do.
/// The half-open ranges `[lo, hi)` of text that starts with one of the
/// prefixes (`hi` None: no upper bound), sorted and merged so that no row
/// is read twice. For `nocase` the prefixes are folded to ASCII lowercase,
/// as SQLite's NOCASE compares.
fn prefix_ranges(prefixes: &[String], nocase: bool) -> Vec<(String, Option<String>)> {
    let mut ranges: Vec<(String, Option<String>)> = prefixes
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| {
            let p = if nocase {
                p.to_ascii_lowercase()
            } else {
                p.clone()
            };
            let hi = successor(&p);
            (p, hi)
        })
        .collect();
    ranges.sort();
    let mut out: Vec<(String, Option<String>)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        if let Some((_, last_hi)) = out.last_mut() {
            // Sorted by `lo`, so a range overlaps only the one before it.
            if last_hi.as_ref().is_none_or(|h| lo <= *h) {
                *last_hi = match (last_hi.take(), hi) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                continue;
            }
        }
        out.push((lo, hi));
    }
    out
}

/// A LIKE pattern matching text that holds `digits` in this order, with
/// anything before, between and after them.
fn spread(digits: &str) -> String {
    let mut p = String::from("%");
    for d in digits.chars() {
        p.push(d);
        p.push('%');
    }
    p
}

/// The least string greater than every string that starts with `p`: `p`
/// with its last character advanced by one code point (dropping characters
/// that cannot advance). None when there is none.
fn successor(p: &str) -> Option<String> {
    let mut chars: Vec<char> = p.chars().collect();
    while let Some(c) = chars.pop() {
        let next = (u32::from(c) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(n) = next {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn prefix_ranges_are_sorted_merged_and_bounded() {
        assert_eq!(successor("C-1002").as_deref(), Some("C-1003"));
        assert_eq!(successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10FFFF}"), None);
        let r = prefix_ranges(&s(&["b", "\t", "\n", "ab", "a", ""]), false);
        // Adjacent ranges ("\t".."\n", "\n"..) merge, as do nested ones.
        let range = |a: &str, b: &str| (a.to_string(), Some(b.to_string()));
        assert_eq!(r, [range("\t", "\u{B}"), range("a", "c")]);
        assert_eq!(
            prefix_ranges(&s(&["ERIK", "eri\u{212A}"]), true),
            [
                ("erik".to_string(), Some("eril".to_string())),
                ("eri\u{212A}".to_string(), Some("eri\u{212B}".to_string())),
            ]
        );
        assert_eq!(
            prefix_ranges(&s(&["\u{10FFFF}", "\u{10FFFF}x"]), false),
            [("\u{10FFFF}".to_string(), None)]
        );
    }

    #[test]
    fn prefixed_lookups_use_the_index_and_find_padded_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let c = Connection::open(&path).expect("open");
        c.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, e TEXT);
             CREATE INDEX t_k ON t(k);
             CREATE INDEX t_e ON t(e COLLATE NOCASE);
             INSERT INTO t VALUES (1, 'C-1002 ', 'ANNA@X.SE'), (2, 'C-10020', 'anna@x.se.com'),
               (3, ' C-1002', 'Ånna@x.se'), (4, 'C-1003', 'bo@x.se'), (5, 'c-1002', 'anna@x.sf');",
        )
        .expect("build");
        drop(c);
        let store = Store::open(
            path.to_str().expect("utf8"),
            true,
            jiff::civil::date(2026, 1, 1),
        )
        .expect("store");
        let schema = store.schema().expect("schema");
        let t = schema.table("t").expect("t");
        let ids = |column: &str, prefixes: &[String], nocase: bool| {
            let mut ids = Vec::new();
            store
                .select(
                    t,
                    &Filter::Prefixed {
                        column,
                        prefixes,
                        nocase,
                    },
                    |r| {
                        if let Value::Integer(i) = r.key[0] {
                            ids.push(i);
                        }
                    },
                )
                .expect("select");
            ids.sort();
            ids
        };
        assert_eq!(ids("k", &s(&["C-1002", " "]), false), [1, 2, 3]);
        assert_eq!(ids("e", &s(&["anna@x.se"]), true), [1, 2]);
        assert_eq!(ids("e", &s(&["å", "Å"]), true), [3]);
        assert_eq!(store.scanned_rows(), 0, "every range was an index search");
    }

    #[test]
    fn phone_scans_find_every_written_form_and_no_other_number() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let c = Connection::open(&path).expect("open");
        c.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, p);
             INSERT INTO t VALUES (1, '070-123 45 67'), (2, '+46 70 123 45 67 '), (3, '0046701234567'),
               (4, 46701234567), (5, '+1 (208) 555-8097'), (6, '070-123 45 68'), (7, 'ring 070-123 45 67'),
               (8, '030-0074321'), (9, NULL), (10, '0701234567');",
        )
        .expect("build");
        drop(c);
        let store = Store::open(
            path.to_str().expect("utf8"),
            true,
            jiff::civil::date(2026, 1, 1),
        )
        .expect("store");
        let schema = store.schema().expect("schema");
        let t = schema.table("t").expect("t");
        let ids = |kind: Kind, keys: &[&str]| {
            let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            let mut ids = Vec::new();
            let f = Filter::Normalized {
                column: "p",
                kind,
                keys: &keys,
            };
            store
                .select(t, &f, |r| {
                    if let Value::Integer(i) = r.key[0] {
                        ids.push(i);
                    }
                })
                .expect("select");
            ids.sort();
            ids
        };
        let se = Kind::Phone(ident::Region::DEFAULT);
        let de = Kind::Phone(ident::Region::parse("DE").expect("DE"));
        // libphonenumber reads a leading 46 in Sweden as the country code.
        assert_eq!(ids(se, &["+46701234567"]), [1, 2, 3, 4, 10]);
        assert_eq!(ids(se, &["+12085558097", "+46701234568"]), [5, 6]);
        assert_eq!(ids(se, &["+46300074321"]), [8]);
        assert_eq!(ids(de, &["+49300074321"]), [8]);
        assert_eq!(ids(de, &["+46701234567"]), [2, 3]);
    }

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
