//! Reads on PostgreSQL: lookups by filter, the free-text scan, whole-table
//! reads, and the read and snapshot transactions (`REPEATABLE READ, READ
//! ONLY`: one snapshot, and the server refuses any write inside it).
//!
//! Every result streams (`query_raw`: rows are decoded as the server sends
//! them, so memory stays flat on big tables), and every statement is one
//! per table and filter: an `In` lookup binds one array per key column
//! rather than a chunk of placeholders. Values are bound as text and cast
//! to the column's type, and a looked-up form that cannot be of that type
//! is dropped first (see `read_sql`). `Filter::Normalized` reads the
//! column's non-null values and normalises them in Rust, as SQLite's
//! `dsr_norm` does in SQL.

use super::keys::{leading_values, tuple_match};
use super::read_sql::{self, columns, fit, key_list, lookup_cast, select_list};
use super::PgBackend;
use crate::error::{Error, Result};
use crate::ident;
use crate::store::pg::errors::{classify, sql_error, PgFailure};
use crate::store::pg::introspect::{read_schema, PgColumn, PgSchema};
use crate::store::pg::value::get;
use crate::store::schema::{quote, Schema, TableSchema};
use crate::store::{Filter, Needle, Row};
use crate::value::Value;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

/// The most prefix ranges one read of [`Filter::Prefixed`] asks for: a
/// statement the planner still plans in about a millisecond.
const RANGES_PER_READ: usize = 64;

/// What the reads keep between calls.
pub(super) struct ReadState {
    /// The date identifiers are normalised against (as the store's).
    today: jiff::civil::Date,
    /// The catalog's view of the tables, from the last `schema()`: the
    /// types a statement casts to and decodes by.
    catalog: RefCell<Option<Rc<PgSchema>>>,
    /// Whether a read or snapshot transaction is open.
    reading: Cell<bool>,
    /// Rows read by `Filter::Normalized` scans.
    scanned: Cell<u64>,
    /// Whether the database's default collation orders text by code point.
    codepoint: Cell<Option<bool>>,
    /// Whether `synchronize_seqscans` is off in the session.
    seqscans_pinned: Cell<bool>,
}

impl ReadState {
    /// Forgets what belonged to a session the server ended.
    pub(super) fn session_lost(&self) {
        self.reading.set(false);
        self.seqscans_pinned.set(false);
    }

    pub(super) fn new(today: jiff::civil::Date) -> ReadState {
        ReadState {
            today,
            catalog: RefCell::new(None),
            reading: Cell::new(false),
            scanned: Cell::new(0),
            codepoint: Cell::new(None),
            seqscans_pinned: Cell::new(false),
        }
    }
}

type Params<'a> = Vec<&'a (dyn ToSql + Sync)>;

/// How a row's SELECT list reads: the catalog's columns, the list, how
/// many key columns come first, and where the primary key's columns are.
pub(super) struct Shape {
    pub(super) cols: Vec<PgColumn>,
    list: String,
    skip: usize,
    pk: Vec<usize>,
}

impl Shape {
    fn row(&self, r: &postgres::Row) -> std::result::Result<Row, postgres::Error> {
        let mut values = Vec::with_capacity(self.cols.len());
        for i in 0..self.cols.len() {
            values.push(get(r, i + self.skip)?.to_value());
        }
        let key = if self.skip == 1 {
            vec![get(r, 0)?.to_value()]
        } else {
            self.pk.iter().map(|&i| values[i].clone()).collect()
        };
        Ok(Row { key, values })
    }

    fn column(&self, name: &str) -> Option<&PgColumn> {
        self.cols.iter().find(|c| c.name == name)
    }
}

impl PgBackend {
    /// Keeps the catalog's details of a schema just read; the shared view.
    pub(super) fn remember_schema(&self, pg: PgSchema) -> Schema {
        let schema = pg.schema.clone();
        self.keep_catalog(Rc::new(pg));
        schema
    }

    /// Keeps a catalog just read for the reads and the writes; read inside
    /// a write transaction, it is current for the writes (keys.rs).
    pub(super) fn keep_catalog(&self, pg: Rc<PgSchema>) {
        *self.reads.catalog.borrow_mut() = Some(pg);
        self.w.catalog_checked.set(self.in_tx());
    }

