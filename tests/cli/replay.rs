//! `dsr replay` (DESIGN §9) as it happens: a backup is taken, erasures
//! (with holds and mentions) and a sweep run, the backup is restored, and
//! replay brings the user tables back to what they were before the restore.

use crate::{query, TestEnv};
use base64::Engine;

/// `dsr.toml` with tenant `t`: mirror and replay key beside the store.
fn config(env: &TestEnv) {
    std::fs::write(
        env.path("dsr.toml"),
        "[tenants.t]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\naudit_log = \"mirror.jsonl\"\nreplay_key_file = \"replay.key\"\n",
    )
    .expect("config");
}

pub fn t(env: &TestEnv, args: &[&str]) -> crate::Outcome {
    let mut all = vec!["--tenant", "t"];
    all.extend_from_slice(args);
    env.run_plain(&all)
}

fn ok(env: &TestEnv, args: &[&str]) -> crate::Outcome {
    let out = t(env, args);
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    out
}

/// The identifiers of a demo customer, to look for in the mirror.
fn identifiers(env: &TestEnv, no: &str) -> Vec<String> {
    let row = query(
        env,
        &format!("SELECT customer_no, email, personnummer, name FROM customers WHERE customer_no = '{no}'"),
    );
    row[0].split('|').map(str::to_string).collect()
}

/// A demo tenant with a replay key, and a trail of `before` extracts.
fn tenant(before: usize) -> TestEnv {
    let env = TestEnv::demo(40);
    config(&env);
    ok(&env, &["replay", "--new-key"]);
    for _ in 0..before {
        ok(&env, &["-q", "extract", "customer_no:K-000003"]);
    }
    env
}

/// Erasures with holds and a mention, a dry run, and a sweep, after the
/// backup; returns the user tables as they then are.
fn erase_after_backup(env: &TestEnv) -> String {
    // K-000001 is mentioned in another customer's ticket; both have
    // invoices under the seven-year hold.
    let e1 = ok(env, &["--json", "erase", "--yes", "customer_no:K-000001"]).json();
    assert_eq!(e1["tables"]["invoices"]["held"].as_u64().map(|n| n > 0), Some(true), "{e1}");
    assert_eq!(e1["mentions"]["tickets.body"], 1, "{e1}");
    ok(env, &["-q", "erase", "--dry-run", "customer_no:K-000004"]);
    ok(env, &["-q", "erase", "--yes", "customer_no:K-000002"]);
    let sw = ok(env, &["--json", "sweep"]).json();
    let deleted: u64 = sw["tables"]
        .as_object()
        .expect("tables")
        .values()
        .map(|c| c["deleted"].as_u64().unwrap_or(0))
        .sum();
    assert!(deleted > 0, "the sweep deletes rows: {sw}");
    env.dump_user_tables()
}

fn restore_and_replay(before: usize) {
    let env = tenant(before);
    let backup = env.path("backup.db");
    std::fs::copy(&env.store, &backup).expect("backup");
    let at_backup = env.dump_user_tables();
    let secrets: Vec<Vec<String>> = ["K-000001", "K-000002"]
        .iter()
        .map(|n| identifiers(&env, n))
        .collect();
    let erased = erase_after_backup(&env);
    assert_ne!(erased, at_backup);

    // No plain identifier or key in the mirror.
    let mirror = std::fs::read_to_string(env.path("mirror.jsonl")).expect("mirror");
    for v in secrets.iter().flatten() {
        assert!(!mirror.contains(v.as_str()), "{v} is in the mirror");
    }
    let key = std::fs::read(env.path("replay.key")).expect("key");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&key);
    assert!(!mirror.contains(&b64) && !mirror.contains(&dsr::map::hex(&key)));
    assert!(!env.tool_tables_text().contains(&secrets[0][1]));

    env.restore(&backup);
    // Before the replay, a command that records refuses: the mirror is ahead.
    assert_eq!(t(&env, &["-q", "extract", "customer_no:K-000003"]).code, 7);

    let dry = ok(&env, &["--json", "replay", "--dry-run"]).json();
    assert_eq!(dry["dry_run"], true);
    let replayed = dry["records"].as_array().map_or(0, Vec::len);
    assert!(replayed >= 3, "two erasures and the sweep's batches: {dry}");
    assert_eq!(dry["audit_seq"], serde_json::Value::Null);
    assert_eq!(env.dump_user_tables(), at_backup, "a dry run changes nothing");

    let out = ok(&env, &["--json", "replay"]);
    let doc = out.json();
    let strip = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        let mut rs = v.as_array().expect("records").clone();
        for r in &mut rs {
            r["audit_seq"] = serde_json::Value::Null;
        }
        rs
    };
    assert_eq!(strip(&doc["records"]), strip(&dry["records"]), "the dry run predicted it");
    assert_eq!(env.dump_user_tables(), erased, "the user tables are as before the restore");
    let commands: Vec<String> = env.audit_rows().into_iter().map(|r| r.1).collect();
    let n = commands.len();
    assert!(commands[n - replayed - 1..].iter().all(|c| c == "replay"), "{commands:?}");
    let first = &env.audit_rows()[n - replayed - 1];
    let details: serde_json::Value = serde_json::from_str(&first.4).expect("details");
    assert_eq!(details["original"]["command"], "erase");
    assert_eq!(details["original"]["seq"], doc["records"][0]["original_seq"]);

    // Again: nothing to do, nothing recorded.
    let again = ok(&env, &["replay"]);
    assert!(again.stderr.contains("nothing to replay"), "{}", again.stderr);
    assert_eq!(env.audit_rows().len(), n);
    let v = ok(&env, &["--json", "audit", "verify", "--mirror", "mirror.jsonl"]).json();
    assert_eq!(v["mirror"]["status"], "same", "{v}");
    ok(&env, &["-q", "extract", "customer_no:K-000003"]);
    // The held invoices are deferred again, for a later sweep.
    let deferred = query(&env, "SELECT count(*) FROM _dsr_deferred WHERE tbl = 'invoices'");
    assert_ne!(deferred, ["0"]);
}

#[test]
fn a_restored_store_is_brought_back_by_replay() {
    restore_and_replay(2);
}

#[test]
fn a_backup_from_before_dsr_first_ran_gets_the_secret_back() {
    restore_and_replay(0);
}
