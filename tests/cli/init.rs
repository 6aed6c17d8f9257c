//! `dsr init`: the draft map from a store, and `check --strict`.

use crate::TestEnv;
use std::collections::BTreeMap;

/// A value in a column that is not personal: it must never leave dsr.
pub const SECRET: &str = "zebra-ultramarine-4471";

/// A schema shaped like a real application: Swedish and English names, a
/// WITHOUT ROWID table, composite keys, a self-reference, free text found
/// by name and by content, an invoice table.
const SHOP: &str = r#"
CREATE TABLE kunder (
  id INTEGER PRIMARY KEY,
  kundnummer TEXT NOT NULL UNIQUE,
  "förnamn" TEXT,
  efternamn TEXT NOT NULL,
  "e-post" TEXT NOT NULL,
  telefon TEXT,
  personnummer TEXT,
  gatuadress TEXT,
  postnummer TEXT,
  ort TEXT,
  "födelsedatum" DATE,
  anteckningar TEXT,
  favourite_colour TEXT,
  referred_by INTEGER REFERENCES kunder(id)
);
CREATE TABLE users (
  user_id INTEGER PRIMARY KEY,
  email VARCHAR(40) NOT NULL,
  first_name TEXT,
  last_name TEXT,
  mobile TEXT,
  contact TEXT,
  created_at TEXT
);
CREATE TABLE sessions (
  user_id INTEGER NOT NULL REFERENCES users(user_id),
  started_at TEXT NOT NULL,
  ip TEXT,
  PRIMARY KEY (user_id, started_at)
) WITHOUT ROWID;
CREATE TABLE org_members (
  org TEXT NOT NULL,
  member_no INTEGER NOT NULL,
  user_id INTEGER REFERENCES users(user_id),
  PRIMARY KEY (org, member_no)
) WITHOUT ROWID;
CREATE TABLE member_notes (
  id INTEGER PRIMARY KEY,
  org TEXT NOT NULL,
  member_no INTEGER NOT NULL,
  details TEXT,
  FOREIGN KEY (org, member_no) REFERENCES org_members(org, member_no)
);
CREATE TABLE fakturor (
  id INTEGER PRIMARY KEY,
  kund_id INTEGER NOT NULL REFERENCES kunder(id),
  "utfärdad" DATE NOT NULL,
  belopp_ore INTEGER NOT NULL
);
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, sku TEXT);
INSERT INTO kunder VALUES
  (1, 'K-1001', 'Anna', 'Berg', 'anna@example.se', '070-123 45 67', '19811218-9876', 'Storgatan 1', '111 22', 'Stockholm', '1981-12-18', 'Ringer helst på kvällen', 'zebra-ultramarine-4471', NULL),
  (2, 'K-1002', 'Bo', 'Ek', 'bo@example.se', '+46701234568', '19121212-1212', 'Lillgatan 2', '222 33', 'Malmö', '1912-12-12', NULL, 'zebra-ultramarine-4471', 1),
  (3, 'K-1003', 'Cia', 'Ås', 'cia@example.se', NULL, '19701063-2391', NULL, NULL, NULL, NULL, NULL, 'zebra-ultramarine-4471', 1);
INSERT INTO users VALUES
  (1, 'ann@example.com', 'Ann', 'Lee', '+44 7700 900123', 'ann.lee@example.com', '2026-01-01'),
  (2, 'ben@example.com', 'Ben', 'Cho', NULL, 'ben.cho@example.com', '2026-02-01');
INSERT INTO sessions VALUES (1, '2026-03-01T10:00', '192.0.2.10'), (2, '2026-03-02T11:00', '2001:db8::1');
INSERT INTO org_members VALUES ('acme', 1, 1), ('acme', 2, 2);
INSERT INTO member_notes VALUES
  (1, 'acme', 1, 'Asked us to call back on Monday about the renewal of the contract'),
  (2, 'acme', 2, 'Complained that the last delivery arrived two weeks late and damaged');
INSERT INTO fakturor VALUES (1, 1, '2026-01-31', 12500), (2, 2, '2026-02-28', 9900);
INSERT INTO products VALUES (1, 'Widget', 'W-1'), (2, 'Gadget', 'G-2');
"#;

