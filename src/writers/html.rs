//! HTML extract: one self-contained page for the data subject — no
//! scripts, no external resources (a Content-Security-Policy says so to the
//! browser), inline styles only, every value escaped.
//!
//! It reads on a phone (390 px) as on a desktop and prints: a summary
//! first (what is held, why, for how long, who receives it, the rights,
//! how to complain), then the data, each row as a card of label and value
//! rather than a wide table, so that nothing scrolls sideways.

use super::info::{labels, Info};
use super::{doc_value, DocKind, DocTable};
use crate::error::{Error, Result};
use crate::labels::show::{iso, Present, Shape, Shown, ZoneSpan, UNIX_RANGE};
use crate::labels::Lang;
use crate::map::DataMap;
use crate::value::Value;
use std::fmt::Write as _;
use std::io::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// [`escape`], appended to `out`: the text between the characters to
/// escape goes in whole.
fn escape_into(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut from = 0;
    for (i, &c) in b.iter().enumerate() {
        let e = match c {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // `i` is at an ASCII byte, so both ends are on character boundaries.
        out.push_str(&s[from..i]);
        out.push_str(e);
        from = i + 1;
    }
    out.push_str(&s[from..]);
}

const STYLE: &str = "*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%}\
body{font-family:system-ui,sans-serif;max-width:50rem;margin:0 auto;padding:1rem;color:#111;background:#fff;line-height:1.45;overflow-wrap:anywhere}\
h1{font-size:1.6rem;margin:0.5rem 0 1rem}h2{font-size:1.3rem;margin:2rem 0 0.5rem;border-bottom:2px solid #ccc}h3{font-size:1.1rem;margin:0 0 0.5rem}\
section{border:1px solid #ccc;border-radius:6px;padding:0.75rem;margin:0 0 1rem}\
dl{display:grid;grid-template-columns:minmax(7rem,34%) 1fr;gap:0.3rem 1rem;margin:0}\
dt{font-weight:600}dd{margin:0;white-space:pre-wrap;min-width:0}\
dl.entry{border-top:1px solid #e3e3e3;padding:0.5rem 0}\
.null{color:#767676}\
blockquote{margin:0.25rem 0;padding:0.25rem 0.75rem;border-left:3px solid #999;white-space:pre-wrap}\
p.note{color:#444;font-size:0.95rem}\
@media (max-width:32rem){dl{grid-template-columns:1fr;gap:0.1rem}dd{margin-bottom:0.4rem}}\
@media print{body{max-width:none;padding:0}section{break-inside:avoid}h2{break-after:avoid}}";

/// Appends one value's `<dd>`: the text [`Present::value`] and
/// [`Present::shown_text`] give, written in place for the common values of
/// a large copy (times, numbers, plain text), through them for the rest.
fn dd(h: &mut String, p: &Present, span: &mut ZoneSpan, v: &Value, shape: Shape) {
    match v {
        Value::Null => h.push_str("<dd class=\"null\">–</dd>"),
        Value::Integer(i) if shape == Shape::Date && UNIX_RANGE.contains(i) => {
            match jiff::Timestamp::from_second(*i) {
                Ok(ts) => {
                    h.push_str("<dd title=\"");
                    h.push_str(itoa::Buffer::new().format(*i));
                    h.push_str("\">");
                    // Digits, words and the zone's abbreviation: escaped
                    // all the same.
                    let start = h.len();
                    p.write_time(h, span, ts);
                    if h[start..].bytes().any(|c| b"&<>\"'".contains(&c)) {
                        let text = h.split_off(start);
                        escape_into(h, &text);
                    }
                    h.push_str("</dd>");
                }
                Err(_) => dd_shown(h, p, v, shape),
            }
        }
        // A number as digits (what `number` writes for an integer that an
        // f64 holds exactly).
        Value::Integer(i) if i.unsigned_abs() <= 1 << 53 => {
            h.push_str("<dd>");
            h.push_str(itoa::Buffer::new().format(*i));
            h.push_str("</dd>");
        }
        Value::Real(f) if f.is_finite() => {
            h.push_str("<dd>");
            let start = h.len();
            if f.fract() == 0.0 && f.abs() < 1e15 {
                h.push_str(itoa::Buffer::new().format(*f as i64));
            } else {
                let _ = write!(h, "{f}");
            }
            if p.lang == Lang::Sv {
                if let Some(dot) = h[start..].find('.') {
                    h.replace_range(start + dot..start + dot + 1, ",");
                }
            }
            h.push_str("</dd>");
        }
        Value::Text(s) if shape != Shape::Personnummer && iso(s).is_none() => {
            h.push_str("<dd>");
            escape_into(h, s);
            h.push_str("</dd>");
        }
        Value::Numeric(d) => match short_decimal(d) {
            Some((neg, int, frac)) => {
                h.push_str("<dd>");
                if neg && !(frac.is_empty() && int == "0") {
                    h.push('-');
                }
                h.push_str(int);
                if !frac.is_empty() {
                    h.push(if p.lang == Lang::Sv { ',' } else { '.' });
                    h.push_str(frac);
                }
                h.push_str("</dd>");
            }
            None => match doc_value(v) {
                dv @ Value::Numeric(_) => dd_shown(h, p, &dv, shape),
                dv => dd(h, p, span, &dv, shape),
            },
        },
        _ => dd_shown(h, p, v, shape),
    }
}

/// A `numeric`'s plain digits of at most 15 characters
/// (`-?(0|[1-9][0-9]*)\.[0-9]+`, PostgreSQL's text of a `numeric(8,1)`):
/// whether negative, the integer digits and the decimals without their
/// trailing zeros. A double holds every such number exactly as written,
/// and its shortest text is these digits, so [`dd`] writes them as it
/// writes the number ([`doc_value`] of them) without reading one.
fn short_decimal(d: &str) -> Option<(bool, &str, &str)> {
    let (neg, body) = match d.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, d),
    };
    let (int, frac) = body.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (d.len() <= 15 && digits(int) && digits(frac) && (int == "0" || !int.starts_with('0')))
        .then(|| (neg, int, frac.trim_end_matches('0')))
}

