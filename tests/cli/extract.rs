//! `dsr extract` on the agency fixture: exact rows for every identifier
//! form, links (composite, cycle), mentions, refusals.

use crate::{rows, TestEnv, NOW};
use serde_json::json;

#[test]
fn extract_by_email_ignores_case_and_follows_the_link_cycle() {
    let env = TestEnv::agency();
    let out = env.run(&["extract", "email:  DAN@Example.SE "]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["schema"], "dsr.extract/1");
    assert_eq!(doc["generated_at"], NOW);
    // Dan's phone number and contact id, held in his own row, are his
    // identifiers too (Eva's, reached through the household, are not).
    assert_eq!(
        doc["subject"],
        json!({ "identifiers": [
            { "kind": "email", "value": "dan@example.se", "given": true },
            { "kind": "phone", "value": "+46701112233", "given": false, "found_in": "contacts" },
            { "kind": "contact_id", "value": "c-1", "given": false, "found_in": "contacts" }
        ] })
    );
    // Dan directly; his household through households.primary_contact; Eva
    // through the household (the cycle ends there).
    assert_eq!(
        rows(&doc, "contacts"),
        json!([
            { "id": "c-1", "household_id": "h-1", "name": "Dan Fors", "email": "dan@example.se", "phone": "070-111 22 33", "created": 1600000000 },
            { "id": "c-2", "household_id": "h-1", "name": "Eva Fors", "email": "eva@example.se", "phone": "+46701112234", "created": 1600003600 }
        ])
    );
    assert_eq!(
        rows(&doc, "households"),
        json!([ { "id": "h-1", "primary_contact": "c-1", "address": "Storgatan 1, Umeå", "gate_code": "AQI=" } ])
    );
    assert_eq!(
        rows(&doc, "messages"),
        json!([
            { "id": 1, "sender": "c-2", "body": "Please call Dan at 0701112233 about the boiler", "sent_at": "2024-01-01" },
            { "id": 4, "sender": "c-1", "body": "Mail DAN@example.se. Thanks", "sent_at": 1700000500 }
        ])
    );
    // visits has no primary key and no NOCASE index: found by normalising.
    assert_eq!(
        rows(&doc, "visits"),
        json!([
            { "email": "dan@example.se", "at": 1700000000 },
            { "email": "Dan@Example.se", "at": "2024-05-01T10:00:00Z" }
        ])
    );
    // Through the second of assignments' two links.
    assert_eq!(
        rows(&doc, "assignments"),
        json!([ { "id": 2, "org": "acme", "emp_no": "E2", "contact_id": "c-1", "note": "Bo visited Dan at 070-111 22 33" } ])
    );
    let names: Vec<&String> = doc["tables"].as_object().expect("tables").keys().collect();
    assert_eq!(
        names,
        [
            "assignments",
            "contacts",
            "households",
            "messages",
            "visits"
        ],
        "map order; tables without rows are left out"
    );
    let contacts = &doc["tables"]["contacts"];
    assert_eq!(
        contacts["withheld_columns"],
        json!([ { "column": "photo", "category": "identity.photo", "label": "Photograph", "category_label": "Photograph" } ])
    );
    assert_eq!(
        contacts["categories"],
        json!([
            "identity.name",
            "contact.email",
            "contact.phone",
            "identity.photo"
        ])
    );
    assert_eq!(contacts["source"], "The data subject");
    assert_eq!(contacts["recipients"], json!(["Plumbing partner AB"]));
    assert_eq!(contacts["legal_basis"], "contract");
    // The labels are added beside the names (people's outputs use them).
    assert_eq!(contacts["label"], "Contacts");
    assert_eq!(contacts["legal_basis_label"], "Contract (Art. 6(1)(b))");
    assert_eq!(
        contacts["category_labels"],
        json!({ "identity.name": "Name", "contact.email": "Email address",
                "contact.phone": "Phone number", "identity.photo": "Photograph" })
    );
    assert_eq!(
        contacts["column_labels"],
        json!({ "id": "Contact number", "household_id": "Household", "name": "Name",
                "email": "Email address", "phone": "Phone number", "created": "Registered" })
    );
    assert_eq!(
        doc["identifier_labels"],
        json!({ "email": "Email address", "phone": "Phone number", "contact_id": "Contact number" })
    );
    assert_eq!(
        (doc["language"].as_str(), doc["timezone"].as_str()),
        (Some("en"), Some("Europe/Stockholm"))
    );
    assert_eq!(
        doc["tables"]["visits"]["retention"],
        "Kept for 90 days after time, then erased. If you ask for erasure, they are erased earlier."
    );
    let rights = doc["rights"].as_str().expect("rights");
    assert!(
        rights.contains("Integritetsskyddsmyndigheten (IMY), www.imy.se"),
        "{rights}"
    );
    assert!(
        rights.contains("Art. 17") && rights.contains("Art. 22"),
        "{rights}"
    );
    assert_eq!(doc["controller"]["contact"], "dpo@agency.example");
}

