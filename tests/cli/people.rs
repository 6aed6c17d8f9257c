//! The copy a person reads (issue 12): the HTML page, the CSV information
//! file and the XLSX workbook of the demo and the agency in both languages
//! as snapshots; exact excerpts with other people's identifiers masked in
//! every format; the map's labels, overrides, language and warnings.

use crate::export::sheets;
use crate::TestEnv;
use serde_json::json;

/// Runs an extract into `out` and insists on exit 0.
fn extract(env: &TestEnv, args: &[&str]) {
    let out = env.run(&[&["extract"], args].concat());
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
}

/// The page without its style sheet (the same on every page).
fn page(env: &TestEnv, name: &str) -> String {
    let html = std::fs::read_to_string(env.path(name)).expect("html");
    let (head, rest) = html.split_once("<style>").expect("style");
    let (_, body) = rest.split_once("</style>").expect("style end");
    format!("{head}<style>…</style>{body}")
}

/// Every sheet as lines of cells.
fn workbook(env: &TestEnv, name: &str) -> String {
    let mut out = String::new();
    for (sheet, rows) in sheets(&env.path(name)) {
        out.push_str(&format!("== {sheet}\n"));
        for r in rows {
            out.push_str(&r.join(" | "));
            out.push('\n');
        }
    }
    out
}

/// The HTML, the CSV information file and the workbook of one subject in
/// one language, as one snapshot text.
fn copy(env: &TestEnv, subject: &str, lang: &str) -> String {
    let tag = format!("{lang}-{}", subject.replace([':', '@', '.'], "_"));
    extract(
        env,
        &[
            subject,
            "--lang",
            lang,
            "--format",
            "html",
            "-o",
            &format!("{tag}.html"),
        ],
    );
    extract(
        env,
        &[subject, "--lang", lang, "--format", "csv", "-o", &tag],
    );
    extract(
        env,
        &[
            subject,
            "--lang",
            lang,
            "--format",
            "xlsx",
            "-o",
            &format!("{tag}.xlsx"),
        ],
    );
    let info = if lang == "sv" {
        "_om_dina_uppgifter.csv"
    } else {
        "_about_your_data.csv"
    };
    let csv = std::fs::read_to_string(env.path(&format!("{tag}/{info}"))).expect("info csv");
    assert!(csv.starts_with('\u{feff}'), "a byte order mark for Excel");
    format!(
        "--- html\n{}\n--- {info}\n{}\n--- xlsx\n{}",
        page(env, &format!("{tag}.html")),
        csv.replace("\r\n", "\n"),
        workbook(env, &format!("{tag}.xlsx"))
    )
}

#[test]
fn the_agency_copy_in_swedish_and_english() {
    let env = TestEnv::agency();
    for lang in ["sv", "en"] {
        let all = copy(&env, "personnummer:811218-9876", lang);
        assert_no_codes_or_names(&env, &all, lang);
        insta::assert_snapshot!(format!("agency_{lang}"), all);
    }
}

#[test]
fn the_demo_copy_in_swedish_and_english() {
    let env = TestEnv::demo(40);
    // A customer with invoices under the bookkeeping hold and tickets.
    for lang in ["sv", "en"] {
        let all = copy(&env, "customer_id:1", lang);
        assert_no_codes_or_names(&env, &all, lang);
        insta::assert_snapshot!(format!("demo_{lang}"), all);
    }
}

/// No legal-basis or category code in a copy, and (the maps label every
/// table and column) no table or column name on the page; the CSV and
/// XLSX headers give the name beside the label, by design.
fn assert_no_codes_or_names(env: &TestEnv, all: &str, lang: &str) {
    crate::export::assert_no_codes(all, crate::export::CODES);
    assert!(!all.contains("Unix"), "Unix in the {lang} copy");
    let html = all.split("--- _").next().expect("the html part");
    for name in snake_case_names(env) {
        assert!(!html.contains(&name), "{name} in the {lang} page");
    }
}

/// The map's table and column names that have an underscore.
fn snake_case_names(env: &TestEnv) -> Vec<String> {
    let map: toml::Table =
        toml::from_str(&std::fs::read_to_string(&env.map).expect("map")).expect("toml");
    let mut names = Vec::new();
    for (t, v) in map["tables"].as_table().expect("tables") {
        names.push(t.clone());
        if let Some(cols) = v.get("columns").and_then(|c| c.as_table()) {
            names.extend(cols.keys().cloned());
        }
    }
    names.retain(|n| n.contains('_'));
    assert!(names.len() > 5, "{names:?}");
    names
}

/// A message that names Dan, Eva (by email), a stranger's phone and Bo's
/// personnummer, in one of Gun's messages.
fn agency_with_a_mention() -> TestEnv {
    let env = TestEnv::agency();
    env.conn()
        .execute(
            "INSERT INTO messages VALUES (9, 'c-3', 'Kunden har avlidit. Dödsbo: kontaktperson Dan (dan@example.se), nås även via eva@example.se eller 070-999 88 77. Bo 850709-9805 har nyckeln. Ärendet stängt 2024-05-01.', '2024-03-09')",
            [],
        )
        .expect("a message");
    env
}

