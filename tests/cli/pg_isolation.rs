//! Two tenants in two schemas of one database (issue 11, schema per
//! tenant): the same table names, each with its own `_dsr_` tables; every
//! command run on one leaves the other's tables, rows and trail exactly as
//! they were, neither finds the other's subject, and the sweep lock of one
//! is not the other's.

use crate::pg_env::PgTenant;
use dsr::store::pg::lock::tenant_key;

/// Tenant B's own subject: Anna's row with another e-mail address, so an
/// address in B alone, and a visit only B has.
const B_ONLY: &str = "
UPDATE employees SET email = 'anna.b@example.se' WHERE org = 'acme' AND emp_no = 'E1';
INSERT INTO visits VALUES ('b-only@example.se', '2020-01-01');";

#[test]
fn two_tenants_in_two_schemas_never_touch_each_other() {
    let (Some(a), Some(b)) = (
        PgTenant::agency("iso_a", ""),
        PgTenant::agency("iso_b", B_ONLY),
    ) else {
        return;
    };
    // B has a trail of its own before A does anything.
    let out = b.run(&["erase", "--yes", "contact_id:c-3"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let b_extract = b.run(&["--json", "extract", "email:anna.b@example.se"]);
    assert_eq!(b_extract.code, 0, "{}", b_extract.stderr);
    let (b_rows, b_dsr) = (b.dump(), b.dump_dsr());
    assert_eq!(
        b.tables(true),
        [
            "_dsr_anonymized",
            "_dsr_audit",
            "_dsr_deferred",
            "_dsr_meta",
            "_dsr_request_subjects",
            "_dsr_requests"
        ]
    );

    // Neither finds the other's subject.
    for subject in ["email:anna.b@example.se", "email:b-only@example.se"] {
        let out = a.run(&["extract", subject]);
        assert_eq!(out.code, 4, "{subject} is not A's: {}", out.stdout);
    }
    let out = b.run(&["extract", "email:anna@example.se"]);
    assert_eq!(out.code, 4, "anna@example.se is not B's: {}", out.stdout);
    let (b_rows, b_dsr) = {
        // That refusal is B's own record: B's state from here on.
        assert_ne!(b.dump_dsr(), b_dsr);
        (b_rows, b.dump_dsr())
    };

    // B's sweep lock held (a sweep of B's on another machine): A sweeps.
    let mut admin = b.client();
    let b_url = b.schema.url();
    admin
        .execute(
            "SELECT pg_advisory_lock($1)",
            &[&tenant_key(&b_url.dbname, &b_url.schema)],
        )
        .expect("B's lock");

    // Everything on A.
    for args in [
        &["extract", "personnummer:811218-9876"][..],
        &["erase", "--yes", "personnummer:811218-9876"],
        &["erase", "--yes", "email:dan@example.se"],
        &[
            "export",
            "contact_id:c-3",
            "--format",
            "json",
            "-o",
            "c3.json",
        ],
        &["export", "--all", "--format", "csv", "-o", "all"],
        &["request", "new", "access", "email:gun@example.se"],
        &["sweep"],
        &["audit", "verify"],
        &["audit", "log"],
    ] {
        let out = a.run(args);
        assert_eq!(out.code, 0, "{args:?} on A: {}", out.stderr);
    }
    assert_eq!(
        a.rows("SELECT command, outcome FROM _dsr_audit ORDER BY seq"),
        [
            "extract|not_found",
            "extract|not_found",
            "extract|ok",
            "erase|ok",
            "erase|ok",
            "export|ok",
            "export|ok",
            "request|ok",
            "sweep|ok",
            "sweep|ok",
            "sweep|ok",
        ]
    );
    assert_eq!(
        a.rows("SELECT count(*) FROM employees WHERE full_name = 'Anna Berg'"),
        ["0"]
    );
    assert_eq!(a.rows("SELECT count(*) FROM _dsr_requests"), ["1"]);

    // B: every row of its tables and of dsr's own as before.
    assert_eq!(b.dump(), b_rows, "B's tables");
    assert_eq!(b.dump_dsr(), b_dsr, "B's _dsr_ tables");
    assert_eq!(
        b.rows("SELECT full_name, email FROM employees WHERE emp_no = 'E1' AND org = 'acme'"),
        ["Anna Berg|anna.b@example.se"]
    );
    admin
        .execute(
            "SELECT pg_advisory_unlock($1)",
            &[&tenant_key(&b_url.dbname, &b_url.schema)],
        )
        .expect("unlock");
    // B answers as before, and its trail verifies.
    let again = b.run(&["--json", "extract", "email:anna.b@example.se"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().map(|o| o.remove("audit_seq"));
        v
    };
    assert_eq!(strip(again.json()), strip(b_extract.json()));
    assert_eq!(b.run(&["audit", "verify"]).code, 0);
}
