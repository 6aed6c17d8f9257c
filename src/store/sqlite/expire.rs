//! The SQL of retention sweeps on SQLite: finding expired rows, and
//! deleting them in one pass over a key range where nothing else can
//! depend on them.

use super::write::key_sql;
use super::{from_ref, SqliteBackend};
use crate::error::Result;
use crate::store::expire::{Cutoffs, ExpiredBounds, KeyRange, PageAt};
use crate::store::schema::{quote, ColumnType, TableSchema};
use crate::store::Row;
use crate::value::Value;
use rusqlite::ToSql;

/// `c` holds a time before `?1` (Unix seconds). Numbers compare directly
/// (and text never compares below a number); only text values pay for
/// parsing. NULL never qualifies. The tests for text (`>= ''`, `< x''`)
/// take the column without its affinity (`+c`): in a column of numeric
/// affinity SQLite would otherwise try to read `''` as a number for every
/// row that has not expired; the answer is the same (a number is below
/// any text either way, and `+` keeps the column's collation).
fn before_cutoff(c: &str) -> String {
    format!(
        "({c} < ?1 OR (+{c} >= '' AND +{c} < x'' AND {}))",
        text_before(c)
    )
}

/// A text value of `c` holds a time before `?1`: a long run of digits is
/// Unix seconds, anything else is read by `unixepoch`.
fn text_before(c: &str) -> String {
    format!(
        "(CASE WHEN {c} GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]*' AND {c} NOT GLOB '*[^0-9]*' \
         THEN CAST({c} AS INTEGER) ELSE unixepoch({c}) END) < ?1"
    )
}

/// ` AND key > lo AND key <= hi` for the bounds given, with their values
/// appended to `params`.
fn key_range<'p>(
    t: &TableSchema,
    lo: Option<&'p [Value]>,
    hi: Option<&'p [Value]>,
    params: &mut Vec<&'p dyn ToSql>,
) -> String {
    let (key, n) = key_sql(t);
    let marks = if n == 1 {
        "?".to_string()
    } else {
        format!("({})", vec!["?"; n].join(", "))
    };
    let mut out = String::new();
    for (bound, op) in [(lo, ">"), (hi, "<=")] {
        if let Some(k) = bound {
            params.extend(k.iter().map(|v| v as &dyn ToSql));
            out.push_str(&format!(" AND {key} {op} {marks}"));
        }
    }
    out
}

/// The key columns as an ORDER BY / SELECT list.
fn key_list(t: &TableSchema) -> String {
    key_sql(t)
        .0
        .trim_start_matches('(')
        .trim_end_matches(')')
        .to_string()
}

impl SqliteBackend {
    /// A page of the rows of `t` whose `after` column holds a time before
    /// `before` (Unix seconds), in key order after `cursor`. Integers and
    /// reals are Unix seconds, text is ISO-8601 (or a long run of digits,
    /// Unix seconds); NULL and unreadable values are never returned. The
    /// caller checks each row exactly: this is the narrowing in SQL.
    ///
    /// With `read`, only the columns it marks are read (and the key): the
    /// others are NULL, and cost neither the read nor an allocation.
    pub(super) fn expired_rows(
        &self,
        t: &TableSchema,
        after: &str,
        at: &PageAt<'_>,
        read: Option<&[bool]>,
    ) -> Result<Vec<Row>> {
        let (list, skip) = match read {
            None => Self::select_list(t),
            Some(read) => Self::select_only(t, read),
        };
        let mut params: Vec<&dyn ToSql> = vec![&at.before];
        let range = key_range(t, at.cursor, at.until, &mut params);
        let limit = at.limit as i64;
        params.push(&limit);
        let sql = format!(
            "SELECT {list} FROM {} WHERE {}{range} ORDER BY {} LIMIT ?",
            quote(&t.name),
            before_cutoff(&quote(after)),
            key_list(t)
        );
        let doing = format!("looking for expired rows in {}", t.name);
        let mut st = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.err(&doing, e))?;
        let mut rows = st
            .query(params.as_slice())
            .map_err(|e| self.err(&doing, e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.err(&doing, e))? {
            out.push(Self::read_row(t, r, skip).map_err(|e| self.err(&doing, e))?);
        }
        Ok(out)
    }

