//! The store's own rules during an erasure or a sweep: same-row triggers
//! pass, changes to other rows are refused (exit 1, nothing changed, a
//! `failed` record), dry runs predict the refusal; failed commands leave a
//! record; rows that referential safety keeps in a table with nothing to
//! anonymize are reported as kept. On the rental fixture (Sakila-like), the
//! agency fixture and small schemas built here.

use crate::{query, TestEnv};
use serde_json::{json, Value as Json};

/// (command, outcome, details) of every audit record.
fn audit(env: &TestEnv) -> Vec<(String, String, Json)> {
    env.audit_rows()
        .into_iter()
        .map(|(_, c, o, _, d)| (c, o, serde_json::from_str(&d).expect("details")))
        .collect()
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

// ---- 1. Same-row triggers pass; other rows are refused ----

#[test]
fn rental_erasure_passes_the_same_row_last_update_triggers() {
    let env = TestEnv::rental();
    let out = env.run(&["erase", "--yes", "customer_no:C-1001"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let email = dsr::audit::hmac_hex(&secret(&env), "ÅSA.ÖBERG@EXAMPLE.SE".as_bytes());
    // The triggers set last_update on exactly the rows dsr changed.
    assert_eq!(
        query(&env, "SELECT * FROM customer ORDER BY customer_id"),
        [
            format!("1|C-1001|[erased]|[erased]|{email}|NULL|NULL|1|1|2019-03-01|2026-11-22 10:00:00"),
            "2|C-1002 |Mary|Smith|mary.smith@example.com|+1 (208) 555-8097|NULL|2|1|2020-05-17|2020-01-01 00:00:00".into(),
            "3|C-1003|Hans|Müller|hans@example.de|030-0074321|750601–0011|3|1|2021-02-02|2020-01-01 00:00:00".into(),
            "4|C-1004|Olle|Ek|olle@example.se|0046 70 999 88 77|NULL|4|0|2015-01-01|2020-01-01 00:00:00".into(),
        ]
    );
    assert_eq!(
        query(&env, "SELECT * FROM address ORDER BY address_id"),
        [
            "1|[erased]|1|NULL|2026-11-22 10:00:00",
            "2|47 MySakila Drive|2|+1 (208) 555-8097|2020-01-01 00:00:00",
            "3|Unter den Linden 5|3|+49 30 0074321|2020-01-01 00:00:00",
            "4|Lillgatan 2|1|NULL|2020-01-01 00:00:00",
        ]
    );
    // Rentals referred to by held payments stay as they are (kept).
    assert_eq!(
        query(
            &env,
            "SELECT rental_id, customer_id, last_update FROM rental ORDER BY rental_id"
        ),
        [
            "1|1|2020-01-01 00:00:00",
            "2|1|2020-01-01 00:00:00",
            "3|2|2020-01-01 00:00:00",
            "4|4|2020-01-01 00:00:00",
        ]
    );
    assert_eq!(
        query(&env, "SELECT payment_id FROM payment ORDER BY payment_id"),
        ["1", "2", "3", "4"]
    );
    assert_eq!(
        query(
            &env,
            "SELECT note_id, body FROM support_note ORDER BY note_id"
        ),
        [
            "1|Mary asked us to forward her receipts to [erased], her accountant",
            "2|Hans called from +1 208 555 8097 on holiday; customer C-1004 is his neighbour",
            "4|Call back on 070-999 88 77",
        ]
    );
    let records = audit(&env);
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].0.as_str(), records[0].1.as_str()),
        ("erase", "ok")
    );
}

