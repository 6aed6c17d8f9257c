//! The demo tenant: deterministic, valid against its own map, and every
//! command works on it.

use crate::TestEnv;

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
            .contains("until 31 December of the year that falls 7 years after issued (Bokföringslagen 7 kap. 2 §), and not erased on request before then"),
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