    /// See `Backend::expired_key_bounds`: where an index leads with the
    /// `after` column (its entries hold each row's rowid), the smallest and
    /// largest rowid of the rows [`Self::expired_rows`] would return, read
    /// from the index alone: the numbers below the cutoff are one range of
    /// it, and the text values another, each tested as the page tests it.
    /// So a table an application fills in time order is swept over its
    /// expired rows' keys, not up to its end.
    pub(super) fn expired_bounds(
        &self,
        t: &TableSchema,
        after: &str,
        before: i64,
    ) -> Result<ExpiredBounds> {
        let first = t.pk.first().is_some_and(|p| p == after);
        if first || !t.is_indexed(after, false) {
            return Ok(None);
        }
        let (key, from, c) = (key_sql(t).0, quote(&t.name), quote(after));
        // Each part a range of the index (`+c` would keep it from one); the
        // text test is before_cutoff's. In a column of TEXT affinity the
        // first part compares text, as the page's test does.
        let sql = format!(
            "SELECT min(lo), max(hi) FROM ( \
               SELECT min({key}) AS lo, max({key}) AS hi FROM {from} WHERE {c} < ?1 \
               UNION ALL SELECT min({key}), max({key}) FROM {from} \
                 WHERE {c} >= '' AND {c} < x'' AND {})",
            text_before(&c)
        );
        let doing = format!("looking for expired rows in {}", t.name);
        self.min_max(&sql, &[&before], &doing).map(Some)
    }

    /// A query's one row of two integers, a smallest and a largest; None
    /// where either is NULL (nothing was there).
    fn min_max(&self, sql: &str, params: &[&dyn ToSql], doing: &str) -> Result<Option<(i64, i64)>> {
        let mut st = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| self.err(doing, e))?;
        st.query_row(params, |r| {
            Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<i64>>(1)?))
        })
        .map_err(|e| self.err(doing, e))
    }

    /// The key of the row `span` rows after `lo` in key order (after the
    /// first row when `lo` is None): the end of the next range of a
    /// one-pass sweep, or None when fewer rows remain.
    pub(super) fn key_after(
        &self,
        t: &TableSchema,
        lo: Option<&[Value]>,
        span: usize,
    ) -> Result<Option<Vec<Value>>> {
        let mut params: Vec<&dyn ToSql> = Vec::new();
        let range = key_range(t, lo, None, &mut params);
        let offset = span.saturating_sub(1) as i64;
        params.push(&offset);
        let keys = key_list(t);
        // `1 = 1` lets the range start with AND.
        let sql = format!(
            "SELECT {keys} FROM {} WHERE 1 = 1{range} ORDER BY {keys} LIMIT 1 OFFSET ?",
            quote(&t.name)
        );
        let mut end = None;
        self.keyed(t, &sql, &params, |key, _| end = Some(key))?;
        Ok(end)
    }

    /// The smallest and largest key of a table keyed by its rowid (see
    /// [`TableSchema::integer_key`]), or None when it is empty.
    pub(super) fn rowid_bounds(&self, t: &TableSchema) -> Result<Option<(i64, i64)>> {
        let key = key_sql(t).0;
        // Two subqueries: SQLite answers a lone min() or max() from the end
        // of the b-tree, but min() and max() together with a full scan.
        let from = quote(&t.name);
        let sql =
            format!("SELECT (SELECT min({key}) FROM {from}), (SELECT max({key}) FROM {from})");
        self.min_max(&sql, &[], &format!("reading the keys of {}", t.name))
    }

    /// Runs a query whose first columns are the key of `t`, calling `f`
    /// with the key and the rest of the row.
    fn keyed(
        &self,
        t: &TableSchema,
        sql: &str,
        params: &[&dyn ToSql],
        mut f: impl FnMut(Vec<Value>, Vec<Value>),
    ) -> Result<()> {
        let doing = format!("looking for expired rows in {}", t.name);
        let n = key_sql(t).1;
        let mut st = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| self.err(&doing, e))?;
        let width = st.column_count();
        let mut rows = st.query(params).map_err(|e| self.err(&doing, e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(&doing, e))? {
            let mut values = (0..width)
                .map(|i| r.get_ref(i).map(from_ref))
                .collect::<rusqlite::Result<Vec<Value>>>()
                .map_err(|e| self.err(&doing, e))?;
            let rest = values.split_off(n);
            f(values, rest);
        }
        Ok(())
    }

    /// The keys of the rows in the key range (lo, hi] that have surely
    /// expired (see [`Cutoffs`]): what [`Tx::delete_surely_expired`] would
    /// delete (a dry run).
    pub(super) fn surely_expired(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        (lo, hi): KeyRange<'_>,
    ) -> Result<Vec<Vec<Value>>> {
        let Some(surely) = surely(t, after) else {
            return Ok(Vec::new());
        };
        let mut params = cut_params(cut);
        let range = key_range(t, lo, hi, &mut params);
        let sql = format!(
            "SELECT {} FROM {} WHERE {surely}{range}",
            key_list(t),
            quote(&t.name),
        );
        let mut out = Vec::new();
        self.keyed(t, &sql, &params, |key, _| out.push(key))?;
        Ok(out)
    }

    /// The rows in the key range (lo, hi] that may have expired but not
    /// surely (text values, and numbers near the cutoff), as (key, `after`
    /// value), for the caller to test exactly.
    pub(super) fn candidates(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        (lo, hi): KeyRange<'_>,
    ) -> Result<Vec<(Vec<Value>, Value)>> {
        let mut params = cut_params(cut);
        let range = key_range(t, lo, hi, &mut params);
        let c = quote(after);
        // ?2 and ?3 stay numbered (and bound) when unused.
        let not_surely = surely(t, after).unwrap_or_else(|| "(?2 IS NULL AND ?3 IS NULL)".into());
        let sql = format!(
            "SELECT {}, {c} FROM {} WHERE {} AND NOT {not_surely}{range}",
            key_list(t),
            quote(&t.name),
            before_cutoff(&c),
        );
        let mut out = Vec::new();
        self.keyed(t, &sql, &params, |key, mut rest| {
            out.push((key, rest.pop().unwrap_or(Value::Null)))
        })?;
        Ok(out)
    }
}

