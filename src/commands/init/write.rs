//! The draft map as text, written by hand rather than serialised so that
//! its comments sit where a person needs them and its order is the
//! store's. Only names from the schema appear in it, never a value.

use super::guess::{Cat, TableGuess};
use std::fmt::Write;

/// A TOML key: bare when it can be, else a quoted string.
fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        string(s)
    }
}

/// A TOML basic string.
fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn on_table(on: &[(String, String)]) -> String {
    let pairs: Vec<String> = on
        .iter()
        .map(|(c, p)| format!("{} = {}", key(c), string(p)))
        .collect();
    format!("{{ {} }}", pairs.join(", "))
}

/// The whole draft.
pub fn draft(tables: &[TableGuess]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Draft data map written by `dsr init` from the store's schema.\n\
         # A person finishes it: every TODO below is a decision dsr cannot make\n\
         # (purpose, legal basis, retention, holds), and every guess (links,\n\
         # subjects, identify columns, categories, erase strategies) wants a look.\n\
         # `dsr check` warns about each TODO left. Format: data map version 1.\n\
         version = 1\n\n\
         [controller]\n\
         name = \"TODO: the controller's legal name\"\n\
         contact = \"TODO: where data subjects write (the DPO)\"\n\
         authority = \"Integritetsskyddsmyndigheten (IMY), www.imy.se\"\n"
    );
    let mut kinds: Vec<(&str, &str)> = Vec::new();
    for t in tables {
        for (k, _) in &t.identify {
            let kind = match *k {
                "email" => "email",
                "personnummer" => "personnummer",
                "phone" => "phone",
                _ => "text",
            };
            if !kinds.iter().any(|(n, _)| n == k) {
                kinds.push((k, kind));
            }
        }
    }
    s.push_str("[identifiers]\n");
    if kinds.is_empty() {
        s.push_str("# TODO: no table looked like one row per person; declare the kinds a request may name\n# email = \"email\"\n");
    }
    for (n, k) in &kinds {
        let _ = writeln!(s, "{n} = {}", string(k));
    }
    for t in tables {
        s.push('\n');
        table(&mut s, t);
    }
    s
}

fn table(s: &mut String, t: &TableGuess) {
    let tk = key(&t.name);
    if t.subjects {
        s.push_str("# Looks like one row per person: it has an email or personnummer column\n# and other tables refer to it.\n");
    }
    let _ = writeln!(s, "[tables.{tk}]");
    if t.subjects {
        s.push_str("subjects = true\n");
    }
    s.push_str("purpose = \"TODO: why this table is processed\"\n");
    s.push_str("legal_basis = \"legitimate_interests\"   # TODO: check: consent | contract | legal_obligation | vital_interests | public_task | legitimate_interests\n");
    if !t.identify.is_empty() {
        let parts: Vec<String> = t
            .identify
            .iter()
            .map(|(k, cols)| match cols.as_slice() {
                [one] => format!("{k} = {}", string(one)),
                many => format!(
                    "{k} = [{}]",
                    many.iter()
                        .map(|c| string(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect();
        let _ = writeln!(s, "identify = {{ {} }}", parts.join(", "));
    }
    let live: Vec<_> = t.links.iter().filter(|l| l.commented.is_none()).collect();
    match live.as_slice() {
        [] => {}
        [one] => {
            let _ = writeln!(
                s,
                "link = {{ to = {}, on = {} }}",
                string(&one.to),
                on_table(&one.on)
            );
        }
        many => {
            s.push_str("link = [\n");
            for l in many {
                let _ = writeln!(
                    s,
                    "  {{ to = {}, on = {} }},",
                    string(&l.to),
                    on_table(&l.on)
                );
            }
            s.push_str("]\n");
        }
    }
    for l in t.links.iter().filter(|l| l.commented.is_some()) {
        let _ = writeln!(
            s,
            "# Not followed: {}.\n# link = {{ to = {}, on = {} }}",
            l.commented.as_deref().unwrap_or_default(),
            string(&l.to),
            on_table(&l.on)
        );
    }
    let _ = writeln!(
        s,
        "on_erase = {}   # TODO: check: delete | anonymize | keep",
        string(t.on_erase)
    );
    let after = t.date_column.as_deref().unwrap_or("TODO_date_column");
    let _ = writeln!(
        s,
        "# TODO: retention: how long are these rows kept, counted from which date?\n# retention = {{ after = {}, keep = \"TODO\" }}",
        string(after)
    );
    if t.bookkeeping {
        let _ = writeln!(
            s,
            "# TODO: hold: accounting records (invoices, payments, orders) are kept to the end of\n# the seventh year after the year they were made, whatever the person asks:\n# hold = {{ after = {}, keep = \"7y\", round = \"year_end\", reason = \"Bokföringslagen 7 kap. 2 §\" }}",
            string(after)
        );
    }
    if t.columns.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n[tables.{tk}.columns]");
    for c in &t.columns {
        let Some(cat) = c.cat else {
            let _ = writeln!(
                s,
                "{} = {{}}   # TODO: its name suggests personal data; give it a category and an erase strategy if it is",
                key(&c.name)
            );
            continue;
        };
        let mut parts = vec![format!("category = {}", string(cat.category()))];
        if let Some(e) = c.erase {
            parts.push(format!("erase = {}", string(e)));
        }
        if cat == Cat::FreeText {
            parts.push("scan = true".into());
        }
        if cat == Cat::Secret {
            parts.push("extract = false".into());
        }
        let mut notes = Vec::new();
        if c.by_content {
            notes.push("by its values".to_string());
        }
        if let Some(n) = c.no_erase {
            notes.push(format!("no erase: {n}"));
        }
        let comment = if notes.is_empty() {
            String::new()
        } else {
            format!("   # {}", notes.join("; "))
        };
        let _ = writeln!(s, "{} = {{ {} }}{comment}", key(&c.name), parts.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_strings_are_valid_toml() {
        assert_eq!(key("first_name"), "first_name");
        assert_eq!(key("e-post"), "e-post");
        assert_eq!(key("förnamn"), "\"förnamn\"");
        assert_eq!(key("order items"), "\"order items\"");
        assert_eq!(string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
