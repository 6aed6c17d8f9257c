//! Retention on PostgreSQL: the expired rows of a table, one-pass key
//! ranges, and the tenant's sweep lock (an advisory lock: `pg::lock`).
//! The predicates come from the column's native type (expiry.rs). Each
//! method is one statement on the store's session: outside a write
//! transaction it commits by itself, so nothing stays open between a
//! sweep's batches.

use super::expiry::{cell, Binds, Shape, COLUMNS};
use super::PgBackend;
use crate::error::{Error, Result};
use crate::store::backend::SweepLock;
use crate::store::expire::{Cutoffs, ExpiredPage, KeyRange, PageAt};
use crate::store::pg::connect::PgConn;
use crate::store::pg::lock::{self, TenantLock, Wait};
use crate::store::schema::{quote, TableSchema};
use crate::store::Row;
use crate::value::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// The table, qualified by the tenant's schema (a temporary table or one
/// in `public` of the same name never stands in for it).
fn table(conn: &PgConn, t: &TableSchema) -> String {
    format!("{}.{}", quote(&conn.url.schema), quote(&t.name))
}

/// Runs a query whose first `width` columns are a key, calling `f` with
/// the key and the rest of the row.
fn keyed(
    conn: &mut PgConn,
    sql: &str,
    b: &Binds,
    width: usize,
    doing: &str,
    mut f: impl FnMut(Vec<Value>, Vec<Value>),
) -> Result<()> {
    let rows = conn
        .client
        .query(sql, &b.refs())
        .map_err(|e| conn.err(doing, e))?;
    for r in &rows {
        let mut values = (0..r.len())
            .map(|i| cell(r, i))
            .collect::<std::result::Result<Vec<Value>, _>>()
            .map_err(|e| conn.err(doing, e))?;
        let rest = values.split_off(width.min(values.len()));
        f(values, rest);
    }
    Ok(())
}