/// ?1, ?2 and ?3 of the statements below (a statement may leave one
/// unused: SQLite numbers parameters by their largest index).
fn cut_params(c: &Cutoffs) -> Vec<&dyn ToSql> {
    vec![&c.before, &c.sure, &c.min]
}

/// The column `after` holds a number in [?3, ?2): see [`Cutoffs`]. Text
/// and blobs compare above every number, and NULL below nothing, so the
/// comparison alone tells; no function is called, since a function in a
/// DELETE makes SQLite keep a statement journal. In a column of TEXT
/// affinity every value is text (and the bound numbers would be compared
/// as text), so nothing there has surely expired: None.
fn surely(t: &TableSchema, after: &str) -> Option<String> {
    let text = t
        .column_index(after)
        .is_some_and(|i| t.columns[i].ty == ColumnType::Text);
    let c = quote(after);
    // Most rows have not expired: `< ?2` rejects them first. `+c`: the
    // statement walks its key range; with an index of the column SQLite
    // chose that index's range instead, the table's every expired row for
    // each batch (batches that did not get shorter as they got smaller).
    // The answer is the same: the bounds are numbers, so the column's
    // numeric affinity would change nothing.
    (!text).then(|| format!("(+{c} < ?2 AND +{c} >= ?3)"))
}

impl SqliteBackend {
    /// Deletes the rows in the key range (lo, hi] that have surely expired
    /// (see [`Cutoffs`]) in one statement, one pass over the range; returns
    /// how many it deleted itself.
    pub(super) fn delete_expired(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        (lo, hi): KeyRange<'_>,
    ) -> Result<u64> {
        let Some(surely) = surely(t, after) else {
            return Ok(0);
        };
        let mut params = cut_params(cut);
        let range = key_range(t, lo, hi, &mut params);
        let sql = format!("DELETE FROM {} WHERE {surely}{range}", quote(&t.name));
        self.exec(&sql, &params, &format!("deleting from {} in", t.name))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_store;
    use super::*;

    fn page_at(before: i64, cursor: Option<&[Value]>, limit: usize) -> PageAt<'_> {
        PageAt {
            before,
            cursor,
            until: None,
            limit,
        }
    }

