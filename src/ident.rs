//! Identifier kinds: normalising them to canonical keys, listing the forms a
//! store may hold them in, and finding them in free text.
//!
//! A data subject writes an identifier however they like, and the store may
//! hold the same identifier in yet another form. Both sides are mapped to one
//! canonical key so they compare equal (DESIGN §2: stored values are
//! normalised like requests); the written forms and prefixes let lookups use
//! an index, and the digit patterns let free-text columns be scanned for
//! mentions.
//!
//! Error messages never echo the value: a personnummer is sensitive and must
//! not end up in logs, terminals or the audit trail.

mod phone;

use std::fmt;
use std::ops::Range;

use jiff::civil::Date;

pub use phone::Region;

/// The longest identifier value accepted, in bytes. Real identifiers are far
/// shorter; anything longer is a pasting mistake, and refusing it early keeps
/// it out of SQL patterns and error messages.
pub const MAX_LEN: usize = 1024;

/// The identifier kinds a data map may declare (`[identifiers] email = "email"` etc.).
/// A phone kind carries the region its numbers are read in when written
/// without a country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Email,
    Personnummer,
    Phone(Region),
    Text,
}

impl Kind {
    /// The kind named in a data map; exact lowercase names only, so a map
    /// means the same thing everywhere. `region` is the one a phone kind
    /// reads national numbers in.
    pub fn parse(s: &str, region: Region) -> Option<Kind> {
        match s {
            "email" => Some(Kind::Email),
            "personnummer" => Some(Kind::Personnummer),
            "phone" => Some(Kind::Phone(region)),
            "text" => Some(Kind::Text),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Personnummer => "personnummer",
            Kind::Phone(_) => "phone",
            Kind::Text => "text",
        }
    }

    /// The kind with its region, as one token (`phone:DE`), for passing a
    /// kind through a store's SQL function; [`Kind::from_code`] reads it.
    pub fn code(&self) -> String {
        match self {
            Kind::Phone(r) => format!("phone:{r}"),
            k => k.as_str().to_string(),
        }
    }

    pub fn from_code(s: &str) -> Option<Kind> {
        match s.split_once(':') {
            Some(("phone", r)) => Region::parse(r).map(Kind::Phone),
            Some(_) => None,
            None => Kind::parse(s, Region::DEFAULT),
        }
    }

    /// The expected form, for error messages.
    fn expected(&self) -> String {
        match self {
            Kind::Email => "an address such as name@example.se".into(),
            Kind::Personnummer => PNR_FORMS.into(),
            Kind::Phone(r) => phone_forms(*r),
            Kind::Text => "a non-blank value".into(),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const PNR_FORMS: &str =
    "YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN, YYYYMMDDNNNN or YYYYMMDD-NNNN; a space or an en dash may stand for the '-'";

fn phone_forms(r: Region) -> String {
    format!(
        "a number of region {r} such as {}, or any number with + and its country code, e.g. +46 70 123 45 67",
        if r == Region::DEFAULT { "070-123 45 67" } else { "its national form" }
    )
}

/// Why a value is not a valid identifier. No variant carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    #[error("{kind}: the value is empty (expected {expected})", kind = .0, expected = .0.expected())]
    Empty(Kind),
    #[error(
        "{kind}: the value is {len} bytes long, more than the {MAX_LEN} an identifier may have; \
         check what was pasted",
        kind = .0, len = .1
    )]
    TooLong(Kind, usize),
    #[error(
        "email: expected exactly one '@' with a non-empty part before it, a domain after it \
         and no spaces (e.g. name@example.se)"
    )]
    Email,
    #[error("personnummer: wrong length or characters (expected {PNR_FORMS})")]
    PnrFormat,
    #[error(
        "personnummer: the date part is not a valid date (expected {PNR_FORMS} with a real \
         month and day; a samordningsnummer adds 60 to the day)"
    )]
    PnrDate,
    #[error(
        "personnummer: the check digit is wrong (expected YYMMDD-NNNN or YYYYMMDD-NNNN with a \
         valid Luhn check digit)"
    )]
    PnrCheckDigit,
    #[error(
        "phone: only digits, spaces, '-', '.', '/', '(', ')' and a leading '+' are allowed \
         (e.g. 070-123 45 67 or +46 70 123 45 67)"
    )]
    PhoneCharacters,
    #[error(
        "phone: not a valid phone number when read in region {0} (expected {expected}); a number \
         from another country needs + or 00 and its country code",
        expected = phone_forms(*.0)
    )]
    PhoneInvalid(Region),
}

/// Starts building, in the background, what reading phone numbers of
/// these kinds will need (see `phone::warm`, once per region).
pub fn warm<'a>(kinds: impl IntoIterator<Item = &'a Kind>) {
    for k in kinds {
        if let Kind::Phone(r) = k {
            phone::warm(*r);
        }
    }
}

/// Normalise a value given by the user in a request to its canonical key.
/// `today` is used only for personnummer century inference.
pub fn normalize(kind: Kind, raw: &str, today: Date) -> Result<String, IdentError> {
    if raw.len() > MAX_LEN {
        return Err(IdentError::TooLong(kind, raw.len()));
    }
    match kind {
        Kind::Email => email_key(raw),
        Kind::Personnummer => pnr_key(raw, today),
        Kind::Phone(region) => phone::key(raw, region),
        Kind::Text => match raw.trim() {
            "" => Err(IdentError::Empty(Kind::Text)),
            t => Ok(t.to_string()),
        },
    }
}

/// Normalise a value as stored in a column, exactly as a request's value is
/// normalised; `None` when it is not a valid value of that kind (stored data
/// may be messy, which is not an error).
pub fn normalize_stored(kind: Kind, raw: &str, today: Date) -> Option<String> {
    normalize(kind, raw, today).ok()
}

