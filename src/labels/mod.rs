//! Words for people: the built-in Swedish and English wording of the legal
//! bases and of a vocabulary of common categories, the map's own labels and
//! overrides (`label`, `description`, `[labels]`), storage periods in words
//! ([`period`]) and values as a person reads them ([`show`]).
//!
//! People's outputs (html, xlsx, the csv info file) ask here for every name
//! they show, so that a code never reaches a person where a label exists.

mod builtin;
pub mod period;
pub mod show;

use crate::ident::Kind;
use crate::map::{Column, DataMap, Table};

pub use builtin::{CATEGORIES, LEGAL_BASES};

/// The language of an output meant for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Sv,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// A text in Swedish and English, as the map gives it: both, or one of
/// them (then used for both), or one text for both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub sv: String,
    pub en: String,
}

impl Text {
    pub fn new(sv: &str, en: &str) -> Text {
        Text {
            sv: sv.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Sv => &self.sv,
            Lang::En => &self.en,
        }
    }
}

/// The map's `[labels]`: its own words for categories, legal bases and
/// identifier kinds, over the built-in ones.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub categories: Vec<(String, Text)>,
    pub legal_bases: Vec<(String, Text)>,
    pub identifiers: Vec<(String, Text)>,
}

fn find<'a>(list: &'a [(String, Text)], code: &str) -> Option<&'a Text> {
    list.iter().find(|(c, _)| c == code).map(|(_, t)| t)
}

/// Whether a category has wording: the map's own, or the built-in vocabulary.
pub fn category_known(map: &DataMap, code: &str) -> bool {
    find(&map.labels.categories, code).is_some() || builtin::category(code).is_some()
}

/// The map's words for a code, else the built-in ones, else the code.
fn worded(own: &[(String, Text)], builtin: Option<(&str, &str)>, code: &str, lang: Lang) -> String {
    if let Some(t) = find(own, code) {
        return t.get(lang).to_string();
    }
    match (builtin, lang) {
        (Some((sv, _)), Lang::Sv) => sv.to_string(),
        (Some((_, en)), Lang::En) => en.to_string(),
        (None, _) => code.to_string(),
    }
}

/// A category as a person reads it; an unknown category as written.
pub fn category(map: &DataMap, code: &str, lang: Lang) -> String {
    worded(&map.labels.categories, builtin::category(code), code, lang)
}

/// A legal basis with its article: "Avtal (art. 6.1 b)".
pub fn legal_basis(map: &DataMap, code: &str, lang: Lang) -> String {
    worded(
        &map.labels.legal_bases,
        builtin::legal_basis(code),
        code,
        lang,
    )
}

/// A table's label, or its name when the map gives none.
pub fn table(t: &Table, lang: Lang) -> String {
    t.label
        .as_ref()
        .map_or_else(|| t.name.clone(), |l| l.get(lang).to_string())
}

/// A table's label by name (a name the map does not know is shown as it is).
pub fn table_named(map: &DataMap, name: &str, lang: Lang) -> String {
    map.table(name)
        .map_or_else(|| name.to_string(), |t| table(t, lang))
}

/// A column's label: the map's own, else for a column that is the only one
/// of its table with a known category, that category's label; else its
/// name. `None` when no label exists (the name is all there is).
pub fn column(map: &DataMap, t: &Table, name: &str, lang: Lang) -> Option<String> {
    let c: Option<&Column> = t.column(name);
    if let Some(l) = c.and_then(|c| c.label.as_ref()) {
        return Some(l.get(lang).to_string());
    }
    let cat = c.and_then(|c| c.category.as_deref())?;
    let alone = t
        .columns
        .iter()
        .filter(|x| x.category.as_deref() == Some(cat))
        .count()
        == 1;
    (alone && category_known(map, cat)).then(|| category(map, cat, lang))
}

/// A column's label or, lacking one, its name.
pub fn column_or_name(map: &DataMap, table_name: &str, name: &str, lang: Lang) -> String {
    map.table(table_name)
        .and_then(|t| column(map, t, name, lang))
        .unwrap_or_else(|| name.to_string())
}

/// A column's description, when the map gives one.
pub fn column_description(t: &Table, name: &str, lang: Lang) -> Option<String> {
    t.column(name)
        .and_then(|c| c.description.as_ref())
        .map(|d| d.get(lang).to_string())
}

/// An identifier kind as a person reads it: the map's `[labels.identifiers]`,
/// else the built-in word for its kind (a text kind: the label of the first
/// column that holds it), else its name.
pub fn identifier(map: &DataMap, name: &str, lang: Lang) -> String {
    if let Some(t) = find(&map.labels.identifiers, name) {
        return t.get(lang).to_string();
    }
    let Some(k) = map.identifier(name) else {
        return name.to_string();
    };
    let (sv, en) = match k.kind {
        Kind::Email => ("E-postadress", "Email address"),
        Kind::Personnummer => ("Personnummer", "Personal identity number"),
        Kind::Phone(_) => ("Telefonnummer", "Phone number"),
        Kind::Text => {
            for t in &map.tables {
                for i in t.identify.iter().filter(|i| i.name == name) {
                    for c in &i.columns {
                        if let Some(l) = column(map, t, c, lang) {
                            return l;
                        }
                    }
                }
            }
            return name.to_string();
        }
    };
    match lang {
        Lang::Sv => sv.into(),
        Lang::En => en.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_legal_basis_has_words_in_both_languages() {
        for code in crate::map::LEGAL_BASES {
            let (sv, en) = builtin::legal_basis(code).expect(code);
            assert!(
                sv.contains("art. 6.1") && en.contains("Art. 6(1)"),
                "{code}"
            );
        }
        assert_eq!(
            builtin::legal_basis("contract"),
            Some(("Avtal (art. 6.1 b)", "Contract (Art. 6(1)(b))"))
        );
    }

    #[test]
    fn the_manual_lists_the_vocabulary() {
        let (_, line) = crate::help::MAP_KEYS
            .iter()
            .find(|(k, _)| *k == "categories with built-in words")
            .expect("the manual's line");
        let listed: Vec<&str> = line.split(';').next().unwrap_or("").split(", ").collect();
        let codes: Vec<&str> = CATEGORIES.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(listed, codes);
    }

    #[test]
    fn the_vocabulary_has_no_duplicates_and_no_empty_words() {
        let mut seen = std::collections::HashSet::new();
        for (code, sv, en) in CATEGORIES {
            assert!(seen.insert(code), "{code} twice");
            assert!(!sv.is_empty() && !en.is_empty() && sv != code && en != code);
        }
    }
}
