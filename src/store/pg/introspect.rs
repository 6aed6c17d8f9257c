//! The tenant schema read from PostgreSQL's catalogs, into the shared
//! `Schema` types (so that map checks and quoting work as on SQLite) and,
//! beside them, what those types cannot say yet: native types, declared
//! lengths, defaults, ON UPDATE and deferrability of foreign keys, index
//! expressions and predicates, CHECK constraints and triggers.
//!
//! Only the tenant schema's tables are read (ordinary and partitioned
//! tables; partitions are read through their parent), dsr's own `_dsr_`
//! tables included, as SQLite's `Store::schema` does. Tables are in
//! byte order of their names (SQLite's `ORDER BY name`).
//!
//! Mapping to the shared types:
//! - `ColumnSchema::decl_type` is `format_type()` (`character varying(20)`),
//!   `ty` the neutral kind (`PgType::column_type`), `max_len` the declared
//!   length.
//! - `TableSchema::row_ids` is `InTransaction`: a `ctid` moves on every
//!   update; `key_is_integer` holds for a single integer primary key.
//! - `ForeignKey::on_delete` uses SQLite's words (`NO ACTION`, `RESTRICT`,
//!   `CASCADE`, `SET NULL`, `SET DEFAULT`); a parent in another schema is
//!   named `schema.table`.
//! - `Index::parts` carries, per key part, the column and the comparison
//!   the index answers, in SQLite's words: `BINARY` for an exact one,
//!   `NOCASE` for a case-insensitive one (`lower(col)`/`upper(col)`, a
//!   `citext` column), `TRIGRAM` for a pg_trgm operator class (answers
//!   `LIKE '%…%'`: `TableSchema::has_trigram_index`); other expressions
//!   have no column. The PostgreSQL store answers `Filter::NoCase` with
//!   `lower(col)` (or plain equality on citext), so `is_indexed` keeps its
//!   meaning.
//! - `Schema::journal_mode` is None: it is a SQLite setting.

use super::connect::PgConn;
use super::types::PgType;
use crate::error::Result;
use crate::store::schema::{ColumnSchema, Dialect, ForeignKey, Index, RowIds, Schema, TableSchema};

/// A PostgreSQL column, as the catalog describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PgColumn {
    pub name: String,
    pub ty: PgType,
    /// `format_type(type, typmod)`: `character varying(20)`, `integer[]`.
    pub decl_type: String,
    /// The type's own name, schema-qualified, without length or
    /// precision (`pg_catalog.varchar`, `pg_catalog._int4`, `public.citext`):
    /// what a bound parameter is cast to. Not `format_type(type, NULL)`,
    /// whose `character` would mean `char(1)` and cut the value.
    pub cast: String,
    pub not_null: bool,
    /// The default expression, if any (`nextval(...)`, `now()`).
    pub default: Option<String>,
    /// `GENERATED ALWAYS AS IDENTITY` ('a'), `BY DEFAULT` ('d').
    pub identity: Option<char>,
    /// A generated (computed) column: it cannot be written.
    pub generated: bool,
    /// The column's collation when not the database default.
    pub collation: Option<String>,
}

/// A foreign key, with what the shared type lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct PgForeignKey {
    pub name: String,
    pub from: Vec<String>,
    /// The parent's schema (usually the tenant's own).
    pub parent_schema: String,
    pub parent: String,
    pub to: Vec<String>,
    pub on_delete: &'static str,
    pub on_update: &'static str,
    pub deferrable: bool,
    pub initially_deferred: bool,
}

