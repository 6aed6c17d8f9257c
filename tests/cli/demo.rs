//! The demo tenant: deterministic, valid against its own map, and every
//! command works on it.

use crate::{outcome, TestEnv};
use dsr::store::pg::testing::{self, TestSchema};

#[test]
fn the_demo_tenant_checks_clean_and_answers_an_extract() {
    let env = TestEnv::demo(300);
    let out = env.run_plain(&["--store", "tenant.db", "--map", "datamap.toml", "check"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("error:"), "{}", out.stdout);

    let conn = env.conn();
    let (id, email): (i64, String) = conn
        .query_row(
            "SELECT id, email FROM customers ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a customer");
    let out = env.run_plain(&[
        "--store",
        "tenant.db",
        "--map",
        "datamap.toml",
        "extract",
        &format!("email:{}", email.to_uppercase()),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["tables"]["customers"]["rows"][0]["id"], id);
    let meters: i64 = conn
        .query_row(
            "SELECT count(*) FROM meters WHERE customer_id = ?1",
            [id],
            |r| r.get(0),
        )
        .expect("meters");
    assert_eq!(
        doc["tables"]["meters"]["rows"]
            .as_array()
            .map(|a| a.len() as i64),
        Some(meters)
    );
    let readings: i64 = conn
        .query_row("SELECT count(*) FROM meter_readings WHERE meter_id IN (SELECT id FROM meters WHERE customer_id = ?1)", [id], |r| r.get(0))
        .expect("readings");
    assert_eq!(
        doc["tables"]["meter_readings"]["rows"]
            .as_array()
            .map(|a| a.len() as i64)
            .unwrap_or(0),
        readings
    );
    let invoices: i64 = conn
        .query_row(
            "SELECT count(*) FROM invoices WHERE customer_id = ?1",
            [id],
            |r| r.get(0),
        )
        .expect("invoices");
    assert_eq!(
        doc["tables"]["invoices"]["rows"]
            .as_array()
            .map(|a| a.len() as i64)
            .unwrap_or(0),
        invoices
    );
    assert!(doc["tables"]["customers"]["withheld_columns"]
        .to_string()
        .contains("password_hash"));
    assert!(
        doc["tables"]["invoices"]["retention"]
            .as_str()
            .unwrap_or("")
            .contains("until 31 December of the year that falls 7 years after invoice date (Bokföringslagen 7 kap. 2 §), and not erased on request before then"),
        "{}",
        doc["tables"]["invoices"]["retention"]
    );
}

#[test]
fn every_stored_personnummer_form_is_found() {
    let env = TestEnv::demo(300);
    let conn = env.conn();
    let mut st = conn
        .prepare("SELECT id, personnummer FROM customers ORDER BY id LIMIT 40")
        .expect("prepare");
    let rows: Vec<(i64, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut forms = std::collections::BTreeSet::new();
    for (id, pnr) in rows {
        let digits: String = pnr.chars().filter(|c| c.is_ascii_digit()).collect();
        forms.insert(pnr.len());
        // Ask in the ten-digit form, whatever the stored form.
        let ten = &digits[digits.len() - 10..];
        let out = env.run_plain(&[
            "--store",
            "tenant.db",
            "--map",
            "datamap.toml",
            "extract",
            &format!("personnummer:{}-{}", &ten[..6], &ten[6..]),
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.json()["tables"]["customers"]["rows"][0]["id"], id);
    }
    assert!(
        forms.len() >= 2,
        "the demo stores several written forms: {forms:?}"
    );
}

#[test]
fn the_demo_is_deterministic_and_refuses_to_overwrite() {
    let a = TestEnv::demo(120);
    let b = TestEnv::demo(120);
    assert_eq!(a.dump_user_tables(), b.dump_user_tables());
    assert_eq!(
        std::fs::read_to_string(a.path("datamap.toml")).expect("map"),
        std::fs::read_to_string(b.path("datamap.toml")).expect("map")
    );
    let out = a.run_plain(&["demo", ".", "--subjects", "120", "--seed", "7"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = a.run_plain(&["demo", ".", "--subjects", "50", "--seed", "8", "--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let n: i64 = a
        .conn()
        .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 50);
}

/// `--store` is read from the command line only: a DSR_STORE meant for the
/// other commands never sends the demo elsewhere, and a SQLite `--store`
/// is refused (the SQLite demo store is always DIR/tenant.db).
#[test]
fn dsr_store_is_ignored_and_a_sqlite_store_is_refused() {
    let env = TestEnv::empty();
    let mut cmd = env.cmd();
    cmd.env(
        "DSR_STORE",
        "postgres://u:Sekret-42@127.0.0.1:1/app?schema=x",
    )
    .args(["demo", "d", "--subjects", "5"]);
    let out = outcome(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("  store d/tenant.db\n"),
        "{}",
        out.stderr
    );
    assert!(env.path("d/tenant.db").exists());

    let out = env.run_plain(&["demo", "e", "--store", "sqlite:other.db"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "dsr: error: --store sqlite:other.db is not a PostgreSQL URL; dsr demo writes a SQLite tenant to DIR/tenant.db (leave --store out), or into a PostgreSQL schema with --store postgres://…[?schema=NAME]\n"
    );
    assert!(!env.path("e").exists() && !env.path("other.db").exists());
}

/// On PostgreSQL: the tables in the schema, the map in DIR, the password
/// nowhere in what dsr prints or writes; a second run is exit 2 and
/// changes nothing; a missing schema is exit 1 naming where it looked.
#[test]
fn the_demo_on_postgres_never_shows_the_password() {
    let Some(t) = TestSchema::new("cli_demo") else {
        return;
    };
    let env = TestEnv::empty();
    let u = t.url();
    // The test server trusts its clients, so any password logs in.
    let secret = "Sekret-pw-4711";
    let url = format!(
        "postgres://{}:{secret}@{}/{}?schema={}&sslmode=disable",
        u.user,
        u.target(),
        u.dbname,
        t.name
    );
    let out = env.run_plain(&["--json", "demo", "d", "--subjects", "40", "--store", &url]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let shown = format!(
        "postgres://{}:***@{}/{}?schema={}&sslmode=disable",
        u.user,
        u.target(),
        u.dbname,
        t.name
    );
    let doc = out.json();
    assert_eq!(doc["store"], shown.as_str());
    assert_eq!(doc["map"], "d/datamap.toml");
    assert_eq!(doc["tables"]["customers"], 40);
    assert_eq!(
        out.stderr,
        format!(
            "wrote a demo tenant with 40 subjects ({} rows in 8 tables):\n  store {shown}\n  map   d/datamap.toml\ntry: dsr --store URL --map d/datamap.toml extract customer_id:1\n     with URL the --store given here (or set DSR_STORE=URL and leave --store out)\n",
            doc["tables"]
                .as_object()
                .map(|m| m.values().filter_map(|v| v.as_u64()).sum::<u64>())
                .unwrap_or(0)
        )
    );
    let map = std::fs::read_to_string(env.path("d/datamap.toml")).expect("map");
    assert!(!map.contains(secret) && !out.stdout.contains(secret));
    let files: Vec<_> = std::fs::read_dir(env.path("d"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(files, ["datamap.toml"]);

    // The map fits the PostgreSQL tenant as it fits the SQLite one; the
    // two scanned columns have no pg_trgm index there (SQLite has none
    // to advise).
    let out = env.run_plain(&[
        "--store",
        &url,
        "--map",
        "d/datamap.toml",
        "--json",
        "check",
        "--strict",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json();
    assert_eq!(
        (&doc["tables"], &doc["errors"], &doc["warnings"]),
        (&8.into(), &0.into(), &2.into()),
        "{doc}"
    );
    let trgm: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["place"].as_str().unwrap_or(""),
                f["hint"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let hint = |table: &str, c: &str| {
        format!(
            "ask the application's owner for: CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE INDEX \"{table}_{c}_trgm_idx\" ON \"{}\".\"{table}\" USING gin (\"{c}\" gin_trgm_ops);",
            t.name
        )
    };
    assert_eq!(
        trgm,
        [
            ("customers.notes", hint("customers", "notes").as_str()),
            ("tickets.body", hint("tickets", "body").as_str())
        ]
    );
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));

    let mut admin = testing::admin().expect("admin");
    let customers = |c: &mut postgres::Client| -> i64 {
        c.query_one(
            &format!("SELECT count(*) FROM \"{}\".customers", t.name),
            &[],
        )
        .expect("count")
        .get(0)
    };
    assert_eq!(customers(&mut admin), 40);

    let out = env.run_plain(&["--json", "demo", "e", "--subjects", "9", "--store", &url]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(&format!(
            "dsr: error: a demo tenant is already in {} (tables customers, ",
            u.place()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["exit"], 2);
    assert!(!out.stderr.contains(secret) && !out.stdout.contains(secret));
    assert!(!env.path("e").exists());
    assert_eq!(customers(&mut admin), 40);

    let missing = url.replace(&format!("schema={}", t.name), "schema=dsr_no_such_schema");
    let out = env.run_plain(&["demo", "f", "--store", &missing]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "dsr: error: schema dsr_no_such_schema does not exist in database {} on {}; dsr never creates it; check ?schema= in --store / DSR_STORE (the name is case-sensitive), or ask the database's owner to create it; nothing was read or changed\n",
            u.dbname,
            u.target()
        )
    );
    assert!(!env.path("f").exists());
}
