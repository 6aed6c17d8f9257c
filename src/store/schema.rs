//! What the live store looks like: tables, columns, keys, foreign keys and
//! indexes, read once per command and used to check the map and quote names.

/// What a column holds, in terms every backend can give: SQLite's declared
/// types map by its affinity rules (an undeclared type is [`ColumnType::Any`]),
/// PostgreSQL's catalog types to the nearest kind. Callers ask the questions
/// below, never a backend's type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Integer,
    Real,
    /// Exact or unspecified numbers (SQLite NUMERIC affinity, `numeric`).
    Numeric,
    Text,
    /// No declared type (SQLite's BLOB affinity): values keep whatever type
    /// they have, text included.
    Any,
    /// Binary strings (`bytea`).
    Bytes,
    Bool,
    Date,
    /// `timestamp` and `timestamptz`.
    Timestamp,
    /// Anything else (uuid, json, arrays, enums, intervals, ...).
    Other,
}

impl ColumnType {
    /// Whether values compare as numbers (a link between a numeric and a
    /// text column compares nothing).
    pub fn is_numeric(&self) -> bool {
        !self.holds_text()
    }

    /// Whether values of this column can be text (names, free text, hashes).
    pub fn holds_text(&self) -> bool {
        matches!(self, ColumnType::Text | ColumnType::Any | ColumnType::Bytes)
    }
}

/// Whether a table's rows have an identity of the store's own beside their
/// key, and how long it holds (`Row::key` of a table without a primary key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowIds {
    /// Stable for the row's life (SQLite's rowid).
    Stable,
    /// Stable within one transaction only (PostgreSQL's `ctid`).
    InTransaction,
    /// None (a WITHOUT ROWID table).
    None,
}

#[derive(Debug, Clone)]
pub struct ColumnSchema {
    pub name: String,
    /// The type as declared, for messages.
    pub decl_type: String,
    pub ty: ColumnType,
    /// The declared length of a `varchar(n)`-like column.
    pub max_len: Option<usize>,
    pub not_null: bool,
    /// Position in the primary key, 1-based; 0 when not part of it.
    pub pk: usize,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub from: Vec<String>,
    pub table: String,
    /// The referenced columns; empty in the schema means the parent's primary
    /// key, which introspection fills in.
    pub to: Vec<String>,
    pub on_delete: String,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    /// Column and collation per key part; None for an expression.
    pub parts: Vec<(Option<String>, String)>,
    pub partial: bool,
}

#[derive(Debug, Clone)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<ColumnSchema>,
    /// Primary key columns in key order; empty when the table has none.
    pub pk: Vec<String>,
    pub row_ids: RowIds,
    /// Whether the key, as `Row::key` gives it, is always one integer (a
    /// SQLite rowid or its alias, a PostgreSQL integer primary key): its
    /// ranges can be computed rather than read (see [`Self::integer_key`]).
    pub key_is_integer: bool,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Whether the table's key is a single integer whose ranges can be
    /// computed (`Store::key_bounds`) rather than read.
    pub fn integer_key(&self) -> bool {
        self.key_is_integer
    }

    /// Whether an index answers `LIKE '%…%'` on `col` (PostgreSQL's
    /// pg_trgm; SQLite has none).
    pub fn has_trigram_index(&self, col: &str) -> bool {
        self.indexes.iter().any(|i| {
            i.parts
                .iter()
                .any(|(c, how)| c.as_deref() == Some(col) && how == "TRIGRAM")
        })
    }

    /// Whether a lookup on `col` (with this collation) can use an index:
    /// the column leads the primary key or a full, non-partial index.
    pub fn is_indexed(&self, col: &str, nocase: bool) -> bool {
        let want = if nocase { "NOCASE" } else { "BINARY" };
        if !nocase && self.pk.first().is_some_and(|p| p == col) {
            return true;
        }
        self.indexes.iter().any(|i| {
            !i.partial
                && i.parts.first().is_some_and(|(c, coll)| {
                    c.as_deref() == Some(col) && coll.eq_ignore_ascii_case(want)
                })
        })
    }
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub tables: Vec<TableSchema>,
    /// The store's journal mode where the backend has one to advise on
    /// (SQLite: `check` recommends WAL); None elsewhere.
    pub journal_mode: Option<String>,
    /// Whose SQL the statements `check` suggests are written in.
    pub dialect: Dialect,
}

/// The SQL of the store, for the statements `check` asks the
/// application's owner for (dsr itself never creates an index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    /// Tables are named schema-qualified: the owner runs the statement in
    /// a session of their own, whatever its search_path.
    Postgres {
        schema: String,
    },
}

