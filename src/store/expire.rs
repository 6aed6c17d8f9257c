//! The SQL of retention sweeps: finding expired rows, and deleting them in
//! one pass over a key range where nothing else can depend on them.

use super::schema::{quote, TableSchema};
use super::write::key_sql;
use super::{from_ref, Row, Store, Tx};
use crate::error::Result;
use crate::value::Value;
use rusqlite::functions::FunctionFlags;
use rusqlite::ToSql;

/// `c` holds a time before `?1` (Unix seconds). Numbers compare directly
/// (and text never compares below a number); only text values pay for
/// parsing. NULL never qualifies.
fn before_cutoff(c: &str) -> String {
    format!(
        "({c} < ?1 OR ({c} >= '' AND {c} < x'' AND \
         (CASE WHEN {c} GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]*' AND {c} NOT GLOB '*[^0-9]*' \
         THEN CAST({c} AS INTEGER) ELSE unixepoch({c}) END) < ?1))"
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

impl Store {
    /// A page of the rows of `t` whose `after` column holds a time before
    /// `before` (Unix seconds), in key order after `cursor`. Integers and
    /// reals are Unix seconds, text is ISO-8601 (or a long run of digits,
    /// Unix seconds); NULL and unreadable values are never returned. The
    /// caller checks each row exactly: this is the narrowing in SQL.
    pub fn expired_page(
        &self,
        t: &TableSchema,
        after: &str,
        before: i64,
        cursor: Option<&[Value]>,
        limit: usize,
    ) -> Result<Vec<Row>> {
        let (list, skip) = Self::select_list(t);
        let mut params: Vec<&dyn ToSql> = vec![&before];
        let range = key_range(t, cursor, None, &mut params);
        let limit = limit as i64;
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

    /// Installs `expired` as the SQL function `dsr_expired(value)`: the
    /// exact test of one retention rule, used by the one-pass statements
    /// below. Installing it again replaces it.
    pub fn set_expiry(&self, expired: impl Fn(&Value) -> bool + Send + 'static) -> Result<()> {
        self.conn
            .create_scalar_function(
                "dsr_expired",
                1,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                move |ctx| Ok(expired(&from_ref(ctx.get_raw(0)))),
            )
            .map_err(|e| self.err("preparing the sweep of", e))
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
        let doing = format!("reading the keys of {}", t.name);
        let n = key_sql(t).1;
        let mut st = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.err(&doing, e))?;
        let mut rows = st
            .query(params.as_slice())
            .map_err(|e| self.err(&doing, e))?;
        match rows.next().map_err(|e| self.err(&doing, e))? {
            None => Ok(None),
            Some(r) => (0..n)
                .map(|i| r.get_ref(i).map(from_ref))
                .collect::<rusqlite::Result<Vec<Value>>>()
                .map(Some)
                .map_err(|e| self.err(&doing, e)),
        }
    }

    /// The WHERE clause of the expired rows of a key range, by
    /// `dsr_expired` (see [`Store::set_expiry`]).
    fn expired_in<'p>(
        t: &TableSchema,
        after: &str,
        lo: Option<&'p [Value]>,
        hi: Option<&'p [Value]>,
        params: &mut Vec<&'p dyn ToSql>,
    ) -> String {
        let c = quote(after);
        let range = key_range(t, lo, hi, params);
        format!("{} AND dsr_expired({c}){range}", before_cutoff(&c))
    }

    /// The keys of the expired rows in the key range (lo, hi]: what
    /// [`Tx::delete_expired`] would delete (a dry run).
    pub fn expired_keys(
        &self,
        t: &TableSchema,
        after: &str,
        before: i64,
        lo: Option<&[Value]>,
        hi: Option<&[Value]>,
    ) -> Result<Vec<Vec<Value>>> {
        let mut params: Vec<&dyn ToSql> = vec![&before];
        let cond = Self::expired_in(t, after, lo, hi, &mut params);
        let sql = format!(
            "SELECT {} FROM {} WHERE {cond}",
            key_list(t),
            quote(&t.name)
        );
        let doing = format!("looking for expired rows in {}", t.name);
        let n = key_sql(t).1;
        let mut st = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.err(&doing, e))?;
        let rows = st
            .query_map(params.as_slice(), |r| {
                (0..n).map(|i| r.get_ref(i).map(from_ref)).collect()
            })
            .map_err(|e| self.err(&doing, e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(&doing, e))
    }
}

impl Tx<'_> {
    /// Deletes the expired rows in the key range (lo, hi] in one statement,
    /// one pass over the range; returns how many it deleted itself.
    pub fn delete_expired(
        &self,
        t: &TableSchema,
        after: &str,
        before: i64,
        lo: Option<&[Value]>,
        hi: Option<&[Value]>,
    ) -> Result<u64> {
        let mut params: Vec<&dyn ToSql> = vec![&before];
        let cond = Store::expired_in(t, after, lo, hi, &mut params);
        let sql = format!("DELETE FROM {} WHERE {cond}", quote(&t.name));
        self.exec(&sql, &params, &format!("deleting from {} in", t.name))
    }
}
