//! Rows by key on PostgreSQL, for the writes and the watch: one statement
//! per table whatever the number of keys, binding one text array per key
//! column cast to the column's own type (`CAST($1::text[] AS int8[])`), so
//! that the comparison is the column's (its index serves) and no value is
//! ever part of the SQL. A table without a primary key is keyed by `ctid`,
//! valid for the transaction that read it (the rows are locked by then).

use super::PgBackend;
use crate::error::{Error, Result};
use crate::store::pg::introspect::{catalog_fingerprint, read_schema, PgSchema, PgTable};
use crate::store::pg::value::value_param;
use crate::store::schema::{quote, TableSchema};
use crate::value::Value;
use std::collections::HashSet;
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
    /// `$first`, `$first+1`, …; `prefix` qualifies the columns (`t.`);
    /// `lead_at` the parameter of [`leading_values`], where there are.
    pub fn matches(&self, first: usize, prefix: &str, lead_at: Option<usize>) -> String {
        let cols: Vec<String> = self.exprs.iter().map(|e| format!("{prefix}{e}")).collect();
        tuple_match(&cols, &self.casts, first, lead_at)
    }

    /// The key columns as text, for reading keys back to bind them again.
    pub fn as_text(&self) -> Vec<String> {
        self.exprs.iter().map(|e| format!("{e}::text")).collect()
    }
}

/// `c = ANY(…)` for one column, `(a, b) IN (SELECT * FROM unnest(…, …))`
/// for several: one array parameter per column from `$first` on, each cast
/// to the column's array type, so that an index on the columns answers.
/// With `lead_at`, also `a = ANY($lead_at)` over the distinct values of the
/// first column ([`leading_values`]): implied by the `IN` (a NULL matches
/// nothing either way), so the rows are the same, but the planner can then
/// read the index by its first column and hash the tuples, where it takes
/// `unnest` for a few rows and probes the index once per tuple (50,000
/// probes for a large subject's readings, most of a second).
pub(super) fn tuple_match(
    cols: &[String],
    casts: &[String],
    first: usize,
    lead_at: Option<usize>,
) -> String {
    let arrays: Vec<String> = casts
        .iter()
        .enumerate()
        .map(|(i, cast)| format!("CAST(${}::text[] AS {cast}[])", first + i))
        .collect();
    if cols.len() == 1 {
        return format!("{} = ANY({})", cols[0], arrays[0]);
    }
    let within = format!(
        "({}) IN (SELECT * FROM unnest({}))",
        cols.join(", "),
        arrays.join(", ")
    );
    match lead_at {
        Some(n) => format!(
            "{} = ANY(CAST(${n}::text[] AS {}[])) AND {within}",
            cols[0], casts[0]
        ),
        None => within,
    }
}

/// How many tuples a first column's value must have on average before its
/// distinct values are bound too ([`tuple_match`]): where nearly every
/// tuple has a first value of its own, reading the index by them is no
/// narrower than probing it per tuple, and the planner (which costs an
/// `= ANY` of n values as n index scans) would be misled.
const TUPLES_PER_LEAD: usize = 4;

/// The distinct non-NULL values of the first column of several, where they
/// are few enough to narrow the read (see [`TUPLES_PER_LEAD`]); None for a
/// single column or tuples whose first values are mostly distinct.
pub(super) fn leading_values<'a>(
    width: usize,
    first: impl ExactSizeIterator<Item = Option<&'a str>>,
) -> Option<Vec<String>> {
    let n = first.len();
    if width < 2 || n < TUPLES_PER_LEAD {
        return None;
    }
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out: Vec<String> = Vec::new();
    for v in first.flatten() {
        if seen.insert(v) {
            if (seen.len()) * TUPLES_PER_LEAD > n {
                return None;
            }
            out.push(v.to_string());
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The leading values of key arrays ([`key_arrays`]), and the parameter
/// number they take after `before` others.
pub(super) fn key_lead(
    arrays: &[Vec<Option<String>>],
    before: usize,
) -> (Option<Vec<String>>, Option<usize>) {
    let lead = arrays
        .first()
        .and_then(|a| leading_values(arrays.len(), a.iter().map(Option::as_deref)));
    let at = lead.as_ref().map(|_| before + 1);
    (lead, at)
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
    /// The tenant schema as introspection reads it: the one read for the
    /// command's reads (`schema()`, once per process), or `fresh`. The
    /// writes build their statements from it (the types keys and values are
    /// cast to), so the first time a write transaction needs it, the
    /// catalog's [`catalog_fingerprint`] is compared with the one taken
    /// when it was read, and the catalogs are read again where the schema
    /// changed since: one query in the transaction rather than the eight
    /// of a read.
    pub(super) fn pg_schema(&self, fresh: bool) -> Result<Rc<PgSchema>> {
        if !fresh {
            if let Some(s) = self.kept_catalog() {
                if !self.in_tx() || self.w.catalog_checked.get() {
                    return Ok(s);
                }
                let now = catalog_fingerprint(&mut *self.conn()?)?;
                if now == s.fingerprint {
                    self.w.catalog_checked.set(true);
                    return Ok(s);
                }
            }
        }
        let s = Rc::new(read_schema(&mut *self.conn()?)?);
        self.keep_catalog(Rc::clone(&s));
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
            one.matches(2, "t.", None),
            "t.\"id\" = ANY(CAST($2::text[] AS pg_catalog.int8[]))"
        );
        let two = KeyCols {
            exprs: vec!["\"a\"".into(), "\"b\"".into()],
            casts: vec!["pg_catalog.int8".into(), "pg_catalog.text".into()],
        };
        assert_eq!(
            two.matches(1, "", None),
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
        assert_eq!(
            two.matches(1, "", Some(3)),
            "\"a\" = ANY(CAST($3::text[] AS pg_catalog.int8[])) AND (\"a\", \"b\") IN (SELECT * FROM unnest(CAST($1::text[] AS pg_catalog.int8[]), CAST($2::text[] AS pg_catalog.text[])))"
        );
    }

    #[test]
    fn leading_values_only_where_tuples_share_them() {
        let of = |v: &[Option<&str>]| leading_values(2, v.iter().copied());
        // One first value for many tuples: bound once, NULLs left out.
        assert_eq!(
            of(&[Some("7"), Some("7"), None, Some("7"), Some("7")]),
            Some(vec!["7".to_string()])
        );
        assert_eq!(
            of(&[
                Some("1"),
                Some("1"),
                Some("1"),
                Some("1"),
                Some("2"),
                Some("2"),
                Some("2"),
                Some("2")
            ]),
            Some(vec!["1".to_string(), "2".to_string()])
        );
        // Mostly distinct first values, too few tuples, one column, all NULL.
        assert_eq!(
            of(&[Some("1"), Some("2"), Some("3"), Some("3"), Some("3")]),
            None
        );
        assert_eq!(of(&[Some("1"), Some("1")]), None);
        assert_eq!(leading_values(1, vec![Some("1"); 8].into_iter()), None);
        assert_eq!(of(&[None, None, None, None]), None);
        let arrays = vec![
            vec![Some("5".to_string()); 4],
            vec![Some("x".to_string()); 4],
        ];
        assert_eq!(key_lead(&arrays, 3), (Some(vec!["5".to_string()]), Some(4)));
    }
}
