//! dsr's own tables: no plain personal key in `_dsr_anonymized` or
//! `_dsr_deferred` (DESIGN §4), erased values not left in the file's free
//! space (`secure_delete`), and a schema version with forward migrations
//! (a store made by dsr 0.1 migrated; a store from a newer dsr refused).

use crate::{query, TestEnv};
use dsr::store::refs::hashed_ref;

fn secret(env: &TestEnv) -> String {
    query(env, "SELECT value FROM _dsr_meta WHERE key = 'secret'")
        .pop()
        .expect("tenant secret")
}

/// Every value of every `_dsr_` table, as one text.
fn tool_tables_dump(env: &TestEnv) -> String {
    let conn = env.conn();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_dsr\\_%' ESCAPE '\\' ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("names");
    let mut out = String::new();
    for n in names {
        out.push_str(&format!("## {n}\n"));
        out.push_str(&query(env, &format!("SELECT * FROM \"{n}\"")).join("\n"));
        out.push('\n');
    }
    out
}

/// The rental map with the newsletter (keyed by e-mail address) changed:
/// `extra` replaces its `on_erase = "delete"` line.
fn rental_newsletter(extra: &str) -> TestEnv {
    let env = TestEnv::rental();
    let map = std::fs::read_to_string(&env.map).expect("map");
    let from = "identify = { email = \"email\" }\non_erase = \"delete\"\n";
    assert!(map.contains(from), "the rental map's newsletter changed");
    let map = map.replace(
        from,
        &format!("identify = {{ email = \"email\" }}\n{extra}\n"),
    );
    std::fs::write(&env.map, map).expect("write map");
    env
}

const NEWSLETTER_HOLD: &str = "on_erase = \"delete\"\nhold = { after = \"subscribed_at\", keep = \"5y\", reason = \"Proof of consent\" }";
const NEWSLETTER_ANONYMIZE: &str =
    "on_erase = \"anonymize\"\n\n[tables.newsletter.columns]\ntopics = { category = \"preferences\", erase = \"null\" }";