    /// The catalog as last read, if it was.
    pub(super) fn kept_catalog(&self) -> Option<Rc<PgSchema>> {
        self.reads.catalog.borrow().clone()
    }

    fn catalog(&self) -> Result<Rc<PgSchema>> {
        if let Some(c) = self.kept_catalog() {
            return Ok(c);
        }
        let pg = Rc::new(read_schema(&mut *self.conn()?)?);
        self.keep_catalog(pg.clone());
        Ok(pg)
    }

    /// The error for a table or column the catalog no longer has.
    fn changed(&self, what: &str) -> Error {
        Error::Runtime(format!(
            "{what} is not in the schema of the store {} as dsr read it at the start; the schema changed while dsr ran; nothing was changed; run the command again",
            self.shown
        ))
    }

    pub(super) fn shape(&self, t: &TableSchema) -> Result<Shape> {
        let cat = self.catalog()?;
        let pg = cat
            .table(&t.name)
            .ok_or_else(|| self.changed(&format!("table {}", t.name)))?;
        let cols =
            columns(t, pg).ok_or_else(|| self.changed(&format!("a column of {}", t.name)))?;
        let (list, skip) = select_list(t, &cols);
        let pk = t.pk.iter().filter_map(|p| t.column_index(p)).collect();
        Ok(Shape {
            cols: cols.into_iter().cloned().collect(),
            list,
            skip,
            pk,
        })
    }

    /// Runs one query, calling `f` with each row as it arrives; the rows.
    fn stream(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        doing: &str,
        f: &mut dyn FnMut(&postgres::Row) -> Result<()>,
    ) -> Result<u64> {
        let mut guard = self.conn()?;
        let conn = &mut *guard;
        let url = &conn.url;
        // A lock not had in time (a read `FOR UPDATE` in a write) is the
        // write group's failure, worded as a busy store; so is a session
        // the server ended (the transaction is over).
        let fail = |e: postgres::Error, first: bool| match classify(&e) {
            PgFailure::LockTimeout | PgFailure::ConnectionLost => self.fail(url, doing, e),
            _ if first => lookup_error(url, doing, &e),
            _ => sql_error(url, doing, &e),
        };
        let mut rows = conn
            .client
            .query_raw(sql, params.iter().copied())
            .map_err(|e| fail(e, true))?;
        let mut n = 0u64;
        while let Some(r) = rows.next().map_err(|e| fail(e, false))? {
            f(&r)?;
            n += 1;
        }
        Ok(n)
    }

    fn run_read(&self, sql: &str, doing: &str) -> Result<()> {
        let mut c = self.conn()?;
        let c = &mut *c;
        c.client
            .batch_execute(sql)
            .map_err(|e| sql_error(&c.url, doing, &e))
    }

    /// Whether comparisons in the column's collation order text by code
    /// point, as the prefix ranges need (asked of the server once).
    fn codepoint_order(&self, c: &PgColumn) -> Result<bool> {
        if let Some(coll) = &c.collation {
            let coll = coll.to_ascii_lowercase();
            return Ok(
                matches!(coll.as_str(), "c" | "posix" | "ucs_basic") || coll.starts_with("c.")
            );
        }
        if let Some(known) = self.reads.codepoint.get() {
            return Ok(known);
        }
        let probe = [
            "b", "B", "a", "-", ".", "_", "0", "é", "z", "Z", "~", "a-b", "ab", "A b",
        ];
        let mut want: Vec<String> = probe.iter().map(|s| s.to_string()).collect();
        want.sort();
        let sql = "SELECT array_agg(x ORDER BY x) FROM unnest($1::text[]) AS x";
        let mut got: Vec<String> = Vec::new();
        self.stream(sql, &[&want], "reading the collation of", &mut |r| {
            got = r.try_get(0).unwrap_or_default();
            Ok(())
        })?;
        let known = got == want;
        self.reads.codepoint.set(Some(known));
        Ok(known)
    }

