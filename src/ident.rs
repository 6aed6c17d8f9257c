//! Identifier kinds: normalising them to canonical keys, listing the forms a
//! store may hold them in, and finding them in free text.
//!
//! A data subject writes an identifier however they like, and the store may
//! hold the same identifier in yet another form. Both sides are mapped to one
//! canonical key so they compare equal; the written forms let lookups use an
//! index and let free-text columns be scanned for mentions.
//!
//! Error messages never echo the value: a personnummer is sensitive and must
//! not end up in logs, terminals or the audit trail.

use std::fmt;
use std::ops::Range;

use jiff::civil::Date;

/// The identifier kinds a data map may declare (`[identifiers] email = "email"` etc.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Email,
    Personnummer,
    Phone,
    Text,
}

impl Kind {
    /// The kind named in a data map; exact lowercase names only, so a map
    /// means the same thing everywhere.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "email" => Some(Kind::Email),
            "personnummer" => Some(Kind::Personnummer),
            "phone" => Some(Kind::Phone),
            "text" => Some(Kind::Text),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Personnummer => "personnummer",
            Kind::Phone => "phone",
            Kind::Text => "text",
        }
    }

    /// The expected form, for error messages.
    fn expected(&self) -> &'static str {
        match self {
            Kind::Email => "an address such as name@example.se",
            Kind::Personnummer => PNR_FORMS,
            Kind::Phone => PHONE_FORMS,
            Kind::Text => "a non-blank value",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const PNR_FORMS: &str = "YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN, YYYYMMDDNNNN or YYYYMMDD-NNNN";
const PHONE_FORMS: &str = "e.g. 070-123 45 67, +46 70 123 45 67 or +4930123456";

/// Why a value is not a valid identifier. No variant carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    #[error("{kind}: the value is empty (expected {expected})", kind = .0, expected = .0.expected())]
    Empty(Kind),
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
         ({PHONE_FORMS})"
    )]
    PhoneCharacters,
    #[error(
        "phone: the number must start with 0 (Swedish national number), or with + or 00 and \
         a country code ({PHONE_FORMS})"
    )]
    PhonePrefix,
    #[error("phone: expected 7 to 15 digits including the country code ({PHONE_FORMS})")]
    PhoneLength,
}

/// Normalise a value given by the user in a request to its canonical key.
/// `today` is used only for personnummer century inference.
pub fn normalize(kind: Kind, raw: &str, today: Date) -> Result<String, IdentError> {
    match kind {
        Kind::Email => email_key(raw),
        Kind::Personnummer => pnr_key(raw, today),
        Kind::Phone => phone_key(raw),
        Kind::Text => match raw.trim() {
            "" => Err(IdentError::Empty(Kind::Text)),
            t => Ok(t.to_string()),
        },
    }
}

/// Normalise a value as stored in a column; `None` when it is not a valid
/// value of that kind (stored data may be messy, which is not an error).
pub fn normalize_stored(kind: Kind, raw: &str, today: Date) -> Option<String> {
    normalize(kind, raw, today).ok()
}

