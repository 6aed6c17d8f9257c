//! Tampering with the audit trail in every way (DESIGN §4, issue 10): each
//! is found by `audit verify` (exit 7), and is either refused by the next
//! `extract`, `erase` and `sweep` (exit 7, the store unchanged, nothing
//! released) or still found by `verify` after them; on two schemas.

use crate::{query, TestEnv};
use dsr::audit::record_hash;
use dsr::store::AuditRow;
use rusqlite::Connection;

pub struct Schema {
    pub make: fn() -> TestEnv,
    pub extract: &'static str,
    pub erase: &'static str,
}

pub const AGENCY: Schema = Schema {
    make: TestEnv::agency,
    extract: "contact_id:c-1",
    erase: "contact_id:c-3",
};

pub const DEMO: Schema = Schema {
    make: || TestEnv::demo(12),
    extract: "customer_id:1",
    erase: "customer_id:2",
};

/// A tenant with four audit records (REQ-1 … REQ-4).
pub fn seeded(s: &Schema) -> TestEnv {
    let env = (s.make)();
    for i in 1..=4 {
        let out = env.run(&["--request", &format!("REQ-{i}"), "-q", "extract", s.extract]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    env
}

/// Every table of the store, dsr's own included, with types: for "the
/// store is unchanged".
pub fn dump_all(env: &TestEnv) -> String {
    let mut out = env.dump_user_tables();
    let tables = query(
        env,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    );
    out.push_str(&tables.join(",\n"));
    if tables.iter().any(|t| t == "_dsr_audit") {
        out.push_str(
            &query(env, "SELECT seq, typeof(details), hex(at || operator || command || coalesce(request,'') || coalesce(subject,'') || outcome || details || prev_hash || hash) FROM _dsr_audit ORDER BY seq").join("\n"),
        );
    }
    if tables.iter().any(|t| t == "_dsr_meta") {
        out.push_str(&query(env, "SELECT key, value FROM _dsr_meta ORDER BY key").join("\n"));
    }
    out
}

pub fn row(conn: &Connection, seq: i64) -> AuditRow {
    conn.query_row(
        "SELECT seq, at, operator, command, request, subject, outcome, details, prev_hash, hash FROM _dsr_audit WHERE seq = ?1",
        [seq],
        |r| {
            Ok(AuditRow {
                seq: r.get(0)?,
                at: r.get(1)?,
                operator: r.get(2)?,
                command: r.get(3)?,
                request: r.get(4)?,
                subject: r.get(5)?,
                outcome: r.get(6)?,
                details: r.get(7)?,
                prev_hash: r.get(8)?,
                hash: r.get(9)?,
            })
        },
    )
    .expect("audit row")
}

pub fn put(conn: &Connection, r: &AuditRow) {
    conn.execute(
        "INSERT OR REPLACE INTO _dsr_audit (seq, at, operator, command, request, subject, outcome, details, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![r.seq, r.at, r.operator, r.command, r.request, r.subject, r.outcome, r.details, r.prev_hash, r.hash],
    )
    .expect("write audit row");
}

type Tamper = fn(&Connection);

fn sql(conn: &Connection, s: &str) {
    conn.execute_batch(s).expect("tamper");
}

const FIELDS: [(&str, &str); 9] = [
    ("at", "at = '2026-01-01T00:00:00Z'"),
    ("operator", "operator = 'mallory'"),
    ("command", "command = 'export'"),
    ("request", "request = 'REQ-X'"),
    ("subject", "subject = 'hmac-sha256:' || hash"),
    ("outcome", "outcome = 'not_found'"),
    ("details", "details = '{}'"),
    ("prev_hash", "prev_hash = hash"),
    ("hash", "hash = prev_hash"),
];

/// (what, the tampering, refused by the next command).
/// What was done, how, and whether the next command must refuse.
type Case = (String, Box<dyn Fn(&Connection)>, bool);

fn tamperings() -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    for (field, set) in FIELDS {
        for (which, seq, refused) in [("middle", 2, false), ("newest", 4, true)] {
            let s = format!("UPDATE _dsr_audit SET {set} WHERE seq = {seq}");
            out.push((
                format!("edit {field} of the {which} record"),
                Box::new(move |c| sql(c, &s)),
                refused,
            ));
        }
    }
    let plain: [(&str, &str, bool); 14] = [
        ("delete the middle record", "DELETE FROM _dsr_audit WHERE seq = 2", false),
        ("delete the newest record", "DELETE FROM _dsr_audit WHERE seq = 4", true),
        ("delete the two newest records", "DELETE FROM _dsr_audit WHERE seq >= 3", true),
        ("swap the seq of two middle records", "UPDATE _dsr_audit SET seq = -2 WHERE seq = 2; UPDATE _dsr_audit SET seq = 2 WHERE seq = 3; UPDATE _dsr_audit SET seq = 3 WHERE seq = -2", false),
        ("swap the seq of the two newest records", "UPDATE _dsr_audit SET seq = -3 WHERE seq = 3; UPDATE _dsr_audit SET seq = 3 WHERE seq = 4; UPDATE _dsr_audit SET seq = 4 WHERE seq = -3", true),
        ("renumber the newest record", "UPDATE _dsr_audit SET seq = 5 WHERE seq = 4", true),
        ("rewrite the head", "UPDATE _dsr_meta SET value = '4:' || (SELECT prev_hash FROM _dsr_audit WHERE seq = 4) WHERE key = 'audit_head'", true),
        ("delete the head", "DELETE FROM _dsr_meta WHERE key = 'audit_head'", true),
        ("a blob as the head", "UPDATE _dsr_meta SET value = X'00ff' WHERE key = 'audit_head'", true),
        ("delete the tenant secret", "DELETE FROM _dsr_meta WHERE key = 'secret'", true),
        ("drop _dsr_audit", "DROP TABLE _dsr_audit", true),
        ("drop _dsr_meta", "DROP TABLE _dsr_meta", true),
        ("truncate _dsr_audit", "DELETE FROM _dsr_audit", true),
        ("a blob in a middle record's details", "UPDATE _dsr_audit SET details = X'7b7d00ff' WHERE seq = 2", false),
    ];
    for (what, s, refused) in plain {
        out.push((what.into(), Box::new(move |c| sql(c, s)), refused));
    }
    let more: [(&str, Tamper, bool); 4] = [
        (
            "invalid UTF-8 in the newest record's operator",
            |c| {
                sql(
                    c,
                    "UPDATE _dsr_audit SET operator = CAST(X'6dff' AS TEXT) WHERE seq = 4",
                )
            },
            true,
        ),
        (
            "insert a forged record after the newest",
            |c| {
                let last = row(c, 4);
                let mut f = AuditRow {
                    seq: 5,
                    prev_hash: last.hash.clone(),
                    operator: "mallory".into(),
                    ..last
                };
                f.hash = record_hash(&f.prev_hash, &f);
                put(c, &f);
            },
            true,
        ),
        (
            "a forged record in place of a middle one",
            |c| {
                let mut f = row(c, 2);
                f.operator = "mallory".into();
                f.hash = record_hash(&f.prev_hash, &f);
                put(c, &f);
            },
            false,
        ),
        (
            "insert a forged record in the middle, renumbering the later ones",
            |c| {
                sql(c, "UPDATE _dsr_audit SET seq = seq + 10 WHERE seq >= 3; UPDATE _dsr_audit SET seq = seq - 9 WHERE seq >= 13");
                let two = row(c, 2);
                let mut f = AuditRow {
                    seq: 3,
                    prev_hash: two.hash.clone(),
                    operator: "mallory".into(),
                    ..two
                };
                f.hash = record_hash(&f.prev_hash, &f);
                put(c, &f);
            },
            true,
        ),
    ];
    for (what, t, refused) in more {
        out.push((what.into(), Box::new(t), refused));
    }
    out
}

fn verify(env: &TestEnv) -> crate::Outcome {
    env.run(&["audit", "verify"])
}

/// The three commands after a tampering: each refused with the store
/// unchanged and nothing released, or each done and the break still found.
fn commands_after(s: &Schema, env: &TestEnv, what: &str, refused: bool) {
    let before = dump_all(env);
    let out_file = env.path("extract.json");
    let runs: [Vec<&str>; 4] = [
        vec!["extract", s.extract],
        vec!["extract", s.extract, "-o", "extract.json"],
        vec!["erase", s.erase, "--yes"],
        vec!["sweep"],
    ];
    for args in runs {
        let out = env.run(&args);
        if refused {
            assert_eq!(
                out.code, 7,
                "{what}: {args:?} was not refused: {}",
                out.stderr
            );
            assert!(
                out.stdout.is_empty(),
                "{what}: {args:?} released {}",
                out.stdout
            );
            assert!(
                out.stderr.contains("the audit trail"),
                "{what}: {}",
                out.stderr
            );
            assert!(!out_file.exists(), "{what}: the extract file was written");
            assert_eq!(dump_all(env), before, "{what}: {args:?} changed the store");
        } else {
            assert!(
                out.code == 0,
                "{what}: {args:?}: exit {} {}",
                out.code,
                out.stderr
            );
        }
    }
    let out = verify(env);
    assert_eq!(
        out.code, 7,
        "{what}: no longer found after the commands: {}",
        out.stderr
    );
}

fn every_tampering(s: &Schema) {
    let base = seeded(s);
    let saved = base.path("seeded.db");
    std::fs::copy(&base.store, &saved).expect("save");
    for (what, tamper, refused) in tamperings() {
        base.restore(&saved);
        tamper(&base.conn());
        let out = verify(&base);
        assert_eq!(
            out.code, 7,
            "{what}: verify did not find it: {}",
            out.stderr
        );
        commands_after(s, &base, &what, refused);
        let _ = std::fs::remove_file(base.path("extract.json"));
    }
}

#[test]
fn every_tampering_is_found_and_outlives_no_command_agency() {
    every_tampering(&AGENCY);
}

#[test]
fn every_tampering_is_found_and_outlives_no_command_demo() {
    every_tampering(&DEMO);
}

#[test]
fn a_refusal_names_what_it_found() {
    let env = seeded(&AGENCY);
    sql(&env.conn(), "DELETE FROM _dsr_audit WHERE seq >= 3");
    let out = env.run(&["extract", "contact_id:c-1"]);
    insta::assert_snapshot!(out.snapshot(&env), @r"
    exit: 7
    --- stdout
    --- stderr
    dsr: error: the audit trail is broken: _dsr_meta.audit_head names record 4, but the trail ends at record 2: the newest records were removed; nothing was changed or released; run `dsr audit verify` (with --mirror FILE where there is a mirror), and after investigating `dsr audit repair --reason TEXT`
    ");
    let env = seeded(&AGENCY);
    sql(&env.conn(), "DROP TABLE _dsr_meta");
    let out = env.run(&["erase", "contact_id:c-3", "--yes"]);
    assert_eq!(out.code, 7);
    assert!(out.stderr.contains("the table _dsr_meta (the head and the tenant secret) is gone, though the trail has 4 records"), "{}", out.stderr);
    // No new secret was made behind the user's back.
    assert_eq!(
        query(
            &env,
            "SELECT count(*) FROM sqlite_master WHERE name = '_dsr_meta'"
        ),
        ["0"]
    );
    let env = seeded(&AGENCY);
    sql(
        &env.conn(),
        "UPDATE _dsr_audit SET details = X'00ff' WHERE seq = 2",
    );
    let out = verify(&env);
    assert!(
        out.stderr
            .contains("broken at record 2: record 2: its details holds a blob, not text"),
        "{}",
        out.stderr
    );
    let out = env.run(&["audit", "log"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr.contains("record 2: its details holds a blob"),
        "{}",
        out.stderr
    );
}

/// A repair states the break, carries the chain on, and `verify` reports
/// it as repaired for ever; a later change in the repaired region is a new
/// break.
fn repair_on(s: &Schema) {
    let env = seeded(s);
    sql(&env.conn(), "DELETE FROM _dsr_audit WHERE seq = 4");
    let out = env.run(&["audit", "repair", "--reason", ""]);
    assert_eq!(out.code, 2);
    let out = env.run(&[
        "--operator",
        "auditor",
        "--json",
        "audit",
        "repair",
        "--reason",
        "ticket 77: test deletion",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["schema"], "dsr.audit-repair/1");
    assert_eq!(doc["seq"], 5);
    assert_eq!(doc["last_good_seq"], 3);
    let out = env.run(&["extract", s.extract, "-q"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = env.run(&["--json", "audit", "verify"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["records"], 5);
    assert_eq!(doc["repaired"][0]["seq"], 5);
    assert_eq!(doc["repaired"][0]["operator"], "auditor");
    assert_eq!(doc["repaired"][0]["reason"], "ticket 77: test deletion");
    assert_eq!(doc["repaired"][0]["last_good_seq"], 3);
    let found = doc["repaired"][0]["found"][0].as_str().unwrap_or_default();
    assert!(found.contains("the newest record should be 4"), "{found}");
    let out = verify(&env);
    assert!(
        out.stderr.contains("repaired break: record 5 (by auditor"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("with 1 repaired break"),
        "{}",
        out.stderr
    );
    // Nothing to repair now.
    let out = env.run(&["audit", "repair", "--reason", "again"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains("nothing to repair"), "{}", out.stderr);
    assert_eq!(query(&env, "SELECT count(*) FROM _dsr_audit"), ["5"]);

    // A broken middle record, repaired; then changed again: a new break.
    let env = seeded(s);
    sql(
        &env.conn(),
        "UPDATE _dsr_audit SET operator = 'mallory' WHERE seq = 2",
    );
    let out = env.run(&["-q", "audit", "repair", "--reason", "restored from paper"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(verify(&env).code, 0);
    sql(
        &env.conn(),
        "UPDATE _dsr_audit SET operator = 'eve' WHERE seq = 3",
    );
    let out = verify(&env);
    assert_eq!(out.code, 7);
    assert!(out.stderr.contains("broken at record 2"), "{}", out.stderr);

    // Both tables dropped from under the trail: a new secret, said so.
    let env = seeded(s);
    sql(&env.conn(), "DROP TABLE _dsr_meta");
    let out = env.run(&["--json", "audit", "repair", "--reason", "meta lost"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["secret_replaced"], true);
    assert_eq!(verify(&env).code, 0);
    assert_eq!(env.run(&["-q", "extract", s.extract]).code, 0);
}

#[test]
fn repair_states_the_break_and_carries_on_agency() {
    repair_on(&AGENCY);
}

#[test]
fn repair_states_the_break_and_carries_on_demo() {
    repair_on(&DEMO);
}

/// After every tampering above, a repair lets the trail carry on: `verify`
/// holds with the break reported as repaired, and commands append again.
#[test]
fn repair_carries_on_after_every_tampering() {
    let base = seeded(&AGENCY);
    let saved = base.path("seeded.db");
    std::fs::copy(&base.store, &saved).expect("save");
    for (what, tamper, _) in tamperings() {
        base.restore(&saved);
        tamper(&base.conn());
        let out = base.run(&["-q", "audit", "repair", "--reason", "investigated"]);
        assert_eq!(out.code, 0, "{what}: repair failed: {}", out.stderr);
        let out = base.run(&["--json", "audit", "verify"]);
        assert_eq!(out.code, 0, "{what}: after the repair: {}", out.stderr);
        assert_eq!(
            out.json()["repaired"].as_array().map(Vec::len),
            Some(1),
            "{what}"
        );
        let out = base.run(&["-q", "extract", AGENCY.extract]);
        assert_eq!(out.code, 0, "{what}: after the repair: {}", out.stderr);
        assert_eq!(verify(&base).code, 0, "{what}");
    }
}
