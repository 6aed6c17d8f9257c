//! Reads of the tenant's tables: lookups by filter, the free-text scan,
//! and whole-table reads for the tenant export, streamed in batches by key,
//! so that memory stays flat and (outside WAL mode) the application's
//! writers get their turn between batches.

use super::split::Part;
use super::write::{key_in, padded};
use super::{from_ref, SqliteBackend, CHUNK};
use crate::error::Result;
use crate::ident;
use crate::store::schema::{quote, RowIds, TableSchema};
use crate::store::{Filter, Needle, Row};
use crate::value::Value;
use rusqlite::types::ValueRef;
use rusqlite::ToSql;

/// Rows per statement of a whole-table read.
const BATCH: usize = 10_000;

impl SqliteBackend {
    /// Up to `limit` non-null values of a column, for guessing what it holds.
    pub(super) fn sample_values(
        &self,
        table: &str,
        column: &str,
        limit: usize,
    ) -> Result<Vec<Value>> {
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
    pub(super) fn select_list(t: &TableSchema) -> (String, usize) {
        let cols: Vec<String> = t.columns.iter().map(|c| quote(&c.name)).collect();
        if t.pk.is_empty() {
            (format!("_rowid_, {}", cols.join(", ")), 1)
        } else {
            (cols.join(", "), 0)
        }
    }

    /// [`Self::select_list`] with NULL in place of the columns `read` does
    /// not mark (key columns are always read).
    pub(super) fn select_only(t: &TableSchema, read: &[bool]) -> (String, usize) {
        let cols: Vec<String> = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if read.get(i).copied().unwrap_or(false) || t.pk.contains(&c.name) {
                    quote(&c.name)
                } else {
                    "NULL".to_string()
                }
            })
            .collect();
        if t.pk.is_empty() {
            (format!("_rowid_, {}", cols.join(", ")), 1)
        } else {
            (cols.join(", "), 0)
        }
    }

    pub(super) fn read_row(
        t: &TableSchema,
        r: &rusqlite::Row<'_>,
        skip: usize,
    ) -> rusqlite::Result<Row> {
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
    pub(super) fn select_rows(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        self.select_listing(t, filter, Self::select_list(t), f)
    }

    /// [`Self::select_rows`] reading the columns of `(list, skip)`
    /// ([`Self::select_list`] or [`Self::select_only`]).
    pub(super) fn select_listing(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        (list, skip): (String, usize),
        f: &mut dyn FnMut(Row),
    ) -> Result<()> {
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
                let per = (CHUNK / columns.len().max(1)).max(1);
                for chunk in tuples.chunks(per) {
                    let (bound, params) = padded(chunk, per);
                    let cond = in_condition(columns, bound);
                    run(&format!("SELECT {list} FROM {from} WHERE {cond}"), params)?;
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
                // The keys first, then the rows by key: a read of the
                // column and the key only, which SQLite answers from an
                // index on the column where there is one (it holds both),
                // a fraction of the table's pages.
                let found = self.normalized_keys(t, column, *kind, keys, &doing)?;
                for chunk in found.chunks(CHUNK / t.pk.len().max(1)) {
                    let (cond, params) = key_in(t, chunk);
                    run(&format!("SELECT {list} FROM {from} WHERE {cond}"), params)?;
                }
            }
            Filter::Keys(keys) => {
                for chunk in keys.chunks(CHUNK / t.pk.len().max(1)) {
                    let (cond, params) = key_in(t, chunk);
                    run(&format!("SELECT {list} FROM {from} WHERE {cond}"), params)?;
                }
            }
        }
        Ok(())
    }

    /// [`crate::store::Backend::select_in_key_order`]: one statement per
    /// chunk of tuples, each ordered by the key (`COLLATE BINARY`: by code
    /// point, as `key_cmp` orders text; SQLite's order of types is
    /// `key_cmp`'s), and the chunks' results merged as they stream, so that
    /// memory holds one row per chunk.
    pub(super) fn select_ordered(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
        f: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        if tuples.is_empty() || columns.is_empty() {
            return Ok(());
        }
        let (list, skip) = Self::select_list(t);
        let order = if t.pk.is_empty() {
            "_rowid_".to_string()
        } else {
            t.pk.iter()
                .map(|c| format!("{} COLLATE BINARY", quote(c)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let doing = format!("reading {}", t.name);
        let per = (CHUNK / columns.len()).max(1);
        let chunks: Vec<&[Vec<Value>]> = tuples.chunks(per).collect();
        let mut statements = Vec::with_capacity(chunks.len());
        for chunk in &chunks {
            let sql = format!(
                "SELECT {list} FROM {} WHERE {} ORDER BY {order}",
                quote(&t.name),
                in_condition(columns, chunk.len())
            );
            statements.push(self.conn.prepare(&sql).map_err(|e| self.err(&doing, e))?);
        }
        let mut cursors = Vec::with_capacity(chunks.len());
        for (st, chunk) in statements.iter_mut().zip(&chunks) {
            let params: Vec<&dyn ToSql> = chunk.iter().flatten().map(|v| v as &dyn ToSql).collect();
            cursors.push(
                st.query(params.as_slice())
                    .map_err(|e| self.err(&doing, e))?,
            );
        }
        let next = |rows: &mut rusqlite::Rows<'_>| -> Result<Option<Row>> {
            match rows.next().map_err(|e| self.err(&doing, e))? {
                Some(r) => Ok(Some(
                    Self::read_row(t, r, skip).map_err(|e| self.err(&doing, e))?,
                )),
                None => Ok(None),
            }
        };
        let mut heads: Vec<Option<Row>> = Vec::with_capacity(cursors.len());
        for c in &mut cursors {
            heads.push(next(c)?);
        }
        loop {
            let mut min: Option<usize> = None;
            for (i, h) in heads.iter().enumerate() {
                let Some(h) = h else { continue };
                let smaller = match min.and_then(|m| heads[m].as_ref()) {
                    Some(m) => crate::value::key_cmp(&h.key, &m.key).is_lt(),
                    None => true,
                };
                if smaller {
                    min = Some(i);
                }
            }
            let Some(i) = min else { break };
            let fresh = next(&mut cursors[i])?;
            if let Some(row) = std::mem::replace(&mut heads[i], fresh) {
                f(row)?;
            }
        }
        Ok(())
    }

    /// [`crate::store::Backend::count_in`], chunk by chunk (a row holds one
    /// tuple, so no row is counted twice).
    pub(super) fn count_matching(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
    ) -> Result<u64> {
        if columns.is_empty() {
            return Ok(0);
        }
        let doing = format!("counting {}", t.name);
        let per = (CHUNK / columns.len()).max(1);
        let mut n = 0u64;
        for chunk in tuples.chunks(per) {
            let (bound, params) = padded(chunk, per);
            let sql = format!(
                "SELECT count(*) FROM {} WHERE {}",
                quote(&t.name),
                in_condition(columns, bound)
            );
            let c: i64 = self
                .conn
                .prepare_cached(&sql)
                .and_then(|mut st| st.query_row(params.as_slice(), |r| r.get(0)))
                .map_err(|e| self.err(&doing, e))?;
            n += c.max(0) as u64;
        }
        Ok(n)
    }

    /// Deletes the rows `select_rows` with `Filter::In` reads: the same
    /// conditions, chunk by chunk.
    pub(super) fn delete_in_rows(
        &self,
        t: &TableSchema,
        columns: &[String],
        tuples: &[Vec<Value>],
    ) -> Result<u64> {
        let doing = format!("deleting from {} in", t.name);
        let mut n = 0;
        let per = (CHUNK / columns.len().max(1)).max(1);
        for chunk in tuples.chunks(per) {
            let (bound, params) = padded(chunk, per);
            let cond = in_condition(columns, bound);
            let sql = format!("DELETE FROM {} WHERE {cond}", quote(&t.name));
            n += self.exec(&sql, &params, &doing)?;
        }
        Ok(n)
    }

    /// The keys of the rows whose `column`, normalised as an identifier of
    /// `kind` (text, or an integer read as its digits, as `dsr_norm` reads
    /// them), is one of `keys`, in the order the store reads them. Where
    /// the kind knows digits that every stored form of a key holds in order
    /// ([`ident::required_digits`]), only values holding those of some key
    /// are normalised (the test `LIKE '%d%d%…'` makes, done on the bytes).
    /// Full-scan steps are counted as [`Self::select_rows`] counts them.
    fn normalized_keys(
        &self,
        t: &TableSchema,
        column: &str,
        kind: ident::Kind,
        keys: &[String],
        doing: &str,
    ) -> Result<Vec<Vec<Value>>> {
        let narrow: Option<Vec<Vec<u8>>> = keys
            .iter()
            .map(|k| ident::required_digits(kind, k).map(String::into_bytes))
            .collect();
        let wanted: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        let cols: Vec<String> = if t.pk.is_empty() {
            vec!["_rowid_".into()]
        } else {
            t.pk.iter().map(|c| quote(c)).collect()
        };
        let c = quote(column);
        // A long read in parts at once (`split`): by ranges of the values
        // where an index holds the column, by rowid where the table is read.
        let parts = if super::split::leading_index(t, column).is_some() {
            self.value_parts(t, column)
        } else {
            self.rowid_parts(t)
        };
        let today = self.today;
        let read = |conn: &rusqlite::Connection, part: &Part| -> rusqlite::Result<_> {
            // Whole, no WHERE: a full read of the column (an index's, where
            // it has one), counted as one; NULLs are left out below.
            let cond = part.condition(&c, 1);
            let sql = format!(
                "SELECT {c}, {} FROM {}{}{}{}",
                cols.join(", "),
                quote(&t.name),
                part.indexed_by(),
                if cond.is_empty() { "" } else { " WHERE " },
                cond.strip_suffix(" AND ").unwrap_or(&cond),
            );
            let mut st = conn.prepare_cached(&sql)?;
            let mut rows = st.query(part.bounds().as_slice())?;
            let mut out: Vec<Vec<Value>> = Vec::new();
            let mut digits = String::new();
            let mut read = 0u64;
            while let Some(r) = rows.next()? {
                read += 1;
                let text: std::borrow::Cow<'_, str> = match r.get_ref(0)? {
                    ValueRef::Text(b) => String::from_utf8_lossy(b),
                    ValueRef::Integer(i) => {
                        digits.clear();
                        use std::fmt::Write;
                        let _ = write!(digits, "{i}");
                        std::borrow::Cow::Borrowed(digits.as_str())
                    }
                    _ => continue,
                };
                if let Some(narrow) = &narrow {
                    if !narrow.iter().any(|d| in_order(d, text.as_bytes())) {
                        continue;
                    }
                }
                let hit = ident::normalize_stored(kind, &text, today)
                    .is_some_and(|k| wanted.contains(k.as_str()));
                if hit {
                    let mut key = Vec::with_capacity(cols.len());
                    for i in 1..=cols.len() {
                        key.push(from_ref(r.get_ref(i)?));
                    }
                    out.push(key);
                }
            }
            drop(rows);
            let steps = st.reset_status(rusqlite::StatementStatus::FullscanStep);
            // A part is a range search, not a full scan, but together they
            // read the whole column: counted as the rows they read.
            let scanned = if matches!(part, Part::Whole) {
                steps.max(0) as u64
            } else {
                read
            };
            Ok((out, scanned))
        };
        let done = self
            .run_parts(&parts, &read)
            .map_err(|e| self.err(doing, e))?;
        crate::trace::note(|| format!("{doing}: {} part(s) at once", self.parts_at_once()));
        let mut out = Vec::new();
        for (keys, scanned) in done {
            self.scanned.set(self.scanned.get() + scanned);
            out.extend(keys);
        }
        Ok(out)
    }

    /// Streams (key, text) for the values of a text column that match one of
    /// the needles, as their LIKE patterns would ([`like_pattern`]), tested
    /// here rather than in SQL: the column is read once, key and text, and
    /// the patterns run over the bytes SQLite hands out (one Aho-Corasick
    /// automaton for the substrings, a `memchr` chain per digit sequence),
    /// which costs about what reading the column costs, where a chain of
    /// `LIKE … OR LIKE …` ran every pattern over every value. Only candidate
    /// rows have their key read.
    pub(super) fn scan_text_values(
        &self,
        t: &TableSchema,
        column: &str,
        needles: &[Needle],
        f: &mut dyn FnMut(Vec<Value>, &str),
    ) -> Result<()> {
        if needles.is_empty() {
            return Ok(());
        }
        let doing = format!("searching {}.{}", t.name, column);
        // Checked here, so that the SQL function never meets needles it
        // cannot build a test of (it would then admit every value).
        TextTest::new(needles)
            .map_err(|e| crate::error::Error::Runtime(format!("{doing}: {e}")))?;
        let key = if t.pk.is_empty() {
            "_rowid_".to_string()
        } else {
            t.pk.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ")
        };
        let nkey = t.pk.len().max(1);
        let c = quote(column);
        // The test runs inside the statement (`dsr_admits`, built once per
        // statement from the encoded needles), so only candidates come out;
        // a long table is read in parts at once (`split`).
        let encoded = encode_needles(needles);
        let parts = self.rowid_parts(t);
        let read = |conn: &rusqlite::Connection, part: &Part| -> rusqlite::Result<_> {
            let sql = format!(
                "SELECT {c}, {key} FROM {t} WHERE {range}{c} IS NOT NULL AND dsr_admits(?1, {c})",
                t = quote(&t.name),
                range = part.condition(&c, 2),
            );
            let mut st = conn.prepare(&sql)?;
            let mut params: Vec<&dyn ToSql> = vec![&encoded];
            params.extend(part.bounds());
            let mut rows = st.query(params.as_slice())?;
            let mut found: Vec<(Vec<Value>, String)> = Vec::new();
            while let Some(r) = rows.next()? {
                let ValueRef::Text(bytes) = r.get_ref(0)? else {
                    continue;
                };
                let mut key = Vec::with_capacity(nkey);
                for i in 1..=nkey {
                    key.push(from_ref(r.get_ref(i)?));
                }
                found.push((key, String::from_utf8_lossy(bytes).into_owned()));
            }
            Ok(found)
        };
        let found = self
            .run_parts(&parts, &read)
            .map_err(|e| self.err(&doing, e))?;
        crate::trace::note(|| format!("{doing}: {} part(s) at once", self.parts_at_once()));
        for (key, text) in found.into_iter().flatten() {
            f(key, &text);
        }
        Ok(())
    }

    /// Rows in a table.
    pub(super) fn count_rows(&self, t: &TableSchema) -> Result<u64> {
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
    pub(super) fn scan_all_rows(
        &self,
        t: &TableSchema,
        f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<u64> {
        let key: Vec<String> = if t.row_ids == RowIds::None {
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

    /// Begins one read transaction when the store is in WAL mode, where a
    /// reader never blocks the application's writers, so that a
    /// whole-tenant export is one consistent snapshot; false in other
    /// journal modes, where a long read would hold up every writer, so each
    /// batch is its own read instead.
    pub(super) fn begin_wal_snapshot(&self) -> Result<bool> {
        let wal = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .map_err(|e| self.err("reading the journal mode of", e))?
            .eq_ignore_ascii_case("wal");
        if wal {
            self.batch("BEGIN DEFERRED", "starting a read of")?;
        }
        Ok(wal)
    }

    /// Every key of `t` (the key columns only).
    pub(super) fn all_keys(&self, t: &TableSchema, f: &mut dyn FnMut(Vec<Value>)) -> Result<()> {
        let cols: Vec<String> = if t.pk.is_empty() {
            vec!["_rowid_".into()]
        } else {
            t.pk.iter().map(|c| quote(c)).collect()
        };
        let doing = format!("reading the keys of {} in", t.name);
        let sql = format!("SELECT {} FROM {}", cols.join(", "), quote(&t.name));
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(&doing, e))?;
        let mut rows = st.query([]).map_err(|e| self.err(&doing, e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(&doing, e))? {
            let mut key = Vec::with_capacity(cols.len());
            for i in 0..cols.len() {
                key.push(from_ref(r.get_ref(i).map_err(|e| self.err(&doing, e))?));
            }
            f(key);
        }
        Ok(())
    }
}

/// The needles of a free-text scan as a test of a value's bytes that
/// admits exactly what their LIKE patterns admit: SQLite's LIKE folds ASCII
/// case only, compares other characters as they are, and `%` takes any run
/// of characters, so a substring is found ignoring ASCII case, and a digit
/// sequence as a subsequence (each digit after the one before).
pub(crate) struct TextTest {
    /// Every value passes (a needle whose pattern is `%%`).
    all: bool,
    substrings: Option<aho_corasick::AhoCorasick>,
    digits: Vec<Vec<u8>>,
}

impl TextTest {
    pub(crate) fn new(needles: &[Needle]) -> std::result::Result<TextTest, String> {
        let mut all = false;
        let mut subs: Vec<&str> = Vec::new();
        let mut digits: Vec<Vec<u8>> = Vec::new();
        for n in needles {
            match n {
                Needle::Substring { text, .. } if text.is_empty() => all = true,
                Needle::Substring { text, .. } => subs.push(text),
                Needle::DigitsInOrder(d) if d.is_empty() => all = true,
                Needle::DigitsInOrder(d) => digits.push(d.as_bytes().to_vec()),
            }
        }
        let substrings = if subs.is_empty() {
            None
        } else {
            Some(
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    // A handful of patterns: the DFA is small, and the
                    // fastest to run over every value of a column.
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&subs)
                    .map_err(|e| format!("building the free-text search failed: {e}"))?,
            )
        };
        digits.sort();
        digits.dedup();
        Ok(TextTest {
            all,
            substrings,
            digits,
        })
    }

    /// Whether the value holds one of the needles.
    pub(crate) fn admits(&self, text: &[u8]) -> bool {
        if self.all {
            return true;
        }
        if self.substrings.as_ref().is_some_and(|ac| ac.is_match(text)) {
            return true;
        }
        self.digits.iter().any(|d| in_order(d, text))
    }
}

/// The needles as one text parameter for `dsr_admits`: each `s` (a
/// substring) or `d` (digits in order), its length in bytes, `:`, itself.
pub(crate) fn encode_needles(needles: &[Needle]) -> String {
    let mut out = String::new();
    for n in needles {
        let (tag, text) = match n {
            Needle::Substring { text, .. } => ('s', text),
            Needle::DigitsInOrder(d) => ('d', d),
        };
        out.push(tag);
        out.push_str(&text.len().to_string());
        out.push(':');
        out.push_str(text);
    }
    out
}

/// [`encode_needles`] read back; None when it is not such a list.
pub(crate) fn decode_needles(mut s: &str) -> Option<Vec<Needle>> {
    let mut out = Vec::new();
    while !s.is_empty() {
        let tag = s.chars().next().filter(char::is_ascii)?;
        let (len, rest) = s.get(1..)?.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let text = rest.get(..len)?.to_string();
        s = &rest[len..];
        out.push(match tag {
            's' => Needle::Substring {
                text,
                ignore_case: true,
            },
            'd' => Needle::DigitsInOrder(text),
            _ => return None,
        });
    }
    Some(out)
}

/// Whether the bytes of `want` occur in `text` in this order, anything
/// before, between and after them (`LIKE '%1%2%3%'`).
fn in_order(want: &[u8], text: &[u8]) -> bool {
    let mut at = 0;
    for &b in want {
        match memchr::memchr(b, &text[at..]) {
            Some(i) => at += i + 1,
            None => return false,
        }
    }
    true
}

/// The LIKE pattern (escape `\\`) of a needle. LIKE folds ASCII case only,
/// which is what [`Needle::Substring`] asks; a substring that must match
/// case-sensitively is still found (a superset is allowed).
pub(crate) fn like_pattern(n: &Needle) -> String {
    fn escape(s: &str) -> String {
        s.chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect()
    }
    match n {
        Needle::Substring { text, .. } => format!("%{}%", escape(text)),
        Needle::DigitsInOrder(d) => spread(d),
    }
}

/// The half-open ranges `[lo, hi)` of text that starts with one of the
/// prefixes (`hi` None: no upper bound), sorted and merged so that no row
/// is read twice. For `nocase` the prefixes are folded to ASCII lowercase,
/// as SQLite's NOCASE compares.
pub(crate) fn prefix_ranges(prefixes: &[String], nocase: bool) -> Vec<(String, Option<String>)> {
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
pub(crate) fn spread(digits: &str) -> String {
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

/// `columns IN (…)` for `tuples` tuples of placeholders.
fn in_condition(columns: &[String], tuples: usize) -> String {
    let n = columns.len().max(1);
    if n == 1 {
        return format!(
            "{} IN ({})",
            quote(&columns[0]),
            vec!["?"; tuples].join(", ")
        );
    }
    let cols: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let tuple = format!("({})", vec!["?"; n].join(", "));
    // A row-value IN over a plain VALUES list is not planned as an index
    // search; over a subquery it is.
    format!(
        "({}) IN (SELECT {} FROM (VALUES {}))",
        cols.join(", "),
        (1..=n)
            .map(|i| format!("column{i}"))
            .collect::<Vec<_>>()
            .join(", "),
        vec![tuple.as_str(); tuples].join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::Kind;
    use rusqlite::Connection;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    /// The scan's test in Rust admits exactly what SQLite's LIKE patterns
    /// of the same needles admit (ASCII case folded, other characters as
    /// they are, digits in order with anything between).
    #[test]
    fn text_test_admits_what_like_admits() {
        let c = Connection::open_in_memory().expect("db");
        let like = |text: &str, n: &Needle| -> bool {
            c.query_row(
                "SELECT ?1 LIKE ?2 ESCAPE '\\'",
                [text, &like_pattern(n)],
                |r| r.get(0),
            )
            .expect("like")
        };
        let sub = |t: &str| Needle::Substring {
            text: t.into(),
            ignore_case: true,
        };
        let needles = [
            sub("anna_b%@example.se"),
            sub("K-000017"),
            sub("åsa@x.se"),
            sub(""),
            Needle::DigitsInOrder("8112189876".into()),
            Needle::DigitsInOrder("701234567".into()),
            Needle::DigitsInOrder(String::new()),
        ];
        let texts = [
            "",
            "Mail ANNA_B%@Example.SE now",
            "annaxb%@example.se",
            "kundnr k-000017",
            "K-00001",
            "ÅSA@x.se",
            "Åsa@X.SE",
            "åsa@x.se",
            "x 811218-9876 y",
            "8 1 1 2 1 8 9 8 7 6",
            "811218-9875",
            "ring 070-123 45 67",
            "0701234576",
            "no digits at all",
        ];
        for (ni, n) in needles.iter().enumerate() {
            let test = TextTest::new(std::slice::from_ref(n)).expect("test");
            for t in texts {
                assert_eq!(
                    test.admits(t.as_bytes()),
                    like(t, n),
                    "needle {ni} on {t:?}"
                );
            }
        }
        // Several needles: any one admits.
        let test = TextTest::new(&needles[..2]).expect("test");
        assert!(test.admits(b"about K-000017"));
        assert!(!test.admits(b"about K-000018"));
        let test = TextTest::new(&needles[4..6]).expect("test");
        assert!(test.admits(b"070 123 45 67"));
        assert!(!test.admits(b"070 123 45 6"));
    }

    /// The needles travel to `dsr_admits` as one parameter and back whole,
    /// whatever they hold; anything else is not read as needles.
    #[test]
    fn needles_encode_and_decode() {
        let needles = vec![
            Needle::Substring {
                text: "a:b3:c".into(),
                ignore_case: true,
            },
            Needle::DigitsInOrder("0701234567".into()),
            Needle::Substring {
                text: String::new(),
                ignore_case: true,
            },
            Needle::Substring {
                text: "åsa@x.se".into(),
                ignore_case: true,
            },
        ];
        assert_eq!(decode_needles(&encode_needles(&needles)), Some(needles));
        assert_eq!(decode_needles(""), Some(Vec::new()));
        for bad in ["x1:a", "s2:a", "s:a", "ås1:a", "s1"] {
            assert_eq!(decode_needles(bad), None, "{bad}");
        }
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
        let store = crate::store::open(
            path.to_str().expect("utf8"),
            crate::store::Mode::ReadOnly,
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
        let store = crate::store::open(
            path.to_str().expect("utf8"),
            crate::store::Mode::ReadOnly,
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
}
