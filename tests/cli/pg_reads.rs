//! Reads on PostgreSQL end to end: `dsr extract` and `dsr export --all`
//! on the agency fixture loaded from `schema.pg.sql` into a schema of the
//! test's own give the documents the same commands give on the SQLite
//! fixture (skipped without DSR_TEST_POSTGRES_URL, failing under CI).

use crate::pg_env::{digits, map_column, PgTenant};
use serde_json::Value;

/// The columns SQLite leaves untyped, holding Unix seconds and ISO text
/// mixed: `text` in schema.pg.sql, the numbers written as digits. The one
/// difference of the two fixtures, so the SQLite document's numbers there
/// become those digits before the documents are compared.
const UNTYPED: [(&str, &str); 2] = [("messages", "sent_at"), ("visits", "at")];

fn as_pg_fixture_stores(doc: Value) -> Value {
    UNTYPED.iter().fold(doc, |d, (table, column)| {
        map_column(d, table, column, digits)
    })
}

#[test]
fn extract_on_postgres_gives_the_sqlite_document() {
    let Some(t) = PgTenant::agency("cli_extract", "") else {
        return;
    };
    for subject in [
        "contact_id:c-1",
        "email:anna@example.se",
        "personnummer:811218-9876",
        "phone:070-111 22 33",
        "email:DAN@example.se",
    ] {
        let lite = t.env.run(&["extract", subject]);
        assert_eq!(lite.code, 0, "{subject} on SQLite: {}", lite.stderr);
        let pg = t.run(&["extract", subject]);
        assert_eq!(pg.code, 0, "{subject} on PostgreSQL: {}", pg.stderr);
        assert_eq!(pg.json(), as_pg_fixture_stores(lite.json()), "{subject}");
        assert!(
            pg.json()["tables"]
                .as_object()
                .is_some_and(|t| !t.is_empty()),
            "{subject} found rows"
        );
    }
    // No data: the same refusal, exit 4 on both.
    let lite = t.env.run(&["extract", "email:nobody@example.se"]);
    let pg = t.run(&["extract", "email:nobody@example.se"]);
    assert_eq!(
        (pg.code, pg.stdout.as_str()),
        (lite.code, lite.stdout.as_str())
    );
    assert_eq!(pg.stderr, lite.stderr);
}

#[test]
fn export_all_on_postgres_gives_the_sqlite_document() {
    let Some(t) = PgTenant::agency("cli_export", "") else {
        return;
    };
    let lite = t.env.run(&["export", "--all", "--format", "json"]);
    assert_eq!(lite.code, 0, "SQLite: {}", lite.stderr);
    let pg = t.run(&["export", "--all", "--format", "json"]);
    assert_eq!(pg.code, 0, "PostgreSQL: {}", pg.stderr);
    // The same tables, columns, rows in the same order, the same value
    // forms, and the same layout (a row per line), line for line apart
    // from the untyped columns.
    let doc = pg.json();
    assert_eq!(doc, as_pg_fixture_stores(lite.json()));
    let (pl, ll): (Vec<&str>, Vec<&str>) =
        (pg.stdout.lines().collect(), lite.stdout.lines().collect());
    assert_eq!(pl.len(), ll.len());
    let differ: Vec<(&str, &str)> = pl
        .iter()
        .zip(&ll)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (*a, *b))
        .collect();
    assert_eq!(
        differ.len(),
        4,
        "the rows of messages and visits with numbers: {differ:#?}"
    );
    assert!(differ
        .iter()
        .all(|(p, _)| p.contains("\"sent_at\":\"") || p.contains("\"at\":\"")));
    let contacts = &doc["tables"]["contacts"]["rows"];
    assert_eq!(contacts[0]["id"], "c-1");
    assert_eq!(contacts[0]["photo"], "AP8Q", "bytea as base64");
}

/// `export --all --format csv`: PostgreSQL writes most tables itself
/// (COPY), the rest (reals, bytea) row by row; either way the files are
/// the SQLite fixture's, byte for byte (the untyped columns hold digits on
/// both, and CSV writes numbers as digits).
#[test]
fn export_all_csv_on_postgres_is_the_sqlite_files() {
    let Some(t) = PgTenant::agency("cli_export_csv", "") else {
        return;
    };
    let lite = t
        .env
        .run(&["export", "--all", "--format", "csv", "-o", "lite"]);
    assert_eq!(lite.code, 0, "SQLite: {}", lite.stderr);
    let pg = t.run(&["export", "--all", "--format", "csv", "-o", "pg"]);
    assert_eq!(pg.code, 0, "PostgreSQL: {}", pg.stderr);
    let files = |d: &str| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(t.env.path(d))
            .expect("dir")
            .map(|e| {
                let e = e.expect("entry");
                let bytes = std::fs::read(e.path()).expect("read");
                (e.file_name().to_string_lossy().into_owned(), bytes)
            })
            .collect();
        v.sort();
        v
    };
    let (l, p) = (files("lite"), files("pg"));
    assert_eq!(
        l.len(),
        8,
        "{:?}",
        l.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((ln, lb), (pn, pb)) in l.iter().zip(&p) {
        assert_eq!(ln, pn);
        assert_eq!(
            String::from_utf8_lossy(pb),
            String::from_utf8_lossy(lb),
            "{pn}"
        );
    }
    assert_eq!(l.len(), p.len());
}

/// A free-text column under a Turkish collation, where lowering turns `I`
/// into a dotless `ı`, and one under a nondeterministic collation, where
/// LIKE is refused: the mention written in capitals is still found, and
/// the search does not fail (`ILIKE` by the column's collation missed the
/// first and erred on the second).
#[test]
fn mentions_are_found_whatever_the_columns_collation() {
    let extra = r#"
        ALTER TABLE messages ALTER COLUMN body TYPE text COLLATE "tr-x-icu";
        INSERT INTO messages VALUES (5, 'c-2', 'Forwarded to CIA@EXAMPLE.COM today', '2024-03-01');
        CREATE COLLATION ci_und (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
        ALTER TABLE assignments ALTER COLUMN note TYPE text COLLATE ci_und;
        INSERT INTO assignments VALUES (3, 'acme', 'E1', 'c-2', 'Ask Cia (cia@example.com) first');
    "#;
    let Some(pg) = PgTenant::agency("cli_collations", extra) else {
        return;
    };
    // Cia shares a personnummer with Bo (the fixture's ambiguous subject).
    let out = pg.run(&["extract", "--all-matches", "email:cia@example.com"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["mentions"],
        serde_json::json!({
            "assignments": {"column": "note", "label": "Assignments", "column_label": "Note",
                "rows": [{"key": {"id": 3}, "excerpts": ["Ask Cia (cia@example.com) first"]}]},
            "messages": {"column": "body", "label": "Messages to customer service",
                "column_label": "Text",
                "rows": [{"key": {"id": 5}, "excerpts": ["Forwarded to CIA@EXAMPLE.COM today"]}]}
        })
    );
}
