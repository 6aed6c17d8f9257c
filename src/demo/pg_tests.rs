//! The demo on PostgreSQL (a schema of the test server's, see
//! store::pg::testing): the same tenant as on SQLite for a seed, a schema
//! the map fits as it fits the SQLite store, and every refusal changing
//! nothing. Skipped without DSR_TEST_POSTGRES_URL (except under CI).

use super::*;
use crate::error::ExitCode;
use crate::store::pg::connect;
use crate::store::pg::lock::tenant_key;
use crate::store::pg::testing::{self, DropRole, TestSchema};
use crate::store::schema::{quote, Schema};
use crate::value::Value;
use rusqlite::types::ValueRef;
use std::collections::BTreeSet;

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 5, 14)
}

fn pg(url: &PgUrl) -> Destination {
    Destination::Postgres(Box::new(url.clone()))
}

/// The key order of each table (SQLite, PostgreSQL as `x`); for text keys
/// byte order on both sides.
fn order_by(table: &str) -> (&'static str, &'static str) {
    match table {
        "meter_readings" => ("meter_id, month", "x.meter_id, x.month COLLATE \"C\""),
        "newsletter" => ("email", "x.email COLLATE \"C\""),
        _ => ("id", "x.id"),
    }
}

fn sqlite_rows(dir: &Path, table: &str) -> Vec<Vec<Value>> {
    let c = rusqlite::Connection::open(dir.join(STORE_FILE)).unwrap();
    let mut st = c
        .prepare(&format!(
            "SELECT * FROM {table} ORDER BY {}",
            order_by(table).0
        ))
        .unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Integer(v),
                ValueRef::Real(v) => Value::Real(v),
                ValueRef::Text(t) => Value::Text(String::from_utf8(t.to_vec()).unwrap()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            })
            .collect())
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

/// The column types and every row of a table, each value as text in a
/// form comparable with SQLite's: dates and timestamps as Unix seconds,
/// booleans as 0/1, numerics as floats, addresses without a netmask.
fn pg_rows(
    c: &mut postgres::Client,
    schema: &str,
    table: &str,
) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let cols: Vec<(String, String)> = c
        .query(
            "SELECT column_name::text, udt_name::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
            &[&schema, &table],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let exprs: Vec<String> = cols
        .iter()
        .map(|(name, ty)| {
            let q = quote(name);
            match ty.as_str() {
                "timestamptz" | "date" => format!("extract(epoch from {q})::bigint::text"),
                "bool" => format!("{q}::int::text"),
                "numeric" => format!("{q}::float8::text"),
                "inet" => format!("host({q})"),
                _ => format!("{q}::text"),
            }
        })
        .collect();
    let rows = c
        .query(
            &format!(
                "SELECT {} FROM {}.{} x ORDER BY {}",
                exprs.join(", "),
                quote(schema),
                quote(table),
                order_by(table).1
            ),
            &[],
        )
        .unwrap();
    let values = rows
        .iter()
        .map(|r| (0..cols.len()).map(|i| r.get(i)).collect())
        .collect();
    (cols.into_iter().map(|(_, t)| t).collect(), values)
}

/// Whether a SQLite value and its PostgreSQL counterpart (as `pg_rows`
/// gives it) are the same datum.
fn same(sqlite: &Value, pg: Option<&str>, ty: &str) -> bool {
    let Some(p) = pg else {
        return sqlite.is_null();
    };
    let secs = |v: &Value| crate::time::parse_value(v).map(|t| t.as_second());
    match (ty, sqlite) {
        (_, Value::Null) => false,
        ("timestamptz" | "date", v) => secs(v).is_some() && secs(v) == p.parse().ok(),
        // The mixed column: ISO text as it was, Unix seconds as digits.
        ("text" | "varchar", Value::Integer(_)) => {
            secs(sqlite).is_some()
                && secs(sqlite) == crate::time::parse_text(p).map(|t| t.as_second())
        }
        ("numeric" | "float8", Value::Real(f)) => p.parse::<f64>().ok() == Some(*f),
        (_, Value::Integer(i)) => i.to_string() == p,
        (_, Value::Text(s)) => s == p,
        _ => false,
    }
}

/// Runs the demo (50 subjects) into `url`, expecting it to fail with
/// `code`; the message.
fn failure(dir: &Path, url: &PgUrl, force: bool, code: ExitCode) -> String {
    let e = generate_to(dir, &pg(url), 50, 2, today(), force).unwrap_err();
    assert_eq!(e.exit_code(), code, "{e}");
    e.to_string()
}

