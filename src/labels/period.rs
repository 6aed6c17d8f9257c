//! Storage periods in words (Art. 15(1)(d)), true to what dsr does: the
//! period from `retention` and `hold`, in the labels of the columns they
//! count from, what happens when it ends, and what an erasure request does
//! (a `keep` table says it is not erased on request, and why).

use super::{category, column, Lang};
use crate::map::{DataMap, OnErase, Rule, Strategy, Table};

/// A label inside a sentence: first letter in lower case, unless the word
/// is written in capitals ("IP-adress" stays, "Fakturadatum" becomes
/// "fakturadatum").
fn inline(s: &str) -> String {
    let mut c = s.chars();
    match (c.next(), c.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            a.to_lowercase().chain(s.chars().skip(1)).collect()
        }
        _ => s.to_string(),
    }
}

/// "2 år", "7 years".
fn amount(r: &Rule, lang: Lang) -> String {
    r.keep.describe(lang == Lang::Sv)
}

/// The column a period counts from, by its label.
fn after(map: &DataMap, t: &Table, r: &Rule, lang: Lang) -> String {
    column(map, t, &r.after, lang).map_or_else(|| r.after.clone(), |l| inline(&l))
}

/// "i 2 år efter …" / "till och med 31 december det år som infaller 7 år
/// efter …".
fn span(map: &DataMap, t: &Table, r: &Rule, lang: Lang) -> String {
    let (d, x) = (amount(r, lang), after(map, t, r, lang));
    match (r.year_end, lang) {
        (false, Lang::Sv) => format!("i {d} efter {x}"),
        (false, Lang::En) => format!("for {d} after {x}"),
        (true, Lang::Sv) => format!("till och med 31 december det år som infaller {d} efter {x}"),
        (true, Lang::En) => format!("until 31 December of the year that falls {d} after {x}"),
    }
}

/// What anonymizing removes, per category: the labels of the categories
/// (or columns) that have an erase strategy; the rest stays.
fn removed(map: &DataMap, t: &Table, lang: Lang) -> String {
    let mut out: Vec<String> = Vec::new();
    for c in t
        .columns
        .iter()
        .filter(|c| !matches!(c.erase, Strategy::Keep))
    {
        let w = match &c.category {
            Some(cat) if c.label.is_none() => category(map, cat, lang),
            _ => column(map, t, &c.name, lang).unwrap_or_else(|| c.name.clone()),
        };
        let w = inline(&w);
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out.join(", ")
}

fn action_words(action: OnErase, lang: Lang) -> &'static str {
    match (action, lang) {
        (OnErase::Delete, Lang::Sv) => "raderas",
        (OnErase::Delete, Lang::En) => "erased",
        (OnErase::Anonymize, Lang::Sv) => "anonymiseras",
        (OnErase::Anonymize, Lang::En) => "anonymized",
        (OnErase::Keep, Lang::Sv) => "sparas ändå",
        (OnErase::Keep, Lang::En) => "kept all the same",
    }
}

