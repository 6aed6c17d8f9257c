//! Introspection against the real server: the PostgreSQL versions of the
//! agency and rental fixtures read back exactly, and with the same tables,
//! columns, keys, links and indexes as SQLite's `Store::schema` reads
//! from the SQLite fixtures.

use super::connect::connect;
use super::introspect::{read_schema, PgIndexKey, PgSchema, TriggerTiming};
use super::testing::TestSchema;
use super::types::PgType;
use crate::store::schema::Schema;
use std::path::Path;

fn fixture(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn load(label: &str, fixture_path: &str) -> Option<(TestSchema, PgSchema)> {
    let t = TestSchema::new(label)?;
    t.exec(&fixture(fixture_path));
    let mut c = connect(&t.url()).unwrap();
    let s = read_schema(&mut c).unwrap();
    Some((t, s))
}

/// One line per column, key, link and index, in the shared types' terms.
fn dump(s: &Schema) -> String {
    let mut out = String::new();
    for t in &s.tables {
        out.push_str(&format!("{} pk({})\n", t.name, t.pk.join(", ")));
        for c in &t.columns {
            out.push_str(&format!(
                "  {} {}{}{}\n",
                c.name,
                c.decl_type,
                if c.not_null { " not null" } else { "" },
                if c.pk > 0 {
                    format!(" pk{}", c.pk)
                } else {
                    String::new()
                }
            ));
        }
        for fk in &t.foreign_keys {
            out.push_str(&format!(
                "  fk ({}) -> {}({}) on delete {}\n",
                fk.from.join(", "),
                fk.table,
                fk.to.join(", "),
                fk.on_delete
            ));
        }
        for i in &t.indexes {
            let parts: Vec<String> = i
                .parts
                .iter()
                .map(|(c, coll)| format!("{} {coll}", c.as_deref().unwrap_or("<expr>")))
                .collect();
            out.push_str(&format!(
                "  index {} ({}){}\n",
                i.name,
                parts.join(", "),
                if i.partial { " partial" } else { "" }
            ));
        }
    }
    out
}

#[test]
fn agency_reads_back_exactly() {
    let Some((_t, s)) = load("agency", "agency/schema.pg.sql") else {
        return;
    };
    assert_eq!(s.schema.journal_mode, None);
    assert!(s
        .schema
        .tables
        .iter()
        .all(|t| t.row_ids == crate::store::schema::RowIds::InTransaction));
    assert_eq!(
        dump(&s.schema),
        "\
assignments pk(id)
  id bigint not null pk1
  org text
  emp_no text
  contact_id text
  note text
  fk (contact_id) -> contacts(id) on delete NO ACTION
  fk (org, emp_no) -> employees(org, emp_no) on delete SET NULL
  index assignments_contact (contact_id BINARY)
  index assignments_emp (org BINARY, emp_no BINARY)
  index assignments_pkey (id BINARY)
contacts pk(id)
  id text not null pk1
  household_id text
  name text
  email text
  phone text
  created bigint
  photo bytea
  fk (household_id) -> households(id) on delete NO ACTION
  index contacts_email (email NOCASE)
  index contacts_household (household_id BINARY)
  index contacts_pkey (id BINARY)
employees pk(org, emp_no)
  org text not null pk1
  emp_no text not null pk2
  full_name text not null
  email text
  personnummer text
  hired bigint
  index employees_email (email NOCASE)
  index employees_pkey (org BINARY, emp_no BINARY)
  index employees_pnr (personnummer BINARY)
households pk(id)
  id text not null pk1
  primary_contact text
  address text
  gate_code bytea
  fk (primary_contact) -> contacts(id) on delete NO ACTION
  index households_pkey (id BINARY)
  index households_primary (primary_contact BINARY)
messages pk(id)
  id bigint not null pk1
  sender text
  body text
  sent_at text
  index messages_pkey (id BINARY)
payslips pk(id)
  id bigint not null pk1
  org text not null
  emp_no text not null
  paid_on text not null
  amount bigint not null
  fk (org, emp_no) -> employees(org, emp_no) on delete CASCADE
  index payslips_emp (org BINARY, emp_no BINARY)
  index payslips_pkey (id BINARY)
time_reports pk(id)
  id bigint not null pk1
  org text not null
  emp_no text not null
  day bigint not null
  hours double precision
  note text
  fk (org, emp_no) -> employees(org, emp_no) on delete CASCADE
  index time_reports_emp (org BINARY, emp_no BINARY)
  index time_reports_pkey (id BINARY)
visits pk()
  email text
  at text
"
    );
    // What the shared types cannot say.
    let contacts = s.table("contacts").unwrap();
    let fk = &contacts.foreign_keys[0];
    assert_eq!(
        (
            fk.name.as_str(),
            fk.deferrable,
            fk.initially_deferred,
            fk.on_update
        ),
        ("contacts_household_id_fkey", true, true, "NO ACTION")
    );
    let email = contacts
        .indexes
        .iter()
        .find(|i| i.name == "contacts_email")
        .unwrap();
    assert_eq!(
        email.keys,
        [PgIndexKey::Folded {
            column: "email".into()
        }]
    );
    assert_eq!(
        email.definition,
        format!(
            "CREATE INDEX contacts_email ON {}.contacts USING btree (lower(email))",
            _t.name
        )
    );
    assert_eq!(contacts.column("photo").unwrap().ty, PgType::Bytea);
    assert_eq!(contacts.column("photo").unwrap().cast, "pg_catalog.bytea");
    let emp = s.table("employees").unwrap();
    let pkey = emp.indexes.iter().find(|i| i.primary).unwrap();
    assert!(pkey.unique && pkey.method == "btree" && pkey.predicate.is_none());
    assert!(s
        .tables
        .iter()
        .all(|t| t.triggers.is_empty() && t.checks.is_empty()));
}

/// The same tables, columns, NOT NULL, keys, links and indexes as
/// SQLite reads from the SQLite fixture (types aside: TEXT vs text, and
/// each store's own name for its primary-key index).
fn same_as_sqlite(fixture_name: &str, pg: &PgSchema) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&fixture(&format!("{fixture_name}/schema.sql")))
        .unwrap();
    drop(conn);
    let today = jiff::civil::date(2026, 11, 22);
    let store =
        crate::store::open(db.to_str().unwrap(), crate::store::Mode::ReadOnly, today).unwrap();
    let lite = store.schema().unwrap();
    let neutral = |s: &Schema| -> Vec<String> {
        let mut out = Vec::new();
        for t in &s.tables {
            let cols: Vec<String> = t
                .columns
                .iter()
                .map(|c| {
                    format!(
                        "{}{}",
                        c.name,
                        if c.not_null || c.pk > 0 { "!" } else { "" }
                    )
                })
                .collect();
            out.push(format!(
                "{} [{}] pk({})",
                t.name,
                cols.join(" "),
                t.pk.join(",")
            ));
            let mut fks: Vec<String> = t
                .foreign_keys
                .iter()
                .map(|f| format!("  fk {:?}->{}{:?} {}", f.from, f.table, f.to, f.on_delete))
                .collect();
            fks.sort();
            out.extend(fks);
            let mut ix: Vec<String> = t
                .indexes
                .iter()
                .filter(|i| !i.name.starts_with("sqlite_autoindex_") && !i.name.ends_with("_pkey"))
                .map(|i| format!("  index {} {:?} {}", i.name, i.parts, i.partial))
                .collect();
            ix.sort();
            out.extend(ix);
        }
        out
    };
    assert_eq!(neutral(&pg.schema), neutral(&lite));
    // Both tell the same columns apart as numeric or text (but native
    // dates, which hold no text on PostgreSQL).
    for ((p, l), pt) in pg.schema.tables.iter().zip(&lite.tables).zip(&pg.tables) {
        for ((pc, lc), ptc) in p.columns.iter().zip(&l.columns).zip(&pt.columns) {
            if !lc.decl_type.is_empty() && !ptc.ty.is_temporal() {
                assert_eq!(
                    (pc.ty.is_numeric(), pc.ty.holds_text()),
                    (lc.ty.is_numeric(), lc.ty.holds_text()),
                    "{}.{}",
                    p.name,
                    pc.name
                );
            }
        }
    }
}

