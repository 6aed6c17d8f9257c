//! The SQL interface for dsr's own tables on PostgreSQL. The shared
//! statements (trail.rs, refs.rs, write.rs, requests.rs, migrate.rs) are
//! written once with numbered placeholders `?N`; here they are rendered as
//! `$N` (outside quoted strings and identifiers), prepared once per
//! session, and bound by the types the server infers for each parameter
//! (`stmt.params()`): a `bigint` gets an `i64`, a `text` a string, so that
//! no column is widened to text in SQL and every index still serves.
//! Results come back as raw [`Cell`]s: text as its bytes.

use super::PgBackend;
use crate::error::{Error, Result};
use crate::store::backend::Cell;
use crate::store::pg::value::numeric_text;
use crate::value::Value;
use postgres::error::SqlState;
use postgres::types::{FromSql, ToSql, Type};
use std::error::Error as StdError;

type BoxError = Box<dyn StdError + Sync + Send>;

/// `?N` → `$N`, outside `'…'` strings (with `''` inside) and `"…"`
/// identifiers. A `?` not followed by digits is left as it is (the shared
/// statements never use one: it is jsonb's operator on PostgreSQL).
pub(super) fn render(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    // A doubled quote stays inside; the scan sees it as
                    // closing and reopening, which is the same.
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' && chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                out.push('$');
            }
            None => out.push(c),
        }
    }
    out
}

/// The words a shared `doing` ends with before "the store" on SQLite
/// ("reading _dsr_meta in"); PostgreSQL's messages put "in database …"
/// after it themselves.
pub(super) fn doing_words(doing: &str) -> &str {
    let d = doing.trim_end();
    for tail in [" in", " to", " from", " on", " of"] {
        if let Some(s) = d.strip_suffix(tail) {
            return s;
        }
    }
    d
}

/// A value bound as the parameter type the statement needs.
fn bind(v: &Value, ty: &Type, n: usize) -> Result<Box<dyn ToSql + Sync>> {
    let bad = || {
        Error::Runtime(format!(
            "internal: parameter ${n} of a statement on dsr's own tables is {v:?}, which cannot be a {}",
            ty.name()
        ))
    };
    let int = |v: &Value| -> Result<Option<i64>> {
        match v {
            Value::Null => Ok(None),
            Value::Integer(i) => Ok(Some(*i)),
            Value::Text(t) => t.trim().parse().map(Some).map_err(|_| bad()),
            _ => Err(bad()),
        }
    };
    Ok(match *ty {
        Type::INT8 => Box::new(int(v)?),
        Type::INT4 => Box::new(int(v)?.map(i32::try_from).transpose().map_err(|_| bad())?),
        Type::INT2 => Box::new(int(v)?.map(i16::try_from).transpose().map_err(|_| bad())?),
        Type::FLOAT8 => Box::new(match v {
            Value::Null => None,
            Value::Real(f) => Some(*f),
            Value::Integer(i) => Some(*i as f64),
            _ => return Err(bad()),
        }),
        Type::BOOL => Box::new(match v {
            Value::Null => None,
            Value::Integer(i) => Some(*i != 0),
            _ => return Err(bad()),
        }),
        Type::BYTEA => Box::new(match v {
            Value::Null => None,
            Value::Blob(b) => Some(b.clone()),
            Value::Text(t) => Some(t.as_bytes().to_vec()),
            _ => return Err(bad()),
        }),
        // text, varchar, and a parameter whose type nothing decides
        // (`?1 IS NULL`): text.
        _ => Box::new(match v {
            Value::Null => None,
            Value::Text(t) => Some(t.clone()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Real(f) => Some(f.to_string()),
            Value::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
            other => other.display_text(),
        }),
    })
}

/// The type a value is bound as where the statement does not say.
fn value_type(v: &Value) -> Type {
    match v {
        Value::Integer(_) => Type::INT8,
        Value::Real(_) => Type::FLOAT8,
        Value::Blob(_) => Type::BYTEA,
        Value::Bool(_) => Type::BOOL,
        Value::Null | Value::Text(_) | Value::Numeric(_) | Value::Json(_) | Value::Array(_) => {
            Type::TEXT
        }
    }
}

/// One result column read raw, whatever its type.
enum RawCell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a [u8]),
    Owned(String),
    Blob(&'a [u8]),
}

