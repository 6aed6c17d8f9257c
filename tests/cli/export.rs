//! `dsr export` and the file formats of `dsr extract` (xlsx, csv, html):
//! exact contents on the agency and demo fixtures, read back with calamine
//! and an independent CSV parser; file rules; audit records.

use crate::stores;
use crate::{Outcome, TestEnv, NOW};
use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::{json, Value as Json};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Every sheet of a workbook, each cell as `n:` number, `s:` text, `d:`
/// date-time, or "" when empty.
pub(crate) fn sheets(path: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let mut wb: Xlsx<_> = open_workbook(path).expect("open xlsx");
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let r = wb.worksheet_range(&name).expect("sheet");
            let rows = r
                .rows()
                .map(|row| {
                    row.iter()
                        .map(|c| match c {
                            Data::Empty => String::new(),
                            Data::Float(f) => format!("n:{f}"),
                            Data::Int(i) => format!("n:{i}"),
                            Data::String(s) => format!("s:{s}"),
                            Data::DateTime(d) => {
                                let (y, m, dd, h, mi, s, _) = d.to_ymd_hms_milli();
                                format!("d:{y:04}-{m:02}-{dd:02} {h:02}:{mi:02}:{s:02}")
                            }
                            other => format!("?:{other:?}"),
                        })
                        .collect()
                })
                .collect();
            (name, rows)
        })
        .collect()
}

fn sheet<'a>(all: &'a [(String, Vec<Vec<String>>)], name: &str) -> &'a Vec<Vec<String>> {
    &all.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no sheet {name}"))
        .1
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