/// The written forms of a canonical key that a column may hold, for an
/// indexed `col IN (…)` lookup. Deterministic order, no duplicates.
///
/// For a personnummer both ten-digit forms (`-` and `+`) are listed, since
/// which one applies depends on the date of the lookup; ten-digit forms are
/// ambiguous across centuries, so callers should confirm each candidate row
/// with [`normalize_stored`]. Email keys are lowercase, so an email column is
/// best compared case-insensitively. A key that is not canonical is returned
/// as its only form.
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
                ]
            }
            None => vec![key.to_string()],
        },
        Kind::Phone => phone_forms(key),
    };
    dedup(forms)
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
                digit_mentions(text, &patterns, b"-+ ", 1, false)
            }
            None => Vec::new(),
        },
        Kind::Phone => {
            let patterns = phone_digit_patterns(key);
            digit_mentions(text, &patterns, b" -./()", 3, true)
        }
    }
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
    let mut sep = None;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'0'..=b'9' => digits.push(b - b'0'),
            b'-' | b'+' if sep.is_none() => sep = Some((i, b)),
            _ => return Err(IdentError::PnrFormat),
        }
    }
    let ok_sep = |at| sep.is_none_or(|(i, _)| i == at);
    let n = |d: &[u8]| d.iter().fold(0i16, |acc, &x| acc * 10 + i16::from(x));
    let (year, rest) = match digits.len() {
        12 if ok_sep(8) => (n(&digits[..4]), &digits[4..]),
        10 if ok_sep(6) => {
            let plus = matches!(sep, Some((_, b'+')));
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

// ---------------------------------------------------------------- phone

fn phone_key(raw: &str) -> Result<String, IdentError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(IdentError::Empty(Kind::Phone));
    }
    let mut digits = String::new();
    let mut plus = false;
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if !plus && digits.is_empty() => plus = true,
            '-' | '.' | '/' | '(' | ')' => {}
            c if c.is_whitespace() => {}
            _ => return Err(IdentError::PhoneCharacters),
        }
    }
    let intl = if plus {
        digits.as_str()
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest
    } else if let Some(national) = digits.strip_prefix('0') {
        return with_length(format!("+46{national}"));
    } else if digits.is_empty() {
        return Err(IdentError::PhoneLength);
    } else {
        return Err(IdentError::PhonePrefix);
    };
    if intl.starts_with('0') {
        return Err(IdentError::PhonePrefix);
    }
    match intl.strip_prefix("46") {
        // `+46 (0)70…`: the trunk 0 is not part of the international number.
        Some(national) => with_length(format!(
            "+46{}",
            national.strip_prefix('0').unwrap_or(national)
        )),
        None => with_length(format!("+{intl}")),
    }
}

fn with_length(key: String) -> Result<String, IdentError> {
    if (7..=15).contains(&(key.len() - 1)) {
        Ok(key)
    } else {
        Err(IdentError::PhoneLength)
    }
}

