//! Does the map fit the live store? Errors stop every command (exit 3);
//! warnings are shown by `dsr check`.

use super::{DataMap, Diagnostic, Loc, OnErase, Severity, Strategy, Table};
use crate::error::Result;
use crate::ident::{self, Kind};
use crate::store::schema::{ColumnType, ForeignKey, Lookup, Schema, TableSchema};
use crate::store::Store;
use crate::value::Value;

struct Findings {
    list: Vec<Diagnostic>,
}

impl Findings {
    fn push(
        &mut self,
        sev: Severity,
        loc: Option<Loc>,
        place: String,
        message: String,
        hint: &str,
    ) {
        self.list.push(Diagnostic {
            severity: sev,
            loc,
            place,
            message,
            hint: (!hint.is_empty()).then(|| hint.to_string()),
        });
    }
    fn error(&mut self, loc: Loc, place: String, message: String, hint: &str) {
        self.push(Severity::Error, Some(loc), place, message, hint)
    }
    fn warn(&mut self, loc: Option<Loc>, place: String, message: String, hint: &str) {
        self.push(Severity::Warning, loc, place, message, hint)
    }
}

/// Checks the map against the schema. With `store`, also samples column
/// contents for personal-looking data (what `dsr check` does); commands
/// that only need to know the map is safe to run pass None.
pub fn check(map: &DataMap, schema: &Schema, store: Option<&Store>) -> Result<Vec<Diagnostic>> {
    check_with(map, schema, store, false)
}

/// As [`check`]; with `strict` (`dsr check --strict`, for an application's
/// CI), store tables missing from the map and personal-looking unmapped
/// columns are errors rather than warnings, so that schema drift fails.
pub fn check_with(
    map: &DataMap,
    schema: &Schema,
    store: Option<&Store>,
    strict: bool,
) -> Result<Vec<Diagnostic>> {
    let mut f = Findings { list: Vec::new() };
    let drift = if strict {
        Severity::Error
    } else {
        Severity::Warning
    };
    for t in &map.tables {
        let Some(ts) = schema.table(&t.name) else {
            f.error(
                t.loc,
                t.name.clone(),
                format!("table \"{}\" does not exist in the store", t.name),
                "fix the name, or remove the table from the map",
            );
            continue;
        };
        check_table(map, schema, t, ts, &mut f);
        if let Some(store) = store {
            look_for_unmapped(schema, t, ts, store, drift, &mut f)?;
        }
    }
    words_for_people(map, &mut f);
    if store.is_some() {
        for ts in &schema.tables {
            if !ts.name.starts_with("_dsr_") && map.table(&ts.name).is_none() {
                f.push(
                    drift,
                    None,
                    ts.name.clone(),
                    format!("the store's table \"{}\" is not in the map; its rows are never extracted, erased or swept", ts.name),
                    "map it, even as on_erase = \"keep\" with a purpose, so that the map is a complete record of processing",
                );
            }
        }
        // Only where the backend has a journal mode to advise on (SQLite).
        if let Some(mode) = schema
            .journal_mode
            .as_deref()
            .filter(|m| !m.eq_ignore_ascii_case("wal"))
        {
            f.warn(
                None,
                "store".into(),
                format!("the store's journal mode is {mode}; in WAL mode the application keeps reading while dsr writes"),
                "the application's owner may run PRAGMA journal_mode=WAL once; dsr never changes it",
            );
        }
    }
    f.list.sort_by_key(|d| std::cmp::Reverse(d.severity));
    Ok(f.list)
}

/// What people would read as a code: a category outside the vocabulary
/// that the map gives no words for, and a `keep` table that does not say
/// why it is not erased on request.
fn words_for_people(map: &DataMap, f: &mut Findings) {
    let mut warned: Vec<&str> = Vec::new();
    for t in &map.tables {
        for c in &t.columns {
            let Some(cat) = c.category.as_deref() else {
                continue;
            };
            if crate::labels::category_known(map, cat) || warned.contains(&cat) {
                continue;
            }
            warned.push(cat);
            f.warn(
                Some(c.loc),
                format!("{}.{}", t.name, c.name),
                format!("category \"{cat}\" has no built-in words, so people read it as written"),
                &format!("give it words under [labels.categories]: \"{cat}\" = {{ sv = \"…\", en = \"…\" }}, or use a category of the vocabulary (dsr-check(1))"),
            );
        }
        if t.on_erase == OnErase::Keep && t.keep_reason.is_none() {
            f.warn(
                Some(t.loc),
                t.name.clone(),
                "on_erase = \"keep\" without keep_reason: the copy tells the person that these rows are not erased on request, but not why".into(),
                "add keep_reason = { sv = \"…\", en = \"…\" } with the legal ground (e.g. Art. 17(3)(b))",
            );
        }
    }
}

