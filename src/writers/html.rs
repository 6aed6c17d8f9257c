//! HTML extract: one self-contained page for the data subject — no
//! scripts, no external resources (a Content-Security-Policy says so to the
//! browser), inline styles only, every value escaped.
//!
//! It reads on a phone (390 px) as on a desktop and prints: a summary
//! first (what is held, why, for how long, who receives it, the rights,
//! how to complain), then the data, each row as a card of label and value
//! rather than a wide table, so that nothing scrolls sideways.

use super::info::{labels, Info};
use super::{DocKind, DocTable};
use crate::error::{Error, Result};
use crate::labels::show::{Present, Shown};
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

/// [`escape`], appended to `out`.
fn escape_into(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
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

/// Appends one value's `<dd>`.
fn dd(h: &mut String, p: &Present, v: &Value, shape: crate::labels::show::Shape) {
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
    let mut h = String::new();
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
        t.each_row(|r| {
            h.push_str("<dl class=\"entry\">\n");
            for ((c, v), title) in t.columns.iter().zip(r).zip(&titles) {
                h.push_str(title);
                if t.kind == DocKind::Mentions && c.name == "excerpt" {
                    let text = v.as_text().unwrap_or_default();
                    h.push_str("<dd><blockquote>");
                    escape_into(&mut h, text);
                    h.push_str("</blockquote></dd>\n");
                } else {
                    dd(&mut h, p, v, c.shape);
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

    #[test]
    fn everything_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
