//! `dsr erase` on PostgreSQL (issue 11, the write group): the agency
//! fixture loaded from `fixtures/agency/schema.pg.sql` into a schema of the
//! test's own, erased as on SQLite (same report, same rows), the audit
//! trail written and verified, and the refusals: a trigger changing
//! another table, a cascade into an unmapped table, a connection killed
//! half way, a tampered trail. Skipped without `DSR_TEST_POSTGRES_URL`
//! (failing under CI=true).

use crate::pg_env::PgTenant;
use dsr::store::pg::testing;
use serde_json::json;

#[test]
fn pg_anna_is_erased_as_on_sqlite() {
    let Some(pg) = PgTenant::agency("cli_anna", "") else {
        return;
    };
    let args = ["--json", "erase", "--yes", "personnummer:811218-9876"];
    let out = pg.run(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let on_sqlite = pg.env.run(&args);
    assert_eq!(on_sqlite.code, 0, "{}", on_sqlite.stderr);
    assert_eq!(out.json(), on_sqlite.json());
    assert_eq!(out.json()["tables"]["time_reports"]["deleted"], json!(2));
    let email_hash = dsr::audit::hmac_hex(&pg.secret(), b"anna@example.se");
    assert_eq!(
        pg.rows("SELECT * FROM employees ORDER BY org, emp_no"),
        [
            format!("acme|E1|[erased]|{email_hash}|NULL|1500000000"),
            "acme|E2|Bo Ek|bo@example.se|8507099805|1600000000".to_string(),
            "beta|E1|Cia Dahl|cia@example.com|198507099805|1650000000".to_string(),
        ]
    );
    assert_eq!(
        pg.rows("SELECT id, org, emp_no FROM time_reports ORDER BY id"),
        ["2|acme|E2", "3|beta|E1"]
    );
    assert_eq!(
        pg.rows("SELECT * FROM payslips ORDER BY id"),
        ["2|acme|E1|2024-06-25|34000", "3|acme|E2|2025-01-25|29000"]
    );
    assert_eq!(
        pg.rows("SELECT * FROM assignments ORDER BY id"),
        [
            "1|acme|NULL|c-3|[erased]",
            "2|acme|E2|c-1|Bo visited Dan at 070-111 22 33"
        ]
    );
    assert_eq!(
        pg.rows("SELECT id, body FROM messages ORDER BY id"),
        [
            "1|Please call Dan at 0701112233 about the boiler",
            "2|Anna Berg ([erased]) visited on Tuesday",
            "3|Nothing personal here",
            "4|Mail DAN@example.se. Thanks",
        ]
    );
    assert_eq!(
        pg.rows("SELECT tbl, key, action, until, reason FROM _dsr_deferred"),
        ["payslips|[2]|delete|2031-12-31|Bokföringslagen 7 kap. 2 §"]
    );
    assert_eq!(
        pg.rows("SELECT seq, command, outcome FROM _dsr_audit ORDER BY seq"),
        ["1|erase|ok"]
    );
    let verify = pg.run(&["audit", "verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
}

#[test]
fn pg_dan_is_erased_through_both_links_and_the_deferrable_cycle() {
    let Some(pg) = PgTenant::agency("cli_dan", "") else {
        return;
    };
    let out = pg.run(&["erase", "--yes", "email:DAN@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = pg.secret();
    let h = |v: &str| dsr::audit::hmac_hex(&s, v.as_bytes());
    assert_eq!(
        pg.rows("SELECT id, household_id, name, email, phone, created FROM contacts ORDER BY id"),
        [
            format!("c-1|h-1|[erased]|{}|NULL|1600000000", h("dan@example.se")),
            format!("c-2|h-1|[erased]|{}|NULL|1600003600", h("eva@example.se")),
            "c-3|h-2|Gun Holm|GUN@Example.se|0702223344|1610000000".to_string(),
        ]
    );
    assert_eq!(
        pg.rows("SELECT id, primary_contact, address FROM households ORDER BY id"),
        ["h-1|c-1|[address removed]", "h-2|c-3|Lillgatan 2, Luleå"]
    );
    assert_eq!(pg.rows("SELECT id FROM messages ORDER BY id"), ["2", "3"]);
    assert_eq!(pg.rows("SELECT id FROM assignments ORDER BY id"), ["1"]);
    assert_eq!(
        pg.rows("SELECT email, at FROM visits"),
        ["other@example.se|1700000100"]
    );
}

/// A trigger that updates another table: the whole erasure is rolled
/// back, exit 1 naming the table and how many of its rows.
#[test]
fn pg_a_trigger_updating_another_table_stops_the_erasure() {
    let extra = "
        CREATE TABLE report_count (id int PRIMARY KEY, n int NOT NULL);
        INSERT INTO report_count VALUES (1, 0), (2, 0);
        CREATE FUNCTION count_report() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN UPDATE report_count SET n = n + 1; RETURN OLD; END $$;
        CREATE TRIGGER time_reports_count AFTER DELETE ON time_reports
            FOR EACH ROW EXECUTE FUNCTION count_report();";
    let Some(pg) = PgTenant::agency("cli_trigger", extra) else {
        return;
    };
    let before = pg.dump();
    let out = pg.run(&["erase", "--yes", "personnummer:811218-9876"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "would change rows that the erasure plan does not change: 2 rows of report_count; nothing was changed"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(pg.dump(), before);
    // The refusal is recorded on its own, as failed.
    assert_eq!(
        pg.rows("SELECT seq, command, outcome FROM _dsr_audit ORDER BY seq"),
        ["1|erase|failed"]
    );
    // A dry run predicts the refusal exactly.
    let dry = pg.run(&["erase", "--dry-run", "personnummer:811218-9876"]);
    assert_eq!(dry.code, 1, "{}", dry.stderr);
    assert!(
        dry.stderr.contains("2 rows of report_count"),
        "{}",
        dry.stderr
    );
    assert_eq!(pg.dump(), before);
}

/// ON DELETE CASCADE into a mapped table is part of the plan (the rows it
/// would reach are deleted first, children before parents); into an
/// unmapped one, the parent is kept and anonymized, as on SQLite.
#[test]
fn pg_cascades_are_planned_or_avoided() {
    let extra = "
        CREATE TABLE badges (id bigint PRIMARY KEY, org text, emp_no text,
            FOREIGN KEY (org, emp_no) REFERENCES employees (org, emp_no) ON DELETE CASCADE);
        INSERT INTO badges VALUES (7, 'acme', 'E2');
        -- Bo and Cia share a personnummer (an ambiguous subject): not this
        -- test's subject.
        UPDATE employees SET personnummer = NULL WHERE org = 'beta';";
    let Some(pg) = PgTenant::agency("cli_cascade", extra) else {
        return;
    };
    let out = pg.run(&["--json", "erase", "--yes", "email:cia@example.com"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["tables"]["employees"],
        json!({ "deleted": 1, "anonymized": 0, "held": 0, "kept": 0 })
    );
    assert_eq!(
        pg.rows("SELECT org, emp_no FROM employees ORDER BY 1, 2"),
        ["acme|E1", "acme|E2"]
    );
    assert_eq!(
        pg.rows("SELECT id FROM time_reports ORDER BY id"),
        ["1", "2", "4"]
    );
    let out = pg.run(&["--json", "erase", "--yes", "email:bo@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["tables"]["employees"],
        json!({ "deleted": 0, "anonymized": 1, "held": 0, "kept": 0 })
    );
    assert_eq!(pg.rows("SELECT * FROM badges"), ["7|acme|E2"]);
    let verify = pg.run(&["audit", "verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
}

/// A trigger that makes deleting time reports take `seconds` (also
/// pg_bad.rs's): time to end the session, or for a timeout, mid-erasure.
pub(crate) fn slow_report_deletes(seconds: u32) -> String {
    format!(
        "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_sleep({seconds}); RETURN OLD; END $$;
         CREATE TRIGGER time_reports_slow BEFORE DELETE ON time_reports
             FOR EACH STATEMENT EXECUTE FUNCTION slow();"
    )
}

/// The server ends dsr's session while the erasure waits in a trigger:
/// nothing of it stays (the server rolled the transaction back), exit 1,
/// and the failure is recorded.
#[test]
fn pg_a_connection_killed_half_way_changes_nothing() {
    let Some(pg) = PgTenant::agency("cli_killed", &slow_report_deletes(30)) else {
        return;
    };
    let before = pg.dump();
    let child = pg
        .cmd(&["erase", "--yes", "personnummer:811218-9876"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn dsr");
    let mut admin = testing::admin().expect("admin");
    let started = std::time::Instant::now();
    let killed = loop {
        // dsr's session, asleep in the trigger inside the erasure.
        let rows = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE wait_event = 'PgSleep' AND query LIKE 'DELETE FROM \"time_reports\"%' \
                 AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE l.pid = pg_stat_activity.pid AND n.nspname = $1)",
                &[&pg.schema.name],
            )
            .expect("terminate");
        if !rows.is_empty() {
            break true;
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("dsr ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(killed, "dsr never reached the trigger: {stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the connection to the PostgreSQL server at 127.0.0.1:5432 was lost"),
        "{stderr}"
    );
    assert_eq!(pg.dump(), before);
    // The failure is recorded on a new session (DESIGN §4: whatever the
    // outcome), on its own.
    assert_eq!(
        pg.rows("SELECT seq, command, outcome FROM _dsr_audit ORDER BY seq"),
        ["1|erase|failed"]
    );
    assert!(!stderr.contains("could not be recorded"), "{stderr}");
}

/// A changed audit record is found by `audit verify` (exit 7), and a
/// removed newest record by the head check of the next command (exit 7).
#[test]
fn pg_a_tampered_trail_is_exit_7() {
    let Some(pg) = PgTenant::agency("cli_tamper", "") else {
        return;
    };
    for subject in ["contact_id:c-3", "personnummer:811218-9876"] {
        let out = pg.run(&["erase", "--yes", subject]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let mut c = pg.client();
    c.batch_execute("UPDATE _dsr_audit SET details = replace(details, '1', '2') WHERE seq = 1")
        .expect("tamper");
    let out = pg.run(&["audit", "verify"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stdout.contains("record 1") || out.stderr.contains("record 1"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    // The newest record removed: the head names a record that is gone.
    let Some(pg) = PgTenant::agency("cli_head", "") else {
        return;
    };
    for subject in ["contact_id:c-3", "personnummer:811218-9876"] {
        let out = pg.run(&["erase", "--yes", subject]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    pg.client()
        .batch_execute("DELETE FROM _dsr_audit WHERE seq = 2")
        .expect("tamper");
    let before = pg.dump();
    let out = pg.run(&["erase", "--yes", "email:dan@example.se"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr.contains("the audit trail is broken: _dsr_meta.audit_head names record 2, but the trail ends at record 1"),
        "{}",
        out.stderr
    );
    assert_eq!(pg.dump(), before);
}

/// The application puts a planned row under a hold while the erasure
/// plans (its transaction open, the row locked, committed once dsr waits
/// for the lock): dsr reads the rows it changes again locked, sees the new
/// hold date, plans again, and keeps the row; without the locked read the
/// DELETE would wait for the same lock and then remove the held row.
#[test]
fn pg_a_hold_set_while_the_erasure_plans_keeps_the_row() {
    let Some(pg) = PgTenant::agency("cli_hold_meanwhile", "") else {
        return;
    };
    let (code, report, stderr) = run_while_the_application_writes(
        &pg,
        "BEGIN; UPDATE payslips SET paid_on = '2025-03-01' WHERE id = 1",
        "payslips",
        &["--json", "erase", "--yes", "personnummer:811218-9876"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        report["tables"]["payslips"],
        json!({ "deleted": 0, "anonymized": 0, "held": 2, "kept": 0 })
    );
    assert_eq!(
        pg.rows("SELECT * FROM payslips ORDER BY id"),
        [
            "1|acme|E1|2025-03-01|31000",
            "2|acme|E1|2024-06-25|34000",
            "3|acme|E2|2025-01-25|29000"
        ]
    );
    assert_eq!(
        pg.rows("SELECT tbl, key, action, until FROM _dsr_deferred ORDER BY key"),
        [
            "payslips|[1]|delete|2032-12-31",
            "payslips|[2]|delete|2031-12-31"
        ]
    );
}

/// Runs dsr with `args` (which ask for `--json`) while the application
/// holds `app_sql` (it begins a transaction) uncommitted, and commits it
/// once dsr waits for a row lock while reading `table`: dsr's exit code,
/// its JSON result (Null when there is none) and its stderr.
pub(crate) fn run_while_the_application_writes(
    pg: &PgTenant,
    app_sql: &str,
    table: &str,
    args: &[&str],
) -> (Option<i32>, serde_json::Value, String) {
    let mut app = pg.client();
    app.batch_execute(app_sql)
        .expect("the application's update");
    let child = pg
        .cmd(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn dsr");
    let waited = waits_for_a_lock(pg, table);
    app.batch_execute("COMMIT")
        .expect("the application commits");
    let out = child.wait_with_output().expect("dsr ends");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        waited,
        "dsr never waited for the application's lock: {stderr}"
    );
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), report, stderr)
}

/// Whether a dsr session of `pg`'s schema comes to wait for a lock while
/// reading `table` (within 20 s).
fn waits_for_a_lock(pg: &PgTenant, table: &str) -> bool {
    let mut admin = testing::admin().expect("admin");
    let like = format!("%FROM \"{table}\"%");
    let started = std::time::Instant::now();
    loop {
        let rows = admin
            .query(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                 AND query LIKE $2 AND pid <> pg_backend_pid() \
                 AND EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE l.pid = pg_stat_activity.pid AND n.nspname = $1)",
                &[&pg.schema.name, &like],
            )
            .expect("activity");
        if !rows.is_empty() {
            return true;
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The application corrects the personnummer of the row the erasure
/// found by it (its transaction open, committed once dsr waits for the
/// row's lock): dsr reads the row again locked, plans again, and finds
/// only the free text that names that number, which it edits; the row,
/// no longer the subject's, and everything linked to it stay as they are.
/// Without that read dsr would anonymize it and delete beneath it.
#[test]
fn pg_an_identifier_corrected_while_the_erasure_plans_is_seen() {
    let Some(pg) = PgTenant::agency("cli_corrected_meanwhile", "") else {
        return;
    };
    let tables = ["employees", "time_reports", "payslips"].map(String::from);
    let before = pg.dump_tables(&tables);
    let (code, report, stderr) = run_while_the_application_writes(
        &pg,
        "BEGIN; UPDATE employees SET personnummer = NULL WHERE org = 'acme' AND emp_no = 'E1'",
        "employees",
        &["--json", "erase", "--yes", "personnummer:811218-9876"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        report["tables"],
        json!({ "messages": { "deleted": 0, "anonymized": 0, "held": 0, "kept": 0 } }),
        "{report}"
    );
    assert_eq!(
        report["mentions"],
        json!({ "messages.body": 1 }),
        "{report}"
    );
    // Nothing of the three tables changed but the application's correction.
    pg.client()
        .batch_execute(
            "UPDATE employees SET personnummer = '19811218-9876' WHERE org = 'acme' AND emp_no = 'E1'",
        )
        .expect("the correction undone");
    assert_eq!(pg.dump_tables(&tables), before);
}

/// The application rewrites a text that mentions the subject while the
/// erasure plans (committed once dsr waits for the row's lock): dsr reads
/// the text again locked, plans again, and erases the mention in the new
/// text, keeping the application's edit.
#[test]
fn pg_a_mention_rewritten_while_the_erasure_plans_is_erased_in_the_new_text() {
    let Some(pg) = PgTenant::agency("cli_mention_meanwhile", "") else {
        return;
    };
    let (code, report, stderr) = run_while_the_application_writes(
        &pg,
        "BEGIN; UPDATE messages SET body = 'Anna (811218-9876) came on Wednesday' WHERE id = 2",
        "messages",
        &["--json", "erase", "--yes", "personnummer:811218-9876"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        report["mentions"],
        json!({ "messages.body": 1 }),
        "{report}"
    );
    assert_eq!(
        pg.rows("SELECT body FROM messages WHERE id = 2"),
        ["Anna ([erased]) came on Wednesday"]
    );
}
