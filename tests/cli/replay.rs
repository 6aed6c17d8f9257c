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
    assert_eq!(
        e1["tables"]["invoices"]["held"].as_u64().map(|n| n > 0),
        Some(true),
        "{e1}"
    );
    assert_eq!(e1["mentions"]["tickets.body"], 1, "{e1}");
    ok(env, &["-q", "erase", "--dry-run", "customer_no:K-000004"]);
    // A batch's erase line records what it did like `dsr erase`.
    std::fs::write(
        env.path("b.csv"),
        "request,kind,subject\nR-2,erase,customer_no:K-000002\n",
    )
    .expect("batch");
    ok(env, &["-q", "batch", "b.csv", "--yes", "-o", "out"]);
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
    assert_eq!(
        env.dump_user_tables(),
        at_backup,
        "a dry run changes nothing"
    );

    let out = ok(&env, &["--json", "replay"]);
    let doc = out.json();
    let strip = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        let mut rs = v.as_array().expect("records").clone();
        for r in &mut rs {
            r["audit_seq"] = serde_json::Value::Null;
        }
        rs
    };
    assert_eq!(
        strip(&doc["records"]),
        strip(&dry["records"]),
        "the dry run predicted it"
    );
    assert_eq!(
        env.dump_user_tables(),
        erased,
        "the user tables are as before the restore"
    );
    let commands: Vec<String> = env.audit_rows().into_iter().map(|r| r.1).collect();
    let n = commands.len();
    assert!(
        commands[n - replayed - 1..].iter().all(|c| c == "replay"),
        "{commands:?}"
    );
    let first = &env.audit_rows()[n - replayed - 1];
    let details: serde_json::Value = serde_json::from_str(&first.4).expect("details");
    assert_eq!(details["original"]["command"], "erase");
    assert_eq!(
        details["original"]["seq"],
        doc["records"][0]["original_seq"]
    );

    // Again: nothing to do, nothing recorded.
    let again = ok(&env, &["replay"]);
    assert!(
        again.stderr.contains("nothing to replay"),
        "{}",
        again.stderr
    );
    assert_eq!(env.audit_rows().len(), n);
    let v = ok(
        &env,
        &["--json", "audit", "verify", "--mirror", "mirror.jsonl"],
    )
    .json();
    assert_eq!(v["mirror"]["status"], "same", "{v}");
    ok(&env, &["-q", "extract", "customer_no:K-000003"]);
    // The held invoices are deferred again, for a later sweep.
    let deferred = query(
        &env,
        "SELECT count(*) FROM _dsr_deferred WHERE tbl = 'invoices'",
    );
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

/// A tenant with one record before its backup and two erasures after,
/// restored: (env, user tables at the backup, mirror text).
fn restored() -> (TestEnv, String, String) {
    let env = tenant(1);
    let backup = env.path("backup.db");
    std::fs::copy(&env.store, &backup).expect("backup");
    let at_backup = env.dump_user_tables();
    ok(&env, &["-q", "erase", "--yes", "customer_no:K-000001"]);
    ok(&env, &["-q", "erase", "--yes", "customer_no:K-000002"]);
    std::fs::write(env.path("erased.txt"), env.dump_user_tables()).expect("keep the dump");
    env.restore(&backup);
    let mirror = std::fs::read_to_string(env.path("mirror.jsonl")).expect("mirror");
    assert_eq!(mirror.lines().count(), 3);
    (env, at_backup, mirror)
}

fn replay_commands(env: &TestEnv) -> usize {
    env.audit_rows().iter().filter(|r| r.1 == "replay").count()
}

