//! The Art. 15(1)(a)–(h) and 15(2) information of an extract, laid out for
//! people in Swedish or English: the first sheet of an XLSX extract, the
//! `_about_your_data.csv` / `_om_dina_uppgifter.csv` file of a CSV extract
//! and the opening sections of the HTML page. Everything comes from the
//! `dsr.extract/1` document.

use crate::labels::show::{Present, Shown};
use crate::labels::{self, Lang};
use crate::map::DataMap;
use crate::report::ExtractDoc;

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
    pub mentions_title: &'static str,
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
    pub excerpt: &'static str,
    pub summary: &'static str,
    pub summary_text: &'static str,
    pub complain: &'static str,
    pub complain_text: &'static str,
    pub data_text: &'static str,
    pub row: &'static str,
    pub column_name: &'static str,
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
    generated_at: "Extract made",
    identifiers: "You were identified by",
    found_in: "found in",
    times: "Times",
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
    mentions_title: "Mentions",
    mentions_text: "Places where you are named in text about other people. You get the passage that names you; other people's email addresses, phone numbers and personal identity numbers in it are masked (***), and the rest of their text is not shown.",
    requests: "Your requests",
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
    excerpt: "Excerpt",
    summary: "In short",
    summary_text: "What we hold about you, why, for how long and who receives it, for each register. Your data follow further down.",
    complain: "How to complain",
    complain_text: "If you think we handle your data wrongly, tell us first; you may also complain to the supervisory authority:",
    data_text: "Everything we hold about you, register by register.",
    row: "Entry",
    column_name: "column",
};

const SV: Labels = Labels {
    title: "Dina personuppgifter",
    about: "Om dina uppgifter",
    about_file: "_om_dina_uppgifter.csv",
    controller: "Personuppgiftsansvarig",
    contact: "Kontakt",
    authority: "Tillsynsmyndighet (art. 15.1 f)",
    generated_at: "Utdraget gjort",
    identifiers: "Du identifierades genom",
    found_in: "hittad i",
    times: "Tider",
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
    mentions_title: "Omnämnanden",
    mentions_text: "Ställen där du nämns i text om andra personer. Du får det stycke som nämner dig; andra personers e-postadresser, telefonnummer och personnummer i det är maskerade (***), och resten av deras text visas inte.",
    requests: "Dina begäranden",
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
    excerpt: "Utdrag",
    summary: "I korthet",
    summary_text: "Vad vi har om dig, varför, hur länge och vem som får uppgifterna, för varje register. Dina uppgifter följer längre ned.",
    complain: "Så klagar du",
    complain_text: "Om du tycker att vi hanterar dina uppgifter fel, hör av dig till oss först; du kan också klaga hos tillsynsmyndigheten:",
    data_text: "Allt vi har om dig, register för register.",
    row: "Post",
    column_name: "kolumn",
};

/// The fields of a request in the register, for people.
pub fn request_field(name: &str, lang: Lang) -> Option<&'static str> {
    let (sv, en) = match name {
        "id" => ("Ärendenummer", "Reference"),
        "kind" => ("Slag av begäran", "Kind of request"),
        "received" => ("Mottagen", "Received"),
        "due" => ("Ska besvaras senast", "To be answered by"),
        "status" => ("Läge", "Status"),
        "extended" => ("Tiden förlängd", "Time extended"),
        "extend_reason" => ("Skäl för förlängningen", "Reason for the extension"),
        "channel" => ("Kom in via", "Received through"),
        "note" => ("Anteckning", "Note"),
        "closed_at" => ("Avslutad", "Closed"),
        "close_reason" => ("Skäl vid avslut", "Reason given when closed"),
        _ => return None,
    };
    Some(if lang == Lang::Sv { sv } else { en })
}