#[test]
fn agency_matches_sqlite() {
    let Some((_t, s)) = load("agency_lite", "agency/schema.pg.sql") else {
        return;
    };
    same_as_sqlite("agency", &s);
}

#[test]
fn rental_matches_sqlite_and_has_its_triggers() {
    let Some((_t, s)) = load("rental", "rental/schema.pg.sql") else {
        return;
    };
    let names: Vec<&str> = s.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "address",
            "city",
            "customer",
            "newsletter",
            "payment",
            "rental",
            "support_note"
        ]
    );
    let customer = s.table("customer").unwrap();
    assert_eq!(customer.column("create_date").unwrap().ty, PgType::Date);
    assert_eq!(
        customer.column("active").unwrap().default.as_deref(),
        Some("1")
    );
    assert_eq!(
        customer.column("last_update").unwrap().default.as_deref(),
        Some("'2020-01-01 00:00:00'::text")
    );
    for (table, trig) in [
        ("address", "address_touch"),
        ("customer", "customer_touch"),
        ("rental", "rental_touch"),
    ] {
        let t = s.table(table).unwrap();
        assert_eq!(t.triggers.len(), 1, "{table}");
        let tr = &t.triggers[0];
        assert_eq!(
            (
                tr.name.as_str(),
                &tr.timing,
                tr.events.as_slice(),
                tr.for_each_row,
                tr.enabled,
                tr.function.as_str()
            ),
            (
                trig,
                &TriggerTiming::After,
                ["UPDATE"].as_slice(),
                true,
                true,
                trig
            ),
            "{table}"
        );
        assert!(
            tr.definition.contains("WHEN (pg_trigger_depth() < 1)"),
            "{}",
            tr.definition
        );
    }
    let note = s.table("support_note").unwrap();
    assert_eq!(note.foreign_keys[0].on_delete, "CASCADE");
    same_as_sqlite("rental", &s);
}