#[test]
fn rental_an_anonymized_newsletter_row_is_remembered_by_the_hmac_of_its_address() {
    let env = rental_newsletter(NEWSLETTER_ANONYMIZE);
    let out = env.run(&["erase", "--yes", "email:someone.else@example.org"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected = hashed_ref(
        &secret(&env),
        "newsletter",
        "[\"someone.else@example.org\"]",
    );
    assert!(expected.starts_with("hmac-sha256:") && expected.len() == 12 + 64);
    assert_eq!(
        query(&env, "SELECT tbl, key FROM _dsr_anonymized"),
        [format!("newsletter|{expected}")]
    );
    assert!(!tool_tables_dump(&env).contains("someone.else"));
    // The memory still works: a second erasure anonymizes nothing again.
    let out = env.run(&["--json", "erase", "--yes", "email:someone.else@example.org"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["tables"]["newsletter"]["anonymized"], 0);
}

#[test]
fn rental_a_held_newsletter_row_is_deferred_by_hmac_and_the_sweep_still_finds_it() {
    let env = rental_newsletter(NEWSLETTER_HOLD);
    let out = env.run(&["erase", "--yes", "email:someone.else@example.org"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Subscribed 2023-11-14T22:16:40Z: held five years, to 2028-11-14T22:16:40Z.
    let expected = hashed_ref(
        &secret(&env),
        "newsletter",
        "[\"someone.else@example.org\"]",
    );
    assert_eq!(
        query(&env, "SELECT tbl, key, until FROM _dsr_deferred"),
        [format!("newsletter|{expected}|2028-11-14")]
    );
    assert!(!tool_tables_dump(&env).contains("someone.else"));
    let sweep = |now: &str| {
        let mut c = env.std_cmd();
        c.env("DSR_NOW", now)
            .arg("--store")
            .arg(&env.store)
            .arg("--map")
            .arg(&env.map)
            .args(["-q", "sweep", "--table", "newsletter"]);
        assert!(c.status().expect("run").success());
    };
    sweep("2028-11-14T22:16:00Z");
    assert_eq!(
        query(
            &env,
            "SELECT count(*) FROM newsletter WHERE email = 'someone.else@example.org'"
        ),
        ["1"]
    );
    sweep("2028-11-14T22:17:00Z");
    assert_eq!(
        query(
            &env,
            "SELECT count(*) FROM newsletter WHERE email = 'someone.else@example.org'"
        ),
        ["0"]
    );
    assert_eq!(query(&env, "SELECT count(*) FROM _dsr_deferred"), ["0"]);
}

#[test]
fn agency_contacts_keyed_by_a_contact_id_are_remembered_by_hmac_other_keys_plain() {
    let env = TestEnv::agency();
    // Gun (c-3) is the primary contact of household h-2: both anonymized.
    let out = env.run(&["erase", "--yes", "email:gun@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = secret(&env);
    assert_eq!(
        query(&env, "SELECT tbl, key FROM _dsr_anonymized ORDER BY tbl"),
        [
            format!("contacts|{}", hashed_ref(&s, "contacts", "[\"c-3\"]")),
            "households|[\"h-2\"]".to_string(),
        ]
    );
}

/// Whether `needle` occurs in the store's file or its WAL.
fn in_files(env: &TestEnv, needle: &str) -> bool {
    ["", "-wal"].iter().any(|ext| {
        std::fs::read(format!("{}{ext}", env.store.display()))
            .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .unwrap_or(false)
    })
}

#[test]
fn rental_a_deleted_row_keyed_by_email_leaves_no_bytes_in_the_file() {
    for wal in [false, true] {
        let env = TestEnv::rental();
        if wal {
            env.conn()
                .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .expect("wal");
        }
        assert!(in_files(&env, "someone.else@example.org"));
        let out = env.run(&["erase", "--yes", "email:someone.else@example.org"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(query(&env, "SELECT count(*) FROM newsletter"), ["2"]);
        assert!(
            !in_files(&env, "someone.else@example.org"),
            "wal: {wal}: the erased address is still in the store's files"
        );
    }
}

#[test]
fn agency_anonymized_and_deleted_values_leave_no_bytes_in_the_file() {
    let env = TestEnv::agency();
    for v in [
        "eva@example.se",
        "Eva Fors",
        "+46701112234",
        "Please call Dan",
    ] {
        assert!(in_files(&env, v), "{v}");
    }
    // Eva (c-2): her contact row anonymized, her message deleted.
    let out = env.run(&["erase", "--yes", "email:eva@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        query(&env, "SELECT name, phone FROM contacts WHERE id = 'c-2'"),
        ["[erased]|NULL"]
    );
    for v in [
        "eva@example.se",
        "Eva Fors",
        "+46701112234",
        "Please call Dan",
    ] {
        assert!(!in_files(&env, v), "{v} is still in the store's file");
    }
}

/// A store as dsr 0.1 left it: the rental fixture with dsr's tables made by
/// that release's DDL, no version, and plain keys: a held newsletter row
/// keyed by an e-mail address and a held payment deferred, an anonymized
/// newsletter row and customer remembered.
fn rental_from_dsr_0_1() -> TestEnv {
    let env = rental_newsletter(NEWSLETTER_HOLD);
    let ddl = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures/dsr-0.1.sql"),
    )
    .expect("dsr-0.1.sql");
    let conn = env.conn();
    conn.execute_batch(&ddl).expect("old ddl");
    conn.execute_batch(&format!(
        "INSERT INTO _dsr_meta VALUES ('secret', '{}');
         INSERT INTO _dsr_deferred VALUES
           ('newsletter', '[\"someone.else@example.org\"]', 'delete', '2028-11-14', 'Proof of consent', NULL, '2026-01-01T00:00:00Z', NULL),
           ('payment', '[4]', 'delete', '2023-12-31', 'Bokföringslagen 7 kap. 2 §', NULL, '2020-01-01T00:00:00Z', NULL);
         INSERT INTO _dsr_anonymized VALUES
           ('newsletter', '[\"åsa.öberg@example.se\"]', '2026-01-01T00:00:00Z'),
           ('customer', '[4]', '2020-01-01T00:00:00Z');",
        "ab".repeat(32)
    ))
    .expect("old rows");
    env
}

#[test]
fn a_store_made_by_dsr_0_1_is_migrated_and_its_personal_keys_hashed() {
    let env = rental_from_dsr_0_1();
    let s = "ab".repeat(32);
    let out = env.run(&["--json", "sweep"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Payment 4's hold ended 2023-12-31 (deleted); the newsletter row's
    // hold lasts to 2028 (still deferred, now by HMAC).
    assert_eq!(out.json()["deferred_completed"], 1);
    assert_eq!(
        query(&env, "SELECT count(*) FROM payment WHERE payment_id = 4"),
        ["0"]
    );
    assert_eq!(
        query(
            &env,
            "SELECT value FROM _dsr_meta WHERE key = 'schema_version'"
        ),
        ["3"]
    );
    assert_eq!(
        query(&env, "SELECT tbl, key, until FROM _dsr_deferred"),
        [format!(
            "newsletter|{}|2028-11-14",
            hashed_ref(&s, "newsletter", "[\"someone.else@example.org\"]")
        )]
    );
    assert_eq!(
        query(&env, "SELECT tbl, key FROM _dsr_anonymized ORDER BY tbl"),
        [
            "customer|[4]".to_string(),
            format!(
                "newsletter|{}",
                hashed_ref(&s, "newsletter", "[\"åsa.öberg@example.se\"]")
            ),
        ]
    );
    let dump = tool_tables_dump(&env);
    assert!(
        !dump.contains("someone.else") && !dump.contains("öberg"),
        "{dump}"
    );
    // The migrated deferral is still completed when its hold ends.
    let mut c = env.std_cmd();
    c.env("DSR_NOW", "2028-11-15T00:00:01Z")
        .arg("--store")
        .arg(&env.store)
        .arg("--map")
        .arg(&env.map)
        .args(["-q", "sweep"]);
    assert!(c.status().expect("run").success());
    assert_eq!(query(&env, "SELECT count(*) FROM _dsr_deferred"), ["0"]);
    assert_eq!(query(&env, "SELECT count(*) FROM newsletter"), ["2"]);
}

#[test]
fn a_key_that_became_personal_under_a_new_map_is_hashed_by_the_next_command() {
    // At the current version, but a newsletter key left plain (the map
    // used to give newsletter no identify column).
    let env = rental_from_dsr_0_1();
    env.conn()
        .execute("INSERT INTO _dsr_meta VALUES ('schema_version', '3')", [])
        .expect("version");
    let out = env.run(&["extract", "customer_no:C-1003"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dump = tool_tables_dump(&env);
    assert!(
        !dump.contains("someone.else") && !dump.contains("öberg"),
        "{dump}"
    );
    assert_eq!(
        query(
            &env,
            "SELECT count(*) FROM _dsr_deferred WHERE key LIKE 'hmac-sha256:%'"
        ),
        ["1"]
    );
}

#[test]
fn a_store_written_by_a_newer_dsr_is_refused_and_left_as_it_is() {
    for version in ["4", "later"] {
        let env = rental_from_dsr_0_1();
        env.conn()
            .execute(
                "INSERT INTO _dsr_meta VALUES ('schema_version', ?1)",
                [version],
            )
            .expect("version");
        let before = (env.dump_user_tables(), tool_tables_dump(&env));
        for args in [
            &["extract", "customer_no:C-1003"][..],
            &["erase", "--yes", "customer_no:C-1003"],
            &["sweep"],
            &["check"],
            &["audit", "verify"],
        ] {
            let out = env.run(args);
            assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
            let why = if version == "4" {
                "was written by a newer dsr: its own tables (_dsr_*) are at version 4, and this dsr"
            } else {
                "has an unreadable version of dsr's own tables in _dsr_meta (schema_version)"
            };
            assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
            assert!(
                out.stderr.contains("nothing was read or changed"),
                "{}",
                out.stderr
            );
        }
        assert_eq!(before, (env.dump_user_tables(), tool_tables_dump(&env)));
    }
}

#[test]
fn a_new_store_is_made_at_the_current_version() {
    let env = TestEnv::agency();
    let out = env.run(&["extract", "email:dan@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        query(
            &env,
            "SELECT value FROM _dsr_meta WHERE key = 'schema_version'"
        ),
        ["3"]
    );
    assert_eq!(
        query(
            &env,
            "SELECT count(*) FROM sqlite_master WHERE name IN ('_dsr_anonymized', '_dsr_deferred')"
        ),
        ["2"]
    );
}