impl<'a> FromSql<'a> for RawCell<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        let fixed = |n: usize| -> std::result::Result<&'a [u8], BoxError> {
            (raw.len() == n)
                .then_some(raw)
                .ok_or_else(|| "a value shorter than its type".into())
        };
        Ok(match *ty {
            Type::INT8 => RawCell::Integer(i64::from_be_bytes(fixed(8)?.try_into()?)),
            Type::INT4 => RawCell::Integer(i32::from_be_bytes(fixed(4)?.try_into()?) as i64),
            Type::INT2 => RawCell::Integer(i16::from_be_bytes(fixed(2)?.try_into()?) as i64),
            Type::BOOL => RawCell::Integer((fixed(1)?[0] != 0) as i64),
            Type::FLOAT8 => RawCell::Real(f64::from_be_bytes(fixed(8)?.try_into()?)),
            Type::FLOAT4 => RawCell::Real(f32::from_be_bytes(fixed(4)?.try_into()?) as f64),
            Type::NUMERIC => RawCell::Owned(numeric_text(raw)?),
            Type::BYTEA => RawCell::Blob(raw),
            // text, varchar, name, and anything else dsr's tables do not
            // hold: its bytes as the server sent them.
            _ => RawCell::Text(raw),
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(RawCell::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl PgBackend {
    /// A prepared statement for shared SQL, cached for the session. The
    /// server infers each parameter's type from its use; where nothing
    /// decides it (`?1 IS NULL OR tbl = ?1` leaves it open at `IS NULL`)
    /// the values' own types are given (a NULL as text).
    fn statement(&self, sql: &str, params: &[Value], doing: &str) -> Result<postgres::Statement> {
        if let Some(st) = self.w.statements.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = {
            let mut c = self.conn()?;
            let rendered = render(sql);
            let first = c.client.prepare(&rendered);
            let typed = match first {
                Err(e)
                    if e.code() == Some(&SqlState::AMBIGUOUS_PARAMETER)
                        || e.code() == Some(&SqlState::INDETERMINATE_DATATYPE) =>
                {
                    let types: Vec<Type> = params.iter().map(value_type).collect();
                    c.client.prepare_typed(&rendered, &types)
                }
                other => other,
            };
            match typed {
                Ok(st) => st,
                Err(e) => return Err(self.fail(&c.url, doing_words(doing), e)),
            }
        };
        self.w
            .statements
            .borrow_mut()
            .insert(sql.to_string(), st.clone());
        Ok(st)
    }

    fn params(st: &postgres::Statement, params: &[Value]) -> Result<Vec<Box<dyn ToSql + Sync>>> {
        let types = st.params();
        if types.len() != params.len() {
            return Err(Error::Runtime(format!(
                "internal: a statement on dsr's own tables takes {} parameters, {} were given",
                types.len(),
                params.len()
            )));
        }
        params
            .iter()
            .zip(types)
            .enumerate()
            .map(|(i, (v, ty))| bind(v, ty, i + 1))
            .collect()
    }

    pub(super) fn batch(&self, sql: &str, doing: &str) -> Result<()> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        let mut c = self.conn()?;
        match c.client.batch_execute(sql) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(&c.url, doing_words(doing), e)),
        }
    }

    pub(super) fn exec_values(&self, sql: &str, params: &[Value], doing: &str) -> Result<u64> {
        let st = self.statement(sql, params, doing)?;
        let bound = Self::params(&st, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        let mut c = self.conn()?;
        match c.client.execute(&st, &refs) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(&c.url, doing_words(doing), e)),
        }
    }

    /// Streams the rows (`query_raw`), so that a long audit trail is never
    /// held in memory whole; `f` must not call back into the store, which
    /// no caller of the shared code does.
    pub(super) fn query_cells(
        &self,
        sql: &str,
        params: &[Value],
        doing: &str,
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<()>,
    ) -> Result<()> {
        let st = self.statement(sql, params, doing)?;
        let bound = Self::params(&st, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        let mut guard = self.conn()?;
        let c = &mut *guard;
        let doing = doing_words(doing);
        let mut rows = match c.client.query_raw(&st, refs) {
            Ok(r) => r,
            Err(e) => return Err(self.fail(&c.url, doing, e)),
        };
        let width = st.columns().len();
        let mut failed = None;
        loop {
            let row = match postgres::fallible_iterator::FallibleIterator::next(&mut rows) {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            let mut raw: Vec<RawCell<'_>> = Vec::with_capacity(width);
            for i in 0..width {
                match row.try_get::<_, RawCell<'_>>(i) {
                    Ok(v) => raw.push(v),
                    Err(e) => {
                        drop(rows);
                        return Err(self.fail(&c.url, doing, e));
                    }
                }
            }
            let cells: Vec<Cell<'_>> = raw
                .iter()
                .map(|r| match r {
                    RawCell::Null => Cell::Null,
                    RawCell::Integer(i) => Cell::Integer(*i),
                    RawCell::Real(f) => Cell::Real(*f),
                    RawCell::Text(t) => Cell::Text(t),
                    RawCell::Owned(s) => Cell::Text(s.as_bytes()),
                    RawCell::Blob(b) => Cell::Blob(b),
                })
                .collect();
            if let Err(e) = f(&cells) {
                // The rest of the result is read and dropped by the driver.
                drop(rows);
                return Err(e);
            }
        }
        drop(rows);
        match failed {
            Some(e) => Err(self.fail(&c.url, doing, e)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rendered_outside_quotes() {
        assert_eq!(
            render("SELECT key FROM t WHERE tbl = ?1 AND key >= '[' AND key < '\\' AND x = ?12"),
            "SELECT key FROM t WHERE tbl = $1 AND key >= '[' AND key < '\\' AND x = $12"
        );
        assert_eq!(
            render("SELECT '?1', \"a?2\", ?3"),
            "SELECT '?1', \"a?2\", $3"
        );
        assert_eq!(render("SELECT 'it''s ?1', ?2"), "SELECT 'it''s ?1', $2");
        assert_eq!(render("SELECT j ? 'k'"), "SELECT j ? 'k'");
    }

    #[test]
    fn doing_loses_its_preposition() {
        assert_eq!(doing_words("reading _dsr_meta in"), "reading _dsr_meta");
        assert_eq!(
            doing_words("writing the audit record to"),
            "writing the audit record"
        );
        assert_eq!(doing_words("migrating"), "migrating");
    }
}
