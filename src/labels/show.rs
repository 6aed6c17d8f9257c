//! Values as a person reads them: dates and times in one format per
//! language and in the map's time zone (named), Unix seconds in date
//! columns as dates, personnummer as `YYYYMMDD-NNNN`, numbers as numbers.
//! The XLSX writer takes the typed [`Shown`]; HTML and text take
//! [`Shown::text`].

use super::Lang;
use crate::ident::{self, Kind};
use crate::map::{DataMap, Table};
use crate::value::Value;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

mod width;
pub use width::{date_width, display_width, int_width, number_width};

/// Unix seconds read as a time only in this range (1973-03-03 to
/// 9999-12-31), so that small counts in a date column stay numbers.
pub const UNIX_RANGE: std::ops::Range<i64> = 100_000_000..253_402_300_800;

/// A value ready for a person.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    Empty,
    Text(String),
    Number(f64),
    /// A number too large for a spreadsheet to hold exactly, as digits.
    BigNumber(String),
    Date(Date),
    /// A local date-time in the map's zone, and the zone's abbreviation then.
    DateTime(DateTime, String),
}

/// How a column's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Plain,
    /// Integers are Unix seconds (see [`is_date_column`]).
    Date,
    Personnummer,
}

/// Whether integers in a column are Unix seconds: its name, split at
/// anything but letters and digits, has one of the words `at`, `on`,
/// `date`, `time`, `timestamp`, `ts`, `day`, `created`, `updated`,
/// `modified`, `deleted`, `hired`, `issued`, `paid`, `born`, `expires`,
/// `due`, `since`, `until` (e.g. `created_at`, `paid_on`, `hired`), or its
/// category names a date or time (`contract.dates`, `online.login_time`).
pub fn is_date_column(name: &str, category: Option<&str>) -> bool {
    const WORDS: &[&str] = &[
        "at",
        "on",
        "date",
        "time",
        "timestamp",
        "ts",
        "day",
        "created",
        "updated",
        "modified",
        "deleted",
        "hired",
        "issued",
        "paid",
        "born",
        "expires",
        "due",
        "since",
        "until",
    ];
    let lower = name.to_lowercase();
    let by_name = lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| WORDS.contains(&w));
    let by_category = category.is_some_and(|c| {
        let c = c.to_lowercase();
        c.contains("date") || c.contains("time")
    });
    by_name || by_category
}

/// The shape of a column of a mapped table: a personnummer column is one
/// that identifies by a personnummer kind or has the national id category.
pub fn shape(t: Option<&Table>, name: &str) -> Shape {
    let category = t
        .and_then(|t| t.column(name))
        .and_then(|c| c.category.as_deref());
    let pnr = category == Some("identity.national_id")
        || t.is_some_and(|t| {
            t.identify
                .iter()
                .any(|i| i.kind == Kind::Personnummer && i.columns.iter().any(|c| c == name))
        });
    if pnr {
        Shape::Personnummer
    } else if is_date_column(name, category) {
        Shape::Date
    } else {
        Shape::Plain
    }
}

/// A boolean in words: a person reads "Ja", not `true`.
fn yes_no(b: bool, lang: Lang) -> &'static str {
    match (lang, b) {
        (Lang::Sv, true) => "Ja",
        (Lang::Sv, false) => "Nej",
        (Lang::En, true) => "Yes",
        (Lang::En, false) => "No",
    }
}

/// What the people's writers need to show values.
#[derive(Debug, Clone)]
pub struct Present {
    pub lang: Lang,
    pub tz: TimeZone,
    pub tz_name: String,
    /// For the century of ten-digit personnummer.
    pub today: Date,
}

impl Present {
    pub fn new(map: &DataMap, lang: Lang, today: Date) -> Present {
        Present {
            lang,
            tz: map.timezone.clone(),
            tz_name: map.timezone_name.clone(),
            today,
        }
    }

    fn local(&self, ts: jiff::Timestamp) -> Shown {
        // What `strftime("%Z")` of the zoned time gives (the abbreviation,
        // upper case), without the formatter: this runs for every time of a
        // copy of millions of rows.
        let abbr = self.tz.to_offset_info(ts).abbreviation().to_uppercase();
        Shown::DateTime(self.tz.to_datetime(ts), abbr)
    }

