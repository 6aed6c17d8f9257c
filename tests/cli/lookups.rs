//! Finding the subject's rows by identifier (issue 9, items 6, 7 and 10):
//! phone numbers read in their kind's region, stored values normalised like
//! requests (padding, Unicode case, personnummer separators), indexes used
//! where they can answer exactly, and over-long values refused plainly.

use crate::{Outcome, TestEnv};

/// The values of `column` in the extract's rows of `table`, sorted.
fn ids(out: &Outcome, table: &str, column: &str) -> Vec<serde_json::Value> {
    let doc = out.json();
    let mut v: Vec<serde_json::Value> = doc["tables"][table]["rows"]
        .as_array()
        .map(|rows| rows.iter().map(|r| r[column].clone()).collect())
        .unwrap_or_default();
    v.sort_by_key(|x| x.to_string());
    v
}

fn customers(env: &TestEnv, subject: &str) -> (i32, Vec<serde_json::Value>) {
    let out = env.run(&["extract", subject]);
    let rows = if out.code == 0 {
        ids(&out, "customer", "customer_id")
    } else {
        Vec::new()
    };
    (out.code, rows)
}

/// Each number matches its own stored forms, read in the kind's region,
/// and never another number: the rental shop's customer.phone column is
/// identified as `phone` (the map's region, SE), `us_phone` and `de_phone`.
#[test]
fn phones_match_their_own_forms_and_never_each_other() {
    let env = TestEnv::rental();
    let found = |ids: &[i64]| (0, ids.iter().map(|&i| serde_json::json!(i)).collect());
    for (subject, want) in [
        // Mary in Boise, stored "+1 (208) 555-8097".
        ("phone:+1 (208) 555-8097", found(&[2])),
        ("us_phone:(208) 555-8097", found(&[2])),
        ("us_phone:+1 208 555 8097", found(&[2])),
        ("us_phone:1-208-555-8097", found(&[2])),
        ("de_phone:+1 (208) 555-8097", found(&[2])),
        // Hans in Berlin, stored nationally as "030-0074321".
        ("de_phone:030-0074321", found(&[3])),
        ("de_phone:+49 30 0074321", found(&[3])),
        ("de_phone:0049 30 0074321", found(&[3])),
        // In Sweden 030-0074321 is a Kungsbacka number: the +49 one is not stored so.
        ("phone:+49 30 0074321", (4, vec![])),
        ("phone:0300-07 43 21", found(&[3])),
        // Åsa, stored "070-123 45 67".
        ("phone:070-123 45 67", found(&[1])),
        ("phone:+46 70 123 45 67", found(&[1])),
        ("phone:0046 70 123 45 67", found(&[1])),
        ("phone:+46 (0)70-123 45 67", found(&[1])),
        ("de_phone:+46 70 123 45 67", (4, vec![])), // 070-… is no German number
        // Olle, stored "0046 70 999 88 77".
        ("phone:070-999 88 77", found(&[4])),
        ("de_phone:0046 70 999 88 77", found(&[4])),
        // A neighbouring number is nobody.
        ("phone:070-123 45 68", (4, vec![])),
        ("us_phone:(208) 555-8098", (4, vec![])),
    ] {
        assert_eq!(customers(&env, subject), want, "{subject}");
    }
}

#[test]
fn a_phone_that_is_no_number_in_the_kinds_region_is_a_usage_error() {
    let env = TestEnv::rental();
    for (subject, region) in [
        ("phone:(208) 555-8097", "SE"),
        ("us_phone:070-123 45 67", "US"),
        ("us_phone:0046 70 123 45 67", "US"),
        ("phone:070 12", "SE"),
    ] {
        let out = env.run(&["extract", subject]);
        assert_eq!(out.code, 2, "{subject}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "subject 1: phone: not a valid phone number when read in region {region}"
            )) && out.stderr.contains("country code"),
            "{}",
            out.stderr
        );
        let digits = subject.rsplit(':').next().unwrap_or_default();
        assert!(!out.stderr.contains(digits), "{}", out.stderr);
    }
    let out = env.run(&["extract", "phone:070-ABC 45 67"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("only digits, spaces"), "{}", out.stderr);
}