/// The storage period of a table, in sentences.
pub fn words(map: &DataMap, t: &Table, lang: Lang) -> String {
    let mut s: Vec<String> = Vec::new();
    if let Some(r) = &t.retention {
        let action = r.action.unwrap_or(t.on_erase);
        let then = action_words(action, lang);
        s.push(match lang {
            Lang::Sv => format!("Sparas {}, och {then} sedan.", span(map, t, r, lang)),
            Lang::En => format!("Kept {}, then {then}.", span(map, t, r, lang)),
        });
    }
    if let Some(h) = &t.hold {
        let reason = h.reason.as_deref().unwrap_or("");
        let why = if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        };
        s.push(match lang {
            Lang::Sv => format!(
                "Sparas minst {}{why} och raderas inte på begäran före dess.",
                span(map, t, h, lang)
            ),
            Lang::En => format!(
                "Kept at least {}{why}, and not erased on request before then.",
                span(map, t, h, lang)
            ),
        });
    }
    if t.retention.is_none() && t.hold.is_none() {
        s.push(
            match lang {
                Lang::Sv => "Sparas så länge ändamålet kräver det.",
                Lang::En => "Kept as long as the purpose requires.",
            }
            .into(),
        );
    }
    let on_request = action_words(t.on_erase, lang);
    s.push(match (t.on_erase, t.hold.is_some(), lang) {
        (OnErase::Keep, _, Lang::Sv) => match &t.keep_reason {
            Some(r) => format!("Raderas inte om du begär radering: {}", r.get(lang)),
            None => "Raderas inte om du begär radering.".into(),
        },
        (OnErase::Keep, _, Lang::En) => match &t.keep_reason {
            Some(r) => format!("Not erased if you ask for erasure: {}", r.get(lang)),
            None => "Not erased if you ask for erasure.".into(),
        },
        (_, true, Lang::Sv) => {
            format!("Begär du radering {on_request} uppgifterna när den tiden har gått ut.")
        }
        (_, true, Lang::En) => {
            format!("If you ask for erasure, they are {on_request} when that period has ended.")
        }
        (_, false, Lang::Sv) if t.retention.is_some() => {
            format!("Begär du radering {on_request} de tidigare.")
        }
        (_, false, Lang::En) if t.retention.is_some() => {
            format!("If you ask for erasure, they are {on_request} earlier.")
        }
        (_, false, Lang::Sv) => format!("Begär du radering {on_request} de."),
        (_, false, Lang::En) => format!("If you ask for erasure, they are {on_request}."),
    });
    let anonymizes = t.on_erase == OnErase::Anonymize
        || t.retention.as_ref().and_then(|r| r.action) == Some(OnErase::Anonymize);
    let what = removed(map, t, lang);
    if anonymizes && !what.is_empty() {
        s.push(match lang {
            Lang::Sv => {
                format!("Vid anonymisering tas {what} bort; resten sparas utan koppling till dig.")
            }
            Lang::En => {
                format!("Anonymizing removes {what}; the rest is kept without a link to you.")
            }
        });
    }
    let joined = s.join(" ");
    // A reason or label that ends in a full stop gives none twice.
    joined.replace("..", ".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn map(src: &str) -> DataMap {
        crate::map::parse(Path::new("m.toml"), src, String::new()).expect("map")
    }

    const HEAD: &str =
        "version = 1\n[controller]\nname = \"a\"\ncontact = \"b\"\nauthority = \"c\"\n";

    #[test]
    fn periods_read_as_sentences_in_the_columns_labels() {
        let m = map(&format!(
            "{HEAD}[tables.customers]\npurpose = \"p\"\nlegal_basis = \"contract\"\non_erase = \"anonymize\"\n\
             retention = {{ after = \"closed_at\", keep = \"2y\" }}\n\
             [tables.customers.columns]\nname = {{ category = \"identity.name\", erase = \"redact\" }}\n\
             email = {{ category = \"contact.email\", erase = \"hash\" }}\n\
             closed_at = {{ label = {{ sv = \"Kundförhållandet avslutades\", en = \"The customer relationship ended\" }} }}\n\
             [tables.invoices]\npurpose = \"p\"\nlegal_basis = \"legal_obligation\"\non_erase = \"delete\"\n\
             hold = {{ after = \"issued\", keep = \"7y\", round = \"year_end\", reason = \"bokföringslagen\" }}\n\
             [tables.invoices.columns]\nissued = {{ label = {{ sv = \"Fakturadatum\", en = \"The invoice date\" }} }}\n\
             [tables.log]\npurpose = \"p\"\nlegal_basis = \"legitimate_interests\"\non_erase = \"keep\"\n\
             keep_reason = {{ sv = \"loggen behövs för att utreda intrång.\", en = \"the log is needed to investigate intrusions.\" }}\n"
        ));
        let w = |t: usize, l| words(&m, &m.tables[t], l);
        assert_eq!(
            w(0, Lang::Sv),
            "Sparas i 2 år efter kundförhållandet avslutades, och anonymiseras sedan. Begär du radering anonymiseras de tidigare. Vid anonymisering tas namn, e-postadress bort; resten sparas utan koppling till dig."
        );
        assert_eq!(
            w(0, Lang::En),
            "Kept for 2 years after the customer relationship ended, then anonymized. If you ask for erasure, they are anonymized earlier. Anonymizing removes name, email address; the rest is kept without a link to you."
        );
        assert_eq!(
            w(1, Lang::Sv),
            "Sparas minst till och med 31 december det år som infaller 7 år efter fakturadatum (bokföringslagen) och raderas inte på begäran före dess. Begär du radering raderas uppgifterna när den tiden har gått ut."
        );
        assert_eq!(
            w(1, Lang::En),
            "Kept at least until 31 December of the year that falls 7 years after the invoice date (bokföringslagen), and not erased on request before then. If you ask for erasure, they are erased when that period has ended."
        );
        assert_eq!(
            w(2, Lang::Sv),
            "Sparas så länge ändamålet kräver det. Raderas inte om du begär radering: loggen behövs för att utreda intrång."
        );
        assert_eq!(
            w(2, Lang::En),
            "Kept as long as the purpose requires. Not erased if you ask for erasure: the log is needed to investigate intrusions."
        );
        assert_eq!(inline("IP-adress"), "IP-adress");
    }
}
