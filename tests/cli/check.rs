//! `dsr check` on the fixture maps.

use crate::TestEnv;

#[test]
fn the_agency_map_fits_with_warnings() {
    let env = TestEnv::agency();
    let out = env.run(&["check"]);
    insta::assert_snapshot!(out.snapshot(&env));
}

#[test]
fn check_json_lists_findings_with_positions() {
    let env = TestEnv::agency();
    let out = env.run(&["--json", "check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["schema"], "dsr.check/1");
    assert_eq!(doc["errors"], 0);
    assert_eq!(doc["tables"], 8);
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(doc["warnings"].as_u64(), Some(findings.len() as u64));
    let sender = findings
        .iter()
        .find(|f| f["place"] == "messages.sender")
        .expect("sender warning");
    assert_eq!(
        (sender["line"].as_u64(), sender["column"].as_u64()),
        (Some(115), Some(8))
    );
    assert_eq!(sender["severity"], "warning");
}

#[test]
fn unmapped_personal_columns_and_tables_are_warned_about() {
    let env = TestEnv::agency();
    env.conn()
        .execute_batch(
            "ALTER TABLE employees ADD COLUMN home_phone TEXT;
             ALTER TABLE time_reports ADD COLUMN contact TEXT;
             UPDATE time_reports SET contact = 'someone@example.se';
             CREATE TABLE newsletter (address TEXT);",
        )
        .expect("alter");
    let out = env.run(&["check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("employees.home_phone: is not mapped, but its name suggests personal data"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "time_reports.contact: is not mapped, but its values look like email addresses"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("newsletter: the store's table \"newsletter\" is not in the map"),
        "{}",
        out.stdout
    );
}

#[test]
fn quiet_check_prints_only_errors() {
    let env = TestEnv::agency();
    let out = env.run(&["-q", "check"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
}

/// The rental fixture (shaped like Sakila): its foreign-key id columns
/// (`customer.address_id`, `address.city_id`, the own key `note_id`) are not
/// "personal by their name", and customer(address_id) → address, which the
/// map declares the other way round (address links to customer), is not
/// reported as undeclared. payment(rental_id) → rental really is undeclared.
#[test]
fn the_rental_map_fits_without_false_warnings_about_keys() {
    let env = TestEnv::rental();
    let out = env.run(&["check"]);
    insta::assert_snapshot!(out.snapshot(&env));
}

/// The agency store with columns an application might add: id columns named
/// after a table (`city_id` beside `cities`), a foreign key to a mapped
/// table declared by the map from the parent's side, and one really personal
/// column, which alone is reported.
#[test]
fn agency_key_columns_are_not_personal_by_their_name() {
    let env = TestEnv::agency();
    env.conn()
        .execute_batch(
            "CREATE TABLE cities (id INTEGER PRIMARY KEY, city TEXT);
             ALTER TABLE households ADD COLUMN city_id INTEGER;
             ALTER TABLE employees ADD COLUMN home_address TEXT;
             ALTER TABLE contacts ADD COLUMN message_note_id INTEGER REFERENCES messages(id);",
        )
        .expect("alter");
    let map = std::fs::read_to_string(&env.map).expect("map").replace(
        "link = { to = \"contacts\", on = { sender = \"id\" } }",
        "link = [ { to = \"contacts\", on = { sender = \"id\" } }, { to = \"contacts\", on = { id = \"message_note_id\" } } ]",
    );
    std::fs::write(&env.map, map).expect("map");
    let out = env.run(&["check"]);
    insta::assert_snapshot!(out.snapshot(&env));
}

/// Every SQL statement a `check` hint offers runs on a copy of the store,
/// and afterwards `check` no longer asks for it.
#[test]
fn every_sql_hint_of_check_is_valid_sql_for_the_store() {
    for env in [TestEnv::agency(), TestEnv::rental(), TestEnv::demo(20)] {
        let out = env.run(&["--json", "check"]);
        let doc = out.json();
        let sql: Vec<String> = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["hint"].as_str())
            .filter_map(|h| h.find("CREATE INDEX").map(|i| h[i..].to_string()))
            .collect();
        let scratch = env.path("scratch.db");
        std::fs::copy(&env.store, &scratch).expect("copy");
        let conn = rusqlite::Connection::open(&scratch).expect("open copy");
        for s in &sql {
            conn.execute_batch(s)
                .unwrap_or_else(|e| panic!("hint SQL {s:?} fails on SQLite: {e}"));
        }
        drop(conn);
        let again = env.run_plain(&[
            "--store",
            "scratch.db",
            "--map",
            env.map.to_str().expect("utf-8 path"),
            "--json",
            "check",
        ]);
        let left: Vec<String> = again.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["hint"].as_str())
            .filter(|h| h.contains("CREATE INDEX"))
            .map(str::to_string)
            .collect();
        assert!(
            left.is_empty(),
            "still asked for after running the hints: {left:?}"
        );
    }
}

/// `check` on the agency tenant in PostgreSQL: SQLite's findings but the
/// journal mode, each index hint in PostgreSQL's SQL (schema-qualified,
/// quoted; `lower(email)`, or a plain index on citext), and a pg_trgm hint
/// for each scanned column; an index that answers takes its finding away.
#[test]
fn pg_check_gives_the_same_findings_with_postgresql_hints() {
    let Some(pg) = crate::pg_env::PgTenant::agency("check_hints", "") else {
        return;
    };
    let findings = |out: &crate::Outcome| -> Vec<(String, String)> {
        assert_eq!(out.code, 0, "{}", out.stderr);
        let doc = out.json();
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["place"].as_str().unwrap_or("").to_string(),
                    f["hint"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let on_sqlite = findings(&TestEnv::agency().run(&["--json", "check"]));
    let on_pg = findings(&pg.run(&["--json", "check"]));
    let s = &pg.schema.name;
    let ask = |sql: String| format!("ask the application's owner for: {sql}");
    let trgm = |t: &str, c: &str| {
        ask(format!("CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE INDEX \"{t}_{c}_trgm_idx\" ON \"{s}\".\"{t}\" USING gin (\"{c}\" gin_trgm_ops);"))
    };
    let want: Vec<(String, String)> = vec![
        ("assignments.note".into(), trgm("assignments", "note")),
        ("messages.body".into(), trgm("messages", "body")),
        ("messages.sender".into(), ask(format!("CREATE INDEX \"messages_sender_idx\" ON \"{s}\".\"messages\" (\"sender\");"))),
        ("visits".into(), "give the table a primary key if the application can".into()),
        ("visits.email".into(), ask(format!("CREATE INDEX \"visits_email_lower_idx\" ON \"{s}\".\"visits\" (lower(\"email\")); (or make the column citext and index it as it is)"))),
    ];
    let mut got = on_pg.clone();
    got.sort();
    assert_eq!(got, want);
    // The same places as on SQLite, less its journal mode, plus the scans.
    let mut places: Vec<&str> = on_sqlite
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| *p != "store")
        .collect();
    places.extend(["assignments.note", "messages.body"]);
    places.sort();
    assert_eq!(
        places,
        want.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>()
    );
    // The indexes asked for answer: their findings go.
    // (pg_trgm stays installed in the test database: once per database.)
    pg.schema
        .exec("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public");
    let ns = &pg.rows(
        "SELECT quote_ident(extnamespace::regnamespace::text) FROM pg_extension WHERE extname = 'pg_trgm'",
    )[0];
    pg.schema.exec(&format!(
        "CREATE INDEX ON messages USING gin (body {ns}.gin_trgm_ops);
         CREATE INDEX ON messages (sender);
         CREATE INDEX ON visits (lower(email));"
    ));
    let after = findings(&pg.run(&["--json", "check"]));
    let places: Vec<&str> = after.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(places, ["assignments.note", "visits"]);
}