    /// Up to `limit` non-null values of a column, for guessing what it holds.
    pub(super) fn sample_values(
        &self,
        table: &str,
        column: &str,
        limit: usize,
    ) -> Result<Vec<Value>> {
        let cat = self.catalog()?;
        let c = cat
            .table(table)
            .and_then(|t| t.column(column))
            .ok_or_else(|| self.changed(&format!("column {table}.{column}")))?;
        let q = quote(column);
        let sql = format!(
            "SELECT {} FROM {} WHERE {q} IS NOT NULL LIMIT {limit}",
            c.ty.select_expr(&q),
            quote(table)
        );
        let mut out = Vec::new();
        self.stream(&sql, &[], &format!("sampling {table}.{column}"), &mut |r| {
            out.push(get(r, 0).map_err(|e| self.decode(table, e))?.to_value());
            Ok(())
        })?;
        Ok(out)
    }

    /// A value that could not be decoded (called while the result streams,
    /// so without the session).
    fn decode(&self, table: &str, e: postgres::Error) -> Error {
        Error::Runtime(format!(
            "dsr could not read a value while reading {table} in the store {}: {e}; nothing was changed",
            self.shown
        ))
    }

    /// Deletes the rows `select_rows` with `Filter::In` reads: the same
    /// condition, in one statement.
    pub(super) fn delete_in_rows(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
    ) -> Result<u64> {
        self.require(&t.name, "DELETE")?;
        let shape = self.shape(t)?;
        let Some((cond, arrays)) = self.in_filter(t, &shape, columns, tuples)? else {
            return Ok(0);
        };
        let sql = format!("DELETE FROM {} WHERE {cond}", quote(&t.name));
        let params: Params = arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        let n = self.exec_write(&sql, &params, &format!("deleting from {}", t.name))?;
        self.watch_own(t, n, false);
        Ok(n)
    }

    /// Reads the rows of `t` that match `filter`, calling `f` for each.
    pub(super) fn select_rows(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        self.select_rows_then(t, filter, "", f)
    }

    /// [`crate::store::Backend::rows_reading`]: rows by key, inside a write
    /// transaction read `FOR UPDATE`. READ COMMITTED reads nothing twice
    /// alike: a row read without a lock may be changed by the application
    /// a moment later, before the batch that read it deletes it (a hold
    /// set on it meanwhile). Locked, each row is its newest committed
    /// version (the server waits for a writer in flight, and follows an
    /// update), and stays so until the transaction ends. Erase and sweep
    /// need UPDATE on the table anyway, which `FOR UPDATE` asks for.
    pub(super) fn rows_current(
        &self,
        t: &TableSchema,
        keys: &[Vec<Value>],
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        let tail = self.lock_in_write(&t.name)?;
        self.select_rows_then(t, &Filter::Keys(keys), tail, f)
    }

    /// [`crate::store::Backend::select_to_change`]: in a write
    /// transaction the rows of a read by key or along a link are locked
    /// as they are read (see [`Self::rows_current`]); a row the
    /// application changes meanwhile is read as changed (the server checks
    /// the condition again on its newest version), so a row whose link
    /// was moved to another row is not read at all.
    pub(super) fn select_locking(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        let tail = match filter {
            Filter::In { .. } | Filter::Keys(_) => self.lock_in_write(&t.name)?,
            _ => "",
        };
        self.select_rows_then(t, filter, tail, f)
    }

