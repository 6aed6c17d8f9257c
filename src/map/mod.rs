//! The data map: parsed from TOML (version 1), then validated into types the
//! rest of the tool can trust. Validation against the live store is in
//! [`fit`].

pub mod fit;
mod raw;

use crate::error::{Error, Result};
use crate::ident::{Kind, Region};
use crate::labels::{Lang, Overrides, Text};
use crate::time::Duration;
use raw::{OneOrMany, RawMap};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A position in the map file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about the map: what, where (file:line:column and/or
/// table.column) and what to do.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub loc: Option<Loc>,
    pub place: String,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn render(&self, file: &Path) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = match self.loc {
            Some(l) => format!("{}:{}:{}", file.display(), l.line, l.col),
            None => file.display().to_string(),
        };
        let mut s = format!("{at}: {sev}: {}: {}", self.place, self.message);
        if let Some(h) = &self.hint {
            s.push_str("\n  hint: ");
            s.push_str(h);
        }
        s
    }

    /// The diagnostic as one item of an error message that has already said
    /// "error" (no doubled severity), indented under it.
    pub fn render_item(&self, file: &Path) -> String {
        let at = match self.loc {
            Some(l) => format!("{}:{}:{}", file.display(), l.line, l.col),
            None => file.display().to_string(),
        };
        let mut s = format!("  {at}: {}: {}", self.place, self.message);
        if let Some(h) = &self.hint {
            s.push_str("\n    hint: ");
            s.push_str(h);
        }
        s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OnErase {
    Keep,
    Anonymize,
    Delete,
}

impl OnErase {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "delete" => OnErase::Delete,
            "anonymize" => OnErase::Anonymize,
            "keep" => OnErase::Keep,
            _ => return None,
        })
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            OnErase::Delete => "delete",
            OnErase::Anonymize => "anonymize",
            OnErase::Keep => "keep",
        }
    }
}

pub const LEGAL_BASES: [&str; 6] = [
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    Keep,
    Null,
    Redact(String),
    Hash,
}

