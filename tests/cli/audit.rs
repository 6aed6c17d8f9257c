//! The audit trail: listing, verifying, and catching every kind of tampering.

use crate::TestEnv;

/// A tenant with four audit records.
fn with_records() -> TestEnv {
    let env = TestEnv::agency();
    for (i, s) in [
        "contact_id:c-1",
        "contact_id:c-3",
        "email:nobody@example.se",
        "email:anna@example.se",
    ]
    .iter()
    .enumerate()
    {
        let req = format!("REQ-{}", i + 1);
        let out = env.run(&["--request", &req, "extract", s]);
        assert!(out.code == 0 || out.code == 4, "{}", out.stderr);
    }
    env
}

#[test]
fn verify_holds_on_an_untouched_trail() {
    let env = with_records();
    let out = env.run_plain(&["--store", "tenant.db", "audit", "verify"]);
    insta::assert_snapshot!(out.snapshot(&env), @r"
    exit: 0
    --- stdout
    --- stderr
    the audit chain holds: 4 records
    ");
    let out = env.run_plain(&["--store", "tenant.db", "--json", "audit", "verify"]);
    assert_eq!(
        out.json(),
        serde_json::json!({ "schema": "dsr.audit-verify/1", "ok": true, "records": 4 })
    );
}

#[test]
fn verify_on_a_store_without_a_trail_holds() {
    let env = TestEnv::agency();
    let out = env.run_plain(&["--store", "tenant.db", "audit", "verify"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

fn tampered(sql: &str) -> (TestEnv, crate::Outcome) {
    let env = with_records();
    env.conn().execute_batch(sql).expect("tamper");
    let out = env.run_plain(&["--store", "tenant.db", "audit", "verify"]);
    (env, out)
}

#[test]
fn an_edited_record_is_named() {
    let (env, out) = tampered("UPDATE _dsr_audit SET operator = 'mallory' WHERE seq = 2");
    insta::assert_snapshot!(out.snapshot(&env), @r"
    exit: 7
    --- stdout
    --- stderr
    dsr: error: the audit chain is broken at record 2: record 2 has been changed: its hash does not match its contents; the trail has been tampered with or damaged: compare with the audit log mirror or a backup, and after investigating run `dsr audit repair --reason TEXT`
    ");
}

#[test]
fn edited_details_are_seen() {
    let (_env, out) = tampered(
        "UPDATE _dsr_audit SET details = replace(details, '\"ok\"', '\"ok\"') || ' ' WHERE seq = 3",
    );
    assert_eq!(out.code, 7);
    assert!(out.stderr.contains("broken at record 3"), "{}", out.stderr);
}

#[test]
fn a_removed_record_is_named() {
    let (_env, out) = tampered("DELETE FROM _dsr_audit WHERE seq = 2");
    assert_eq!(out.code, 7);
    assert!(
        out.stderr
            .contains("broken at record 2: record 2 is missing"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_removed_newest_record_is_named() {
    let (_env, out) = tampered("DELETE FROM _dsr_audit WHERE seq = 4");
    assert_eq!(out.code, 7);
    assert!(out.stderr.contains("broken at record 4"), "{}", out.stderr);
}

#[test]
fn swapped_records_are_named() {
    let (_env, out) = tampered(
        "UPDATE _dsr_audit SET seq = -2 WHERE seq = 2; UPDATE _dsr_audit SET seq = 2 WHERE seq = 3; UPDATE _dsr_audit SET seq = 3 WHERE seq = -2;",
    );
    assert_eq!(out.code, 7);
    assert!(out.stderr.contains("broken at record 2"), "{}", out.stderr);
    let (_env, out) = tampered("UPDATE _dsr_audit SET request = 'REQ-9' WHERE seq = 1");
    assert!(out.stderr.contains("broken at record 1"), "{}", out.stderr);
}

#[test]
fn log_lists_and_filters() {
    let env = with_records();
    let out = env.run_plain(&["--store", "tenant.db", "audit", "log"]);
    assert_eq!(out.code, 0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("  SEQ  AT"));
    assert!(
        lines[3].contains("REQ-3") && lines[3].contains("not_found"),
        "{}",
        lines[3]
    );
    assert!(
        lines[1].contains("contacts 2; households 1; messages 2"),
        "{}",
        lines[1]
    );
    let out = env.run_plain(&[
        "--store",
        "tenant.db",
        "--json",
        "audit",
        "log",
        "--command",
        "extract",
        "--since",
        "2026-11-22",
    ]);
    let doc = out.json();
    assert_eq!(doc["schema"], "dsr.audit-log/1");
    let recs = doc["records"].as_array().expect("records");
    assert_eq!(recs.len(), 4);
    assert_eq!(recs[2]["outcome"], "not_found");
    assert_eq!(recs[2]["request"], "REQ-3");
    assert_eq!(recs[0]["details"]["tables"]["contacts"], 2);
    assert_eq!(recs[0]["prev_hash"], "0".repeat(64));
    assert_eq!(recs[1]["prev_hash"], recs[0]["hash"]);
    let out = env.run_plain(&[
        "--store",
        "tenant.db",
        "--json",
        "audit",
        "log",
        "--since",
        "2026-11-23",
    ]);
    assert_eq!(out.json()["records"].as_array().map(Vec::len), Some(0));
    let out = env.run_plain(&[
        "--store",
        "tenant.db",
        "audit",
        "log",
        "--since",
        "yesterday",
    ]);
    assert_eq!(out.code, 2);
}