    /// ` FOR UPDATE` inside a write transaction (after checking the UPDATE
    /// privilege it asks for, for the message that names the grant), and
    /// nothing outside one: how the sweep's reads lock what it decides on.
    pub(super) fn lock_in_write(&self, table: &str) -> Result<&'static str> {
        if !self.in_tx() {
            return Ok("");
        }
        self.require(table, "UPDATE")?;
        Ok(" FOR UPDATE")
    }

    /// [`Self::select_rows`] with `tail` after the condition of a read by
    /// key or along a link (the filters a lock is asked for).
    fn select_rows_then(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        tail: &str,
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        let shape = self.shape(t)?;
        let from = quote(&t.name);
        let doing = if tail.is_empty() {
            format!("reading {}", t.name)
        } else {
            format!("locking rows of {}", t.name)
        };
        let head = format!("SELECT {} FROM {from} WHERE", shape.list);
        let mut emit = |r: &postgres::Row| -> Result<()> {
            f(shape.row(r).map_err(|e| self.decode(&t.name, e))?);
            Ok(())
        };
        let col = |name: &str| {
            shape
                .column(name)
                .ok_or_else(|| self.changed(&format!("column {}.{name}", t.name)))
        };
        match filter {
            Filter::In { columns, tuples } => {
                let Some((cond, arrays)) = self.in_filter(t, &shape, columns, tuples)? else {
                    return Ok(());
                };
                let params: Params = arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
                self.stream(&format!("{head} {cond}{tail}"), &params, &doing, &mut emit)?;
            }
            Filter::Keys(keys) if t.pk.is_empty() => {
                let places: Vec<String> = keys
                    .iter()
                    .filter_map(|k| k.first().filter(|v| read_sql::is_ctid(v)))
                    .filter_map(|v| v.as_text().map(str::to_string))
                    .collect();
                if places.is_empty() {
                    return Ok(());
                }
                let sql = format!("{head} ctid = ANY(CAST($1::text[] AS pg_catalog.tid[])){tail}");
                self.stream(&sql, &[&places], &doing, &mut emit)?;
            }
            Filter::Keys(keys) => {
                let cols = t.pk.iter().map(|c| col(c)).collect::<Result<Vec<_>>>()?;
                let Some((cond, arrays)) = in_params(&cols, keys.iter().map(Vec::as_slice)) else {
                    return Ok(());
                };
                let params: Params = arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
                self.stream(&format!("{head} {cond}{tail}"), &params, &doing, &mut emit)?;
            }
            Filter::Prefixed {
                column,
                prefixes,
                nocase,
            } => {
                let c = col(column)?;
                if !c.ty.holds_text() {
                    return Ok(()); // non-text values never match
                }
                let citext = c.ty.case_insensitive();
                let q = quote(column);
                let (mut expr, cast) = match (*nocase, citext) {
                    (true, false) => (format!("lower({q})"), "pg_catalog.text".to_string()),
                    _ => (q, lookup_cast(c)),
                };
                if !self.codepoint_order(c)? {
                    expr = format!("{expr} COLLATE \"C\"");
                }
                // lower() may fold more than ASCII: both foldings are
                // looked for (a superset; the caller's normaliser decides).
                let mut wanted: Vec<String> = prefixes.to_vec();
                if *nocase {
                    wanted.extend(prefixes.iter().map(|p| p.to_lowercase()));
                }
                // The ranges in one statement, up to RANGES_PER_READ of
                // them: a key's prefixes are some twelve ranges (the key,
                // and the whitespace a stored value may start with), one
                // round trip where there were twelve. Bound as values
                // (not an array joined to), the planner estimates each
                // range from the column's statistics, and answers them
                // with one index range scan each (a BitmapOr); the ranges
                // are disjoint, and rows are put in key order later.
                let ranges = crate::store::sqlite::prefix_ranges(&wanted, *nocase);
                for chunk in ranges.chunks(RANGES_PER_READ) {
                    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
                    let mut conds = Vec::new();
                    for (lo, hi) in chunk {
                        params.push(lo);
                        let lo_n = params.len();
                        conds.push(match hi {
                            Some(hi) => {
                                params.push(hi);
                                let hi_n = params.len();
                                format!(
                                    "({expr} >= CAST(${lo_n}::text AS {cast}) AND {expr} < CAST(${hi_n}::text AS {cast}))"
                                )
                            }
                            None => format!("{expr} >= CAST(${lo_n}::text AS {cast})"),
                        });
                    }
                    let sql = format!("{head} ({})", conds.join(" OR "));
                    self.stream(&sql, &params, &doing, &mut emit)?;
                }
            }
            Filter::Normalized { column, kind, keys } => {
                let c = col(column)?;
                let Some(ci) = t.column_index(column) else {
                    return Ok(());
                };
                let q = quote(column);
                let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
                // Where every key has digits each stored form holds in
                // order (phones), a LIKE passes only rows worth normalising.
                let narrow: Option<Vec<String>> = keys
                    .iter()
                    .map(|k| {
                        ident::required_digits(*kind, k).map(|d| crate::store::sqlite::spread(&d))
                    })
                    .collect();
                let today = self.reads.today;
                let kind = *kind;
                let mut read = 0u64;
                let mut check = |r: &postgres::Row| -> Result<()> {
                    read += 1;
                    let row = shape.row(r).map_err(|e| self.decode(&t.name, e))?;
                    let text = match &row.values[ci] {
                        Value::Text(s) => s.clone(),
                        Value::Integer(i) => i.to_string(),
                        _ => return Ok(()),
                    };
                    if ident::normalize_stored(kind, &text, today)
                        .is_some_and(|k| wanted.contains(k.as_str()))
                    {
                        f(row);
                    }
                    Ok(())
                };
                match narrow.filter(|_| c.ty.holds_text() && !keys.is_empty()) {
                    Some(likes) => {
                        let sql = format!("{head} {}", read_sql::like_any_in_c(&q, 1));
                        self.stream(&sql, &[&likes], &doing, &mut check)?;
                    }
                    None if keys.is_empty() => {}
                    None => {
                        let sql = format!("{head} {q} IS NOT NULL");
                        self.stream(&sql, &[], &doing, &mut check)?;
                    }
                }
                self.reads.scanned.set(self.reads.scanned.get() + read);
            }
        }
        Ok(())
    }

    /// [`crate::store::Backend::select_in_key_order`]: one statement (the
    /// tuples bound as one array per column), ordered by the key as
    /// `key_cmp` orders the values read: text by code point (`COLLATE
    /// "C"`, citext as its text), other types by their own order.
    pub(super) fn select_ordered(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
        f: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        let shape = self.shape(t)?;
        let col = |name: &str| {
            shape
                .column(name)
                .ok_or_else(|| self.changed(&format!("column {}.{name}", t.name)))
        };
        let Some((cond, arrays)) = self.in_filter(t, &shape, columns, tuples)? else {
            return Ok(());
        };
        let order = if t.pk.is_empty() {
            "ctid".to_string()
        } else {
            let mut parts = Vec::new();
            for k in &t.pk {
                let c = col(k)?;
                let q = quote(k);
                // Where the column's own collation orders by code point
                // (C.UTF-8, the default of many databases), its index
                // gives the order; `COLLATE "C"` would sort the rows
                // (on disk, for a subject of millions of rows).
                parts.push(if c.ty.case_insensitive() {
                    format!("{q}::text COLLATE \"C\"")
                } else if c.ty.holds_text() && !self.codepoint_order(c)? {
                    format!("{q} COLLATE \"C\"")
                } else {
                    q
                });
            }
            parts.join(", ")
        };
        let sql = format!(
            "SELECT {} FROM {} WHERE {cond} ORDER BY {order}",
            shape.list,
            quote(&t.name)
        );
        let params: Params = arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        let doing = format!("reading {}", t.name);
        self.stream(&sql, &params, &doing, &mut |r| {
            f(shape.row(r).map_err(|e| self.decode(&t.name, e))?)
        })?;
        Ok(())
    }

    /// The shape's columns named `columns`, or the error that the table
    /// changed under dsr.
    fn shape_columns<'s>(
        &self,
        t: &TableSchema,
        shape: &'s Shape,
        columns: &[String],
    ) -> Result<Vec<&'s PgColumn>> {
        columns
            .iter()
            .map(|c| {
                shape
                    .column(c)
                    .ok_or_else(|| self.changed(&format!("column {}.{c}", t.name)))
            })
            .collect()
    }

    /// `WHERE` of a `Filter::In` over `columns` and its array parameters
    /// (one per column); None when no tuple can match.
    fn in_filter(
        &self,
        t: &TableSchema,
        shape: &Shape,
        columns: &[String],
        tuples: &[Vec<Value>],
    ) -> Result<Option<(String, Vec<Vec<String>>)>> {
        let cols = self.shape_columns(t, shape, columns)?;
        Ok(in_params(&cols, tuples.iter().map(Vec::as_slice)))
    }

    /// [`crate::store::Backend::count_in`].
    pub(super) fn count_matching(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
    ) -> Result<u64> {
        let shape = self.shape(t)?;
        let Some((cond, arrays)) = self.in_filter(t, &shape, columns, tuples)? else {
            return Ok(0);
        };
        let sql = format!("SELECT count(*) FROM {} WHERE {cond}", quote(&t.name));
        let params: Params = arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        let mut n = 0i64;
        self.stream(&sql, &params, &format!("counting {}", t.name), &mut |r| {
            n = r.try_get(0).map_err(|e| self.decode(&t.name, e))?;
            Ok(())
        })?;
        Ok(n.max(0) as u64)
    }

    /// Streams (key, text) for the values of a text column that may hold
    /// one of the needles: `LIKE ANY` over the patterns
    /// ([`read_sql::scan_condition`]).
    /// Columns that hold no text are not searched (as on SQLite, where only
    /// text values are).
    pub(super) fn scan_text_values(
        &self,
        t: &TableSchema,
        column: &str,
        needles: &[Needle],
        f: &mut dyn FnMut(Vec<Value>, &str),
    ) -> Result<()> {
        let shape = self.shape(t)?;
        let c = shape
            .column(column)
            .ok_or_else(|| self.changed(&format!("column {}.{column}", t.name)))?;
        if needles.is_empty() || !c.ty.holds_text() {
            return Ok(());
        }
        let keys = self.key_sql(t)?;
        let nkey = t.pk.len().max(1);
        let q = quote(column);
        let (cond, arrays) = read_sql::scan_condition(
            &q,
            needles,
            t.has_trigram_index(column),
            c.ty.case_insensitive(),
        )
        .unwrap_or_else(|| ("TRUE".to_string(), Vec::new()));
        let params: Params = arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        let sql = format!(
            "SELECT {keys}, {q} FROM {} WHERE {q} IS NOT NULL AND ({cond})",
            quote(&t.name),
        );
        let doing = format!("searching {}.{column}", t.name);
        self.stream(&sql, &params, &doing, &mut |r| {
            let text = get(r, nkey)
                .map_err(|e| self.decode(&t.name, e))?
                .to_value();
            if let Value::Text(text) = text {
                let key = (0..nkey)
                    .map(|i| get(r, i).map(|v| v.to_value()))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| self.decode(&t.name, e))?;
                f(key, &text);
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Rows in a table.
    pub(super) fn count_rows(&self, t: &TableSchema) -> Result<u64> {
        let mut n = 0i64;
        let sql = format!("SELECT count(*) FROM {}", quote(&t.name));
        self.stream(&sql, &[], &format!("counting {}", t.name), &mut |r| {
            n = r.try_get(0).map_err(|e| self.decode(&t.name, e))?;
            Ok(())
        })?;
        Ok(n.max(0) as u64)
    }

    /// `synchronize_seqscans` off in the session, so that a whole-table
    /// read always starts at the table's first page.
    pub(super) fn pin_seqscans(&self) -> Result<()> {
        if !self.reads.seqscans_pinned.get() {
            self.run_read("SET synchronize_seqscans TO off", "setting up a read of")?;
            self.reads.seqscans_pinned.set(true);
        }
        Ok(())
    }

    /// Calls `f` with every row of `t` (its columns' values in schema
    /// order) in one streaming statement, in the table's physical order:
    /// a sequential scan, no sort, memory flat. `synchronize_seqscans` is
    /// off so that a scan always starts at the table's first page: the
    /// order is the same on every run over the same data.
    pub(super) fn scan_all_rows(
        &self,
        t: &TableSchema,
        f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<u64> {
        self.pin_seqscans()?;
        let shape = self.shape(t)?;
        let list: Vec<String> = shape
            .cols
            .iter()
            .map(|c| c.ty.select_expr(&quote(&c.name)))
            .collect();
        let sql = format!("SELECT {} FROM {}", list.join(", "), quote(&t.name));
        let mut values: Vec<Value> = Vec::with_capacity(shape.cols.len());
        self.stream(&sql, &[], &format!("reading {}", t.name), &mut |r| {
            values.clear();
            for i in 0..shape.cols.len() {
                values.push(get(r, i).map_err(|e| self.decode(&t.name, e))?.to_value());
            }
            f(&values)
        })
    }

    /// The SELECT list of `t`'s key (its primary key, or `ctid`).
    fn key_sql(&self, t: &TableSchema) -> Result<String> {
        let cat = self.catalog()?;
        let pg = cat
            .table(&t.name)
            .ok_or_else(|| self.changed(&format!("table {}", t.name)))?;
        key_list(t, pg).ok_or_else(|| self.changed(&format!("the key of {}", t.name)))
    }

    /// Every key of `t` (the key columns only).
    pub(super) fn all_keys(&self, t: &TableSchema, f: &mut dyn FnMut(Vec<Value>)) -> Result<()> {
        let keys = self.key_sql(t)?;
        let n = t.pk.len().max(1);
        let sql = format!("SELECT {keys} FROM {}", quote(&t.name));
        self.stream(
            &sql,
            &[],
            &format!("reading the keys of {}", t.name),
            &mut |r| {
                let key = (0..n)
                    .map(|i| get(r, i).map(|v| v.to_value()))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| self.decode(&t.name, e))?;
                f(key);
                Ok(())
            },
        )?;
        Ok(())
    }

    /// Rows read by scans in `select`: those `Filter::Normalized` reads
    /// (every non-null value of the column). Whether the server's planner
    /// answered the other filters from an index is not counted.
    pub(super) fn scanned(&self) -> u64 {
        self.reads.scanned.get()
    }

    /// Whether a read or snapshot transaction is open.
    pub(super) fn in_read(&self) -> bool {
        self.reads.reading.get()
    }

    pub(super) fn begin_read_tx(&self) -> Result<()> {
        self.close_copier();
        self.run_read(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            "starting a read of",
        )?;
        self.reads.reading.set(true);
        Ok(())
    }

    /// One `REPEATABLE READ READ ONLY` transaction for a whole-tenant
    /// export: every table as of one moment, and on PostgreSQL a reader
    /// never blocks the application's writers. False inside a transaction
    /// that is already open (its snapshot holds).
    pub(super) fn begin_snapshot_tx(&self) -> Result<bool> {
        if self.in_read() || self.in_tx() {
            return Ok(false);
        }
        self.begin_read_tx()?;
        Ok(true)
    }

    pub(super) fn end_read_tx(&self, ok: bool) -> Result<()> {
        if !self.in_read() {
            return Ok(());
        }
        self.reads.reading.set(false);
        self.close_copier();
        self.run_read(if ok { "COMMIT" } else { "ROLLBACK" }, "ending a read of")
    }
}

/// One text array per column of the tuples whose every value can be of its
/// column's type (the others can match no row); None when none is left.
fn tuple_arrays<'a>(
    cols: &[&PgColumn],
    tuples: impl Iterator<Item = &'a [Value]>,
) -> Option<Vec<Vec<String>>> {
    let mut arrays: Vec<Vec<String>> = vec![Vec::new(); cols.len()];
    'tuples: for tuple in tuples {
        if tuple.len() != cols.len() {
            continue;
        }
        let mut texts = Vec::with_capacity(cols.len());
        for (c, v) in cols.iter().zip(tuple) {
            // NULL equals nothing, as in SQL.
            match fit(&c.ty, v) {
                Ok(Some(t)) => texts.push(t),
                _ => continue 'tuples,
            }
        }
        for (a, t) in arrays.iter_mut().zip(texts) {
            a.push(t);
        }
    }
    (!arrays.first().is_none_or(Vec::is_empty)).then_some(arrays)
}