#[test]
fn every_phone_form_finds_the_same_rows() {
    let env = TestEnv::agency();
    let mut seen = Vec::new();
    for form in [
        "070-111 22 33",
        "0701112233",
        "+46701112233",
        "+46 70 111 22 33",
        "0046701112233",
    ] {
        let out = env.run(&["extract", &format!("phone:{form}")]);
        assert_eq!(out.code, 0, "{form}: {}", out.stderr);
        let doc = out.json();
        assert_eq!(
            doc["subject"]["identifiers"][0]["value"], "+46701112233",
            "{form}"
        );
        seen.push(doc["tables"].clone());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(seen[0]["contacts"]["rows"][0]["id"], "c-1");
}

#[test]
fn every_personnummer_form_finds_anna_through_the_composite_link() {
    let env = TestEnv::agency();
    let mut first = None;
    for form in ["811218-9876", "8112189876", "198112189876", "19811218-9876"] {
        let out = env.run(&["extract", &format!("personnummer:{form}")]);
        assert_eq!(out.code, 0, "{form}: {}", out.stderr);
        let doc = out.json();
        let tables = doc["tables"].clone();
        // acme/E1 only: beta/E1 shares the emp_no but not the org.
        assert_eq!(
            rows(&doc, "time_reports"),
            json!([
                { "id": 1, "org": "acme", "emp_no": "E1", "day": 1700000000, "hours": 7.5, "note": "Met the client" },
                { "id": 4, "org": "acme", "emp_no": "E1", "day": 1700259200, "hours": null, "note": null }
            ]),
            "{form}"
        );
        assert_eq!(
            doc["mentions"],
            json!({ "messages": { "column": "body", "label": "Messages to customer service", "column_label": "Text",
                "rows": [ { "key": { "id": 2 }, "excerpts": [ "Anna Berg (811218-9876) visited on Tuesday" ] } ] } })
        );
        match &first {
            None => first = Some(tables),
            Some(f) => assert_eq!(f, &tables, "{form}"),
        }
    }
    assert_eq!(
        first.expect("ran")["employees"]["rows"],
        json!([ { "org": "acme", "emp_no": "E1", "full_name": "Anna Berg", "email": "anna@example.se", "personnummer": "19811218-9876", "hired": 1500000000 } ])
    );
}

#[test]
fn several_identifiers_name_one_person() {
    let env = TestEnv::agency();
    let out = env.run(&[
        "extract",
        "email:anna@example.se",
        "personnummer:811218-9876",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(
        doc["tables"]["employees"]["rows"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        doc["subject"]["identifiers"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn identifiers_matching_two_people_are_refused_with_their_keys() {
    let env = TestEnv::agency();
    let before = env.dump_user_tables();
    let out = env.run(&["extract", "personnummer:198507099805"]);
    insta::assert_snapshot!(out.snapshot(&env), @r"
    exit: 5
    --- stdout
    --- stderr
    dsr: error: the identifiers match more than one person: employees: 2 rows: org=acme,emp_no=E2 by personnummer (given); org=beta,emp_no=E1 by personnummer (given); nothing was released or changed; give an identifier that names one person (e.g. a customer number), or pass --all-matches if these really are one person
    ");
    assert_eq!(env.dump_user_tables(), before);
    let audit = env.audit_rows();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].1.as_str(), audit[0].2.as_str()),
        ("extract", "ambiguous")
    );

    let out = env.run(&["extract", "--all-matches", "personnummer:198507099805"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(
        doc["tables"]["employees"]["rows"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        doc["tables"]["time_reports"]["rows"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[test]
fn no_data_is_exit_4_and_is_recorded() {
    let env = TestEnv::agency();
    let out = env.run(&["extract", "email:nobody@example.se"]);
    insta::assert_snapshot!(out.snapshot(&env), @r"
    exit: 4
    --- stdout
    --- stderr
    dsr: error: no data found for the subject: no mapped table holds a row with these identifiers, and no free text mentions them; check the kind and value, or try another identifier
    ");
    let audit = env.audit_rows();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].2, "not_found");
    assert!(!env.tool_tables_text().contains("nobody"));
}

#[test]
fn bad_identifiers_are_usage_errors_that_never_echo_the_value() {
    let env = TestEnv::agency();
    let cases = [
        ("personnummer:811218-9875", "check digit"),
        ("personnummer:811318-9876", "date"),
        ("personnummer:81121898", ""),
        ("email:not-an-address", ""),
        ("phone:55555", ""),
        ("phone:07011122AB", ""),
        (
            "shoe_size:42",
            "not an identifier kind of this map; declared: email, personnummer, phone, contact_id",
        ),
        ("dan@example.se", "write KIND:VALUE"),
        ("contact_id:   ", ""),
    ];
    for (arg, needle) in cases {
        let out = env.run(&["extract", arg]);
        assert_eq!(out.code, 2, "{arg}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(out.stderr.contains(needle), "{arg}: {}", out.stderr);
        let value = arg.split_once(':').map(|(_, v)| v.trim()).unwrap_or(arg);
        if value.len() > 3 && !arg.starts_with("shoe") {
            assert!(!out.stderr.contains(value), "{arg} echoed: {}", out.stderr);
        }
    }
}

#[test]
fn extract_to_a_file_is_private_and_never_overwrites() {
    let env = TestEnv::agency();
    let out = env.run(&["extract", "contact_id:c-3", "-o", "gun.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let path = env.path("gun.json");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("file")).expect("json");
    assert_eq!(doc["tables"]["contacts"]["rows"][0]["name"], "Gun Holm");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    std::fs::write(&path, "keep me").expect("write");
    let out = env.run(&["extract", "contact_id:c-3", "-o", "gun.json"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("gun.json already exists"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "keep me");
    let out = env.run(&[
        "--json",
        "extract",
        "contact_id:c-3",
        "-o",
        "gun.json",
        "--force",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["schema"], "dsr.extract-result/1");
    assert_eq!(out.json()["rows"], 5);
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn extract_changes_no_user_data_and_records_counts_without_identifiers() {
    let env = TestEnv::agency();
    let before = env.dump_user_tables();
    let out = env.run(&[
        "--request",
        "CASE-7",
        "--operator",
        "support-1",
        "extract",
        "email:dan@example.se",
        "phone:070-111 22 33",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(env.dump_user_tables(), before);
    let audit = env.audit_rows();
    assert_eq!(audit.len(), 1);
    let (seq, cmd, outcome, subject, details) = &audit[0];
    assert_eq!((*seq, cmd.as_str(), outcome.as_str()), (1, "extract", "ok"));
    let subject = subject.as_deref().expect("subject");
    assert!(
        subject.starts_with("hmac-sha256:") && subject.len() == 12 + 64,
        "{subject}"
    );
    let d: serde_json::Value = serde_json::from_str(details).expect("details");
    assert_eq!(
        d["tables"],
        json!({ "assignments": 1, "contacts": 2, "households": 1, "messages": 2, "visits": 2 })
    );
    assert_eq!(d["format"], "json");
    assert_eq!(d["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(d["map_sha256"].as_str().map(str::len), Some(64));
    let all = env.tool_tables_text();
    for secret in [
        "dan@example.se",
        "0701112233",
        "111 22 33",
        "+46701112233",
        "Dan Fors",
    ] {
        assert!(!all.contains(secret), "audit trail holds {secret}");
    }
    assert!(all.contains("CASE-7") && all.contains("support-1"));
    // The same person asked for again gets the same reference.
    let out = env.run(&["extract", "phone:+46701112233", "email:DAN@example.se"]);
    assert_eq!(out.code, 0);
    let audit = env.audit_rows();
    assert_eq!(audit[1].3.as_deref(), Some(subject));
}

#[test]
fn swedish_report_text() {
    let env = TestEnv::agency();
    let out = env.run(&["extract", "--lang", "sv", "contact_id:c-3"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    let rights = doc["rights"].as_str().expect("rights");
    assert!(
        rights.starts_with("Du har rätt att få felaktiga uppgifter rättade"),
        "{rights}"
    );
    assert_eq!(
        doc["tables"]["contacts"]["retention"],
        "Sparas så länge ändamålet kräver det. Begär du radering anonymiseras de. Vid anonymisering tas namn, e-postadress, telefonnummer, foto bort; resten sparas utan koppling till dig."
    );
    assert_eq!(
        doc["tables"]["contacts"]["legal_basis_label"],
        "Avtal (art. 6.1 b)"
    );
    assert_eq!(doc["tables"]["contacts"]["label"], "Kontaktpersoner");
}

#[test]
fn file_formats_need_an_output_path() {
    let env = TestEnv::agency();
    for (format, what) in [
        ("xlsx", "a file"),
        ("html", "a file"),
        ("csv", "a directory of files"),
    ] {
        let out = env.run(&["extract", "--format", format, "contact_id:c-3"]);
        assert_eq!(out.code, 2, "{format}");
        assert!(
            out.stderr
                .contains(&format!("--format {format} writes {what}: give -o PATH")),
            "{}",
            out.stderr
        );
    }
}

/// With the identify and link columns indexed, an extract reads only the
/// subject's rows: no lookup scans a table, also not the lookups of the
/// identifiers found in the subject's rows (Anna's email, in visits).
#[test]
fn indexed_lookups_scan_no_table() {
    let env = TestEnv::agency();
    env.conn()
        .execute_batch("CREATE INDEX visits_email ON visits(email COLLATE NOCASE)")
        .expect("index");
    let today = jiff::civil::date(2026, 11, 22);
    let map = dsr::map::load(&env.map).expect("map");
    let store = dsr::store::open(
        env.store.to_str().expect("utf8"),
        dsr::store::Mode::ReadOnly,
        today,
    )
    .expect("store");
    let schema = store.schema().expect("schema");
    let ids = dsr::graph::parse_subjects(&map, &["personnummer:811218-9876".to_string()], today)
        .expect("ids");
    let b = dsr::graph::resolve(&store, &schema, &map, &ids).expect("resolve");
    assert_eq!(
        b.total(),
        6,
        "employee, two time reports, two payslips, one assignment"
    );
    assert_eq!(
        store.scanned_rows(),
        0,
        "the employees and time_reports lookups used indexes"
    );
    // visits.email has no NOCASE index: that lookup reads the table.
    drop(store);
    env.conn()
        .execute_batch("DROP INDEX visits_email")
        .expect("drop index");
    let store = dsr::store::open(
        env.store.to_str().expect("utf8"),
        dsr::store::Mode::ReadOnly,
        today,
    )
    .expect("store");
    let schema = store.schema().expect("schema");
    let ids = dsr::graph::parse_subjects(&map, &["email:dan@example.se".to_string()], today)
        .expect("ids");
    dsr::graph::resolve(&store, &schema, &map, &ids).expect("resolve");
    assert!(store.scanned_rows() >= 3, "{}", store.scanned_rows());
}