/// A mention of an international number in free text is found for the
/// subject whose stored number it is, whatever region the kind reads in.
#[test]
fn international_numbers_are_found_in_free_text() {
    let env = TestEnv::rental();
    for subject in ["us_phone:(208) 555-8097", "phone:+1 (208) 555-8097"] {
        let out = env.run(&["extract", subject]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let doc = out.json();
        let rows = &doc["mentions"]["support_note"]["rows"];
        let notes: Vec<&serde_json::Value> = rows
            .as_array()
            .map(|r| r.iter().map(|x| &x["key"]["note_id"]).collect())
            .unwrap_or_default();
        assert_eq!(notes, [&serde_json::json!(2)], "{subject}: {doc}");
    }
}

/// A text key stored with padding is found by the key without it.
#[test]
fn padded_text_keys_are_found() {
    let env = TestEnv::rental();
    for subject in ["customer_no:C-1002", "customer_no:  C-1002 "] {
        assert_eq!(
            customers(&env, subject),
            (0, vec![serde_json::json!(2)]),
            "{subject}"
        );
    }
    env.conn()
        .execute_batch(
            "UPDATE customer SET customer_no = char(9) || 'C-1003' WHERE customer_id = 3",
        )
        .expect("pad");
    assert_eq!(
        customers(&env, "customer_no:C-1003"),
        (0, vec![serde_json::json!(3)])
    );
    assert_eq!(customers(&env, "customer_no:C-100").0, 4);
    assert_eq!(customers(&env, "customer_no:C-10020").0, 4);
}

/// ÅSA.ÖBERG@EXAMPLE.SE and åsa.öberg@example.se are one address, through
/// the NOCASE index (customer.email) and the scan (newsletter, keyed by the
/// address, no NOCASE index), in both directions.
#[test]
fn unicode_email_matches_in_both_directions() {
    let env = TestEnv::rental();
    for subject in [
        "email:åsa.öberg@example.se",
        "email:ÅSA.ÖBERG@EXAMPLE.SE",
        "email:Åsa.Öberg@Example.se",
    ] {
        let out = env.run(&["extract", subject]);
        assert_eq!(out.code, 0, "{subject}: {}", out.stderr);
        assert_eq!(ids(&out, "customer", "customer_id"), [serde_json::json!(1)]);
        assert_eq!(
            ids(&out, "newsletter", "email"),
            [serde_json::json!("åsa.öberg@example.se")]
        );
    }
    let out = env.run(&["extract", "email:mary.smith@EXAMPLE.com"]);
    assert_eq!(ids(&out, "customer", "customer_id"), [serde_json::json!(2)]);
    assert_eq!(
        ids(&out, "newsletter", "email"),
        [serde_json::json!("MARY.SMITH@example.com ")]
    );
    // Not the same address without the Swedish letters.
    assert_eq!(customers(&env, "email:asa.oberg@example.se").0, 4);
}

/// Personnummer with a space or an en dash, in the request and in the store.
#[test]
fn personnummer_with_space_or_en_dash() {
    let env = TestEnv::rental();
    for (subject, customer) in [
        ("personnummer:19801223 1604", 1),
        ("personnummer:801223 1604", 1),
        ("personnummer:801223-1604", 1),
        ("personnummer:198012231604", 1),
        ("personnummer:750601\u{2013}0011", 3),
        ("personnummer:19750601 0011", 3),
        ("personnummer:750601-0011", 3),
    ] {
        assert_eq!(
            customers(&env, subject),
            (0, vec![serde_json::json!(customer)]),
            "{subject}"
        );
    }
}

/// The same on the demo tenant: its customers table has NOCASE, personnummer
/// and customer_no indexes; values rewritten into the forms under test are
/// found through them, without reading the table.
#[test]
fn stored_forms_on_the_demo_tenant() {
    let env = TestEnv::demo(30);
    let conn = env.conn();
    let today = jiff::civil::date(2026, 11, 22);
    let se = dsr::ident::Kind::Phone(dsr::ident::Region::DEFAULT);
    let all: Vec<(String, Option<String>, Option<String>)> = conn
        .prepare("SELECT customer_no, personnummer, phone FROM customers ORDER BY id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let key_of = |p: &str| dsr::ident::normalize(se, p, today).expect("phone");
    // One with a personnummer and a phone number of their own (the demo
    // has customers who share one).
    let (no, pnr, phone) = all
        .iter()
        .find_map(|(no, pnr, phone)| {
            let (pnr, phone) = (pnr.as_ref()?, phone.as_ref()?);
            let shared = all
                .iter()
                .filter(|(_, _, p)| p.as_deref().is_some_and(|p| key_of(p) == key_of(phone)))
                .count();
            (shared == 1).then(|| (no.clone(), pnr.clone(), phone.clone()))
        })
        .expect("a customer");
    let key = dsr::ident::normalize(dsr::ident::Kind::Personnummer, &pnr, today).expect("pnr");
    let spaced = format!("{} {}", &key[..8], &key[8..]);
    conn.execute(
        "UPDATE customers SET customer_no = ?1, personnummer = ?2, email = 'ÖRJAN.ÅSTRÖM@EXAMPLE.SE' WHERE customer_no = ?3",
        rusqlite::params![format!("{no}  "), spaced, no],
    )
    .expect("rewrite");
    drop(conn);
    let dashed = format!("{}\u{2013}{}", &key[2..8], &key[8..]);
    // Written as the store does not hold it.
    let phone_key = key_of(&phone);
    let phone_key = if phone == phone_key {
        format!("0{}", &phone_key[3..])
    } else {
        phone_key
    };
    for subject in [
        format!("customer_no:{no}"),
        format!("personnummer:{dashed}"),
        format!("personnummer:{spaced}"),
        "email:örjan.åström@example.se".to_string(),
        format!("phone:{phone_key}"),
    ] {
        let out = env.run(&["extract", &subject]);
        assert_eq!(out.code, 0, "{subject}: {}", out.stderr);
        let nos = ids(&out, "customers", "customer_no");
        assert_eq!(nos, [serde_json::json!(format!("{no}  "))], "{subject}");
    }
}

/// Where an index can answer exactly (text keys, personnummer, ASCII and
/// non-ASCII email through a NOCASE index), no table is read; padded and
/// Unicode values are among what it answers.
#[test]
fn prefix_lookups_scan_no_table() {
    let env = TestEnv::rental();
    // Only the indexed identify columns, so that the count is this test's.
    let map = std::fs::read_to_string(&env.map).expect("map");
    let (head, rest) = map.split_once("[tables.newsletter]").expect("newsletter");
    let (_, tail) = rest.split_once("[tables.rental]").expect("rental");
    let map = format!("{head}[tables.rental]{tail}").replace(
        "identify = { email = \"email\", personnummer = \"personnummer\", phone = \"phone\", customer_no = \"customer_no\", us_phone = \"phone\", de_phone = \"phone\" }",
        "identify = { email = \"email\", customer_no = \"customer_no\" }",
    );
    assert!(
        !map.contains("us_phone = \"phone\""),
        "the identify line changed"
    );
    std::fs::write(&env.map, map).expect("write map");
    let today = jiff::civil::date(2026, 11, 22);
    let map = dsr::map::load(&env.map).expect("map");
    let store = dsr::store::open(
        env.store.to_str().expect("utf8"),
        dsr::store::Mode::ReadOnly,
        today,
    )
    .expect("store");
    let schema = store.schema().expect("schema");
    let customer = map.table_index("customer").expect("customer");
    for (subject, want) in [
        ("customer_no:C-1002", 2),
        ("email:ÅSA.ÖBERG@EXAMPLE.SE", 1),
        ("email:hans@EXAMPLE.de", 3),
    ] {
        let ids = dsr::graph::parse_subjects(&map, &[subject.to_string()], today).expect("ids");
        let b = dsr::graph::resolve(&store, &schema, &map, &ids).expect("resolve");
        let keys: Vec<&dsr::value::Value> =
            b.tables[customer].rows.iter().map(|r| &r.key[0]).collect();
        assert_eq!(keys, [&dsr::value::Value::Integer(want)], "{subject}");
    }
    assert_eq!(store.scanned_rows(), 0, "every lookup used an index");
}

/// An identifier far over any real one's length is exit 2 with a short
/// message that does not repeat it (once SQLite's "LIKE or GLOB pattern too
/// complex", exit 1), on both schemas and for every kind.
#[test]
fn over_long_identifiers_are_usage_errors() {
    let long = "x".repeat(50_000);
    for (env, kinds) in [
        (
            TestEnv::rental(),
            vec!["customer_no", "email", "phone", "personnummer"],
        ),
        (
            TestEnv::agency(),
            vec!["contact_id", "email", "personnummer"],
        ),
    ] {
        for kind in kinds {
            for command in [
                &["extract"][..],
                &["erase", "--yes"],
                &["export", "--format", "json", "-o", "-"],
            ] {
                let subject = format!("{kind}:{long}");
                let mut args: Vec<&str> = command.to_vec();
                args.push(&subject);
                let out = env.run(&args);
                assert_eq!(out.code, 2, "{kind} {command:?}: {}", out.stderr);
                assert!(
                    out.stderr
                        .contains("the value is 50000 bytes long, more than the 1024"),
                    "{}",
                    out.stderr
                );
                assert!(
                    out.stderr.len() < 300 && !out.stderr.contains("xxxxxxxxxx"),
                    "{}",
                    out.stderr
                );
            }
        }
        // A long kind name is not echoed in full either.
        let out = env.run(&["extract", &format!("{long}:1")]);
        assert_eq!(out.code, 2);
        assert!(out.stderr.len() < 400, "{}", out.stderr);
    }
}

/// The map's `region` and a kind's own are checked, with positions.
#[test]
fn unknown_regions_are_map_errors() {
    let env = TestEnv::rental();
    let map = std::fs::read_to_string(&env.map).expect("map");
    let map = map
        .replacen("version = 1\n", "version = 1\nregion = \"SWE\"\n", 1)
        .replace("region = \"DE\"", "region = \"ZZ\"");
    std::fs::write(&env.map, &map).expect("write");
    let out = env.run(&["check"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let line = |needle: &str| map.lines().position(|l| l.contains(needle)).expect(needle) + 1;
    assert!(
        out.stderr.contains(&format!(
            "datamap.toml:{}:10: region: unknown region \"SWE\" for phone numbers",
            line("region = \"SWE\"")
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "datamap.toml:{}:39: identifiers.de_phone.region: unknown region \"ZZ\"",
            line("region = \"ZZ\"")
        )),
        "{}",
        out.stderr
    );
}
