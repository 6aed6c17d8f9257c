//! The Art. 15 report: the copy of the data plus the information of
//! Art. 15(1)(a)–(h) and 15(2), as one typed document (`dsr.extract/1`)
//! that every extract format is written from, and the subject's
//! `dsr.export/1` made from it. The structs' field order is the JSON's.
//!
//! A table's rows are either held (read while the subject was resolved) or
//! read from the store as the writer asks for them ([`TableRows`]), in key
//! order: the JSON serializer, the CSV, XLSX and HTML writers take them one
//! by one, so that a copy of millions of rows is made in constant memory.

use crate::error::{Error, Result};
use crate::graph::{Belonging, Known, Linked, Mention};
use crate::labels;
use crate::map::{DataMap, Table};
use crate::store::schema::{Schema, TableSchema};
use crate::store::{Row, Store};
use crate::value::Value;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::cell::RefCell;

pub use crate::labels::Lang;

/// Storage period in words (Art. 15(1)(d)), from `retention`, `hold`,
/// `on_erase` and `keep_reason`, in the labels of the columns.
pub fn retention_words(map: &DataMap, t: &Table, lang: Lang) -> String {
    labels::period::words(map, t, lang)
}

/// Art. 15(1)(e), (f) and (h) in one text.
pub fn rights(map: &DataMap, lang: Lang) -> String {
    let c = &map.controller;
    match lang {
        Lang::En => format!(
            "You have the right to have inaccurate data corrected (Art. 16), to have data erased (Art. 17), to have processing restricted (Art. 18), to object to processing (Art. 21) and to receive the data you provided in a machine-readable format (Art. 20). You may lodge a complaint with the supervisory authority: {}. {} Contact {} at {}.",
            c.authority,
            c.automated_decisions.clone().unwrap_or_else(|| "We make no decisions about you based solely on automated processing, including profiling (Art. 22).".into()),
            c.name,
            c.contact
        ),
        Lang::Sv => format!(
            "Du har rätt att få felaktiga uppgifter rättade (art. 16), att få uppgifter raderade (art. 17), att begära begränsning av behandlingen (art. 18), att invända mot behandlingen (art. 21) och att få ut de uppgifter du lämnat i ett maskinläsbart format (art. 20). Du kan lämna klagomål till tillsynsmyndigheten: {}. {} Kontakta {} på {}.",
            c.authority,
            c.automated_decisions.clone().unwrap_or_else(|| "Vi fattar inga beslut om dig som enbart grundas på automatiserad behandling, inklusive profilering (art. 22).".into()),
            c.name,
            c.contact
        ),
    }
}

/// A JSON object whose keys keep their order (the first of a repeated key
/// wins).
#[derive(Debug, Clone)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<V> Ordered<V> {
    /// Adds an entry unless the key is there already.
    pub fn insert(&mut self, k: String, v: V) {
        if !self.0.iter().any(|(have, _)| *have == k) {
            self.0.push((k, v));
        }
    }

    pub fn get(&self, k: &str) -> Option<&V> {
        self.0.iter().find(|(have, _)| have == k).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A stored value as the document writes it ([`Value::to_json`]), without
/// building a JSON tree for the common types.
pub struct JsonCell<'a>(pub &'a Value);

impl Serialize for JsonCell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Integer(i) => s.serialize_i64(*i),
            Value::Text(t) => s.serialize_str(t),
            // serde_json writes a finite double as `Number::from_f64` does
            // (shortest round trip), and NaN and the infinities as null.
            Value::Real(f) => s.serialize_f64(*f),
            other => other.to_json().serialize(s),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Controller {
    pub name: String,
    pub contact: String,
    pub authority: String,
}

/// One identifier of `subject.identifiers`: its kind (the map's name for
/// it), its normalised value, whether it was given, and if not, the table
/// whose row held it.
#[derive(Debug, Clone, Serialize)]
pub struct Identifier {
    pub kind: String,
    pub value: String,
    pub given: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_in: Option<String>,
}