#[derive(Debug, Clone)]
pub struct Controller {
    pub name: String,
    pub contact: String,
    pub authority: String,
    pub automated_decisions: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IdentifierKind {
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub struct Identify {
    /// The identifier kind's name as declared under `[identifiers]`.
    pub name: String,
    pub kind: Kind,
    pub columns: Vec<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub to: String,
    /// (column of this table, column of the `to` table)
    pub on: Vec<(String, String)>,
    pub on_erase: Option<OnErase>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub after: String,
    pub keep: Duration,
    pub year_end: bool,
    /// Retention only: what an expired row gets (default: the table's on_erase).
    pub action: Option<OnErase>,
    /// Holds only: why the row is kept.
    pub reason: Option<String>,
    pub loc: Loc,
}

impl Rule {
    /// "2 years after closed_at", "7 years, to the end of the year, after issued".
    pub fn describe(&self, sv: bool) -> String {
        let d = self.keep.describe(sv);
        match (self.year_end, sv) {
            (false, false) => format!("{d} after {}", self.after),
            (true, false) => format!("{d}, to the end of the year, after {}", self.after),
            (false, true) => format!("{d} efter {}", self.after),
            (true, true) => format!("{d}, till årets slut, efter {}", self.after),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// What a person reads instead of the column's name.
    pub label: Option<Text>,
    pub description: Option<Text>,
    pub category: Option<String>,
    pub erase: Strategy,
    pub extract: bool,
    pub scan: bool,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// What a person reads instead of the table's name.
    pub label: Option<Text>,
    pub description: Option<Text>,
    /// Why an `on_erase = "keep"` table is not erased on request.
    pub keep_reason: Option<Text>,
    pub subjects: bool,
    pub purpose: String,
    pub legal_basis: String,
    pub source: Option<String>,
    pub recipients: Vec<String>,
    pub transfers: Vec<String>,
    pub identify: Vec<Identify>,
    pub links: Vec<Link>,
    pub on_erase: OnErase,
    pub retention: Option<Rule>,
    pub hold: Option<Rule>,
    pub columns: Vec<Column>,
    pub loc: Loc,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether a key made of the columns `pk` is itself personal data: one
    /// of them is an `identify` column of this table or a mapped column with
    /// a category (a newsletter keyed by email). dsr's own tables then hold
    /// the key's HMAC, never the key (DESIGN §4). A table without a primary
    /// key is keyed by the store's row id, which is not personal.
    pub fn key_is_personal(&self, pk: &[String]) -> bool {
        pk.iter().any(|k| {
            self.identify.iter().any(|i| i.columns.contains(k))
                || self.column(k).is_some_and(|c| c.category.is_some())
        })
    }

    /// Distinct categories of the table's mapped columns, in map order.
    pub fn categories(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.columns {
            if let Some(cat) = c.category.as_deref() {
                if !out.contains(&cat) {
                    out.push(cat);
                }
            }
        }
        out
    }
}

/// A data map that has passed its own validation (not yet against a store).
#[derive(Debug, Clone)]
pub struct DataMap {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, recorded in every audit record.
    pub sha256: String,
    pub controller: Controller,
    /// Where phone numbers without a country code are read, unless a kind
    /// names its own region.
    pub region: Region,
    /// The default language of outputs for people (`--lang`).
    pub language: Option<Lang>,
    /// The time zone dates are shown in to people, and its IANA name.
    pub timezone: jiff::tz::TimeZone,
    pub timezone_name: String,
    /// The map's own words for categories, legal bases and identifier kinds.
    pub labels: Overrides,
    pub identifiers: Vec<IdentifierKind>,
    pub tables: Vec<Table>,
}

impl DataMap {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }

    pub fn identifier(&self, name: &str) -> Option<&IdentifierKind> {
        self.identifiers.iter().find(|i| i.name == name)
    }
}

/// Offsets to line:column, for the file being read.
struct Locator<'a> {
    src: &'a str,
}

impl Locator<'_> {
    fn at(&self, offset: usize) -> Loc {
        let offset = offset.min(self.src.len());
        let before = &self.src[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        Loc { line, col }
    }
    fn of<T>(&self, s: &Spanned<T>) -> Loc {
        self.at(s.span().start)
    }
}

/// Reads and validates a map file. An unreadable file or broken TOML is a
/// configuration error (exit 2); a map that reads but says something invalid
/// is exit 3, with every problem listed.
pub fn load(path: &Path) -> Result<DataMap> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Usage(format!(
            "cannot read the data map {}: {}; check --map / DSR_MAP or the tenant's `map` in the config",
            path.display(),
            crate::error::io_reason(&e)
        ))
    })?;
    let src = String::from_utf8(bytes.clone()).map_err(|_| {
        Error::Usage(format!(
            "the data map {} is not UTF-8 text; save it as UTF-8",
            path.display()
        ))
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    parse(path, &src, sha256).map_err(|diags| {
        let body: Vec<String> = diags.iter().map(|d| d.render_item(path)).collect();
        let syntax = diags.iter().any(|d| d.place == "syntax");
        let msg = format!(
            "the data map {} is not valid ({} error{}); fix it and run `dsr check`:\n{}",
            path.display(),
            diags.len(),
            if diags.len() == 1 { "" } else { "s" },
            body.join("\n"),
        );
        if syntax {
            Error::Usage(msg)
        } else {
            Error::MapInvalid(msg)
        }
    })
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parses map text. Errors are all the problems found, not just the first.
pub fn parse(
    path: &Path,
    src: &str,
    sha256: String,
) -> std::result::Result<DataMap, Vec<Diagnostic>> {
    let loc = Locator { src };
    let err = |l: Option<Loc>, place: &str, message: String, hint: Option<&str>| Diagnostic {
        severity: Severity::Error,
        loc: l,
        place: place.to_string(),
        message,
        hint: hint.map(str::to_string),
    };
    // Read once; only a map that does not read is parsed again as plain
    // TOML, to tell a syntax error from a key or value the map does not take.
    let raw: RawMap = toml::from_str(src).map_err(|e| {
        if let Err(e) = toml::from_str::<toml::Table>(src) {
            return vec![err(
                e.span().map(|s| loc.at(s.start)),
                "syntax",
                e.message().trim().to_string(),
                Some("the map must be TOML; its keys are listed under THE DATA MAP in dsr-check(1) (man dsr-check)"),
            )];
        }
        vec![err(
            e.span().map(|s| loc.at(s.start)),
            "map",
            e.message().trim().to_string(),
            Some("the keys each table takes are listed under THE DATA MAP in dsr-check(1) (man dsr-check)"),
        )]
    })?;
    let mut errors = Vec::new();
    let mut e = |l: Loc, place: String, message: String, hint: &str| {
        errors.push(err(
            Some(l),
            &place,
            message,
            (!hint.is_empty()).then_some(hint),
        ))
    };

    if *raw.version.get_ref() != 1 {
        e(
            loc.of(&raw.version),
            "version".into(),
            format!(
                "version {} is not supported; this dsr reads version 1",
                raw.version.get_ref()
            ),
            "set version = 1",
        );
    }
    let c = raw.controller.into_inner();
    let controller = Controller {
        name: c.name,
        contact: c.contact,
        authority: c.authority,
        automated_decisions: c.automated_decisions,
    };

    let region_hint = "a region is an ISO 3166 alpha-2 code such as \"SE\", \"DE\" or \"US\"";
    let read_region =
        |r: &Spanned<String>, place: String, e: &mut dyn FnMut(Loc, String, String, &str)| {
            let got = r.get_ref();
            Region::parse(got).or_else(|| {
                let shown: String = got.chars().take(16).collect();
                e(
                    loc.of(r),
                    place,
                    format!("unknown region \"{shown}\" for phone numbers"),
                    region_hint,
                );
                None
            })
        };
    let region = match &raw.region {
        Some(r) => read_region(r, "region".into(), &mut e).unwrap_or(Region::DEFAULT),
        None => Region::DEFAULT,
    };

    let language = raw.language.as_ref().and_then(|l| {
        let got = l.get_ref();
        Lang::parse(got).or_else(|| {
            let shown: String = got.chars().take(16).collect();
            e(
                loc.of(l),
                "language".into(),
                raw::unknown("language", &shown, &["sv", "en"]),
                "",
            );
            None
        })
    });
    let timezone_name = raw
        .timezone
        .as_ref()
        .map_or(crate::deadline::DEFAULT_TZ.to_string(), |z| {
            z.get_ref().trim().to_string()
        });
    let timezone = match crate::deadline::time_zone(Some(&timezone_name)) {
        Ok(z) => z,
        Err(m) => {
            if let Some(z) = &raw.timezone {
                e(loc.of(z), "timezone".into(), m, "");
            }
            jiff::tz::TimeZone::UTC
        }
    };
    type Report<'r> = &'r mut dyn FnMut(Loc, String, String, &str);
    let text = |r: &Spanned<raw::RawText>, place: String, e: Report| -> Option<Text> {
        let t = r.get_ref();
        match (&t.sv, &t.en) {
            (Some(sv), Some(en)) => Some(Text::new(sv, en)),
            (Some(one), None) | (None, Some(one)) => Some(Text::new(one, one)),
            (None, None) => {
                e(
                    loc.of(r),
                    place,
                    "gives no text".into(),
                    "write { sv = \"…\", en = \"…\" }, or one text for both languages",
                );
                None
            }
        }
    };
    let mut overrides = Overrides::default();
    for (name, list, out) in [
        (
            "categories",
            &raw.labels.categories,
            &mut overrides.categories,
        ),
        (
            "legal_bases",
            &raw.labels.legal_bases,
            &mut overrides.legal_bases,
        ),
        (
            "identifiers",
            &raw.labels.identifiers,
            &mut overrides.identifiers,
        ),
    ] {
        for (code, t) in &list.0 {
            if name == "legal_bases" && !LEGAL_BASES.contains(&code.get_ref().as_str()) {
                e(
                    loc.of(code),
                    format!("labels.legal_bases.{}", code.get_ref()),
                    raw::unknown("legal basis", code.get_ref(), &LEGAL_BASES),
                    "",
                );
            }
            if let Some(t) = text(t, format!("labels.{name}.{}", code.get_ref()), &mut e) {
                out.push((code.get_ref().clone(), t));
            }
        }
    }
    let mut tables_text = Vec::new();
    for (tname, t) in &raw.tables.0 {
        let tn = tname.get_ref();
        let t = t.get_ref();
        let one = |r: &Option<Spanned<raw::RawText>>, key: &str, e: Report| {
            r.as_ref()
                .and_then(|r| text(r, format!("tables.{tn}.{key}"), e))
        };
        let label = one(&t.label, "label", &mut e);
        let description = one(&t.description, "description", &mut e);
        let keep_reason = one(&t.keep_reason, "keep_reason", &mut e);
        let columns: Vec<(Option<Text>, Option<Text>)> = t
            .columns
            .0
            .iter()
            .map(|(cn, c)| {
                let c = c.get_ref();
                let cn = cn.get_ref();
                (
                    one(&c.label, &format!("columns.{cn}.label"), &mut e),
                    one(&c.description, &format!("columns.{cn}.description"), &mut e),
                )
            })
            .collect();
        tables_text.push((label, description, keep_reason, columns));
    }
    let mut tables_text = tables_text.into_iter();

    let mut identifiers = Vec::new();
    for (name, entry) in &raw.identifiers.0 {
        let ri = entry.get_ref();
        let place = format!("identifiers.{}", name.get_ref());
        let kind_loc = ri
            .kind_span
            .clone()
            .map(|s| loc.at(s.start))
            .unwrap_or_else(|| loc.of(entry));
        let own_region = match &ri.region {
            Some(r) if ri.kind != "phone" => {
                e(
                    loc.of(r),
                    format!("{place}.region"),
                    format!(
                        "only a phone kind takes a region, and this one is \"{}\"",
                        ri.kind
                    ),
                    "remove region, or set kind = \"phone\"",
                );
                None
            }
            Some(r) => read_region(r, format!("{place}.region"), &mut e),
            None => Some(region),
        };
        match Kind::parse(&ri.kind, own_region.unwrap_or(region)) {
            Some(k) => identifiers.push(IdentifierKind {
                name: name.get_ref().clone(),
                kind: k,
            }),
            None => e(
                kind_loc,
                place,
                raw::unknown(
                    "identifier kind",
                    &ri.kind,
                    &["email", "personnummer", "phone", "text"],
                ),
                "",
            ),
        }
    }

    let table_names: Vec<&str> = raw
        .tables
        .0
        .iter()
        .map(|(n, _)| n.get_ref().as_str())
        .collect();
    let mut tables = Vec::new();
    for (tname, t) in &raw.tables.0 {
        let tn = tname.get_ref().clone();
        let tloc = loc.of(tname);
        let t = t.get_ref();
        let (label, description, keep_reason, column_texts) =
            tables_text.next().unwrap_or_default();
        let mut column_texts = column_texts.into_iter();
        if tn.starts_with("_dsr_") {
            e(
                tloc,
                format!("tables.{tn}"),
                "tables starting with _dsr_ belong to dsr itself and cannot be mapped".into(),
                "remove this table from the map",
            );
        }
        if !LEGAL_BASES.contains(&t.legal_basis.get_ref().as_str()) {
            e(
                loc.of(&t.legal_basis),
                format!("tables.{tn}.legal_basis"),
                raw::unknown("legal basis", t.legal_basis.get_ref(), &LEGAL_BASES),
                "",
            );
        }
        let on_erase = parse_on_erase(&t.on_erase, &loc, &format!("tables.{tn}.on_erase"), &mut e);

        let mut identify = Vec::new();
        for (kname, cols) in &t.identify.0 {
            let kn = kname.get_ref();
            let columns = match cols.get_ref() {
                OneOrMany::One(c) => vec![c.clone()],
                OneOrMany::Many(v) => v.clone(),
            };
            if columns.is_empty() {
                e(
                    loc.of(cols),
                    format!("tables.{tn}.identify.{kn}"),
                    "names no column".into(),
                    "give a column name or a list of them",
                );
            }
            match identifiers.iter().find(|i| &i.name == kn) {
                Some(ik) => identify.push(Identify {
                    name: kn.clone(),
                    kind: ik.kind,
                    columns,
                    loc: loc.of(kname),
                }),
                None => e(
                    loc.of(kname),
                    format!("tables.{tn}.identify.{kn}"),
                    format!("identifier kind \"{kn}\" is not declared under [identifiers]"),
                    "declare it, e.g. email = \"email\", or use a declared kind",
                ),
            }
        }

        let mut links = Vec::new();
        if let Some(lv) = &t.link {
            let lloc = loc.of(lv);
            let items: Vec<toml::Value> = match lv.get_ref() {
                toml::Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            for (i, item) in items.into_iter().enumerate() {
                let place = format!("tables.{tn}.link[{i}]");
                let l: raw::RawLink = match item.try_into() {
                    Ok(l) => l,
                    Err(x) => {
                        e(lloc, place, x.message().trim().to_string(), "a link is { to = \"TABLE\", on = { my_column = \"their_column\" } } with an optional on_erase");
                        continue;
                    }
                };
                if !table_names.contains(&l.to.as_str()) {
                    e(
                        lloc,
                        place.clone(),
                        format!("links to \"{}\", which is not a table in the map", l.to),
                        "map that table too, or fix the name",
                    );
                }
                let mut on = Vec::new();
                for (c, p) in &l.on {
                    match p.as_str() {
                        Some(p) => on.push((c.clone(), p.to_string())),
                        None => e(
                            lloc,
                            place.clone(),
                            format!("`on.{c}` must name a column of {} as a string", l.to),
                            "",
                        ),
                    }
                }
                if on.is_empty() {
                    e(
                        lloc,
                        place.clone(),
                        "`on` names no columns".into(),
                        "e.g. on = { customer_id = \"id\" }",
                    );
                }
                let on_erase = l.on_erase.as_ref().map(|o| {
                    OnErase::parse(o).unwrap_or_else(|| {
                        e(
                            lloc,
                            format!("{place}.on_erase"),
                            raw::unknown("on_erase", o, &["delete", "anonymize", "keep"]),
                            "",
                        );
                        OnErase::Keep
                    })
                });
                links.push(Link {
                    to: l.to,
                    on,
                    on_erase,
                    loc: lloc,
                });
            }
        }

        let retention = t.retention.as_ref().map(|r| {
            let place = format!("tables.{tn}.retention");
            let rr = r.get_ref();
            Rule {
                after: rr.after.get_ref().clone(),
                keep: parse_duration(&rr.keep, &loc, &place, &mut e),
                year_end: parse_round(rr.round.as_ref(), &loc, &place, &mut e),
                action: rr
                    .action
                    .as_ref()
                    .map(|a| parse_on_erase(a, &loc, &format!("{place}.action"), &mut e)),
                reason: None,
                loc: loc.of(&rr.after),
            }
        });
        let hold = t.hold.as_ref().map(|h| {
            let place = format!("tables.{tn}.hold");
            let hr = h.get_ref();
            Rule {
                after: hr.after.get_ref().clone(),
                keep: parse_duration(&hr.keep, &loc, &place, &mut e),
                year_end: parse_round(hr.round.as_ref(), &loc, &place, &mut e),
                action: None,
                reason: Some(hr.reason.clone()),
                loc: loc.of(&hr.after),
            }
        });

        let mut columns = Vec::new();
        for (cname, c) in &t.columns.0 {
            let cn = cname.get_ref().clone();
            let place = format!("tables.{tn}.columns.{cn}");
            let c = c.get_ref();
            let erase = match c.erase.as_ref().map(|s| s.get_ref().as_str()) {
                None | Some("keep") => Strategy::Keep,
                Some("null") => Strategy::Null,
                Some("hash") => Strategy::Hash,
                Some("redact") => Strategy::Redact(
                    c.with
                        .as_ref()
                        .map(|w| w.get_ref().clone())
                        .unwrap_or_else(|| "[erased]".into()),
                ),
                Some(other) => {
                    e(
                        loc.of(c.erase.as_ref().expect("matched Some")),
                        place.clone(),
                        raw::unknown("erase strategy", other, &["null", "redact", "hash", "keep"]),
                        "",
                    );
                    Strategy::Keep
                }
            };
            if let Some(w) = &c.with {
                if !matches!(erase, Strategy::Redact(_)) {
                    e(
                        loc.of(w),
                        place.clone(),
                        "`with` only goes with erase = \"redact\"".into(),
                        "remove `with` or set erase = \"redact\"",
                    );
                }
            }
            if columns.iter().any(|x: &Column| x.name == cn) {
                e(
                    loc.of(cname),
                    place.clone(),
                    "column listed twice".into(),
                    "",
                );
            }
            let (clabel, cdescription) = column_texts.next().unwrap_or_default();
            columns.push(Column {
                name: cn,
                label: clabel,
                description: cdescription,
                category: c.category.clone(),
                erase,
                extract: c.extract,
                scan: c.scan,
                loc: loc.of(cname),
            });
        }

        tables.push(Table {
            name: tn,
            label,
            description,
            keep_reason,
            subjects: t.subjects,
            purpose: t.purpose.clone(),
            legal_basis: t.legal_basis.get_ref().clone(),
            source: t.source.clone(),
            recipients: t.recipients.clone(),
            transfers: t.transfers.clone(),
            identify,
            links,
            on_erase,
            retention,
            hold,
            columns,
            loc: tloc,
        });
    }
    if tables.is_empty() {
        e(
            Loc { line: 1, col: 1 },
            "tables".into(),
            "the map names no tables".into(),
            "add [tables.NAME] sections",
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DataMap {
        path: path.to_path_buf(),
        sha256,
        controller,
        region,
        language,
        timezone,
        timezone_name,
        labels: overrides,
        identifiers,
        tables,
    })
}

fn parse_on_erase(
    s: &Spanned<String>,
    loc: &Locator,
    place: &str,
    e: &mut impl FnMut(Loc, String, String, &str),
) -> OnErase {
    OnErase::parse(s.get_ref()).unwrap_or_else(|| {
        e(
            loc.of(s),
            place.into(),
            raw::unknown("on_erase", s.get_ref(), &["delete", "anonymize", "keep"]),
            "",
        );
        OnErase::Keep
    })
}

fn parse_duration(
    s: &Spanned<String>,
    loc: &Locator,
    place: &str,
    e: &mut impl FnMut(Loc, String, String, &str),
) -> Duration {
    Duration::parse(s.get_ref()).unwrap_or_else(|m| {
        e(loc.of(s), format!("{place}.keep"), m, "");
        Duration {
            amount: 1,
            unit: crate::time::Unit::Years,
        }
    })
}

fn parse_round(
    s: Option<&Spanned<String>>,
    loc: &Locator,
    place: &str,
    e: &mut impl FnMut(Loc, String, String, &str),
) -> bool {
    match s {
        None => false,
        Some(r) if r.get_ref() == "year_end" => true,
        Some(r) => {
            e(
                loc.of(r),
                format!("{place}.round"),
                raw::unknown("round", r.get_ref(), &["year_end"]),
                "",
            );
            false
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
version = 1
[controller]
name = "Acme Energi AB"
contact = "dpo@acme.example"
authority = "IMY"

[identifiers]
email = "email"
personnummer = "personnummer"
customer_id = "text"

[tables.customers]
subjects = true
purpose = "Billing"
legal_basis = "contract"
identify = { email = ["email", "alt_email"], personnummer = "pnr", customer_id = "id" }
on_erase = "anonymize"
retention = { after = "closed_at", keep = "2y" }

[tables.customers.columns]
name = { category = "identity.name", erase = "redact", with = "[borttaget]" }
email = { category = "contact.email", erase = "hash" }
pnr = { category = "identity.national_id", erase = "null" }
secret = { category = "auth.secret", extract = false, erase = "null" }

[tables.invoices]
purpose = "Bookkeeping"
legal_basis = "legal_obligation"
link = [ { to = "customers", on = { customer_id = "id" } },
         { to = "customers", on = { payer_id = "id" }, on_erase = "anonymize" } ]
on_erase = "delete"
hold = { after = "issued", keep = "7y", round = "year_end", reason = "Bokföringslagen" }
"#;

    fn parse_str(s: &str) -> std::result::Result<DataMap, Vec<Diagnostic>> {
        parse(Path::new("m.toml"), s, String::new())
    }

    fn errors(s: &str) -> Vec<String> {
        match parse_str(s) {
            Ok(_) => vec![],
            Err(d) => d.iter().map(|d| d.render(Path::new("m.toml"))).collect(),
        }
    }

    #[test]
    fn phone_kinds_take_the_maps_region_or_their_own() {
        let m = parse_str(GOOD).expect("parses");
        assert_eq!(m.region, Region::DEFAULT);
        let with_phones = GOOD.replace(
            "customer_id = \"text\"\n",
            "customer_id = \"text\"\nphone = \"phone\"\nde_phone = { kind = \"phone\", region = \"DE\" }\nus = { kind = \"phone\", region = \"us\" }\nmail2 = { kind = \"email\" }\n",
        );
        let m = parse_str(&with_phones).expect("parses");
        let kind = |n: &str| m.identifier(n).expect(n).kind;
        assert_eq!(kind("phone"), Kind::Phone(Region::DEFAULT));
        assert_eq!(
            kind("de_phone"),
            Kind::Phone(Region::parse("DE").expect("DE"))
        );
        assert_eq!(kind("us"), Kind::Phone(Region::parse("US").expect("US")));
        assert_eq!(kind("mail2"), Kind::Email);
        let m = parse_str(&with_phones.replace("version = 1\n", "version = 1\nregion = \"US\"\n"))
            .expect("parses");
        assert_eq!(m.region.as_str(), "US");
        assert_eq!(
            m.identifier("phone").expect("phone").kind,
            Kind::Phone(m.region)
        );
        assert_eq!(
            m.identifier("de_phone").expect("de").kind,
            Kind::Phone(Region::parse("DE").expect("DE"))
        );
    }

    #[test]
    fn unknown_regions_are_map_errors_at_their_position() {
        let map = GOOD
            .replace("version = 1\n", "version = 1\nregion = \"XX\"\n")
            .replace(
                "customer_id = \"text\"\n",
                "customer_id = \"text\"\nphone = { kind = \"phone\", region = \"Sweden\" }\nmail = { kind = \"email\", region = \"SE\" }\nfax = { kind = \"fax\" }\n",
            );
        let e = errors(&map);
        let hint = "  hint: a region is an ISO 3166 alpha-2 code such as \"SE\", \"DE\" or \"US\"";
        assert_eq!(
            e,
            [
                format!("m.toml:3:10: error: region: unknown region \"XX\" for phone numbers\n{hint}"),
                format!("m.toml:13:36: error: identifiers.phone.region: unknown region \"Sweden\" for phone numbers\n{hint}"),
                "m.toml:14:35: error: identifiers.mail.region: only a phone kind takes a region, and this one is \"email\"\n  hint: remove region, or set kind = \"phone\"".to_string(),
                "m.toml:15:16: error: identifiers.fax: unknown identifier kind \"fax\"; expected one of: email, personnummer, phone, text".to_string(),
            ]
        );
        let e = errors(&GOOD.replace(
            "customer_id = \"text\"\n",
            "customer_id = \"text\"\nphone = { kind = \"phone\", area = \"08\" }\n",
        ));
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("m.toml:12:") && e[0].contains("unknown field `area`"),
            "{}",
            e[0]
        );
    }

    #[test]
    fn a_good_map_becomes_typed() {
        let m = parse_str(GOOD).expect("valid");
        assert_eq!(m.tables.len(), 2);
        let c = &m.tables[0];
        assert!(c.subjects);
        assert_eq!(c.identify[0].columns, ["email", "alt_email"]);
        assert_eq!(c.identify[1].kind, Kind::Personnummer);
        assert_eq!(c.on_erase, OnErase::Anonymize);
        assert_eq!(
            c.column("name").map(|c| c.erase.clone()),
            Some(Strategy::Redact("[borttaget]".into()))
        );
        assert_eq!(
            c.column("email").map(|c| c.erase.clone()),
            Some(Strategy::Hash)
        );
        assert!(!c.column("secret").expect("secret").extract);
        assert_eq!(
            c.categories(),
            [
                "identity.name",
                "contact.email",
                "identity.national_id",
                "auth.secret"
            ]
        );
        assert_eq!(
            c.retention.as_ref().map(|r| r.describe(false)),
            Some("2 years after closed_at".into())
        );
        let i = &m.tables[1];
        assert_eq!(i.links.len(), 2);
        assert_eq!(i.links[1].on, [("payer_id".to_string(), "id".to_string())]);
        assert_eq!(i.links[1].on_erase, Some(OnErase::Anonymize));
        let h = i.hold.as_ref().expect("hold");
        assert!(h.year_end);
        assert_eq!(
            h.describe(false),
            "7 years, to the end of the year, after issued"
        );
        assert_eq!(h.describe(true), "7 år, till årets slut, efter issued");
    }

    #[test]
    fn every_problem_is_listed_with_its_position() {
        let bad = GOOD
            .replace("version = 1", "version = 2")
            .replace("customer_id = \"text\"", "customer_id = \"number\"")
            .replace(
                "on_erase = \"anonymize\"\nretention",
                "on_erase = \"forget\"\nretention",
            )
            .replace("keep = \"2y\"", "keep = \"2x\"")
            .replace("round = \"year_end\"", "round = \"month_end\"")
            .replace("erase = \"hash\"", "erase = \"hash\", with = \"x\"");
        let e = errors(&bad);
        assert_eq!(e.len(), 7, "{e:#?}");
        assert_eq!(e[0], "m.toml:2:11: error: version: version 2 is not supported; this dsr reads version 1\n  hint: set version = 1");
        assert!(
            e[1].starts_with(
                "m.toml:11:15: error: identifiers.customer_id: unknown identifier kind \"number\""
            ),
            "{}",
            e[1]
        );
        assert!(
            e.iter().any(|x| x.starts_with(
                "m.toml:18:12: error: tables.customers.on_erase: unknown on_erase \"forget\""
            )),
            "{e:#?}"
        );
        assert!(e.iter().any(|x| x.contains("tables.customers.retention.keep: duration \"2x\" has no unit")), "{e:#?}");
        assert!(
            e.iter()
                .any(|x| x.contains("tables.invoices.hold.round: unknown round \"month_end\"")),
            "{e:#?}"
        );
        assert!(
            e.iter()
                .any(|x| x.contains("`with` only goes with erase = \"redact\"")),
            "{e:#?}"
        );
        assert!(
            e.iter().any(|x| x
                .contains("identify.customer_id: identifier kind \"customer_id\" is not declared")),
            "{e:#?}"
        );
    }

    #[test]
    fn links_must_name_mapped_tables_and_columns() {
        let e = errors(&GOOD.replace(
            "{ to = \"customers\", on = { payer_id",
            "{ to = \"payers\", on = { payer_id",
        ));
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(
            e[0].contains(
                "tables.invoices.link[1]: links to \"payers\", which is not a table in the map"
            ),
            "{}",
            e[0]
        );
        let e = errors(&GOOD.replace("on = { customer_id = \"id\" } },", "on = { } },"));
        assert!(e[0].contains("`on` names no columns"), "{e:#?}");
        let e = errors(&GOOD.replace(
            "on = { customer_id = \"id\" } },",
            "on = { customer_id = 5 } },",
        ));
        assert!(
            e[0].contains("`on.customer_id` must name a column"),
            "{e:#?}"
        );
        let e = errors(&GOOD.replace(
            "{ to = \"customers\", on = { customer_id = \"id\" } },",
            "{ to = \"customers\", of = 1 },",
        ));
        assert!(
            e[0].contains("tables.invoices.link[0]") && e[0].contains("of"),
            "{e:#?}"
        );
    }

    #[test]
    fn shape_errors_and_syntax_errors_differ() {
        let e = parse_str("version = 1\n[controller\n").expect_err("syntax");
        assert_eq!(e[0].place, "syntax");
        let e =
            parse_str(&GOOD.replace("purpose = \"Billing\"\n", "")).expect_err("missing purpose");
        assert_eq!(e[0].place, "map");
        assert!(e[0].message.contains("purpose"), "{}", e[0].message);
        let e = parse_str(
            &GOOD
                .replace("[tables.customers]", "[tables._dsr_audit]")
                .replace("[tables.customers.columns]", "[tables._dsr_audit.columns]")
                .replace("to = \"customers\"", "to = \"_dsr_audit\""),
        )
        .expect_err("tool table");
        assert!(e[0].message.contains("belong to dsr itself"));
    }

    #[test]
    fn labels_language_and_zone_are_read_and_checked() {
        let m = parse_str(&(GOOD.replace(
            "version = 1\n",
            "version = 1\nlanguage = \"sv\"\ntimezone = \"Europe/Helsinki\"\n",
        ).replace(
            "[tables.customers]\nsubjects = true\n",
            "[tables.customers]\nsubjects = true\nlabel = { sv = \"Kunder\", en = \"Customers\" }\nkeep_reason = \"lagen\"\n",
        ).replace(
            "pnr = { category",
            "pnr = { label = { en = \"National id\" }, description = \"Tio siffror\", category",
        ) + "\n[labels.categories]\n\"usage.heat\" = { sv = \"Värme\", en = \"Heat\" }\n"))
        .expect("valid");
        assert_eq!(m.language, Some(Lang::Sv));
        assert_eq!(m.timezone_name, "Europe/Helsinki");
        let c = &m.tables[0];
        assert_eq!(c.label, Some(Text::new("Kunder", "Customers")));
        assert_eq!(c.keep_reason, Some(Text::new("lagen", "lagen")));
        let pnr = c.column("pnr").expect("pnr");
        // One language stands in for the other.
        assert_eq!(pnr.label, Some(Text::new("National id", "National id")));
        assert_eq!(
            pnr.description,
            Some(Text::new("Tio siffror", "Tio siffror"))
        );
        assert_eq!(
            m.labels.categories,
            [("usage.heat".to_string(), Text::new("Värme", "Heat"))]
        );
        assert_eq!(m.tables[1].label, None);

        let e = errors(
            &(GOOD
                .replace(
                    "version = 1\n",
                    "version = 1\nlanguage = \"de\"\ntimezone = \"Mars/Olympus\"\n",
                )
                .replace(
                    "[tables.customers]\nsubjects = true\n",
                    "[tables.customers]\nsubjects = true\nlabel = {}\n",
                )
                + "\n[labels.legal_bases]\nwhim = { sv = \"nyck\", en = \"whim\" }\n"),
        );
        assert_eq!(
            e,
            [
                "m.toml:3:12: error: language: unknown language \"de\"; expected one of: sv, en",
                "m.toml:4:12: error: timezone: unknown time zone \"Mars/Olympus\"; give an IANA name such as Europe/Stockholm",
                "m.toml:39:1: error: labels.legal_bases.whim: unknown legal basis \"whim\"; expected one of: consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests",
                "m.toml:17:9: error: tables.customers.label: gives no text\n  hint: write { sv = \"…\", en = \"…\" }, or one text for both languages",
            ]
        );
    }

    #[test]
    fn a_map_with_no_tables_is_refused() {
        let e =
            errors("version = 1\n[controller]\nname = \"a\"\ncontact = \"b\"\nauthority = \"c\"\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("the map names no tables"));
    }
}
