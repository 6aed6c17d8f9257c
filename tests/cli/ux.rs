//! The conventions people expect of a CLI: help with the command's own
//! options first, man pages with the usual sections, errors in one style,
//! `--json` errors, `-o -`, and a config with one tenant.

use crate::TestEnv;

#[test]
fn help_lists_the_commands_own_options_before_the_global_ones() {
    let env = TestEnv::empty();
    let out = env.run_plain(&["erase", "--help"]);
    assert_eq!(out.code, 0);
    let own = out.stdout.find("Options:").expect("own options");
    let yes = out.stdout.find("--yes").expect("--yes");
    let global = out.stdout.find("Global options:").expect("global heading");
    let store = out.stdout.find("--store").expect("--store");
    assert!(
        own < yes && yes < global && global < store,
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Examples:\n  Show the plan and change nothing:\n    $ dsr --tenant acme erase --dry-run email:anna@example.se"));

    // demo takes no map, tenant, operator or request; its --store (a
    // PostgreSQL schema to write into) is one of its own options.
    let out = env.run_plain(&["demo", "--help"]);
    assert_eq!(out.code, 0);
    let store = out.stdout.find("--store").expect("demo --store");
    let global = out.stdout.find("Global options:").expect("global heading");
    assert!(store < global, "{}", out.stdout);
    for gone in ["--map", "--tenant", "--config", "--operator", "--request"] {
        assert!(!out.stdout.contains(gone), "demo --help shows {gone}");
    }
    assert!(out.stdout.contains("--quiet"));
}

#[test]
fn man_pages_have_the_usual_sections_and_no_help_page() {
    let pages = dsr::assets::man_pages().expect("render");
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "dsr.1",
            "dsr-demo.1",
            "dsr-init.1",
            "dsr-check.1",
            "dsr-extract.1",
            "dsr-erase.1",
            "dsr-export.1",
            "dsr-sweep.1",
            "dsr-audit.1",
            "dsr-audit-log.1",
            "dsr-audit-verify.1",
            "dsr-audit-repair.1",
            "dsr-audit-operators.1",
            "dsr-config.1",
            "dsr-request.1",
            "dsr-request-new.1",
            "dsr-request-list.1",
            "dsr-request-show.1",
            "dsr-request-extend.1",
            "dsr-request-close.1",
            "dsr-request-due.1",
            "dsr-batch.1",
            "dsr-replay.1"
        ]
    );
    for (name, bytes) in &pages {
        let text = String::from_utf8_lossy(bytes);
        for section in [
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH EXAMPLES",
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(text.contains(section), "{name} lacks {section}");
        }
        assert!(!text.contains("dsr\\-help"), "{name} names dsr-help");
    }
    let erase = String::from_utf8_lossy(&pages[5].1);
    // The synopsis shows values, and the description says more than NAME.
    let check = String::from_utf8_lossy(&pages[3].1);
    assert!(check.contains(".SH \"THE DATA MAP\""));
    assert!(erase.contains("held under a hold"), "{erase}");
    let extract = String::from_utf8_lossy(&pages[4].1);
    assert!(
        extract.contains("[\\fB\\-\\-format\\fR \\fIFORMAT\\fR]"),
        "{extract}"
    );
}