#[test]
fn native_types_lengths_checks_and_expression_indexes() {
    let Some(t) = TestSchema::new("types") else {
        return;
    };
    t.exec(
        "CREATE TYPE mood AS ENUM ('sad', 'happy');
         CREATE DOMAIN short_email AS varchar(80) CHECK (VALUE LIKE '%@%');
         CREATE TABLE parent (a int, b text, PRIMARY KEY (b, a));
         CREATE TABLE t (
             id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
             n bigint GENERATED ALWAYS AS IDENTITY,
             code varchar(12) NOT NULL,
             initials char(3),
             email short_email,
             amount numeric(12, 2) CHECK (amount >= 0),
             born date, seen timestamptz, at timestamp, span interval,
             doc jsonb, tags text[], grid int[][], m mood, ip inet, photo bytea, ok boolean,
             twice int GENERATED ALWAYS AS (length(code) * 2) STORED,
             pa int, pb text,
             FOREIGN KEY (pb, pa) REFERENCES parent (b, a) ON DELETE SET DEFAULT ON UPDATE CASCADE
         );
         CREATE UNIQUE INDEX t_code_lower ON t (upper(code), initials) WHERE ok;
         CREATE INDEX t_doc ON t USING gin (doc);
         CREATE INDEX t_expr ON t ((code || initials));
         CREATE INDEX t_c ON t (code COLLATE \"C\" text_pattern_ops);",
    );
    let mut c = connect(&t.url()).unwrap();
    let s = read_schema(&mut c).unwrap();
    let tt = s.table("t").unwrap();
    let ty = |n: &str| tt.column(n).unwrap().ty.clone();
    assert_eq!(ty("id"), PgType::Uuid);
    assert_eq!(ty("code"), PgType::Varchar(Some(12)));
    assert_eq!(ty("initials"), PgType::Char(Some(3)));
    assert_eq!(
        ty("email"),
        PgType::Domain("short_email".into(), Box::new(PgType::Varchar(Some(80))))
    );
    assert_eq!(ty("email").max_len(), Some(80));
    assert_eq!(ty("amount"), PgType::Numeric(Some((12, 2))));
    assert_eq!(ty("tags"), PgType::Array(Box::new(PgType::Text)));
    assert_eq!(ty("grid"), PgType::Array(Box::new(PgType::Int4)));
    assert_eq!(ty("m"), PgType::Enum("mood".into()));
    for (n, want) in [
        ("born", PgType::Date),
        ("seen", PgType::Timestamptz),
        ("at", PgType::Timestamp),
        ("span", PgType::Interval),
        ("doc", PgType::Jsonb),
        ("ip", PgType::Inet),
        ("photo", PgType::Bytea),
        ("ok", PgType::Bool),
    ] {
        assert_eq!(ty(n), want, "{n}");
    }
    let col = |n: &str| tt.column(n).unwrap().clone();
    assert_eq!(
        (col("code").decl_type.as_str(), col("code").cast.as_str()),
        ("character varying(12)", "pg_catalog.\"varchar\"")
    );
    assert_eq!(col("initials").cast, "pg_catalog.bpchar");
    assert_eq!(col("grid").cast, "pg_catalog._int4");
    assert_eq!(col("m").cast, format!("{}.mood", t.name));
    assert_eq!(col("grid").decl_type, "integer[]");
    assert_eq!(col("n").identity, Some('a'));
    assert!(col("twice").generated && !col("code").generated);
    assert_eq!(col("id").default.as_deref(), Some("gen_random_uuid()"));
    assert!(col("code").not_null && !col("initials").not_null);
    assert_eq!(
        tt.checks,
        [(
            "t_amount_check".to_string(),
            "CHECK (amount >= 0::numeric)".to_string()
        )]
    );
    let fk = &tt.foreign_keys[0];
    assert_eq!(
        (fk.from.clone(), fk.to.clone()),
        (
            vec!["pb".to_string(), "pa".to_string()],
            vec!["b".to_string(), "a".to_string()]
        )
    );
    assert_eq!(
        (fk.on_delete, fk.on_update, fk.deferrable),
        ("SET DEFAULT", "CASCADE", false)
    );
    assert_eq!(s.table("parent").map(|_| ()), Some(()));
    let p = s.schema.table("parent").unwrap();
    assert_eq!(p.pk, ["b", "a"]);
    let ix = |n: &str| tt.indexes.iter().find(|i| i.name == n).unwrap().clone();
    let lower = ix("t_code_lower");
    assert_eq!(
        lower.keys,
        [
            PgIndexKey::Folded {
                column: "code".into()
            },
            PgIndexKey::Column {
                name: "initials".into(),
                collation: None,
                opclass: "bpchar_ops".into()
            }
        ]
    );
    assert_eq!(
        (lower.unique, lower.predicate.as_deref()),
        (true, Some("ok"))
    );
    assert_eq!(ix("t_doc").method, "gin");
    assert_eq!(
        ix("t_expr").keys,
        [PgIndexKey::Expr("(code::text || initials::text)".into())]
    );
    assert_eq!(
        ix("t_c").keys,
        [PgIndexKey::Column {
            name: "code".into(),
            collation: Some("C".into()),
            opclass: "text_pattern_ops".into()
        }]
    );
    // The shared view: expression and non-btree indexes as the map checks
    // need them.
    let shared = s.schema.table("t").unwrap();
    let sx = |n: &str| shared.indexes.iter().find(|i| i.name == n).unwrap().clone();
    assert_eq!(
        sx("t_code_lower").parts,
        [
            (Some("code".to_string()), "NOCASE".to_string()),
            (Some("initials".to_string()), "BINARY".to_string())
        ]
    );
    assert!(sx("t_code_lower").partial && sx("t_doc").partial && !sx("t_c").partial);
    assert_eq!(sx("t_expr").parts, [(None, "BINARY".to_string())]);
    assert!(shared.is_indexed("id", false));
    assert_eq!(
        shared.column("email").unwrap().ty,
        crate::store::schema::ColumnType::Text
    );
    assert_eq!(
        shared.column("doc").unwrap().ty,
        crate::store::schema::ColumnType::Other
    );
}

#[test]
fn only_the_tenant_schema_is_read() {
    let (Some(a), Some(b)) = (TestSchema::new("only_a"), TestSchema::new("only_b")) else {
        return;
    };
    a.exec("CREATE TABLE mine (id int PRIMARY KEY); CREATE TABLE _dsr_meta (key text PRIMARY KEY, value text)");
    b.exec("CREATE TABLE theirs (id int PRIMARY KEY); CREATE VIEW v AS SELECT 1 AS x;");
    b.exec(&format!(
        "CREATE TABLE child (id int REFERENCES {}.mine (id))",
        crate::store::schema::quote(&a.name)
    ));
    let mut c = connect(&a.url()).unwrap();
    let names: Vec<String> = read_schema(&mut c)
        .unwrap()
        .schema
        .tables
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(names, ["_dsr_meta", "mine"]);
    let mut c = connect(&b.url()).unwrap();
    let s = read_schema(&mut c).unwrap();
    let names: Vec<&str> = s.schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["child", "theirs"]);
    // A link into another schema names it.
    assert_eq!(
        s.schema.table("child").unwrap().foreign_keys[0].table,
        format!("{}.mine", a.name)
    );
}
