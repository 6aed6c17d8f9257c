//! The audit trail: listing, verifying, and catching every kind of tampering
//! (the agency's trail on both stores, `stores::agency`).

use crate::stores::{self, Tenant};
use crate::{query, TestEnv};

/// The agency tenant with four audit records, on each store.
fn with_records(label: &str) -> Vec<Tenant> {
    let all = stores::agency(label);
    for t in &all {
        records(t);
    }
    all
}

fn records(env: &Tenant) {
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
}

#[test]
fn verify_holds_on_an_untouched_trail() {
    for t in with_records("audit_untouched") {
        let out = t.run(&["audit", "verify"]);
        assert_eq!(
            out.snapshot(t.env()),
            "exit: 0\n--- stdout\n--- stderr\nthe audit chain holds: 4 records\n",
            "{}",
            t.store()
        );
        let out = t.run(&["--json", "audit", "verify"]);
        assert_eq!(
            out.json(),
            serde_json::json!({ "schema": "dsr.audit-verify/1", "ok": true, "records": 4 })
        );
    }
}

#[test]
fn verify_on_a_store_without_a_trail_holds() {
    let env = TestEnv::agency();
    let out = env.run_plain(&["--store", "tenant.db", "audit", "verify"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// `audit verify` on each store's trail of four records after `sql`.
fn tampered(label: &str, sql: &str) -> Vec<(Tenant, crate::Outcome)> {
    with_records(label)
        .into_iter()
        .map(|t| {
            t.exec(sql);
            let out = t.run(&["audit", "verify"]);
            (t, out)
        })
        .collect()
}

#[test]
fn an_edited_record_is_named() {
    let sql = "UPDATE _dsr_audit SET operator = 'mallory' WHERE seq = 2";
    for (t, out) in tampered("audit_edited", sql) {
        assert_eq!(
            out.snapshot(t.env()),
            "exit: 7\n--- stdout\n--- stderr\ndsr: error: the audit chain is broken at record 2: record 2 has been changed: its hash does not match its contents; the trail has been tampered with or damaged: compare with the audit log mirror or a backup, and after investigating run `dsr audit repair --reason TEXT`\n",
            "{}",
            t.store()
        );
    }
}

/// `audit verify` after `sql` is exit 7 and says `broken`, on each store.
fn broken(label: &str, sql: &str, broken: &str) {
    for (t, out) in tampered(label, sql) {
        assert_eq!(out.code, 7, "{}: {}", t.store(), out.stderr);
        assert!(out.stderr.contains(broken), "{}: {}", t.store(), out.stderr);
    }
}

#[test]
fn edited_details_are_seen() {
    broken(
        "audit_details",
        "UPDATE _dsr_audit SET details = replace(details, '\"ok\"', '\"ok\"') || ' ' WHERE seq = 3",
        "broken at record 3",
    );
}

#[test]
fn a_removed_record_is_named() {
    broken(
        "audit_removed",
        "DELETE FROM _dsr_audit WHERE seq = 2",
        "broken at record 2: record 2 is missing",
    );
}

#[test]
fn a_removed_newest_record_is_named() {
    broken(
        "audit_newest",
        "DELETE FROM _dsr_audit WHERE seq = 4",
        "broken at record 4",
    );
}

#[test]
fn swapped_records_are_named() {
    broken(
        "audit_swapped",
        "UPDATE _dsr_audit SET seq = -2 WHERE seq = 2; UPDATE _dsr_audit SET seq = 2 WHERE seq = 3; UPDATE _dsr_audit SET seq = 3 WHERE seq = -2;",
        "broken at record 2",
    );
    broken(
        "audit_request",
        "UPDATE _dsr_audit SET request = 'REQ-9' WHERE seq = 1",
        "broken at record 1",
    );
}

#[test]
fn log_lists_and_filters() {
    for env in with_records("audit_log") {
        let out = env.run(&["audit", "log"]);
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
        let out = env.run(&[
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
        let out = env.run(&["--json", "audit", "log", "--since", "2026-11-23"]);
        assert_eq!(out.json()["records"].as_array().map(Vec::len), Some(0));
        let out = env.run(&["audit", "log", "--since", "yesterday"]);
        assert_eq!(out.code, 2);
    }
}

/// Records by two operators for four requests (agency).
fn support_trail() -> TestEnv {
    let env = TestEnv::agency();
    let runs: [(&str, &str, &[&str]); 4] = [
        ("alice", "REQ-1", &["extract", "contact_id:c-1"]),
        ("bob", "REQ-2", &["extract", "email:anna@example.se"]),
        (
            "alice",
            "REQ-3",
            &[
                "extract",
                "contact_id:c-1",
                "email:anna@example.se",
                "--all-matches",
            ],
        ),
        ("bob", "REQ-4", &["erase", "contact_id:c-3", "--yes"]),
    ];
    for (op, req, args) in runs {
        let mut all = vec!["-q", "--operator", op, "--request", req];
        all.extend_from_slice(args);
        let out = env.run(&all);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    }
    env
}

fn seqs(env: &TestEnv, args: &[&str]) -> Vec<i64> {
    let mut all = vec!["--json", "audit", "log"];
    all.extend_from_slice(args);
    let out = env.run(&all);
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    out.json()["records"]
        .as_array()
        .map(|a| a.iter().map(|r| r["seq"].as_i64().unwrap_or(0)).collect())
        .unwrap_or_default()
}

#[test]
fn log_answers_supports_questions() {
    let env = support_trail();
    // By subject: computed from the identifiers, in any combination given.
    assert_eq!(seqs(&env, &["--subject", "contact_id:c-1"]), [1]);
    assert_eq!(seqs(&env, &["--subject", "email:ANNA@example.se"]), [2]);
    assert_eq!(
        seqs(
            &env,
            &["--subject", "email:anna@example.se", "contact_id:c-1"]
        ),
        [1, 2, 3]
    );
    assert_eq!(seqs(&env, &["--subject", "contact_id:c-3"]), [4]);
    assert_eq!(
        seqs(&env, &["--subject", "contact_id:c-2"]),
        Vec::<i64>::new()
    );
    assert_eq!(seqs(&env, &["--request", "REQ-2"]), [2]);
    assert_eq!(seqs(&env, &["--operator", "alice"]), [1, 3]);
    assert_eq!(
        seqs(&env, &["--operator", "bob", "--command", "erase"]),
        [4]
    );
    assert_eq!(seqs(&env, &["--limit", "2"]), [3, 4]);
    assert_eq!(seqs(&env, &["--operator", "alice", "--limit", "1"]), [3]);
    // DSR_OPERATOR and DSR_REQUEST name who acts and why; they do not
    // filter the log.
    let mut c = env.cmd();
    c.env("DSR_OPERATOR", "alice")
        .env("DSR_REQUEST", "REQ-1")
        .args(["--store", "tenant.db", "--json", "audit", "log"]);
    assert_eq!(
        crate::outcome(c).json()["records"].as_array().map(Vec::len),
        Some(4)
    );
    let out = env.run(&["audit", "log", "--command", "bogus"]);
    insta::assert_snapshot!(out.snapshot(&env), @r#"
    exit: 2
    --- stdout
    --- stderr
    dsr: error: --command "bogus" is not a command that writes audit records; use one of: extract, erase, export, sweep, repair, replay
    "#);
    assert_eq!(env.run(&["audit", "log", "--limit", "0"]).code, 2);
    let out = env.run(&["audit", "log", "--subject", "bogus:1"]);
    assert_eq!(out.code, 2);
    // The store holds no plain identifier for any of this.
    let text = env.tool_tables_text();
    assert!(
        !text.contains("c-1") && !text.to_lowercase().contains("anna@"),
        "{text}"
    );
}

#[test]
fn operators_lists_who_acted() {
    let env = support_trail();
    let out = env.run(&["--json", "audit", "operators"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json(),
        serde_json::json!({ "schema": "dsr.operators/1", "operators": [
            { "operator": "alice", "first": crate::NOW, "last": crate::NOW, "records": 2, "commands": { "extract": 2 } },
            { "operator": "bob", "first": crate::NOW, "last": crate::NOW, "records": 2, "commands": { "erase": 1, "extract": 1 } },
        ] })
    );
    let out = env.run_plain(&["--store", "tenant.db", "audit", "operators"]);
    insta::assert_snapshot!(out.snapshot(&env), @r"
    exit: 0
    --- stdout
    OPERATOR  FIRST                 LAST                  RECORDS  COMMANDS
    alice     2026-11-22T10:00:00Z  2026-11-22T10:00:00Z        2  extract 2
    bob       2026-11-22T10:00:00Z  2026-11-22T10:00:00Z        2  erase 1, extract 1
    --- stderr
    2 operators
    ");
}

#[test]
fn the_operator_is_the_os_account_and_never_empty() {
    let env = TestEnv::agency();
    let me = uzers::get_current_username()
        .map(|n| n.to_string_lossy().into_owned())
        .expect("this test runs as an account");
    // As under `env -i`: no USER, LOGNAME or HOME at all.
    let mut c = env.std_cmd();
    c.env_clear().env("DSR_NOW", crate::NOW).args([
        "--store",
        "tenant.db",
        "--map",
        "datamap.toml",
        "-q",
        "extract",
        "contact_id:c-1",
    ]);
    let out = c.output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // $USER naming no account with this user id is not believed.
    assert_eq!(env.run(&["-q", "extract", "contact_id:c-1"]).code, 0);
    assert_eq!(
        query(&env, "SELECT operator FROM _dsr_audit ORDER BY seq"),
        [me.clone(), me]
    );
    for empty in ["", "   "] {
        let out = env.run(&["--operator", empty, "extract", "contact_id:c-1"]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains("--operator (or DSR_OPERATOR) is empty"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(query(&env, "SELECT count(*) FROM _dsr_audit"), ["2"]);
}

#[test]
fn log_prints_non_ascii_fields() {
    for env in with_records("audit_non_ascii") {
        env.exec("UPDATE _dsr_audit SET subject = 'hmac-sha256:xåäöåäöåäöåäöåäöåäö', operator = 'Åsa Öberg' WHERE seq = 2; UPDATE _dsr_audit SET subject = 'ärende för Åsa Öberg på kontoret' WHERE seq = 3");
        let out = env.run(&["audit", "log"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains("Åsa Öberg"), "{}", out.stdout);
        assert!(out.stdout.contains("xåäöåäöåäöåä…"), "{}", out.stdout);
        assert!(
            out.stdout.contains("ärende för Åsa Öber…"),
            "{}",
            out.stdout
        );
    }
}