impl PgBackend {
    /// The sweep's view of `t` (see [`Shape`]), read from the catalog once
    /// per session: every batch of a sweep asks for it again, and the
    /// statements built from it fail, in dsr's words, if the table changes
    /// under them. The statements that read or delete rows are not
    /// prepared: each is planned for its own values (a generic plan could
    /// not tell a narrow key range from the whole table).
    fn expiry_shape<'t>(&self, c: &mut PgConn, t: &'t TableSchema) -> Result<Shape<'t>> {
        if let Some(cols) = self.w.expiry_columns.borrow().get(&t.name) {
            // The same columns as asked for (a table migrated since is read again).
            if cols.len() == t.columns.len()
                && cols.iter().zip(&t.columns).all(|(a, b)| a.name == b.name)
            {
                return Ok(Shape {
                    t,
                    cols: cols.clone(),
                });
            }
        }
        let st = self
            .prepared(c, COLUMNS)
            .map_err(|e| c.err(&format!("reading the columns of {}", t.name), e))?;
        let shape = Shape::read_by(c, &st, t)?;
        self.w
            .expiry_columns
            .borrow_mut()
            .insert(t.name.clone(), shape.cols.clone());
        Ok(shape)
    }

    /// A page of the rows of `t` whose `after` column may hold a time before
    /// `before` (Unix seconds), after `cursor`; NULL is never returned. The
    /// caller tests each row exactly: this is the narrowing in SQL.
    ///
    /// Where a btree index leads with a date, time or number `after`
    /// column, the page follows it, in `(after, key)` order, so that the
    /// expired rows are all it reads (as a `DELETE … WHERE after < cutoff`
    /// would); in key order, a page reads every row of its key range and
    /// keeps the expired ones. A row whose `after` the application moves
    /// back behind the cursor during the sweep is left to the next sweep.
    pub(super) fn expired_rows(
        &self,
        t: &TableSchema,
        after: &str,
        at: &PageAt<'_>,
    ) -> Result<ExpiredPage> {
        let (before, cursor, limit) = (at.before, at.cursor, at.limit);
        // In a write transaction (the sweep's batch), locked as read: the
        // batch decides on the rows as they are (`Backend::rows_reading`).
        let lock = self.lock_in_write(&t.name)?;
        let mut c = self.conn()?;
        let shape = self.expiry_shape(&mut c, t)?;
        let by_after = shape.pages_by(after);
        let mut b = Binds::default();
        let pred = shape.may_be_before(after, before, &mut b);
        let (range, order) = if by_after {
            let mut range = cursor.map_or_else(String::new, |from| {
                format!(" AND {}", shape.after_cmp(after, from, &mut b))
            });
            range.push_str(&shape.range(None, at.until, &mut b));
            // Qualified: the cursor's column below has the same name.
            let name = table(&c, t);
            let order = std::iter::once(after)
                .chain(t.pk.iter().map(String::as_str))
                .map(|col| format!("{name}.{}", quote(col)))
                .collect::<Vec<_>>()
                .join(", ");
            (range, order)
        } else {
            (shape.range(cursor, at.until, &mut b), shape.key_order())
        };
        let limit = b.push(limit.min(i64::MAX as usize) as i64);
        let (mut list, skip) = if shape.keyless() {
            (format!("{}, {}", shape.key_select(), shape.select_all()), 1)
        } else {
            (shape.select_all(), 0)
        };
        if by_after {
            // The cursor's `after` in the server's own words, which read
            // back exactly (a year BC, `-infinity`, every float digit).
            list.push_str(&format!(", {}::text", quote(after)));
        }
        let sql = format!(
            "SELECT {list} FROM {} WHERE {pred}{range} ORDER BY {order} LIMIT {limit}::int8{lock}",
            table(&c, t),
        );
        let doing = format!("looking for expired rows in {}", t.name);
        let mut rows = Vec::new();
        let mut last_after = None;
        keyed(&mut c, &sql, &b, skip, &doing, |rowid, mut values| {
            if by_after {
                last_after = values.pop();
            }
            let key = if skip == 1 {
                rowid
            } else {
                t.pk.iter()
                    .filter_map(|p| t.column_index(p))
                    .filter_map(|i| values.get(i).cloned())
                    .collect()
            };
            rows.push(Row { key, values });
        })?;
        Ok(match (by_after, last_after) {
            (true, Some(at)) => {
                let next = rows.last().map(|r| {
                    let mut next = vec![at];
                    next.extend(r.key.iter().cloned());
                    next
                });
                ExpiredPage { rows, next }
            }
            _ => ExpiredPage::by_key(rows),
        })
    }

    /// The key of the row `span` rows after `lo` in key order (after the
    /// first row when `lo` is None): the end of the next range of a
    /// one-pass sweep, or None when fewer rows remain. The primary key's
    /// index answers it.
    pub(super) fn key_after(
        &self,
        t: &TableSchema,
        lo: Option<&[Value]>,
        span: usize,
    ) -> Result<Option<Vec<Value>>> {
        let mut c = self.conn()?;
        let shape = self.expiry_shape(&mut c, t)?;
        let mut b = Binds::default();
        let range = shape.range(lo, None, &mut b);
        let offset = b.push(span.saturating_sub(1).min(i64::MAX as usize) as i64);
        let sql = format!(
            "SELECT {} FROM {} WHERE true{range} ORDER BY {} LIMIT 1 OFFSET {offset}::int8",
            shape.key_select(),
            table(&c, t),
            shape.key_order()
        );
        let doing = format!("reading the keys of {}", t.name);
        let mut end = None;
        keyed(&mut c, &sql, &b, shape.key_width(), &doing, |k, _| {
            end = Some(k)
        })?;
        Ok(end)
    }

    /// The smallest and largest key of a table whose key is one integer,
    /// from the ends of its index; None when it is empty.
    pub(super) fn integer_key_bounds(&self, t: &TableSchema) -> Result<Option<(i64, i64)>> {
        let [k] = t.pk.as_slice() else {
            return Err(Error::Runtime(format!(
                "internal: {} has no single integer key to read the bounds of",
                t.name
            )));
        };
        let mut c = self.conn()?;
        let from = table(&c, t);
        let k = quote(k);
        let sql = format!("SELECT (SELECT min({k}) FROM {from}), (SELECT max({k}) FROM {from})");
        let doing = format!("reading the keys of {}", t.name);
        let mut bounds = None;
        keyed(&mut c, &sql, &Binds::default(), 2, &doing, |v, _| {
            if let [Value::Integer(lo), Value::Integer(hi)] = v.as_slice() {
                bounds = Some((*lo, *hi));
            }
        })?;
        Ok(bounds)
    }

    /// The keys of the rows in the key range (lo, hi] that have surely
    /// expired (see [`Cutoffs`]): what [`Self::delete_expired`] would
    /// delete (a dry run).
    pub(super) fn surely_expired(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        (lo, hi): KeyRange<'_>,
    ) -> Result<Vec<Vec<Value>>> {
        let mut c = self.conn()?;
        let shape = self.expiry_shape(&mut c, t)?;
        let mut b = Binds::default();
        let Some(surely) = shape.surely(after, cut, &mut b) else {
            return Ok(Vec::new());
        };
        let range = shape.range(lo, hi, &mut b);
        let sql = format!(
            "SELECT {} FROM {} WHERE {surely}{range}",
            shape.key_select(),
            table(&c, t)
        );
        let doing = format!("looking for expired rows in {}", t.name);
        let mut out = Vec::new();
        keyed(&mut c, &sql, &b, shape.key_width(), &doing, |k, _| {
            out.push(k)
        })?;
        Ok(out)
    }

    /// The rows in the key range (lo, hi] that may have expired but not
    /// surely (text values, numbers and times near the cutoff), as (key,
    /// `after` value), for the caller to test exactly.
    pub(super) fn candidates(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        (lo, hi): KeyRange<'_>,
    ) -> Result<Vec<(Vec<Value>, Value)>> {
        let mut c = self.conn()?;
        let shape = self.expiry_shape(&mut c, t)?;
        let mut b = Binds::default();
        let may = shape.may_be_before(after, cut.before, &mut b);
        let not_surely = shape
            .surely(after, cut, &mut b)
            .map(|s| format!(" AND NOT {s}"))
            .unwrap_or_default();
        let range = shape.range(lo, hi, &mut b);
        let sql = format!(
            "SELECT {}, {} FROM {} WHERE {may}{not_surely}{range}",
            shape.key_select(),
            shape.select_col(after),
            table(&c, t)
        );
        let doing = format!("looking for expired rows in {}", t.name);
        let mut out = Vec::new();
        keyed(
            &mut c,
            &sql,
            &b,
            shape.key_width(),
            &doing,
            |k, mut rest| out.push((k, rest.pop().unwrap_or(Value::Null))),
        )?;
        Ok(out)
    }

    /// Deletes the rows in the key range (lo, hi] that have surely expired
    /// (see [`Cutoffs`]) in one statement, one pass over the range; returns
    /// how many it deleted itself (not cascades).
    pub(super) fn delete_expired(
        &self,
        t: &TableSchema,
        after: &str,
        cut: &Cutoffs,
        (lo, hi): KeyRange<'_>,
    ) -> Result<u64> {
        self.require(&t.name, "DELETE")?;
        let mut c = self.conn()?;
        let shape = self.expiry_shape(&mut c, t)?;
        let mut b = Binds::default();
        let Some(surely) = shape.surely(after, cut, &mut b) else {
            return Ok(0);
        };
        let range = shape.range(lo, hi, &mut b);
        let sql = format!("DELETE FROM {} WHERE {surely}{range}", table(&c, t));
        let doing = format!("deleting expired rows of {}", t.name);
        c.client
            .execute(&sql, &b.refs())
            .map_err(|e| c.err(&doing, e))
    }

    /// The tenant's sweep lock: a session advisory lock on the store's own
    /// session, so that it holds across processes and machines and goes
    /// with the session however the sweep ends. Held elsewhere: exit 6 at
    /// once naming the holder, or with `wait` blocks until it is free.
    pub(super) fn advisory_lock(
        &self,
        wait: bool,
        _now: &str,
        announce: bool,
    ) -> Result<SweepLock> {
        let mut c = self.conn()?;
        let held = match lock::acquire(&mut c, Wait::No) {
            Ok(l) => l,
            Err(Error::Locked(_)) if wait => {
                if announce {
                    let key = lock::tenant_key(&c.url.dbname, &c.url.schema);
                    let holder = lock::holder(&mut c, key)?;
                    eprintln!(
                        "waiting for another dsr sweep of this tenant to finish ({}) ...",
                        holder.as_deref().unwrap_or("holder unknown")
                    );
                }
                lock::acquire(&mut c, Wait::Forever)?
            }
            Err(e) => return Err(e),
        };
        Ok(SweepLock::new(Held {
            conn: Rc::clone(&self.conn),
            lock: Some(held),
        }))
    }
}

/// A held advisory lock, released on drop (if the session is busy or
/// gone, its end releases it).
struct Held {
    conn: Rc<RefCell<PgConn>>,
    lock: Option<TenantLock>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let (Some(l), Ok(mut c)) = (self.lock.take(), self.conn.try_borrow_mut()) {
            let _ = l.release(&mut c);
        }
    }
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