/// The agency store with `touched` columns kept up to date by same-row
/// triggers: on employees (WITHOUT ROWID, composite text key) and on
/// assignments (integer key).
fn agency_with_touch_triggers() -> TestEnv {
    let env = TestEnv::agency();
    env.conn()
        .execute_batch(
            "ALTER TABLE employees ADD COLUMN touched TEXT;
             ALTER TABLE assignments ADD COLUMN touched TEXT;
             CREATE TRIGGER employees_touch AFTER UPDATE ON employees FOR EACH ROW BEGIN
                 UPDATE employees SET touched = 'yes' WHERE org = NEW.org AND emp_no = NEW.emp_no;
             END;
             CREATE TRIGGER assignments_touch AFTER UPDATE ON assignments FOR EACH ROW BEGIN
                 UPDATE assignments SET touched = 'yes' WHERE id = NEW.id;
             END;",
        )
        .expect("triggers");
    env
}

/// Drops what `agency_with_touch_triggers` added, for comparing with a plain run.
fn drop_touch(env: &TestEnv) {
    env.conn()
        .execute_batch(
            "DROP TRIGGER employees_touch; DROP TRIGGER assignments_touch;
             ALTER TABLE employees DROP COLUMN touched; ALTER TABLE assignments DROP COLUMN touched;",
        )
        .expect("drop");
}

#[test]
fn agency_erasure_passes_same_row_triggers_also_without_rowids() {
    let plain = TestEnv::agency();
    let env = agency_with_touch_triggers();
    let subject = ["erase", "--yes", "personnummer:811218-9876"];
    assert_eq!(plain.run(&subject).code, 0);
    let out = env.run(&subject);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The triggers touched exactly the rows dsr anonymized.
    assert_eq!(
        query(
            &env,
            "SELECT org, emp_no, coalesce(touched, '-') FROM employees ORDER BY 1, 2"
        ),
        ["acme|E1|yes", "acme|E2|-", "beta|E1|-"]
    );
    assert_eq!(
        query(&env, "SELECT id, coalesce(emp_no, 'NULL'), coalesce(touched, '-') FROM assignments ORDER BY id"),
        query(&plain, "SELECT id, coalesce(emp_no, 'NULL'), CASE WHEN emp_no IS NULL THEN 'yes' ELSE '-' END FROM assignments ORDER BY id")
    );
    drop_touch(&env);
    // Each tenant hashes with its own secret.
    for e in [&env, &plain] {
        let h = dsr::audit::hmac_hex(&secret(e), b"anna@example.se");
        e.conn()
            .execute(
                "UPDATE employees SET email = 'hashed' WHERE email = ?1",
                [h],
            )
            .expect("hash");
    }
    assert_eq!(env.dump_user_tables(), plain.dump_user_tables());
}

#[test]
fn a_trigger_that_changes_other_rows_is_refused_and_the_dry_run_says_so_first() {
    // Rental: the application logs every customer change in a table of its own.
    let rental = TestEnv::rental();
    rental
        .conn()
        .execute_batch(
            "CREATE TABLE customer_log (id INTEGER PRIMARY KEY, what TEXT);
             CREATE TRIGGER customer_logged AFTER UPDATE OF first_name ON customer BEGIN
                 INSERT INTO customer_log (what) VALUES ('renamed');
             END;",
        )
        .expect("log trigger");
    // Agency: a trigger on employees (WITHOUT ROWID) that touches every
    // other employee of the organisation as well.
    let agency = agency_with_touch_triggers();
    agency
        .conn()
        .execute_batch(
            "CREATE TRIGGER employees_org AFTER UPDATE OF full_name ON employees BEGIN
                 UPDATE employees SET touched = 'org' WHERE org = NEW.org AND emp_no <> NEW.emp_no;
             END;",
        )
        .expect("org trigger");
    for (env, subject, refusal) in [
        (&rental, "customer_no:C-1001", "1 row of customer_log"),
        (&agency, "personnummer:811218-9876", "1 row of employees"),
    ] {
        let before = env.dump_user_tables();
        let expected = format!(
            "dsr: error: the store's own triggers or ON DELETE / ON UPDATE actions would change rows that the erasure plan does not change: {refusal}; nothing was changed; map those tables (or ask the application's owner about the triggers and foreign keys that write to them), then try again with --dry-run\n"
        );
        let dry = env.run(&["erase", "--dry-run", subject]);
        assert_eq!((dry.code, dry.stderr.as_str()), (1, expected.as_str()));
        assert_eq!(env.dump_user_tables(), before);
        let real = env.run(&["erase", "--yes", subject]);
        assert_eq!((real.code, real.stderr.as_str()), (1, expected.as_str()));
        assert_eq!(env.dump_user_tables(), before);
        let records = audit(env);
        let outcomes: Vec<(&str, &str, &Json)> = records
            .iter()
            .map(|(c, o, d)| (c.as_str(), o.as_str(), &d["dry_run"]))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("erase", "failed", &json!(true)),
                ("erase", "failed", &json!(false))
            ]
        );
        for (_, _, d) in &records {
            let reason = d["reason"].as_str().unwrap_or("");
            assert!(reason.contains(refusal), "{d}");
        }
        // The reason names tables and counts, never an identifier.
        let trail = env.tool_tables_text();
        for personal in ["C-1001", "ÅSA", "åsa", "811218", "E1"] {
            assert!(!trail.contains(personal), "{personal} in the trail");
        }
    }
}

