//! What a draft map guesses about a store: which columns look personal (by
//! name, in Swedish and English, and by a sample of their values), which
//! erase strategy fits each, which tables hold one row per person, and the
//! links the foreign keys give. Sampled values are only counted here; none
//! is kept, printed or written.

use crate::error::Result;
use crate::ident::{self, Kind};
use crate::map::fit;
use crate::store::schema::{ColumnSchema, ColumnType, ForeignKey, Schema, TableSchema};
use crate::store::Store;
use crate::value::Value;

/// How many values of each text column are sampled.
pub const SAMPLE: usize = 200;

/// A suggested category, as the demo map names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cat {
    Name,
    Email,
    Phone,
    Address,
    NationalId,
    CustomerNo,
    Ip,
    Birth,
    FreeText,
    Photo,
    Secret,
}

impl Cat {
    pub fn category(self) -> &'static str {
        match self {
            Cat::Name => "identity.name",
            Cat::Email => "contact.email",
            Cat::Phone => "contact.phone",
            Cat::Address => "contact.address",
            Cat::NationalId => "identity.national_id",
            Cat::CustomerNo => "identity.customer_number",
            Cat::Ip => "online.ip_address",
            Cat::Birth => "identity.birth_date",
            Cat::FreeText => "content.free_text",
            Cat::Photo => "identity.photo",
            Cat::Secret => "auth.secret",
        }
    }

    /// The identifier kind (name in `[identifiers]`, kind) a column of this
    /// category identifies a person by, if any.
    pub fn identifier(self) -> Option<(&'static str, &'static str)> {
        match self {
            Cat::Email => Some(("email", "email")),
            Cat::NationalId => Some(("personnummer", "personnummer")),
            Cat::Phone => Some(("phone", "phone")),
            Cat::CustomerNo => Some(("customer_no", "text")),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct ColGuess {
    pub name: String,
    /// None: listed only because `check` would call it personal by name.
    pub cat: Option<Cat>,
    pub by_content: bool,
    pub erase: Option<&'static str>,
    /// Why there is no erase strategy, when there is none.
    pub no_erase: Option<&'static str>,
}

#[derive(Debug)]
pub struct LinkGuess {
    pub to: String,
    pub on: Vec<(String, String)>,
    /// Written commented out, for this reason.
    pub commented: Option<String>,
}

#[derive(Debug)]
pub struct TableGuess {
    pub name: String,
    pub subjects: bool,
    pub identify: Vec<(&'static str, Vec<String>)>,
    pub links: Vec<LinkGuess>,
    pub columns: Vec<ColGuess>,
    pub on_erase: &'static str,
    pub bookkeeping: bool,
    pub date_column: Option<String>,
}

/// The words of a column name, lower case, å/ä/ö folded to a/a/o, split at
/// punctuation and at camelCase boundaries (`BillingAddress`, `e-post`).
fn words(name: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            out.push(String::new());
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(String::new());
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        let folded = match c.to_lowercase().next().unwrap_or(c) {
            'å' | 'ä' | 'á' | 'à' => 'a',
            'ö' | 'ø' | 'ó' => 'o',
            'é' | 'è' => 'e',
            'ü' => 'u',
            o => o,
        };
        if let Some(last) = out.last_mut() {
            last.push(folded);
        }
    }
    out.retain(|w| !w.is_empty());
    out
}

/// The category a column's name suggests. A bare `name`/`namn` gives
/// `Some(Name)` only with `person_table` (the table has other personal
/// columns): product and category names are not personal.
pub fn by_name(col: &str, person_table: bool) -> Option<Cat> {
    let w = words(col);
    let j: String = w.concat();
    let has = |xs: &[&str]| w.iter().any(|t| xs.contains(&t.as_str()));
    let contains = |xs: &[&str]| xs.iter().any(|x| j.contains(x));
    if contains(&["email", "epost"]) || has(&["mail"]) {
        return Some(Cat::Email);
    }
    if contains(&["personnummer", "personnr", "samordningsnummer"]) || has(&["pnr", "ssn"]) {
        return Some(Cat::NationalId);
    }
    if contains(&["phone", "telefon", "mobil"]) || has(&["tel", "fax", "cell", "tfn"]) {
        return Some(Cat::Phone);
    }
    if contains(&[
        "kundnummer",
        "kundnr",
        "customernumber",
        "customerno",
        "membernumber",
        "medlemsnummer",
    ]) {
        return Some(Cat::CustomerNo);
    }
    if has(&["ip"]) || contains(&["ipaddress", "ipadress", "ipaddr"]) {
        return Some(Cat::Ip);
    }
    if contains(&["birth", "fodelse"]) || has(&["dob", "fodd"]) {
        return Some(Cat::Birth);
    }
    if contains(&[
        "address",
        "adress",
        "street",
        "gata",
        "postcode",
        "postnummer",
        "postalcode",
        "zipcode",
    ]) || has(&["zip", "city", "ort", "postnr", "postort"])
    {
        return Some(Cat::Address);
    }
    if contains(&["password", "passwd", "losenord"]) || has(&["secret", "pwd"]) {
        return Some(Cat::Secret);
    }
    if has(&["photo", "picture", "foto", "bild", "avatar", "portrait"]) {
        return Some(Cat::Photo);
    }
    let person_prefix = [
        "first", "last", "sur", "given", "family", "full", "middle", "contact", "customer", "kund",
        "for", "efter", "mellan", "kontakt", "fullt", "employee", "person",
    ];
    for end in ["name", "namn"] {
        if let Some(prefix) = j.strip_suffix(end) {
            if (prefix.is_empty() && person_table) || person_prefix.contains(&prefix) {
                return Some(Cat::Name);
            }
        }
    }
    if has(&[
        "note",
        "notes",
        "comment",
        "comments",
        "kommentar",
        "message",
        "body",
        "meddelande",
        "anteckning",
        "anteckningar",
        "fritext",
        "freetext",
    ]) {
        return Some(Cat::FreeText);
    }
    None
}

/// The category most of a sample suggests (at least half of the values for
/// emails, personnummer, IP addresses and phone numbers, 30 % for long free
/// text), counted only.
pub fn by_content(sample: &[Value], today: jiff::civil::Date) -> Option<Cat> {
    let texts: Vec<&str> = sample.iter().filter_map(Value::as_text).collect();
    let n = texts.len();
    if n == 0 {
        return None;
    }
    let count = |f: &dyn Fn(&str) -> bool| texts.iter().filter(|s| f(s)).count();
    let most = |k: usize| k * 2 >= n;
    if most(count(&|s| {
        ident::normalize_stored(Kind::Email, s, today).is_some()
    })) {
        return Some(Cat::Email);
    }
    if most(count(&|s| {
        ident::normalize_stored(Kind::Personnummer, s, today).is_some()
    })) {
        return Some(Cat::NationalId);
    }
    if most(count(&|s| is_ip_address(s))) {
        return Some(Cat::Ip);
    }
    if most(count(&|s| {
        // As `check` judges it: dates are not phone numbers.
        s.chars().filter(|c| c.is_ascii_digit()).count() >= 8
            && crate::time::parse_text(s).is_none()
            && ident::normalize_stored(Kind::Phone(ident::Region::DEFAULT), s, today).is_some()
    })) {
        return Some(Cat::Phone);
    }
    let long = count(&|s| s.chars().count() >= 40 && s.split_whitespace().count() >= 5);
    (long * 10 >= n * 3).then_some(Cat::FreeText)
}

/// An IP address, also in PostgreSQL's `inet` text form with its mask
/// (`192.0.2.10/32`, `2001:db8::/64`).
fn is_ip_address(s: &str) -> bool {
    let s = s.trim();
    let (addr, mask) = s.split_once('/').unwrap_or((s, "0"));
    addr.parse::<std::net::IpAddr>().is_ok() && mask.parse::<u8>().is_ok_and(|m| m <= 128)
}

/// The first erase strategy, in the category's order of preference, that
/// fits the column: `hash` (64 characters) and `redact` ("[erased]") only
/// on text that is long enough, `null` only where NULL is allowed.
pub fn erase_for(cat: Cat, cs: &ColumnSchema) -> Option<&'static str> {
    let text = cs.ty.holds_text();
    let len = cs.max_len;
    let fits = |s: &str| match s {
        "hash" => text && len.is_none_or(|n| n >= 64),
        "redact" => text && len.is_none_or(|n| n >= "[erased]".len()),
        _ => !cs.not_null && cs.pk == 0,
    };
    // Identifiers are hashed first: a UNIQUE column stays unique.
    let order: &[&'static str] = match cat {
        Cat::Email | Cat::NationalId | Cat::CustomerNo => &["hash", "redact", "null"],
        Cat::Phone | Cat::Ip | Cat::Birth | Cat::Secret => &["null", "hash", "redact"],
        Cat::Photo => &["null", "redact"],
        Cat::Name | Cat::Address | Cat::FreeText => &["redact", "null"],
    };
    order.iter().copied().find(|s| fits(s))
}

/// Whether a column takes part in a key that rows point by: the primary
/// key, or either side of a foreign key. dsr keeps such a column as it is
/// (erasing it would break the reference), so it gets no strategy.
fn is_reference(schema: &Schema, ts: &TableSchema, col: &str) -> bool {
    ts.pk.iter().any(|p| p == col)
        || ts
            .foreign_keys
            .iter()
            .any(|fk| fk.from.iter().any(|c| c == col))
        || schema
            .references_to(&ts.name)
            .any(|(_, fk)| fk.to.iter().any(|c| c == col))
}

const BOOKKEEPING: &[&str] = &[
    "invoice",
    "payment",
    "order",
    "faktur",
    "betalning",
    "kvitto",
    "receipt",
    "bokforing",
    "verifikat",
    "transaction",
];

fn link_for(schema: &Schema, ts: &TableSchema, fk: &ForeignKey) -> LinkGuess {
    let on: Vec<(String, String)> = fk.from.iter().cloned().zip(fk.to.iter().cloned()).collect();
    let parent = schema.table(&fk.table);
    let commented = if fk.table == ts.name {
        Some(format!(
            "a self-reference ({} → {}): following it would put other people's rows into a subject's copy; declare it only if those rows are the subject's own",
            fk.from.join(", "),
            fk.to.join(", ")
        ))
    } else if fk.table.starts_with("_dsr_") || parent.is_none() {
        Some(format!("{} is not a table of the store", fk.table))
    } else if on.is_empty() || on.len() != fk.from.len() {
        Some(format!(
            "{} has no primary key, so the columns referenced are unknown: name them",
            fk.table
        ))
    } else if on.iter().any(|(c, p)| {
        let (Some(cc), Some(pc)) = (ts.column(c), parent.and_then(|p2| p2.column(p))) else {
            return true;
        };
        (cc.ty.is_numeric() && pc.ty == ColumnType::Text)
            || (pc.ty.is_numeric() && cc.ty == ColumnType::Text)
    }) {
        Some("one side holds numbers and the other text, so the values never match".into())
    } else {
        None
    };
    LinkGuess {
        to: fk.table.clone(),
        on,
        commented,
    }
}

/// Guesses every table of the store except dsr's own.
pub fn guess(store: &Store, schema: &Schema, today: jiff::civil::Date) -> Result<Vec<TableGuess>> {
    let mut out = Vec::new();
    for ts in schema
        .tables
        .iter()
        .filter(|t| !t.name.starts_with("_dsr_"))
    {
        out.push(guess_table(store, schema, ts, today)?);
    }
    Ok(out)
}

fn guess_table(
    store: &Store,
    schema: &Schema,
    ts: &TableSchema,
    today: jiff::civil::Date,
) -> Result<TableGuess> {
    // First pass: names (a bare "name" waits for the table's other columns)
    // and content; samples are dropped as soon as they are counted.
    let mut found: Vec<(&ColumnSchema, Option<Cat>, bool, Option<String>)> = Vec::new();
    for cs in &ts.columns {
        let key = fit::is_key_column(schema, ts, &cs.name);
        let name_cat = if key { None } else { by_name(&cs.name, false) };
        // `Other` is PostgreSQL's inet, uuid, enums, json, …: values that
        // read as text and may be personal whatever the column's name.
        let (content_cat, flagged) = if cs.ty.holds_text() || cs.ty == ColumnType::Other {
            let sample = store.sample(&ts.name, &cs.name, SAMPLE)?;
            (
                by_content(&sample, today),
                fit::unmapped_reason(schema, ts, &cs.name, &sample, today),
            )
        } else {
            (None, fit::unmapped_reason(schema, ts, &cs.name, &[], today))
        };
        let (cat, content) = match (content_cat, name_cat) {
            (Some(c), _) if c != Cat::FreeText => (Some(c), true),
            (_, Some(n)) => (Some(n), false),
            (c, None) => (c, c.is_some()),
        };
        found.push((cs, cat, content, flagged));
    }
    let person_table = found.iter().any(|(_, c, _, _)| {
        matches!(
            c,
            Some(Cat::Email | Cat::NationalId | Cat::Phone | Cat::CustomerNo)
        )
    });
    let mut columns = Vec::new();
    for (cs, cat, content, flagged) in found {
        let key = fit::is_key_column(schema, ts, &cs.name);
        let cat = cat.or_else(|| (!key).then(|| by_name(&cs.name, person_table)).flatten());
        if cat.is_none() && flagged.is_none() {
            continue;
        }
        let (erase, no_erase) = match cat {
            None => (None, None),
            Some(_) if is_reference(schema, ts, &cs.name) => (
                None,
                Some("a key that rows point by: dsr keeps it so that references hold"),
            ),
            Some(c) => match erase_for(c, cs) {
                Some(e) => (Some(e), None),
                None => (
                    None,
                    Some("no strategy fits this column (NOT NULL, not text or too short): TODO: delete such rows, or keep the value"),
                ),
            },
        };
        columns.push(ColGuess {
            name: cs.name.clone(),
            cat,
            by_content: content,
            erase,
            no_erase,
        });
    }
    let referenced = schema
        .references_to(&ts.name)
        .any(|(child, _)| child.name != ts.name);
    let subjects = referenced
        && columns
            .iter()
            .any(|c| matches!(c.cat, Some(Cat::Email | Cat::NationalId)));
    let mut identify: Vec<(&'static str, Vec<String>)> = Vec::new();
    for c in &columns {
        let Some((kind, _)) = c.cat.and_then(Cat::identifier) else {
            continue;
        };
        if !subjects && !matches!(c.cat, Some(Cat::Email | Cat::NationalId)) {
            continue;
        }
        match identify.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, cols)) => cols.push(c.name.clone()),
            None => identify.push((kind, vec![c.name.clone()])),
        }
    }
    let links: Vec<LinkGuess> = ts
        .foreign_keys
        .iter()
        .map(|fk| link_for(schema, ts, fk))
        .collect();
    let on_erase = if subjects {
        "anonymize"
    } else if !identify.is_empty() || links.iter().any(|l| l.commented.is_none()) {
        "delete"
    } else {
        "keep"
    };
    let tw = words(&ts.name).concat();
    let bookkeeping = BOOKKEEPING.iter().any(|b| tw.contains(b));
    let date_column = ts
        .columns
        .iter()
        .find(|c| {
            let w = words(&c.name);
            let j = w.concat();
            j.contains("date")
                || j.contains("datum")
                || j.contains("issued")
                || j.contains("created")
                || j.contains("utfardad")
                || j.contains("skapad")
                || w.last().is_some_and(|l| l == "at" || l == "time")
        })
        .map(|c| c.name.clone());
    Ok(TableGuess {
        name: ts.name.clone(),
        subjects,
        identify,
        links,
        columns,
        on_erase,
        bookkeeping,
        date_column,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_swedish_and_english() {
        let cases = [
            ("e-post", Some(Cat::Email)),
            ("EmailAddress", Some(Cat::Email)),
            ("förnamn", Some(Cat::Name)),
            ("LastName", Some(Cat::Name)),
            ("efternamn", Some(Cat::Name)),
            ("telefon", Some(Cat::Phone)),
            ("mobilnummer", Some(Cat::Phone)),
            ("gatuadress", Some(Cat::Address)),
            ("postnummer", Some(Cat::Address)),
            ("ort", Some(Cat::Address)),
            ("BillingAddress", Some(Cat::Address)),
            ("pnr", Some(Cat::NationalId)),
            ("ssn", Some(Cat::NationalId)),
            ("födelsedatum", Some(Cat::Birth)),
            ("birth_date", Some(Cat::Birth)),
            ("last_ip", Some(Cat::Ip)),
            ("kundnummer", Some(Cat::CustomerNo)),
            ("customer_no", Some(Cat::CustomerNo)),
            ("anteckningar", Some(Cat::FreeText)),
            ("name", None),
            ("product_name", None),
            ("amount", None),
            ("sort_order", None),
            ("port", None),
            ("description", None),
        ];
        for (col, want) in cases {
            assert_eq!(by_name(col, false), want, "{col}");
        }
        assert_eq!(by_name("namn", true), Some(Cat::Name));
    }

    #[test]
    fn strategies_fit_the_column() {
        let col = |decl: &str, not_null: bool| ColumnSchema {
            name: "c".into(),
            decl_type: decl.into(),
            ty: crate::store::sqlite::column_type(decl),
            max_len: crate::store::sqlite::max_len(decl),
            not_null,
            pk: 0,
        };
        assert_eq!(erase_for(Cat::Email, &col("TEXT", true)), Some("hash"));
        assert_eq!(
            erase_for(Cat::Email, &col("VARCHAR(50)", true)),
            Some("redact")
        );
        assert_eq!(erase_for(Cat::Phone, &col("TEXT", true)), Some("hash"));
        assert_eq!(erase_for(Cat::Phone, &col("TEXT", false)), Some("null"));
        assert_eq!(erase_for(Cat::Birth, &col("DATE", false)), Some("null"));
        assert_eq!(erase_for(Cat::Birth, &col("DATE", true)), None);
        assert_eq!(
            erase_for(Cat::Name, &col("VARCHAR(5)", false)),
            Some("null")
        );
    }

    #[test]
    fn ip_addresses_with_and_without_a_mask() {
        for yes in [
            "192.0.2.10",
            " 192.0.2.10/32",
            "2001:db8::1",
            "2001:db8::/64",
        ] {
            assert!(is_ip_address(yes), "{yes}");
        }
        for no in [
            "192.0.2",
            "192.0.2.10/",
            "192.0.2.10/129",
            "10/8",
            "070-123 45 67",
        ] {
            assert!(!is_ip_address(no), "{no}");
        }
        let d = jiff::civil::date(2026, 11, 22);
        let sample = [
            Value::Text("192.0.2.10/32".into()),
            Value::Text("2001:db8::1/128".into()),
        ];
        assert_eq!(by_content(&sample, d), Some(Cat::Ip));
    }
}
