//! The SQL of retention sweeps on PostgreSQL: a table's column types (the
//! shared `TableSchema` does not carry them), its key as SQL, and the
//! expiry predicates, built per type of the `after` column.
//!
//! SQLite compares whatever a column holds through one typeless
//! expression (`sqlite/expire.rs`); PostgreSQL is typed, so each kind of
//! column gets its own predicate, every cutoff a bound parameter:
//!
//! - `date`, `timestamp`, `timestamptz`: `c < $1::timestamptz`, which an
//!   index on `c` answers (the session's TimeZone is UTC, so a date is its
//!   midnight UTC and a `timestamp` is read as UTC, as DESIGN §1 says);
//! - integers and floats: `c < $1::int8` / `c < $1::float8` (Unix seconds);
//! - text: a narrowing without casts that could fail: digits (9 to 18 of
//!   them) are Unix seconds, compared as `int8`; text starting with an ISO
//!   date is compared by that date, with a margin for any UTC offset;
//!   anything else is a candidate. The exact answer is always dsr's
//!   (`time::parse_value`), so this only has to be a superset;
//! - `numeric` and other types: every non-NULL value is a candidate.
//!
//! Only dates, times and numbers can "surely" have expired in SQL (see
//! [`Cutoffs`]); text and the rest are always tested by dsr.

use crate::error::Result;
use crate::store::expire::Cutoffs;
use crate::store::pg::connect::PgConn;
use crate::store::pg::types::PgType;
use crate::store::pg::value::{value_param, PgValue};
use crate::store::schema::{quote, TableSchema};
use crate::value::Value;
use postgres::types::ToSql;
use postgres::ToStatement;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The earliest time PostgreSQL's timestamps hold (4714-11-24 BC, UTC), in
/// Unix seconds: earlier cutoffs are clamped to it (nothing finite is
/// earlier, and `-infinity` is never a readable time).
const PG_MIN_SECS: i64 = -210_866_803_200;

/// How a column's values compare with a cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// `date`, `timestamp`, `timestamptz`.
    Native,
    Integer,
    Float,
    /// Any text type: parsed by dsr, narrowed in SQL.
    Text,
    /// `numeric` and everything else: every value is a candidate.
    Other,
}

impl Form {
    fn of(ty: &PgType) -> Form {
        match ty.base() {
            PgType::Date | PgType::Timestamp | PgType::Timestamptz => Form::Native,
            PgType::Int2 | PgType::Int4 | PgType::Int8 => Form::Integer,
            PgType::Float4 | PgType::Float8 => Form::Float,
            t if t.holds_text() => Form::Text,
            _ => Form::Other,
        }
    }
}

/// A column of the table: its native type and the type a bound value is
/// cast to (see `introspect::PgColumn::cast`).
#[derive(Clone)]
pub(super) struct Col {
    pub name: String,
    pub ty: PgType,
    pub cast: String,
}

impl Col {
    /// The SELECT-list expression that reads it (see `PgType::select_expr`).
    pub fn select(&self) -> String {
        self.ty.select_expr(&quote(&self.name))
    }
}

/// The columns of a table that the sweep needs, read from the catalog.
pub(super) const COLUMNS: &str = "
SELECT a.attname::text, t.typname::text, t.typtype::text, a.atttypmod,
       et.typname::text, et.typtype::text, bt.typname::text, bt.typtype::text, t.typtypmod,
       pg_catalog.format('%I.%I', tn.nspname, t.typname)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_type et ON t.typcategory = 'A' AND et.oid = t.typelem
LEFT JOIN pg_catalog.pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum";

/// A table as the sweep's statements see it: its columns in the order of
/// `TableSchema::columns`, and its key.
pub(super) struct Shape<'t> {
    pub t: &'t TableSchema,
    pub cols: Vec<Col>,
}

impl<'t> Shape<'t> {
    /// Reads the types of `t`'s columns (one catalog query: the shared
    /// schema has only their neutral kinds).
    #[cfg(test)]
    pub fn read(conn: &mut PgConn, t: &'t TableSchema) -> Result<Shape<'t>> {
        Self::read_by(conn, COLUMNS, t)
    }

    /// [`Shape::read`] with `query` the catalog query [`COLUMNS`], as text
    /// or prepared.
    pub fn read_by<Q: ToStatement + ?Sized>(
        conn: &mut PgConn,
        query: &Q,
        t: &'t TableSchema,
    ) -> Result<Shape<'t>> {
        let ns = conn.url.schema.clone();
        let rows = conn
            .client
            .query(query, &[&ns, &t.name])
            .map_err(|e| conn.err(&format!("reading the columns of {}", t.name), e))?;
        let mut found: Vec<Col> = rows
            .iter()
            .map(|r| {
                let (en, et): (Option<String>, Option<String>) = (r.get(4), r.get(5));
                let (bn, bt): (Option<String>, Option<String>) = (r.get(6), r.get(7));
                let ty = PgType::from_catalog(
                    r.get(1),
                    r.get(2),
                    r.get(3),
                    en.as_deref().zip(et.as_deref()),
                    bn.as_deref()
                        .zip(bt.as_deref())
                        .map(|(n, b)| (n, b, r.get(8))),
                );
                Col {
                    name: r.get(0),
                    ty,
                    cast: r.get(9),
                }
            })
            .collect();
        let mut cols = Vec::with_capacity(t.columns.len());
        for c in &t.columns {
            let Some(i) = found.iter().position(|f| f.name == c.name) else {
                return Err(crate::error::Error::Runtime(format!(
                    "column {}.{} is no longer in {}; the schema changed while dsr ran; run again",
                    t.name,
                    c.name,
                    conn.url.place()
                )));
            };
            cols.push(found.swap_remove(i));
        }
        Ok(Shape { t, cols })
    }

