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
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.iter().find(|t| t.name == name)
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

/// The statement that would create an index `check` recommends, valid for
/// this store (SQLite needs an index name; `nocase` for case-insensitive
/// email lookups). A PostgreSQL backend would write `lower(col)` instead.
pub fn create_index_sql(table: &str, columns: &[&str], nocase: bool) -> String {
    let name: String = std::iter::once(table)
        .chain(columns.iter().copied())
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
        .join("_");
    let cols: Vec<String> = columns
        .iter()
        .map(|c| {
            if nocase {
                format!("{} COLLATE NOCASE", quote(c))
            } else {
                quote(c)
            }
        })
        .collect();
    format!(
        "CREATE INDEX {} ON {} ({});",
        quote(&format!("{name}_idx")),
        quote(table),
        cols.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_hints_are_named_and_quoted() {
        assert_eq!(
            create_index_sql("messages", &["sender"], false),
            "CREATE INDEX \"messages_sender_idx\" ON \"messages\" (\"sender\");"
        );
        assert_eq!(
            create_index_sql("Kund data", &["e-post"], true),
            "CREATE INDEX \"kund_data_e_post_idx\" ON \"Kund data\" (\"e-post\" COLLATE NOCASE);"
        );
    }

    #[test]
    fn quoting_doubles_quotes() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote("order"), "\"order\"");
    }
}
