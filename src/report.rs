//! The Art. 15 report: the copy of the data plus the information of
//! Art. 15(1)(a)–(h) and 15(2), as one JSON document (`dsr.extract/1`) that
//! every extract format is written from.

use crate::graph::{Belonging, Known, Mention};
use crate::map::{DataMap, Table};
use crate::store::schema::Schema;
use serde_json::{json, Map, Value as Json};

pub use crate::labels::Lang;

/// Storage period in words (Art. 15(1)(d)), from `retention` and `hold`.
pub fn retention_words(t: &Table, lang: Lang) -> String {
    let sv = lang == Lang::Sv;
    let mut parts = Vec::new();
    if let Some(r) = &t.retention {
        parts.push(r.describe(sv));
    }
    if let Some(h) = &t.hold {
        let reason = h.reason.as_deref().unwrap_or("");
        parts.push(if sv {
            format!("sparas minst {}: {reason}", h.describe(true))
        } else {
            format!("kept at least {}: {reason}", h.describe(false))
        });
    }
    if parts.is_empty() {
        return if sv {
            "Sparas så länge ändamålet kräver det och raderas på begäran".into()
        } else {
            "Kept as long as the purpose requires, and erased on request".into()
        };
    }
    parts.join("; ")
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
        tables.insert(
            t.name.clone(),
            json!({
                "purpose": t.purpose,
                "legal_basis": t.legal_basis,
                "source": t.source,
                "recipients": t.recipients,
                "transfers": t.transfers,
                "retention": retention_words(t, lang),
                "categories": t.categories(),
                "withheld_columns": t.columns.iter().filter(|c| !c.extract)
                    .map(|c| json!({ "column": c.name, "category": c.category }))
                    .collect::<Vec<_>>(),
                "rows": rows,
            }),
        );
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
        let mut row = Map::new();
        if !ts.pk.is_empty() {
            for (k, v) in ts.pk.iter().zip(&m.key) {
                row.insert(k.clone(), v.to_json());
            }
        }
        row.insert(m.column.clone(), Json::String(m.text.clone()));
        let e = ment
            .entry(entry_key)
            .or_insert_with(|| json!({ "column": m.column, "rows": [] }));
        if let Some(rows) = e.get_mut("rows").and_then(Json::as_array_mut) {
            rows.push(Json::Object(row));
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
        "tables": tables,
        "mentions": ment,
        "rights": rights(map, lang),
    })
}
