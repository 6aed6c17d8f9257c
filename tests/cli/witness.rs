//! The trail's outside witnesses (DESIGN §4): the JSONL mirror, which
//! tells a store that was cut back from a mirror that is merely behind, and
//! the optional key, without which a rebuilt chain does not verify.

use crate::tamper::{dump_all, put, row, Schema, AGENCY, DEMO};
use crate::{query, TestEnv};
use dsr::audit::record_hash;

/// Writes `dsr.toml` with tenant `t` (store, map, and the extra lines).
fn config(env: &TestEnv, extra: &str) {
    std::fs::write(
        env.path("dsr.toml"),
        format!("[tenants.t]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\n{extra}\n[tenants.nokey]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\n"),
    )
    .expect("config");
}

fn t(env: &TestEnv, args: &[&str]) -> crate::Outcome {
    let mut all = vec!["--tenant", "t"];
    all.extend_from_slice(args);
    env.run_plain(&all)
}

fn mirror_lines(env: &TestEnv) -> Vec<serde_json::Value> {
    std::fs::read_to_string(env.path("mirror.jsonl"))
        .expect("mirror")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn verify_mirror(env: &TestEnv) -> crate::Outcome {
    t(
        env,
        &["--json", "audit", "verify", "--mirror", "mirror.jsonl"],
    )
}

fn with_mirror(s: &Schema, n: usize) -> TestEnv {
    let env = (s.make)();
    config(&env, "audit_log = \"mirror.jsonl\"");
    for _ in 0..n {
        let out = t(&env, &["-q", "extract", s.extract]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    env
}

fn behind_then_caught_up(s: &Schema) {
    let env = with_mirror(s, 3);
    let lines = mirror_lines(&env);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["prev_hash"], "0".repeat(64));
    assert_eq!(lines[2]["prev_hash"], lines[1]["hash"]);
    let out = verify_mirror(&env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["mirror"]["status"], "same");

    // A command killed after its commit, before its mirror line: behind.
    let text = std::fs::read_to_string(env.path("mirror.jsonl")).expect("mirror");
    let cut: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(
        env.path("mirror.jsonl"),
        format!("{}\n{{\"seq\":3,\"at", cut.join("\n")),
    )
    .expect("cut");
    let out = verify_mirror(&env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["mirror"]["status"], "behind");
    assert_eq!(doc["mirror"]["behind"], 1);
    assert!(
        doc["mirror"]["notes"][0]
            .as_str()
            .unwrap_or_default()
            .contains("line 3 of the mirror is incomplete"),
        "{doc}"
    );
    let out = t(&env, &["audit", "verify", "--mirror", "mirror.jsonl"]);
    assert!(
        out.stderr.contains("is behind the store by 1 record"),
        "{}",
        out.stderr
    );

    // The next command writes what the mirror lacks, then its own record.
    assert_eq!(t(&env, &["-q", "extract", s.extract]).code, 0);
    let lines = mirror_lines(&env);
    let seqs: Vec<i64> = lines
        .iter()
        .map(|l| l["seq"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    let stored = query(&env, "SELECT hash FROM _dsr_audit ORDER BY seq");
    let mirrored: Vec<String> = lines
        .iter()
        .map(|l| l["hash"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(stored, mirrored);
    assert_eq!(verify_mirror(&env).json()["mirror"]["status"], "same");
}

#[test]
fn a_mirror_behind_is_caught_up_agency() {
    behind_then_caught_up(&AGENCY);
}

#[test]
fn a_mirror_behind_is_caught_up_demo() {
    behind_then_caught_up(&DEMO);
}

fn cut_back(s: &Schema) {
    let env = with_mirror(s, 4);
    // The newest record removed and the head rewritten to match: the store
    // alone cannot tell.
    let three = row(&env.conn(), 3);
    env.conn()
        .execute_batch(&format!("DELETE FROM _dsr_audit WHERE seq = 4; UPDATE _dsr_meta SET value = '3:{}' WHERE key = 'audit_head'", three.hash))
        .expect("tamper");
    assert_eq!(t(&env, &["audit", "verify"]).code, 0);
    let out = verify_mirror(&env);
    assert_eq!(out.code, 7, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["mirror"]["status"], "cut_back");
    assert!(out.stderr.contains("the mirror holds record 4 (line 4) after the store's newest record 3: the store's newest records were removed"), "{}", out.stderr);

    // Every command refuses, changing and releasing nothing.
    let before = dump_all(&env);
    let mirror_before = std::fs::read(env.path("mirror.jsonl")).expect("mirror");
    for args in [
        vec!["extract", s.extract],
        vec!["erase", s.erase, "--yes"],
        vec!["sweep"],
    ] {
        let out = t(&env, &args);
        assert_eq!(out.code, 7, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(
            out.stderr.contains("the store's trail ends at record 3"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(dump_all(&env), before);
    assert_eq!(
        std::fs::read(env.path("mirror.jsonl")).expect("mirror"),
        mirror_before
    );

    // A repair states it; the mirror then holds both branches, and agrees.
    let out = t(
        &env,
        &["audit", "repair", "--reason", "restored from an older copy"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("found: mirror"), "{}", out.stderr);
    let out = verify_mirror(&env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["mirror"]["status"], "same");
    assert!(
        doc["mirror"]["notes"][0]
            .as_str()
            .unwrap_or_default()
            .contains("the break that repair record 5 states"),
        "{doc}"
    );
    assert_eq!(t(&env, &["-q", "extract", s.extract]).code, 0);
    let lines = mirror_lines(&env);
    let seqs: Vec<i64> = lines
        .iter()
        .map(|l| l["seq"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    assert_eq!(lines[4]["prev_hash"], three.hash);
    assert_eq!(verify_mirror(&env).code, 0);
}

#[test]
fn a_cut_back_store_is_found_by_the_mirror_agency() {
    cut_back(&AGENCY);
}

#[test]
fn a_cut_back_store_is_found_by_the_mirror_demo() {
    cut_back(&DEMO);
}

#[test]
fn a_rewritten_head_and_a_vanished_trail_are_found_by_the_mirror() {
    let env = with_mirror(&AGENCY, 4);
    let c = env.conn();
    let mut four = row(&c, 4);
    four.operator = "mallory".into();
    four.hash = record_hash(&four.prev_hash, &four);
    put(&c, &four);
    c.execute(
        "UPDATE _dsr_meta SET value = ?1 WHERE key = 'audit_head'",
        [format!("4:{}", four.hash)],
    )
    .expect("head");
    assert_eq!(t(&env, &["audit", "verify"]).code, 0);
    let out = verify_mirror(&env);
    assert_eq!(out.code, 7);
    assert_eq!(out.json()["mirror"]["status"], "differs");
    assert!(
        out.stderr
            .contains("record 4 differs from the mirror's line 4: operator, hash"),
        "{}",
        out.stderr
    );
    let out = t(&env, &["extract", "contact_id:c-1"]);
    assert_eq!(out.code, 7);
    assert!(
        out.stderr
            .contains("the store's record 4 is not the mirror's newest record 4"),
        "{}",
        out.stderr
    );

    // Both of dsr's tables dropped: the store looks new, the mirror knows.
    let env = with_mirror(&AGENCY, 2);
    env.conn()
        .execute_batch("DROP TABLE _dsr_audit; DROP TABLE _dsr_meta")
        .expect("drop");
    let out = t(&env, &["extract", "contact_id:c-1"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr.contains("the store's trail has no records"),
        "{}",
        out.stderr
    );
    let out = verify_mirror(&env);
    assert_eq!(out.code, 7);
    assert!(
        out.stderr
            .contains("the store holds no records, but the mirror holds record 1"),
        "{}",
        out.stderr
    );

    // A damaged line inside the mirror is exit 1 naming it.
    let env = with_mirror(&AGENCY, 3);
    let text = std::fs::read_to_string(env.path("mirror.jsonl")).expect("mirror");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1] = "not json";
    std::fs::write(env.path("mirror.jsonl"), lines.join("\n") + "\n").expect("damage");
    let out = verify_mirror(&env);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("line 2 of the audit log mirror"),
        "{}",
        out.stderr
    );
}

fn key_file(env: &TestEnv, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(
        env.path("audit.key"),
        "0123456789abcdef0123456789abcdef0123456789abcdef\n",
    )
    .expect("key");
    std::fs::set_permissions(env.path("audit.key"), std::fs::Permissions::from_mode(mode))
        .expect("chmod");
}

#[test]
fn a_key_file_must_be_private_and_present() {
    let env = TestEnv::agency();
    config(&env, "audit_key_file = \"audit.key\"");
    let out = t(&env, &["extract", "contact_id:c-1"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("audit_key_file") && out.stderr.contains("cannot be read"),
        "{}",
        out.stderr
    );
    key_file(&env, 0o644);
    let out = t(&env, &["audit", "verify"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("may be read by others (mode 0644)"),
        "{}",
        out.stderr
    );
    std::fs::write(env.path("audit.key"), "short").expect("key");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            env.path("audit.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
    }
    let out = t(&env, &["audit", "verify"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("a key needs at least 32"),
        "{}",
        out.stderr
    );
    key_file(&env, 0o600);
    assert_eq!(t(&env, &["-q", "extract", "contact_id:c-1"]).code, 0);
}

/// Recomputes every hash from `from` on with plain SHA-256 and fixes the
/// head: what someone who can write the store but not read the key can do.
fn rebuild(env: &TestEnv, from: i64) {
    let c = env.conn();
    let n: i64 = c
        .query_row("SELECT max(seq) FROM _dsr_audit", [], |r| r.get(0))
        .expect("max");
    let mut prev = if from == 1 {
        "0".repeat(64)
    } else {
        row(&c, from - 1).hash
    };
    for seq in from..=n {
        let mut r = row(&c, seq);
        r.prev_hash = prev.clone();
        r.hash = record_hash(&r.prev_hash, &r);
        put(&c, &r);
        prev = r.hash;
    }
    c.execute(
        "UPDATE _dsr_meta SET value = ?1 WHERE key = 'audit_head'",
        [format!("{n}:{prev}")],
    )
    .expect("head");
}

fn keyed(s: &Schema) {
    let env = (s.make)();
    key_file(&env, 0o600);
    config(&env, "audit_key_file = \"audit.key\"");
    for _ in 0..4 {
        assert_eq!(t(&env, &["-q", "extract", s.extract]).code, 0);
    }
    let out = t(&env, &["--json", "audit", "verify"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["keyed_since"], 1);
    let d: serde_json::Value = serde_json::from_str(&row(&env.conn(), 1).details).expect("details");
    assert_eq!(d["audit_key"]["algorithm"], "hmac-sha256");
    // Without the key: verify and every command say it is needed (exit 2).
    for args in [vec!["audit", "verify"], vec!["extract", s.extract]] {
        let mut all = vec!["--tenant", "nokey"];
        all.extend(args);
        let out = env.run_plain(&all);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains("keyed from record 1 on"),
            "{}",
            out.stderr
        );
    }
    let saved = env.path("keyed.db");
    std::fs::copy(&env.store, &saved).expect("save");

    // An edit, and the chain rebuilt without the key: found.
    env.conn()
        .execute_batch("UPDATE _dsr_audit SET operator = 'mallory' WHERE seq = 2")
        .expect("edit");
    rebuild(&env, 2);
    let out = t(&env, &["audit", "verify"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(out.stderr.contains("broken at record 2: record 2 has been changed: its hash does not match its contents under the audit key"), "{}", out.stderr);
    let out = t(&env, &["extract", s.extract]);
    assert_eq!(out.code, 7, "{}", out.stderr);

    // The key's mark removed too, and everything rebuilt: still found.
    env.restore(&saved);
    let c = env.conn();
    let mut one = row(&c, 1);
    let mut d: serde_json::Value = serde_json::from_str(&one.details).expect("details");
    d.as_object_mut().map(|o| o.remove("audit_key"));
    one.details = d.to_string();
    put(&c, &one);
    c.execute_batch("DELETE FROM _dsr_meta WHERE key = 'audit_key'")
        .expect("meta");
    drop(c);
    rebuild(&env, 1);
    assert_eq!(
        env.run_plain(&["--tenant", "nokey", "audit", "verify"])
            .code,
        0
    );
    let out = t(&env, &["audit", "verify"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr.contains("no record of the trail is keyed by it"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_rebuilt_chain_is_found_with_the_key_agency() {
    keyed(&AGENCY);
}

#[test]
fn a_rebuilt_chain_is_found_with_the_key_demo() {
    keyed(&DEMO);
}

#[test]
fn a_key_configured_later_keys_the_chain_from_then_on() {
    let env = TestEnv::agency();
    config(&env, "");
    assert_eq!(t(&env, &["-q", "extract", "contact_id:c-1"]).code, 0);
    assert_eq!(t(&env, &["-q", "extract", "contact_id:c-1"]).code, 0);
    key_file(&env, 0o600);
    config(&env, "audit_key_file = \"audit.key\"");
    assert_eq!(t(&env, &["-q", "extract", "contact_id:c-1"]).code, 0);
    let out = t(&env, &["--json", "audit", "verify"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["keyed_since"], 3);
    assert_eq!(
        query(
            &env,
            "SELECT value LIKE '3:%' FROM _dsr_meta WHERE key = 'audit_key'"
        ),
        ["1"]
    );
}
