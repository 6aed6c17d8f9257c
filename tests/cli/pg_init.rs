//! `dsr init` and `check --strict` on PostgreSQL: the shop schema in
//! PostgreSQL's own types gives the draft it gives on SQLite, the agency
//! and demo drafts find what their maps declare, and drift fails strict
//! check. Skipped without DSR_TEST_POSTGRES_URL (failing under CI=true).

use crate::init::{
    assert_no_sampled_value, assert_shop_draft, draft, finds_declared, write_draft_and_check,
    TableKeys,
};
use crate::TestEnv;
use dsr::store::pg::testing::{TestSchema, VAR};

/// The shop of `init.rs` as an application on PostgreSQL writes it:
/// identity and serial keys, `date`, `timestamp`, `timestamptz`, `inet`,
/// `numeric`, and a table keyed by two columns in place of WITHOUT ROWID.
const SHOP_PG: &str = r#"
CREATE TABLE kunder (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kundnummer text NOT NULL UNIQUE,
  "förnamn" text,
  efternamn text NOT NULL,
  "e-post" text NOT NULL,
  telefon text,
  personnummer text,
  gatuadress text,
  postnummer text,
  ort text,
  "födelsedatum" date,
  anteckningar text,
  favourite_colour text,
  referred_by bigint REFERENCES kunder(id)
);
CREATE TABLE users (
  user_id integer PRIMARY KEY,
  email varchar(40) NOT NULL,
  first_name text,
  last_name text,
  mobile text,
  contact text,
  created_at timestamptz
);
CREATE TABLE sessions (
  user_id integer NOT NULL REFERENCES users(user_id),
  started_at timestamp NOT NULL,
  ip inet,
  PRIMARY KEY (user_id, started_at)
);
CREATE TABLE org_members (
  org text NOT NULL,
  member_no integer NOT NULL,
  user_id integer REFERENCES users(user_id),
  PRIMARY KEY (org, member_no)
);
CREATE TABLE member_notes (
  id serial PRIMARY KEY,
  org text NOT NULL,
  member_no integer NOT NULL,
  details text,
  FOREIGN KEY (org, member_no) REFERENCES org_members(org, member_no)
);
CREATE TABLE fakturor (
  id serial PRIMARY KEY,
  kund_id bigint NOT NULL REFERENCES kunder(id),
  "utfärdad" date NOT NULL,
  belopp numeric(12,2) NOT NULL
);
CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL, sku text);
CREATE TABLE logins (id serial PRIMARY KEY, user_id integer REFERENCES users(user_id), source inet, token uuid);
INSERT INTO kunder (kundnummer, "förnamn", efternamn, "e-post", telefon, personnummer, gatuadress, postnummer, ort, "födelsedatum", anteckningar, favourite_colour, referred_by) VALUES
  ('K-1001', 'Anna', 'Berg', 'anna@example.se', '070-123 45 67', '19811218-9876', 'Storgatan 1', '111 22', 'Stockholm', '1981-12-18', 'Ringer helst på kvällen', 'zebra-ultramarine-4471', NULL),
  ('K-1002', 'Bo', 'Ek', 'bo@example.se', '+46701234568', '19121212-1212', 'Lillgatan 2', '222 33', 'Malmö', '1912-12-12', NULL, 'zebra-ultramarine-4471', 1),
  ('K-1003', 'Cia', 'Ås', 'cia@example.se', NULL, '19701063-2391', NULL, NULL, NULL, NULL, NULL, 'zebra-ultramarine-4471', 1);
INSERT INTO users VALUES
  (1, 'ann@example.com', 'Ann', 'Lee', '+44 7700 900123', 'ann.lee@example.com', '2026-01-01T00:00:00Z'),
  (2, 'ben@example.com', 'Ben', 'Cho', NULL, 'ben.cho@example.com', '2026-02-01T00:00:00Z');
INSERT INTO sessions VALUES (1, '2026-03-01T10:00', '192.0.2.10'), (2, '2026-03-02T11:00', '2001:db8::1');
INSERT INTO org_members VALUES ('acme', 1, 1), ('acme', 2, 2);
INSERT INTO member_notes (org, member_no, details) VALUES
  ('acme', 1, 'Asked us to call back on Monday about the renewal of the contract'),
  ('acme', 2, 'Complained that the last delivery arrived two weeks late and damaged');
INSERT INTO fakturor (kund_id, "utfärdad", belopp) VALUES (1, '2026-01-31', 125.00), (2, '2026-02-28', 99.00);
INSERT INTO products (name, sku) VALUES ('Widget', 'W-1'), ('Gadget', 'G-2');
INSERT INTO logins (user_id, source, token) VALUES
  (1, '192.0.2.10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), (2, '2001:db8::1', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12');