    /// A stored value as a person reads it.
    pub fn value(&self, v: &Value, shape: Shape) -> Shown {
        match v {
            Value::Null => Shown::Empty,
            Value::Integer(i) if shape == Shape::Date && UNIX_RANGE.contains(i) => {
                match jiff::Timestamp::from_second(*i) {
                    Ok(ts) => self.local(ts),
                    Err(_) => Shown::Number(*i as f64),
                }
            }
            Value::Integer(i) if i.unsigned_abs() <= 1 << 53 => Shown::Number(*i as f64),
            Value::Integer(i) => Shown::BigNumber(i.to_string()),
            Value::Real(f) if f.is_finite() => Shown::Number(*f),
            Value::Real(f) => Shown::Text(f.to_string()),
            Value::Bool(b) => Shown::Text(yes_no(*b, self.lang).to_string()),
            Value::Text(s) => self.text(s, shape),
            Value::Blob(b) => {
                use base64::Engine;
                Shown::Text(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::Numeric(d) => match d.parse::<f64>() {
                Ok(f) if f.is_finite() && d.len() <= 15 => Shown::Number(f),
                _ => Shown::BigNumber(d.clone()),
            },
            other => Shown::Text(other.display_text().unwrap_or_default()),
        }
    }

    fn text(&self, s: &str, shape: Shape) -> Shown {
        if shape == Shape::Personnummer {
            if let Some(k) = ident::normalize_stored(Kind::Personnummer, s, self.today) {
                return Shown::Text(pnr(&k));
            }
        }
        match iso(s) {
            Some(Iso::Date(d)) => Shown::Date(d),
            Some(Iso::Time(ts)) => self.local(ts),
            None => Shown::Text(s.to_string()),
        }
    }

    /// A date-time of dsr's own (an RFC 3339 instant) as a person reads it.
    pub fn instant(&self, s: &str) -> String {
        match crate::time::parse_text(s) {
            Some(ts) => self.shown_text(&self.local(ts)),
            None => s.to_string(),
        }
    }

    /// [`Present::shown_text`] of [`Present::value`] of Unix seconds `ts`
    /// (in a date column, in [`UNIX_RANGE`]), appended to `out`, its zone
    /// asked through `span`.
    pub fn write_time(&self, out: &mut String, span: &mut ZoneSpan, ts: jiff::Timestamp) {
        let (offset, abbr) = span.at(&self.tz, ts);
        let dt = offset.to_datetime(ts);
        write_date(out, dt.date(), self.lang);
        let sep = match self.lang {
            Lang::Sv => " kl. ",
            Lang::En => ", ",
        };
        out.push_str(sep);
        two_digits(out, dt.hour());
        out.push(':');
        two_digits(out, dt.minute());
        out.push(' ');
        out.push_str(abbr);
    }

    /// The text of a shown value.
    pub fn shown_text(&self, v: &Shown) -> String {
        match v {
            Shown::Empty => String::new(),
            Shown::Text(s) | Shown::BigNumber(s) => s.clone(),
            Shown::Number(f) => number(*f, self.lang),
            Shown::Date(d) => date(*d, self.lang),
            Shown::DateTime(dt, abbr) => match self.lang {
                Lang::Sv => format!(
                    "{} kl. {:02}:{:02} {abbr}",
                    date(dt.date(), self.lang),
                    dt.hour(),
                    dt.minute()
                ),
                Lang::En => format!(
                    "{}, {:02}:{:02} {abbr}",
                    date(dt.date(), self.lang),
                    dt.hour(),
                    dt.minute()
                ),
            },
        }
    }

    /// The sentence that names the zone times are given in.
    pub fn zone_words(&self) -> String {
        match self.lang {
            Lang::Sv => format!(
                "Datum skrivs år-månad-dag. Tider anges i tidszonen {} (lokal tid, med förkortningen efter tiden).",
                self.tz_name
            ),
            Lang::En => format!(
                "Dates are written day month year. Times are given in the {} time zone (local time, its abbreviation after the time).",
                self.tz_name
            ),
        }
    }
}

/// A canonical personnummer key (12 digits) as `YYYYMMDD-NNNN`.
pub fn pnr(key: &str) -> String {
    if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &key[..8], &key[8..])
    } else {
        key.to_string()
    }
}

/// A date or an instant written as ISO-8601 text.
pub enum Iso {
    Date(Date),
    Time(jiff::Timestamp),
}

