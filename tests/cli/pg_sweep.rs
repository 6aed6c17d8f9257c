//! `dsr sweep` on PostgreSQL only (issue 11, the sweep group; sweep.rs runs
//! the agency's scenarios on both stores): native `date`, `timestamp` and
//! `timestamptz` columns swept in one pass and planned alike, dry runs
//! equal to real runs, a second run changing nothing, and the tenant's
//! advisory lock held across processes. Skipped without
//! `DSR_TEST_POSTGRES_URL` (failing under CI=true).

use crate::pg_env::PgTenant;
use crate::TestEnv;
use serde_json::json;
use std::time::Duration;

/// Tables with native date columns, each with a row before the 30-day
/// limit (2026-10-23T10:00:00Z), one at it, one after, and NULL; logins 3
/// is 09:59:59Z written at +02:00, a date is its midnight UTC, and
/// `-infinity` is no time dsr reads.
const NATIVE: &str = "
CREATE TABLE logins (id bigint PRIMARY KEY, email text, at timestamptz);
CREATE INDEX logins_at ON logins (at);
INSERT INTO logins VALUES
  (1, 'a@example.se', '2026-10-23T09:59:59Z'), (2, 'b@example.se', '2026-10-23T10:00:00Z'),
  (3, 'c@example.se', '2026-10-23T11:59:59+02:00'), (4, 'd@example.se', NULL),
  (5, 'e@example.se', '2025-01-01T00:00:00Z'), (6, 'f@example.se', '-infinity');
CREATE TABLE stamps (id int4 PRIMARY KEY, email text, at timestamp);
INSERT INTO stamps VALUES
  (1, 'a@example.se', '2026-10-23 09:59:59.5'), (2, 'b@example.se', '2026-10-23 10:00:00'),
  (3, 'c@example.se', '2026-11-01 00:00:00'), (4, 'd@example.se', NULL);
CREATE TABLE days (region text, n int4, email text, at date, PRIMARY KEY (region, n));
INSERT INTO days VALUES
  ('eu', 1, 'a@example.se', '2026-10-22'), ('eu', 2, 'b@example.se', '2026-10-23'),
  ('se', 1, 'c@example.se', '2026-10-24'), ('se', 2, 'd@example.se', NULL),
  ('us', 1, 'e@example.se', '2020-02-29');
CREATE TABLE visits (email text, at date);
INSERT INTO visits VALUES ('a@example.se', '2026-01-01'), ('b@example.se', '2026-11-01');";

fn native(label: &str) -> Option<PgTenant> {
    let env = TestEnv::empty();
    let t = PgTenant::new(label, NATIVE, env)?;
    crate::sweep::write_map(
        &t.env,
        &[
            ("logins", "contract", "at", "30d"),
            ("stamps", "contract", "at", "30d"),
            ("days", "contract", "at", "30d"),
            ("visits", "contract", "at", "30d"),
        ],
    );
    Some(t)
}

fn native_rows(t: &PgTenant) -> Vec<String> {
    [
        "SELECT 'logins', id FROM logins ORDER BY id",
        "SELECT 'stamps', id FROM stamps ORDER BY id",
        "SELECT 'days', region, n FROM days ORDER BY region, n",
        "SELECT 'visits', email FROM visits ORDER BY email",
    ]
    .iter()
    .flat_map(|q| t.rows(q))
    .collect()
}