impl Identifier {
    fn of(k: &Known) -> Identifier {
        Identifier {
            kind: k.id.name.clone(),
            value: k.id.key.clone(),
            given: k.found_in.is_none(),
            found_in: k.found_in.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub identifiers: Vec<Identifier>,
}

/// A column held but not shown (`extract = false`).
#[derive(Debug, Clone, Serialize)]
pub struct Withheld {
    pub column: String,
    pub category: Option<String>,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_label: Option<String>,
}

/// One table of the document: the Art. 15 information about it, the
/// labels it adds to its names (additive fields of `dsr.extract/1`), and
/// its rows.
#[derive(Serialize)]
pub struct TableEntry<'a> {
    pub purpose: String,
    pub legal_basis: String,
    pub source: Option<String>,
    pub recipients: Vec<String>,
    pub transfers: Vec<String>,
    pub retention: String,
    pub categories: Vec<String>,
    pub withheld_columns: Vec<Withheld>,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub legal_basis_label: String,
    pub category_labels: Ordered<String>,
    pub column_labels: Ordered<String>,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    pub column_descriptions: Ordered<String>,
    pub rows: TableRows<'a>,
}

/// Where a table's rows come from.
enum Source<'a> {
    /// Held, in key order.
    Held(Vec<&'a Row>),
    /// In the store, read in key order when asked for.
    Store {
        store: &'a Store,
        ts: &'a TableSchema,
        linked: &'a Linked,
    },
}

/// The rows of one document table: the columns shown (the table's, in
/// schema order, less the withheld ones) and the rows, held or streamed
/// from the store.
pub struct TableRows<'a> {
    /// The names of the columns shown.
    pub columns: Vec<String>,
    /// Where each shown column is in a row's values.
    pick: Vec<usize>,
    /// How many rows there are.
    pub count: u64,
    source: Source<'a>,
    /// A store failure met while the rows were serialized.
    failure: RefCell<Option<Error>>,
}

impl TableRows<'_> {
    /// Calls `f` with each row's shown values, in key order.
    pub fn each(&self, mut f: impl FnMut(&[&Value]) -> Result<()>) -> Result<()> {
        let mut shown: Vec<&Value> = Vec::with_capacity(self.pick.len());
        match &self.source {
            Source::Held(rows) => {
                for r in rows {
                    shown.clear();
                    shown.extend(self.pick.iter().map(|&i| &r.values[i]));
                    f(&shown)?;
                }
                Ok(())
            }
            Source::Store { store, ts, linked } => {
                let mut read = 0u64;
                // One buffer for every row's picks (emptied between rows).
                let mut spare: Vec<&'static Value> = Vec::with_capacity(self.pick.len());
                store.select_in_key_order(ts, &linked.columns, &linked.tuples, |r| {
                    read += 1;
                    let mut shown = recycle(std::mem::take(&mut spare));
                    shown.extend(self.pick.iter().map(|&i| &r.values[i]));
                    let res = f(&shown);
                    spare = recycle(shown);
                    res
                })?;
                // The count went into the information and goes into the
                // audit record; a copy that holds other rows than it says
                // is refused rather than released.
                if read != linked.count {
                    return Err(Error::Runtime(format!(
                        "the rows of {} changed while they were copied ({read} read, {} counted moments before: the application wrote them meanwhile); nothing was released; run the command again",
                        ts.name, linked.count
                    )));
                }
                Ok(())
            }
        }
    }

    /// Whether the rows stream from the store rather than being held.
    pub fn streamed(&self) -> bool {
        matches!(self.source, Source::Store { .. })
    }

    fn take_failure(&self) -> Option<Error> {
        self.failure.borrow_mut().take()
    }
}

impl Serialize for TableRows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let mut seq = s.serialize_seq(None)?;
        let mut ser_err: Option<S::Error> = None;
        let read = self.each(|vals| {
            let row = RowObject(&self.columns, vals);
            seq.serialize_element(&row).map_err(|e| {
                ser_err = Some(e);
                Error::Runtime(String::new())
            })
        });
        if let Some(e) = ser_err {
            return Err(e);
        }
        if let Err(e) = read {
            let msg = e.to_string();
            *self.failure.borrow_mut() = Some(e);
            return Err(S::Error::custom(msg));
        }
        seq.end()
    }
}