/// The condition that the columns equal one of the tuples, and its array
/// parameters: one per column ([`tuple_arrays`]), then, where the tuples
/// share few first values, those ([`tuple_match`]).
fn in_params<'a>(
    cols: &[&PgColumn],
    tuples: impl Iterator<Item = &'a [Value]>,
) -> Option<(String, Vec<Vec<String>>)> {
    let mut arrays = tuple_arrays(cols, tuples)?;
    let names: Vec<String> = cols.iter().map(|c| quote(&c.name)).collect();
    let casts: Vec<String> = cols.iter().map(|c| lookup_cast(c)).collect();
    let lead = leading_values(cols.len(), arrays[0].iter().map(|v| Some(v.as_str())));
    let lead_at = lead.as_ref().map(|_| cols.len() + 1);
    arrays.extend(lead);
    Some((tuple_match(&names, &casts, 1, lead_at), arrays))
}

/// A lookup's failure. A value the server could not read as the column's
/// type (SQLSTATE class 22, for types whose input dsr does not check
/// first) is said without the server's text, which would quote the value.
fn lookup_error(url: &crate::store::pg::PgUrl, doing: &str, e: &postgres::Error) -> Error {
    match e.code().map(|c| c.code()) {
        Some(code) if code.starts_with("22") => Error::Runtime(format!(
            "a value dsr looked up while {doing} in {} is not of its column's type (SQLSTATE {code}); nothing was changed; check that the map's identify and link columns have the types of the identifiers and keys they are matched with",
            url.place()
        )),
        _ => sql_error(url, doing, e),
    }
}
