//! `dsr request`: the register of subject requests (DESIGN §7) on the
//! agency fixture and the demo tenant: registering, listing, deadlines
//! ageing under DSR_NOW, extensions and their refusals, closing, the status
//! moved by `--request ID`, repeat access requests, the subject's requests
//! in their extract, the sweep of closed requests, the audit records of
//! every change, and no plain identifier in the register.

use crate::stores::{self, Tenant};
use crate::{query, Outcome, TestEnv};
use serde_json::json;

/// Runs dsr on the tenant with the clock at `now` (DSR_NOW).
fn at(env: &TestEnv, now: &str, args: &[&str]) -> Outcome {
    let mut c = env.cmd();
    c.env("DSR_NOW", now)
        .arg("--store")
        .arg(&env.store)
        .arg("--map")
        .arg(&env.map)
        .args(args);
    crate::outcome(c)
}

/// [`at`] on either store.
fn at_on(t: &Tenant, now: &str, args: &[&str]) -> Outcome {
    let mut c = t.cmd(args);
    c.env("DSR_NOW", now);
    crate::outcome(assert_cmd::Command::from_std(c))
}

/// Runs and expects exit 0 with exactly `stdout`, nothing on stderr.
fn ok(out: Outcome, stdout: &str) {
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, stdout, ""),
        "{}",
        out.stderr
    );
}

/// The register's rows and subject references, as text.
fn register(env: &TestEnv) -> Vec<String> {
    let mut rows = query(env, "SELECT * FROM _dsr_requests ORDER BY id");
    rows.extend(query(
        env,
        "SELECT * FROM _dsr_request_subjects ORDER BY request, ref",
    ));
    rows
}

const HEAD: &str =
    "ID            KIND           RECEIVED    DUE         STATUS                 WHEN\n";

#[test]
fn new_list_and_due_on_the_agency_fixture() {
    for t in stores::agency("requests_new") {
        new_list_and_due(&t);
    }
}

fn new_list_and_due(t: &Tenant) {
    ok(
        t.run(&[
            "request",
            "new",
            "access",
            "email:anna@example.se",
            "--channel",
            "e-mail",
            "--note",
            "Asked at the front desk",
        ]),
        "R-2026-0001 due 2026-12-22\n",
    );
    // LEGAL.md: received 31 August, September has no 31st.
    ok(
        t.run(&[
            "request",
            "new",
            "erasure",
            "personnummer:19811218-9876",
            "--received",
            "2026-08-31",
        ]),
        "R-2026-0002 due 2026-09-30\n",
    );
    // 2026-11-22 is a Sunday: due on Monday the 23rd. No subject yet.
    ok(
        t.run(&["request", "new", "objection", "--received", "2026-10-22"]),
        "R-2026-0003 due 2026-11-23\n",
    );
    let all = format!(
        "{HEAD}\
R-2026-0001   access         2026-11-22  2026-12-22  received               in 30 days
R-2026-0002   erasure        2026-08-31  2026-09-30  received               overdue by 53 days
R-2026-0003   objection      2026-10-22  2026-11-23  received               in 1 day
"
    );
    ok(t.run(&["request", "list"]), &all);
    ok(t.run(&["request", "list", "--open"]), &all);
    ok(
        t.run(&["request", "list", "--overdue"]),
        &format!("{HEAD}R-2026-0002   erasure        2026-08-31  2026-09-30  received               overdue by 53 days\n"),
    );
    ok(
        t.run(&["request", "list", "--due-within", "1d"]),
        &format!(
            "{HEAD}\
R-2026-0002   erasure        2026-08-31  2026-09-30  received               overdue by 53 days
R-2026-0003   objection      2026-10-22  2026-11-23  received               in 1 day
"
        ),
    );
    // Nothing matches: nothing on stdout, a word on stderr (not with -q).
    let out = at_on(t, "2026-08-31T12:00:00Z", &["request", "list", "--overdue"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "no requests in the register match\n")
    );
    ok(
        t.run(&["request", "due"]),
        "R-2026-0002   erasure        due 2026-09-30  overdue by 53 days\nR-2026-0003   objection      due 2026-11-23  in 1 day\n",
    );
    let doc = t.run(&["--json", "request", "list", "--overdue"]).json();
    assert_eq!(
        doc,
        json!({
            "schema": "dsr.requests/1", "today": "2026-11-22",
            "requests": [ {
                "id": "R-2026-0002", "kind": "erasure", "received": "2026-08-31",
                "due": "2026-09-30", "first_due": "2026-09-30", "status": "received",
                "extended": false, "channel": null, "days_left": -53, "overdue": true,
                "repeat_of": null, "closed_at": null,
                "subject": doc["requests"][0]["subject"].clone(),
            } ]
        })
    );
    assert!(doc["requests"][0]["subject"]
        .as_str()
        .is_some_and(|s| s.starts_with("hmac-sha256:")));
    // The list never carries the note (personal data); show does.
    let list = t.run(&["--json", "request", "list"]).stdout;
    assert!(!list.contains("front desk"), "{list}");
}