/// One row as a JSON object of its shown columns.
struct RowObject<'r>(&'r [String], &'r [&'r Value]);

impl Serialize for RowObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0.iter().zip(self.1) {
            m.serialize_entry(k, &JsonCell(v))?;
        }
        m.end()
    }
}

/// The mentions of the subject in one free-text column (Art. 15(4)).
#[derive(Debug, Clone, Serialize)]
pub struct MentionEntry {
    pub column: String,
    pub label: String,
    pub column_label: String,
    pub rows: Vec<MentionRow>,
}

/// One row that mentions the subject: its key and the passages that name
/// them, other people's identifiers masked; never the rest of the row.
#[derive(Debug, Clone)]
pub struct MentionRow {
    pub key: Vec<(String, Value)>,
    pub excerpts: Vec<String>,
}

impl Serialize for MentionRow {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        struct Key<'k>(&'k [(String, Value)]);
        impl Serialize for Key<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    m.serialize_entry(k, &JsonCell(v))?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("key", &Key(&self.key))?;
        m.serialize_entry("excerpts", &self.excerpts)?;
        m.end()
    }
}

/// One of the subject's requests in the register (the extract's
/// `requests`).
#[derive(Debug, Clone)]
pub struct RequestEntry {
    /// (field, value) in the document's order.
    pub fields: Vec<(&'static str, Value)>,
}

impl Serialize for RequestEntry {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.fields.len()))?;
        for (k, v) in &self.fields {
            m.serialize_entry(k, &JsonCell(v))?;
        }
        m.end()
    }
}

/// The `dsr.extract/1` document.
#[derive(Serialize)]
pub struct ExtractDoc<'a> {
    pub schema: &'static str,
    pub generated_at: String,
    pub controller: Controller,
    pub subject: Subject,
    pub identifier_labels: Ordered<String>,
    pub language: &'static str,
    pub timezone: String,
    pub tables: Ordered<TableEntry<'a>>,
    pub mentions: Ordered<MentionEntry>,
    pub rights: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<Vec<RequestEntry>>,
}

/// A subject's `dsr.export/1` document: the portable tables of their
/// extract.
#[derive(Serialize)]
pub struct ExportDoc<'d, 'a> {
    pub schema: &'static str,
    pub scope: &'static str,
    pub generated_at: &'d str,
    pub controller: &'d Controller,
    pub subject: &'d Subject,
    pub tables: Ordered<&'d TableEntry<'a>>,
}

impl ExtractDoc<'_> {
    /// The store failure that stopped a serialization, if one did.
    pub fn take_failure(&self) -> Option<Error> {
        self.tables.iter().find_map(|(_, t)| t.rows.take_failure())
    }
}

impl ExportDoc<'_, '_> {
    pub fn take_failure(&self) -> Option<Error> {
        self.tables.iter().find_map(|(_, t)| t.rows.take_failure())
    }
}

