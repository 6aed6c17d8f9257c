//! The Art. 15(1)(a)–(h) and 15(2) information of an extract, laid out for
//! people in Swedish or English: the first sheet of an XLSX extract, the
//! `_about_your_data.csv` / `_om_dina_uppgifter.csv` file of a CSV extract
//! and the opening sections of the HTML page. Everything comes from the
//! `dsr.extract/1` document.

use crate::report::Lang;
use serde_json::Value as Json;

/// Words of the outputs in one language.
pub struct Labels {
    pub title: &'static str,
    pub about: &'static str,
    pub about_file: &'static str,
    pub controller: &'static str,
    pub contact: &'static str,
    pub authority: &'static str,
    pub generated_at: &'static str,
    pub identifiers: &'static str,
    pub found_in: &'static str,
    pub times: &'static str,
    pub times_text: &'static str,
    pub table: &'static str,
    pub purpose: &'static str,
    pub legal_basis: &'static str,
    pub categories: &'static str,
    pub recipients: &'static str,
    pub retention: &'static str,
    pub source: &'static str,
    pub transfers: &'static str,
    pub withheld: &'static str,
    pub rows: &'static str,
    pub rights: &'static str,
    pub your_data: &'static str,
    pub mentions: &'static str,
    pub mentions_text: &'static str,
    /// The subject's requests in the register, as a table's name.
    pub requests: &'static str,
    pub unknown_source: &'static str,
    pub none: &'static str,
    pub notes: &'static str,
    pub note_sheet: &'static str,
    pub note_cell: &'static str,
    pub note_text: &'static str,
    pub cut: &'static str,
    pub continued: &'static str,
    pub item: &'static str,
    pub text: &'static str,
}

pub fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::En => &EN,
        Lang::Sv => &SV,
    }
}

const EN: Labels = Labels {
    title: "Your personal data",
    about: "About your data",
    about_file: "_about_your_data.csv",
    controller: "Controller",
    contact: "Contact",
    authority: "Supervisory authority (Art. 15(1)(f))",
    generated_at: "Extract made (UTC)",
    identifiers: "You were identified by",
    found_in: "found in",
    times: "Times",
    times_text: "Dates and times are given in UTC.",
    table: "Table",
    purpose: "Purpose (Art. 15(1)(a))",
    legal_basis: "Legal basis",
    categories: "Categories of data (b)",
    recipients: "Recipients (c)",
    retention: "Storage period (d)",
    source: "Source (g)",
    transfers: "Transfers outside the EU/EEA and safeguards (Art. 15(2))",
    withheld: "Held but not shown",
    rows: "Rows",
    rights: "Your rights (Art. 15(1)(e), (f), (h))",
    your_data: "Your data",
    mentions: "mentions",
    mentions_text: "Places where you are mentioned in text about others; only the passage's key and text are shown.",
    requests: "your requests",
    unknown_source: "not stated",
    none: "none",
    notes: "Notes",
    note_sheet: "Sheet",
    note_cell: "Cell",
    note_text: "Note",
    cut: "cut at Excel's limit of 32,767 characters",
    continued: "continued",
    item: "item",
    text: "text",
};

const SV: Labels = Labels {
    title: "Dina personuppgifter",
    about: "Om dina uppgifter",
    about_file: "_om_dina_uppgifter.csv",
    controller: "Personuppgiftsansvarig",
    contact: "Kontakt",
    authority: "Tillsynsmyndighet (art. 15.1 f)",
    generated_at: "Utdraget gjort (UTC)",
    identifiers: "Du identifierades genom",
    found_in: "hittad i",
    times: "Tider",
    times_text: "Datum och tider anges i UTC.",
    table: "Tabell",
    purpose: "Ändamål (art. 15.1 a)",
    legal_basis: "Rättslig grund",
    categories: "Kategorier av uppgifter (b)",
    recipients: "Mottagare (c)",
    retention: "Lagringstid (d)",
    source: "Källa (g)",
    transfers: "Överföring utanför EU/EES och skyddsåtgärder (art. 15.2)",
    withheld: "Sparas men visas inte",
    rows: "Rader",
    rights: "Dina rättigheter (art. 15.1 e, f, h)",
    your_data: "Dina uppgifter",
    mentions: "omnämnanden",
    mentions_text: "Ställen där du nämns i text om andra; bara nyckeln och texten visas.",
    requests: "dina begäranden",
    unknown_source: "ej angiven",
    none: "inga",
    notes: "Anmärkningar",
    note_sheet: "Blad",
    note_cell: "Cell",
    note_text: "Anmärkning",
    cut: "avkortad vid Excels gräns på 32 767 tecken",
    continued: "forts.",
    item: "uppgift",
    text: "text",
};