/// The written forms of a canonical key that a column may hold, for an
/// indexed `col IN (…)` lookup. Deterministic order, no duplicates.
///
/// For a personnummer the ten-digit forms with `-` and `+` are both listed,
/// since which one applies depends on the date of the lookup; ten-digit
/// forms are ambiguous across centuries, so callers should confirm each
/// candidate row with [`normalize_stored`]. Email keys are lowercase, so an
/// email column is best compared case-insensitively. A key that is not
/// canonical is returned as its only form. The list is not exhaustive
/// (padding, phone groupings): [`stored_prefixes`] is, where it applies.
pub fn stored_forms(kind: Kind, key: &str) -> Vec<String> {
    let forms = match kind {
        Kind::Email | Kind::Text => vec![key.to_string()],
        Kind::Personnummer => match pnr_parts(key) {
            Some((cc, ten)) => {
                let (date, tail) = ten.split_at(6);
                vec![
                    format!("{cc}{date}-{tail}"),
                    format!("{cc}{ten}"),
                    format!("{date}-{tail}"),
                    format!("{date}+{tail}"),
                    ten.to_string(),
                    format!("{cc}{date} {tail}"),
                    format!("{date} {tail}"),
                    format!("{cc}{date}\u{2013}{tail}"),
                    format!("{date}\u{2013}{tail}"),
                ]
            }
            None => vec![key.to_string()],
        },
        Kind::Phone(_) => phone::forms(key),
    };
    dedup(forms)
}

/// Prefixes for a lookup by index ranges: every stored value that
/// normalises to `key` starts with one of these, or with a whitespace
/// character (which normalisation trims, so each is listed as a prefix of
/// its own). Candidates found this way must be confirmed with
/// [`normalize_stored`]; the set is complete, unlike [`stored_forms`].
///
/// Email prefixes are meant for a comparison that ignores ASCII case (a
/// NOCASE index): the key up to its first character that a stored value may
/// write as something other than an ASCII case variant (a non-ASCII letter,
/// or the `k` of a Kelvin sign), then each way of writing that character.
/// `None` for phone numbers: a stored number may begin with any country or
/// trunk prefix, so no prefix is common to its forms.
pub fn stored_prefixes(kind: Kind, key: &str) -> Option<Vec<String>> {
    let mut out = match kind {
        Kind::Phone(_) => return None,
        Kind::Text => vec![key.to_string()],
        Kind::Email => email_prefixes(key),
        Kind::Personnummer => match pnr_parts(key) {
            // The twelve-digit forms start with century and date, the
            // ten-digit ones with the date.
            Some(_) => vec![key[..8].to_string(), key[2..8].to_string()],
            None => vec![key.to_string()],
        },
    };
    out.extend(whitespace().map(String::from));
    Some(dedup(out))
}

/// Every character `str::trim` removes (all are below U+3001).
fn whitespace() -> impl Iterator<Item = char> {
    ('\0'..='\u{3000}').filter(|c| c.is_whitespace())
}

/// Byte ranges in `text` where the identifier (canonical key) is mentioned in
/// any common written form. Non-overlapping, ascending.
pub fn find_mentions(kind: Kind, key: &str, text: &str) -> Vec<Range<usize>> {
    match kind {
        Kind::Email => email_mentions(key, text),
        Kind::Text => text_mentions(key, text),
        Kind::Personnummer => match pnr_parts(key) {
            Some((_, ten)) => {
                let patterns = [key.to_string(), ten.to_string()];
                digit_mentions(text, &patterns, &['-', '+', ' ', '\u{2013}'], 1, false)
            }
            None => Vec::new(),
        },
        Kind::Phone(_) => {
            let patterns = phone::digit_patterns(key);
            digit_mentions(text, &patterns, &[' ', '-', '.', '/', '(', ')'], 3, true)
        }
    }
}

/// Digits that every stored value normalising to `key` contains, in this
/// order, for narrowing a scan before each candidate is normalised. For a
/// phone: the last six digits of its national significant number (a trunk
/// prefix rule may rewrite the leading digits of a national form, as in
/// Argentina, but never the subscriber's). `None` for the other kinds, whose
/// lookups go by [`stored_prefixes`].
pub fn required_digits(kind: Kind, key: &str) -> Option<String> {
    match kind {
        Kind::Phone(_) => {
            let nsn = phone::national_digits(key)?;
            Some(nsn[nsn.len().saturating_sub(6)..].to_string())
        }
        _ => None,
    }
}

/// The digits every written mention of a phone key contains, in order (its
/// national significant number), for narrowing a free-text search before
/// [`find_mentions`] decides; `None` when `key` is not a phone key.
pub fn phone_national_digits(key: &str) -> Option<String> {
    phone::national_digits(key)
}

/// `text` with each range replaced by `with`. Ranges that are out of order,
/// overlap an earlier one or do not fall on character boundaries are skipped
/// rather than panicking.
pub fn replace_ranges(text: &str, ranges: &[Range<usize>], with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for r in ranges {
        if r.start < pos || r.end < r.start {
            continue;
        }
        if let (Some(before), Some(_)) = (text.get(pos..r.start), text.get(r.clone())) {
            out.push_str(before);
            out.push_str(with);
            pos = r.end;
        }
    }
    out.push_str(text.get(pos..).unwrap_or_default());
    out
}

// ---------------------------------------------------------------- email

fn email_key(raw: &str) -> Result<String, IdentError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(IdentError::Empty(Kind::Email));
    }
    match s.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace) =>
        {
            Ok(s.to_lowercase())
        }
        _ => Err(IdentError::Email),
    }
}

/// See [`stored_prefixes`]: the key, with each character whose stored
/// forms a NOCASE comparison does not cover written in each of those forms
/// (`erik@x.se`: `erik@x.se` and `eri\u{212A}@x.se`, for the Kelvin sign).
/// Where that would make more than [`MAX_EMAIL_PREFIXES`], the prefixes end
/// before the character: shorter, still complete, each a wider range read.
fn email_prefixes(key: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        let variants: Vec<String> = if !c.is_ascii() {
            case_variants(c)
        } else if c == 'k' {
            // The Kelvin sign lowercases to an ASCII k.
            vec!["k".into(), "\u{212A}".into()]
        } else if c == 'i' && chars.peek() == Some(&'\u{307}') {
            // İ lowercases to i and a combining dot: one stored character
            // for two of the key's.
            chars.next();
            vec!["i\u{307}".into(), "\u{130}".into()]
        } else {
            out.iter_mut().for_each(|p| p.push(c));
            continue;
        };
        if out.len() * variants.len() > MAX_EMAIL_PREFIXES {
            break;
        }
        out = out
            .iter()
            .flat_map(|p| variants.iter().map(move |v| format!("{p}{v}")))
            .collect();
    }
    out
}