#[test]
fn pg_native_dates_expire_alike_in_one_pass_planned_and_dry_runs() {
    let want_left = [
        "logins|2",
        "logins|4",
        "logins|6",
        "stamps|2",
        "stamps|3",
        "stamps|4",
        "days|se|1",
        "days|se|2",
        "visits|b@example.se",
    ];
    let counts = |n: u64| json!({ "deleted": n, "anonymized": 0, "held": 0, "kept": 0 });
    let want =
        json!({ "logins": counts(3), "stamps": counts(1), "days": counts(3), "visits": counts(1) });
    for (label, planned, size) in [
        ("sweep_native_fast", false, None),
        ("sweep_native_small", false, Some("1")),
        ("sweep_native_planned", true, Some("2")),
    ] {
        let Some(t) = native(label) else {
            return;
        };
        let size: Vec<&str> = size.map_or(vec![], |n| vec!["--batch-size", n]);
        let run = |extra: &[&str]| {
            let mut c = t.cmd(&[&["--json", "sweep"], extra, &size].concat());
            if planned {
                c.env("DSR_SWEEP_PLANNED", "1");
            }
            let out = crate::outcome(assert_cmd::Command::from_std(c));
            assert_eq!(out.code, 0, "{label}: {}", out.stderr);
            out.json()
        };
        let before = native_rows(&t);
        let dry = run(&["--dry-run"]);
        assert_eq!(
            native_rows(&t),
            before,
            "{label}: a dry run changes nothing"
        );
        let real = run(&[]);
        assert_eq!(dry["tables"], real["tables"], "{label}");
        assert_eq!(dry["batches"], real["batches"], "{label}");
        assert_eq!(real["tables"], want, "{label}");
        assert_eq!(native_rows(&t), want_left, "{label}");
        let again = run(&[]);
        assert_eq!(
            (again["batches"].clone(), again["tables"].clone()),
            (json!(0), json!({})),
            "{label}"
        );
        // Which route each batch took.
        let one_pass: Vec<bool> = t
            .rows("SELECT details::json->>'one_pass' FROM _dsr_audit WHERE command = 'sweep' AND details::json->>'summary' IS NULL")
            .iter()
            .map(|s| s == "true")
            .collect();
        assert!(
            !one_pass.is_empty() && one_pass.iter().all(|&o| o != planned),
            "{label}: {one_pass:?}"
        );
        assert_eq!(t.run(&["audit", "verify"]).code, 0);
    }
}

/// The advisory lock key dsr uses for this tenant.
fn key(t: &PgTenant) -> i64 {
    let url = t.schema.url();
    dsr::store::pg::lock::tenant_key(&url.dbname, &url.schema)
}

#[test]
fn pg_the_sweep_lock_holds_across_processes() {
    let Some(t) = PgTenant::agency("sweep_lock", crate::sweep::VISITS) else {
        return;
    };
    // An admin session (a sweep on another machine) holds the lock.
    let mut admin = t.client();
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&key(&t)])
        .expect("lock");
    let pid: i32 = admin
        .query_one("SELECT pg_backend_pid()", &[])
        .expect("pid")
        .get(0);
    for args in [&["sweep"][..], &["sweep", "--dry-run"]] {
        let out = t.run(args);
        assert_eq!(out.code, 6, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "another dsr sweep holds the lock of database {} on ",
                t.schema.url().dbname
            )) && out.stderr.contains(&format!(
                "schema {} (PostgreSQL session pid {pid}, user ",
                t.schema.name
            )) && out.stderr.contains("pass --wait"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(
        t.rows("SELECT count(*) FROM visits"),
        ["9"],
        "nothing swept"
    );
    // --wait waits for the holder, then sweeps.
    let mut child = t.cmd(&["-q", "sweep", "--wait"]).spawn().expect("spawn");
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        child.try_wait().expect("poll").is_none(),
        "--wait returned while the lock was held"
    );
    assert_eq!(t.rows("SELECT count(*) FROM visits"), ["9"]);
    admin
        .execute("SELECT pg_advisory_unlock($1)", &[&key(&t)])
        .expect("unlock");
    assert!(child.wait().expect("wait").success());
    assert_eq!(t.rows("SELECT count(*) FROM visits"), ["5"]);
    // Two dsr sweeps: while the first holds the lock (an application's
    // transaction keeps it waiting on visits), the second exits 6 naming
    // the first's session.
    t.schema.exec(crate::sweep::VISITS);
    admin
        .batch_execute("BEGIN; LOCK TABLE visits IN ACCESS EXCLUSIVE MODE")
        .expect("the application's lock");
    let mut first = t.cmd(&["-q", "sweep"]).spawn().expect("spawn");
    let held = |admin: &mut postgres::Client| -> i64 {
        admin
            .query_one(
                "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted \
                 AND ((classid::int8 << 32) | objid::int8) = $1",
                &[&key(&t)],
            )
            .expect("pg_locks")
            .get(0)
    };
    let until = std::time::Instant::now() + Duration::from_secs(20);
    while held(&mut admin) == 0 {
        assert!(
            std::time::Instant::now() < until,
            "the first sweep never took the lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = t.run(&["sweep"]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.stderr.contains(", application dsr,"), "{}", out.stderr);
    admin.batch_execute("COMMIT").expect("commit");
    assert!(first.wait().expect("wait").success());
    // Five kept, five added again, the one before the limit swept.
    assert_eq!(t.rows("SELECT count(*) FROM visits"), ["10"]);
    // The lock went with the sweep's session: free again.
    assert_eq!(held(&mut admin), 0, "a finished sweep left the lock held");
}

/// Orders swept after a year, their lines (a link beneath) kept seven
/// years after they were booked.
const ORDERS: &str = "
CREATE TABLE orders (id bigint PRIMARY KEY, email text, closed_at timestamptz);
CREATE TABLE lines (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id), booked date);
INSERT INTO orders VALUES (1, 'a@example.se', '2020-01-01T00:00:00Z');
INSERT INTO lines VALUES (1, 1, '2015-01-01'), (2, 1, '2015-02-01');";

