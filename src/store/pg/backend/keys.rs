//! Rows by key on PostgreSQL, for the writes and the watch: one statement
//! per table whatever the number of keys, binding one text array per key
//! column cast to the column's own type (`CAST($1::text[] AS int8[])`), so
//! that the comparison is the column's (its index serves) and no value is
//! ever part of the SQL. A table without a primary key is keyed by `ctid`,
//! valid for the transaction that read it (the rows are locked by then).

use super::PgBackend;
use crate::error::{Error, Result};
use crate::store::pg::introspect::{read_schema, PgSchema, PgTable};
use crate::store::pg::value::value_param;
use crate::store::schema::{quote, TableSchema};
use crate::value::Value;
use std::rc::Rc;

/// How a table's rows are named: the key columns (quoted, or `ctid`) and
/// the type each is cast to.
pub(super) struct KeyCols {
    pub exprs: Vec<String>,
    pub casts: Vec<String>,
}

impl KeyCols {
    pub fn len(&self) -> usize {
        self.exprs.len()
    }

    /// `KEY matches one of the arrays' rows`, the arrays being parameters
    /// `$first`, `$first+1`, …; `prefix` qualifies the columns (`t.`).
    pub fn matches(&self, first: usize, prefix: &str) -> String {
        let arrays: Vec<String> = self
            .casts
            .iter()
            .enumerate()
            .map(|(i, cast)| format!("CAST(${}::text[] AS {cast}[])", first + i))
            .collect();
        let cols: Vec<String> = self.exprs.iter().map(|e| format!("{prefix}{e}")).collect();
        if cols.len() == 1 {
            format!("{} = ANY({})", cols[0], arrays[0])
        } else {
            format!(
                "({}) IN (SELECT * FROM unnest({}))",
                cols.join(", "),
                arrays.join(", ")
            )
        }
    }

    /// The key columns as text, for reading keys back to bind them again.
    pub fn as_text(&self) -> Vec<String> {
        self.exprs.iter().map(|e| format!("{e}::text")).collect()
    }
}

/// One text array per key column, from keys as the store's rows give them.
pub(super) fn key_arrays(keys: &[Vec<Value>], width: usize) -> Result<Vec<Vec<Option<String>>>> {
    let mut out = vec![Vec::with_capacity(keys.len()); width];
    for k in keys {
        if k.len() != width {
            return Err(Error::Runtime(format!(
                "internal: a key of {} values for a table keyed by {width} columns",
                k.len()
            )));
        }
        for (col, v) in out.iter_mut().zip(k) {
            col.push(value_param(v));
        }
    }
    Ok(out)
}

impl PgBackend {
    /// The tenant schema as introspection reads it, cached for the session
    /// (the tenant's tables do not change under a command; dsr's own are
    /// never asked for here).
    pub(super) fn pg_schema(&self, fresh: bool) -> Result<Rc<PgSchema>> {
        if !fresh {
            if let Some(s) = self.w.schema.borrow().as_ref() {
                return Ok(Rc::clone(s));
            }
        }
        let s = Rc::new(read_schema(&mut *self.conn()?)?);
        *self.w.schema.borrow_mut() = Some(Rc::clone(&s));
        Ok(s)
    }

    /// The catalog's view of table `name`.
    pub(super) fn pg_table(&self, name: &str) -> Result<(Rc<PgSchema>, usize)> {
        for fresh in [false, true] {
            let s = self.pg_schema(fresh)?;
            if let Some(i) = s.tables.iter().position(|t| t.name == name) {
                return Ok((s, i));
            }
        }
        let c = self.conn()?;
        Err(Error::Runtime(format!(
            "the table {name} does not exist in {}; it was there when dsr read the schema: was it dropped meanwhile? nothing was changed",
            c.url.place()
        )))
    }

    pub(super) fn key_cols(&self, t: &TableSchema) -> Result<KeyCols> {
        if t.pk.is_empty() {
            return Ok(KeyCols {
                exprs: vec!["ctid".into()],
                casts: vec!["pg_catalog.tid".into()],
            });
        }
        let (s, i) = self.pg_table(&t.name)?;
        let pt = &s.tables[i];
        let mut casts = Vec::new();
        for c in &t.pk {
            casts.push(column_cast(pt, c)?);
        }
        Ok(KeyCols {
            exprs: t.pk.iter().map(|c| quote(c)).collect(),
            casts,
        })
    }
}

/// The type a parameter for column `c` is cast to.
pub(super) fn column_cast(t: &PgTable, c: &str) -> Result<String> {
    t.column(c).map(|col| col.cast.clone()).ok_or_else(|| {
        Error::Runtime(format!(
            "the column {}.{c} does not exist any more; nothing was changed",
            t.name
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_array_per_key_column() {
        let one = KeyCols {
            exprs: vec!["\"id\"".into()],
            casts: vec!["pg_catalog.int8".into()],
        };
        assert_eq!(
            one.matches(2, "t."),
            "t.\"id\" = ANY(CAST($2::text[] AS pg_catalog.int8[]))"
        );
        let two = KeyCols {
            exprs: vec!["\"a\"".into(), "\"b\"".into()],
            casts: vec!["pg_catalog.int8".into(), "pg_catalog.text".into()],
        };
        assert_eq!(
            two.matches(1, ""),
            "(\"a\", \"b\") IN (SELECT * FROM unnest(CAST($1::text[] AS pg_catalog.int8[]), CAST($2::text[] AS pg_catalog.text[])))"
        );
        let arrays = key_arrays(
            &[
                vec![Value::Integer(1), Value::Text("x".into())],
                vec![Value::Integer(2), Value::Text("y".into())],
            ],
            2,
        )
        .unwrap();
        assert_eq!(
            arrays,
            [
                vec![Some("1".to_string()), Some("2".to_string())],
                vec![Some("x".to_string()), Some("y".to_string())]
            ]
        );
        assert!(key_arrays(&[vec![Value::Integer(1)]], 2).is_err());
    }
}