    /// A one-pass batch's statements walk their key range, not an index of
    /// the `after` column: that index's range holds every expired row of
    /// the table, read again by every batch.
    #[test]
    fn one_pass_statements_walk_the_key_range_beside_an_index_of_the_date() {
        let (_dir, b) = test_store(
            // Columns beside the date make the index look the cheaper read.
            "CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, at INTEGER NOT NULL, payload TEXT);
             CREATE INDEX t_at ON t (at);",
        );
        let schema = b.read_schema().expect("schema");
        let t = schema.table("t").expect("table");
        let surely = surely(t, "at").expect("numbers");
        let (lo, hi) = ([Value::Integer(0)], [Value::Integer(10)]);
        for head in ["DELETE FROM t", "SELECT id FROM t"] {
            let mut params = vec![&1_700_000_000_i64 as &dyn ToSql, &1_690_000_000_i64, &0_i64];
            let range = key_range(t, Some(&lo), Some(&hi), &mut params);
            let sql = format!("EXPLAIN QUERY PLAN {head} WHERE {surely}{range}");
            let mut st = b.conn.prepare(&sql).expect("prepare");
            let plan: Vec<String> = st
                .query_map(params.as_slice(), |r| r.get(3))
                .expect("plan")
                .map(|r| r.expect("row"))
                .collect();
            assert_eq!(
                plan,
                ["SEARCH t USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"],
                "{head}"
            );
        }
    }

