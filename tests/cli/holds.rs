//! Holds judged anew (DESIGN §2 Holds): the sweep completes a deferred
//! erasure when the hold, judged on the row as it is when the sweep runs,
//! has ended. A hold date the application moved later is never cut short;
//! one moved earlier ends on time; the recorded date is for reports only.
//! The agency's scenarios run on both stores (`stores::agency`).

use crate::stores::{self, Tenant};
use crate::{query, TestEnv};

/// The rental fixture with customer C-1001 (Åsa) erased: her payments 1
/// (2024-03-01, held to 2031-12-31) and 2 (2025-10-10, to 2032-12-31) are
/// deferred. Its same-row triggers are dropped here: what they do to an
/// erasure is tested elsewhere; these tests are about holds.
fn rental_erased() -> TestEnv {
    let env = TestEnv::rental();
    env.conn()
        .execute_batch(
            "DROP TRIGGER customer_touch; DROP TRIGGER address_touch; DROP TRIGGER rental_touch;",
        )
        .expect("drop triggers");
    let out = env.run(&["erase", "--yes", "customer_no:C-1001"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        query(&env, "SELECT key, until FROM _dsr_deferred ORDER BY key"),
        ["[1]|2031-12-31", "[2]|2032-12-31"]
    );
    env
}

fn payments(env: &TestEnv) -> Vec<String> {
    query(
        env,
        "SELECT payment_id FROM payment WHERE customer_id = 1 ORDER BY 1",
    )
}

#[test]
fn rental_a_hold_the_application_extended_is_not_cut_short() {
    let t = Tenant::Lite(rental_erased());
    let env = t.env();
    // The application moves payment 1's date: now held to 2033-12-31.
    env.conn()
        .execute(
            "UPDATE payment SET payment_date = '2026-06-01' WHERE payment_id = 1",
            [],
        )
        .expect("update");
    // Past the recorded date, before the new one: still held, and the
    // recorded date now says so.
    let doc = t.sweep_at("2032-01-02T00:00:00Z");
    assert_eq!(doc["deferred_completed"], 0);
    assert_eq!(payments(env), ["1", "2"]);
    assert_eq!(
        query(env, "SELECT key, until FROM _dsr_deferred ORDER BY key"),
        ["[1]|2033-12-31", "[2]|2032-12-31"]
    );
    // Payment 2's own hold ends as recorded; payment 1 stays.
    let doc = t.sweep_at("2033-01-01T00:00:01Z");
    assert_eq!(doc["deferred_completed"], 1);
    assert_eq!(doc["tables"]["payment"]["deleted"], 1);
    assert_eq!(payments(env), ["1"]);
    // The last day of the new hold, then the day after it.
    let doc = t.sweep_at("2033-12-31T23:59:59Z");
    assert_eq!(doc["deferred_completed"], 0);
    assert_eq!(payments(env), ["1"]);
    let doc = t.sweep_at("2034-01-01T00:00:01Z");
    assert_eq!(doc["deferred_completed"], 1);
    assert_eq!(payments(env), Vec::<String>::new());
    assert_eq!(query(env, "SELECT count(*) FROM _dsr_deferred"), ["0"]);
}

#[test]
fn rental_a_hold_the_application_shortened_ends_on_time() {
    let t = Tenant::Lite(rental_erased());
    let env = t.env();
    // Payment 2 was booked in the wrong year: its hold ends 2026-12-31,
    // six years before the date recorded with the deferred erasure.
    env.conn()
        .execute(
            "UPDATE payment SET payment_date = '2019-01-01' WHERE payment_id = 2",
            [],
        )
        .expect("update");
    let doc = t.sweep_at("2026-12-31T23:00:00Z");
    assert_eq!(doc["deferred_completed"], 0);
    assert_eq!(payments(env), ["1", "2"]);
    assert_eq!(
        query(env, "SELECT key, until FROM _dsr_deferred ORDER BY key"),
        ["[1]|2031-12-31", "[2]|2026-12-31"]
    );
    let doc = t.sweep_at("2027-01-01T00:00:01Z");
    assert_eq!(doc["deferred_completed"], 1);
    assert_eq!(doc["tables"]["payment"]["deleted"], 1);
    assert_eq!(payments(env), ["1"]);
    assert_eq!(query(env, "SELECT key FROM _dsr_deferred"), ["[1]"]);
}

/// The agency fixture with employee acme/E1 erased, on each store:
/// payslip 2 (2024-06-25) is deferred to 2031-12-31.
fn agency_erased(label: &str) -> Vec<Tenant> {
    let all = stores::agency(label);
    for t in &all {
        t.ok(&["erase", "--yes", "personnummer:811218-9876"]);
        assert_eq!(
            t.query("SELECT tbl, key, until FROM _dsr_deferred"),
            ["payslips|[2]|2031-12-31"],
            "{}",
            t.store()
        );
    }
    all
}

#[test]
fn agency_an_extended_payslip_hold_is_not_cut_short() {
    for t in agency_erased("holds_extended") {
        t.exec("UPDATE payslips SET paid_on = '2027-03-25' WHERE id = 2");
        let doc = t.sweep_at("2032-01-01T00:00:01Z");
        assert_eq!(doc["deferred_completed"], 0);
        assert_eq!(t.query("SELECT id FROM payslips WHERE id = 2"), ["2"]);
        assert_eq!(t.query("SELECT until FROM _dsr_deferred"), ["2034-12-31"]);
        let doc = t.sweep_at("2035-01-01T00:00:01Z");
        assert_eq!(doc["deferred_completed"], 1, "{}", t.store());
        assert_eq!(t.query("SELECT count(*) FROM payslips WHERE id = 2"), ["0"]);
    }
}

#[test]
fn agency_a_shortened_payslip_hold_ends_on_time() {
    for t in agency_erased("holds_shortened") {
        t.exec("UPDATE payslips SET paid_on = '2018-05-25' WHERE id = 2");
        // Its hold ended 2025-12-31: the next sweep (at the fixed test
        // clock, 2026-11-22) completes it, five years before the recorded
        // date.
        let doc = t.sweep_at(crate::NOW);
        assert_eq!(doc["deferred_completed"], 1, "{}", t.store());
        assert_eq!(doc["tables"]["payslips"]["deleted"], 1);
        assert_eq!(t.query("SELECT count(*) FROM payslips WHERE id = 2"), ["0"]);
        assert_eq!(t.query("SELECT count(*) FROM _dsr_deferred"), ["0"]);
    }
}

#[test]
fn agency_a_hold_date_unreadable_at_erasure_counts_once_the_application_fixes_it() {
    for t in stores::agency("holds_unreadable") {
        t.exec("UPDATE payslips SET paid_on = 'pending' WHERE id = 2");
        t.ok(&["erase", "--yes", "personnummer:811218-9876"]);
        assert_eq!(
            t.query("SELECT key, coalesce(until, 'NULL') FROM _dsr_deferred"),
            ["[2]|NULL"],
            "{}",
            t.store()
        );
        // Still unreadable: still held.
        let doc = t.sweep_at(crate::NOW);
        assert_eq!(doc["deferred_completed"], 0);
        assert_eq!(t.query("SELECT id FROM payslips WHERE id = 2"), ["2"]);
        // The application writes the real date (2018: its hold has ended).
        t.exec("UPDATE payslips SET paid_on = '2018-05-25' WHERE id = 2");
        let doc = t.sweep_at(crate::NOW);
        assert_eq!(doc["deferred_completed"], 1, "{}", t.store());
        assert_eq!(t.query("SELECT count(*) FROM payslips WHERE id = 2"), ["0"]);
    }
}