#[test]
fn clap_errors_are_in_dsrs_style_and_uncoloured() {
    let env = TestEnv::empty();
    let out = env.run_plain(&["erase", "--bogus"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("dsr: error: unexpected argument '--bogus' found\n"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains('\u{1b}'), "coloured: {:?}", out.stderr);
    assert!(!out.stderr.contains("error: error"));
}

#[test]
fn json_failures_also_write_an_error_document() {
    let env = TestEnv::empty();
    let out = env.run_plain(&["--json", "extract", "email:a@example.se"]);
    assert_eq!(out.code, 2);
    let doc = out.json();
    assert_eq!(doc["schema"], "dsr.error/1");
    assert_eq!(doc["exit"], 2);
    assert_eq!(
        doc["error"],
        "no store given: pass --store PATH (or DSR_STORE), or --tenant NAME with a config file"
    );
    assert_eq!(
        doc["hint"],
        "see `dsr COMMAND --help` or the man page dsr-COMMAND(1)"
    );
    assert!(out.stderr.starts_with("dsr: error: no store given"));

    // A clap error too, and a refusal of the data (exit 4).
    let out = env.run_plain(&["--json", "erase", "--bogus"]);
    assert_eq!((out.code, out.json()["exit"].as_i64()), (2, Some(2)));
    let env = TestEnv::agency();
    let out = env.run(&["--json", "extract", "email:nobody@example.se"]);
    assert_eq!(out.code, 4);
    assert_eq!(out.json()["schema"], "dsr.error/1");
    assert_eq!(out.json()["exit"], 4);
}

#[test]
fn dash_as_output_means_standard_output() {
    let env = TestEnv::agency();
    let plain = env.run(&["extract", "contact_id:c-1"]);
    let dash = env.run(&["extract", "contact_id:c-1", "-o", "-"]);
    assert_eq!((plain.code, dash.code), (0, 0), "{}", dash.stderr);
    assert_eq!(dash.stdout, plain.stdout);
    assert!(
        dash.stderr.contains("to standard output (audit record 2)"),
        "{}",
        dash.stderr
    );
    assert!(!env.path("-").exists(), "a file named - was created");

    let xlsx = env
        .cmd()
        .args(["--store"])
        .arg(&env.store)
        .arg("--map")
        .arg(&env.map)
        .args(["extract", "contact_id:c-1", "--format", "xlsx", "-o", "-"])
        .output()
        .expect("run");
    assert_eq!(xlsx.status.code(), Some(0));
    assert_eq!(&xlsx.stdout[..2], b"PK", "an XLSX file is a zip");
    assert!(!env.path("-").exists());

    let csv = env.run(&["extract", "contact_id:c-1", "--format", "csv", "-o", "-"]);
    assert_eq!(csv.code, 2);
    assert_eq!(
        csv.stderr,
        "dsr: error: --format csv writes a directory of files, so it cannot go to standard output (-o -); give -o DIR\n"
    );

    let all = env.run(&["export", "--all", "--format", "json", "-o", "-"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_eq!(all.json()["schema"], "dsr.export/1");
}

#[test]
fn one_tenant_in_the_config_needs_no_tenant_flag() {
    let env = TestEnv::agency();
    std::fs::write(
        env.path("dsr.toml"),
        "[tenants.agency]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\n",
    )
    .expect("config");
    let out = env.run_plain(&["extract", "contact_id:c-1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["schema"], "dsr.extract/1");

    let out = env.run_plain(&["config"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The operator is the OS account of the user id ($USER=tester names none).
    let me = uzers::get_current_username()
        .map(|n| n.to_string_lossy().into_owned())
        .expect("an account");
    assert_eq!(
        out.stdout,
        format!("config file: dsr.toml\ntenants:\n  agency\n    store  tenant.db\n    map    datamap.toml\nwould act on: agency\n  store    tenant.db\n  map      datamap.toml\n  operator {me}\n")
    );

    std::fs::write(
        env.path("dsr.toml"),
        "[tenants.agency]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\n[tenants.other]\nstore = \"postgres://dsr:s3cret@db/app?schema=other\"\nmap = \"datamap.toml\"\n",
    )
    .expect("config");
    let out = env.run_plain(&["extract", "contact_id:c-1"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "dsr: error: no tenant given, and dsr.toml names 2: agency, other; pass --tenant NAME (or DSR_TENANT)\n"
    );
    let out = env.run_plain(&["--json", "config"]);
    assert_eq!(out.code, 0);
    let doc = out.json();
    assert_eq!(doc["schema"], "dsr.config/1");
    assert_eq!(
        doc["tenants"][1]["store"],
        "postgres://dsr:***@db/app?schema=other"
    );
    assert!(!out.stdout.contains("s3cret"));
    assert_eq!(doc["selected"], serde_json::Value::Null);
}

#[test]
fn a_directory_or_an_empty_file_as_store_is_named_as_such() {
    let env = TestEnv::agency();
    let dir = env.path("stores");
    std::fs::create_dir(&dir).expect("mkdir");
    let out = env.run_plain(&[
        "--store",
        "stores",
        "--map",
        "datamap.toml",
        "extract",
        "contact_id:c-1",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "dsr: error: the store stores is a directory, not a SQLite database file; give the path of the tenant's database file (--store / DSR_STORE)\n"
    );
    std::fs::write(env.path("empty.db"), b"").expect("empty");
    let out = env.run_plain(&["--store", "empty.db", "--map", "datamap.toml", "check"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "dsr: error: the store empty.db is an empty file (0 bytes), not a tenant's database: is the path right? dsr never creates a store; nothing was read or changed\n"
    );
    assert_eq!(
        std::fs::metadata(env.path("empty.db")).expect("meta").len(),
        0
    );
}

#[test]
fn counts_read_naturally() {
    let env = TestEnv::agency();
    // c-2 has exactly one row of its own and is mentioned nowhere.
    let out = env.run(&["extract", "contact_id:c-2", "-o", "c2.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("wrote the extract (")
            && !out.stderr.contains("(1 rows")
            && !out.stderr.contains(" 1 mentions"),
        "{}",
        out.stderr
    );
    assert_eq!(dsr::commands::count(1u64, "row"), "1 row");
    assert_eq!(dsr::commands::count(0u64, "row"), "0 rows");
    assert_eq!(dsr::commands::count(2u64, "batch"), "2 batches");
}

#[test]
fn bash_completes_the_configured_tenants_for_tenant() {
    let env = TestEnv::empty();
    std::fs::write(
        env.path("dsr.toml"),
        "[tenants.acme]\nstore = \"a.db\"\nmap = \"m.toml\"\n[tenants.globex]\nstore = \"g.db\"\nmap = \"m.toml\"\n",
    )
    .expect("config");
    let out = env.run_plain(&["config", "--names"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "acme\nglobex\n"));

    let script = crate::fixture("../completions/dsr.bash");
    let bin_dir = assert_cmd::cargo::cargo_bin("dsr")
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .current_dir(env.dir.path())
        .env("PATH", path)
        .env("HOME", env.dir.path())
        .env("XDG_CONFIG_HOME", env.path("xdg"))
        .arg("-c")
        .arg(format!(
            "source '{}'; COMP_WORDS=(dsr extract --tenant g); COMP_CWORD=3; _dsr dsr g --tenant; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .expect("bash");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "globex\n");
}

#[test]
fn ambiguity_says_which_identifier_matched_which_row_without_personal_keys() {
    let env = TestEnv::empty();
    let conn = env.conn();
    conn.execute_batch(
        "CREATE TABLE members (email TEXT PRIMARY KEY, phone TEXT, name TEXT) WITHOUT ROWID;
         INSERT INTO members VALUES ('a@example.se', '070-111 22 33', 'A'), ('b@example.se', '0701112233', 'B');",
    )
    .expect("schema");
    drop(conn);
    std::fs::write(
        &env.map,
        r#"version = 1
[controller]
name = "C"
contact = "c@example.se"
authority = "IMY"
[identifiers]
email = "email"
phone = "phone"
[tables.members]
subjects = true
purpose = "Membership"
legal_basis = "contract"
identify = { email = "email", phone = "phone" }
on_erase = "delete"
"#,
    )
    .expect("map");
    let out = env.run(&["extract", "email:a@example.se"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "dsr: error: the identifiers match more than one person: members: 2 rows, their keys are personal data and not shown: row 1 by email (given); row 2 by phone (found in the subject's rows); nothing was released or changed; give an identifier that names one person (e.g. a customer number), or pass --all-matches if these really are one person\n"
    );
    assert!(!out.stderr.contains("b@example.se") && !out.stderr.contains("0701112233"));
}

#[test]
fn the_erasure_report_names_the_recipients_to_tell() {
    let env = TestEnv::agency();
    let out = env.run(&["--json", "erase", "--yes", "contact_id:c-1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["recipients"],
        serde_json::json!([{ "recipient": "Plumbing partner AB", "tables": ["contacts"] }])
    );
    assert!(
        out.stderr.contains(
            "  recipients to tell of the erasure (Art. 19):\n    Plumbing partner AB: contacts\n"
        ),
        "{}",
        out.stderr
    );
    let rows = env.audit_rows();
    let details: serde_json::Value =
        serde_json::from_str(&rows.last().expect("a record").4).expect("details");
    assert_eq!(details["recipients"][0]["recipient"], "Plumbing partner AB");
}

#[test]
fn sweep_wait_says_on_a_terminal_what_it_waits_for() {
    let env = TestEnv::agency();
    let lock_path = env.path("tenant.db.dsr-sweep.lock");
    std::fs::write(&lock_path, "pid 4242 since 2026-11-22T09:59:00Z\n").expect("lock file");
    let holder = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock_path)
        .expect("open");
    holder.lock().expect("lock");
    let cmd = format!(
        "{} --store tenant.db --map datamap.toml sweep --wait",
        assert_cmd::cargo::cargo_bin("dsr").display()
    );
    // util-linux script(1) runs the command on a pseudo-terminal.
    let child = std::process::Command::new("script")
        .current_dir(env.dir.path())
        .env("DSR_NOW", crate::NOW)
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script(1)");
    std::thread::sleep(std::time::Duration::from_millis(800));
    holder.unlock().expect("unlock");
    let out = child.wait_with_output().expect("wait");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains(
            "waiting for another dsr sweep of this tenant to finish (pid 4242 since 2026-11-22T09:59:00Z) ..."
        ),
        "{screen}"
    );
    assert_eq!(out.status.code(), Some(0), "{screen}");

    // Without a terminal (cron), nothing is said while waiting.
    let out = env.run(&["sweep", "--wait"]);
    assert_eq!(out.code, 0);
    assert!(!out.stderr.contains("waiting for"), "{}", out.stderr);
}

/// The tour needs only what the README names (cargo and bash), and says
/// what it does before its long first build.
#[test]
fn the_tour_needs_nothing_the_readme_does_not_name() {
    let tour = std::fs::read_to_string(crate::fixture("../scripts/tour.sh")).expect("tour.sh");
    for tool in ["python", "jq", "sqlite3 "] {
        assert!(!tour.contains(tool), "scripts/tour.sh uses {tool}");
    }
    let says = tour.find("Building dsr").expect("announces the build");
    let builds = tour.find("cargo build").expect("builds");
    assert!(says < builds);
}

/// A store on a read-only file system (a tmpfs remounted read-only; needs
/// root, as CI runs) is refused before anything is read, saying why.
#[test]
fn a_read_only_store_is_refused_with_the_reason() {
    let env = TestEnv::agency();
    let mnt = env.path("ro");
    std::fs::create_dir(&mnt).expect("mkdir");
    let mount = |args: &[&str]| {
        std::process::Command::new("mount")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    let m = mnt.to_str().expect("utf-8");
    if !mount(&["-t", "tmpfs", "-o", "size=4m", "tmpfs", m]) {
        eprintln!(
            "skipped a_read_only_store_is_refused_with_the_reason: mounting a tmpfs needs root"
        );
        return;
    }
    std::fs::copy(&env.store, mnt.join("tenant.db")).expect("copy");
    let remounted = mount(&["-o", "remount,ro", m]);
    let out = env.run_plain(&[
        "--store",
        "ro/tenant.db",
        "--map",
        "datamap.toml",
        "extract",
        "contact_id:c-1",
    ]);
    let _ = std::process::Command::new("umount").arg(m).status();
    assert!(remounted, "remount read-only");
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "dsr: error: the store ro/tenant.db cannot be written (the file system is read-only); dsr records every command in the store's audit trail, so it needs write access to the file and its directory; nothing was read or changed\n"
    );
}

#[test]
fn a_huge_value_is_not_echoed_back_in_full() {
    let env = TestEnv::agency();
    let big = "a".repeat(100_000);
    let cases: Vec<Vec<String>> = vec![
        vec![
            "--tenant".into(),
            big.clone(),
            "extract".into(),
            "contact_id:c-1".into(),
        ],
        vec![
            "audit".into(),
            "log".into(),
            "--command".into(),
            big.clone(),
        ],
        vec!["audit".into(), "log".into(), "--since".into(), big.clone()],
        vec!["sweep".into(), "--table".into(), big.clone()],
        vec![
            "extract".into(),
            "contact_id:c-1".into(),
            "--format".into(),
            big.clone(),
        ],
        vec![
            "--operator".into(),
            big.clone(),
            "extract".into(),
            "contact_id:c-1".into(),
        ],
        vec![
            "--request".into(),
            big.clone(),
            "extract".into(),
            "contact_id:c-1".into(),
        ],
        vec!["extract".into(), format!("contact_id:{big}")],
    ];
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = env.run(&args);
        assert_eq!(
            out.code,
            2,
            "{:?}: {}",
            &args[..2],
            &out.stderr[..200.min(out.stderr.len())]
        );
        assert!(
            out.stderr.len() < 600,
            "{:?} echoed {} bytes",
            &args[..2],
            out.stderr.len()
        );
        assert!(out.stderr.starts_with("dsr: error: "));
    }
    assert!(
        std::panic::catch_unwind(|| env.audit_rows()).is_err(),
        "nothing recorded"
    );
}