#[test]
fn a_mention_is_an_excerpt_with_other_identifiers_masked_in_every_format() {
    let env = agency_with_a_mention();
    // Dan is named by his email: the sentence, others masked; the rest of
    // the message (the death, Bo's key, the date) is not handed out.
    let excerpt = "…Dödsbo: kontaktperson Dan (dan@example.se), nås även via *** eller ***.…";
    let out = env.run(&["extract", "contact_id:c-1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    let rows = doc["mentions"]["messages"]["rows"]
        .as_array()
        .expect("rows");
    let nine = rows
        .iter()
        .find(|r| r["key"]["id"] == 9)
        .expect("message 9");
    assert_eq!(nine, &json!({ "key": { "id": 9 }, "excerpts": [excerpt] }));

    extract(
        &env,
        &["contact_id:c-1", "--format", "html", "-o", "dan.html"],
    );
    let html = std::fs::read_to_string(env.path("dan.html")).expect("html");
    assert!(
        html.contains("<dt>Message</dt><dd>9</dd>\n<dt>Excerpt</dt><dd><blockquote>…Dödsbo: kontaktperson Dan (dan@example.se), nås även via *** eller ***.…</blockquote></dd>"),
        "{html}"
    );
    extract(&env, &["contact_id:c-1", "--format", "csv", "-o", "dan"]);
    let csv = std::fs::read_to_string(env.path("dan/Mentions-Messages-to-customer-service.csv"))
        .expect("csv");
    assert!(csv.contains(&format!("\r\n9,\"{excerpt}\"\r\n")), "{csv}");
    extract(
        &env,
        &["contact_id:c-1", "--format", "xlsx", "-o", "dan.xlsx"],
    );
    let book = workbook(&env, "dan.xlsx");
    assert!(book.contains(&format!("n:9 | s:{excerpt}\n")), "{book}");
    // (Eva's own contact row is Dan's through their household; only the
    // mentions are looked at here.)
    let html_mentions = html.split("<h3>Mentions").nth(1).expect("mentions section");
    let book_mentions = book.split("== Mentions").nth(1).expect("mentions sheet");
    for text in [&nine.to_string(), html_mentions, &csv, book_mentions] {
        for other in [
            "eva@example.se",
            "070-999 88 77",
            "850709-9805",
            "avlidit",
            "nyckeln",
        ] {
            assert!(!text.contains(other), "{other} handed out");
        }
    }

    // Bo, named by his personnummer: his excerpt masks Dan's and Eva's
    // addresses and the phone, and is cut at its own sentence.
    let out = env.run(&["extract", "personnummer:198507099805", "--all-matches"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    let nine = doc["mentions"]["messages"]["rows"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["key"]["id"] == 9).cloned())
        .expect("message 9");
    assert_eq!(nine["excerpts"], json!(["…Bo 850709-9805 har nyckeln.…"]));
}

#[test]
fn labels_overrides_language_and_warnings_come_from_the_map() {
    let env = TestEnv::agency();
    let map = std::fs::read_to_string(&env.map).expect("map");
    let map = map
        .replacen("version = 1\n", "version = 1\nlanguage = \"sv\"\n", 1)
        .replace("timezone = \"Europe/Stockholm\"", "timezone = \"America/New_York\"")
        .replace("[labels.categories]\n", "[labels.legal_bases]\ncontract = { sv = \"Avtalet med dig (art. 6.1 b)\", en = \"Our contract with you (Art. 6(1)(b))\" }\n\n[labels.categories]\n")
        .replace("amount = { category = \"financial.salary\"", "amount = { category = \"pay.gross\"")
        .replace("[tables.visits]\n", "[tables.visits]\nkeep_reason = { sv = \"statistiken behövs för att upptäcka intrång\", en = \"the statistics are needed to detect intrusions\" }\n")
        .replace("on_erase = \"delete\"\nretention = { after = \"at\"", "on_erase = \"keep\"\nretention = { after = \"at\"");
    std::fs::write(&env.map, map).expect("write map");
    // The map's language is the default --lang; its zone shows the times.
    let out = env.run(&["extract", "personnummer:811218-9876"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["language"], "sv");
    assert_eq!(doc["timezone"], "America/New_York");
    let e = &doc["tables"]["employees"];
    assert_eq!(e["legal_basis"], "contract");
    assert_eq!(e["legal_basis_label"], "Avtalet med dig (art. 6.1 b)");
    // An unknown category: shown as written, and `check` warns.
    assert_eq!(
        doc["tables"]["payslips"]["category_labels"],
        json!({ "pay.gross": "pay.gross" })
    );
    let out = env.run(&[
        "extract",
        "personnummer:811218-9876",
        "--lang",
        "en",
        "--format",
        "html",
        "-o",
        "a.html",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = std::fs::read_to_string(env.path("a.html")).expect("html");
    assert!(
        html.contains("<dt>Legal basis</dt><dd>Our contract with you (Art. 6(1)(b))</dd>"),
        "{html}"
    );
    assert!(
        html.contains(
            "<dt>Employed from</dt><dd title=\"1500000000\">13 July 2017, 22:40 EDT</dd>"
        ),
        "{html}"
    );
    let out = env.run(&["--json", "check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let findings = out.json()["findings"].clone();
    let messages: Vec<&str> = findings
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["message"].as_str())
        .filter(|m| m.contains("built-in words") || m.contains("keep_reason"))
        .collect();
    // visits gives its keep_reason, so only the category is warned about.
    assert_eq!(
        messages,
        ["category \"pay.gross\" has no built-in words, so people read it as written"]
    );
    let out = env.run(&["check"]);
    assert!(
        out.stdout
            .contains("warning: payslips.amount: category \"pay.gross\" has no built-in words"),
        "{}",
        out.stdout
    );
    // A keep table says it is not erased on request, and why.
    let out = env.run(&["extract", "email:dan@example.se", "--lang", "en"]);
    assert_eq!(
        out.json()["tables"]["visits"]["retention"],
        "Kept for 90 days after time, then erased. Not erased if you ask for erasure: the statistics are needed to detect intrusions"
    );
}
