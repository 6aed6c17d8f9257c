//! `dsr erase`: exact rows before and after, on the agency fixture and the
//! demo; holds, referential safety, mentions, idempotence, refusals, faults.
//! Scenarios that loop over `stores::agency` run on PostgreSQL too.

use crate::stores;
use crate::TestEnv;
use serde_json::json;

/// Rows of a query as text lines, for exact comparisons.
fn rows(env: &TestEnv, sql: &str) -> Vec<String> {
    crate::query(env, sql)
}

fn secret(env: &TestEnv) -> String {
    env.conn()
        .query_row(
            "SELECT value FROM _dsr_meta WHERE key = 'secret'",
            [],
            |r| r.get(0),
        )
        .expect("secret")
}

#[test]
fn anna_is_anonymized_not_deleted_while_her_payslip_is_held() {
    let env = TestEnv::agency();
    let out = env.run(&["--json", "erase", "--yes", "personnummer:811218-9876"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json(),
        json!({
            "schema": "dsr.erase/1",
            "dry_run": false,
            "tables": {
                "employees": { "deleted": 0, "anonymized": 1, "held": 0, "kept": 0 },
                "time_reports": { "deleted": 2, "anonymized": 0, "held": 0, "kept": 0 },
                "payslips": { "deleted": 1, "anonymized": 0, "held": 1, "kept": 0 },
                "assignments": { "deleted": 0, "anonymized": 1, "held": 0, "kept": 0 },
                "messages": { "deleted": 0, "anonymized": 0, "held": 0, "kept": 0 }
            },
            "held": [ { "table": "payslips", "rows": 1, "until": "2031-12-31", "reason": "Bokföringslagen 7 kap. 2 §" } ],
            "mentions": { "messages.body": 1 },
            "recipients": [],
            "audit_seq": 1
        })
    );
    let email_hash = dsr::audit::hmac_hex(&secret(&env), b"anna@example.se");
    // Deleting her would have broken the held payslip (and the store would
    // have cascaded its deletion): she is anonymized instead.
    assert_eq!(
        rows(&env, "SELECT * FROM employees ORDER BY org, emp_no"),
        [
            format!("acme|E1|[erased]|{email_hash}|NULL|1500000000"),
            "acme|E2|Bo Ek|bo@example.se|8507099805|1600000000".to_string(),
            "beta|E1|Cia Dahl|cia@example.com|198507099805|1650000000".to_string(),
        ]
    );
    assert_eq!(
        rows(&env, "SELECT id, org, emp_no FROM time_reports ORDER BY id"),
        ["2|acme|E2", "3|beta|E1"]
    );
    assert_eq!(
        rows(&env, "SELECT * FROM payslips ORDER BY id"),
        ["2|acme|E1|2024-06-25|34000", "3|acme|E2|2025-01-25|29000"]
    );
    // Reached through its employee link (on_erase = "anonymize"): loses the
    // employee, keeps the job.
    assert_eq!(
        rows(&env, "SELECT * FROM assignments ORDER BY id"),
        [
            "1|acme|NULL|c-3|[erased]",
            "2|acme|E2|c-1|Bo visited Dan at 070-111 22 33"
        ]
    );
    assert_eq!(
        rows(&env, "SELECT id, body FROM messages ORDER BY id"),
        [
            "1|Please call Dan at 0701112233 about the boiler",
            "2|Anna Berg ([erased]) visited on Tuesday",
            "3|Nothing personal here",
            "4|Mail DAN@example.se. Thanks",
        ]
    );
    assert_eq!(
        rows(
            &env,
            "SELECT tbl, key, action, until, reason FROM _dsr_deferred"
        ),
        ["payslips|[2]|delete|2031-12-31|Bokföringslagen 7 kap. 2 §"]
    );
    assert_eq!(rows(&env, "PRAGMA foreign_key_check"), Vec::<String>::new());
    let out = env.run_plain(&["--store", "tenant.db", "audit", "verify"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn dan_is_erased_through_both_links_and_the_cycle() {
    let env = TestEnv::agency();
    let out = env.run(&["erase", "--yes", "email:DAN@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = secret(&env);
    let h = |v: &str| dsr::audit::hmac_hex(&s, v.as_bytes());
    assert_eq!(
        rows(
            &env,
            "SELECT id, household_id, name, email, phone, created FROM contacts ORDER BY id"
        ),
        [
            format!("c-1|h-1|[erased]|{}|NULL|1600000000", h("dan@example.se")),
            format!("c-2|h-1|[erased]|{}|NULL|1600003600", h("eva@example.se")),
            "c-3|h-2|Gun Holm|GUN@Example.se|0702223344|1610000000".to_string(),
        ]
    );
    assert_eq!(
        rows(
            &env,
            "SELECT id, primary_contact, address FROM households ORDER BY id"
        ),
        ["h-1|c-1|[address removed]", "h-2|c-3|Lillgatan 2, Luleå"]
    );
    assert_eq!(
        rows(&env, "SELECT id FROM messages ORDER BY id"),
        ["2", "3"]
    );
    assert_eq!(rows(&env, "SELECT id FROM assignments ORDER BY id"), ["1"]);
    assert_eq!(
        rows(&env, "SELECT email, at FROM visits"),
        ["other@example.se|1700000100"]
    );
    assert!(
        out.stderr.contains("contacts             anonymize 2"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_dry_run_changes_no_user_byte_and_plans_what_a_real_run_does() {
    for env in stores::agency("erase_dry") {
        let before = env.dump();
        let dry = env.run(&["--json", "erase", "--dry-run", "personnummer:811218-9876"]);
        assert_eq!(dry.code, 0, "{}", dry.stderr);
        assert_eq!(env.dump(), before);
        assert!(dry.stderr.contains("dry run"), "{}", dry.stderr);
        let real = env.run(&["--json", "erase", "--yes", "personnummer:811218-9876"]);
        assert_eq!(real.code, 0, "{}", real.stderr);
        let (mut d, mut r) = (dry.json(), real.json());
        assert_eq!(
            (d["dry_run"].take(), r["dry_run"].take()),
            (json!(true), json!(false))
        );
        assert_eq!(
            (d["audit_seq"].take(), r["audit_seq"].take()),
            (json!(1), json!(2))
        );
        assert_eq!(d, r);
        assert_eq!(env.record(1).3["dry_run"], true);
    }
}

#[test]
fn a_repeated_erasure_changes_nothing_and_reports_zeros() {
    for env in stores::agency("erase_again") {
        let out = env.run(&["erase", "--yes", "contact_id:c-3"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let after_first = env.dump();
        let out = env.run(&["--json", "erase", "--yes", "contact_id:c-3"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(env.dump(), after_first, "the hash is not applied twice");
        let doc = out.json();
        for (table, c) in doc["tables"].as_object().expect("tables") {
            assert_eq!(
                c,
                &json!({ "deleted": 0, "anonymized": 0, "held": 0, "kept": 0 }),
                "{table}"
            );
        }
        assert_eq!(doc["mentions"], json!({}));
    }
}

#[test]
fn refusals_change_nothing() {
    for env in stores::agency("erase_refusals") {
        let before = env.dump();
        // No terminal, no --yes: refused before anything is read.
        let out = env.run(&["erase", "email:dan@example.se"]);
        assert_eq!(out.code, 2);
        assert!(out.stderr.contains("pass --yes"), "{}", out.stderr);
        assert_eq!(env.dsr_tables(), Vec::<String>::new(), "no audit table yet");
        let out = env.run(&["erase", "--yes", "personnummer:198507099805"]);
        assert_eq!(out.code, 5, "{}", out.stderr);
        assert!(
        out.stderr
            .contains("employees: 2 rows: org=acme,emp_no=E2 by personnummer (given); org=beta,emp_no=E1 by personnummer (given)"),
        "{}",
        out.stderr
    );
        let out = env.run(&["erase", "--yes", "email:nobody@example.se"]);
        assert_eq!(out.code, 4, "{}", out.stderr);
        assert_eq!(env.dump(), before);
        assert_eq!(env.outcomes(), ["ambiguous", "not_found"]);
    }
}

#[test]
fn a_row_referenced_from_an_unmapped_table_is_not_deleted() {
    for env in stores::agency("erase_unmapped_ref") {
        env.exec(
            "CREATE TABLE badges (id INTEGER PRIMARY KEY, org TEXT, emp_no TEXT,
            FOREIGN KEY (org, emp_no) REFERENCES employees(org, emp_no) ON DELETE CASCADE);
         INSERT INTO badges VALUES (7, 'acme', 'E2');
         -- Bo's personnummer, found in his row, would also match Cia's
         -- row (the same number in another org): ambiguous. Not this
         -- test's subject.
         UPDATE employees SET personnummer = NULL WHERE org = 'beta';",
        );
        let out = env.run(&["--json", "erase", "--yes", "email:bo@example.se"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            out.json()["tables"]["employees"],
            json!({ "deleted": 0, "anonymized": 1, "held": 0, "kept": 0 })
        );
        assert!(
            out.stderr
                .contains("employees: anonymized instead of deleted"),
            "{}",
            out.stderr
        );
        assert_eq!(env.query("SELECT * FROM badges"), ["7|acme|E2"]);
        assert_eq!(
            env.query("SELECT count(*) FROM employees WHERE emp_no = 'E2'"),
            ["1"]
        );
    }
}

#[test]
fn a_trigger_that_would_change_unnamed_rows_stops_the_erasure() {
    let env = TestEnv::agency();
    env.conn()
        .execute_batch(
            "CREATE TABLE report_log (what TEXT);
             CREATE TRIGGER log_delete AFTER DELETE ON time_reports BEGIN INSERT INTO report_log VALUES ('deleted'); END;",
        )
        .expect("trigger");
    let before = env.dump_user_tables();
    let out = env.run(&["erase", "--yes", "personnummer:811218-9876"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "would change rows that the erasure plan does not change: 2 rows of report_log; nothing was changed"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(env.dump_user_tables(), before);
    // The erasure's own record went with its transaction; the refusal is
    // recorded on its own, as failed, with the reason.
    let audit = env.audit_rows();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(
        (audit[0].1.as_str(), audit[0].2.as_str()),
        ("erase", "failed")
    );
    let details: serde_json::Value = serde_json::from_str(&audit[0].4).expect("details");
    assert!(
        details["reason"]
            .as_str()
            .is_some_and(|r| r.contains("2 rows of report_log")),
        "{details}"
    );
}

#[test]
fn a_locked_store_is_exit_1_with_nothing_changed() {
    let env = TestEnv::agency();
    let before = env.dump_user_tables();
    let holder = env.conn();
    holder
        .execute_batch("BEGIN IMMEDIATE; UPDATE visits SET at = at;")
        .expect("lock");
    let mut c = env.cmd();
    c.env("DSR_BUSY_TIMEOUT", "250")
        .arg("--store")
        .arg(&env.store)
        .arg("--map")
        .arg(&env.map)
        .args(["erase", "--yes", "email:dan@example.se"]);
    let out = c.output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is locked by another process"), "{stderr}");
    holder.execute_batch("ROLLBACK").expect("unlock");
    assert_eq!(env.dump_user_tables(), before);
}

#[test]
fn erasing_a_demo_customer_removes_exactly_their_rows() {
    let env = TestEnv::demo(300);
    let conn = env.conn();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let id: i64 = 42;
    let readings = count("SELECT count(*) FROM meter_readings WHERE meter_id IN (SELECT id FROM meters WHERE customer_id = 42)");
    let meters = count("SELECT count(*) FROM meters WHERE customer_id = 42");
    let all_readings = count("SELECT count(*) FROM meter_readings");
    let invoices = count("SELECT count(*) FROM invoices WHERE customer_id = 42");
    let held = count(
        "SELECT count(*) FROM invoices WHERE customer_id = 42 AND date(issued, '+7 years', 'start of year', '+1 year') > date('2026-11-22T10:00:00')",
    );
    let out = env.run_plain(&[
        "--store",
        "tenant.db",
        "--map",
        "datamap.toml",
        "--json",
        "erase",
        "--yes",
        &format!("customer_id:{id}"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["tables"]["meters"]["deleted"], meters);
    assert_eq!(doc["tables"]["meter_readings"]["deleted"], readings);
    assert_eq!(doc["tables"]["invoices"]["held"], held);
    assert_eq!(doc["tables"]["invoices"]["deleted"], invoices - held);
    assert_eq!(doc["tables"]["customers"]["anonymized"], 1);
    assert_eq!(
        count("SELECT count(*) FROM meters WHERE customer_id = 42"),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM meter_readings"),
        all_readings - readings
    );
    assert_eq!(
        count("SELECT count(*) FROM invoices WHERE customer_id = 42"),
        held
    );
    assert_eq!(count("SELECT count(*) FROM customers WHERE id = 42 AND personnummer IS NULL AND name = '[erased]'"), 1);
    assert_eq!(count("SELECT count(*) FROM _dsr_deferred"), held);
    let fk: Vec<String> = rows(&env, "PRAGMA foreign_key_check");
    assert!(fk.is_empty(), "{fk:?}");
    assert_eq!(rows(&env, "PRAGMA integrity_check"), ["ok"]);
}

/// On a terminal, erase shows the plan and asks; only "yes" goes on.
#[test]
fn on_a_terminal_erase_asks_first() {
    let env = TestEnv::agency();
    let before = env.dump_user_tables();
    let on_tty = |answer: &str| {
        let cmd = format!(
            "{} --store tenant.db --map datamap.toml erase contact_id:c-3",
            assert_cmd::cargo::cargo_bin("dsr").display()
        );
        // util-linux script(1) runs the command on a pseudo-terminal.
        let mut c = std::process::Command::new("script");
        c.current_dir(env.dir.path())
            .env("DSR_NOW", crate::NOW)
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().expect("script(1)");
        std::thread::sleep(std::time::Duration::from_millis(700));
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(answer.as_bytes())
            .expect("answer");
        let out = child.wait_with_output().expect("wait");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let screen = on_tty("no\n");
    assert!(
        screen.contains("erasure plan for store ")
            && screen.contains(
                "  contacts             anonymize 1 row (name redacted, email hashed, phone nulled, photo nulled)"
            )
            && screen.contains("  recipients to tell of the erasure (Art. 19):")
            && screen.contains("    Plumbing partner AB: contacts"),
        "{screen}"
    );
    assert!(screen.contains("Type yes to go on"), "{screen}");
    assert!(screen.contains("nothing was changed"), "{screen}");
    assert_eq!(env.dump_user_tables(), before);
    let screen = on_tty("yes\n");
    assert!(screen.contains("erased (audit record 2)"), "{screen}");
    let outcomes: Vec<String> = env.audit_rows().into_iter().map(|r| r.2).collect();
    assert_eq!(outcomes, ["declined", "ok"]);
    assert_eq!(
        rows(&env, "SELECT name FROM contacts WHERE id = 'c-3'"),
        ["[erased]"]
    );
}

/// A leaf whose every row is deleted (the demo's meter readings) is
/// counted and deleted along its link, not read, where the erasure is
/// watched by counts; the report, the plan in words, the audit details and
/// the store afterwards are those of the erasure that reads it (forced
/// here by a trigger, which makes dsr watch row by row).
#[test]
fn unread_leaf_is_erased_as_the_read_one() {
    let quick = TestEnv::demo(30);
    // The tenant's secret made first, so that both stores hash alike.
    let none = quick.run(&["erase", "--dry-run", "customer_id:999999"]);
    assert_eq!(none.code, 4, "{}", none.stderr);
    let read = TestEnv::empty();
    std::fs::copy(&quick.store, &read.store).expect("copy the store");
    std::fs::copy(&quick.map, &read.map).expect("copy the map");
    let id: i64 = quick
        .conn()
        .query_row(
            "SELECT m.customer_id FROM meters m JOIN meter_readings r ON r.meter_id = m.id GROUP BY m.customer_id ORDER BY count(*) DESC, m.customer_id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a customer with readings");
    let readings_of = |env: &TestEnv| -> i64 {
        env.conn()
            .query_row(
                "SELECT count(*) FROM meter_readings r JOIN meters m ON m.id = r.meter_id WHERE m.customer_id = ?1",
                [id],
                |r| r.get(0),
            )
            .expect("count")
    };
    let readings = readings_of(&quick);
    assert!(readings > 0);
    read.conn()
        .execute_batch(
            "CREATE TABLE unrelated (x INTEGER); CREATE TRIGGER unrelated_t AFTER INSERT ON unrelated BEGIN SELECT 1; END;",
        )
        .expect("trigger");
    let subject = format!("customer_id:{id}");
    let run = |env: &TestEnv| {
        let mut c = env.store_cmd(&["--json", "erase", "--yes", &subject]);
        c.env("DSR_TRACE", "1");
        crate::outcome(assert_cmd::Command::from_std(c))
    };
    let (q, r) = (run(&quick), run(&read));
    assert_eq!((q.code, r.code), (0, 0), "{}\n{}", q.stderr, r.stderr);
    let selects = |o: &crate::Outcome| {
        o.stderr
            .lines()
            .filter(|l| l.contains("select meter_readings"))
            .count()
    };
    assert_eq!(selects(&q), 0, "{}", q.stderr);
    assert!(selects(&r) > 0, "{}", r.stderr);
    assert_eq!(q.json(), r.json());
    assert_eq!(
        q.json()["tables"]["meter_readings"]["deleted"],
        json!(readings)
    );
    let plan = |o: &crate::Outcome, env: &TestEnv| -> String {
        o.stderr
            .replace(&env.dir.path().display().to_string(), "[TMP]")
            .lines()
            .filter(|l| !l.starts_with("dsr trace:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(plan(&q, &quick), plan(&r, &read));
    let dump = |env: &TestEnv| {
        let d = env.dump_user_tables();
        d.split("## ")
            .filter(|t| !t.starts_with("unrelated"))
            .collect::<Vec<_>>()
            .join("## ")
    };
    assert_eq!(dump(&quick), dump(&read));
    let details = "SELECT command, outcome, details FROM _dsr_audit ORDER BY seq";
    assert_eq!(rows(&quick, details), rows(&read, details));
    assert_eq!(readings_of(&quick), 0);
}