fn shop() -> TestEnv {
    let env = TestEnv::empty();
    env.conn()
        .execute_batch(SHOP)
        .expect("build the shop store");
    env
}

pub fn draft(env: &TestEnv) -> (String, toml::Table) {
    let out = env.run(&["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: toml::Table = toml::from_str(&out.stdout).expect("the draft is TOML");
    (out.stdout, doc)
}

pub fn table<'a>(doc: &'a toml::Table, name: &str) -> &'a toml::Table {
    doc["tables"][name].as_table().expect(name)
}

/// column -> (category, erase) of a draft table.
pub fn columns(doc: &toml::Table, name: &str) -> BTreeMap<String, (String, String)> {
    let Some(cols) = table(doc, name).get("columns").and_then(|c| c.as_table()) else {
        return BTreeMap::new();
    };
    cols.iter()
        .map(|(k, v)| {
            let s = |f: &str| v.get(f).and_then(|x| x.as_str()).unwrap_or("").to_string();
            (k.clone(), (s("category"), s("erase")))
        })
        .collect()
}

pub fn cols(pairs: &[(&str, &str, &str)]) -> BTreeMap<String, (String, String)> {
    pairs
        .iter()
        .map(|(c, cat, e)| (c.to_string(), (cat.to_string(), e.to_string())))
        .collect()
}