/// Builds the `dsr.extract/1` document. Rows of tables the graph left in
/// the store ([`crate::graph::Found::linked`]) are read from `store` when
/// the document is written.
pub fn extract_doc<'a>(
    store: &'a Store,
    map: &DataMap,
    schema: &'a Schema,
    b: &'a Belonging,
    mentions: &[Mention],
    generated_at: &str,
    lang: Lang,
) -> ExtractDoc<'a> {
    let mut tables = Ordered::default();
    for (ti, t) in map.tables.iter().enumerate() {
        let found = &b.tables[ti];
        if found.is_empty() {
            continue;
        }
        let Some(ts) = schema.table(&t.name) else {
            continue;
        };
        let withheld: Vec<&str> = t
            .columns
            .iter()
            .filter(|c| !c.extract)
            .map(|c| c.name.as_str())
            .collect();
        let (pick, columns): (Vec<usize>, Vec<String>) = ts
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !withheld.contains(&c.name.as_str()))
            .map(|(i, c)| (i, c.name.clone()))
            .unzip();
        let source = match &found.linked {
            Some(linked) if found.rows.is_empty() => Source::Store { store, ts, linked },
            _ => {
                let mut ordered: Vec<&Row> = found.rows.iter().collect();
                ordered.sort_by(|a, b| crate::value::key_cmp(&a.key, &b.key));
                Source::Held(ordered)
            }
        };
        let shown: Vec<&str> = columns.iter().map(String::as_str).collect();
        let withheld_columns = t
            .columns
            .iter()
            .filter(|c| !c.extract)
            .map(|c| Withheld {
                column: c.name.clone(),
                category: c.category.clone(),
                label: labels::column(map, t, &c.name, lang).unwrap_or_else(|| c.name.clone()),
                category_label: c
                    .category
                    .as_ref()
                    .map(|cat| labels::category(map, cat, lang)),
            })
            .collect();
        let mut column_labels = Ordered::default();
        let mut column_descriptions = Ordered::default();
        for c in &shown {
            if let Some(l) = labels::column(map, t, c, lang) {
                column_labels.insert(c.to_string(), l);
            }
            if let Some(d) = labels::column_description(t, c, lang) {
                column_descriptions.insert(c.to_string(), d);
            }
        }
        let mut category_labels = Ordered::default();
        for c in t.categories() {
            category_labels.insert(c.to_string(), labels::category(map, c, lang));
        }
        let entry = TableEntry {
            purpose: t.purpose.clone(),
            legal_basis: t.legal_basis.clone(),
            source: t.source.clone(),
            recipients: t.recipients.clone(),
            transfers: t.transfers.clone(),
            retention: retention_words(map, t, lang),
            categories: t.categories().into_iter().map(str::to_string).collect(),
            withheld_columns,
            label: labels::table(t, lang),
            description: t.description.as_ref().map(|d| d.get(lang).to_string()),
            legal_basis_label: labels::legal_basis(map, &t.legal_basis, lang),
            category_labels,
            column_labels,
            column_descriptions,
            rows: TableRows {
                columns,
                pick,
                count: found.len() as u64,
                source,
                failure: RefCell::new(None),
            },
        };
        tables.insert(t.name.clone(), entry);
    }
    let mut ment: Ordered<MentionEntry> = Ordered::default();
    let mut mentions: Vec<&Mention> = mentions.iter().collect();
    mentions.sort_by(|a, b| {
        (a.table, &a.column)
            .cmp(&(b.table, &b.column))
            .then_with(|| crate::value::key_cmp(&a.key, &b.key))
    });
    for m in mentions {
        let t = &map.tables[m.table];
        let Some(ts) = schema.table(&t.name) else {
            continue;
        };
        let entry_key = if t.columns.iter().filter(|c| c.scan).count() > 1 {
            format!("{}.{}", t.name, m.column)
        } else {
            t.name.clone()
        };
        let mut key: Vec<(String, Value)> = Vec::new();
        for (k, v) in ts.pk.iter().zip(&m.key) {
            if !key.iter().any(|(have, _)| have == k) {
                key.push((k.clone(), v.clone()));
            }
        }
        let row = MentionRow {
            key,
            excerpts: crate::excerpt::excerpts(&m.text, &m.ranges),
        };
        if ment.get(&entry_key).is_none() {
            ment.insert(
                entry_key.clone(),
                MentionEntry {
                    column: m.column.clone(),
                    label: labels::table(t, lang),
                    column_label: labels::column(map, t, &m.column, lang)
                        .unwrap_or_else(|| m.column.clone()),
                    rows: Vec::new(),
                },
            );
        }
        if let Some((_, e)) = ment.0.iter_mut().find(|(k, _)| *k == entry_key) {
            e.rows.push(row);
        }
    }
    let mut identifier_labels = Ordered::default();
    for k in &b.identifiers {
        identifier_labels.insert(k.id.name.clone(), labels::identifier(map, &k.id.name, lang));
    }
    ExtractDoc {
        schema: "dsr.extract/1",
        generated_at: generated_at.to_string(),
        controller: Controller {
            name: map.controller.name.clone(),
            contact: map.controller.contact.clone(),
            authority: map.controller.authority.clone(),
        },
        subject: Subject {
            identifiers: b.identifiers.iter().map(Identifier::of).collect(),
        },
        identifier_labels,
        language: lang.code(),
        timezone: map.timezone_name.clone(),
        tables,
        mentions: ment,
        rights: rights(map, lang),
        requests: None,
    }
}