/// One key part of an index.
#[derive(Debug, Clone, PartialEq)]
pub enum PgIndexKey {
    /// A plain column, with its collation and operator class.
    Column {
        name: String,
        collation: Option<String>,
        opclass: String,
    },
    /// `lower(col)` or `upper(col)`: answers case-insensitive lookups.
    Folded { column: String },
    /// Any other expression, as `pg_get_indexdef` writes it.
    Expr(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PgIndex {
    pub name: String,
    pub unique: bool,
    pub primary: bool,
    /// The access method: `btree`, `gin` (pg_trgm, jsonb), `gist`, ...
    pub method: String,
    pub keys: Vec<PgIndexKey>,
    /// The WHERE of a partial index.
    pub predicate: Option<String>,
    /// The whole `CREATE INDEX` statement.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PgTrigger {
    pub name: String,
    pub timing: TriggerTiming,
    /// Of `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, in that order.
    pub events: Vec<&'static str>,
    /// FOR EACH ROW (else FOR EACH STATEMENT).
    pub for_each_row: bool,
    /// `tgenabled`: false when disabled ('D'); dsr never changes it.
    pub enabled: bool,
    pub function: String,
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PgTable {
    pub name: String,
    /// Partitioned (`relkind` 'p') rather than an ordinary table.
    pub partitioned: bool,
    /// The planner's row estimate (`reltuples`), None when never analyzed.
    pub estimated_rows: Option<u64>,
    pub columns: Vec<PgColumn>,
    pub foreign_keys: Vec<PgForeignKey>,
    pub indexes: Vec<PgIndex>,
    /// CHECK constraints as (name, `CHECK (...)`).
    pub checks: Vec<(String, String)>,
    pub triggers: Vec<PgTrigger>,
}

impl PgTable {
    pub fn column(&self, name: &str) -> Option<&PgColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The tenant schema: the shared view and the PostgreSQL details, table
/// for table in the same order.
#[derive(Debug, Clone)]
pub struct PgSchema {
    pub schema: Schema,
    pub namespace: String,
    pub tables: Vec<PgTable>,
    /// [`catalog_fingerprint`] just before the catalogs were read.
    pub fingerprint: String,
}

impl PgSchema {
    pub fn table(&self, name: &str) -> Option<&PgTable> {
        self.tables.iter().find(|t| t.name == name)
    }
}

fn action(c: &str) -> &'static str {
    match c {
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
}

const TABLES: &str = "
SELECT c.oid, c.relname::text, c.relkind = 'p', c.reltuples::float8
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname::text COLLATE \"C\"";

const COLUMNS: &str = "
SELECT a.attrelid, a.attname::text,
       pg_catalog.format_type(a.atttypid, a.atttypmod), pg_catalog.format('%I.%I', tn.nspname, t.typname),
       a.attnotnull, a.atttypmod, t.typname::text, t.typtype::text,
       et.typname::text, et.typtype::text,
       bt.typname::text, bt.typtype::text, t.typtypmod,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_type et ON t.typcategory = 'A' AND et.oid = t.typelem
LEFT JOIN pg_catalog.pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum";

const PKS: &str = "
SELECT con.conrelid, a.attname::text
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
WHERE n.nspname = $1 AND con.contype = 'p'
ORDER BY con.conrelid, k.ord";

const FKS: &str = "
SELECT con.conrelid, con.conname::text, rn.nspname::text, rc.relname::text,
       con.confdeltype::text, con.confupdtype::text, con.condeferrable, con.condeferred,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(n, o)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o),
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(n, o)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE n.nspname = $1 AND con.contype = 'f' AND con.conparentid = 0
ORDER BY con.conrelid, con.conname::text COLLATE \"C\"";

const CHECKS: &str = "
SELECT con.conrelid, con.conname::text, pg_catalog.pg_get_constraintdef(con.oid, true)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
WHERE n.nspname = $1 AND con.contype = 'c' AND con.conrelid <> 0
ORDER BY con.conrelid, con.conname::text COLLATE \"C\"";

const INDEXES: &str = "
SELECT i.indrelid, i.indexrelid, ic.relname::text, i.indisunique, i.indisprimary, am.amname::text,
       pg_catalog.pg_get_indexdef(i.indexrelid), pg_catalog.pg_get_expr(i.indpred, i.indrelid)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = tc.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE n.nspname = $1
ORDER BY i.indrelid, ic.relname::text COLLATE \"C\"";

const INDEX_KEYS: &str = "
SELECT i.indexrelid, a.attname::text, pg_catalog.pg_get_indexdef(i.indexrelid, k, true),
       CASE WHEN i.indcollation[k - 1] <> 0 AND i.indcollation[k - 1] <> coalesce(a.attcollation, 0)
            THEN co.collname::text END,
       op.opcname::text
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = tc.relnamespace
CROSS JOIN LATERAL generate_series(1, i.indnkeyatts) AS k
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1] AND i.indkey[k - 1] <> 0
LEFT JOIN pg_catalog.pg_collation co ON co.oid = i.indcollation[k - 1]
LEFT JOIN pg_catalog.pg_opclass op ON op.oid = i.indclass[k - 1]
WHERE n.nspname = $1
ORDER BY i.indexrelid, k";

const TRIGGERS: &str = "
SELECT t.tgrelid, t.tgname::text, t.tgtype::int4, t.tgenabled::text, p.proname::text,
       pg_catalog.pg_get_triggerdef(t.oid, true)
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
WHERE n.nspname = $1 AND NOT t.tgisinternal
ORDER BY t.tgrelid, t.tgname::text COLLATE \"C\"";

/// A digest of the catalog rows the tenant schema is read from: the
/// schema's relations, their columns (and the columns' types), defaults,
/// constraints, indexes and triggers, each by its oid and `xmin`. DDL
/// writes new versions of those rows (new `xmin`s) or removes them, so the
/// digest changes with any change of the schema; VACUUM and ANALYZE update
/// `pg_class` in place (same `xmin`) and leave it. One query where reading
/// the catalogs is eight.
const FINGERPRINT: &str = "
WITH r AS (SELECT c.oid, c.xmin::text AS x FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1)
SELECT pg_catalog.md5(coalesce(pg_catalog.string_agg(x, ',' ORDER BY x COLLATE \"C\"), '')) FROM (
  SELECT 'c' || r.oid || ':' || r.x FROM r
  UNION ALL SELECT 'a' || a.attrelid || '.' || a.attnum || ':' || a.xmin || ':' || y.oid || ':' || y.xmin
    FROM pg_catalog.pg_attribute a JOIN r ON r.oid = a.attrelid
    JOIN pg_catalog.pg_type y ON y.oid = a.atttypid WHERE a.attnum > 0
  UNION ALL SELECT 'd' || d.oid || ':' || d.xmin FROM pg_catalog.pg_attrdef d JOIN r ON r.oid = d.adrelid
  UNION ALL SELECT 'k' || k.oid || ':' || k.xmin FROM pg_catalog.pg_constraint k JOIN r ON r.oid = k.conrelid
  UNION ALL SELECT 'i' || i.indexrelid || ':' || i.xmin FROM pg_catalog.pg_index i JOIN r ON r.oid = i.indrelid
  UNION ALL SELECT 't' || t.oid || ':' || t.xmin FROM pg_catalog.pg_trigger t JOIN r ON r.oid = t.tgrelid
) s(x)";

/// The tenant schema's [`FINGERPRINT`] now.
pub fn catalog_fingerprint(conn: &mut PgConn) -> Result<String> {
    let ns = conn.url.schema.clone();
    let row = conn
        .client
        .query_one(FINGERPRINT, &[&ns])
        .map_err(|e| conn.err("reading the schema", e))?;
    row.try_get(0)
        .map_err(|e| conn.err("reading the schema", e))
}

/// `lower(email)`, `upper((email)::text)`, `lower("E-mail")`: the folded
/// column, if the expression is just that.
fn folded_column(expr: &str) -> Option<String> {
    let inner = expr
        .strip_prefix("lower(")
        .or_else(|| expr.strip_prefix("upper("))?
        .strip_suffix(')')?;
    // `(email)::text` (pg_get_indexdef) or `email::text` (its pretty form).
    let inner = match inner.strip_prefix('(') {
        Some(r) => r.strip_suffix(")::text")?,
        None => inner.strip_suffix("::text").unwrap_or(inner),
    };
    if let Some(q) = inner.strip_prefix('"') {
        let q = q.strip_suffix('"')?;
        if q.replace("\"\"", "").contains('"') {
            return None;
        }
        return Some(q.replace("\"\"", "\""));
    }
    inner
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        .then(|| inner.to_string())
}

/// Reads the tenant schema (the URL's) from the catalogs.
pub fn read_schema(conn: &mut PgConn) -> Result<PgSchema> {
    let ns = conn.url.schema.clone();
    let doing = "reading the schema";
    let q = |conn: &mut PgConn, sql: &str| -> Result<Vec<postgres::Row>> {
        conn.client
            .query(sql, &[&ns])
            .map_err(|e| conn.err(doing, e))
    };
    let fingerprint = catalog_fingerprint(conn)?;
    let table_rows = q(conn, TABLES)?;
    let mut oids: Vec<u32> = Vec::new();
    let mut tables: Vec<PgTable> = Vec::new();
    for r in &table_rows {
        oids.push(r.get(0));
        let est: f64 = r.get(3);
        tables.push(PgTable {
            name: r.get(1),
            partitioned: r.get(2),
            estimated_rows: (est >= 0.0).then_some(est as u64),
            columns: vec![],
            foreign_keys: vec![],
            indexes: vec![],
            checks: vec![],
            triggers: vec![],
        });
    }
    let at = |oid: u32| oids.iter().position(|&o| o == oid);

    for r in q(conn, COLUMNS)? {
        let Some(i) = at(r.get(0)) else { continue };
        let (typname, typtype): (String, String) = (r.get(6), r.get(7));
        let (en, et): (Option<String>, Option<String>) = (r.get(8), r.get(9));
        let (bn, bt, bmod): (Option<String>, Option<String>, i32) =
            (r.get(10), r.get(11), r.get(12));
        let ty = PgType::from_catalog(
            &typname,
            &typtype,
            r.get(5),
            en.as_deref().zip(et.as_deref()),
            bn.as_deref().zip(bt.as_deref()).map(|(n, t)| (n, t, bmod)),
        );
        let identity: String = r.get(14);
        let generated: String = r.get(15);
        tables[i].columns.push(PgColumn {
            name: r.get(1),
            ty,
            decl_type: r.get(2),
            cast: r.get(3),
            not_null: r.get(4),
            default: r.get(13),
            identity: identity.chars().next(),
            generated: !generated.is_empty(),
            collation: r.get(16),
        });
    }

    let mut pks: Vec<Vec<String>> = vec![vec![]; tables.len()];
    for r in q(conn, PKS)? {
        if let Some(i) = at(r.get(0)) {
            pks[i].push(r.get(1));
        }
    }

    for r in q(conn, FKS)? {
        let Some(i) = at(r.get(0)) else { continue };
        let (del, upd): (String, String) = (r.get(4), r.get(5));
        tables[i].foreign_keys.push(PgForeignKey {
            name: r.get(1),
            parent_schema: r.get(2),
            parent: r.get(3),
            on_delete: action(&del),
            on_update: action(&upd),
            deferrable: r.get(6),
            initially_deferred: r.get(7),
            from: r.get(8),
            to: r.get(9),
        });
    }

    for r in q(conn, CHECKS)? {
        if let Some(i) = at(r.get(0)) {
            tables[i].checks.push((r.get(1), r.get(2)));
        }
    }

    let mut index_oids: Vec<(u32, usize)> = Vec::new();
    for r in q(conn, INDEXES)? {
        let Some(i) = at(r.get(0)) else { continue };
        index_oids.push((r.get(1), i));
        tables[i].indexes.push(PgIndex {
            name: r.get(2),
            unique: r.get(3),
            primary: r.get(4),
            method: r.get(5),
            keys: vec![],
            predicate: r.get(7),
            definition: r.get(6),
        });
    }
    for r in q(conn, INDEX_KEYS)? {
        let ioid: u32 = r.get(0);
        let Some(&(_, ti)) = index_oids.iter().find(|(o, _)| *o == ioid) else {
            continue;
        };
        let Some(pos) = index_oids
            .iter()
            .filter(|(_, t)| *t == ti)
            .position(|(o, _)| *o == ioid)
        else {
            continue;
        };
        let col: Option<String> = r.get(1);
        let expr: String = r.get(2);
        let key = match col {
            Some(name) => PgIndexKey::Column {
                name,
                collation: r.get(3),
                opclass: r.get(4),
            },
            None => match folded_column(&expr) {
                Some(column) => PgIndexKey::Folded { column },
                None => PgIndexKey::Expr(expr),
            },
        };
        tables[ti].indexes[pos].keys.push(key);
    }

    for r in q(conn, TRIGGERS)? {
        let Some(i) = at(r.get(0)) else { continue };
        let t: i32 = r.get(2);
        let enabled: String = r.get(3);
        let events = [
            (4, "INSERT"),
            (16, "UPDATE"),
            (8, "DELETE"),
            (32, "TRUNCATE"),
        ]
        .into_iter()
        .filter(|(bit, _)| t & bit != 0)
        .map(|(_, e)| e)
        .collect();
        tables[i].triggers.push(PgTrigger {
            name: r.get(1),
            timing: if t & 64 != 0 {
                TriggerTiming::InsteadOf
            } else if t & 2 != 0 {
                TriggerTiming::Before
            } else {
                TriggerTiming::After
            },
            events,
            for_each_row: t & 1 != 0,
            enabled: enabled != "D",
            function: r.get(4),
            definition: r.get(5),
        });
    }

    let shared = tables
        .iter()
        .zip(&pks)
        .map(|(t, pk)| shared_table(t, pk, &ns))
        .collect();
    Ok(PgSchema {
        schema: Schema {
            tables: shared,
            journal_mode: None,
            dialect: Dialect::Postgres { schema: ns.clone() },
        },
        namespace: ns,
        tables,
        fingerprint,
    })
}

/// The shared view of one table (see the module's notes).
fn shared_table(t: &PgTable, pk: &[String], ns: &str) -> TableSchema {
    let columns = t
        .columns
        .iter()
        .map(|c| ColumnSchema {
            name: c.name.clone(),
            decl_type: c.decl_type.clone(),
            ty: c.ty.column_type(),
            max_len: c.ty.max_len().map(|n| n as usize),
            not_null: c.not_null,
            pk: pk.iter().position(|p| *p == c.name).map_or(0, |i| i + 1),
        })
        .collect();
    let foreign_keys = t
        .foreign_keys
        .iter()
        .map(|fk| ForeignKey {
            from: fk.from.clone(),
            table: if fk.parent_schema == ns {
                fk.parent.clone()
            } else {
                format!("{}.{}", fk.parent_schema, fk.parent)
            },
            to: fk.to.clone(),
            on_delete: fk.on_delete.to_string(),
        })
        .collect();
    let nocase_column = |name: &str| t.column(name).is_some_and(|c| c.ty.case_insensitive());
    let indexes = t
        .indexes
        .iter()
        .map(|i| Index {
            name: i.name.clone(),
            parts: i
                .keys
                .iter()
                .map(|k| match k {
                    PgIndexKey::Column { name, .. } if nocase_column(name) => {
                        (Some(name.clone()), "NOCASE".to_string())
                    }
                    PgIndexKey::Column { name, opclass, .. } if opclass.ends_with("_trgm_ops") => {
                        (Some(name.clone()), "TRIGRAM".to_string())
                    }
                    PgIndexKey::Column { name, .. } => (Some(name.clone()), "BINARY".to_string()),
                    PgIndexKey::Folded { column } => (Some(column.clone()), "NOCASE".to_string()),
                    PgIndexKey::Expr(_) => (None, "BINARY".to_string()),
                })
                .collect(),
            // Only btree indexes answer equality lookups the way the
            // shared `is_indexed` means; others count as partial.
            partial: i.predicate.is_some() || i.method != "btree",
        })
        .collect();
    let key_is_integer = pk.len() == 1
        && t.column(&pk[0])
            .is_some_and(|c| matches!(c.ty.base(), PgType::Int2 | PgType::Int4 | PgType::Int8));
    TableSchema {
        name: t.name.clone(),
        columns,
        pk: pk.to_vec(),
        row_ids: RowIds::InTransaction,
        key_is_integer,
        foreign_keys,
        indexes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_columns() {
        assert_eq!(folded_column("lower(email)").as_deref(), Some("email"));
        assert_eq!(
            folded_column("lower((email)::text)").as_deref(),
            Some("email")
        );
        assert_eq!(
            folded_column("upper(\"E-mail\")").as_deref(),
            Some("E-mail")
        );
        assert_eq!(folded_column("lower(\"a\"\"b\")").as_deref(), Some("a\"b"));
        assert_eq!(folded_column("lower(a || b)"), None);
        assert_eq!(folded_column("btrim(email)"), None);
    }
}