"#;

/// A tenant in a PostgreSQL schema of its own; `env.store` is its URL, so
/// `env.run` passes `--store postgres://…?schema=…`.
struct PgTenant {
    env: TestEnv,
    schema: TestSchema,
}

impl PgTenant {
    fn new(label: &str, sql: &str) -> Option<PgTenant> {
        let schema = TestSchema::new(label)?;
        if !sql.is_empty() {
            schema.exec(sql);
        }
        let raw = std::env::var(VAR).expect("the server's URL");
        let sep = if raw.contains('?') { '&' } else { '?' };
        let mut env = TestEnv::empty();
        env.store = format!("{raw}{sep}schema={}", schema.name).into();
        Some(PgTenant { env, schema })
    }

    /// The columns of a table's constraints of one type, from the catalog.
    fn key_columns(&self, table: &str, kind: &str) -> Vec<String> {
        let mut c = dsr::store::pg::connect(&self.schema.url())
            .expect("connect")
            .client;
        c.query(
            "SELECT k.column_name::text FROM information_schema.table_constraints t \
             JOIN information_schema.key_column_usage k \
               ON k.constraint_schema = t.constraint_schema AND k.constraint_name = t.constraint_name \
             WHERE t.table_schema = $1 AND t.table_name = $2 AND t.constraint_type = $3",
            &[&self.schema.name, &table, &kind],
        )
        .expect("the catalog")
        .iter()
        .map(|r| r.get(0))
        .collect()
    }

    fn keys(&self, table: &str) -> TableKeys {
        TableKeys {
            foreign: self.key_columns(table, "FOREIGN KEY"),
            primary: self.key_columns(table, "PRIMARY KEY"),
        }
    }
}

#[test]
fn pg_the_shop_draft_is_the_sqlite_one_and_passes_strict_check() {
    let Some(t) = PgTenant::new("init_shop", SHOP_PG) else {
        return;
    };
    let (text, doc) = draft(&t.env);
    assert_shop_draft(&text, &doc);
    // Beyond the SQLite shop: an inet column found by its values, a uuid
    // that is no one's.
    assert_eq!(
        crate::init::columns(&doc, "logins"),
        crate::init::cols(&[("source", "online.ip_address", "null")])
    );
    assert!(
        text.contains(
            "source = { category = \"online.ip_address\", erase = \"null\" }   # by its values"
        ),
        "{text}"
    );
    let out = t.env.run(&["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_no_sampled_value(&out);
    assert_eq!(out.stdout, text, "the same draft twice");
    write_draft_and_check(&t.env, true);

    // Drift: an unmapped table, and a personal column added later.
    t.schema.exec(
        "CREATE TABLE audit_extra (id serial PRIMARY KEY, kind text);
         ALTER TABLE sessions ADD COLUMN home_phone text;",
    );
    assert_eq!(t.env.run(&["check"]).code, 0);
    let out = t.env.run(&["check", "--strict"]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    for want in [
        "error: audit_extra: the store's table \"audit_extra\" is not in the map",
        "error: sessions.home_phone: is not mapped, but its name suggests personal data",
    ] {
        assert!(out.stdout.contains(want), "{want}\n{}", out.stdout);
    }
}

/// A fixture's `schema.pg.sql` in a schema of its own, its map copied.
fn fixture_finds_declared(name: &str) {
    let sql = std::fs::read_to_string(crate::fixture(&format!("{name}/schema.pg.sql")))
        .expect("schema.pg.sql");
    let Some(t) = PgTenant::new(&format!("init_{name}"), &sql) else {
        return;
    };
    std::fs::copy(crate::fixture(&format!("{name}/datamap.toml")), &t.env.map).expect("copy map");
    finds_declared(&t.env, |tn| t.keys(tn));
}

#[test]
fn pg_the_agency_draft_finds_the_declared_columns_and_passes_check() {
    fixture_finds_declared("agency");
}

#[test]
fn pg_the_rental_draft_finds_the_declared_columns_and_passes_check() {
    fixture_finds_declared("rental");
}

#[test]
fn pg_the_demo_draft_finds_the_declared_columns_and_passes_check() {
    let Some(t) = PgTenant::new("init_demo", "") else {
        return;
    };
    let store = t.env.store.display().to_string();
    let out = t.env.run_plain(&[
        "demo",
        ".",
        "--subjects",
        "30",
        "--seed",
        "7",
        "--store",
        &store,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    finds_declared(&t.env, |tn| t.keys(tn));
}