/// An extract-like document for the writers: a subject's extract or
/// portability export.
#[derive(Clone, Copy)]
pub enum Doc<'d> {
    Extract(&'d ExtractDoc<'d>),
    Export(&'d ExportDoc<'d, 'd>),
}

impl<'d> Doc<'d> {
    /// The document's tables, in order.
    pub fn tables(&self) -> Vec<(&'d str, &'d TableEntry<'d>)> {
        match *self {
            Doc::Extract(d) => d.tables.iter().map(|(k, t)| (k.as_str(), t)).collect(),
            Doc::Export(d) => d.tables.iter().map(|(k, t)| (k.as_str(), *t)).collect(),
        }
    }

    pub fn mentions(&self) -> Option<&'d Ordered<MentionEntry>> {
        match *self {
            Doc::Extract(d) => Some(&d.mentions),
            Doc::Export(_) => None,
        }
    }

    pub fn requests(&self) -> Option<&'d [RequestEntry]> {
        match *self {
            Doc::Extract(d) => d.requests.as_deref(),
            Doc::Export(_) => None,
        }
    }

    pub fn generated_at(&self) -> &'d str {
        match *self {
            Doc::Extract(d) => &d.generated_at,
            Doc::Export(d) => d.generated_at,
        }
    }

    /// The store failure that stopped writing the document, if one did.
    pub fn take_failure(&self) -> Option<Error> {
        match *self {
            Doc::Extract(d) => d.take_failure(),
            Doc::Export(d) => d.take_failure(),
        }
    }
}

impl Serialize for Doc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Doc::Extract(d) => d.serialize(s),
            Doc::Export(d) => d.serialize(s),
        }
    }
}