/// The hint of a missing index: the statement to ask for.
fn ask_for(schema: &Schema, table: &str, column: &str, lookup: Lookup) -> String {
    schema
        .create_index_sql(table, column, lookup)
        .map_or_else(String::new, |sql| {
            format!("ask the application's owner for: {sql}")
        })
}

fn check_table(map: &DataMap, schema: &Schema, t: &Table, ts: &TableSchema, f: &mut Findings) {
    let tn = &t.name;
    let missing = |f: &mut Findings, loc: Loc, col: &str, what: &str| {
        f.error(
            loc,
            format!("{tn}.{col}"),
            format!("{what} column \"{col}\" does not exist in table {tn} of the store"),
            "fix the column name; `dsr check` lists what the map uses",
        )
    };
    if ts.pk.is_empty() {
        f.warn(
            Some(t.loc),
            tn.clone(),
            "has no primary key: dsr tells its rows apart by the store's internal row id within each command".into(),
            "give the table a primary key if the application can",
        );
    }
    if t.subjects && t.identify.is_empty() {
        f.warn(
            Some(t.loc),
            tn.clone(),
            "is marked subjects = true but has no identify columns".into(),
            "add identify = { KIND = \"column\" }",
        );
    }
    for idf in &t.identify {
        for c in &idf.columns {
            if ts.column(c).is_none() {
                missing(f, idf.loc, c, "identify");
                continue;
            }
            match idf.kind {
                Kind::Email if !ts.is_indexed(c, true) => f.warn(
                    Some(idf.loc),
                    format!("{tn}.{c}"),
                    format!("email lookups ignore case, and no {} covers this column, so every lookup reads the whole table", schema.nocase_index_words()),
                    &ask_for(schema, tn, c, Lookup::NoCase),
                ),
                Kind::Personnummer | Kind::Text if !ts.is_indexed(c, false) => f.warn(
                    Some(idf.loc),
                    format!("{tn}.{c}"),
                    "identify column has no index, so every lookup reads the whole table".into(),
                    &ask_for(schema, tn, c, Lookup::Exact),
                ),
                _ => {}
            }
            let strategy = t.column(c).map(|col| &col.erase);
            let is_key = ts.column(c).is_some_and(|cs| cs.pk > 0);
            let anonymized = t.on_erase == OnErase::Anonymize
                || t.links
                    .iter()
                    .any(|l| l.on_erase == Some(OnErase::Anonymize));
            if anonymized && !is_key && matches!(strategy, None | Some(Strategy::Keep)) {
                f.warn(
                    Some(idf.loc),
                    format!("{tn}.{c}"),
                    "is an identify column with no erase strategy: anonymized rows keep it, so they still identify the person".into(),
                    &format!("add [tables.{tn}.columns] {c} = {{ category = \"…\", erase = \"hash\" }} (or null/redact)"),
                );
            }
        }
    }
    for (i, l) in t.links.iter().enumerate() {
        let place = format!("{tn}.link[{i}]");
        let Some(parent) = schema.table(&l.to) else {
            continue;
        };
        for (c, p) in &l.on {
            let cc = ts.column(c);
            let pc = parent.column(p);
            if cc.is_none() {
                missing(f, l.loc, c, "link");
            }
            if pc.is_none() {
                f.error(
                    l.loc,
                    format!("{}.{p}", l.to),
                    format!(
                        "link target column \"{p}\" does not exist in table {} of the store",
                        l.to
                    ),
                    "fix the column name in `on`",
                );
            }
            if let (Some(cc), Some(pc)) = (cc, pc) {
                let mixed = (cc.ty.is_numeric() && pc.ty == ColumnType::Text)
                    || (pc.ty.is_numeric() && cc.ty == ColumnType::Text);
                if mixed {
                    f.error(
                        l.loc,
                        place.clone(),
                        format!("{tn}.{c} ({}) and {}.{p} ({}) are not comparable: one holds numbers, the other text", cc.decl_type, l.to, pc.decl_type),
                        "link columns must hold the same kind of value; check that `on` names the right columns",
                    );
                }
            }
        }
        if let Some((first, _)) = l.on.first() {
            if ts.column(first).is_some() && !ts.is_indexed(first, false) {
                f.warn(
                    Some(l.loc),
                    format!("{tn}.{first}"),
                    format!("link column has no index, so following the link from {} reads the whole table", l.to),
                    &ask_for(schema, tn, first, Lookup::Exact),
                );
            }
        }
    }
    for fk in &ts.foreign_keys {
        if map.table(&fk.table).is_none() {
            continue;
        }
        if !declared_as_link(map, tn, fk) {
            f.warn(
                Some(t.loc),
                tn.clone(),
                format!(
                    "the store's foreign key {tn}({}) → {}({}) is not a link in the map, so its rows do not belong to the parent's subject",
                    fk.from.join(", "),
                    fk.table,
                    fk.to.join(", ")
                ),
                "add it as a link, or ignore this if the rows are not about that person",
            );
        }
    }
    for c in &t.columns {
        let Some(cs) = ts.column(&c.name) else {
            missing(f, c.loc, &c.name, "mapped");
            continue;
        };
        let place = format!("{tn}.{}", c.name);
        match &c.erase {
            Strategy::Null if cs.not_null || cs.pk > 0 => f.error(
                c.loc,
                place.clone(),
                format!(
                    "erase = \"null\" on a {} column",
                    if cs.pk > 0 { "primary key" } else { "NOT NULL" }
                ),
                "use redact or hash instead, or delete the row",
            ),
            Strategy::Hash | Strategy::Redact(_) if !cs.ty.holds_text() => f.error(
                c.loc,
                place.clone(),
                format!(
                    "erase = \"{}\" writes text, but the column is {}",
                    if c.erase == Strategy::Hash {
                        "hash"
                    } else {
                        "redact"
                    },
                    cs.decl_type
                ),
                "use null for a number or date column",
            ),
            _ => {}
        }
        if c.erase != Strategy::Keep {
            let by_link = map.tables.iter().find(|o| {
                o.links
                    .iter()
                    .any(|l| l.to == *tn && l.on.iter().any(|(_, p)| *p == c.name))
            });
            let by_fk = schema
                .references_to(tn)
                .find(|(_, fk)| fk.to.contains(&c.name));
            let referrer = by_link
                .map(|o| o.name.clone())
                .or_else(|| by_fk.map(|(o, _)| o.name.clone()));
            if let Some(o) = referrer {
                f.error(
                    c.loc,
                    place.clone(),
                    format!("has an erase strategy, but {o} refers to this column: anonymizing would break that reference"),
                    "keep this column (erase the referring column in the other table instead)",
                );
            }
        }
        if c.scan && !cs.ty.holds_text() {
            f.error(
                c.loc,
                place.clone(),
                format!(
                    "scan = true needs a text column, but it is {}",
                    cs.decl_type
                ),
                "remove scan",
            );
        } else if c.scan && !ts.has_trigram_index(&c.name) {
            // SQLite has no index for `LIKE '%…%'`: only where one exists.
            if let Some(sql) = schema.create_index_sql(tn, &c.name, Lookup::Substring) {
                f.warn(
                    Some(c.loc),
                    place.clone(),
                    "scan = true: every extract and erase searches this column for the subject's identifiers (LIKE '%…%'), and no pg_trgm index covers it, so every search reads the whole table".into(),
                    &format!("ask the application's owner for: {sql}"),
                );
            }
        }
    }
    for (rule, what) in [(&t.retention, "retention"), (&t.hold, "hold")] {
        if let Some(r) = rule {
            if ts.column(&r.after).is_none() {
                missing(f, r.loc, &r.after, &format!("{what} `after`"));
            }
        }
    }
    let anonymizes = t.on_erase == OnErase::Anonymize
        || t.retention
            .as_ref()
            .is_some_and(|r| r.action == Some(OnErase::Anonymize))
        || t.links
            .iter()
            .any(|l| l.on_erase == Some(OnErase::Anonymize));
    let has_strategy = t.columns.iter().any(|c| c.erase != Strategy::Keep);
    if anonymizes && !has_strategy {
        f.warn(
            Some(t.loc),
            tn.clone(),
            "anonymizes rows, but no column has an erase strategy: there is nothing to anonymize, so such rows are kept as they are (reported as kept)"
                .into(),
            "give the personal columns erase = \"null\", \"redact\" or \"hash\"",
        );
    }
    // A delete that a held row would block: dsr anonymizes instead, which
    // only erases anything if the table has erase strategies; without them
    // such rows are kept as they are (and reported as kept).
    if t.on_erase == OnErase::Delete && !has_strategy {
        for other in &map.tables {
            let references = other.links.iter().any(|l| l.to == t.name)
                || schema.table(&other.name).is_some_and(|o| {
                    o.foreign_keys
                        .iter()
                        .any(|fk| fk.table.eq_ignore_ascii_case(&t.name))
                });
            if references && other.hold.is_some() {
                f.warn(
                    Some(t.loc),
                    tn.clone(),
                    format!(
                        "on_erase = \"delete\", but held rows of {} refer to it: while the hold lasts such rows are not deleted, and with no erase strategies there is nothing to anonymize, so they are kept as they are (reported as kept)",
                        other.name
                    ),
                    "if its rows hold personal data, give those columns erase strategies (null, redact, hash)",
                );
            }
        }
    }
}