/// [`dd`] through [`Present::value`] and [`Present::shown_text`].
fn dd_shown(h: &mut String, p: &Present, v: &Value, shape: Shape) {
    let shown = p.value(v, shape);
    match (&shown, v) {
        (Shown::Empty, _) => h.push_str("<dd class=\"null\">–</dd>"),
        (Shown::DateTime(..), Value::Integer(i)) => {
            let _ = write!(h, "<dd title=\"{i}\">");
            escape_into(h, &p.shown_text(&shown));
            h.push_str("</dd>");
        }
        _ => {
            h.push_str("<dd>");
            escape_into(h, &p.shown_text(&shown));
            h.push_str("</dd>");
        }
    }
}

fn item(h: &mut String, k: &str, v: &str) {
    let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
}

/// Writes the whole page to `w` as it is made (rows streamed where the
/// document left them in the store), in pieces of about 64 KiB.
pub fn page(
    w: &mut impl Write,
    werr: &dyn Fn(std::io::Error) -> Error,
    info: &Info,
    tables: &[DocTable],
    map: &DataMap,
    p: &Present,
) -> Result<()> {
    let lang = p.lang;
    let l = labels(lang);
    let mut h = String::with_capacity(1 << 17);
    let mut span = ZoneSpan::default();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n<dl>\n",
        lang.code(),
        escape(&info.title),
        escape(&info.title)
    );
    for (k, v) in &info.general {
        item(&mut h, k, &p.shown_text(v));
    }
    h.push_str("</dl>\n");
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p class=\"note\">{}</p>",
        escape(l.summary),
        escape(l.summary_text)
    );
    for (row, count) in &info.tables {
        let _ = writeln!(
            h,
            "<section>\n<h3>{}</h3>\n<dl>",
            escape(row.first().map_or("", String::as_str))
        );
        for (k, v) in info.table_labels.iter().zip(row).skip(1) {
            item(&mut h, k, v);
        }
        if let Some(k) = info.table_labels.last() {
            item(&mut h, k, &count.to_string());
        }
        h.push_str("</dl>\n</section>\n");
    }
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p>{}</p>",
        escape(&info.rights.0),
        escape(&info.rights.1)
    );
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p>{} {}</p>",
        escape(l.complain),
        escape(l.complain_text),
        escape(&info.authority)
    );
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p class=\"note\">{}</p>",
        escape(l.your_data),
        escape(l.data_text)
    );
    for t in tables {
        let _ = writeln!(h, "<section>\n<h3>{}</h3>", escape(&t.name));
        if let Some(d) = &t.description {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(d));
        }
        if t.kind == DocKind::Mentions {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(l.mentions_text));
        }
        if let Some(mt) = map.table(&t.source).filter(|_| t.kind == DocKind::Rows) {
            let legend: Vec<(String, String)> = t
                .columns
                .iter()
                .filter_map(|c| {
                    crate::labels::column_description(mt, &c.name, lang)
                        .map(|d| (c.title().to_string(), d))
                })
                .collect();
            if !legend.is_empty() {
                h.push_str("<dl class=\"note\">\n");
                for (k, v) in legend {
                    item(&mut h, &k, &v);
                }
                h.push_str("</dl>\n");
            }
        }
        let titles: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("<dt>{}</dt>", escape(c.title())))
            .collect();
        let excerpt: Vec<bool> = t
            .columns
            .iter()
            .map(|c| t.kind == DocKind::Mentions && c.name == "excerpt")
            .collect();
        let same = |v: &Value| matches!(v, Value::Numeric(d) if short_decimal(d).is_some());
        t.each_row_passing(same, |r| {
            h.push_str("<dl class=\"entry\">\n");
            for (((c, v), title), &excerpt) in t.columns.iter().zip(r).zip(&titles).zip(&excerpt) {
                h.push_str(title);
                if excerpt {
                    let text = v.as_text().unwrap_or_default();
                    h.push_str("<dd><blockquote>");
                    escape_into(&mut h, text);
                    h.push_str("</blockquote></dd>\n");
                } else {
                    dd(&mut h, p, &mut span, v, c.shape);
                    h.push('\n');
                }
            }
            h.push_str("</dl>\n");
            if h.len() >= 1 << 16 {
                w.write_all(h.as_bytes()).map_err(werr)?;
                h.clear();
            }
            Ok(())
        })?;
        h.push_str("</section>\n");
    }
    h.push_str("</main>\n</body>\n</html>\n");
    w.write_all(h.as_bytes()).map_err(werr)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `numeric`'s digits written in place are what its document value
    /// (a real, or the digits) gives.
    #[test]
    fn numerics_in_place_are_their_document_values() {
        let mut forms: Vec<String> = [
            "0.0",
            "-0.0",
            "0.5",
            "-0.5",
            "12.5",
            "12.50",
            "12.0",
            "-12.0",
            "100.0",
            "0.10",
            "0.000000000001",
            "-0.00000000001",
            "123456789.12345",
            "99999999999999.9",
            "1234567890123.0",
            "0.30000000000001",
            "9007199254740.99",
            "1234567890123456.0",
            "12",
            "-7",
            "00.5",
            "1.",
            ".5",
            "1e5",
            "NaN",
            "12345678901234567890.5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for i in 0..3000 {
            forms.push(format!("{}.{}", i / 10, i % 10));
            forms.push(format!("-{}.{:03}", i * 7919, i % 1000));
            forms.push(format!("{}.{:02}", i as u64 * 104_729_003, i % 100));
        }
        for lang in [Lang::Sv, Lang::En] {
            let p = Present {
                lang,
                tz: jiff::tz::TimeZone::UTC,
                tz_name: "UTC".into(),
                today: jiff::civil::date(2026, 11, 22),
            };
            let mut span = ZoneSpan::default();
            for d in &forms {
                let v = Value::Numeric(d.clone());
                let (mut got, mut want) = (String::new(), String::new());
                dd(&mut got, &p, &mut span, &v, Shape::Plain);
                // As before: the document value, the digits through
                // the shown text.
                match doc_value(&v) {
                    dv @ Value::Numeric(_) => dd_shown(&mut want, &p, &dv, Shape::Plain),
                    dv => dd(&mut want, &p, &mut span, &dv, Shape::Plain),
                }
                assert_eq!(got, want, "{lang:?} {d}");
            }
        }
    }

    /// The values written in place are what the shown text gives.
    #[test]
    fn values_in_place_are_the_shown_text() {
        let vals = [
            Value::Null,
            Value::Integer(0),
            Value::Integer(-7),
            Value::Integer(99_999_999),
            Value::Integer(1_700_000_000),
            Value::Integer(1_719_792_000),
            Value::Integer(253_402_300_799),
            Value::Integer(1 << 53),
            Value::Integer(-(1 << 53)),
            Value::Integer(1_000_000_000_000_000),
            Value::Integer((1 << 53) + 1),
            Value::Integer(i64::MIN),
            Value::Real(2824.1),
            Value::Real(-0.0),
            Value::Real(8.0),
            Value::Real(0.1),
            Value::Real(1e300),
            Value::Real(1e15),
            Value::Real(-1.5e-7),
            Value::Text("2017-02".into()),
            Value::Text("a <b> & 'c' \"d\" – é".into()),
            Value::Text("2024-05-01T10:00:00Z".into()),
            Value::Text("2018-06-25".into()),
            Value::Text("198112189876".into()),
            Value::Text(String::new()),
            Value::Bool(true),
            Value::Blob(vec![1, 2]),
        ];
        for zone in ["Europe/Stockholm", "UTC", "Asia/Kathmandu"] {
            for lang in [Lang::Sv, Lang::En] {
                let p = Present {
                    lang,
                    tz: jiff::tz::TimeZone::get(zone).expect("tz"),
                    tz_name: zone.into(),
                    today: jiff::civil::date(2026, 11, 22),
                };
                let mut span = ZoneSpan::default();
                for shape in [Shape::Plain, Shape::Date, Shape::Personnummer] {
                    for v in &vals {
                        let (mut fast, mut slow) = (String::new(), String::new());
                        dd(&mut fast, &p, &mut span, v, shape);
                        dd_shown(&mut slow, &p, v, shape);
                        assert_eq!(fast, slow, "{zone} {lang:?} {shape:?} {v:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn everything_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