pub fn write_draft_and_check(env: &TestEnv, strict: bool) -> serde_json::Value {
    let out = env.run(&["init", "-o", "draft.toml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    std::fs::copy(env.path("draft.toml"), &env.map).expect("the draft as the tenant's map");
    let mut args = vec!["--json", "check"];
    if strict {
        args.push("--strict");
    }
    let out = env.run(&args);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json();
    assert_eq!(doc["errors"], 0, "{}", out.stdout);
    doc
}

#[test]
fn the_draft_of_an_application_schema_is_exact() {
    let env = shop();
    let (text, doc) = draft(&env);
    assert_shop_draft(&text, &doc);
}

/// The draft of the shop schema, the same on every store.
pub fn assert_shop_draft(text: &str, doc: &toml::Table) {
    let ids: BTreeMap<String, String> = doc["identifiers"]
        .as_table()
        .expect("identifiers")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        ids,
        [
            ("customer_no", "text"),
            ("email", "email"),
            ("personnummer", "personnummer"),
            ("phone", "phone")
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    );

    let kunder = table(doc, "kunder");
    assert_eq!(kunder["subjects"].as_bool(), Some(true));
    assert_eq!(kunder["on_erase"].as_str(), Some("anonymize"));
    assert_eq!(
        kunder["identify"].to_string(),
        "{ customer_no = \"kundnummer\", email = \"e-post\", phone = \"telefon\", personnummer = \"personnummer\" }"
    );
    assert!(
        kunder.get("link").is_none(),
        "the self-reference is not followed"
    );
    assert!(text.contains(
        "# Not followed: a self-reference (referred_by → id): following it would put other people's rows into a subject's copy"
    ));
    assert!(text.contains("# link = { to = \"kunder\", on = { referred_by = \"id\" } }"));
    assert_eq!(
        columns(doc, "kunder"),
        cols(&[
            ("kundnummer", "identity.customer_number", "hash"),
            ("förnamn", "identity.name", "redact"),
            ("efternamn", "identity.name", "redact"),
            ("e-post", "contact.email", "hash"),
            ("telefon", "contact.phone", "null"),
            ("personnummer", "identity.national_id", "hash"),
            ("gatuadress", "contact.address", "redact"),
            ("postnummer", "contact.address", "redact"),
            ("ort", "contact.address", "redact"),
            ("födelsedatum", "identity.birth_date", "null"),
            ("anteckningar", "content.free_text", "redact"),
        ])
    );
    assert_eq!(
        doc["tables"]["kunder"]["columns"]["anteckningar"]["scan"].as_bool(),
        Some(true)
    );

    let users = table(doc, "users");
    assert_eq!(users["subjects"].as_bool(), Some(true));
    assert_eq!(
        users["identify"].to_string(),
        "{ email = [\"email\", \"contact\"], phone = \"mobile\" }"
    );
    assert_eq!(
        columns(doc, "users"),
        cols(&[
            // VARCHAR(40) NOT NULL: a hash does not fit, NULL is not allowed.
            ("email", "contact.email", "redact"),
            ("first_name", "identity.name", "redact"),
            ("last_name", "identity.name", "redact"),
            ("mobile", "contact.phone", "null"),
            // Found by its values; its name says nothing.
            ("contact", "contact.email", "hash"),
        ])
    );

    let link = |t: &str| table(doc, t)["link"].to_string();
    assert_eq!(
        link("sessions"),
        "{ to = \"users\", on = { user_id = \"user_id\" } }"
    );
    assert_eq!(
        columns(doc, "sessions"),
        cols(&[("ip", "online.ip_address", "null")])
    );
    assert_eq!(
        link("member_notes"),
        "{ to = \"org_members\", on = { org = \"org\", member_no = \"member_no\" } }"
    );
    assert_eq!(
        columns(doc, "member_notes"),
        cols(&[("details", "content.free_text", "redact")])
    );
    assert_eq!(
        link("org_members"),
        "{ to = \"users\", on = { user_id = \"user_id\" } }"
    );
    assert_eq!(columns(doc, "org_members"), cols(&[]));
    assert_eq!(
        link("fakturor"),
        "{ to = \"kunder\", on = { kund_id = \"id\" } }"
    );
    assert_eq!(columns(doc, "fakturor"), cols(&[]));
    assert!(text.contains(
        "# hold = { after = \"utfärdad\", keep = \"7y\", round = \"year_end\", reason = \"Bokföringslagen 7 kap. 2 §\" }"
    ));
    // A product's name is not a person's; listed (check would ask) without a category.
    assert_eq!(columns(doc, "products"), cols(&[("name", "", "")]));
    assert_eq!(table(doc, "products")["on_erase"].as_str(), Some("keep"));
    for t in ["kunder", "users", "sessions", "fakturor", "products"] {
        assert_eq!(
            table(doc, t)["purpose"].as_str(),
            Some("TODO: why this table is processed")
        );
    }
}

#[test]
fn the_draft_of_the_application_schema_passes_check_even_strict() {
    let env = shop();
    let doc = write_draft_and_check(&env, true);
    let todos = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["place"] == "TODO")
        .count();
    let text = std::fs::read_to_string(env.path("draft.toml")).expect("draft");
    assert_eq!(todos, text.lines().filter(|l| l.contains("TODO")).count());
    assert!(todos > 7 * 4, "{todos}");
}

#[test]
fn sampled_values_never_leave_dsr() {
    let env = shop();
    let out = env.run(&["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_no_sampled_value(&out);
}

/// Neither the draft nor the status shows a value dsr sampled.
pub fn assert_no_sampled_value(out: &crate::Outcome) {
    for v in [
        SECRET,
        "anna@example.se",
        "19811218-9876",
        "192.0.2.10",
        "Widget",
    ] {
        assert!(!out.stdout.contains(v), "{v} in the draft");
        assert!(!out.stderr.contains(v), "{v} on stderr");
    }
    assert!(!out.stdout.contains("favourite_colour"));
}

#[test]
fn output_is_a_new_private_file_and_never_overwritten() {
    let env = shop();
    std::fs::write(env.path("draft.toml"), "mine").expect("write");
    let out = env.run(&["init", "-o", "draft.toml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(env.path("draft.toml")).expect("read"),
        "mine"
    );
    let out = env.run(&["init", "-o", "draft.toml", "--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(env.path("draft.toml")).expect("read");
    assert!(
        text.starts_with("# Draft data map written by `dsr init`"),
        "{text}"
    );
    assert!(out.stdout.is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let out = env.run(&["init", "-o", "fresh.toml"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let mode = std::fs::metadata(env.path("fresh.toml"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = env.run(&["init", "-o", "-"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("# Draft data map"));
}

/// Every column the fixture's own map erases or identifies by, and no
/// foreign-key column, is among the draft's personal columns.
fn finds_what_the_fixture_declares(env: TestEnv) {
    let conn = env.conn();
    let names = |sql: String| -> Vec<String> {
        conn.prepare(&sql)
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .expect("the store's keys")
    };
    finds_declared(&env, |tn| TableKeys {
        foreign: names(format!(
            "SELECT \"from\" FROM pragma_foreign_key_list('{tn}')"
        )),
        primary: names(format!(
            "SELECT name FROM pragma_table_info('{tn}') WHERE pk > 0"
        )),
    });
}

/// A table's foreign-key and primary-key columns, as the store has them.
pub struct TableKeys {
    pub foreign: Vec<String>,
    pub primary: Vec<String>,
}

/// [`finds_what_the_fixture_declares`] on any store: `keys` reads a
/// table's keys from it.
pub fn finds_declared(env: &TestEnv, keys: impl Fn(&str) -> TableKeys) {
    let own: toml::Table =
        toml::from_str(&std::fs::read_to_string(&env.map).expect("map")).expect("toml");
    let (_, doc) = draft(env);
    write_draft_and_check(env, false);
    for (tn, t) in own["tables"].as_table().expect("tables") {
        let found = columns(&doc, tn);
        let personal = |c: &str| found.get(c).is_some_and(|(cat, _)| !cat.is_empty());
        let mut declared: Vec<String> = Vec::new();
        if let Some(cols) = t.get("columns").and_then(|c| c.as_table()) {
            for (c, v) in cols {
                if v.get("erase")
                    .and_then(|e| e.as_str())
                    .is_some_and(|e| e != "keep")
                {
                    declared.push(c.clone());
                }
            }
        }
        if let Some(idf) = t.get("identify").and_then(|i| i.as_table()) {
            for v in idf.values() {
                match v {
                    toml::Value::String(c) => declared.push(c.clone()),
                    toml::Value::Array(a) => {
                        declared.extend(a.iter().filter_map(|c| c.as_str().map(String::from)))
                    }
                    _ => {}
                }
            }
        }
        let TableKeys {
            foreign: fk_cols,
            primary,
        } = keys(tn);
        for c in declared {
            // Keys used as identifiers (a customer's own id) are not found by name.
            let is_key = primary.contains(&c);
            if is_key || fk_cols.contains(&c) {
                continue;
            }
            assert!(
                personal(&c),
                "{tn}.{c} is personal in the fixture's map, not in the draft: {found:?}"
            );
        }
        for c in &fk_cols {
            assert!(
                !personal(c),
                "{tn}.{c} is a foreign key, but the draft calls it personal"
            );
        }
    }
}

#[test]
fn the_agency_draft_finds_the_declared_columns_and_passes_check() {
    finds_what_the_fixture_declares(TestEnv::agency());
}

#[test]
fn the_rental_draft_finds_the_declared_columns_and_passes_check() {
    finds_what_the_fixture_declares(TestEnv::rental());
}

#[test]
fn the_demo_draft_finds_the_declared_columns_and_passes_check() {
    finds_what_the_fixture_declares(TestEnv::demo(30));
}

#[test]
fn strict_check_fails_on_schema_drift() {
    for env in [TestEnv::agency(), TestEnv::rental()] {
        env.conn()
            .execute_batch("CREATE TABLE audit_extra (id INTEGER PRIMARY KEY, kind TEXT);")
            .expect("alter");
        let out = env.run(&["check"]);
        assert_eq!(out.code, 0, "{}", out.stdout);
        let out = env.run(&["check", "--strict"]);
        assert_eq!(out.code, 3, "{}", out.stdout);
        assert!(
            out.stdout.contains(
                "error: audit_extra: the store's table \"audit_extra\" is not in the map"
            ),
            "{}",
            out.stdout
        );
    }
    // A draft is strict-clean; a personal column added later is drift.
    let env = shop();
    write_draft_and_check(&env, true);
    env.conn()
        .execute_batch("ALTER TABLE sessions ADD COLUMN home_phone TEXT;")
        .expect("alter");
    assert_eq!(env.run(&["check"]).code, 0);
    let out = env.run(&["check", "--strict"]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "error: sessions.home_phone: is not mapped, but its name suggests personal data"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn json_gives_a_summary_and_needs_a_file_for_the_draft() {
    let env = shop();
    let out = env.run(&["--json", "init"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    let out = env.run(&["--json", "init", "-o", "draft.toml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["schema"], "dsr.init/1");
    assert_eq!(doc["tables"], 7);
    assert_eq!(doc["subjects"], 2);
    assert_eq!(doc["personal_columns"], 18);
    assert!(doc["output"]
        .as_str()
        .is_some_and(|p| p.ends_with("draft.toml")));
}