/// The information of an extract, ready to lay out.
pub struct Info {
    pub title: String,
    /// Controller, contact, authority, time, identifiers.
    pub general: Vec<(String, String)>,
    /// Column titles of the per-table information (first: the table).
    pub table_labels: Vec<String>,
    /// One row per table, in `table_labels` order.
    pub tables: Vec<Vec<String>>,
    /// The rights text.
    pub rights: (String, String),
}

fn list(v: &Json, none: &str) -> String {
    let items: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| match x {
            Json::String(s) => s.clone(),
            Json::Object(o) => {
                let col = o.get("column").and_then(Json::as_str).unwrap_or("");
                match o.get("category").and_then(Json::as_str) {
                    Some(c) => format!("{col} ({c})"),
                    None => col.to_string(),
                }
            }
            other => other.to_string(),
        })
        .collect();
    if items.is_empty() {
        none.to_string()
    } else {
        items.join("; ")
    }
}

/// Lays out the information of a `dsr.extract/1` document.
pub fn from_doc(doc: &Json, lang: Lang) -> Info {
    let l = labels(lang);
    let s = |v: &Json| v.as_str().unwrap_or("").to_string();
    let ids: Vec<String> = doc["subject"]["identifiers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| match i["found_in"].as_str() {
            Some(t) => format!("{}: {} ({} {t})", s(&i["kind"]), s(&i["value"]), l.found_in),
            None => format!("{}: {}", s(&i["kind"]), s(&i["value"])),
        })
        .collect();
    let general = vec![
        (l.controller.to_string(), s(&doc["controller"]["name"])),
        (l.contact.to_string(), s(&doc["controller"]["contact"])),
        (l.authority.to_string(), s(&doc["controller"]["authority"])),
        (l.generated_at.to_string(), s(&doc["generated_at"])),
        (l.identifiers.to_string(), ids.join("; ")),
        (l.times.to_string(), l.times_text.to_string()),
    ];
    let tables_json = doc["tables"].as_object();
    let any_transfers = tables_json
        .into_iter()
        .flatten()
        .any(|(_, t)| t["transfers"].as_array().is_some_and(|a| !a.is_empty()));
    let mut table_labels = vec![
        l.table,
        l.purpose,
        l.legal_basis,
        l.categories,
        l.recipients,
        l.retention,
        l.source,
    ];
    if any_transfers {
        table_labels.push(l.transfers);
    }
    table_labels.push(l.withheld);
    table_labels.push(l.rows);
    let tables = tables_json
        .into_iter()
        .flatten()
        .map(|(name, t)| {
            let mut row = vec![
                name.clone(),
                s(&t["purpose"]),
                s(&t["legal_basis"]),
                list(&t["categories"], l.none),
                list(&t["recipients"], l.none),
                s(&t["retention"]),
                t["source"].as_str().unwrap_or(l.unknown_source).to_string(),
            ];
            if any_transfers {
                row.push(list(&t["transfers"], l.none));
            }
            row.push(list(&t["withheld_columns"], l.none));
            row.push(t["rows"].as_array().map_or(0, Vec::len).to_string());
            row
        })
        .collect();
    Info {
        title: l.title.to_string(),
        general,
        table_labels: table_labels.into_iter().map(String::from).collect(),
        tables,
        rights: (l.rights.to_string(), s(&doc["rights"])),
    }
}