/// At most this many email prefixes, each one range read of the index.
const MAX_EMAIL_PREFIXES: usize = 32;

/// Characters that lowercase to `c` (as part of a key made by
/// `str::to_lowercase`): itself, its uppercase, and the few compatibility
/// and titlecase letters that map to it too.
fn case_variants(c: char) -> Vec<String> {
    let mut out = vec![c.to_string()];
    let mut upper = c.to_uppercase();
    if let (Some(u), None) = (upper.next(), upper.next()) {
        out.push(u.to_string());
    }
    for &(lower, other) in odd_case() {
        if lower == c {
            out.push(other.to_string());
        }
    }
    dedup(out)
}

/// (lowercase, a character that lowercases to it but is neither it nor its
/// uppercase: titlecase digraphs, the Kelvin and Ångström signs, Greek
/// letters with iota subscript). Read once from the standard library's own
/// Unicode tables, so it cannot fall out of step with `to_lowercase`; every
/// character with a case mapping lies below U+20000.
fn odd_case() -> &'static [(char, char)] {
    static ODD: std::sync::OnceLock<Vec<(char, char)>> = std::sync::OnceLock::new();
    ODD.get_or_init(|| {
        ('\0'..'\u{20000}')
            .filter_map(|d| {
                let mut lower = d.to_lowercase();
                let (Some(c), None) = (lower.next(), lower.next()) else {
                    return None;
                };
                let mut upper = c.to_uppercase();
                let round_trips = matches!((upper.next(), upper.next()), (Some(u), None) if u == d);
                (c != d && !round_trips && !c.is_ascii()).then_some((c, d))
            })
            .collect()
    })
}

/// Characters that may continue an address, so a match next to one is part
/// of a different address.
fn is_email_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '@')
}

fn email_mentions(key: &str, text: &str) -> Vec<Range<usize>> {
    let key = key.trim().to_lowercase();
    if key.is_empty() {
        return Vec::new();
    }
    scan(text, |start| {
        if text[..start].chars().next_back().is_some_and(is_email_char) {
            return None;
        }
        let end = match_lowercase(text, start, &key)?;
        let mut after = text[end..].chars();
        let bounded = match after.next() {
            None => true,
            // A full stop ending a sentence is not part of the address.
            Some('.') => after.next().is_none_or(|c| !is_email_char(c)),
            Some(c) => !is_email_char(c),
        };
        bounded.then_some(end)
    })
}

/// End of a case-insensitive match of the lowercase `key` at `start`.
fn match_lowercase(text: &str, start: usize, key: &str) -> Option<usize> {
    let mut want = key.chars();
    for (off, c) in text[start..].char_indices() {
        for lc in c.to_lowercase() {
            if want.next() != Some(lc) {
                return None;
            }
        }
        if want.as_str().is_empty() {
            return Some(start + off + c.len_utf8());
        }
    }
    None
}

// ---------------------------------------------------------------- text

fn text_mentions(key: &str, text: &str) -> Vec<Range<usize>> {
    if key.is_empty() {
        return Vec::new();
    }
    scan(text, |start| {
        if !text[start..].starts_with(key)
            || text[..start]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
        {
            return None;
        }
        let end = start + key.len();
        let next = text[end..].chars().next();
        (!next.is_some_and(char::is_alphanumeric)).then_some(end)
    })
}

/// Tries `at` at every character boundary, skipping past each match, so the
/// result is ascending and non-overlapping.
fn scan(text: &str, mut at: impl FnMut(usize) -> Option<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut next = 0;
    for (i, _) in text.char_indices() {
        if i < next {
            continue;
        }
        if let Some(end) = at(i).filter(|&end| end > i) {
            out.push(i..end);
            next = end;
        }
    }
    out
}

// ---------------------------------------------------------------- personnummer

fn pnr_key(raw: &str, today: Date) -> Result<String, IdentError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(IdentError::Empty(Kind::Personnummer));
    }
    let mut digits = Vec::with_capacity(12);
    // The separator and how many digits come before it. A space or an en
    // dash is written where the '-' goes.
    let mut sep: Option<(usize, char)> = None;
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c as u8 - b'0'),
            '-' | '+' | ' ' | '\u{2013}' if sep.is_none() => sep = Some((digits.len(), c)),
            _ => return Err(IdentError::PnrFormat),
        }
    }
    let ok_sep = |at| sep.is_none_or(|(n, _)| n == at);
    let n = |d: &[u8]| d.iter().fold(0i16, |acc, &x| acc * 10 + i16::from(x));
    let (year, rest) = match digits.len() {
        12 if ok_sep(8) => (n(&digits[..4]), &digits[4..]),
        10 if ok_sep(6) => {
            let plus = matches!(sep, Some((_, '+')));
            let year = infer_year(
                n(&digits[..2]),
                n(&digits[2..4]),
                n(&digits[4..6]),
                plus,
                today,
            );
            (year, &digits[2..])
        }
        _ => return Err(IdentError::PnrFormat),
    };
    birth_date(year, n(&rest[..2]), n(&rest[2..4])).ok_or(IdentError::PnrDate)?;
    let key: String = format!("{year:04}")
        .chars()
        .chain(rest.iter().map(|&d| char::from(b'0' + d)))
        .collect();
    let ten = &key.as_bytes()[2..];
    if luhn(&ten[..9]) != ten[9] - b'0' {
        return Err(IdentError::PnrCheckDigit);
    }
    Ok(key)
}