    /// The bounds read from the index are the smallest and largest key of
    /// the rows a page would return, in a column of every affinity; a page
    /// bounded by them returns the same rows; without an index of the
    /// column, or with nothing expired, the answers say so.
    #[test]
    fn expired_key_bounds_come_from_the_index() {
        let cutoff = 1_700_000_000_i64;
        let mut sql = String::new();
        for ty in ["INTEGER", "TEXT", "REAL", "NUMERIC", ""] {
            sql.push_str(&format!(
                "CREATE TABLE \"t{ty}\" (id INTEGER PRIMARY KEY, at {ty}, other);
                 CREATE INDEX \"t{ty}_at\" ON \"t{ty}\" (at);
                 INSERT INTO \"t{ty}\" VALUES
                   (1, 1800000000, 1), (2, NULL, 1), (3, '2030-01-01T00:00:00Z', 1), (4, 1600000000, 1),
                   (5, 'soon', 1), (6, '2020-01-01T00:00:00Z', 1), (7, x'00', 1), (8, 1800000000, 1),
                   (9, '2020-01-01', 1), (10, '1800000000', 1), (11, '2031-01-01', 1);"
            ));
        }
        sql.push_str(
            "CREATE TABLE plain (id INTEGER PRIMARY KEY, at); INSERT INTO plain VALUES (1, 5);
             CREATE TABLE fresh (id INTEGER PRIMARY KEY, at); CREATE INDEX fresh_at ON fresh (at);
             INSERT INTO fresh VALUES (1, 1800000000), (2, '2031-01-01');
             CREATE TABLE empty (id INTEGER PRIMARY KEY, at); CREATE INDEX empty_at ON empty (at);",
        );
        let (_dir, b) = test_store(&sql);
        let schema = b.read_schema().expect("schema");
        for ty in ["INTEGER", "TEXT", "REAL", "NUMERIC", ""] {
            let t = schema.table(&format!("t{ty}")).expect("table");
            let ids = |at: &PageAt<'_>| -> Vec<Value> {
                let rows = b.expired_rows(t, "at", at, None).expect("page");
                rows.into_iter().flat_map(|r| r.key).collect()
            };
            let all = ids(&page_at(cutoff, None, 100));
            let want = [4, 6, 9].map(Value::Integer);
            assert_eq!(all, want, "{ty:?}");
            let bounds = b.expired_bounds(t, "at", cutoff).expect("bounds");
            assert_eq!(bounds, Some(Some((4, 9))), "{ty:?}");
            let (lo, hi) = ([Value::Integer(3)], [Value::Integer(9)]);
            let bounded = PageAt {
                cursor: Some(&lo),
                until: Some(&hi),
                ..page_at(cutoff, None, 100)
            };
            assert_eq!(ids(&bounded), want, "{ty:?}");
            // The bound ends a page where the table goes on.
            let (lo, hi) = ([Value::Integer(4)], [Value::Integer(8)]);
            let short = PageAt {
                cursor: Some(&lo),
                until: Some(&hi),
                ..page_at(cutoff, None, 100)
            };
            assert_eq!(ids(&short), [Value::Integer(6)], "{ty:?}");
        }
        let bounds = |name: &str| {
            let t = schema.table(name).expect("table");
            b.expired_bounds(t, "at", cutoff).expect("bounds")
        };
        assert_eq!(bounds("plain"), None, "no index: nothing tells");
        assert_eq!(bounds("fresh"), Some(None), "nothing has expired");
        assert_eq!(bounds("empty"), Some(None), "an empty table");
    }

    /// The expired rows of a column holding every kind of value, in a
    /// column of each affinity, read in pages each after the last: the same
    /// rows as the test before it took the column without its affinity,
    /// among them numbers and ISO-8601 text before the cutoff.
    #[test]
    fn expired_rows_are_the_same_in_columns_of_every_affinity() {
        let cutoff = 1_700_000_000_i64;
        let tables: String = ["INTEGER", "TEXT", "REAL", "NUMERIC", ""]
            .iter()
            .map(|ty| {
                format!(
                    "CREATE TABLE \"t{ty}\" (id INTEGER PRIMARY KEY, at {ty});
                     INSERT INTO \"t{ty}\" VALUES
                       (1, 1600000000), (2, 1800000000), (3, 1699999999.5), (4, '2020-01-01T00:00:00Z'),
                       (5, '2030-01-01T00:00:00Z'), (6, '1600000000'), (7, '1800000000'), (8, NULL),
                       (9, x'00'), (10, 'soon'), (11, ''), (12, -5), (13, '2020-01-01');"
                )
            })
            .collect();
        let (_dir, b) = test_store(&tables);
        let schema = b.read_schema().expect("schema");
        for ty in ["INTEGER", "TEXT", "REAL", "NUMERIC", ""] {
            let t = schema.table(&format!("t{ty}")).expect("table");
            // In pages of two, each after the last key of the one before.
            let mut cursor: Option<Vec<Value>> = None;
            let mut ids = Vec::new();
            loop {
                let page = b
                    .expired_rows(t, "at", &page_at(cutoff, cursor.as_deref(), 2), None)
                    .expect("page");
                let Some(last) = page.last() else { break };
                cursor = Some(last.key.clone());
                ids.extend(page.iter().map(|r| match r.key[..] {
                    [Value::Integer(i)] => i,
                    _ => -1,
                }));
            }
            // The test as it was before `+` dropped the column's affinity.
            let before = "(at < ?1 OR (at >= '' AND at < x'' AND \
                (CASE WHEN at GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]*' AND at NOT GLOB '*[^0-9]*' \
                THEN CAST(at AS INTEGER) ELSE unixepoch(at) END) < ?1))";
            let sql = format!("SELECT id FROM \"t{ty}\" WHERE {before} ORDER BY id");
            let mut st = b.conn.prepare(&sql).expect("prepare");
            let want: Vec<i64> = st
                .query_map([cutoff], |r| r.get(0))
                .expect("query")
                .map(|r| r.expect("row"))
                .collect();
            assert_eq!(ids, want, "a column of type {ty:?}");
            assert!(
                [1, 4, 6, 13].iter().all(|i| ids.contains(i)) && !ids.contains(&2),
                "{ty:?}: {ids:?}"
            );
        }
    }
}
