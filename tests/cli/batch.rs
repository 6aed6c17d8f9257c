//! `dsr batch` (DESIGN §8): each line its own command, record and output
//! file; bad lines skipped with their line number; a failing line does not
//! stop the rest; a batch run again skips what succeeded; the free text
//! scanned once, each subject getting exactly its own mentions.

use crate::stores::{self, Tenant};
use crate::{query, Outcome, TestEnv};
use serde_json::{json, Value};

fn batch(env: &TestEnv, lines: &[&str]) {
    let mut text = String::from("request,kind,subject\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(env.path("b.csv"), text).expect("write the batch");
}

fn read_json(env: &TestEnv, name: &str) -> Value {
    let text = std::fs::read_to_string(env.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).expect("json")
}

const RECORDS: &str =
    "SELECT coalesce(request, '-') || ' ' || command || ' ' || outcome FROM _dsr_audit ORDER BY seq";

/// (request, command, outcome) of every audit record, in order.
fn records(env: &TestEnv) -> Vec<String> {
    query(env, RECORDS)
}

/// Each line's document is what `dsr --request ID extract …` writes.
fn same_as_single(env: &TestEnv, request: &str, subjects: &[&str]) {
    same_as_single_by(env, &|args| env.run(args), request, subjects)
}

/// [`same_as_single`], dsr run by `run` (on either store).
fn same_as_single_by(
    env: &TestEnv,
    run: &dyn Fn(&[&str]) -> Outcome,
    request: &str,
    subjects: &[&str],
) {
    let single = format!("single-{request}.json");
    let mut args = vec!["--request", request, "extract", "-o", &single];
    args.extend_from_slice(subjects);
    let out = run(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        read_json(env, &format!("out/{request}.json")),
        read_json(env, &single),
        "{request}"
    );
}

#[test]
fn extract_lines_write_what_single_extracts_write_on_agency_and_demo() {
    let env = TestEnv::agency();
    batch(
        &env,
        &[
            "R-1,extract,email:anna@example.se",
            "R-2,extract,phone:070-111 22 33",
            "R-3,extract,email:gun@example.se;phone:0702223344",
        ],
    );
    let out = env.run(&["batch", "b.csv", "-o", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        records(&env),
        ["R-1 extract ok", "R-2 extract ok", "R-3 extract ok"]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("out/R-1.json"))
            .expect("R-1.json")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    same_as_single(&env, "R-1", &["email:anna@example.se"]);
    same_as_single(&env, "R-2", &["phone:070-111 22 33"]);
    same_as_single(&env, "R-3", &["email:gun@example.se", "phone:0702223344"]);

    let env = TestEnv::demo(30);
    batch(
        &env,
        &[
            "D-1,extract,customer_no:K-000001",
            "D-2,extract,customer_no:K-000002",
            "D-3,export,customer_no:K-000003",
        ],
    );
    let out = env.run(&["--json", "batch", "b.csv", "-o", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = &out.json()["lines"];
    assert_eq!(out.json()["schema"], json!("dsr.batch/1"));
    assert_eq!(
        lines[2],
        json!({ "line": 4, "request": "D-3", "kind": "export", "outcome": "ok", "exit": 0, "output": "out/D-3.json" })
    );
    same_as_single(&env, "D-1", &["customer_no:K-000001"]);
    same_as_single(&env, "D-2", &["customer_no:K-000002"]);
    let out = env.run(&[
        "--request",
        "D-3",
        "export",
        "customer_no:K-000003",
        "-o",
        "e.json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(read_json(&env, "out/D-3.json"), read_json(&env, "e.json"));
}

#[test]
fn bad_lines_are_reported_with_their_line_number_and_get_no_record() {
    let env = TestEnv::agency();
    batch(
        &env,
        &[
            "B-1,frobnicate,email:anna@example.se",
            "B-2,extract,email:not-an-email",
            "B-3,extract,email:eva@example.se",
            "B-3,extract,email:cia@example.com",
            "B-4,extract",
            ",extract,email:dan@example.se",
        ],
    );
    let out = env.run(&["--json", "batch", "b.csv", "-o", "out"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    for n in [2, 3, 5, 6, 7] {
        assert!(
            out.stderr.contains(&format!("b.csv:{n}: skipped")),
            "line {n}: {}",
            out.stderr
        );
    }
    assert!(!out.stderr.contains("not-an-email"), "{}", out.stderr);
    let outcomes: Vec<(u64, String)> = out.json()["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap_or(0),
                l["outcome"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, String)> = [
        (2, "invalid"),
        (3, "invalid"),
        (4, "ok"),
        (5, "invalid"),
        (6, "invalid"),
        (7, "invalid"),
    ]
    .iter()
    .map(|(n, o)| (*n, o.to_string()))
    .collect();
    assert_eq!(outcomes, want);
    assert_eq!(records(&env), ["B-3 extract ok"]);
    assert!(env.path("out/B-3.json").exists());
    assert!(!env.path("out/B-1.json").exists());
}

#[test]
fn an_ambiguous_and_a_not_found_line_do_not_stop_the_rest() {
    // Bo (8507099805) and Cia (198507099805) share a personnummer.
    let env = TestEnv::agency();
    batch(
        &env,
        &[
            "A-1,extract,email:anna@example.se",
            "A-2,extract,email:nobody@example.se",
            "A-3,erase,personnummer:198507099805",
            "A-4,extract,email:dan@example.se",
        ],
    );
    let out = env.run(&["--json", "batch", "b.csv", "--yes", "-o", "out"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    let lines = out.json()["lines"].clone();
    let got: Vec<(String, i64)> = lines
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["outcome"].as_str().unwrap_or("").into(),
                l["exit"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ok".into(), 0),
            ("not_found".into(), 4),
            ("ambiguous".into(), 5),
            ("ok".into(), 0)
        ]
    );
    assert_eq!(
        records(&env),
        [
            "A-1 extract ok",
            "A-2 extract not_found",
            "A-3 erase ambiguous",
            "A-4 extract ok"
        ]
    );
    assert!(env.path("out/A-4.json").exists());
    assert_eq!(query(&env, "SELECT count(*) FROM employees"), ["3"]);
}

#[test]
fn erase_lines_need_yes_before_anything_is_read() {
    let env = TestEnv::agency();
    batch(
        &env,
        &[
            "E-1,extract,email:anna@example.se",
            "E-2,erase,email:dan@example.se",
        ],
    );
    let out = env.run(&["batch", "b.csv", "-o", "out"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("pass --yes"), "{}", out.stderr);
    assert_eq!(
        query(
            &env,
            "SELECT count(*) FROM sqlite_master WHERE name LIKE '\\_dsr\\_%' ESCAPE '\\'"
        ),
        ["0"]
    );
    assert!(!env.path("out").exists());

    let out = env.run(&["batch", "b.csv", "--yes", "-o", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(records(&env), ["E-1 extract ok", "E-2 erase ok"]);
    assert_eq!(
        read_json(&env, "out/E-2.json")["schema"],
        json!("dsr.erase/1")
    );
    assert_eq!(
        query(
            &env,
            "SELECT count(*) FROM contacts WHERE email = 'dan@example.se'"
        ),
        ["0"]
    );
}

#[test]
fn a_batch_run_again_skips_the_lines_that_succeeded() {
    for t in stores::agency("batch_again") {
        resumes(&t);
    }
}

fn resumes(t: &Tenant) {
    let env = t.env();
    // The first run "dies" at its second line (not found).
    batch(
        env,
        &[
            "K-1,extract,email:anna@example.se",
            "K-2,extract,email:anna@exampel.se",
            "K-3,extract,email:dan@example.se",
        ],
    );
    let out = t.run(&["batch", "b.csv", "-o", "out"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    // Fixed and started again: only the line that failed runs.
    batch(
        env,
        &[
            "K-1,extract,email:anna@example.se",
            "K-2,extract,email:eva@example.se",
            "K-3,extract,email:dan@example.se",
        ],
    );
    let out = t.run(&["--json", "batch", "b.csv", "-o", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let outcomes: Vec<&str> = out.json()["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| match l["outcome"].as_str() {
            Some("ok") => "ok",
            Some("skipped") => "skipped",
            _ => "other",
        })
        .collect();
    assert_eq!(outcomes, ["skipped", "ok", "skipped"]);
    let before = t.query(RECORDS);
    assert_eq!(
        before,
        [
            "K-1 extract ok",
            "K-2 extract not_found",
            "K-3 extract ok",
            "K-2 extract ok"
        ]
    );
    // Once more: everything is done, nothing new is recorded.
    let out = t.run(&["batch", "b.csv", "-o", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("3 lines: 0 ok, 3 skipped"),
        "{}",
        out.stderr
    );
    assert_eq!(t.query(RECORDS), before);
}

#[test]
fn the_shared_scan_gives_each_subject_exactly_its_own_mentions() {
    for t in stores::agency("batch_scan") {
        shared_scan(&t);
    }
}

fn shared_scan(t: &Tenant) {
    let env = t.env();
    t.exec(
            "INSERT INTO messages VALUES (5, 'c-3', 'kalle@example.org and LISA@example.org met', '2024-03-01');
             INSERT INTO messages VALUES (6, 'c-3', 'only lisa@example.org here', '2024-03-02');
             INSERT INTO messages VALUES (7, 'c-3', 'only Kalle@Example.org here', '2024-03-03');
             INSERT INTO messages VALUES (8, 'c-1', 'call 070-222 33 44 or ask 811218-9876', '2024-03-04');",
    );
    batch(
        env,
        &[
            "M-1,extract,email:kalle@example.org",
            "M-2,extract,email:lisa@example.org",
            "M-3,extract,email:anna@example.se",
            "M-4,extract,email:gun@example.se",
        ],
    );
    let out = t.run(&["batch", "b.csv", "-o", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let ids = |r: &str| -> Vec<i64> {
        read_json(env, &format!("out/{r}.json"))["mentions"]["messages"]["rows"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|x| x["key"]["id"].as_i64())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(ids("M-1"), [5, 7]);
    assert_eq!(ids("M-2"), [5, 6]);
    // Anna (by personnummer, and in a message of the fixture) and Gun (by
    // phone, written with separators) share message 8; Gun's own messages
    // (5 to 7, she sent them) are hers, not mentions.
    assert_eq!(ids("M-3"), [2, 8]);
    assert_eq!(ids("M-4"), [8]);
    same_as_single_by(env, &|a| t.run(a), "M-1", &["email:kalle@example.org"]);
    same_as_single_by(env, &|a| t.run(a), "M-2", &["email:lisa@example.org"]);
    same_as_single_by(env, &|a| t.run(a), "M-3", &["email:anna@example.se"]);
    same_as_single_by(env, &|a| t.run(a), "M-4", &["email:gun@example.se"]);
}