/// The lookups an index `check` suggests must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Equality, as for keys, links and most identifiers.
    Exact,
    /// Equality ignoring case (email).
    NoCase,
    /// `LIKE '%…%'` (`scan = true`).
    Substring,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// How an index answering case-insensitive lookups looks here, for
    /// messages.
    pub fn nocase_index_words(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "COLLATE NOCASE index",
            Dialect::Postgres { .. } => "lower(…) index (nor citext type)",
        }
    }

    /// The statement that would create an index for `lookup` on one
    /// column, valid for this store, or None where no index helps (a
    /// substring search on SQLite). PostgreSQL: `lower(col)` for
    /// case-insensitive lookups (a plain index on a citext column), a
    /// pg_trgm GIN index for substrings.
    pub fn create_index_sql(&self, table: &str, column: &str, lookup: Lookup) -> Option<String> {
        let suffix = match (&self.dialect, lookup) {
            (Dialect::Sqlite, Lookup::Substring) => return None,
            (Dialect::Postgres { .. }, Lookup::NoCase) if !self.is_citext(table, column) => {
                "_lower"
            }
            (Dialect::Postgres { .. }, Lookup::Substring) => "_trgm",
            _ => "",
        };
        let name = quote(&format!("{}{suffix}_idx", index_name(&[table, column])));
        let col = quote(column);
        Some(match &self.dialect {
            Dialect::Sqlite => {
                let coll = if lookup == Lookup::NoCase {
                    " COLLATE NOCASE"
                } else {
                    ""
                };
                format!("CREATE INDEX {name} ON {} ({col}{coll});", quote(table))
            }
            Dialect::Postgres { schema } => {
                let on = format!("{}.{}", quote(schema), quote(table));
                match lookup {
                    Lookup::Exact => format!("CREATE INDEX {name} ON {on} ({col});"),
                    Lookup::NoCase if self.is_citext(table, column) => {
                        format!("CREATE INDEX {name} ON {on} ({col});")
                    }
                    Lookup::NoCase => format!(
                        "CREATE INDEX {name} ON {on} (lower({col})); (or make the column citext and index it as it is)"
                    ),
                    Lookup::Substring => format!(
                        "CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE INDEX {name} ON {on} USING gin ({col} gin_trgm_ops);"
                    ),
                }
            }
        })
    }

    fn is_citext(&self, table: &str, column: &str) -> bool {
        self.table(table)
            .and_then(|t| t.column(column))
            .is_some_and(|c| c.decl_type.eq_ignore_ascii_case("citext"))
    }

    /// Foreign keys of every table that reference `parent`, as (child, fk).
    pub fn references_to<'a>(
        &'a self,
        parent: &'a str,
    ) -> impl Iterator<Item = (&'a TableSchema, &'a ForeignKey)> + 'a {
        self.tables.iter().flat_map(move |t| {
            t.foreign_keys
                .iter()
                .filter(move |fk| fk.table == parent)
                .map(move |fk| (t, fk))
        })
    }
}

/// Quotes an identifier for SQL. Only names that exist in the live schema
/// reach here, and the quoting makes any name safe regardless.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An index name from its table and columns: lower-case letters, digits
/// and `_` (SQLite needs a name; PostgreSQL's would differ per server).
fn index_name(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(dialect: Dialect) -> Schema {
        let col = |name: &str, decl: &str| ColumnSchema {
            name: name.into(),
            decl_type: decl.into(),
            ty: ColumnType::Text,
            max_len: None,
            not_null: false,
            pk: 0,
        };
        Schema {
            tables: vec![TableSchema {
                name: "Kund data".into(),
                columns: vec![col("e-post", "text"), col("mail", "citext")],
                pk: vec![],
                row_ids: RowIds::Stable,
                key_is_integer: false,
                foreign_keys: vec![],
                indexes: vec![],
            }],
            journal_mode: None,
            dialect,
        }
    }

    #[test]
    fn index_hints_are_named_and_quoted() {
        let s = schema(Dialect::Sqlite);
        let sql = |c, l| s.create_index_sql("Kund data", c, l);
        assert_eq!(
            sql("e-post", Lookup::Exact).unwrap(),
            "CREATE INDEX \"kund_data_e_post_idx\" ON \"Kund data\" (\"e-post\");"
        );
        assert_eq!(
            sql("e-post", Lookup::NoCase).unwrap(),
            "CREATE INDEX \"kund_data_e_post_idx\" ON \"Kund data\" (\"e-post\" COLLATE NOCASE);"
        );
        assert_eq!(sql("e-post", Lookup::Substring), None);
    }

    #[test]
    fn postgres_index_hints_are_schema_qualified() {
        let s = schema(Dialect::Postgres {
            schema: "Tenant 7".into(),
        });
        let sql = |c, l| s.create_index_sql("Kund data", c, l).unwrap();
        assert_eq!(
            sql("e-post", Lookup::Exact),
            "CREATE INDEX \"kund_data_e_post_idx\" ON \"Tenant 7\".\"Kund data\" (\"e-post\");"
        );
        assert_eq!(
            sql("e-post", Lookup::NoCase),
            "CREATE INDEX \"kund_data_e_post_lower_idx\" ON \"Tenant 7\".\"Kund data\" (lower(\"e-post\")); (or make the column citext and index it as it is)"
        );
        assert_eq!(
            sql("mail", Lookup::NoCase),
            "CREATE INDEX \"kund_data_mail_idx\" ON \"Tenant 7\".\"Kund data\" (\"mail\");"
        );
        assert_eq!(
            sql("e-post", Lookup::Substring),
            "CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE INDEX \"kund_data_e_post_trgm_idx\" ON \"Tenant 7\".\"Kund data\" USING gin (\"e-post\" gin_trgm_ops);"
        );
    }

    #[test]
    fn quoting_doubles_quotes() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote("order"), "\"order\"");
    }
}