/// The international digits of a canonical phone key, if it is one.
fn phone_intl(key: &str) -> Option<&str> {
    key.strip_prefix('+')
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

fn phone_forms(key: &str) -> Vec<String> {
    let Some(intl) = phone_intl(key) else {
        return vec![key.to_string()];
    };
    let Some(nat) = intl.strip_prefix("46") else {
        return vec![format!("+{intl}"), format!("00{intl}")];
    };
    let mut forms = vec![format!("+46{nat}"), format!("0{nat}"), format!("0046{nat}")];
    // Mobile numbers (07X-XXX XX XX) have one settled grouping; landline
    // area codes vary in length, so only the digit forms are listed for them.
    if nat.len() == 9 && nat.starts_with('7') {
        let (a, b, c, d) = (&nat[..2], &nat[2..5], &nat[5..7], &nat[7..]);
        forms.push(format!("0{a}-{b} {c} {d}"));
        forms.push(format!("0{a}-{b}{c}{d}"));
        forms.push(format!("0{a} {b} {c} {d}"));
        forms.push(format!("+46 {a} {b} {c} {d}"));
    }
    forms
}

/// Digit sequences under which a phone number may be written in text; a
/// `+` just before a match is included in it.
fn phone_digit_patterns(key: &str) -> Vec<String> {
    match phone_intl(key) {
        Some(intl) => match intl.strip_prefix("46") {
            Some(nat) => vec![
                format!("0{nat}"),
                format!("46{nat}"),
                format!("460{nat}"),
                format!("0046{nat}"),
            ],
            None => vec![intl.to_string(), format!("00{intl}")],
        },
        None => Vec::new(),
    }
}

// ---------------------------------------------------------------- digit matching

/// Occurrences of any of the digit `patterns` in `text`, with up to `max_sep`
/// bytes from `seps` between consecutive digits, bounded by non-digits.
fn digit_mentions(
    text: &str,
    patterns: &[String],
    seps: &[u8],
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
            let Some(end) = digits_at(b, start, p.as_bytes(), seps, max_sep) else {
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

/// End of `pattern` matched at `start`, allowing separators between digits.
fn digits_at(b: &[u8], start: usize, pattern: &[u8], seps: &[u8], max_sep: usize) -> Option<usize> {
    let mut i = start;
    for (n, want) in pattern.iter().enumerate() {
        if n > 0 {
            let mut run = 0;
            while run < max_sep && b.get(i).is_some_and(|c| seps.contains(c)) {
                i += 1;
                run += 1;
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

    fn phone(raw: &str) -> Result<String, IdentError> {
        normalize(Kind::Phone, raw, today())
    }

    #[test]
    fn kind_names_round_trip() {
        for k in [Kind::Email, Kind::Personnummer, Kind::Phone, Kind::Text] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("Email"), None);
        assert_eq!(Kind::parse("ssn"), None);
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
        assert_eq!(pnr("811218 9876"), Err(IdentError::PnrFormat));
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
                "8112189876"
            ]
        );
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

    #[test]
    fn phone_errors() {
        assert_eq!(phone(""), Err(IdentError::Empty(Kind::Phone)));
        assert_eq!(phone("701234567"), Err(IdentError::PhonePrefix));
        assert_eq!(phone("+0701234567"), Err(IdentError::PhonePrefix));
        assert_eq!(phone("070-ABC 45 67"), Err(IdentError::PhoneCharacters));
        assert_eq!(phone("070+1234567"), Err(IdentError::PhoneCharacters));
        assert_eq!(phone("070 12"), Err(IdentError::PhoneLength));
        assert_eq!(phone("+1234567890123456"), Err(IdentError::PhoneLength));
        assert_eq!(phone("--"), Err(IdentError::PhoneLength));
        let msg = phone("031-987 65 4x").unwrap_err().to_string();
        assert!(!msg.contains("987") && msg.starts_with("phone: "), "{msg}");
    }

    #[test]
    fn phone_stored_forms() {
        assert_eq!(
            stored_forms(Kind::Phone, "+46701234567"),
            [
                "+46701234567",
                "0701234567",
                "0046701234567",
                "070-123 45 67",
                "070-1234567",
                "070 123 45 67",
                "+46 70 123 45 67"
            ]
        );
        assert_eq!(
            stored_forms(Kind::Phone, "+46812345678"),
            ["+46812345678", "0812345678", "0046812345678"]
        );
        assert_eq!(
            stored_forms(Kind::Phone, "+49301234567"),
            ["+49301234567", "0049301234567"]
        );
    }

    #[test]
    fn phone_mentions() {
        let key = "+46701234567";
        let text = "Ring +46 (0)70-123 45 67 eller 070/123 45 67, ej 0701234567 8.";
        let r = find_mentions(Kind::Phone, key, text);
        assert_eq!(replace_ranges(text, &r, "X"), "Ring X eller X, ej X 8.");
        assert!(find_mentions(Kind::Phone, key, "10701234567").is_empty());
        assert!(find_mentions(Kind::Phone, key, "07012345678").is_empty());
        assert!(find_mentions(Kind::Phone, "junk", "070").is_empty());
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
        fn phone_forms_agree(second in 0u8..=9, rest in "[0-9]{7}", pre in filler(), post in filler()) {
            let key = format!("+467{second}{rest}");
            let mut forms = stored_forms(Kind::Phone, &key);
            let nat = &key[3..];
            forms.push(format!("+46 (0){} {}", &nat[..2], &nat[2..]));
            forms.push(format!("(0{}) {}-{}", &nat[..2], &nat[2..5], &nat[5..]));
            for form in &forms {
                prop_assert_eq!(normalize(Kind::Phone, form, today()), Ok(key.clone()), "{}", form);
                let text = format!("{pre} {form} {post}");
                let at = pre.len() + 1;
                let r = find_mentions(Kind::Phone, &key, &text);
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