/// Whether the map declares the store's foreign key `child`(fk.from) →
/// fk.table(fk.to) as a link in either direction: from the child to the
/// parent over the same column pairs, or from the parent to the child over
/// the same pairs turned round (`[tables.address] link = { to = "customer",
/// on = { address_id = "address_id" } }` declares customer(address_id) →
/// address(address_id): the address belongs to the customer's subject).
/// Pairs are compared as sets, so the order of `on` does not matter.
fn declared_as_link(map: &DataMap, child: &str, fk: &ForeignKey) -> bool {
    let pairs = |on: &mut dyn Iterator<Item = (&String, &String)>| {
        let mut v: Vec<(String, String)> = on.map(|(a, b)| (a.clone(), b.clone())).collect();
        v.sort();
        v
    };
    let want = pairs(&mut fk.from.iter().zip(fk.to.iter()));
    if want.len() != fk.from.len() {
        // The parent's columns are unknown (no primary key to default to):
        // the child's columns alone must match.
        let mut from = fk.from.clone();
        from.sort();
        return map.table(child).is_some_and(|t| {
            t.links.iter().any(|l| {
                let mut cols: Vec<String> = l.on.iter().map(|(c, _)| c.clone()).collect();
                cols.sort();
                l.to.eq_ignore_ascii_case(&fk.table) && cols == from
            })
        });
    }
    let forward = map.table(child).is_some_and(|t| {
        t.links.iter().any(|l| {
            l.to.eq_ignore_ascii_case(&fk.table)
                && pairs(&mut l.on.iter().map(|(c, p)| (c, p))) == want
        })
    });
    let backward = map
        .tables
        .iter()
        .filter(|p| p.name.eq_ignore_ascii_case(&fk.table))
        .any(|p| {
            p.links.iter().any(|l| {
                l.to.eq_ignore_ascii_case(child)
                    && pairs(&mut l.on.iter().map(|(c, p)| (p, c))) == want
            })
        });
    forward || backward
}