#[test]
fn due_prints_nothing_until_something_is_due_on_the_demo_tenant() {
    let env = TestEnv::demo(30);
    ok(
        env.run(&["request", "new", "access", "customer_no:K-000001"]),
        "R-2026-0001 due 2026-12-22\n",
    );
    // Nothing due within 7 days: no output at all, so cron sends no mail.
    ok(env.run(&["request", "due"]), "");
    ok(env.run(&["-q", "request", "due"]), "");
    ok(
        env.run(&["request", "due", "--within", "30d"]),
        "R-2026-0001   access         due 2026-12-22  in 30 days\n",
    );
    ok(
        at(&env, "2026-12-16T08:00:00Z", &["request", "due"]),
        "R-2026-0001   access         due 2026-12-22  in 6 days\n",
    );
    ok(
        at(&env, "2026-12-22T08:00:00Z", &["request", "due"]),
        "R-2026-0001   access         due 2026-12-22  due today\n",
    );
    // 23:30 UTC on the 22nd is already the 23rd in Stockholm.
    ok(
        at(&env, "2026-12-22T23:30:00Z", &["request", "due"]),
        "R-2026-0001   access         due 2026-12-22  overdue by 1 day\n",
    );
    // A tenant in another time zone: there it is still the 22nd.
    let config = |tz: &str| {
        std::fs::write(
            env.path("dsr.toml"),
            format!(
                "[tenants.t]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\ntimezone = \"{tz}\"\n"
            ),
        )
        .expect("config");
        let mut c = env.cmd();
        c.env("DSR_NOW", "2026-12-22T23:30:00Z")
            .args(["--tenant", "t", "request", "due"]);
        crate::outcome(c)
    };
    ok(
        config("UTC"),
        "R-2026-0001   access         due 2026-12-22  due today\n",
    );
    let bad = config("Mars/Olympus");
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("[tenants.t] timezone: unknown time zone \"Mars/Olympus\""),
        "{}",
        bad.stderr
    );
    let doc = at(&env, "2027-01-01T10:00:00Z", &["--json", "request", "due"]).json();
    assert_eq!(doc["schema"], "dsr.requests/1");
    assert_eq!(doc["within"], "7d");
    assert_eq!(doc["today"], "2027-01-01");
    assert_eq!(doc["requests"][0]["days_left"], -10);
    assert_eq!(doc["requests"][0]["overdue"], true);
    // Once closed, nothing is due again.
    ok(
        env.run(&["request", "close", "R-2026-0001", "--outcome", "done"]),
        "R-2026-0001 closed: done\n",
    );
    ok(at(&env, "2027-01-01T10:00:00Z", &["request", "due"]), "");
    let doc = at(&env, "2027-01-01T10:00:00Z", &["--json", "request", "due"]).json();
    assert_eq!(doc["requests"], json!([]));
}

