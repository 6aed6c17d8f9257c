//! What the live store looks like: tables, columns, keys, foreign keys and
//! indexes, read once per command and used to check the map and quote names.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Real,
    Numeric,
    Text,
    /// Declared BLOB, or no declared type: values keep whatever type they have.
    Blob,
}

impl Affinity {
    /// SQLite's rules (§3.1 of "Datatypes In SQLite").
    pub fn of(decl: &str) -> Affinity {
        let d = decl.to_ascii_uppercase();
        if d.contains("INT") {
            Affinity::Integer
        } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
            Affinity::Text
        } else if d.is_empty() || d.contains("BLOB") {
            Affinity::Blob
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Affinity::Integer | Affinity::Real | Affinity::Numeric)
    }

    /// Whether values of this column can be text (names, free text, hashes).
    pub fn holds_text(&self) -> bool {
        matches!(self, Affinity::Text | Affinity::Blob)
    }
}

#[derive(Debug, Clone)]
pub struct ColumnSchema {
    pub name: String,
    pub decl_type: String,
    pub affinity: Affinity,
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
    pub without_rowid: bool,
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

    /// An INTEGER PRIMARY KEY is the rowid itself, indexed without an index.
    fn is_rowid_alias(&self, col: &str) -> bool {
        !self.without_rowid
            && self.pk.len() == 1
            && self.pk[0] == col
            && self
                .column(col)
                .is_some_and(|c| c.decl_type.eq_ignore_ascii_case("INTEGER"))
    }

    /// Whether the table's key (as `Row::key` gives it) is its rowid: an
    /// integer, whose ranges can be computed rather than read.
    pub fn keyed_by_rowid(&self) -> bool {
        !self.without_rowid && (self.pk.is_empty() || self.is_rowid_alias(&self.pk[0]))
    }

    /// Whether a lookup on `col` (with this collation) can use an index:
    /// the column leads the primary key or a full, non-partial index.
    pub fn is_indexed(&self, col: &str, nocase: bool) -> bool {
        let want = if nocase { "NOCASE" } else { "BINARY" };
        if !nocase && (self.is_rowid_alias(col) || self.pk.first().is_some_and(|p| p == col)) {
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
    pub journal_mode: String,
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
    fn affinity_follows_sqlite_rules() {
        assert_eq!(Affinity::of("INTEGER"), Affinity::Integer);
        assert_eq!(Affinity::of("bigint"), Affinity::Integer);
        assert_eq!(Affinity::of("VARCHAR(20)"), Affinity::Text);
        assert_eq!(Affinity::of(""), Affinity::Blob);
        assert_eq!(Affinity::of("DOUBLE"), Affinity::Real);
        assert_eq!(Affinity::of("DATE"), Affinity::Numeric);
    }

    #[test]
    fn quoting_doubles_quotes() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote("order"), "\"order\"");
    }
}