/// Whether a column is a key that only points at rows: part of a foreign
/// key (either side), the table's own integer primary key, or named
/// `<table>_id` after a table of the store (`city_id` beside `city` or
/// `cities`). Such a column is not personal by its name, even when the
/// name contains a personal word (`address_id`, `note_id`); its values are
/// still sampled.
pub(crate) fn is_key_column(schema: &Schema, ts: &TableSchema, col: &str) -> bool {
    let in_fk = ts
        .foreign_keys
        .iter()
        .any(|fk| fk.from.iter().any(|c| c == col))
        || schema
            .references_to(&ts.name)
            .any(|(_, fk)| fk.to.iter().any(|c| c == col));
    let own_int_key = ts.pk.len() == 1
        && ts.pk[0] == col
        && ts.column(col).is_some_and(|c| c.ty == ColumnType::Integer);
    let lower = col.to_lowercase();
    let names_table = lower
        .strip_suffix("_id")
        .filter(|p| !p.is_empty())
        .is_some_and(|p| {
            let forms = [
                p.to_string(),
                format!("{p}s"),
                format!("{p}es"),
                p.strip_suffix('y')
                    .map(|s| format!("{s}ies"))
                    .unwrap_or_default(),
            ];
            schema.tables.iter().any(|t| {
                forms
                    .iter()
                    .any(|f| !f.is_empty() && t.name.eq_ignore_ascii_case(f))
            })
        });
    in_fk || own_int_key || names_table
}

/// Words in column names that usually mean personal data.
const PERSONAL_WORDS: &[&str] = &[
    "email",
    "mail",
    "epost",
    "phone",
    "tel",
    "telefon",
    "mobile",
    "mobil",
    "name",
    "namn",
    "firstname",
    "lastname",
    "surname",
    "fornamn",
    "efternamn",
    "address",
    "adress",
    "street",
    "gata",
    "gatuadress",
    "postcode",
    "postnr",
    "zip",
    "city",
    "ort",
    "personnummer",
    "pnr",
    "ssn",
    "birth",
    "birthdate",
    "dob",
    "fodelsedatum",
    "ip",
    "notes",
    "note",
    "comment",
    "comments",
    "kommentar",
    "message",
    "body",
    "meddelande",
];