    fn col(&self, name: &str) -> Option<&Col> {
        self.cols.iter().find(|c| c.name == name)
    }

    /// Whether the table has no primary key: its rows are named by `ctid`,
    /// as text (valid within one transaction only).
    pub fn keyless(&self) -> bool {
        self.t.pk.is_empty()
    }

    /// The key as a SELECT list (read back as `Row::key`).
    pub fn key_select(&self) -> String {
        if self.keyless() {
            return "ctid::text".into();
        }
        self.t
            .pk
            .iter()
            .map(|p| self.col(p).map_or_else(|| quote(p), Col::select))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The key columns as an ORDER BY list (native order, which the
    /// primary key's index gives).
    pub fn key_order(&self) -> String {
        if self.keyless() {
            return "ctid".into();
        }
        let cols: Vec<String> = self.t.pk.iter().map(|p| quote(p)).collect();
        cols.join(", ")
    }

    /// How many columns the key has.
    pub fn key_width(&self) -> usize {
        self.t.pk.len().max(1)
    }

    /// `key OP (the bound key)`, a row comparison for a composite key.
    fn key_cmp(&self, op: &str, key: &[Value], b: &mut Binds) -> String {
        if self.keyless() {
            let v = key.first().and_then(value_param);
            return format!("ctid {op} CAST({}::text AS pg_catalog.tid)", b.push(v));
        }
        let marks: Vec<String> = self
            .t
            .pk
            .iter()
            .zip(key)
            .map(|(p, v)| {
                let cast = self.col(p).map_or("text", |c| c.cast.as_str());
                format!("CAST({}::text AS {cast})", b.push(value_param(v)))
            })
            .collect();
        if marks.len() == 1 {
            format!("{} {op} {}", quote(&self.t.pk[0]), marks[0])
        } else {
            format!("({}) {op} ({})", self.key_order(), marks.join(", "))
        }
    }

    /// Whether pages of expired rows follow an index of `after` (see
    /// `PgBackend::expired_rows`): a date, time or number column that
    /// leads a full btree index, and not the key's first column (key order
    /// is then its order already). False: key order.
    pub fn pages_by(&self, after: &str) -> bool {
        let t = self.t;
        let typed = matches!(self.form(after), Form::Native | Form::Integer | Form::Float);
        let first = t.pk.first().is_some_and(|p| p == after);
        typed && !self.keyless() && !first && t.is_indexed(after, false)
    }

    /// `(after, key) > cursor`, the cursor being a row's `after` value
    /// followed by its key (see [`Shape::pages_by`]).
    pub fn after_cmp(&self, after: &str, cursor: &[Value], b: &mut Binds) -> String {
        let names = std::iter::once(after).chain(self.t.pk.iter().map(String::as_str));
        let (cols, marks): (Vec<String>, Vec<String>) = names
            .zip(cursor)
            .map(|(n, v)| {
                let cast = self.col(n).map_or("text", |c| c.cast.as_str());
                let mark = format!("CAST({}::text AS {cast})", b.push(value_param(v)));
                (quote(n), mark)
            })
            .unzip();
        format!("({}) > ({})", cols.join(", "), marks.join(", "))
    }

    /// ` AND key > lo AND key <= hi` for the bounds given.
    pub fn range(&self, lo: Option<&[Value]>, hi: Option<&[Value]>, b: &mut Binds) -> String {
        let mut out = String::new();
        for (bound, op) in [(lo, ">"), (hi, "<=")] {
            if let Some(k) = bound {
                out.push_str(" AND ");
                out.push_str(&self.key_cmp(op, k, b));
            }
        }
        out
    }

    /// The `after` column's form, or an error if it is gone.
    pub fn form(&self, after: &str) -> Form {
        self.col(after).map_or(Form::Other, |c| Form::of(&c.ty))
    }

    /// `c` holds a time that may be before `before` (Unix seconds): a
    /// superset of the rows dsr's exact test finds expired. NULL never
    /// qualifies.
    pub fn may_be_before(&self, after: &str, before: i64, b: &mut Binds) -> String {
        let c = quote(after);
        match self.form(after) {
            Form::Native => format!("{c} < {}::timestamptz", b.push(pg_time(before))),
            Form::Integer => format!("{c} < {}::int8", b.push(before)),
            Form::Float => format!("{c} < {}::float8", b.push(before as f64)),
            Form::Text => {
                let secs = b.push(before);
                let day = b.push(latest_day(before));
                format!(
                    "(CASE WHEN {c}::text ~ '^[0-9]{{9,18}}$' THEN {c}::text::int8 < {secs}::int8 \
                     WHEN {c}::text ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}' \
                     THEN left({c}::text, 10) COLLATE \"C\" <= {day}::text \
                     ELSE {c} IS NOT NULL END)"
                )
            }
            Form::Other => format!("{c} IS NOT NULL"),
        }
    }

    /// `c` holds a time in [min, sure) (see [`Cutoffs`]): expired whatever
    /// the calendar does, so SQL alone may delete it. None where only
    /// dsr's parse can tell (text, numeric, other types).
    pub fn surely(&self, after: &str, cut: &Cutoffs, b: &mut Binds) -> Option<String> {
        let c = quote(after);
        Some(match self.form(after) {
            Form::Native => format!(
                "({c} < {}::timestamptz AND {c} >= {}::timestamptz)",
                b.push(pg_time(cut.sure)),
                b.push(pg_time(cut.min))
            ),
            Form::Integer => format!(
                "({c} < {}::int8 AND {c} >= {}::int8)",
                b.push(cut.sure),
                b.push(cut.min)
            ),
            Form::Float => format!(
                "({c} < {}::float8 AND {c} >= {}::float8)",
                b.push(cut.sure as f64),
                b.push(cut.min as f64)
            ),
            Form::Text | Form::Other => return None,
        })
    }

    /// The `after` column as a SELECT-list expression.
    pub fn select_col(&self, after: &str) -> String {
        self.col(after).map_or_else(|| quote(after), |c| c.select())
    }

    /// Every column as a SELECT list, in `TableSchema::columns` order.
    pub fn select_all(&self) -> String {
        let cols: Vec<String> = self.cols.iter().map(Col::select).collect();
        cols.join(", ")
    }
}

/// A Unix second as a bound `timestamptz`, clamped to PostgreSQL's range.
fn pg_time(secs: i64) -> SystemTime {
    let secs = secs.max(PG_MIN_SECS);
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

/// The latest calendar day (`YYYY-MM-DD`) whose text can still be a time
/// before `before`: a day's text may carry any UTC offset, and jiff reads
/// offsets up to ±25:59:59, so its instant can be up to 26 hours before
/// its midnight. Compared as text, bytewise.
fn latest_day(before: i64) -> String {
    let at = before.saturating_add(26 * 3600);
    let year = jiff::Timestamp::from_second(at)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .ok();
    match year {
        Some(d) if (0..=9999).contains(&d.year()) => d.to_string(),
        // Before year 0 no four-digit day qualifies; after 9999 all do.
        Some(d) if d.year() < 0 => String::new(),
        None if at < 0 => String::new(),
        _ => "9999-99-99".into(),
    }
}

/// The parameters of one statement, numbered as they are pushed.
#[derive(Default)]
pub(super) struct Binds {
    vals: Vec<Box<dyn ToSql + Sync>>,
}

impl Binds {
    /// Adds a parameter; its placeholder (`$n`).
    pub fn push<T: ToSql + Sync + 'static>(&mut self, v: T) -> String {
        self.vals.push(Box::new(v));
        format!("${}", self.vals.len())
    }

    pub fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.vals.iter().map(|v| v.as_ref() as _).collect()
    }
}

/// Reads column `i` of a result row as a shared value.
pub(super) fn cell(r: &postgres::Row, i: usize) -> std::result::Result<Value, postgres::Error> {
    r.try_get::<_, PgValue>(i).map(|v| v.to_value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_day_leaves_room_for_any_offset() {
        let t = |s: &str| s.parse::<jiff::Timestamp>().map_or(0, |t| t.as_second());
        // 2026-08-24T10:00Z + 26 h is the 25th, 12:00.
        assert_eq!(latest_day(t("2026-08-24T10:00:00Z")), "2026-08-25");
        assert_eq!(latest_day(i64::MIN), "");
        assert_eq!(latest_day(i64::MAX), "9999-99-99");
    }

    #[test]
    fn cutoffs_before_postgres_time_are_clamped() {
        assert_eq!(
            pg_time(jiff::Timestamp::MIN.as_second()),
            pg_time(PG_MIN_SECS)
        );
        assert_eq!(pg_time(86_400), UNIX_EPOCH + Duration::from_secs(86_400));
    }
}