/// The birth date, undoing the samordningsnummer's day + 60.
fn birth_date(year: i16, month: i16, day: i16) -> Option<Date> {
    let day = if day > 60 { day - 60 } else { day };
    let (m, d) = (i8::try_from(month).ok()?, i8::try_from(day).ok()?);
    Date::new(year, m, d).ok().filter(|_| year >= 0)
}

/// The year of a ten-digit number. With `-` or no separator: the latest year
/// ending in `yy` whose birth date is not after `today`. With `+` (the person
/// is 100 or older): a century before that, except that the `+` is written
/// from the start of the year a person turns 100, so a birthday later this
/// year still means 100 years ago, not 200. An invalid date is left for the
/// caller to report.
fn infer_year(yy: i16, month: i16, day: i16, plus: bool, today: Date) -> i16 {
    let latest = |max: i16| max - (max - yy).rem_euclid(100);
    if plus {
        return latest(today.year() - 100);
    }
    let year = latest(today.year());
    if birth_date(year, month, day).is_none_or(|d| d > today) {
        year - 100
    } else {
        year
    }
}

/// Luhn check digit over ASCII digits, doubling from the first.
fn luhn(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let v = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A canonical key split into century and ten-digit form.
fn pnr_parts(key: &str) -> Option<(&str, &str)> {
    (key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit())).then(|| key.split_at(2))
}

// ---------------------------------------------------------------- digit matching

/// Occurrences of any of the digit `patterns` in `text`, with up to `max_sep`
/// characters from `seps` between consecutive digits, bounded by non-digits.
fn digit_mentions(
    text: &str,
    patterns: &[String],
    seps: &[char],
    max_sep: usize,
    absorb_plus: bool,
) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    for start in 0..b.len() {
        let prev = start.checked_sub(1).map(|i| b[i]);
        if !b[start].is_ascii_digit() || prev.is_some_and(|p| p.is_ascii_digit()) {
            continue;
        }
        for p in patterns {
            let Some(end) = digits_at(text, start, p.as_bytes(), seps, max_sep) else {
                continue;
            };
            if b.get(end).is_some_and(u8::is_ascii_digit) {
                continue;
            }
            // A leading '+' belongs to the number, and so does a '(' whose
            // ')' is inside the match, so no stray sign or bracket is left.
            let mut from = start;
            if absorb_plus && prev == Some(b'+') {
                from -= 1;
            }
            let inner = &b[from..end];
            let unbalanced = inner.iter().filter(|&&c| c == b')').count()
                > inner.iter().filter(|&&c| c == b'(').count();
            if unbalanced && from > 0 && b[from - 1] == b'(' {
                from -= 1;
            }
            found.push(from..end);
        }
    }
    // Prefer the earliest, then the longest, match.
    found.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in found {
        if out.last().is_none_or(|last| r.start >= last.end) {
            out.push(r);
        }
    }
    out
}

/// End of `pattern` matched at `start` (a digit, so a character boundary),
/// allowing separators between digits.
fn digits_at(
    text: &str,
    start: usize,
    pattern: &[u8],
    seps: &[char],
    max_sep: usize,
) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = start;
    for (n, want) in pattern.iter().enumerate() {
        if n > 0 {
            let mut run = 0;
            while run < max_sep {
                match text.get(i..).and_then(|t| t.chars().next()) {
                    Some(c) if seps.contains(&c) => {
                        i += c.len_utf8();
                        run += 1;
                    }
                    _ => break,
                }
            }
        }
        if b.get(i) != Some(want) {
            return None;
        }
        i += 1;
    }
    (!pattern.is_empty()).then_some(i)
}