/// Runs dsr on the tenant and insists on exit 0.
fn ok(env: &TestEnv, args: &[&str]) -> Outcome {
    let out = env.run(args);
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn details(env: &TestEnv, seq: usize) -> (String, String, Option<String>, Json) {
    let rows = env.audit_rows();
    let (_, command, outcome, subject, d) = rows[seq - 1].clone();
    (
        command,
        outcome,
        subject,
        serde_json::from_str(&d).expect("details"),
    )
}

/// Every cell of a sheet, one a line.
fn cells_text(rows: &[Vec<String>]) -> String {
    rows.iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

/// Codes and names of the agency fixture that have labels: none may reach
/// a person.
const AGENCY_CODES: &[&str] = &[
    "contract",
    "legal_obligation",
    "identity.",
    "contact.",
    "financial.",
    "content.",
    "paid_on",
    "employees",
    "payslips",
];

/// Fails when a code or bare name that has a label appears in a text
/// meant for people.
/// Legal-basis and category codes, which no output for people shows.
pub const CODES: &[&str] = &[
    "legal_obligation",
    "legitimate_interests",
    "identity.",
    "contact.",
    "financial.",
    "content.",
    "usage.",
    "consent.",
    "employment.",
];

pub fn assert_no_codes(text: &str, codes: &[&str]) {
    for c in codes {
        assert!(!text.contains(c), "{c} in the people's output:\n{text}");
    }
}

/// Files of a directory, sorted, with their contents.
fn dir_files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("read"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn xlsx_extract_of_the_agency_cell_by_cell() {
    let env = TestEnv::agency();
    ok(
        &env,
        &[
            "extract",
            "personnummer:811218-9876",
            "--format",
            "xlsx",
            "-o",
            "anna.xlsx",
        ],
    );
    let path = env.path("anna.xlsx");
    assert_eq!(mode(&path), 0o600);
    let all = sheets(&path);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    // Sheets named by the tables' labels (31 characters at most).
    assert_eq!(
        names,
        [
            "About your data",
            "Employees",
            "Time reports",
            "Payslips",
            "Assignments",
            "Mentions – Messages to customer"
        ]
    );
    let about = sheet(&all, "About your data");
    let pad = |cells: &[&str]| {
        let mut r = row(cells);
        r.resize(9, String::new());
        r
    };
    assert_eq!(about[0], pad(&["s:Your personal data"]));
    assert_eq!(about[2], pad(&["s:Controller", "s:Agency AB"]));
    assert_eq!(
        about[4],
        pad(&[
            "s:Supervisory authority (Art. 15(1)(f))",
            "s:Integritetsskyddsmyndigheten (IMY), www.imy.se"
        ])
    );
    // The time of the extract is a date cell, in Stockholm time.
    assert_eq!(about[5], pad(&["s:Extract made", "d:2026-11-22 11:00:00"]));
    assert_eq!(
        about[6],
        pad(&[
            "s:You were identified by",
            "s:Personal identity number: 19811218-9876; Email address: anna@example.se (found in Employees)"
        ])
    );
    assert_eq!(
        about[7],
        pad(&[
            "s:Times",
            "s:Dates are written day month year. Times are given in the Europe/Stockholm time zone (local time, its abbreviation after the time)."
        ])
    );
    assert_eq!(
        about[9],
        row(&[
            "s:Table",
            "s:Purpose (Art. 15(1)(a))",
            "s:Legal basis",
            "s:Categories of data (b)",
            "s:Recipients (c)",
            "s:Storage period (d)",
            "s:Source (g)",
            "s:Held but not shown",
            "s:Rows"
        ])
    );
    // Labels, not codes; the row count a number.
    assert_eq!(
        about[12],
        row(&[
            "s:Payslips",
            "s:Paying salaries",
            "s:Legal obligation (Art. 6(1)(c))",
            "s:Salary",
            "s:none",
            "s:Kept at least until 31 December of the year that falls 7 years after paid on (Bokföringslagen 7 kap. 2 §), and not erased on request before then. If you ask for erasure, they are erased when that period has ended.",
            "s:not stated",
            "s:none",
            "n:2"
        ])
    );
    assert!(about[15][0].starts_with("s:Your rights"), "{:?}", about[15]);
    assert!(about[15][1].contains("Integritetsskyddsmyndigheten"));
    let text = cells_text(about);
    assert_no_codes(&text, AGENCY_CODES);

    // A header row of labels, the column names below it; typed cells.
    assert_eq!(
        *sheet(&all, "Employees"),
        vec![
            row(&[
                "s:Company",
                "s:Employee number",
                "s:Name",
                "s:Email address",
                "s:Personal identity number",
                "s:Employed from"
            ]),
            row(&[
                "s:org",
                "s:emp_no",
                "s:full_name",
                "s:email",
                "s:personnummer",
                "s:hired"
            ]),
            // hired: Unix seconds in a date column become a date-time, in
            // Stockholm time; the personnummer reads YYYYMMDD-NNNN.
            row(&[
                "s:acme",
                "s:E1",
                "s:Anna Berg",
                "s:anna@example.se",
                "s:19811218-9876",
                "d:2017-07-14 04:40:00"
            ]),
        ]
    );
    assert_eq!(
        *sheet(&all, "Time reports"),
        vec![
            row(&[
                "s:Report",
                "s:Company",
                "s:Employee number",
                "s:Day",
                "s:Hours",
                "s:Note"
            ]),
            row(&["s:id", "s:org", "s:emp_no", "s:day", "s:hours", "s:note"]),
            row(&[
                "n:1",
                "s:acme",
                "s:E1",
                "d:2023-11-14 23:13:20",
                "n:7.5",
                "s:Met the client"
            ]),
            row(&["n:4", "s:acme", "s:E1", "d:2023-11-17 23:13:20", "", ""]),
        ]
    );
    assert_eq!(
        *sheet(&all, "Payslips"),
        vec![
            row(&[
                "s:Payslip",
                "s:Company",
                "s:Employee number",
                "s:Paid on",
                "s:Amount (SEK)"
            ]),
            row(&["s:id", "s:org", "s:emp_no", "s:paid_on", "s:amount"]),
            // An ISO date in text becomes a date; money a number.
            row(&["n:1", "s:acme", "s:E1", "d:2018-06-25 00:00:00", "n:31000"]),
            row(&["n:2", "s:acme", "s:E1", "d:2024-06-25 00:00:00", "n:34000"]),
        ]
    );
    // A mention: the key and the excerpt.
    assert_eq!(
        *sheet(&all, "Mentions – Messages to customer"),
        vec![
            row(&["s:Message", "s:Excerpt"]),
            row(&["s:id", "s:excerpt"]),
            row(&["n:2", "s:Anna Berg (811218-9876) visited on Tuesday"]),
        ]
    );
    let (command, outcome, subject, d) = details(&env, 1);
    assert_eq!((command.as_str(), outcome.as_str()), ("extract", "ok"));
    assert!(subject.is_some_and(|s| s.starts_with("hmac-sha256:")));
    assert_eq!(d["format"], "xlsx");
    assert_eq!(d["output"], "file");
    assert_eq!(
        d["tables"],
        json!({ "employees": 1, "time_reports": 2, "payslips": 2, "assignments": 1 })
    );
    assert!(!env.tool_tables_text().contains("811218"));
}

#[test]
fn xlsx_extract_in_swedish_names_its_first_sheet_and_lists_transfers() {
    let env = TestEnv::demo(20);
    ok(
        &env,
        &[
            "extract",
            "customer_id:1",
            "--format",
            "xlsx",
            "--lang",
            "sv",
            "-o",
            "k.xlsx",
        ],
    );
    let all = sheets(&env.path("k.xlsx"));
    assert_eq!(all[0].0, "Om dina uppgifter");
    let about = &all[0].1;
    assert_eq!(about[0][0], "s:Dina personuppgifter");
    let header = &about[9];
    let transfers = header
        .iter()
        .position(|h| h == "s:Överföring utanför EU/EES och skyddsåtgärder (art. 15.2)")
        .expect("a transfers column, since the demo map names transfers");
    let tickets = about
        .iter()
        .find(|r| r[0] == "s:Kundärenden")
        .expect("the tickets table, by its label");
    assert!(
        tickets[transfers].contains("Standard Contractual Clauses"),
        "{tickets:?}"
    );
    // Every data sheet (named by the table's label) agrees with the JSON
    // extract of the same subject.
    let doc = env
        .run(&["extract", "customer_id:1", "--lang", "sv"])
        .json();
    let tables = doc["tables"].as_object().expect("tables");
    assert_eq!(
        all.len(),
        1 + tables.len() + doc["mentions"].as_object().map_or(0, |m| m.len())
    );
    for (name, t) in tables {
        let cells = sheet(&all, t["label"].as_str().expect("a label"));
        let rows = t["rows"].as_array().expect("rows");
        let cols: Vec<&String> = rows[0].as_object().expect("row").keys().collect();
        // The column names in the second header row, below the labels.
        assert_eq!(
            cells[1],
            cols.iter().map(|c| format!("s:{c}")).collect::<Vec<_>>()
        );
        assert_eq!(cells.len(), rows.len() + 2, "{name}");
        for (r, jr) in rows.iter().enumerate() {
            for (c, col) in cols.iter().enumerate() {
                let got = &cells[r + 2][c];
                let ok = match &jr[col.as_str()] {
                    Json::Null => got.is_empty(),
                    Json::Number(n) => {
                        got == &format!("n:{}", n.as_f64().expect("f64")) || got.starts_with("d:")
                    }
                    // In Stockholm time, which may be the next day.
                    Json::String(s)
                        if s.len() >= 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' =>
                    {
                        got.starts_with("d:") || got == &format!("s:{s}")
                    }
                    // A personnummer as YYYYMMDD-NNNN.
                    Json::String(s) if col.as_str() == "personnummer" => {
                        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
                        let shown = &got[2..];
                        shown.len() == 13
                            && shown.as_bytes()[8] == b'-'
                            && shown
                                .replace('-', "")
                                .ends_with(&digits[digits.len() - 10..])
                    }
                    Json::String(s) => got == &format!("s:{s}"),
                    other => panic!("{other}"),
                };
                assert!(
                    ok,
                    "{name} row {r} {col}: xlsx {got} json {}",
                    jr[col.as_str()]
                );
            }
        }
    }
    // customers.created_at holds ISO text: a date cell.
    let customers = sheet(&all, "Kunduppgifter");
    let c = customers[1]
        .iter()
        .position(|h| h == "s:created_at")
        .expect("created_at");
    assert!(customers[2][c].starts_with("d:"), "{}", customers[2][c]);
    // Built-in words for the legal bases and categories, in Swedish.
    let text = cells_text(about);
    for words in [
        "Avtal (art. 6.1 b)",
        "Rättslig förpliktelse (art. 6.1 c)",
        "Personnummer eller samordningsnummer",
        "Energianvändning",
    ] {
        assert!(text.contains(words), "{words} missing");
    }
    assert_no_codes(&text, CODES);
    assert!(!about.iter().flatten().any(|c| c == "s:contract"));
}

#[test]
fn csv_extract_is_a_directory_of_exact_files() {
    for t in stores::agency("export_csv_extract") {
        let env = t.env();
        t.ok(&[
            "extract",
            "personnummer:811218-9876",
            "--format",
            "csv",
            "--lang",
            "sv",
            "-o",
            "anna",
        ]);
        let dir = env.path("anna");
        assert_eq!(mode(&dir), 0o700);
        for e in std::fs::read_dir(&dir).expect("dir") {
            assert_eq!(mode(&e.expect("entry").path()), 0o600);
        }
        let files = dir_files(&dir);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        // Files named by the tables' labels.
        assert_eq!(
            names,
            [
                "Anställda.csv",
                "Lönebesked.csv",
                "Omnämnanden-Meddelanden-till-kundtjänst.csv",
                "Tidrapporter.csv",
                "Uppdrag.csv",
                "_om_dina_uppgifter.csv",
            ]
        );
        let get = |n: &str| files.iter().find(|(f, _)| f == n).expect(n).1.clone();
        // A byte order mark, so that Excel reads å/ä/ö; a header of labels with
        // the column names beside them; values as stored (Art. 20).
        assert_eq!(
        get("Anställda.csv"),
        "\u{feff}Bolag (org),Anställningsnummer (emp_no),Namn (full_name),E-postadress (email),Personnummer (personnummer),Anställd från (hired)\r\nacme,E1,Anna Berg,anna@example.se,19811218-9876,1500000000\r\n"
    );
        // NULL hours and note: empty unquoted fields; reals keep their point.
        assert_eq!(
        get("Tidrapporter.csv"),
        "\u{feff}Rapport (id),Bolag (org),Anställningsnummer (emp_no),Dag (day),Timmar (hours),Anteckning (note)\r\n1,acme,E1,1700000000,7.5,Met the client\r\n4,acme,E1,1700259200,,\r\n"
    );
        assert_eq!(
        get("Lönebesked.csv"),
        "\u{feff}Lönebesked (id),Bolag (org),Anställningsnummer (emp_no),Utbetalningsdag (paid_on),Belopp (kr) (amount)\r\n1,acme,E1,2018-06-25,31000\r\n2,acme,E1,2024-06-25,34000\r\n"
    );
        // A mention: the key and the excerpt, not the other person's row.
        assert_eq!(
        get("Omnämnanden-Meddelanden-till-kundtjänst.csv"),
        "\u{feff}Meddelande (id),Utdrag (excerpt)\r\n2,Anna Berg (811218-9876) visited on Tuesday\r\n"
    );
        let about = get("_om_dina_uppgifter.csv");
        assert!(
            about.starts_with(
                "\u{feff}Tabell,uppgift,text\r\n,Personuppgiftsansvarig,Agency AB\r\n"
            ),
            "{about}"
        );
        for line in [
        ",Utdraget gjort,2026-11-22 kl. 11:00 CET",
        ",Du identifierades genom,Personnummer: 19811218-9876; E-postadress: anna@example.se (hittad i Anställda)",
        ",Tider,\"Datum skrivs år-månad-dag. Tider anges i tidszonen Europe/Stockholm (lokal tid, med förkortningen efter tiden).\"",
        "Anställda,Rättslig grund,Avtal (art. 6.1 b)",
        "Anställda,Kategorier av uppgifter (b),Namn; E-postadress; Personnummer eller samordningsnummer",
        "Anställda,Rader,1",
        "Lönebesked,Rättslig grund,Rättslig förpliktelse (art. 6.1 c)",
        "Lönebesked,Lagringstid (d),Sparas minst till och med 31 december det år som infaller 7 år efter utbetalningsdag (Bokföringslagen 7 kap. 2 §) och raderas inte på begäran före dess. Begär du radering raderas uppgifterna när den tiden har gått ut.",
        "Tidrapporter,Lagringstid (d),\"Sparas i 2 år efter dag, och raderas sedan. Begär du radering raderas de tidigare.\"",
        "Uppdrag,Kategorier av uppgifter (b),Anställningsnummer hos oss; Fritext (anteckningar och meddelanden)",
    ] {
        assert!(about.contains(&format!("\r\n{line}\r\n")), "{line} missing:\n{about}");
    }
        assert!(
            about.contains("\r\n,\"Dina rättigheter (art. 15.1 e, f, h)\",\"Du har rätt"),
            "{about}"
        );
        assert_no_codes(&about, AGENCY_CODES);
        let (_, _, _, d) = t.record(1);
        assert_eq!(
            (d["format"].as_str(), d["lang"].as_str()),
            (Some("csv"), Some("sv"))
        );
    }
}

#[test]
fn html_extract_escapes_every_value_and_loads_nothing() {
    let env = TestEnv::agency();
    env.conn()
        .execute(
            "UPDATE contacts SET name = '<script>alert(\"x\")</script> & <b>' WHERE id = 'c-3'",
            [],
        )
        .expect("update");
    ok(
        &env,
        &[
            "extract",
            "contact_id:c-3",
            "--format",
            "html",
            "--lang",
            "sv",
            "-o",
            "gun.html",
        ],
    );
    let path = env.path("gun.html");
    assert_eq!(mode(&path), 0o600);
    let html = std::fs::read_to_string(&path).expect("html");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"sv\">"));
    assert!(
        html.contains("<dt>Namn</dt><dd>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;</dd>"),
        "{html}"
    );
    let lower = html.to_lowercase();
    for bad in [
        "<script", "<b>", "src=", "href=", "<link", "@import", "url(",
    ] {
        assert!(!lower.contains(bad), "{bad} in the page");
    }
    assert!(html.contains("default-src 'none'"));
    for text in [
        "<h1>Dina personuppgifter</h1>",
        "<dt>Personuppgiftsansvarig</dt><dd>Agency AB</dd>",
        "<dt>Utdraget gjort</dt><dd>2026-11-22 kl. 11:00 CET</dd>",
        "<dt>Du identifierades genom</dt><dd>Kontaktnummer: c-3; E-postadress: gun@example.se (hittad i Kontaktpersoner); Telefonnummer: +46702223344 (hittad i Kontaktpersoner)</dd>",
        // The summary first: per register what, why, how long, who.
        "<h2>I korthet</h2>",
        "<section>\n<h3>Kontaktpersoner</h3>\n<dl>\n<dt>Ändamål (art. 15.1 a)</dt><dd>Customer contact</dd>\n<dt>Rättslig grund</dt><dd>Avtal (art. 6.1 b)</dd>\n<dt>Kategorier av uppgifter (b)</dt><dd>Namn; E-postadress; Telefonnummer; Foto</dd>\n<dt>Mottagare (c)</dt><dd>Plumbing partner AB</dd>\n<dt>Lagringstid (d)</dt><dd>Sparas så länge ändamålet kräver det. Begär du radering anonymiseras de. Vid anonymisering tas namn, e-postadress, telefonnummer, foto bort; resten sparas utan koppling till dig.</dd>\n<dt>Källa (g)</dt><dd>The data subject</dd>\n<dt>Sparas men visas inte</dt><dd>Foto</dd>\n<dt>Rader</dt><dd>1</dd>\n</dl>\n</section>",
        "<dt>Rättslig grund</dt><dd>Berättigat intresse (art. 6.1 f)</dd>",
        "<h2>Så klagar du</h2>",
        "Integritetsskyddsmyndigheten (IMY), www.imy.se",
        "<h2>Dina uppgifter</h2>",
        // Each row a card of label and value.
        "<dt>Kontaktnummer</dt><dd>c-3</dd>",
        // Unix seconds in a date column, shown as a date in Stockholm
        // time with the raw value.
        "<dt>Registrerad</dt><dd title=\"1610000000\">2021-01-07 kl. 07:13 CET</dd>",
        // ISO text too.
        "<dt>Skickat</dt><dd>2024-02-03 kl. 11:00 CET</dd>",
        // NULL
        "<dt>Portkod</dt><dd class=\"null\">–</dd>",
    ] {
        assert!(html.contains(text), "{text} missing");
    }
    // No wide tables, no codes or bare names where a label exists.
    assert!(!html.contains("<table"));
    for code in [
        "contract",
        "legitimate_interests",
        "identity.",
        "contact.",
        "content.",
        ">contacts<",
        ">household_id<",
        ">created<",
        ">sent_at<",
    ] {
        assert!(!html.contains(code), "{code} in the page");
    }
    let (_, _, _, d) = details(&env, 1);
    assert_eq!(d["format"], "html");
}

#[test]
fn existing_paths_are_refused_and_nothing_is_left_behind() {
    let env = TestEnv::agency();
    std::fs::write(env.path("taken.xlsx"), "mine").expect("write");
    std::fs::create_dir(env.path("taken")).expect("mkdir");
    std::fs::write(env.path("taken/notes.txt"), "mine").expect("write");
    let cases: [&[&str]; 5] = [
        &[
            "extract",
            "contact_id:c-3",
            "--format",
            "xlsx",
            "-o",
            "taken.xlsx",
        ],
        &[
            "extract",
            "contact_id:c-3",
            "--format",
            "html",
            "-o",
            "taken.xlsx",
        ],
        &[
            "extract",
            "contact_id:c-3",
            "--format",
            "csv",
            "-o",
            "taken",
        ],
        &["export", "--all", "--format", "xlsx", "-o", "taken.xlsx"],
        &["export", "contact_id:c-3", "--format", "csv", "-o", "taken"],
    ];
    for args in cases {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    }
    // --force does not remove a directory that is not an earlier CSV export.
    let out = env.run(&[
        "export", "--all", "--format", "csv", "-o", "taken", "--force",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("files other than .csv files"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(env.path("taken.xlsx")).expect("kept"),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(env.path("taken/notes.txt")).expect("kept"),
        "mine"
    );
    let audited: i64 = env
        .conn()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = '_dsr_audit'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(audited, 0, "refused before anything was read");

    // --force replaces a file, and an earlier CSV export.
    ok(
        &env,
        &[
            "export",
            "--all",
            "--format",
            "xlsx",
            "-o",
            "taken.xlsx",
            "--force",
        ],
    );
    assert_eq!(mode(&env.path("taken.xlsx")), 0o600);
    assert_eq!(
        env.run(&["export", "--all", "--format", "csv", "-o", "d"])
            .code,
        0
    );
    assert_eq!(
        env.run(&["export", "--all", "--format", "csv", "-o", "d"])
            .code,
        2
    );
    assert_eq!(
        env.run(&["export", "--all", "--format", "csv", "-o", "d", "--force"])
            .code,
        0
    );
    // An empty directory may be the target.
    std::fs::create_dir(env.path("empty")).expect("mkdir");
    assert_eq!(
        env.run(&["export", "--all", "--format", "csv", "-o", "empty"])
            .code,
        0
    );
    assert_eq!(mode(&env.path("empty")), 0o700);

    // A failed write leaves no file: the target directory does not exist.
    let out = env.run(&["export", "--all", "--format", "xlsx", "-o", "nodir/x.xlsx"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let mut left: Vec<String> = std::fs::read_dir(env.dir.path())
        .expect("dir")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".dsr-"))
        .collect();
    left.sort();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn csv_round_trips_tricky_values_and_neutralises_formulas() {
    let env = TestEnv::agency();
    let tricky = [
        (10, Some("He said \"hi\", then left")),
        (11, Some("line one\nline two\r\nthree")),
        (12, Some("Åsa Öberg, 東京 — ünïcödé")),
        (13, Some("")),
        (14, None),
        (15, Some("=HYPERLINK(\"http://x\",\"y\")")),
        (16, Some("+46 70 111")),
        (17, Some("-5")),
        (18, Some("@SUM(A1)")),
        (19, Some("'already quoted")),
    ];
    {
        let conn = env.conn();
        for (id, body) in tricky {
            conn.execute(
                "INSERT INTO messages (id, sender, body, sent_at) VALUES (?1, 'c-9', ?2, -3)",
                rusqlite::params![id, body],
            )
            .expect("insert");
        }
        conn.execute(
            "INSERT INTO time_reports VALUES (9, 'acme', 'E1', 1700000000, -1.5, NULL)",
            [],
        )
        .expect("insert");
    }
    ok(&env, &["export", "--all", "--format", "csv", "-o", "out"]);
    let raw = std::fs::read_to_string(env.path("out/messages.csv")).expect("messages");
    // NULL is an empty unquoted field, the empty string "".
    assert!(raw.contains("\r\n13,c-9,\"\",-3\r\n"), "{raw}");
    assert!(raw.contains("\r\n14,c-9,,-3\r\n"), "{raw}");
    // Numbers are never prefixed; text that starts a formula is.
    assert!(raw.contains("\r\n17,c-9,'-5,-3\r\n"), "{raw}");
    let times = std::fs::read_to_string(env.path("out/time_reports.csv")).expect("t");
    assert!(
        times.contains("\r\n9,acme,E1,1700000000,-1.5,\r\n"),
        "{times}"
    );

    // An independent RFC 4180 parser reads every value back.
    let mut rd = csv::ReaderBuilder::new()
        .from_path(env.path("out/messages.csv"))
        .expect("csv");
    assert_eq!(
        rd.headers().expect("headers"),
        vec!["id", "sender", "body", "sent_at"]
    );
    let mut got = std::collections::BTreeMap::new();
    for r in rd.records() {
        let r = r.expect("record");
        got.insert(r[0].parse::<i64>().expect("id"), r[2].to_string());
    }
    for (id, body) in tricky {
        let want = match body {
            None => String::new(),
            Some(b) if b.starts_with(['=', '+', '-', '@', '\'']) => format!("'{b}"),
            Some(b) => b.to_string(),
        };
        assert_eq!(got[&id], want, "message {id}");
    }
}

#[test]
fn all_exports_every_mapped_table_and_no_tool_table() {
    for t in stores::agency("export_all") {
        let env = t.env();
        // dsr's own tables exist once a command has run.
        assert_eq!(t.run(&["extract", "contact_id:c-3"]).code, 0);
        let mapped = [
            "employees",
            "time_reports",
            "payslips",
            "assignments",
            "contacts",
            "households",
            "messages",
            "visits",
        ];
        let out = t.ok(&["--json", "export", "--all", "-o", "all.json"]);
        let res = out.json();
        assert_eq!(res["schema"], "dsr.export-result/1");
        assert_eq!(res["rows"], 24);
        let doc: Json =
            serde_json::from_str(&std::fs::read_to_string(env.path("all.json")).expect("read"))
                .expect("json");
        assert_eq!(doc["schema"], "dsr.export/1");
        assert_eq!(doc["scope"], "tenant");
        assert_eq!(doc["generated_at"], NOW);
        let names: Vec<&String> = doc["tables"].as_object().expect("tables").keys().collect();
        assert_eq!(names, mapped);
        // All columns, withheld ones too; blobs as base64; types kept.
        assert_eq!(
            doc["tables"]["contacts"]["rows"][0],
            json!({ "id": "c-1", "household_id": "h-1", "name": "Dan Fors", "email": "dan@example.se", "phone": "070-111 22 33", "created": 1600000000, "photo": "AP8Q" })
        );
        assert_eq!(doc["tables"]["contacts"]["purpose"], "Customer contact");
        assert_eq!(doc["tables"]["contacts"]["legal_basis"], "contract");
        assert_eq!(
            doc["tables"]["time_reports"]["rows"][3],
            json!({ "id": 4, "org": "acme", "emp_no": "E1", "day": 1700259200, "hours": null, "note": null })
        );
        assert_eq!(
            doc["tables"]["time_reports"]["rows"][1]["hours"],
            json!(8.0)
        );
        assert_eq!(
            doc["tables"]["visits"]["rows"],
            json!([
                { "email": "dan@example.se", "at": t.untyped(json!(1700000000)) },
                { "email": "Dan@Example.se", "at": "2024-05-01T10:00:00Z" },
                { "email": "other@example.se", "at": t.untyped(json!(1700000100)) }
            ])
        );

        // The same on stdout, byte for byte but for nothing.
        let out = t.ok(&["export", "--all"]);
        let stdout_doc: Json = serde_json::from_str(&out.stdout).expect("stdout json");
        assert_eq!(stdout_doc, doc);

        t.ok(&["export", "--all", "--format", "csv", "-o", "all"]);
        let files: Vec<String> = dir_files(&env.path("all"))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let mut want: Vec<String> = mapped.iter().map(|t| format!("{t}.csv")).collect();
        want.sort();
        assert_eq!(files, want);

        t.ok(&["export", "--all", "--format", "xlsx", "-o", "all.xlsx"]);
        let all = sheets(&env.path("all.xlsx"));
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, mapped);
        assert_eq!(
            sheet(&all, "households")[2],
            row(&["s:h-2", "s:c-3", "s:Lillgatan 2, Luleå", ""])
        );
        // sent_at mixes ISO text and Unix seconds: both are dates; on
        // PostgreSQL the column is text, and digits in text stay text.
        let messages = sheet(&all, "messages");
        assert_eq!(messages[1][3], "d:2024-01-01 00:00:00");
        let unix = match t {
            stores::Tenant::Lite(_) => "d:2023-11-14 22:13:20",
            stores::Tenant::Pg(_) => "s:1700000000",
        };
        assert_eq!(messages[2][3], unix);

        // Audit: subject null, tables and counts, format; four exports.
        assert_eq!(t.query("SELECT count(*) FROM _dsr_audit"), ["5"]);
        for (i, fmt) in [(2, "json"), (3, "json"), (4, "csv"), (5, "xlsx")] {
            let (command, outcome, subject, d) = t.record(i);
            assert_eq!((command.as_str(), outcome.as_str()), ("export", "ok"));
            assert_eq!(subject, None);
            assert_eq!(d["format"], fmt);
            assert_eq!(d["scope"], "tenant");
            assert_eq!(d["rows"], 24);
            assert_eq!(
                d["tables"],
                json!({ "employees": 3, "time_reports": 4, "payslips": 3, "assignments": 2, "contacts": 3, "households": 2, "messages": 4, "visits": 3 })
            );
        }
        assert_eq!(t.record(3).3["output"], "stdout");
        assert_eq!(t.tool_tables_with("Dan Fors"), 0);
    }
}

#[test]
fn demo_tenant_export_matches_the_store() {
    let env = TestEnv::demo(30);
    ok(&env, &["export", "--all", "--format", "csv", "-o", "all"]);
    let conn = env.conn();
    for (name, text) in dir_files(&env.path("all")) {
        let table = name.trim_end_matches(".csv");
        assert!(!table.starts_with("_dsr_"));
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
                r.get(0)
            })
            .expect("count");
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(rd.records().count() as i64, n, "{table}");
    }
    ok(
        &env,
        &["export", "--all", "--format", "xlsx", "-o", "all.xlsx"],
    );
    let all = sheets(&env.path("all.xlsx"));
    let customers = sheet(&all, "customers");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
        .expect("count");
    assert_eq!(customers.len() as i64, n + 1);
    // Withheld from extracts, but a leaving customer gets every column.
    assert!(customers[0].contains(&"s:password_hash".to_string()));
}

#[test]
fn portability_leaves_out_tables_not_under_consent_or_contract() {
    for t in stores::agency("export_portability") {
        let env = t.env();
        let out = t.ok(&["export", "email:dan@example.se"]);
        let doc = out.json();
        assert_eq!(doc["schema"], "dsr.export/1");
        assert_eq!(doc["scope"], "subject");
        assert_eq!(
            doc["subject"],
            json!({ "identifiers": [
            { "kind": "email", "value": "dan@example.se", "given": true },
            { "kind": "phone", "value": "+46701112233", "given": false, "found_in": "contacts" },
            { "kind": "contact_id", "value": "c-1", "given": false, "found_in": "contacts" }
        ] })
        );
        let names: Vec<&String> = doc["tables"].as_object().expect("tables").keys().collect();
        // messages and visits are legitimate_interests: not portable.
        assert_eq!(names, ["assignments", "contacts", "households"]);
        assert!(doc.get("mentions").is_none());
        assert!(out
            .stderr
            .contains("left out (legal basis not consent or contract): messages, visits"));
        let (command, outcome, subject, d) = t.record(1);
        assert_eq!((command.as_str(), outcome.as_str()), ("export", "ok"));
        assert!(subject.is_some());
        assert_eq!(d["scope"], "subject");
        assert_eq!(
            d["tables"],
            json!({ "assignments": 1, "contacts": 2, "households": 1 })
        );
        assert_eq!(d["left_out"], json!({ "messages": 2, "visits": 2 }));

        // Anna: payslips are a legal obligation.
        t.ok(&[
            "export",
            "personnummer:811218-9876",
            "--format",
            "xlsx",
            "-o",
            "anna.xlsx",
        ]);
        let all = sheets(&env.path("anna.xlsx"));
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["employees", "time_reports", "assignments"]);
        t.ok(&[
            "export",
            "personnummer:811218-9876",
            "--format",
            "csv",
            "-o",
            "anna",
        ]);
        let files: Vec<String> = dir_files(&env.path("anna"))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            files,
            ["assignments.csv", "employees.csv", "time_reports.csv"]
        );

        // Only non-portable data: exit 4, recorded.
        t.exec("INSERT INTO visits VALUES ('only@example.se', 1700000000)");
        let out = t.run(&["export", "email:only@example.se"]);
        assert_eq!(out.code, 4, "{}", out.stderr);
        assert!(out.stderr.contains("no portable data"), "{}", out.stderr);
        assert_eq!(out.stdout, "");
        let (_, outcome, _, d) = t.record(4);
        assert_eq!(outcome, "not_found");
        assert_eq!(d["left_out"], json!({ "visits": 1 }));
    }
}

#[test]
fn export_refuses_like_extract_and_records_it() {
    let env = TestEnv::agency();
    // Bo and Cia share a personnummer.
    let out = env.run(&["export", "personnummer:850709-9805"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let out = env.run(&[
        "export",
        "email:nobody@example.se",
        "--format",
        "xlsx",
        "-o",
        "x.xlsx",
    ]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(!env.path("x.xlsx").exists());
    ok(
        &env,
        &["export", "personnummer:850709-9805", "--all-matches"],
    );
    let outcomes: Vec<(String, String)> = env
        .audit_rows()
        .into_iter()
        .map(|(_, c, o, _, _)| (c, o))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("export".into(), "ambiguous".into()),
            ("export".into(), "not_found".into()),
            ("export".into(), "ok".into())
        ]
    );
    // --all and subjects do not mix; xlsx needs -o.
    assert_eq!(env.run(&["export", "--all", "email:a@b.se"]).code, 2);
    assert_eq!(env.run(&["export"]).code, 2);
    assert_eq!(env.run(&["export", "--all", "--format", "xlsx"]).code, 2);
    assert_eq!(
        env.run(&["export", "--all", "--format", "html", "-o", "x"])
            .code,
        2
    );
}