#[test]
fn an_extension_is_allowed_once_and_only_before_the_first_deadline() {
    let env = TestEnv::demo(30);
    for id in ["R-2026-0001", "R-2026-0002"] {
        ok(
            env.run(&["request", "new", "erasure", "customer_no:K-000002"]),
            &format!("{id} due 2026-12-22\n"),
        );
    }
    // On the due day itself it may still be extended: two months from
    // 2026-12-22.
    ok(
        at(
            &env,
            "2026-12-22T12:00:00Z",
            &[
                "request",
                "extend",
                "R-2026-0001",
                "--reason",
                "three archived systems",
            ],
        ),
        "R-2026-0001 due 2027-02-22 (extended from 2026-12-22)\n",
    );
    let before = (register(&env), env.audit_rows().len());
    let again = at(
        &env,
        "2026-12-22T12:00:00Z",
        &["request", "extend", "R-2026-0001", "--reason", "more"],
    );
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert_eq!(again.stdout, "");
    assert_eq!(again.stderr, "dsr: error: request R-2026-0001 was already extended (now due 2027-02-22); Art. 12(3) allows one extension of two further months; nothing was changed\n");
    // The second request: its first deadline has passed in Stockholm.
    let late = at(
        &env,
        "2026-12-22T23:30:00Z",
        &["request", "extend", "R-2026-0002", "--reason", "complex"],
    );
    assert_eq!(late.code, 2, "{}", late.stderr);
    assert_eq!(late.stderr, "dsr: error: request R-2026-0002's first deadline, 2026-12-22, has passed (today is 2026-12-23): Art. 12(3) lets the period be extended only within the first month, with the subject told why; nothing was changed\n");
    let blank = env.run(&["request", "extend", "R-2026-0002", "--reason", " "]);
    assert_eq!(blank.code, 2, "{}", blank.stderr);
    let unknown = env.run(&["request", "extend", "R-2026-0099", "--reason", "x"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown
            .stderr
            .contains("there is no request R-2026-0099 in the register"),
        "{}",
        unknown.stderr
    );
    assert_eq!(before, (register(&env), env.audit_rows().len()));
    ok(
        at(&env, "2027-01-10T12:00:00Z", &["request", "list"]),
        &format!(
            "{HEAD}\
R-2026-0001   erasure        2026-11-22  2027-02-22  received, extended     in 43 days
R-2026-0002   erasure        2026-11-22  2026-12-22  received               overdue by 19 days
"
        ),
    );
    let doc = env
        .run(&["--json", "request", "show", "R-2026-0001"])
        .json();
    assert_eq!(doc["schema"], "dsr.request/1");
    assert_eq!(doc["request"]["extended"], true);
    assert_eq!(doc["request"]["first_due"], "2026-12-22");
    assert_eq!(doc["request"]["due"], "2027-02-22");
    assert_eq!(doc["request"]["extend_reason"], "three archived systems");
}

#[test]
fn closing_needs_a_reason_for_a_refusal_and_happens_once() {
    let env = TestEnv::agency();
    ok(
        env.run(&["request", "new", "rectification", "email:bo@example.se"]),
        "R-2026-0001 due 2026-12-22\n",
    );
    let before = (register(&env), env.audit_rows().len());
    for args in [
        &["request", "close", "R-2026-0001", "--outcome", "refused"][..],
        &[
            "request",
            "close",
            "R-2026-0001",
            "--outcome",
            "refused",
            "--reason",
            "",
        ],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{args:?}");
        assert_eq!(out.stderr, "dsr: error: --outcome refused needs --reason TEXT: a refusal is answered with its reasons and the right to complain to the supervisory authority (Art. 12(4)); nothing was changed\n");
    }
    let out = env.run(&["request", "close", "R-2026-0001", "--outcome", "later"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(before, (register(&env), env.audit_rows().len()));
    ok(
        env.run(&[
            "request",
            "close",
            "R-2026-0001",
            "--outcome",
            "refused",
            "--reason",
            "the data are accurate",
        ]),
        "R-2026-0001 closed: refused\n",
    );
    let again = env.run(&["request", "close", "R-2026-0001", "--outcome", "done"]);
    assert_eq!(again.code, 2);
    assert_eq!(again.stderr, "dsr: error: request R-2026-0001 is already closed (refused, 2026-11-22T10:00:00Z); it cannot be closed again; nothing was changed\n");
    let ext = env.run(&["request", "extend", "R-2026-0001", "--reason", "x"]);
    assert_eq!(ext.code, 2);
    assert!(
        ext.stderr.contains("is already closed (refused"),
        "{}",
        ext.stderr
    );
    ok(
        env.run(&["request", "list"]),
        &format!("{HEAD}R-2026-0001   rectification  2026-11-22  2026-12-22  refused                closed 2026-11-22\n"),
    );
    ok(env.run(&["-q", "request", "list", "--open"]), "");
    ok(
        env.run(&["request", "new", "objection", "email:bo@example.se"]),
        "R-2026-0002 due 2026-12-22\n",
    );
    ok(
        env.run(&["request", "close", "R-2026-0002", "--outcome", "withdrawn"]),
        "R-2026-0002 closed: withdrawn\n",
    );
    assert_eq!(
        query(
            &env,
            "SELECT id, status, close_reason, closed_at FROM _dsr_requests ORDER BY id"
        ),
        [
            "R-2026-0001|refused|the data are accurate|2026-11-22T10:00:00Z",
            "R-2026-0002|withdrawn|NULL|2026-11-22T10:00:00Z",
        ]
    );
}

#[test]
fn a_command_run_for_a_registered_request_moves_it_to_in_progress() {
    let env = TestEnv::agency();
    ok(
        env.run(&["request", "new", "access", "email:anna@example.se"]),
        "R-2026-0001 due 2026-12-22\n",
    );
    ok(
        env.run(&["request", "new", "erasure", "email:dan@example.se"]),
        "R-2026-0002 due 2026-12-22\n",
    );
    // An id the register does not know is recorded as given, nothing more.
    let out = env.run(&["--request", "CASE-9", "extract", "email:anna@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = env.run(&[
        "--request",
        "R-2026-0001",
        "extract",
        "email:anna@example.se",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The extract shows its own request in progress, as it now is.
    assert_eq!(out.json()["requests"][0]["status"], "in_progress");
    // A dry run of an erasure is a command run for the request too.
    let out = env.run(&[
        "--request",
        "R-2026-0002",
        "erase",
        "--dry-run",
        "email:dan@example.se",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        query(&env, "SELECT id, status FROM _dsr_requests ORDER BY id"),
        ["R-2026-0001|in_progress", "R-2026-0002|in_progress"]
    );
    let out = env.run(&["request", "show", "R-2026-0001"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let subject = query(
        &env,
        "SELECT subject FROM _dsr_requests WHERE id = 'R-2026-0001'",
    );
    // The operator is the OS account running the tests.
    let me = query(&env, "SELECT operator FROM _dsr_audit WHERE seq = 1").join("");
    assert_eq!(
        out.stdout,
        format!(
            "R-2026-0001  access request
received:   2026-11-22
due:        2026-12-22 (in 30 days)
status:     in_progress
subject:    {}
audit records (2):
      1  2026-11-22T10:00:00Z  {me:<12}  request   ok          new
      4  2026-11-22T10:00:00Z  {me:<12}  extract   ok
",
            subject[0]
        )
    );
    // A closed request stays closed, whatever runs for it later.
    ok(
        env.run(&["request", "close", "R-2026-0001", "--outcome", "done"]),
        "R-2026-0001 closed: done\n",
    );
    let out = env.run(&[
        "--request",
        "R-2026-0001",
        "extract",
        "email:anna@example.se",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        query(
            &env,
            "SELECT status FROM _dsr_requests WHERE id = 'R-2026-0001'"
        ),
        ["done"]
    );
    let doc = env
        .run(&["--json", "request", "show", "R-2026-0001"])
        .json();
    let seqs: Vec<(i64, String)> = doc["audit"]
        .as_array()
        .expect("audit")
        .iter()
        .map(|r| {
            (
                r["seq"].as_i64().unwrap_or(0),
                r["command"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        seqs,
        [
            (1, "request".to_string()),
            (4, "extract".to_string()),
            (6, "request".to_string()),
            (7, "extract".to_string())
        ]
    );
}

#[test]
fn a_repeat_access_request_within_twelve_months_is_noted_and_recorded() {
    let env = TestEnv::agency();
    ok(
        env.run(&[
            "request",
            "new",
            "access",
            "email:anna@example.se",
            "--received",
            "2025-11-22",
        ]),
        "R-2026-0001 due 2025-12-22\n",
    );
    // An erasure request is no earlier copy.
    ok(
        env.run(&["request", "new", "erasure", "email:anna@example.se"]),
        "R-2026-0002 due 2026-12-22\n",
    );
    // The same person by another form of the address and a second identifier.
    let out = env.run(&[
        "--json",
        "request",
        "new",
        "access",
        "email:ANNA@Example.se",
        "personnummer:19811218-9876",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "dsr: note: this subject made an access request within the 12 months before this one (R-2026-0001, received 2025-11-22); the first copy is free, a further one may carry a reasonable fee, and a manifestly excessive one may be refused (Art. 12(5), 15(3)); recorded in R-2026-0003\n");
    let doc = out.json();
    assert_eq!(doc["requests"][0]["id"], "R-2026-0003");
    assert_eq!(doc["requests"][0]["repeat_of"], "R-2026-0001");
    // Twelve months and a day earlier is no repeat.
    ok(
        env.run(&[
            "request",
            "new",
            "access",
            "email:bo@example.se",
            "--received",
            "2025-11-21",
        ]),
        "R-2026-0004 due 2025-12-22\n",
    );
    ok(
        env.run(&["request", "new", "access", "email:bo@example.se"]),
        "R-2026-0005 due 2026-12-22\n",
    );
    // A withdrawn access request is none either.
    ok(
        env.run(&["request", "close", "R-2026-0005", "--outcome", "withdrawn"]),
        "R-2026-0005 closed: withdrawn\n",
    );
    ok(
        env.run(&["request", "new", "access", "email:bo@example.se"]),
        "R-2026-0006 due 2026-12-22\n",
    );
    assert_eq!(
        query(
            &env,
            "SELECT id, coalesce(repeat_of, '-') FROM _dsr_requests ORDER BY id"
        ),
        [
            "R-2026-0001|-",
            "R-2026-0002|-",
            "R-2026-0003|R-2026-0001",
            "R-2026-0004|-",
            "R-2026-0005|-",
            "R-2026-0006|-",
        ]
    );
    let details: serde_json::Value = serde_json::from_str(
        &query(
            &env,
            "SELECT details FROM _dsr_audit WHERE request = 'R-2026-0003'",
        )[0],
    )
    .expect("details");
    assert_eq!(details["action"], "new");
    assert_eq!(details["repeat_of"], "R-2026-0001");
    assert_eq!(details["identifiers"], 2);
    let out = env.run(&["request", "show", "R-2026-0003"]);
    assert!(
        out.stdout
            .contains("repeat of:  R-2026-0001 (an access request within 12 months)\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_subjects_own_requests_are_in_their_extract() {
    let env = TestEnv::agency();
    ok(
        env.run(&[
            "request",
            "new",
            "access",
            "email:anna@example.se",
            "--note",
            "Asked at the front desk",
            "--channel",
            "visit",
        ]),
        "R-2026-0001 due 2026-12-22\n",
    );
    ok(
        env.run(&["request", "new", "erasure", "personnummer:198112189876"]),
        "R-2026-0002 due 2026-12-22\n",
    );
    ok(
        env.run(&[
            "request",
            "new",
            "access",
            "email:dan@example.se",
            "--note",
            "Dan's",
        ]),
        "R-2026-0003 due 2026-12-22\n",
    );
    let doc = env.run(&["extract", "email:anna@example.se"]).json();
    assert_eq!(doc["schema"], "dsr.extract/1");
    assert_eq!(
        doc["requests"],
        json!([ {
            "id": "R-2026-0001", "kind": "access", "received": "2026-11-22", "due": "2026-12-22",
            "status": "received", "extended": false, "extend_reason": null, "channel": "visit",
            "note": "Asked at the front desk", "closed_at": null, "close_reason": null,
        } ])
    );
    // Matched by the identifiers given: with her personnummer too, both.
    let doc = env
        .run(&[
            "extract",
            "email:anna@example.se",
            "personnummer:19811218-9876",
        ])
        .json();
    let ids: Vec<&str> = doc["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, ["R-2026-0001", "R-2026-0002"]);
    let dan = env.run(&["extract", "email:dan@example.se"]).json();
    assert_eq!(dan["requests"][0]["id"], "R-2026-0003");
    assert_eq!(dan["requests"][0]["note"], "Dan's");
    assert_eq!(dan["requests"].as_array().map(Vec::len), Some(1));
    // Someone without requests: no section at all.
    let eva = env.run(&["extract", "email:eva@example.se"]).json();
    assert!(eva.get("requests").is_none(), "{eva}");
    // The formats meant for people carry them too.
    let out = env.run(&[
        "extract",
        "email:dan@example.se",
        "--format",
        "csv",
        "-o",
        "dan",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(env.path("dan/Your-requests.csv")).expect("csv"),
        "\u{feff}Reference (id),Kind of request (kind),Received (received),To be answered by (due),Status (status),Time extended (extended),Reason for the extension (extend_reason),Received through (channel),Note (note),Closed (closed_at),Reason given when closed (close_reason)\r\nR-2026-0003,Access to the data (Art. 15),2026-11-22,2026-12-22,Received,false,,,Dan's,,\r\n"
    );
    let out = env.run(&[
        "extract",
        "email:dan@example.se",
        "--format",
        "html",
        "--lang",
        "sv",
        "-o",
        "dan.html",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = std::fs::read_to_string(env.path("dan.html")).expect("html");
    assert!(page.contains("<h3>Dina begäranden</h3>"), "{page}");
    assert!(
        page.contains("<dt>Ärendenummer</dt><dd>R-2026-0003</dd>"),
        "{page}"
    );
    assert!(
        page.contains("<dt>Slag av begäran</dt><dd>Tillgång till uppgifterna (art. 15)</dd>"),
        "{page}"
    );
    assert!(
        page.contains("<dt>Ska besvaras senast</dt><dd>2026-12-22</dd>"),
        "{page}"
    );
    assert!(
        page.contains("<dt>Tiden förlängd</dt><dd>Nej</dd>"),
        "{page}"
    );
    let eva_page = env.run(&[
        "extract",
        "email:eva@example.se",
        "--format",
        "html",
        "-o",
        "eva.html",
    ]);
    assert_eq!(eva_page.code, 0, "{}", eva_page.stderr);
    let page = std::fs::read_to_string(env.path("eva.html")).expect("html");
    assert!(!page.contains("Your requests"), "{page}");
}

#[test]
fn the_sweep_removes_closed_requests_after_their_retention() {
    let env = TestEnv::agency();
    // Closed three years and more ago, closed today, and open since 2023.
    ok(
        at(
            &env,
            "2023-10-01T10:00:00Z",
            &[
                "request",
                "new",
                "access",
                "email:anna@example.se",
                "--note",
                "old",
            ],
        ),
        "R-2023-0001 due 2023-11-01\n",
    );
    ok(
        at(
            &env,
            "2023-11-01T10:00:00Z",
            &["request", "close", "R-2023-0001", "--outcome", "done"],
        ),
        "R-2023-0001 closed: done\n",
    );
    ok(
        at(
            &env,
            "2023-11-02T10:00:00Z",
            &["request", "new", "erasure", "email:bo@example.se"],
        ),
        "R-2023-0002 due 2023-12-04\n",
    );
    ok(
        env.run(&["request", "new", "objection", "email:dan@example.se"]),
        "R-2026-0001 due 2026-12-22\n",
    );
    ok(
        env.run(&["request", "close", "R-2026-0001", "--outcome", "done"]),
        "R-2026-0001 closed: done\n",
    );
    // A sweep of one table leaves the register alone; a dry run counts.
    let out = env.run(&["--json", "sweep", "--table", "visits"]);
    assert_eq!(out.json()["requests_swept"], 0);
    let out = env.run(&["--json", "sweep", "--dry-run"]);
    assert_eq!(out.json()["requests_swept"], 1);
    assert_eq!(register(&env).len(), 6);
    let out = env.run(&["--json", "sweep"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["requests_swept"], 1);
    assert_eq!(
        query(&env, "SELECT id, status FROM _dsr_requests ORDER BY id"),
        ["R-2023-0002|received", "R-2026-0001|done"]
    );
    assert_eq!(
        query(
            &env,
            "SELECT request FROM _dsr_request_subjects ORDER BY request"
        ),
        ["R-2023-0002", "R-2026-0001"]
    );
    let batch: serde_json::Value = serde_json::from_str(
        &query(
            &env,
            "SELECT details FROM _dsr_audit WHERE command = 'sweep' AND details LIKE '%\"source\":\"requests\"%'",
        )[0],
    )
    .expect("details");
    assert_eq!(batch["requests_swept"], 1);
    assert_eq!(batch["requests"], json!(["R-2023-0001"]));
    assert_eq!(batch["retention"], "3y");
    // The counter is not reset: a new request of 2023 would not reuse the id.
    assert_eq!(
        query(
            &env,
            "SELECT value FROM _dsr_meta WHERE key = 'request_seq:2023'"
        ),
        ["2"]
    );
    // Again: nothing left to sweep.
    assert_eq!(env.run(&["--json", "sweep"]).json()["requests_swept"], 0);

    // A tenant's own request_retention.
    std::fs::write(
        env.path("dsr.toml"),
        "[tenants.agency]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\nrequest_retention = \"30d\"\n",
    )
    .expect("config");
    let mut c = env.cmd();
    c.env("DSR_NOW", "2026-12-23T10:00:00Z")
        .args(["--tenant", "agency", "--json", "sweep"]);
    let out = crate::outcome(c);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["requests_swept"], 1);
    assert_eq!(
        query(&env, "SELECT id FROM _dsr_requests ORDER BY id"),
        ["R-2023-0002"]
    );
    std::fs::write(
        env.path("dsr.toml"),
        "[tenants.agency]\nstore = \"tenant.db\"\nmap = \"datamap.toml\"\nrequest_retention = \"soon\"\n",
    )
    .expect("config");
    let mut c = env.cmd();
    c.args(["--tenant", "agency", "sweep"]);
    let out = crate::outcome(c);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("dsr.toml [tenants.agency] request_retention: duration \"soon\""),
        "{}",
        out.stderr
    );
}

#[test]
fn every_change_is_audited_and_the_register_holds_no_plain_identifier() {
    let env = TestEnv::agency();
    ok(
        env.run(&[
            "--operator",
            "ops",
            "request",
            "new",
            "access",
            "email:anna@example.se",
            "personnummer:19811218-9876",
            "phone:070-111 22 33",
        ]),
        "R-2026-0001 due 2026-12-22\n",
    );
    ok(
        env.run(&[
            "--operator",
            "ops",
            "request",
            "extend",
            "R-2026-0001",
            "--reason",
            "many systems",
        ]),
        "R-2026-0001 due 2027-02-22 (extended from 2026-12-22)\n",
    );
    ok(
        env.run(&[
            "--operator",
            "ops",
            "request",
            "close",
            "R-2026-0001",
            "--outcome",
            "done",
        ]),
        "R-2026-0001 closed: done\n",
    );
    let rows = query(
        &env,
        "SELECT seq, operator, command, request, outcome, subject = (SELECT subject FROM _dsr_requests) FROM _dsr_audit ORDER BY seq",
    );
    assert_eq!(
        rows,
        (1..=3)
            .map(|seq| format!("{seq}|ops|request|R-2026-0001|ok|1"))
            .collect::<Vec<_>>()
    );
    let actions: Vec<serde_json::Value> =
        query(&env, "SELECT details FROM _dsr_audit ORDER BY seq")
            .iter()
            .map(|d| serde_json::from_str(d).expect("details"))
            .collect();
    assert_eq!(
        actions
            .iter()
            .map(|d| (d["action"].clone(), d["id"].clone()))
            .collect::<Vec<_>>(),
        [
            (json!("new"), json!("R-2026-0001")),
            (json!("extend"), json!("R-2026-0001")),
            (json!("close"), json!("R-2026-0001")),
        ]
    );
    assert_eq!(actions[1]["due"], "2027-02-22");
    assert_eq!(actions[2]["outcome"], "done");
    assert_eq!(env.run(&["audit", "verify"]).code, 0);
    // Every byte of the register and the trail: no identifier in any form.
    let mut text = register(&env).join("\n");
    text.push_str(&env.tool_tables_text());
    for needle in [
        "anna",
        "Anna",
        "19811218",
        "198112189876",
        "+46701112233",
        "070-111",
        "4670111",
    ] {
        assert!(!text.contains(needle), "{needle} in {text}");
    }
    assert_eq!(
        query(
            &env,
            "SELECT count(*) FROM _dsr_request_subjects WHERE ref LIKE 'hmac-sha256:%'"
        ),
        ["3"]
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_registered() {
    let env = TestEnv::agency();
    for (args, why) in [
        (
            &["request", "new", "access", "--received", "2026-11-23"][..],
            "--received 2026-11-23 is in the future (today is 2026-11-22 in the tenant's time zone)",
        ),
        (
            &["request", "new", "access", "--received", "22/11/2026"],
            "--received \"22/11/2026\" is not a date",
        ),
        (&["request", "new", "complaint"], "invalid value 'complaint'"),
        (&["request", "new", "access", "shoe:42"], "shoe"),
        (&["request", "show", "R-2026-0001"], "there is no request R-2026-0001"),
        (&["request", "due", "--within", "soon"], "duration \"soon\""),
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
    }
    assert_eq!(
        query(
            &env,
            "SELECT count(*) FROM sqlite_master WHERE name LIKE '\\_dsr\\_%' ESCAPE '\\'"
        ),
        ["0"]
    );
}

#[test]
fn a_store_of_the_previous_version_gets_the_register_by_migration() {
    let env = TestEnv::agency();
    let out = env.run(&["extract", "email:dan@example.se"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // As dsr's tables were before the register (version 2).
    env.conn()
        .execute_batch(
            "DROP TABLE _dsr_request_subjects; DROP TABLE _dsr_requests;
             UPDATE _dsr_meta SET value = '2' WHERE key = 'schema_version';",
        )
        .expect("version 2");
    ok(
        env.run(&["request", "new", "access", "email:dan@example.se"]),
        "R-2026-0001 due 2026-12-22\n",
    );
    assert_eq!(
        query(
            &env,
            "SELECT value FROM _dsr_meta WHERE key = 'schema_version'"
        ),
        ["3"]
    );
    assert_eq!(
        query(&env, "SELECT id, status FROM _dsr_requests"),
        ["R-2026-0001|received"]
    );
    assert_eq!(env.run(&["audit", "verify"]).code, 0);
}