pub(crate) fn looks_personal_name(col: &str) -> bool {
    let lower = col.to_lowercase();
    lower.contains("email")
        || lower.contains("phone")
        || lower.contains("personnummer")
        || lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| PERSONAL_WORDS.contains(&w))
}

pub(crate) fn looks_personal_value(v: &Value, today: jiff::civil::Date) -> Option<&'static str> {
    let Value::Text(s) = v else { return None };
    if ident::normalize_stored(Kind::Email, s, today).is_some() {
        Some("email addresses")
    } else if ident::normalize_stored(Kind::Personnummer, s, today).is_some() {
        Some("personnummer")
    } else if s.chars().filter(|c| c.is_ascii_digit()).count() >= 8
        // libphonenumber reads 2018-06-25 as a Swedish number.
        && crate::time::parse_text(s).is_none()
        && ident::normalize_stored(Kind::Phone(ident::Region::DEFAULT), s, today).is_some()
    {
        Some("phone numbers")
    } else {
        None
    }
}

/// How many values `check` samples per column for [`unmapped_reason`].
pub(crate) const CHECK_SAMPLE: usize = 50;

/// Why an unmapped column looks personal, if it does: by its name (unless
/// it is a key column) or because at least 30 % of `sample` (up to
/// [`CHECK_SAMPLE`] values) look like emails, personnummer or phone
/// numbers. `dsr init` asks the same question, so that its drafts leave
/// nothing for `check` to warn about.
pub(crate) fn unmapped_reason(
    schema: &Schema,
    ts: &TableSchema,
    col: &str,
    sample: &[Value],
    today: jiff::civil::Date,
) -> Option<String> {
    let sample = &sample[..sample.len().min(CHECK_SAMPLE)];
    let mut hits: Vec<&'static str> = sample
        .iter()
        .filter_map(|v| looks_personal_value(v, today))
        .collect();
    if !sample.is_empty() && hits.len() * 10 >= sample.len() * 3 {
        hits.sort();
        if let Some(what) = hits.first() {
            return Some(format!("its values look like {what}"));
        }
    }
    (looks_personal_name(col) && !is_key_column(schema, ts, col))
        .then(|| "its name suggests personal data".to_string())
}

fn look_for_unmapped(
    schema: &Schema,
    t: &Table,
    ts: &TableSchema,
    store: &Store,
    severity: Severity,
    f: &mut Findings,
) -> Result<()> {
    let today = crate::time::today(jiff::Timestamp::now());
    for cs in &ts.columns {
        let c = &cs.name;
        let used = t.column(c).is_some()
            || t.identify.iter().any(|i| i.columns.contains(c))
            || t.links.iter().any(|l| l.on.iter().any(|(x, _)| x == c));
        if used {
            continue;
        }
        let sample = if cs.ty.holds_text() {
            store.sample(&t.name, c, CHECK_SAMPLE)?
        } else {
            Vec::new()
        };
        if let Some(why) = unmapped_reason(schema, ts, c, &sample, today) {
            f.push(
                severity,
                Some(t.loc),
                format!("{}.{c}", t.name),
                format!(
                    "is not mapped, but {why}: it is extracted without a category and never erased"
                ),
                &format!(
                    "add it under [tables.{}.columns] with a category and an erase strategy",
                    t.name
                ),
            );
        }
    }
    Ok(())
}

/// One warning per line of the map's text that says `TODO` (the places a
/// draft from `dsr init` leaves for a person: purpose, legal basis,
/// retention, holds), so that a draft is not taken for a finished map.
pub fn todos(src: &str) -> Vec<Diagnostic> {
    src.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let at = line.find("TODO")?;
            let text: String = line.trim().chars().take(160).collect();
            Some(Diagnostic {
                severity: Severity::Warning,
                loc: Some(Loc {
                    line: i + 1,
                    col: line[..at].chars().count() + 1,
                }),
                place: "TODO".into(),
                message: format!("left for a person to decide: {text}"),
                hint: Some("decide it, then remove the TODO".into()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_names_are_recognised() {
        for yes in [
            "email",
            "alt_email",
            "phone_no",
            "first_name",
            "namn",
            "ip",
            "street",
            "notes",
        ] {
            assert!(looks_personal_name(yes), "{yes}");
        }
        for no in [
            "id",
            "customer_id",
            "amount_ore",
            "kwh",
            "month",
            "sort_order",
            "port",
            "description_id",
        ] {
            assert!(!looks_personal_name(no), "{no}");
        }
    }
}