fn dedup(forms: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(forms.len());
    for f in forms {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
// Expected results are often exactly one byte range.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn today() -> Date {
        date(2026, 6, 15)
    }

    fn pnr(raw: &str) -> Result<String, IdentError> {
        normalize(Kind::Personnummer, raw, today())
    }

    const SE: Kind = Kind::Phone(Region::DEFAULT);

    fn region(r: &str) -> Kind {
        Kind::Phone(Region::parse(r).expect("region"))
    }

    fn phone(raw: &str) -> Result<String, IdentError> {
        normalize(SE, raw, today())
    }

    fn phone_in(r: &str, raw: &str) -> Result<String, IdentError> {
        normalize(region(r), raw, today())
    }

    #[test]
    fn kind_names_round_trip() {
        let de = region("DE");
        for k in [Kind::Email, Kind::Personnummer, SE, de, Kind::Text] {
            let r = match k {
                Kind::Phone(r) => r,
                _ => Region::DEFAULT,
            };
            assert_eq!(Kind::parse(k.as_str(), r), Some(k));
            assert_eq!(Kind::from_code(&k.code()), Some(k));
        }
        assert_eq!(de.code(), "phone:DE");
        assert_eq!(Kind::parse("Email", Region::DEFAULT), None);
        assert_eq!(Kind::parse("ssn", Region::DEFAULT), None);
        assert_eq!(Kind::from_code("phone:XX"), None);
        assert_eq!(Kind::from_code("email:SE"), None);
    }

    #[test]
    fn regions_are_iso_codes_with_metadata() {
        assert_eq!(Region::parse("SE"), Some(Region::DEFAULT));
        assert_eq!(
            Region::parse("us").map(|r| r.to_string()).as_deref(),
            Some("US")
        );
        for bad in ["", "S", "XX", "SWE", "001", "S1", "ÅÄ"] {
            assert_eq!(Region::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn over_long_values_are_refused_without_echo() {
        let long = "7".repeat(50_000);
        for k in [Kind::Email, Kind::Personnummer, SE, Kind::Text] {
            let e = normalize(k, &long, today()).unwrap_err();
            assert_eq!(e, IdentError::TooLong(k, 50_000));
            let msg = e.to_string();
            assert!(msg.len() < 200 && !msg.contains("7777"), "{msg}");
            assert!(msg.contains("50000 bytes") && msg.contains("1024"), "{msg}");
        }
        let edge = format!("{}@x.se", "a".repeat(MAX_LEN - 5));
        assert_eq!(edge.len(), MAX_LEN);
        assert!(normalize(Kind::Email, &edge, today()).is_ok());
        assert!(normalize(Kind::Email, &format!("a{edge}"), today()).is_err());
        assert_eq!(normalize_stored(Kind::Text, &long, today()), None);
    }

    #[test]
    fn personnummer_all_forms() {
        let key = Ok("198112189876".to_string());
        for form in [
            "811218-9876",
            "8112189876",
            "198112189876",
            "19811218-9876",
            "19811218+9876",
            "  811218-9876\n",
            "811218 9876",
            "19811218 9876",
            "811218\u{2013}9876",
            "19811218\u{2013}9876",
        ] {
            assert_eq!(pnr(form), key, "{form}");
        }
    }

    #[test]
    fn personnummer_century() {
        assert_eq!(pnr("121212-1212").as_deref(), Ok("201212121212"));
        assert_eq!(pnr("121212+1212").as_deref(), Ok("191212121212"));
        // Born on 2026-06-16 would be tomorrow: last century.
        let d = "260616-000";
        let c = luhn(&d.replace('-', "").into_bytes());
        assert_eq!(pnr(&format!("{d}{c}")).unwrap(), format!("19260616000{c}"));
        let d = "260615-000";
        let c = luhn(&d.replace('-', "").into_bytes());
        assert_eq!(pnr(&format!("{d}{c}")).unwrap(), format!("20260615000{c}"));
        // '+' from the start of the year of the 100th birthday.
        let d = "261201+000";
        let c = luhn(&d.replace('+', "").into_bytes());
        assert_eq!(pnr(&format!("{d}{c}")).unwrap(), format!("19261201000{c}"));
        assert_eq!(
            pnr(&format!("261201-000{c}")).unwrap(),
            format!("19261201000{c}")
        );
    }

    #[test]
    fn samordningsnummer() {
        assert_eq!(pnr("701063-2391").as_deref(), Ok("197010632391"));
        assert_eq!(pnr("197010632391").as_deref(), Ok("197010632391"));
    }

    #[test]
    fn personnummer_errors() {
        assert_eq!(pnr("811218-9875"), Err(IdentError::PnrCheckDigit));
        assert_eq!(pnr("811318-9876"), Err(IdentError::PnrDate));
        assert_eq!(pnr("810231-9876"), Err(IdentError::PnrDate));
        assert_eq!(pnr("811292-9876"), Err(IdentError::PnrDate));
        assert_eq!(pnr("19000229-0000"), Err(IdentError::PnrDate));
        assert_eq!(pnr("81121-9876"), Err(IdentError::PnrFormat));
        assert_eq!(pnr("81121898765"), Err(IdentError::PnrFormat));
        assert_eq!(pnr("8112-189876"), Err(IdentError::PnrFormat));
        assert_eq!(pnr("811218--9876"), Err(IdentError::PnrFormat));
        assert_eq!(pnr("8112 189876"), Err(IdentError::PnrFormat));
        assert_eq!(pnr("811218 - 9876"), Err(IdentError::PnrFormat));
        assert_eq!(pnr("811218\u{2014}9876"), Err(IdentError::PnrFormat));
        assert_eq!(pnr("abcdef-ghij"), Err(IdentError::PnrFormat));
        assert_eq!(pnr("   "), Err(IdentError::Empty(Kind::Personnummer)));
        assert_eq!(
            normalize_stored(Kind::Personnummer, "811218-9875", today()),
            None
        );
        let input = "811218-9875";
        for e in [pnr(input), pnr("811318-9876"), pnr("8112-189876"), pnr("")] {
            let msg = e.unwrap_err().to_string();
            assert!(msg.starts_with("personnummer: "), "{msg}");
            assert!(!msg.contains("811218") && !msg.contains("9876"), "{msg}");
            assert!(msg.contains("YYMMDD-NNNN"), "{msg}");
        }
    }

    #[test]
    fn personnummer_stored_forms() {
        assert_eq!(
            stored_forms(Kind::Personnummer, "198112189876"),
            [
                "19811218-9876",
                "198112189876",
                "811218-9876",
                "811218+9876",
                "8112189876",
                "19811218 9876",
                "811218 9876",
                "19811218\u{2013}9876",
                "811218\u{2013}9876",
            ]
        );
        // The fixture's stored forms: a space, an en dash.
        for (stored, key) in [
            ("19801223 1604", "198012231604"),
            ("750601\u{2013}0011", "197506010011"),
        ] {
            assert_eq!(
                normalize_stored(Kind::Personnummer, stored, today()).as_deref(),
                Some(key)
            );
        }
        assert_eq!(stored_forms(Kind::Personnummer, "junk"), ["junk"]);
    }

    #[test]
    fn personnummer_mentions() {
        let key = "198112189876";
        for form in [
            "811218-9876",
            "19811218-9876",
            "8112189876",
            "811218 9876",
            "811218+9876",
            "811218\u{2013}9876",
        ] {
            let text = format!("Kund {form}, ring.");
            assert_eq!(
                find_mentions(Kind::Personnummer, key, &text),
                [5..5 + form.len()]
            );
        }
        assert!(find_mentions(Kind::Personnummer, key, "18112189876").is_empty());
        assert!(find_mentions(Kind::Personnummer, key, "81121898761").is_empty());
        assert!(find_mentions(Kind::Personnummer, key, "811218--9876").is_empty());
        let text = "a 8112189876 b 19811218-9876";
        let r = find_mentions(Kind::Personnummer, key, text);
        assert_eq!(
            replace_ranges(text, &r, "[erased]"),
            "a [erased] b [erased]"
        );
    }

    #[test]
    fn email_forms_and_errors() {
        let e = |s: &str| normalize(Kind::Email, s, today());
        assert_eq!(
            e("  Anna.Berg@Example.SE ").as_deref(),
            Ok("anna.berg@example.se")
        );
        assert_eq!(e("ÅSA@x.se").as_deref(), Ok("åsa@x.se"));
        assert_eq!(e(""), Err(IdentError::Empty(Kind::Email)));
        for bad in [
            "anna",
            "@x.se",
            "anna@",
            "a@b@c",
            "anna@x .se",
            "an na@x.se",
        ] {
            let err = e(bad).unwrap_err();
            assert_eq!(err, IdentError::Email, "{bad}");
            assert!(!err.to_string().contains(bad));
        }
        assert_eq!(stored_forms(Kind::Email, "anna@x.se"), ["anna@x.se"]);
    }

    /// A stored value that normalises to the key starts with one of its
    /// prefixes (compared as NOCASE does), for every character whose
    /// lowercase differs from itself.
    #[test]
    fn email_prefixes_cover_every_case_form() {
        let nocase_starts =
            |s: &str, p: &str| s.to_ascii_lowercase().starts_with(&p.to_ascii_lowercase());
        assert!(!('\u{20000}'..=char::MAX).any(|c| c.to_lowercase().ne(std::iter::once(c))));
        let mut missing = Vec::new();
        for d in '\0'..=char::MAX {
            let lower = d.to_lowercase().to_string();
            if lower == d.to_string() {
                continue;
            }
            for stored in [
                format!("{d}x@y.se"),
                format!("ab{d}@y.se"),
                // After a character of several forms, and before another.
                format!("\u{212A}{d}ö@y.se"),
            ] {
                let key = email_key(&stored).expect("address");
                let prefixes = stored_prefixes(Kind::Email, &key).expect("prefixes");
                if !prefixes.iter().any(|p| nocase_starts(&stored, p)) {
                    missing.push((d, stored));
                }
            }
        }
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn lookup_prefixes() {
        let ws: Vec<String> = whitespace().map(String::from).collect();
        assert_eq!(ws.len(), 25);
        assert!(!('\u{3001}'..=char::MAX).any(char::is_whitespace));
        let without_ws = |k: Kind, key: &str| {
            let mut p = stored_prefixes(k, key).expect("prefixes");
            p.retain(|x| !ws.contains(x));
            p
        };
        assert_eq!(without_ws(Kind::Text, "C-1002"), ["C-1002"]);
        assert_eq!(
            without_ws(Kind::Personnummer, "198012231604"),
            ["19801223", "801223"]
        );
        assert_eq!(without_ws(Kind::Email, "anna@x.se"), ["anna@x.se"]);
        assert_eq!(
            without_ws(Kind::Email, "erik@x.se"),
            ["erik@x.se", "eri\u{212A}@x.se"]
        );
        assert_eq!(
            without_ws(Kind::Email, "åsa.öberg@example.se"),
            [
                "åsa.öberg@example.se",
                "åsa.Öberg@example.se",
                "Åsa.öberg@example.se",
                "Åsa.Öberg@example.se",
                "\u{212B}sa.öberg@example.se",
                "\u{212B}sa.Öberg@example.se",
            ]
        );
        assert_eq!(
            without_ws(Kind::Email, "anna.öst@x.se"),
            ["anna.öst@x.se", "anna.Öst@x.se"]
        );
        assert_eq!(
            without_ws(Kind::Email, "i\u{307}k@x.se"),
            [
                "i\u{307}k@x.se",
                "i\u{307}\u{212A}@x.se",
                "\u{130}k@x.se",
                "\u{130}\u{212A}@x.se",
            ]
        );
        // Six k: 64 forms; the prefixes end before the sixth.
        assert_eq!(
            without_ws(Kind::Email, "kkkkkk@x.se"),
            (0..32)
                .map(|n: u32| (0..5)
                    .map(|b| if n & (16 >> b) == 0 { 'k' } else { '\u{212A}' })
                    .collect::<String>())
                .collect::<Vec<_>>()
        );
        // Every form a request accepts, padded, starts with a prefix.
        for (k, key, stored) in [
            (Kind::Text, "C-1002", "C-1002 "),
            (Kind::Text, "C-1002", "\u{A0}C-1002\t"),
            (Kind::Personnummer, "198012231604", "19801223 1604"),
            (Kind::Personnummer, "198012231604", " 801223-1604 "),
            (Kind::Personnummer, "197506010011", "750601\u{2013}0011"),
        ] {
            assert_eq!(normalize_stored(k, stored, today()).as_deref(), Some(key));
            let p = stored_prefixes(k, key).expect("prefixes");
            assert!(p.iter().any(|p| stored.starts_with(p.as_str())), "{stored}");
        }
    }

    #[test]
    fn unicode_email_both_ways() {
        let e = |s: &str| normalize(Kind::Email, s, today());
        assert_eq!(e("ÅSA.ÖBERG@EXAMPLE.SE"), e("åsa.öberg@example.se"));
        assert_eq!(
            e(" MARY.SMITH@example.com ").as_deref(),
            Ok("mary.smith@example.com")
        );
        assert_ne!(e("asa.oberg@example.se"), e("åsa.öberg@example.se"));
    }

    #[test]
    fn email_mentions() {
        let m = |t: &str| find_mentions(Kind::Email, "anna@x.se", t);
        assert_eq!(m("mail ANNA@X.se."), [5..14]);
        assert_eq!(m("<anna@x.se>, anna@x.se"), [1..10, 13..22]);
        assert_eq!(m("mailto:Anna@x.se"), [7..16]);
        assert!(m("hanna@x.se").is_empty());
        assert!(m("anna@x.se.com").is_empty());
        assert!(m("anna@x.sex").is_empty());
        assert!(m("x.anna@x.se").is_empty());
        assert_eq!(
            find_mentions(Kind::Email, "åsa@x.se", "Från ÅSA@x.se"),
            [6..15]
        );
    }

    #[test]
    fn phone_forms() {
        let key = Ok("+46701234567".to_string());
        for form in [
            "070-123 45 67",
            "0701234567",
            "070 123 45 67",
            "070-1234567",
            "070.123.45.67",
            "(070) 123 45 67",
            "+46701234567",
            "+46 70 123 45 67",
            "+46 (0)70-123 45 67",
            "0046701234567",
            "0046 70 123 45 67",
            "0046 (0)70 123 45 67",
            "+460701234567",
        ] {
            assert_eq!(phone(form), key, "{form}");
        }
        assert_eq!(phone("08-123 456 78").as_deref(), Ok("+46812345678"));
        assert_eq!(phone("046-12 34 56").as_deref(), Ok("+4646123456"));
        assert_eq!(phone("+49 30 1234567").as_deref(), Ok("+49301234567"));
        assert_eq!(phone("0049 30 1234567").as_deref(), Ok("+49301234567"));
    }

    /// DESIGN §2 and issue 9: each number's written forms agree, in the
    /// kind's region, and no two numbers meet.
    #[test]
    fn phone_regions() {
        let us = "+12085558097";
        let de = "+49300074321";
        let se = "+46701234567";
        for (r, form, key) in [
            ("SE", "+1 (208) 555-8097", us),
            ("US", "+1 (208) 555-8097", us),
            ("US", "(208) 555-8097", us),
            ("US", "1-208-555-8097", us),
            ("US", "208.555.8097", us),
            ("DE", "030-0074321", de),
            ("DE", "030 0074321", de),
            ("DE", "+49 30 0074321", de),
            ("SE", "+49 30 0074321", de),
            ("US", "+49 30 0074321", de),
            ("SE", "070-123 45 67", se),
            ("SE", "+46 70 123 45 67", se),
            ("SE", "0046 70 123 45 67", se),
            ("DE", "0046 70 123 45 67", se),
            ("US", "+46 70 123 45 67", se),
        ] {
            assert_eq!(phone_in(r, form).as_deref(), Ok(key), "{form} in {r}");
        }
        // Read in another region, a national form is another number, or none.
        assert_eq!(phone("030-0074321").as_deref(), Ok("+46300074321"));
        for (r, form) in [
            ("SE", "(208) 555-8097"),
            ("US", "070-123 45 67"),
            ("US", "0046 70 123 45 67"),
            ("DE", "070-123 45 67"),
        ] {
            assert_eq!(
                phone_in(r, form),
                Err(IdentError::PhoneInvalid(Region::parse(r).unwrap())),
                "{form} in {r}"
            );
        }
    }

    #[test]
    fn phone_errors() {
        assert_eq!(phone(""), Err(IdentError::Empty(SE)));
        assert_eq!(
            phone("+0701234567"),
            Err(IdentError::PhoneInvalid(Region::DEFAULT))
        );
        assert_eq!(phone("070-ABC 45 67"), Err(IdentError::PhoneCharacters));
        assert_eq!(
            phone("ring 070-123 45 67"),
            Err(IdentError::PhoneCharacters)
        );
        assert_eq!(phone("070+1234567"), Err(IdentError::PhoneCharacters));
        assert_eq!(
            phone("070 12"),
            Err(IdentError::PhoneInvalid(Region::DEFAULT))
        );
        assert_eq!(
            phone("+1234567890123456"),
            Err(IdentError::PhoneInvalid(Region::DEFAULT))
        );
        assert_eq!(phone("--"), Err(IdentError::PhoneInvalid(Region::DEFAULT)));
        let msg = phone("031-987 65 4x").unwrap_err().to_string();
        assert!(!msg.contains("987") && msg.starts_with("phone: "), "{msg}");
        let msg = phone_in("US", "070-987 65 43").unwrap_err().to_string();
        assert!(!msg.contains("987") && msg.contains("region US"), "{msg}");
        assert!(msg.contains("country code"), "{msg}");
    }

    #[test]
    fn phone_stored_forms() {
        assert_eq!(
            stored_forms(SE, "+46701234567"),
            [
                "+46701234567",
                "+46 70 123 45 67",
                "070-123 45 67",
                "0701234567",
                "0046701234567"
            ]
        );
        assert_eq!(
            stored_forms(SE, "+12085558097"),
            [
                "+12085558097",
                "+1 208-555-8097",
                "(208) 555-8097",
                "2085558097",
                "0012085558097"
            ]
        );
        assert_eq!(stored_forms(SE, "junk"), ["junk"]);
        assert_eq!(stored_prefixes(SE, "+46701234567"), None);
        // National forms read in their own region; the 00 form where 00
        // is the international prefix.
        for (r, key) in [
            ("SE", "+46701234567"),
            ("US", "+12085558097"),
            ("DE", "+49300074321"),
        ] {
            for form in stored_forms(SE, key) {
                let own = phone_in(r, &form);
                let from_europe = phone_in("SE", &form);
                assert!(
                    own.as_deref() == Ok(key) || from_europe.as_deref() == Ok(key),
                    "{form}"
                );
            }
        }
    }

    #[test]
    fn phone_mentions() {
        let key = "+46701234567";
        let text = "Ring +46 (0)70-123 45 67 eller 070/123 45 67, ej 0701234567 8.";
        let r = find_mentions(SE, key, text);
        assert_eq!(replace_ranges(text, &r, "X"), "Ring X eller X, ej X 8.");
        assert!(find_mentions(SE, key, "10701234567").is_empty());
        assert!(find_mentions(SE, key, "07012345678").is_empty());
        assert!(find_mentions(SE, "junk", "070").is_empty());
        // International numbers, in whatever kind's region they were found.
        let us = "+12085558097";
        let text =
            "Hans called from +1 208 555 8097 on holiday, or (208) 555-8097, 1-208-555-8097.";
        let r = find_mentions(SE, us, text);
        assert_eq!(
            replace_ranges(text, &r, "X"),
            "Hans called from X on holiday, or X, X."
        );
        assert_eq!(find_mentions(region("US"), us, text), r);
        let de = "+49300074321";
        let text = "Berlin: 030 0074321 / +49 30 0074321 / 0049 (0)30 0074321";
        let r = find_mentions(SE, de, text);
        assert_eq!(replace_ranges(text, &r, "X"), "Berlin: X / X / X");
        // Another number is not a mention.
        assert!(find_mentions(SE, us, "+1 208 555 8098").is_empty());
        assert!(find_mentions(SE, de, "+46 300 07 43 21").is_empty());
        assert_eq!(phone_national_digits(us).as_deref(), Some("2085558097"));
        assert_eq!(
            phone_national_digits("+46701234567").as_deref(),
            Some("701234567")
        );
    }

    #[test]
    fn text_kind() {
        let t = |s: &str| normalize(Kind::Text, s, today());
        assert_eq!(t(" 4711 ").as_deref(), Ok("4711"));
        assert_eq!(t(" \t"), Err(IdentError::Empty(Kind::Text)));
        assert_eq!(stored_forms(Kind::Text, "4711"), ["4711"]);
        assert_eq!(
            find_mentions(Kind::Text, "4711", "kund 4711, ej 47110 el. A4711"),
            [5..9]
        );
        assert!(find_mentions(Kind::Text, "", "abc").is_empty());
    }

    #[test]
    fn replace_ranges_is_defensive() {
        assert_eq!(replace_ranges("abcdef", &[1..2, 4..6], "-"), "a-cd-");
        assert_eq!(replace_ranges("abcdef", &[3..4, 1..2, 5..9], "-"), "abc-ef");
        assert_eq!(replace_ranges("åb", &[1..2], "-"), "åb");
        assert_eq!(replace_ranges("abc", &[], "-"), "abc");
    }

    /// A valid personnummer, `today`, and whether the person is 100 or older.
    fn arb_pnr() -> impl Strategy<Value = (String, Date)> {
        (
            2000i16..=2099,
            1i8..=12,
            1i8..=28,
            0i16..=119,
            1i8..=12,
            1i8..=31,
            any::<bool>(),
            0u16..1000,
        )
            .prop_filter_map(
                "valid dates",
                |(ty, tm, td, age, m, d, samordning, serial)| {
                    let today = Date::new(ty, tm, td).ok()?;
                    let born = Date::new(ty - age, m, d).ok().filter(|b| *b <= today)?;
                    let day = born.day() + if samordning { 60 } else { 0 };
                    let nine = format!(
                        "{:02}{:02}{day:02}{serial:03}",
                        born.year() % 100,
                        born.month()
                    );
                    let check = luhn(nine.as_bytes());
                    Some((format!("{:02}{nine}{check}", born.year() / 100), today))
                },
            )
    }

    fn filler() -> impl Strategy<Value = String> {
        "[a-zA-ZåäöÅÄÖ ,.:;!?()\n-]{0,20}"
    }

    proptest! {
        #[test]
        fn pnr_forms_agree((key, today) in arb_pnr()) {
            let (cc, ten) = key.split_at(2);
            let (date, tail) = ten.split_at(6);
            let year: i16 = key[..4].parse().unwrap();
            let born = birth_date(year, key[4..6].parse().unwrap(), key[6..8].parse().unwrap()).unwrap();
            let mut forms = vec![key.clone(), format!("{cc}{date}-{tail}"), format!("{cc}{date}+{tail}")];
            // '-' until the 100th birthday; '+' from the year of it.
            if born.saturating_add(jiff::Span::new().years(100)) > today {
                forms.push(format!("{date}-{tail}"));
                forms.push(ten.to_string());
            }
            if year <= today.year() - 100 {
                forms.push(format!("{date}+{tail}"));
            }
            for f in &forms {
                prop_assert_eq!(normalize(Kind::Personnummer, f, today), Ok(key.clone()), "{}", f);
            }
            let stored = stored_forms(Kind::Personnummer, &key);
            prop_assert!(stored.contains(&key));
            let dashed = format!("{date}-{tail}");
            prop_assert!(stored.contains(&dashed));
            let check = key.as_bytes()[11];
            for d in b'0'..=b'9' {
                if d != check {
                    let mut bad = key.clone().into_bytes();
                    bad[11] = d;
                    let bad = String::from_utf8(bad).unwrap();
                    prop_assert_eq!(
                        normalize(Kind::Personnummer, &bad, today),
                        Err(IdentError::PnrCheckDigit)
                    );
                }
            }
        }

        #[test]
        fn pnr_mentions_found((key, _) in arb_pnr(), pre in filler(), post in filler()) {
            for form in stored_forms(Kind::Personnummer, &key) {
                let text = format!("{pre} {form} {post}");
                let at = pre.len() + 1;
                let r = find_mentions(Kind::Personnummer, &key, &text);
                prop_assert_eq!(&r, &vec![at..at + form.len()]);
                prop_assert_eq!(replace_ranges(&text, &r, "[x]"), format!("{pre} [x] {post}"));
            }
        }

        #[test]
        fn phone_forms_agree(second in prop::sample::select(vec![0u8, 2, 3, 6, 9]), rest in "[0-9]{7}", pre in filler(), post in filler()) {
            let key = format!("+467{second}{rest}");
            let mut forms = stored_forms(SE, &key);
            let nat = &key[3..];
            forms.push(format!("+46 (0){} {}", &nat[..2], &nat[2..]));
            forms.push(format!("(0{}) {}-{}", &nat[..2], &nat[2..5], &nat[5..]));
            for form in &forms {
                prop_assert_eq!(normalize(SE, form, today()), Ok(key.clone()), "{}", form);
                let text = format!("{pre} {form} {post}");
                let at = pre.len() + 1;
                let r = find_mentions(SE, &key, &text);
                prop_assert_eq!(&r, &vec![at..at + form.len()], "{}", form);
                prop_assert_eq!(replace_ranges(&text, &r, "[x]"), format!("{pre} [x] {post}"));
            }
        }

        #[test]
        fn email_mentions_found(
            local in "[a-zA-Z0-9][a-zA-Z0-9._%+-]{0,8}[a-zA-Z0-9]",
            domain in "[a-zA-Z0-9-]{1,10}\\.[a-zA-Z]{2,4}",
            pre in filler(),
            post in filler(),
        ) {
            let written = format!("{local}@{domain}");
            let key = normalize(Kind::Email, &written, today()).unwrap();
            let text = format!("{pre} {written} {post}");
            let at = pre.len() + 1;
            let r = find_mentions(Kind::Email, &key, &text);
            prop_assert_eq!(&r, &vec![at..at + written.len()]);
            prop_assert_eq!(replace_ranges(&text, &r, "[x]"), format!("{pre} [x] {post}"));
        }
    }
}
