//! HTML extract: one self-contained page for the data subject — no
//! scripts, no external resources (a Content-Security-Policy says so to the
//! browser), inline styles only, every value escaped.

use super::info::{labels, Info};
use super::xlsx::is_date_column;
use super::DocTable;
use crate::report::Lang;
use crate::value::Value;
use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.4}\
table{border-collapse:collapse;margin:0.5rem 0 1.5rem;font-size:0.9rem}\
th,td{border:1px solid #bbb;padding:0.25rem 0.5rem;text-align:left;vertical-align:top;white-space:pre-wrap}\
th{background:#eee}\
td.null{color:#888}\
dl{display:grid;grid-template-columns:max-content auto;gap:0.25rem 1rem}\
dt{font-weight:bold}dd{margin:0}\
.scroll{overflow-x:auto}";

fn cell(v: &Value, is_date: bool) -> String {
    match v {
        Value::Null => "<td class=\"null\">–</td>".into(),
        Value::Integer(i) if is_date && (100_000_000..253_402_300_800).contains(i) => {
            match jiff::Timestamp::from_second(*i) {
                Ok(ts) => format!(
                    "<td title=\"{i}\">{}</td>",
                    escape(&ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
                ),
                Err(_) => format!("<td>{i}</td>"),
            }
        }
        Value::Integer(i) => format!("<td>{i}</td>"),
        Value::Real(f) => format!("<td>{f}</td>"),
        Value::Text(s) => format!("<td>{}</td>", escape(s)),
        Value::Blob(b) => {
            use base64::Engine;
            format!(
                "<td>{}</td>",
                base64::engine::general_purpose::STANDARD.encode(b)
            )
        }
        v => format!("<td>{}</td>", escape(&v.display_text().unwrap_or_default())),
    }
}

/// The whole page.
pub fn page(info: &Info, tables: &[DocTable], lang: Lang) -> String {
    let l = labels(lang);
    let mut h = String::new();
    let code = match lang {
        Lang::Sv => "sv",
        Lang::En => "en",
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&info.title),
        escape(&info.title)
    );
    let _ = writeln!(h, "<h2>{}</h2>\n<dl>", escape(l.about));
    for (k, v) in &info.general {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    }
    h.push_str("</dl>\n<div class=\"scroll\"><table>\n<thead><tr>");
    for t in &info.table_labels {
        let _ = write!(h, "<th>{}</th>", escape(t));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in &info.tables {
        h.push_str("<tr>");
        for v in row {
            let _ = write!(h, "<td>{}</td>", escape(v));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p>{}</p>",
        escape(&info.rights.0),
        escape(&info.rights.1)
    );
    let _ = writeln!(h, "<h2>{}</h2>", escape(l.your_data));
    let mut mentions_said = false;
    for t in tables {
        if t.name != t.source && !mentions_said {
            let _ = writeln!(h, "<p>{}</p>", escape(l.mentions_text));
            mentions_said = true;
        }
        let _ = writeln!(h, "<h3>{}</h3>", escape(&t.name));
        h.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
        for c in &t.columns {
            let _ = write!(h, "<th>{}</th>", escape(&c.name));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        let dates: Vec<bool> = t
            .columns
            .iter()
            .map(|c| is_date_column(&c.name, c.category.as_deref()))
            .collect();
        for r in &t.rows {
            h.push_str("<tr>");
            for (v, d) in r.iter().zip(&dates) {
                h.push_str(&cell(v, *d));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table></div>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
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