/// An empty vector of references of another lifetime, in the same
/// allocation (the standard library collects a `vec::IntoIter` in place).
fn recycle<'b>(mut v: Vec<&Value>) -> Vec<&'b Value> {
    v.clear();
    // `filter_map`, not `filter`: the element type changes (its lifetime).
    #[allow(clippy::unnecessary_filter_map)]
    v.into_iter().filter_map(|_| None).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The map (`tables` after a fixed controller and an `email`
    /// identifier) over `dir`'s t.db, the store opened read-only, its
    /// schema, and the subject email:anna@example.se.
    fn tenant(
        dir: &std::path::Path,
        tables: &str,
    ) -> (
        crate::map::DataMap,
        crate::store::Store,
        crate::store::schema::Schema,
        Vec<crate::graph::SubjectId>,
    ) {
        let (map, store, schema) = crate::graph::test_tenant(dir, tables);
        let today = jiff::civil::date(2026, 11, 22);
        let ids = crate::graph::parse_subjects(&map, &["email:anna@example.se".into()], today)
            .expect("ids");
        (map, store, schema, ids)
    }

    /// A leaf table (order lines: nothing links from it, no identifiers,
    /// no free text) is counted, not held, by `resolve_copy`; the document
    /// written from it is byte for byte the one written from every row
    /// held, rows in key order (text by code point) either way.
    #[test]
    fn streamed_rows_give_the_document_of_held_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("t.db");
        let conn = rusqlite::Connection::open(&db).expect("db");
        conn.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, placed TEXT);
             CREATE INDEX orders_customer ON orders (customer_id);
             CREATE TABLE lines (order_id INTEGER, item TEXT, qty REAL, PRIMARY KEY (order_id, item));
             INSERT INTO customers VALUES (1, 'anna@example.se'), (2, 'bo@example.se');
             INSERT INTO orders VALUES (10, 1, '2026-01-01'), (11, 1, '2026-02-01'), (12, 2, '2026-03-01');
             INSERT INTO lines VALUES (11, 'b', 1.5), (10, 'é', 2), (10, 'Z', 3), (10, '_', NULL), (12, 'x', 1), (11, 'a', 0.1);",
        )
        .expect("schema");
        drop(conn);
        let (map, store, schema, ids) = tenant(
            dir.path(),
            "[tables.customers]\nsubjects = true\npurpose = \"P\"\nlegal_basis = \"contract\"\nidentify = { email = \"email\" }\non_erase = \"delete\"\n\
             [tables.orders]\npurpose = \"P\"\nlegal_basis = \"contract\"\nlink = { to = \"customers\", on = { customer_id = \"id\" } }\non_erase = \"delete\"\n\
             [tables.lines]\npurpose = \"P\"\nlegal_basis = \"contract\"\nlink = { to = \"orders\", on = { order_id = \"id\" } }\non_erase = \"delete\"\n",
        );
        let held = crate::graph::resolve(&store, &schema, &map, &ids).expect("resolve");
        let copy = crate::graph::resolve_copy(&store, &schema, &map, &ids).expect("copy");
        let li = map.table_index("lines").expect("lines");
        assert_eq!(held.tables[li].rows.len(), 5);
        assert!(
            copy.tables[li].rows.is_empty(),
            "the leaf's rows are not held"
        );
        assert_eq!(copy.tables[li].linked.as_ref().map(|l| l.count), Some(5));
        assert_eq!(copy.total(), held.total());
        let oi = map.table_index("orders").expect("orders");
        assert_eq!(copy.tables[oi].rows.len(), 2, "linked from: held");
        let at = "2026-11-22T10:00:00Z";
        let write = |b: &Belonging| {
            let doc = extract_doc(&store, &map, &schema, b, &[], at, Lang::En);
            assert_eq!(
                doc.tables.get("lines").map(|t| t.rows.streamed()),
                Some(std::ptr::eq(b, &copy))
            );
            let mut out = Vec::new();
            crate::writers::write_json(&mut out, &Doc::Extract(&doc)).expect("json");
            String::from_utf8(out).expect("utf8")
        };
        let (a, b) = (write(&held), write(&copy));
        assert_eq!(a, b);
        let doc: serde_json::Value = serde_json::from_str(&b).expect("json");
        let items: Vec<&str> = doc["tables"]["lines"]["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["item"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(items, ["Z", "_", "é", "a", "b"]);
    }

    /// Rows written between the count and the read: the copy is refused,
    /// not released with counts that are not its rows'.
    #[test]
    fn rows_that_change_between_count_and_read_fail_the_copy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("t.db");
        let conn = rusqlite::Connection::open(&db).expect("db");
        conn.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT);
             CREATE TABLE readings (id INTEGER PRIMARY KEY, customer_id INTEGER, kwh REAL);
             CREATE INDEX readings_customer ON readings (customer_id);
             INSERT INTO customers VALUES (1, 'anna@example.se');
             INSERT INTO readings VALUES (1, 1, 1.0), (2, 1, 2.0);",
        )
        .expect("schema");
        let (map, store, schema, ids) = tenant(
            dir.path(),
            "[tables.customers]\nsubjects = true\npurpose = \"P\"\nlegal_basis = \"contract\"\nidentify = { email = \"email\" }\non_erase = \"delete\"\n\
             [tables.readings]\npurpose = \"P\"\nlegal_basis = \"contract\"\nlink = { to = \"customers\", on = { customer_id = \"id\" } }\non_erase = \"delete\"\n",
        );
        let copy = crate::graph::resolve_copy(&store, &schema, &map, &ids).expect("copy");
        let ri = map.table_index("readings").expect("readings");
        assert_eq!(copy.tables[ri].linked.as_ref().map(|l| l.count), Some(2));
        let doc = extract_doc(
            &store,
            &map,
            &schema,
            &copy,
            &[],
            "2026-11-22T10:00:00Z",
            Lang::En,
        );
        let mut out = Vec::new();
        crate::writers::write_json(&mut out, &Doc::Extract(&doc)).expect("as counted");
        // The application adds a reading after the subject was resolved.
        conn.execute("INSERT INTO readings VALUES (3, 1, 3.0)", [])
            .expect("insert");
        let rows = &doc.tables.get("readings").expect("readings").rows;
        let e = rows.each(|_| Ok(())).expect_err("a changed table");
        assert_eq!(
            e.to_string(),
            "the rows of readings changed while they were copied (3 read, 2 counted moments before: the application wrote them meanwhile); nothing was released; run the command again"
        );
    }
}