/// The codes a request's `kind` and `status` hold, for people.
pub fn request_value(field: &str, code: &str, lang: Lang) -> Option<&'static str> {
    let (sv, en) = match (field, code) {
        ("kind", "access") => (
            "Tillgång till uppgifterna (art. 15)",
            "Access to the data (Art. 15)",
        ),
        ("kind", "erasure") => ("Radering (art. 17)", "Erasure (Art. 17)"),
        ("kind", "portability") => ("Dataportabilitet (art. 20)", "Data portability (Art. 20)"),
        ("kind", "rectification") => ("Rättelse (art. 16)", "Rectification (Art. 16)"),
        ("kind", "restriction") => ("Begränsning (art. 18)", "Restriction (Art. 18)"),
        ("kind", "objection") => ("Invändning (art. 21)", "Objection (Art. 21)"),
        ("status", "received") => ("Mottagen", "Received"),
        ("status", "in_progress") => ("Behandlas", "In progress"),
        ("status", "done") => ("Klar", "Done"),
        ("status", "refused") => ("Avslagen", "Refused"),
        ("status", "withdrawn") => ("Återkallad", "Withdrawn"),
        _ => return None,
    };
    Some(if lang == Lang::Sv { sv } else { en })
}

/// The information of an extract, ready to lay out.
pub struct Info {
    pub title: String,
    /// Controller, contact, authority, time, identifiers, times.
    pub general: Vec<(String, Shown)>,
    /// Column titles of the per-table information (first: the table; last:
    /// the number of rows).
    pub table_labels: Vec<String>,
    /// One row per table, in `table_labels` order but for the last, and its
    /// number of rows.
    pub tables: Vec<(Vec<String>, u64)>,
    /// The rights text.
    pub rights: (String, String),
    /// The supervisory authority, for "how to complain".
    pub authority: String,
}

fn list(items: Vec<String>, none: &str) -> String {
    if items.is_empty() {
        none.to_string()
    } else {
        items.join("; ")
    }
}

/// Lays out the information of a `dsr.extract/1` document in the labels
/// of the map.
pub fn from_doc(doc: &ExtractDoc, map: &DataMap, p: &Present) -> Info {
    let lang = p.lang;
    let l = labels(lang);
    let ids: Vec<String> = doc
        .subject
        .identifiers
        .iter()
        .map(|i| {
            let kind = &i.kind;
            let label = labels::identifier(map, kind, lang);
            let is_pnr = map
                .identifier(kind)
                .is_some_and(|k| k.kind == crate::ident::Kind::Personnummer);
            let value = if is_pnr {
                labels::show::pnr(&i.value)
            } else {
                i.value.clone()
            };
            match &i.found_in {
                Some(t) => format!(
                    "{label}: {value} ({} {})",
                    l.found_in,
                    labels::table_named(map, t, lang)
                ),
                None => format!("{label}: {value}"),
            }
        })
        .collect();
    let made = match crate::time::parse_text(&doc.generated_at) {
        Some(ts) => p.value(
            &crate::value::Value::Text(crate::time::format_ts(ts)),
            labels::show::Shape::Plain,
        ),
        None => Shown::Text(doc.generated_at.clone()),
    };
    let c = &doc.controller;
    let general = vec![
        (l.controller.to_string(), Shown::Text(c.name.clone())),
        (l.contact.to_string(), Shown::Text(c.contact.clone())),
        (l.authority.to_string(), Shown::Text(c.authority.clone())),
        (l.generated_at.to_string(), made),
        (l.identifiers.to_string(), Shown::Text(ids.join("; "))),
        (l.times.to_string(), Shown::Text(p.zone_words())),
    ];
    let any_transfers = doc.tables.iter().any(|(_, t)| !t.transfers.is_empty());
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
    let tables = doc
        .tables
        .iter()
        .map(|(name, t)| {
            let cats = t
                .categories
                .iter()
                .map(|c| labels::category(map, c, lang))
                .collect();
            // The column's own label (the document always gives one: the
            // map's, else its name).
            let withheld = t.withheld_columns.iter().map(|w| w.label.clone()).collect();
            let mut row = vec![
                labels::table_named(map, name, lang),
                t.purpose.clone(),
                labels::legal_basis(map, &t.legal_basis, lang),
                list(cats, l.none),
                list(t.recipients.clone(), l.none),
                t.retention.clone(),
                t.source
                    .clone()
                    .unwrap_or_else(|| l.unknown_source.to_string()),
            ];
            if any_transfers {
                row.push(list(t.transfers.clone(), l.none));
            }
            row.push(list(withheld, l.none));
            (row, t.rows.count)
        })
        .collect();
    Info {
        title: l.title.to_string(),
        general,
        table_labels: table_labels.into_iter().map(String::from).collect(),
        tables,
        rights: (l.rights.to_string(), doc.rights.clone()),
        authority: c.authority.clone(),
    }
}
