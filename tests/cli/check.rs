//! `dsr check` on the fixture maps.

use crate::TestEnv;

#[test]
fn the_agency_map_fits_with_warnings() {
    let env = TestEnv::agency();
    let out = env.run(&["check"]);
    insta::assert_snapshot!(out.snapshot(&env));
}

#[test]
fn check_json_lists_findings_with_positions() {
    let env = TestEnv::agency();
    let out = env.run(&["--json", "check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["schema"], "dsr.check/1");
    assert_eq!(doc["errors"], 0);
    assert_eq!(doc["tables"], 8);
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(doc["warnings"].as_u64(), Some(findings.len() as u64));
    let sender = findings
        .iter()
        .find(|f| f["place"] == "messages.sender")
        .expect("sender warning");
    assert_eq!(
        (sender["line"].as_u64(), sender["column"].as_u64()),
        (Some(85), Some(8))
    );
    assert_eq!(sender["severity"], "warning");
}

#[test]
fn unmapped_personal_columns_and_tables_are_warned_about() {
    let env = TestEnv::agency();
    env.conn()
        .execute_batch(
            "ALTER TABLE employees ADD COLUMN home_phone TEXT;
             ALTER TABLE time_reports ADD COLUMN contact TEXT;
             UPDATE time_reports SET contact = 'someone@example.se';
             CREATE TABLE newsletter (address TEXT);",
        )
        .expect("alter");
    let out = env.run(&["check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("employees.home_phone: is not mapped, but its name suggests personal data"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "time_reports.contact: is not mapped, but its values look like email addresses"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("newsletter: the store's table \"newsletter\" is not in the map"),
        "{}",
        out.stdout
    );
}

#[test]
fn quiet_check_prints_only_errors() {
    let env = TestEnv::agency();
    let out = env.run(&["-q", "check"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
}