/// ISO-8601 text: a date (`YYYY-MM-DD`), or a date-time with `T` or a
/// space, with or without a zone (none means UTC).
pub fn iso(s: &str) -> Option<Iso> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() < 10
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return None;
    }
    if b.len() == 10 {
        return s.parse().ok().map(Iso::Date);
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    crate::time::parse_text(s).map(Iso::Time)
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "2024-06-25" in Swedish (the Swedish standard form), "25 June 2024" in
/// English.
pub fn date(d: Date, lang: Lang) -> String {
    let mut s = String::new();
    write_date(&mut s, d, lang);
    s
}

/// [`date`], appended to `out`.
pub fn write_date(out: &mut String, d: Date, lang: Lang) {
    use std::fmt::Write as _;
    match lang {
        // jiff's years end at 9999.
        Lang::Sv if (0..=9999).contains(&d.year()) => {
            let y = d.year();
            two_digits(out, (y / 100) as i8);
            two_digits(out, (y % 100) as i8);
            out.push('-');
            two_digits(out, d.month());
            out.push('-');
            two_digits(out, d.day());
        }
        Lang::Sv => {
            let _ = write!(out, "{}", d.strftime("%Y-%m-%d"));
        }
        Lang::En => {
            out.push_str(itoa::Buffer::new().format(d.day()));
            out.push(' ');
            out.push_str(MONTHS_EN[(d.month() - 1) as usize]);
            out.push(' ');
            out.push_str(itoa::Buffer::new().format(d.year()));
        }
    }
}

/// `{:02}` of `n` in 0..=99 (a month, a day, an hour, a minute).
fn two_digits(out: &mut String, n: i8) {
    use std::fmt::Write as _;
    if (0..=99).contains(&n) {
        out.push(char::from(b'0' + (n / 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    } else {
        let _ = write!(out, "{n:02}");
    }
}

/// The map's zone over a span of instants with one offset and one
/// abbreviation, so that a copy of millions of times asks the zone once per
/// span rather than once per time.
#[derive(Debug)]
pub struct ZoneSpan {
    /// `[lo, hi)` in Unix seconds; empty until the first time.
    lo: i64,
    hi: i64,
    offset: jiff::tz::Offset,
    /// Upper case, as [`Present::value`] gives it.
    abbr: String,
}

impl Default for ZoneSpan {
    fn default() -> ZoneSpan {
        ZoneSpan {
            lo: 0,
            hi: 0,
            offset: jiff::tz::Offset::UTC,
            abbr: String::new(),
        }
    }
}

impl ZoneSpan {
    /// The offset and abbreviation at `ts`, from the span when `ts` is in
    /// it, else from the zone (and the span becomes the one around `ts`).
    pub fn at(&mut self, tz: &TimeZone, ts: jiff::Timestamp) -> (jiff::tz::Offset, &str) {
        let s = ts.as_second();
        if !(self.lo <= s && s < self.hi) {
            let shown = |t: jiff::Timestamp| {
                let i = tz.to_offset_info(t);
                (i.offset(), i.abbreviation().to_uppercase())
            };
            let (offset, abbr) = shown(ts);
            // Constant from `ts` up to the next transition after it.
            let hi = tz
                .following(ts)
                .map(|t| t.timestamp())
                .find(|t| *t > ts)
                .map_or(i64::MAX, |t| t.as_second());
            // And back to the last transition at or before it when that one
            // shows the same (whether or not `ts` is a transition itself).
            let lo = match tz.preceding(ts).next().map(|t| t.timestamp()) {
                Some(p) if p <= ts && shown(p) == (offset, abbr.clone()) => p.as_second(),
                Some(_) => s,
                None if shown(jiff::Timestamp::MIN) == (offset, abbr.clone()) => i64::MIN,
                None => s,
            };
            *self = ZoneSpan {
                lo,
                hi,
                offset,
                abbr,
            };
        }
        (self.offset, &self.abbr)
    }
}

/// A number: integers as digits, decimals with a comma in Swedish.
pub fn number(f: f64, lang: Lang) -> String {
    let s = if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    };
    match lang {
        Lang::Sv => s.replace('.', ","),
        Lang::En => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lang: Lang) -> Present {
        Present {
            lang,
            tz: TimeZone::get("Europe/Stockholm").expect("tz"),
            tz_name: "Europe/Stockholm".into(),
            today: jiff::civil::date(2026, 11, 22),
        }
    }

    /// The times are written as jiff's `strftime` writes them, without it.
    #[test]
    fn times_are_what_strftime_gives() {
        for zone in [
            "Europe/Stockholm",
            "America/Sao_Paulo",
            "UTC",
            "Asia/Kolkata",
        ] {
            let tz = TimeZone::get(zone).expect("tz");
            let p = Present {
                lang: Lang::Sv,
                tz: tz.clone(),
                tz_name: zone.into(),
                today: jiff::civil::date(2026, 11, 22),
            };
            for secs in [0i64, 1_700_000_000, 1_719_792_000, 253_402_207_200] {
                let ts = jiff::Timestamp::from_second(secs).expect("ts");
                let z = ts.to_zoned(tz.clone());
                let want = format!(
                    "{} kl. {} {}",
                    z.date().strftime("%Y-%m-%d"),
                    z.strftime("%H:%M"),
                    z.strftime("%Z")
                );
                assert_eq!(p.shown_text(&p.local(ts)), want, "{zone} {secs}");
            }
        }
    }

    /// A span of the zone gives what the zone gives at every instant,
    /// around transitions (both sides, and on them) and across years, in
    /// whatever order the times come.
    #[test]
    fn zone_spans_give_what_the_zone_gives() {
        for zone in [
            "Europe/Stockholm",
            "America/Sao_Paulo",
            "UTC",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
        ] {
            let tz = TimeZone::get(zone).expect("tz");
            // jiff's last instant is before the range's end.
            let mut secs: Vec<i64> = vec![UNIX_RANGE.start, 253_402_207_200, 1_700_000_000];
            let from = jiff::Timestamp::from_second(UNIX_RANGE.start).expect("ts");
            for t in tz.following(from).take(200) {
                let s = t.timestamp().as_second();
                secs.extend([s - 3601, s - 1, s, s + 1, s + 3600]);
            }
            let mut forth = secs.clone();
            forth.sort();
            let mut shuffled = secs.clone();
            shuffled.reverse();
            shuffled.extend(forth.iter().step_by(7));
            for lang in [Lang::Sv, Lang::En] {
                let p = Present {
                    lang,
                    tz: tz.clone(),
                    tz_name: zone.into(),
                    today: jiff::civil::date(2026, 11, 22),
                };
                for order in [&forth, &shuffled] {
                    let mut span = ZoneSpan::default();
                    for &s in order.iter() {
                        let ts = jiff::Timestamp::from_second(s).expect("ts");
                        let mut got = String::new();
                        p.write_time(&mut got, &mut span, ts);
                        assert_eq!(got, p.shown_text(&p.local(ts)), "{zone} {s}");
                    }
                }
            }
        }
    }

    /// The dates are what `format!` of their fields gives.
    #[test]
    fn dates_are_their_fields() {
        for (y, m, d) in [
            (0, 1, 1),
            (7, 2, 3),
            (99, 12, 31),
            (1973, 3, 3),
            (2024, 6, 25),
            (9999, 12, 31),
        ] {
            let day = jiff::civil::date(y, m, d);
            assert_eq!(date(day, Lang::Sv), format!("{y:04}-{m:02}-{d:02}"));
            assert_eq!(
                date(day, Lang::En),
                format!("{d} {} {y}", MONTHS_EN[(m - 1) as usize])
            );
        }
        let bc = jiff::civil::date(-5, 1, 2);
        assert_eq!(date(bc, Lang::Sv), bc.strftime("%Y-%m-%d").to_string());
    }

    #[test]
    fn values_read_in_the_zone_and_the_language() {
        let (sv, en) = (p(Lang::Sv), p(Lang::En));
        let show = |p: &Present, v: Value, s| p.shown_text(&p.value(&v, s));
        // 2023-11-14 22:13:20 UTC is 23:13 in Stockholm (winter time).
        assert_eq!(
            show(&sv, Value::Integer(1_700_000_000), Shape::Date),
            "2023-11-14 kl. 23:13 CET"
        );
        assert_eq!(
            show(&en, Value::Integer(1_700_000_000), Shape::Date),
            "14 November 2023, 23:13 CET"
        );
        // Not a date column: a number.
        assert_eq!(
            show(&sv, Value::Integer(1_700_000_000), Shape::Plain),
            "1700000000"
        );
        // Summer time, from text with a zone.
        assert_eq!(
            show(
                &sv,
                Value::Text("2024-05-01T10:00:00Z".into()),
                Shape::Plain
            ),
            "2024-05-01 kl. 12:00 CEST"
        );
        assert_eq!(
            show(&en, Value::Text("2018-06-25".into()), Shape::Plain),
            "25 June 2018"
        );
        assert_eq!(show(&sv, Value::Real(7.5), Shape::Plain), "7,5");
        assert_eq!(show(&en, Value::Real(7.5), Shape::Plain), "7.5");
        for form in ["198112189876", "811218-9876", "19811218-9876", "8112189876"] {
            assert_eq!(
                show(&sv, Value::Text(form.into()), Shape::Personnummer),
                "19811218-9876",
                "{form}"
            );
        }
        assert_eq!(
            show(&sv, Value::Text("not one".into()), Shape::Personnummer),
            "not one"
        );
        assert_eq!(
            sv.value(&Value::Integer(1 << 60), Shape::Plain),
            Shown::BigNumber((1i64 << 60).to_string())
        );
    }
}