const ORDERS_MAP: &str = r#"version = 1
[controller]
name = "Test AB"
contact = "dpo@test.example"
authority = "Integritetsskyddsmyndigheten (IMY), www.imy.se"
[identifiers]
email = "email"
[tables.orders]
purpose = "Test"
legal_basis = "contract"
identify = { email = "email" }
on_erase = "delete"
retention = { after = "closed_at", keep = "1y" }
[tables.orders.columns]
email = { category = "contact.email", erase = "hash" }
[tables.lines]
purpose = "Test"
legal_basis = "legal_obligation"
link = { to = "orders", on = { order_id = "id" } }
on_erase = "delete"
hold = { after = "booked", keep = "7y", reason = "Bokföringslagen" }
"#;

/// The application puts a line beneath an expired order under a hold
/// while the sweep's batch plans (its transaction open, the line locked,
/// committed once dsr waits for the lock): the batch reads the rows it
/// changes beneath its roots again locked, sees the new date, plans
/// again, and keeps the line (and so the order, anonymized); without that
/// read the DELETE would wait for the same lock and then remove it.
#[test]
fn pg_a_hold_set_beneath_a_swept_row_while_the_batch_plans_keeps_it() {
    let Some(t) = PgTenant::new("cli_sweep_hold_meanwhile", ORDERS, TestEnv::empty()) else {
        return;
    };
    std::fs::write(&t.env.map, ORDERS_MAP).expect("write map");
    let (code, report, stderr) = crate::pg_write::run_while_the_application_writes(
        &t,
        "BEGIN; UPDATE lines SET booked = '2026-01-01' WHERE id = 1",
        "lines",
        &["--json", "sweep"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let hash = dsr::audit::hmac_hex(&t.secret(), b"a@example.se");
    assert_eq!(
        t.rows("SELECT id, email FROM orders ORDER BY id"),
        [format!("1|{hash}")]
    );
    assert_eq!(
        t.rows("SELECT id, order_id, booked FROM lines ORDER BY id"),
        ["1|1|2026-01-01"]
    );
    assert_eq!(
        t.rows("SELECT tbl, key, action, until FROM _dsr_deferred ORDER BY key"),
        ["lines|[1]|delete|2032-12-31"]
    );
    assert_eq!(report["tables"]["lines"]["held"], json!(1), "{report}");
    assert_eq!(report["tables"]["lines"]["deleted"], json!(1), "{report}");
}