#[test]
fn a_missing_or_wrong_key_replays_nothing() {
    let (env, at_backup, _) = restored();
    let key = env.path("replay.key");
    std::fs::remove_file(&key).expect("rm key");
    let out = t(&env, &["replay"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("replay_key_file replay.key cannot be read")
            && out.stderr.contains("dsr replay --new-key"),
        "{}",
        out.stderr
    );
    // Every command that records refuses without the configured key.
    let out = t(&env, &["-q", "extract", "customer_no:K-000003"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    ok(&env, &["replay", "--new-key"]);
    let out = t(&env, &["replay"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("record 2 (line 2 of the mirror) it was sealed under another replay key"),
        "{}",
        out.stderr
    );
    assert_eq!(env.dump_user_tables(), at_backup);
    assert_eq!(replay_commands(&env), 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let out = t(&env, &["replay"]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains("may be read by others (mode 0644)"),
            "{}",
            out.stderr
        );
    }
}

/// The mirror with line `n` (1-based) changed by `f`.
fn edit_line(env: &TestEnv, mirror: &str, n: usize, f: impl Fn(&str) -> String) {
    let lines: Vec<String> = mirror
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == n { f(l) } else { l.to_string() })
        .collect();
    std::fs::write(env.path("mirror.jsonl"), lines.join("\n") + "\n").expect("write mirror");
}

/// Replay stops before the bad line `n` (exit 1, naming it), having
/// carried out the erasures before it.
fn stops_at_line_3(env: &TestEnv, at_backup: &str, what: &str) {
    let out = t(env, &["--json", "replay"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("line 3 of the audit log mirror.jsonl") && out.stderr.contains(what),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("nothing was replayed from that line on (1 record before it)"),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["schema"], "dsr.error/1");
    let originals: Vec<serde_json::Value> = env
        .audit_rows()
        .iter()
        .filter(|r| r.1 == "replay")
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.4).expect("details"))
        .map(|d| d["original"]["seq"].clone())
        .collect();
    // One erasure carried out again, and the closing record.
    assert_eq!(originals, [serde_json::json!(2), serde_json::Value::Null]);
    // K-000001's erasure was carried out again, K-000002's was not.
    assert_ne!(env.dump_user_tables(), at_backup);
    let names = query(
        env,
        "SELECT name FROM customers WHERE id IN (1, 2) ORDER BY id",
    );
    assert_eq!(names, ["[erased]", "André Lundgren"]);
}

#[test]
fn a_damaged_mirror_line_stops_the_replay_before_it() {
    let (env, at_backup, mirror) = restored();
    edit_line(&env, &mirror, 3, |l| l[..l.len() / 2].to_string());
    stops_at_line_3(&env, &at_backup, "it is damaged (not a whole audit record)");

    // The line mended from the mirror's own copy: replay carries on with
    // what it had not reached, and only that.
    let now = std::fs::read_to_string(env.path("mirror.jsonl")).expect("mirror");
    let good = mirror.lines().nth(2).expect("line 3").to_string();
    edit_line(&env, &now, 3, |_| good.clone());
    let doc = ok(&env, &["--json", "replay"]).json();
    let originals: Vec<&serde_json::Value> = doc["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| &r["original_seq"])
        .collect();
    assert_eq!(originals, [&serde_json::json!(3)], "{doc}");
    let erased = std::fs::read_to_string(env.path("erased.txt")).expect("dump");
    assert_eq!(env.dump_user_tables(), erased);
    assert!(ok(&env, &["replay"]).stderr.contains("nothing to replay"));
    let v = ok(
        &env,
        &["--json", "audit", "verify", "--mirror", "mirror.jsonl"],
    )
    .json();
    assert_eq!(v["mirror"]["status"], "same", "{v}");
}

#[test]
fn a_cut_off_last_line_stops_the_replay_before_it() {
    let (env, at_backup, mirror) = restored();
    let cut = &mirror[..mirror.len() - 40];
    std::fs::write(env.path("mirror.jsonl"), cut).expect("cut");
    stops_at_line_3(&env, &at_backup, "it is damaged");
}

#[test]
fn a_changed_sealed_payload_stops_the_replay_before_it() {
    let (env, at_backup, mirror) = restored();
    edit_line(&env, &mirror, 3, |l| {
        let mut v: serde_json::Value = serde_json::from_str(l).expect("json");
        let s = v["details"]["replay"]["sealed"]
            .as_str()
            .expect("sealed")
            .to_string();
        // One base64 digit in the ciphertext, changed.
        let mid = s.len() / 2;
        let other = if &s[mid..=mid] == "A" { "B" } else { "A" };
        let flipped = format!("{}{other}{}", &s[..mid], &s[mid + 1..]);
        v["details"]["replay"]["sealed"] = flipped.into();
        v.to_string()
    });
    stops_at_line_3(
        &env,
        &at_backup,
        "record 3 its replay payload does not open under the key",
    );
}

#[test]
fn another_tenant_s_mirror_or_a_store_newer_than_the_mirror_is_exit_7() {
    let (env, at_backup, mirror) = restored();
    let other = tenant(2);
    std::fs::copy(other.path("mirror.jsonl"), env.path("mirror.jsonl")).expect("copy");
    std::fs::copy(other.path("replay.key"), env.path("replay.key")).expect("copy");
    let out = t(&env, &["replay"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("no record of the store is in the mirror: it is another tenant's mirror"),
        "{}",
        out.stderr
    );
    assert_eq!(env.dump_user_tables(), at_backup);

    // Not restored, and the mirror lost its newest line: the store is newer.
    let env = tenant(1);
    ok(&env, &["-q", "erase", "--yes", "customer_no:K-000001"]);
    let first: String = std::fs::read_to_string(env.path("mirror.jsonl"))
        .expect("mirror")
        .lines()
        .next()
        .expect("line")
        .to_string()
        + "\n";
    std::fs::write(env.path("mirror.jsonl"), first).expect("write");
    let before = env.dump_user_tables();
    let out = t(&env, &["replay"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "the store is newer than the mirror: its records after 1 are not in the mirror"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(env.dump_user_tables(), before);
    drop(mirror);
}

#[test]
fn check_warns_about_a_tenant_that_cannot_replay() {
    let env = TestEnv::demo(5);
    std::fs::write(
        env.path("dsr.toml"),
        "[tenants.t]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\n",
    )
    .expect("config");
    let doc = ok(&env, &["--json", "check"]).json();
    let places: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["place"] == "[tenants.t]")
        .map(|f| format!("{}: {}", f["severity"], f["message"]))
        .collect();
    assert_eq!(places, [
        "\"warning\": \"the tenant has no audit_log, so erasures made now cannot be carried out again by `dsr replay` after a backup of the store is restored\"",
        "\"warning\": \"the tenant has no replay_key_file, so erasures made now cannot be carried out again by `dsr replay` after a backup of the store is restored\"",
    ]);
    config(&env);
    ok(&env, &["replay", "--new-key"]);
    let doc = ok(&env, &["--json", "check"]).json();
    assert_eq!(doc["warnings"], 0, "{doc}");
}

#[test]
fn erasures_made_before_the_replay_key_are_named_not_replayed() {
    let env = TestEnv::demo(40);
    std::fs::write(
        env.path("dsr.toml"),
        "[tenants.t]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\naudit_log = \"mirror.jsonl\"\n",
    )
    .expect("config");
    ok(&env, &["-q", "extract", "customer_no:K-000003"]);
    let backup = env.path("backup.db");
    std::fs::copy(&env.store, &backup).expect("backup");
    let unsealed = ok(&env, &["--json", "erase", "--yes", "customer_no:K-000001"]).json();
    config(&env);
    ok(&env, &["replay", "--new-key"]);
    ok(&env, &["-q", "erase", "--yes", "customer_no:K-000002"]);
    env.restore(&backup);
    let out = ok(&env, &["--json", "replay"]);
    let doc = out.json();
    assert_eq!(
        doc["not_replayable"],
        serde_json::json!([unsealed["audit_seq"]])
    );
    assert_eq!(doc["records"].as_array().map(Vec::len), Some(1), "{doc}");
    assert_eq!(doc["records"][0]["original_seq"], 3);
    assert!(
        out.stderr.contains("record 2 changed rows before the tenant had a replay key, so it cannot be carried out again"),
        "{}",
        out.stderr
    );
    let names = query(
        &env,
        "SELECT name FROM customers WHERE id IN (1, 2) ORDER BY id",
    );
    assert_eq!(names, ["Gustav Björk", "[erased]"]);
}
