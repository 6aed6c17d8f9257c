//! The Art. 15 report: the copy of the data plus the information of
//! Art. 15(1)(a)–(h) and 15(2), as one JSON document (`dsr.extract/1`) that
//! every extract format is written from.

use crate::graph::{Belonging, Known, Mention};
use crate::labels;
use crate::map::{DataMap, Table};
use crate::store::schema::Schema;
use serde_json::{json, Map, Value as Json};

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

/// One identifier of `subject.identifiers`: its kind (the map's name for
/// it), its normalised value, whether it was given, and if not, the table
/// whose row held it.
fn identifier_json(k: &Known) -> Json {
    let mut o = Map::new();
    o.insert("kind".into(), json!(k.id.name));
    o.insert("value".into(), json!(k.id.key));
    o.insert("given".into(), json!(k.found_in.is_none()));
    if let Some(t) = &k.found_in {
        o.insert("found_in".into(), json!(t));
    }
    Json::Object(o)
}

/// The labels a table adds to its names (additive fields of
/// `dsr.extract/1`): its own, its legal basis's, its categories' and its
/// columns'.
fn table_labels(map: &DataMap, t: &Table, columns: &[&str], lang: Lang) -> Map<String, Json> {
    let mut o = Map::new();
    o.insert("label".into(), json!(labels::table(t, lang)));
    if let Some(d) = &t.description {
        o.insert("description".into(), json!(d.get(lang)));
    }
    o.insert(
        "legal_basis_label".into(),
        json!(labels::legal_basis(map, &t.legal_basis, lang)),
    );
    let cats: Map<String, Json> = t
        .categories()
        .into_iter()
        .map(|c| (c.to_string(), json!(labels::category(map, c, lang))))
        .collect();
    o.insert("category_labels".into(), Json::Object(cats));
    let mut cols = Map::new();
    let mut descs = Map::new();
    for c in columns {
        if let Some(l) = labels::column(map, t, c, lang) {
            cols.insert(c.to_string(), json!(l));
        }
        if let Some(d) = labels::column_description(t, c, lang) {
            descs.insert(c.to_string(), json!(d));
        }
    }
    o.insert("column_labels".into(), Json::Object(cols));
    if !descs.is_empty() {
        o.insert("column_descriptions".into(), Json::Object(descs));
    }
    o
}

/// Builds the `dsr.extract/1` document.
pub fn extract_doc(
    map: &DataMap,
    schema: &Schema,
    b: &Belonging,
    mentions: &[Mention],
    generated_at: &str,
    lang: Lang,
) -> Json {
    let mut tables = Map::new();
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
        let mut ordered: Vec<&crate::store::Row> = found.rows.iter().collect();
        ordered.sort_by(|a, b| crate::value::key_cmp(&a.key, &b.key));
        let rows: Vec<Json> = ordered
            .into_iter()
            .map(|r| {
                let mut o = Map::new();
                for (cs, v) in ts.columns.iter().zip(&r.values) {
                    if !withheld.contains(&cs.name.as_str()) {
                        o.insert(cs.name.clone(), v.to_json());
                    }
                }
                Json::Object(o)
            })
            .collect();
        let shown: Vec<&str> = ts
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|c| !withheld.contains(c))
            .collect();
        let mut entry = match json!({
            "purpose": t.purpose,
            "legal_basis": t.legal_basis,
            "source": t.source,
            "recipients": t.recipients,
            "transfers": t.transfers,
            "retention": retention_words(map, t, lang),
            "categories": t.categories(),
            "withheld_columns": t.columns.iter().filter(|c| !c.extract)
                .map(|c| {
                    let mut w = json!({ "column": c.name, "category": c.category,
                        "label": labels::column(map, t, &c.name, lang).unwrap_or_else(|| c.name.clone()) });
                    if let Some(cat) = &c.category {
                        w["category_label"] = json!(labels::category(map, cat, lang));
                    }
                    w
                })
                .collect::<Vec<_>>(),
        }) {
            Json::Object(o) => o,
            _ => Map::new(),
        };
        entry.extend(table_labels(map, t, &shown, lang));
        entry.insert("rows".into(), Json::Array(rows));
        tables.insert(t.name.clone(), Json::Object(entry));
    }
    let mut ment = Map::new();
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
        // Art. 15(4): the key and the passages that name the subject, with
        // other people's identifiers masked; never the rest of the row.
        let mut key = Map::new();
        for (k, v) in ts.pk.iter().zip(&m.key) {
            key.insert(k.clone(), v.to_json());
        }
        let row = json!({
            "key": key,
            "excerpts": crate::excerpt::excerpts(&m.text, &m.ranges),
        });
        let e = ment.entry(entry_key).or_insert_with(|| {
            json!({
                "column": m.column,
                "label": labels::table(t, lang),
                "column_label": labels::column(map, t, &m.column, lang).unwrap_or_else(|| m.column.clone()),
                "rows": [],
            })
        });
        if let Some(rows) = e.get_mut("rows").and_then(Json::as_array_mut) {
            rows.push(row);
        }
    }
    json!({
        "schema": "dsr.extract/1",
        "generated_at": generated_at,
        "controller": {
            "name": map.controller.name,
            "contact": map.controller.contact,
            "authority": map.controller.authority,
        },
        "subject": {
            "identifiers": b.identifiers.iter().map(identifier_json).collect::<Vec<_>>(),
        },
        "identifier_labels": b.identifiers.iter()
            .map(|k| (k.id.name.clone(), json!(labels::identifier(map, &k.id.name, lang))))
            .collect::<Map<String, Json>>(),
        "language": lang.code(),
        "timezone": map.timezone_name,
        "tables": tables,
        "mentions": ment,
        "rights": rights(map, lang),
    })
}
