//! Bad input of every kind: a clear message, the documented exit code, and
//! nothing changed.

use crate::TestEnv;

/// Replaces the map with `text` and runs `args`.
fn with_map(text: &str, args: &[&str]) -> (TestEnv, crate::Outcome) {
    let env = TestEnv::agency();
    std::fs::write(&env.map, text).expect("write map");
    let out = env.run(args);
    (env, out)
}

fn agency_map() -> String {
    std::fs::read_to_string(crate::fixture("agency/datamap.toml")).expect("map")
}

#[test]
fn a_missing_map_is_a_usage_error() {
    let env = TestEnv::agency();
    std::fs::remove_file(&env.map).expect("rm");
    let out = env.run(&["extract", "contact_id:c-1"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("cannot read the data map")
            && out.stderr.contains("no such file or directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn broken_toml_is_reported_at_its_line_and_column() {
    let (env, out) = with_map("version = 1\n[controller\nname = 'x'\n", &["check"]);
    insta::assert_snapshot!(out.snapshot(&env), @"
    exit: 2
    --- stdout
    --- stderr
    dsr: error: the data map [TMP]/datamap.toml is not valid (1 error); fix it and run `dsr check`:
      [TMP]/datamap.toml:2:12: syntax: unclosed table, expected `]`
        hint: the map must be TOML; its keys are listed under THE DATA MAP in dsr-check(1) (man dsr-check)
    ");
}

#[test]
fn invalid_values_are_exit_3_with_positions() {
    let map = agency_map()
        .replace(
            "on_erase = \"delete\"\n\n[tables.employees.columns]",
            "on_erase = \"shred\"\n\n[tables.employees.columns]",
        )
        .replace("keep = \"2y\"", "keep = \"2 years\"")
        .replace(
            "legal_basis = \"legitimate_interests\"\nidentify",
            "legal_basis = \"because\"\nidentify",
        )
        .replace(
            "email = { category = \"contact.email\", erase = \"hash\" }\npersonnummer",
            "email = { category = \"contact.email\", erase = \"scramble\" }\npersonnummer",
        );
    let (env, out) = with_map(&map, &["extract", "contact_id:c-1"]);
    insta::assert_snapshot!(out.snapshot(&env), @r#"
    exit: 3
    --- stdout
    --- stderr
    dsr: error: the data map [TMP]/datamap.toml is not valid (4 errors); fix it and run `dsr check`:
      [TMP]/datamap.toml:22:12: tables.employees.on_erase: unknown on_erase "shred"; expected one of: delete, anonymize, keep
      [TMP]/datamap.toml:28:47: tables.employees.columns.email: unknown erase strategy "scramble"; expected one of: null, redact, hash, keep
      [TMP]/datamap.toml:38:37: tables.time_reports.retention.keep: duration "2 years" has no unit; expected a whole number and a unit: 30d, 12w, 6m or 7y
      [TMP]/datamap.toml:127:15: tables.visits.legal_basis: unknown legal basis "because"; expected one of: consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests
    "#);
}

#[test]
fn unknown_keys_are_refused() {
    let map = agency_map().replace("purpose = \"Employment\"", "purpos = \"Employment\"");
    let (_env, out) = with_map(&map, &["check"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("datamap.toml:19:1") && out.stderr.contains("purpos"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_map_that_does_not_fit_the_store_stops_every_command() {
    let map = agency_map()
        .replace("[tables.visits]", "[tables.visitors]")
        .replace("[tables.visits.columns]", "[tables.visitors.columns]")
        .replace("full_name = { category", "fullname = { category")
        .replacen(
            "on = { org = \"org\", emp_no = \"emp_no\" }",
            "on = { org = \"org\", emp_no = \"hired\" }",
            1,
        )
        .replace("created = { label", "created = { erase = \"hash\", label");
    let (env, out) = with_map(&map, &["extract", "contact_id:c-1"]);
    insta::assert_snapshot!(out.snapshot(&env), @r#"
    exit: 3
    --- stdout
    --- stderr
    dsr: error: the data map [TMP]/datamap.toml does not fit the store [TMP]/tenant.db (4 errors); nothing was read or changed; run `dsr check` and fix the map:
      [TMP]/datamap.toml:27:1: employees.fullname: mapped column "fullname" does not exist in table employees of the store
        hint: fix the column name; `dsr check` lists what the map uses
      [TMP]/datamap.toml:36:8: time_reports.link[0]: time_reports.emp_no (TEXT) and employees.hired (INTEGER) are not comparable: one holds numbers, the other text
        hint: link columns must hold the same kind of value; check that `on` names the right columns
      [TMP]/datamap.toml:95:1: contacts.created: erase = "hash" writes text, but the column is INTEGER
        hint: use null for a number or date column
      [TMP]/datamap.toml:124:9: visitors: table "visitors" does not exist in the store
        hint: fix the name, or remove the table from the map
    "#);
    assert!(
        std::panic::catch_unwind(|| env.audit_rows()).is_err(),
        "no audit table: nothing was written"
    );
    let out = env.run(&["check"]);
    assert_eq!(out.code, 3);
}

#[test]
fn null_on_not_null_is_an_error() {
    let map = agency_map().replace(
        "full_name = { category = \"identity.name\", erase = \"redact\" }",
        "full_name = { category = \"identity.name\", erase = \"null\" }",
    );
    let (_env, out) = with_map(&map, &["check"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.contains(
            "datamap.toml:27:1: error: employees.full_name: erase = \"null\" on a NOT NULL column"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_missing_store_is_a_runtime_error() {
    let env = TestEnv::agency();
    let out = env.run_plain(&[
        "--store",
        "nowhere.db",
        "--map",
        env.map.to_str().expect("utf8"),
        "extract",
        "contact_id:c-1",
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("the store nowhere.db does not exist"),
        "{}",
        out.stderr
    );
    assert!(
        !env.path("nowhere.db").exists(),
        "dsr never creates a store"
    );
}

#[test]
fn a_corrupt_store_is_a_runtime_error() {
    let env = TestEnv::agency();
    std::fs::write(&env.store, vec![0x42u8; 8192]).expect("write");
    let out = env.run(&["extract", "contact_id:c-1"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("is not a SQLite database or is damaged"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_locked_store_waits_then_fails_with_nothing_changed() {
    let env = TestEnv::agency();
    let before = env.dump_user_tables();
    let holder = env.conn();
    holder.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let mut c = env.cmd();
    c.env("DSR_BUSY_TIMEOUT", "300")
        .arg("--store")
        .arg(&env.store)
        .arg("--map")
        .arg(&env.map)
        .args(["extract", "contact_id:c-1"]);
    let out = c.output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is locked by another process") && stderr.contains("waited 300 ms"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "no data released without an audit record"
    );
    holder.execute_batch("ROLLBACK").expect("unlock");
    assert_eq!(env.dump_user_tables(), before);
}

#[test]
fn missing_store_or_map_options_are_usage_errors() {
    let env = TestEnv::agency();
    let out = env.run_plain(&["extract", "contact_id:c-1"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("no store given: pass --store PATH (or DSR_STORE)"),
        "{}",
        out.stderr
    );
    let out = env.run_plain(&["--store", "tenant.db", "extract", "contact_id:c-1"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no data map given"), "{}", out.stderr);
}

#[test]
fn bad_flags_are_exit_2() {
    let env = TestEnv::agency();
    for args in [
        vec!["extract"],
        vec!["extract", "--format", "pdf", "email:a@b.se"],
        vec!["frobnicate"],
        vec!["--bogus", "check"],
    ] {
        let out = env.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
    let out = env.run_plain(&["--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("Usage: dsr [OPTIONS] <COMMAND>"));
}

#[test]
fn environment_variables_stand_in_for_flags() {
    let env = TestEnv::agency();
    let mut c = env.cmd();
    c.env("DSR_STORE", &env.store)
        .env("DSR_MAP", &env.map)
        .env("DSR_REQUEST", "ENV-1")
        .env("DSR_OPERATOR", "cron")
        .args(["-q", "extract", "contact_id:c-3"]);
    let out = c.output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "--quiet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = env.tool_tables_text();
    assert!(text.contains("ENV-1") && text.contains("cron"));
}

#[test]
fn tenants_come_from_the_config_file_with_an_audit_mirror() {
    let env = TestEnv::agency();
    std::fs::write(
        env.path("dsr.toml"),
        "[tenants.agency]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\naudit_log = \"audit.jsonl\"\n",
    )
    .expect("config");
    let out = env.run_plain(&["--tenant", "agency", "extract", "contact_id:c-3"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mirror = std::fs::read_to_string(env.path("audit.jsonl")).expect("mirror");
    let lines: Vec<serde_json::Value> = mirror
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[0]["command"], "extract");
    assert!(!mirror.contains("c-3\"") && !mirror.contains("Gun"));

    let out = env.run_plain(&["--tenant", "nope", "extract", "contact_id:c-3"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("tenant \"nope\" is not in dsr.toml (it names: agency)"),
        "{}",
        out.stderr
    );

    std::fs::write(env.path("bad.toml"), "[tenants.x]\nstore = 5\n").expect("config");
    let out = env.run_plain(&["--config", "bad.toml", "--tenant", "x", "check"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("bad.toml:2:9"), "{}", out.stderr);

    // The XDG location is found when ./dsr.toml is absent.
    std::fs::create_dir_all(env.path("xdg/dsr")).expect("mkdir");
    std::fs::rename(env.path("dsr.toml"), env.path("xdg/dsr/config.toml")).expect("mv");
    std::fs::copy(&env.store, env.path("xdg/dsr/tenant.db")).expect("cp");
    std::fs::copy(&env.map, env.path("xdg/dsr/datamap.toml")).expect("cp");
    let out = env.run_plain(&["--tenant", "agency", "extract", "contact_id:c-3"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_broken_pipe_is_a_clean_exit() {
    let env = TestEnv::agency();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dsr"))
        .current_dir(env.dir.path())
        .env("DSR_NOW", crate::NOW)
        .args([
            "--store",
            "tenant.db",
            "--map",
            "datamap.toml",
            "-q",
            "extract",
            "email:dan@example.se",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take()); // the reader goes away before dsr writes
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn erasing_a_referenced_column_is_an_error() {
    let map = agency_map().replace(
        "id = { label = { sv = \"Kontaktnummer\", en = \"Contact number\" } }",
        "id = { erase = \"hash\", label = { sv = \"Kontaktnummer\", en = \"Contact number\" } }",
    );
    let (_env, out) = with_map(&map, &["check"]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "error: contacts.id: has an erase strategy, but assignments refers to this column"
        ),
        "{}",
        out.stdout
    );
}

/// A small tmpfs, unmounted when dropped. None where this process may not
/// mount (not root, or no CAP_SYS_ADMIN in a container).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }

    /// Fills what is left of it.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.dir.path().join("filler")).expect("filler");
        let chunk = [0u8; 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let umount = |lazy: bool| {
            let mut c = std::process::Command::new("umount");
            if lazy {
                c.arg("-l");
            }
            c.arg(self.dir.path()).status().is_ok_and(|s| s.success())
        };
        if !umount(false) {
            umount(true);
        }
    }
}

/// A full disk under a WAL-mode store is reported as a full disk (exit 1,
/// nothing changed), whether SQLite meets it growing the WAL index (an I/O
/// error code, SQLITE_IOERR_SHMSIZE) or appending to the WAL (SQLITE_FULL).
#[test]
fn a_full_disk_in_wal_mode_is_reported_as_full() {
    let Some(fs) = Tmpfs::mount("1m") else {
        eprintln!("skipped: cannot mount a tmpfs here (the mapping is unit-tested in store)");
        return;
    };
    let env = TestEnv::agency();
    let store = fs.dir.path().join("tenant.db");
    std::fs::copy(&env.store, &store).expect("copy the store");
    let wal: String = rusqlite::Connection::open(&store)
        .expect("open")
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .expect("wal");
    assert_eq!(wal, "wal");
    for f in ["tenant.db-shm", "tenant.db-wal"] {
        let _ = std::fs::remove_file(fs.dir.path().join(f));
    }
    let run = |args: &[&str]| {
        let mut c = env.cmd();
        c.arg("--store")
            .arg(&store)
            .arg("--map")
            .arg(&env.map)
            .args(args);
        crate::outcome(c)
    };

    // No room even for the WAL index.
    fs.fill();
    let out = run(&["erase", "--yes", "contact_id:c-1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "the disk holding the store {} is full",
            store.display()
        )) && out
            .stderr
            .contains("nothing was changed; free space and run again"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(fs.dir.path().join("filler")).expect("rm filler");

    // The WAL index exists (a reader holds it), but the WAL cannot grow.
    let reader = rusqlite::Connection::open(&store).expect("reader");
    let n: i64 = reader
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .expect("read");
    assert_eq!(n, 3);
    fs.fill();
    let out = run(&["erase", "--yes", "contact_id:c-1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("is full") && out.stderr.contains("nothing was changed"),
        "{}",
        out.stderr
    );
    drop(reader);
    std::fs::remove_file(fs.dir.path().join("filler")).expect("rm filler");
    let conn = rusqlite::Connection::open(&store).expect("open");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM contacts WHERE id = 'c-1'", [], |r| {
            r.get(0)
        })
        .expect("read");
    assert_eq!(n, 1, "nothing was erased");
}