fn count(c: &mut postgres::Client, schema: &str, table: &str) -> i64 {
    c.query_one(
        &format!("SELECT count(*) FROM {}.{}", quote(schema), quote(table)),
        &[],
    )
    .unwrap()
    .get(0)
}

/// Every demo table's rows, hashed: for "nothing changed".
fn fingerprint(c: &mut postgres::Client, schema: &str) -> Vec<(String, i64, String)> {
    TABLES
        .iter()
        .map(|t| {
            let r = c
                .query_one(
                    &format!(
                        "SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM {}.{t} x",
                        quote(schema)
                    ),
                    &[],
                )
                .unwrap();
            (t.to_string(), r.get(0), r.get(1))
        })
        .collect()
}

/// The names of the schema's relations, sorted.
fn relations(c: &mut postgres::Client, schema: &str) -> Vec<String> {
    c.query(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1",
        &[&schema],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[test]
fn postgres_holds_the_same_tenant_as_sqlite() {
    let Some(t) = TestSchema::new("demo_same") else {
        return;
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let lite = generate(a.path(), 150, 7, today(), false).unwrap();
    let s = generate_to(b.path(), &pg(&t.url()), 150, 7, today(), false).unwrap();
    assert_eq!(s.rows, lite.rows);
    assert_eq!(s.store, Written::Postgres(t.url().to_string()));
    assert_eq!(s.map, b.path().join(MAP_FILE));
    // Only the map in DIR, private, with the PostgreSQL comment.
    let left: Vec<String> = fs::read_dir(b.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, [MAP_FILE]);
    assert_eq!(fs::read_to_string(&s.map).unwrap(), map::text(true));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&s.map).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let mut c = testing::admin().unwrap();
    let mut compared = 0;
    for (table, n) in &lite.rows {
        assert_eq!(count(&mut c, &t.name, table) as u64, *n, "{table}");
        let want = sqlite_rows(a.path(), table);
        let (types, got) = pg_rows(&mut c, &t.name, table);
        assert_eq!(got.len(), want.len(), "{table}");
        assert!(!got.is_empty(), "{table} is empty");
        for (w, g) in want.iter().zip(&got) {
            assert_eq!(w.len(), g.len(), "{table}");
            for (k, ty) in types.iter().enumerate() {
                assert!(
                    same(&w[k], g[k].as_deref(), ty),
                    "{table} column {k} ({ty}): SQLite {:?}, PostgreSQL {:?}",
                    w[k],
                    g[k]
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 30_000, "{compared} values compared");
    // The native types where a real application has them, and the mixed
    // column kept as text with Unix seconds among the ISO forms.
    let closed: Vec<Option<String>> = c
        .query(
            &format!("SELECT closed_at FROM {}.tickets", quote(&t.name)),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let forms: BTreeSet<usize> = closed.iter().flatten().map(|s| s.len()).collect();
    assert!(forms.is_superset(&[10, 20].into()), "{forms:?}");
    assert!(closed
        .iter()
        .flatten()
        .any(|s| s.bytes().all(|b| b.is_ascii_digit())));
    // Identity sequences continue after the loaded ids.
    let next: i64 = c
        .query_one(
            &format!(
                "INSERT INTO {}.staff (name, email, employed_from) VALUES ('x', 'x@example.se', '2026-01-01') RETURNING id",
                quote(&t.name)
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(next, lite.rows[4].1 as i64 + 1);
}

/// Column names, nullability, keys, foreign keys with their actions and
/// the named indexes (by column and comparison) are the same as on SQLite,
/// so the map fits both alike.
#[test]
fn the_postgres_schema_is_the_sqlite_one_and_the_map_fits_it() {
    let Some(t) = TestSchema::new("demo_schema") else {
        return;
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    generate(a.path(), 20, 1, today(), false).unwrap();
    generate_to(b.path(), &pg(&t.url()), 20, 1, today(), false).unwrap();
    // Each as `dsr check` reads it.
    let read = |url: &str| -> Schema {
        crate::store::open(url, crate::store::Mode::ReadOnly, today())
            .unwrap()
            .schema()
            .unwrap()
    };
    let lite = read(&a.path().join(STORE_FILE).display().to_string());
    let pg = read(&t.url().to_string());

    type Shape = (
        Vec<(String, bool, usize)>,
        Vec<String>,
        Vec<(Vec<String>, String, Vec<String>, String)>,
        Vec<(String, Vec<(Option<String>, String)>)>,
    );
    let shape = |s: &Schema| -> Vec<(String, Shape)> {
        s.tables
            .iter()
            .map(|t| {
                let mut fks: Vec<_> = t
                    .foreign_keys
                    .iter()
                    .map(|f| {
                        (
                            f.from.clone(),
                            f.table.clone(),
                            f.to.clone(),
                            f.on_delete.clone(),
                        )
                    })
                    .collect();
                fks.sort();
                // Indexes the DDL names; the ones behind PRIMARY KEY and
                // UNIQUE are named by each database its own way.
                let mut idx: Vec<_> = t
                    .indexes
                    .iter()
                    .filter(|i| {
                        !i.name.starts_with("sqlite_autoindex")
                            && !i.name.ends_with("_pkey")
                            && !i.name.ends_with("_key")
                    })
                    .map(|i| (i.name.clone(), i.parts.clone()))
                    .collect();
                idx.sort();
                // SQLite reports a key column nullable unless declared NOT
                // NULL; PostgreSQL's key columns are always NOT NULL.
                let cols = t
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.not_null || c.pk > 0, c.pk))
                    .collect();
                (t.name.clone(), (cols, t.pk.clone(), fks, idx))
            })
            .collect()
    };
    let (want, got) = (shape(&lite), shape(&pg));
    assert_eq!(got, want);
    assert_eq!(want.len(), 8);
    for t in &lite.tables {
        let p = pg.table(&t.name).unwrap();
        for c in &t.columns {
            for nocase in [false, true] {
                assert_eq!(
                    p.is_indexed(&c.name, nocase),
                    t.is_indexed(&c.name, nocase),
                    "{}.{} nocase={nocase}",
                    t.name,
                    c.name
                );
            }
        }
    }
    let map = crate::map::load(&b.path().join(MAP_FILE)).unwrap();
    let errors = |s: &Schema| -> Vec<String> {
        crate::map::fit::check_with(&map, s, None, true)
            .unwrap()
            .into_iter()
            .filter(|d| d.severity == crate::map::Severity::Error)
            .map(|d| format!("{d:?}"))
            .collect()
    };
    assert_eq!(errors(&lite), Vec::<String>::new());
    assert_eq!(errors(&pg), Vec::<String>::new());
}

#[test]
fn a_second_run_refuses_and_changes_nothing_until_forced() {
    let Some(t) = TestSchema::new("demo_again") else {
        return;
    };
    let url = t.url();
    let d1 = tempfile::tempdir().unwrap();
    generate_to(d1.path(), &pg(&url), 30, 1, today(), false).unwrap();
    let mut c = testing::admin().unwrap();
    let before = fingerprint(&mut c, &t.name);

    let base = tempfile::tempdir().unwrap();
    let d2 = base.path().join("new");
    let e = failure(&d2, &url, false, ExitCode::Usage);
    assert_eq!(
        e,
        format!(
            "a demo tenant is already in {} (tables customers, invoices, meter_readings, meters, newsletter, staff, staff_logins, tickets); pass --force to replace it, or pick another schema (?schema=NAME in --store; dsr never creates a schema, so create it first); nothing was changed",
            url.place()
        )
    );
    assert!(!d2.exists());
    assert_eq!(fingerprint(&mut c, &t.name), before);
    // Into the same DIR the map refuses first.
    let e = failure(d1.path(), &url, false, ExitCode::Usage);
    assert!(
        e.contains("datamap.toml already exists; pass --force"),
        "{e}"
    );
    assert_eq!(fingerprint(&mut c, &t.name), before);

    // --force replaces the demo tenant, dsr's own tables with it.
    t.exec("CREATE TABLE _dsr_meta (key text PRIMARY KEY, value text NOT NULL)");
    let s = generate_to(&d2, &pg(&url), 40, 2, today(), true).unwrap();
    assert_eq!(s.rows[0], ("customers".to_string(), 40));
    assert_eq!(count(&mut c, &t.name, "customers"), 40);
    let mut want: Vec<String> = TABLES.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(relations(&mut c, &t.name), want);
    assert_ne!(fingerprint(&mut c, &t.name), before);
}

#[test]
fn tables_the_demo_did_not_write_are_never_replaced() {
    let Some(t) = TestSchema::new("demo_foreign") else {
        return;
    };
    let url = t.url();
    t.exec("CREATE TABLE customers (id int PRIMARY KEY); INSERT INTO customers VALUES (1)");
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("d");
    for force in [false, true] {
        let e = failure(&dir, &url, force, ExitCode::Usage);
        assert_eq!(
            e,
            format!(
                "customers in {} is not written by dsr demo (it marks its own tables with a comment), and dsr demo replaces only its own: pick another schema (?schema=NAME in --store; dsr never creates a schema, so create it first); nothing was changed",
                url.place()
            )
        );
    }
    let mut c = testing::admin().unwrap();
    assert_eq!(relations(&mut c, &t.name), ["customers"]);
    assert_eq!(count(&mut c, &t.name, "customers"), 1);
    assert!(!dir.exists());

    // A schema with dsr's tables and no demo is another tenant's.
    let Some(u) = TestSchema::new("demo_tenant") else {
        return;
    };
    u.exec("CREATE TABLE _dsr_audit (seq bigint PRIMARY KEY)");
    for force in [false, true] {
        let e = failure(&dir, &u.url(), force, ExitCode::Usage);
        assert!(
            e.starts_with(&format!(
                "{} already belongs to a tenant (it holds dsr's own tables _dsr_audit); the demo needs a schema of its own",
                u.url().place()
            )),
            "{e}"
        );
    }
    assert_eq!(relations(&mut c, &u.name), ["_dsr_audit"]);
}

#[test]
fn a_missing_schema_is_exit_1_naming_the_place() {
    let Some(mut url) = testing::server_url() else {
        return;
    };
    url.schema = "dsr_no_such_demo_schema".into();
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("d");
    let e = failure(&dir, &url, false, ExitCode::Runtime);
    assert_eq!(
        e,
        format!(
            "schema dsr_no_such_demo_schema does not exist in database {} on {}; dsr never creates it; check ?schema= in --store / DSR_STORE (the name is case-sensitive), or ask the database's owner to create it; nothing was read or changed",
            url.dbname,
            url.target()
        )
    );
    assert!(!dir.exists());
    let mut c = testing::admin().unwrap();
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'dsr_no_such_demo_schema'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

/// A failure after the rows went in (here an index name taken by another
/// table) rolls everything back: no demo table, no map.
#[test]
fn a_failed_load_leaves_the_schema_as_it_was() {
    let Some(t) = TestSchema::new("demo_fail") else {
        return;
    };
    t.exec("CREATE TABLE other (x int); CREATE INDEX staff_phone ON other (x)");
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("d");
    let e = failure(&dir, &t.url(), false, ExitCode::Runtime);
    assert!(
        e.starts_with(&format!(
            "PostgreSQL failed while creating the foreign keys and indexes in {}: relation \"staff_phone\" already exists",
            t.url().place()
        )),
        "{e}"
    );
    let mut c = testing::admin().unwrap();
    assert_eq!(relations(&mut c, &t.name), ["other"]);
    assert!(!dir.join(MAP_FILE).exists());
}

#[test]
fn a_held_tenant_lock_is_exit_6() {
    let Some(t) = TestSchema::new("demo_lock") else {
        return;
    };
    let url = t.url();
    let mut other = connect(&url).unwrap();
    other
        .client
        .query_one(
            "SELECT pg_advisory_lock($1)",
            &[&tenant_key(&url.dbname, &url.schema)],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = failure(dir.path(), &url, false, ExitCode::Locked);
    assert!(
        e.starts_with(&format!(
            "another session holds the lock of {} (PostgreSQL session pid ",
            url.place()
        )),
        "{e}"
    );
    let mut c = testing::admin().unwrap();
    assert_eq!(relations(&mut c, &t.name), Vec::<String>::new());
}

#[test]
fn a_role_that_may_not_create_tables_is_told_what_to_ask_for() {
    let Some(t) = TestSchema::new("demo_role") else {
        return;
    };
    let role = format!("{}_r", t.name);
    let mut c = testing::admin().unwrap();
    c.batch_execute(&format!(
        "CREATE ROLE {r} LOGIN; GRANT USAGE ON SCHEMA {s} TO {r}",
        r = quote(&role),
        s = quote(&t.name)
    ))
    .unwrap();
    let _drop = DropRole(role.clone());
    let mut url = t.url();
    url.user = role.clone();
    let dir = tempfile::tempdir().unwrap();
    let e = failure(dir.path(), &url, false, ExitCode::Runtime);
    assert_eq!(
        e,
        format!(
            "user {role} may not create tables in schema {s} (database {} on {}); ask the database's owner to GRANT CREATE ON SCHEMA \"{s}\" TO \"{role}\", or use a schema of your own; nothing was changed",
            url.dbname,
            url.target(),
            s = t.name
        )
    );
    assert_eq!(relations(&mut c, &t.name), Vec::<String>::new());
}