#[test]
fn a_trigger_on_a_deleted_row_that_writes_elsewhere_is_refused_on_a_schema_of_its_own() {
    // A schema of its own: a trigger on the user's update that touches
    // their own row and their tokens, and one on deletion that counts in a
    // table of its own (with no key: rows by rowid).
    let env = TestEnv::empty();
    env.conn()
        .execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, touched TEXT);
             CREATE TABLE tokens (id INTEGER PRIMARY KEY, user_id INTEGER, seen TEXT);
             CREATE TABLE stats (n INTEGER);
             INSERT INTO users VALUES (1, 'a@example.se', NULL), (2, 'b@example.se', NULL);
             INSERT INTO tokens VALUES (10, 1, NULL), (11, 2, NULL);
             INSERT INTO stats VALUES (0);
             CREATE TRIGGER users_touch AFTER UPDATE OF email ON users BEGIN
                 UPDATE users SET touched = 'yes' WHERE id = NEW.id;
                 UPDATE tokens SET seen = 'yes' WHERE user_id = NEW.id;
             END;
             CREATE TRIGGER users_gone AFTER DELETE ON users BEGIN
                 UPDATE stats SET n = n + 1;
             END;",
        )
        .expect("store");
    std::fs::write(
        &env.map,
        "version = 1\n[controller]\nname = \"T\"\ncontact = \"dpo@t.example\"\nauthority = \"IMY\"\n\
         [identifiers]\nemail = \"email\"\n\
         [tables.users]\nsubjects = true\npurpose = \"Accounts\"\nlegal_basis = \"contract\"\n\
         identify = { email = \"email\" }\non_erase = \"anonymize\"\n\
         [tables.users.columns]\nemail = { category = \"contact.email\", erase = \"hash\" }\n\
         [tables.tokens]\npurpose = \"Sessions\"\nlegal_basis = \"contract\"\n\
         link = { to = \"users\", on = { user_id = \"id\" } }\non_erase = \"delete\"\n",
    )
    .expect("map");
    let before = env.dump_user_tables();
    // The token of the user is deleted first (children before parents):
    // the trigger's update of it then finds nothing; only the user's own
    // row is touched.
    let out = env.run(&["erase", "--yes", "email:a@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let h = dsr::audit::hmac_hex(&secret(&env), b"a@example.se");
    assert_eq!(
        query(&env, "SELECT * FROM users ORDER BY id"),
        [format!("1|{h}|yes"), "2|b@example.se|NULL".into()]
    );
    assert_eq!(query(&env, "SELECT * FROM tokens"), ["11|2|NULL"]);
    assert_eq!(query(&env, "SELECT * FROM stats"), ["0"]);
    // Mapped as deleted, the user's row fires the counter: refused.
    std::fs::write(
        &env.map,
        std::fs::read_to_string(&env.map)
            .expect("map")
            .replace("on_erase = \"anonymize\"", "on_erase = \"delete\""),
    )
    .expect("map");
    let before_b = env.dump_user_tables();
    let out = env.run(&["erase", "--yes", "email:b@example.se"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("does not change: 1 row of stats; nothing was changed"),
        "{}",
        out.stderr
    );
    assert_eq!(env.dump_user_tables(), before_b);
    assert_ne!(before, before_b);
    let last = audit(&env).pop().expect("record");
    assert_eq!((last.0.as_str(), last.1.as_str()), ("erase", "failed"));
}

// ---- 2. Failed commands leave a record ----

#[test]
fn an_output_that_cannot_be_written_after_the_data_were_read_is_recorded_as_failed() {
    for (env, subject) in [
        (TestEnv::rental(), "customer_no:C-1001"),
        (TestEnv::agency(), "personnummer:811218-9876"),
    ] {
        let dir = env.path("anna-berg.json");
        std::fs::create_dir(&dir).expect("dir");
        let target = dir.display().to_string();
        let out = env.run(&["extract", subject, "--force", "-o", &target]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(out.stderr.contains("it is a directory"), "{}", out.stderr);
        // An unwritable place: a directory that does not exist.
        let missing = env.path("no-such-dir/anna-berg.json").display().to_string();
        let out = env.run(&["export", subject, "-o", &missing]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        // The whole tenant, streamed, then not put in place.
        let out = env.run(&["export", "--all", "--force", "-o", &target]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        let records = audit(&env);
        let outcomes: Vec<(&str, &str)> = records
            .iter()
            .map(|(c, o, _)| (c.as_str(), o.as_str()))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("extract", "failed"),
                ("export", "failed"),
                ("export", "failed")
            ]
        );
        assert_eq!(records[2].2["reason"], records[0].2["reason"]);
        assert_eq!(
            records[0].2["reason"],
            "writing the output failed: it is a directory; nothing was left behind"
        );
        let reason = records[1].2["reason"].as_str().unwrap_or("");
        assert!(
            reason.starts_with(
                "cannot create the output in its directory: no such file or directory"
            ),
            "{reason}"
        );
        // The output's name (here a person's) is not in the trail.
        assert!(!env.tool_tables_text().contains("anna-berg"));
        assert!(std::fs::read_dir(&dir).expect("dir").next().is_none());
    }
}

/// A store of sessions, each expired or not, swept one row per batch; a
/// trigger refuses the deletion of the third expired row.
fn sessions_with_a_stubborn_row() -> TestEnv {
    let env = TestEnv::empty();
    env.conn()
        .execute_batch(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, email TEXT, started TEXT);
             INSERT INTO sessions VALUES
                ('s1', 's1@example.se', '2026-11-20'),
                ('s2', 's2@example.se', '2020-01-01'),
                ('s3', 's3@example.se', '2020-01-01'),
                ('s4', 's4@example.se', '2026-11-21'),
                ('s5', 's5@example.se', '2020-01-01'),
                ('s6', 's6@example.se', '2020-01-01');
             CREATE TRIGGER sessions_keep BEFORE DELETE ON sessions WHEN OLD.id = 's5' BEGIN
                 SELECT RAISE(ABORT, 'session s5 is in use');
             END;",
        )
        .expect("store");
    std::fs::write(
        &env.map,
        "version = 1\n[controller]\nname = \"T\"\ncontact = \"dpo@t.example\"\nauthority = \"IMY\"\n\
         [identifiers]\nemail = \"email\"\n\
         [tables.sessions]\npurpose = \"Sessions\"\nlegal_basis = \"contract\"\n\
         identify = { email = \"email\" }\non_erase = \"delete\"\n\
         retention = { after = \"started\", keep = \"30d\" }\n\
         [tables.sessions.columns]\nemail = { category = \"contact.email\", erase = \"hash\" }\n",
    )
    .expect("map");
    env
}

fn sweep(env: &TestEnv, planned: bool, args: &[&str]) -> crate::Outcome {
    let mut c = env.cmd();
    if planned {
        c.env("DSR_SWEEP_PLANNED", "1");
    }
    c.arg("--store")
        .arg(&env.store)
        .arg("--map")
        .arg(&env.map)
        .arg("sweep")
        .args(args);
    crate::outcome(c)
}

#[test]
fn a_sweep_that_fails_half_way_keeps_its_batches_says_how_many_and_records_its_summary() {
    // In one pass (the store picks the rows) and planned (dsr picks them).
    for planned in [false, true] {
        let env = sessions_with_a_stubborn_row();
        // The dry run meets the same failure, and changes nothing.
        let before = env.dump_user_tables();
        let dry = sweep(&env, planned, &["--dry-run", "--batch-size", "1"]);
        assert_eq!(dry.code, 1, "{}", dry.stderr);
        assert!(
            dry.stderr.contains("session s5 is in use"),
            "{}",
            dry.stderr
        );
        assert_eq!(env.dump_user_tables(), before);

        let out = sweep(&env, planned, &["--batch-size", "1"]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains("the sweep stopped part way: "),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("session s5 is in use"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(
                "that batch was rolled back; the 2 batches committed before it stay committed (2 rows deleted, 0 anonymized, 0 deferred erasures completed; audit records 2 to 3); fix the cause and run dsr sweep again to carry on"
            ),
            "planned {planned}: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("nothing was changed"),
            "{}",
            out.stderr
        );
        // s2 and s3 went in their own batches; s5 stopped the sweep, s6 was not reached.
        assert_eq!(
            query(&env, "SELECT id FROM sessions ORDER BY id"),
            ["s1", "s4", "s5", "s6"]
        );
        let records = audit(&env);
        let outcomes: Vec<(&str, &str)> = records
            .iter()
            .map(|(c, o, _)| (c.as_str(), o.as_str()))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("sweep", "failed"),
                ("sweep", "ok"),
                ("sweep", "ok"),
                ("sweep", "failed")
            ]
        );
        let summary = &records[3].2;
        assert_eq!(summary["summary"], true);
        assert_eq!(summary["committed_batches"], 2);
        assert_eq!(
            summary["tables"],
            json!({ "sessions": { "deleted": 2, "anonymized": 0, "held": 0, "kept": 0 } })
        );
        assert!(summary["reason"]
            .as_str()
            .is_some_and(|r| r.contains("session s5 is in use")));
        assert_eq!(records[0].2["dry_run"], true);
        assert_eq!(records[0].2["committed_batches"], 0);
    }
}

#[test]
fn an_agency_sweep_that_fails_half_way_keeps_what_it_committed() {
    let env = TestEnv::agency();
    let ids = query(
        &env,
        "SELECT id FROM time_reports WHERE day < strftime('%s', '2024-11-20') ORDER BY id",
    );
    assert!(ids.len() >= 2, "{ids:?}");
    let last = ids.last().expect("id").clone();
    env.conn()
        .execute_batch(&format!(
            "CREATE TRIGGER reports_keep BEFORE DELETE ON time_reports WHEN OLD.id = {last} BEGIN
                 SELECT RAISE(ABORT, 'report is being invoiced');
             END;"
        ))
        .expect("trigger");
    let out = env.run(&["sweep", "--table", "time_reports", "--batch-size", "1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let n = ids.len() - 1;
    assert!(
        out.stderr.contains(&format!(
            "the {n} batch{} committed before it stay committed ({n} row{} deleted",
            if n == 1 { "" } else { "es" },
            if n == 1 { "" } else { "s" }
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        query(
            &env,
            "SELECT id FROM time_reports WHERE day < strftime('%s', '2024-11-20')"
        ),
        [last]
    );
    let records = audit(&env);
    assert_eq!(records.len(), n + 1);
    assert!(records[..n]
        .iter()
        .all(|(c, o, _)| c == "sweep" && o == "ok"));
    assert_eq!(records[n].1, "failed");
    assert_eq!(records[n].2["committed_batches"], json!(n));
}

// ---- 9. Nothing to anonymize: kept, never "anonymized" ----

#[test]
fn rentals_that_held_payments_refer_to_are_kept_not_anonymized() {
    let env = TestEnv::rental();
    let dry = env.run(&["erase", "--dry-run", "customer_no:C-1001"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stderr.contains("  rental               keep 2 rows\n"),
        "{}",
        dry.stderr
    );
    assert!(
        dry.stderr.contains("  rental: kept instead of deleted, because rows that stay still refer to them: payment (held); it has no erase strategies, so there is nothing to anonymize\n"),
        "{}",
        dry.stderr
    );
    let out = env.run(&["--json", "erase", "--yes", "customer_no:C-1001"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(
        doc["tables"]["rental"],
        json!({ "deleted": 0, "anonymized": 0, "held": 0, "kept": 2 })
    );
    // Nothing of dsr's says they were anonymized, and they were not changed.
    assert!(query(&env, "SELECT * FROM _dsr_anonymized WHERE tbl = 'rental'").is_empty());
    assert_eq!(
        query(
            &env,
            "SELECT rental_id, last_update FROM rental WHERE customer_id = 1"
        ),
        ["1|2020-01-01 00:00:00", "2|2020-01-01 00:00:00"]
    );

    // A sweep: Olle's customer record expired long ago, but his payment is
    // still held (its date moved here to last year): his rental is kept.
    let env = TestEnv::rental();
    env.conn()
        .execute_batch("UPDATE payment SET payment_date = '2025-01-01' WHERE payment_id = 4")
        .expect("payment");
    let out = env.run(&["--json", "sweep"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(
        doc["tables"],
        json!({
            "customer": { "deleted": 0, "anonymized": 1, "held": 0, "kept": 0 },
            "address": { "deleted": 0, "anonymized": 1, "held": 0, "kept": 0 },
            "rental": { "deleted": 0, "anonymized": 0, "held": 0, "kept": 1 },
            "payment": { "deleted": 0, "anonymized": 0, "held": 1, "kept": 0 },
            "support_note": { "deleted": 1, "anonymized": 0, "held": 0, "kept": 0 }
        })
    );
    assert_eq!(
        query(&env, "SELECT * FROM rental WHERE rental_id = 4"),
        ["4|2016-02-01|4|Affair Prejudice|2016-02-05|2020-01-01 00:00:00"]
    );
    // check warns about such a table; it is no error.
    let check = env.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stdout.contains("warning: rental: on_erase = \"delete\", but held rows of payment refer to it: while the hold lasts such rows are not deleted, and with no erase strategies there is nothing to anonymize, so they are kept as they are (reported as kept)"),
        "{}",
        check.stdout
    );
}

#[test]
fn a_table_with_no_erase_strategies_is_kept_on_a_second_schema() {
    // Agency: assignments lose their strategies; Anna's assignment, which
    // its link would anonymize, is kept and reported so.
    let env = TestEnv::agency();
    let map = std::fs::read_to_string(&env.map).expect("map");
    let map = map
        .replace(
            "emp_no = { category = \"identity.employee_number\", erase = \"null\" }\n",
            "",
        )
        .replace(
            "note = { category = \"content.free_text\", erase = \"redact\", scan = true,",
            "note = { category = \"content.free_text\", scan = true,",
        );
    assert!(!map.contains("identity.employee_number\", erase"));
    assert!(
        !map.contains("note = { category = \"content.free_text\", erase = \"redact\", scan = true")
    );
    std::fs::write(&env.map, map).expect("map");
    let before = query(&env, "SELECT * FROM assignments ORDER BY id");
    let out = env.run(&["--json", "erase", "--yes", "personnummer:811218-9876"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["tables"]["assignments"],
        json!({ "deleted": 0, "anonymized": 0, "held": 0, "kept": 1 })
    );
    assert!(
        out.stderr.contains("  assignments: kept, not anonymized: it has no erase strategies, so there is nothing to anonymize\n"),
        "{}",
        out.stderr
    );
    assert_eq!(query(&env, "SELECT * FROM assignments ORDER BY id"), before);
}

#[test]
fn a_one_pass_sweep_refuses_a_trigger_that_deletes_other_rows_of_its_table() {
    for planned in [false, true] {
        let env = sessions_with_a_stubborn_row();
        env.conn()
            .execute_batch(
                "DROP TRIGGER sessions_keep;
                 CREATE TRIGGER sessions_pair AFTER DELETE ON sessions WHEN OLD.id = 's2' BEGIN
                     DELETE FROM sessions WHERE id = 's1';
                 END;",
            )
            .expect("trigger");
        let before = env.dump_user_tables();
        let out = sweep(&env, planned, &[]);
        assert_eq!(out.code, 1, "planned {planned}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("does not change: 1 row of sessions; nothing was changed"),
            "planned {planned}: {}",
            out.stderr
        );
        assert_eq!(env.dump_user_tables(), before);
    }
}

#[test]
fn a_trigger_that_rolls_the_whole_transaction_back_is_recorded_once() {
    let env = TestEnv::rental();
    env.conn()
        .execute_batch(
            "CREATE TRIGGER customer_frozen BEFORE UPDATE OF first_name ON customer BEGIN
                 SELECT RAISE(ROLLBACK, 'customer records are frozen');
             END;",
        )
        .expect("trigger");
    let before = env.dump_user_tables();
    for (args, dry) in [(["erase", "--dry-run"], true), (["erase", "--yes"], false)] {
        let out = env.run(&[args[0], args[1], "customer_no:C-1001"]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains("customer records are frozen"),
            "{}",
            out.stderr
        );
        assert_eq!(env.dump_user_tables(), before);
        let last = audit(&env).pop().expect("record");
        assert_eq!((last.0.as_str(), last.1.as_str()), ("erase", "failed"));
        assert_eq!(last.2["dry_run"], dry);
    }
    assert_eq!(audit(&env).len(), 2);
}

#[test]
fn a_cascade_that_a_trigger_sets_off_on_other_rows_is_refused_naming_each_table() {
    let env = TestEnv::empty();
    env.conn()
        .execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
             CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT);
             CREATE TABLE memberships (
                 user_id INTEGER REFERENCES users(id),
                 group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
                 PRIMARY KEY (user_id, group_id)
             ) WITHOUT ROWID;
             INSERT INTO users VALUES (1, 'a@example.se'), (2, 'b@example.se'), (3, 'c@example.se');
             INSERT INTO groups VALUES (9, 'film club');
             INSERT INTO memberships VALUES (2, 9), (3, 9);
             CREATE TRIGGER last_user_leaves AFTER UPDATE OF email ON users BEGIN
                 DELETE FROM groups WHERE id = 9;
             END;",
        )
        .expect("store");
    std::fs::write(
        &env.map,
        "version = 1\n[controller]\nname = \"T\"\ncontact = \"dpo@t.example\"\nauthority = \"IMY\"\n\
         [identifiers]\nemail = \"email\"\n\
         [tables.users]\nsubjects = true\npurpose = \"Accounts\"\nlegal_basis = \"contract\"\n\
         identify = { email = \"email\" }\non_erase = \"anonymize\"\n\
         [tables.users.columns]\nemail = { category = \"contact.email\", erase = \"hash\" }\n\
         [tables.groups]\npurpose = \"Clubs\"\nlegal_basis = \"contract\"\non_erase = \"keep\"\n\
         [tables.memberships]\npurpose = \"Clubs\"\nlegal_basis = \"contract\"\n\
         link = { to = \"users\", on = { user_id = \"id\" } }\non_erase = \"delete\"\n",
    )
    .expect("map");
    let before = env.dump_user_tables();
    for args in [["erase", "--dry-run"], ["erase", "--yes"]] {
        let out = env.run(&[args[0], args[1], "email:a@example.se"]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains(
                "does not change: 1 row of groups, 2 rows of memberships; nothing was changed"
            ),
            "{}",
            out.stderr
        );
        assert_eq!(env.dump_user_tables(), before);
    }
    let outcomes: Vec<String> = audit(&env).into_iter().map(|(_, o, _)| o).collect();
    assert_eq!(outcomes, ["failed", "failed"]);
}

/// With no trigger in the store, an erasure is watched by counts first. A
/// foreign-key action of the store's own (here a cycle of references,
/// whose parent goes first and cascades to the planned children) is then
/// counted beyond dsr's statements: that run is undone, and the erasure
/// carried out again under the row-by-row watch, which sees that only
/// planned rows changed. The outcome is the plan's, for the dry run as
/// for the real one.
#[test]
fn a_cascade_to_planned_rows_takes_the_row_watch_and_goes_through() {
    let env = TestEnv::empty();
    let conn = rusqlite::Connection::open(&env.store).expect("store");
    conn.execute_batch(
        "CREATE TABLE owners (id INTEGER PRIMARY KEY, email TEXT,
             first_pet INTEGER REFERENCES pets(id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE pets (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners(id) ON DELETE CASCADE, name TEXT);
         CREATE INDEX pets_owner ON pets(owner_id);
         BEGIN;
         INSERT INTO owners VALUES (1, 'ann@example.se', 10), (2, 'bo@example.se', 12);
         INSERT INTO pets VALUES (10, 1, 'Rex'), (11, 1, 'Fido'), (12, 2, 'Tuss');
         COMMIT;",
    )
    .expect("schema");
    drop(conn);
    std::fs::write(
        &env.map,
        "version = 1\n[controller]\nname = \"C\"\ncontact = \"c@example.se\"\nauthority = \"IMY\"\n[identifiers]\nemail = \"email\"\n\
         [tables.owners]\nsubjects = true\npurpose = \"Owners\"\nlegal_basis = \"contract\"\nidentify = { email = \"email\" }\non_erase = \"delete\"\n\
         [tables.owners.columns]\nemail = { category = \"contact.email\", erase = \"hash\" }\n\
         [tables.pets]\npurpose = \"Pets\"\nlegal_basis = \"contract\"\nlink = { to = \"owners\", on = { owner_id = \"id\" } }\non_erase = \"delete\"\n\
         [tables.pets.columns]\nname = { category = \"identity.name\", erase = \"redact\" }\n",
    )
    .expect("map");
    let before = env.dump_user_tables();
    let deleted = |n: u64| json!({ "deleted": n, "anonymized": 0, "held": 0, "kept": 0 });
    let dry = env.run(&["--json", "erase", "--dry-run", "email:ann@example.se"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(
        dry.json()["tables"],
        json!({ "owners": deleted(1), "pets": deleted(2) })
    );
    assert_eq!(env.dump_user_tables(), before);
    let out = env.run(&["--json", "erase", "--yes", "email:ann@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["tables"],
        json!({ "owners": deleted(1), "pets": deleted(2) })
    );
    assert_eq!(query(&env, "SELECT id, first_pet FROM owners"), ["2|12"]);
    assert_eq!(
        query(&env, "SELECT id, owner_id, name FROM pets"),
        ["12|2|Tuss"]
    );
}
