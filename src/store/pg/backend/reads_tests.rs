//! Reads of PostgreSQL's native types (DESIGN §1 "Types"): each value as
//! `Value` keeps it, its JSON, and lookups on such columns (a form that
//! cannot be the column's type matches nothing rather than failing).

use crate::ident::Kind;
use crate::store::pg::testing::{admin, TestSchema, VAR};
use crate::store::{open, Filter, Mode, Needle, Store};
use crate::value::Value;

const TODAY: jiff::civil::Date = jiff::civil::date(2026, 11, 22);

const NATIVES: &str = "
CREATE TYPE mood AS ENUM ('calm', 'busy');
CREATE TABLE natives (
    id uuid PRIMARY KEY,
    born date,
    seen timestamptz,
    local_at timestamp,
    amount numeric(12, 2),
    big numeric,
    photo bytea,
    doc jsonb,
    plain json,
    scores int[],
    active boolean,
    wait interval,
    ip inet,
    feeling mood,
    ratio double precision,
    n integer
);
INSERT INTO natives VALUES
  ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1981-12-18', '2026-11-22 11:00:00+01',
   '2026-11-22 10:00:00', 12.50, 123456789012345678901234567890.123, '\\x00ff',
   '{\"b\": [1, 2.50], \"a\": null}', '{\"z\":\n 1}', '{1,NULL,3}', true,
   'P1DT2H', '192.168.0.1', 'busy', 0.1, 42),
  ('b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, '{}', false, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE keyless (note text);
INSERT INTO keyless VALUES ('first'), ('second');
";

fn store() -> Option<(Store, TestSchema)> {
    let ts = TestSchema::new("reads")?;
    ts.exec(NATIVES);
    let raw = std::env::var(VAR).ok()?;
    let sep = if raw.contains('?') { '&' } else { '?' };
    let store = open(
        &format!("{raw}{sep}schema={}", ts.name),
        Mode::ReadOnly,
        TODAY,
    )
    .expect("store");
    Some((store, ts))
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

const ANNA: &str = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";

fn first_row(s: &Store) -> Vec<Value> {
    let schema = s.schema().expect("schema");
    let t = schema.table("natives").expect("natives");
    let mut rows = Vec::new();
    s.scan_all(t, |v| {
        rows.push(v.to_vec());
        Ok(())
    })
    .expect("scan_all");
    assert_eq!(rows.len(), 2);
    rows.remove(0)
}

#[test]
fn native_types_read_as_design_says() {
    let Some((s, _ts)) = store() else { return };
    let row = first_row(&s);
    assert_eq!(
        row,
        [
            text(ANNA),
            text("1981-12-18"),
            text("2026-11-22T10:00:00Z"),
            text("2026-11-22T10:00:00Z"),
            Value::Numeric("12.50".into()),
            Value::Numeric("123456789012345678901234567890.123".into()),
            Value::Blob(vec![0, 255]),
            Value::Json(r#"{"a": null, "b": [1, 2.50]}"#.into()),
            Value::Json("{\"z\":\n 1}".into()),
            Value::Array(vec![Value::Integer(1), Value::Null, Value::Integer(3)]),
            Value::Bool(true),
            text("P1DT2H"),
            // inet's text form, with its mask.
            text("192.168.0.1"),
            text("busy"),
            Value::Real(0.1),
            Value::Integer(42),
        ]
    );
    let json: Vec<String> = row.iter().map(|v| v.to_json().to_string()).collect();
    assert_eq!(
        json,
        [
            format!("\"{ANNA}\""),
            "\"1981-12-18\"".into(),
            "\"2026-11-22T10:00:00Z\"".into(),
            "\"2026-11-22T10:00:00Z\"".into(),
            "12.50".into(),
            "123456789012345678901234567890.123".into(),
            "\"AP8=\"".into(),
            r#"{"a":null,"b":[1,2.50]}"#.into(),
            r#"{"z":1}"#.into(),
            "[1,null,3]".into(),
            "true".into(),
            "\"P1DT2H\"".into(),
            "\"192.168.0.1\"".into(),
            "\"busy\"".into(),
            "0.1".into(),
            "42".into(),
        ]
    );
    // The export's row writer: the same, a `json` document on one line.
    let mut out = Vec::new();
    for v in &row[4..11] {
        crate::writers::json::write_value(&mut out, v).expect("write");
        out.push(b' ');
    }
    assert_eq!(
        String::from_utf8(out).expect("utf8"),
        r#"12.50 123456789012345678901234567890.123 "AP8=" {"a":null,"b":[1,2.50]} {"z":1} [1,null,3] true "#
    );
}

#[test]
fn lookups_bind_by_the_column_type() {
    let Some((s, _ts)) = store() else { return };
    let schema = s.schema().expect("schema");
    let t = schema.table("natives").expect("natives");
    let ids = |filter: &Filter<'_>| {
        let mut out = Vec::new();
        s.select(t, filter, |r| out.push(r.key[0].clone()))
            .expect("select");
        out
    };
    let by = |col: &str, vals: Vec<Value>| {
        let columns = [col.to_string()];
        let tuples: Vec<Vec<Value>> = vals.into_iter().map(|v| vec![v]).collect();
        ids(&Filter::In {
            columns: &columns,
            tuples: &tuples,
        })
    };
    // Forms that cannot be the column's type are dropped, not sent: no
    // error, and the forms that can be still match.
    assert_eq!(
        by("n", vec![text("811218-9876"), Value::Integer(42)]),
        [text(ANNA)]
    );
    assert!(by("n", vec![text("811218-9876")]).is_empty());
    assert_eq!(
        by("id", vec![text("c-1"), text(&ANNA.to_uppercase())]),
        [text(ANNA)]
    );
    assert_eq!(
        by("born", vec![text("1981-12-18"), text("soon")]),
        [text(ANNA)]
    );
    assert_eq!(by("active", vec![Value::Bool(true)]), [text(ANNA)]);
    assert_eq!(
        by("amount", vec![Value::Numeric("12.5".into())]),
        [text(ANNA)]
    );
    assert_eq!(by("feeling", vec![text("busy")]), [text(ANNA)]);
    assert_eq!(by("photo", vec![Value::Blob(vec![0, 255])]), [text(ANNA)]);
    assert!(
        by("scores", vec![Value::Array(vec![])]).is_empty(),
        "arrays are never looked up"
    );
    // A value the server cannot read for a type dsr does not check says
    // so without quoting it.
    let columns = ["ip".to_string()];
    let err = s
        .select(
            t,
            &Filter::In {
                columns: &columns,
                tuples: &[vec![text("811218-9876")]],
            },
            |_| {},
        )
        .expect_err("not an address");
    let m = err.to_string();
    assert!(
        m.contains("is not of its column's type") && !m.contains("811218"),
        "{m}"
    );
    assert_eq!(
        ids(&Filter::Keys(&[vec![text(ANNA)], vec![text("nope")]])),
        [text(ANNA)]
    );
}

#[test]
fn tables_without_a_key_are_read_by_row_place() {
    let Some((s, _ts)) = store() else { return };
    let schema = s.schema().expect("schema");
    let t = schema.table("keyless").expect("keyless");
    let mut keys = Vec::new();
    s.read(|s| {
        let mut all = Vec::new();
        s.select(
            t,
            &Filter::Keys(&[vec![text("(0,2)")], vec![text("junk")]]),
            |r| all.push(r),
        )?;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].values, [text("second")]);
        assert_eq!(all[0].key, [text("(0,2)")]);
        Ok(())
    })
    .expect("read");
    crate::store::Backend::table_keys(&*s.backend, t, &mut |k| keys.push(k)).expect("keys");
    assert_eq!(keys, [vec![text("(0,1)")], vec![text("(0,2)")]]);
}

/// citext, where the server has it (an extension in `public`).
#[test]
fn citext_compares_ignoring_case() {
    let Some(mut a) = admin() else { return };
    let has = a
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'citext')",
            &[],
        )
        .map(|r| r.get::<_, bool>(0))
        .unwrap_or(false);
    if !has {
        eprintln!("citext is not installed on the test server: its test is skipped");
        return;
    }
    let Some(ts) = TestSchema::new("citext") else {
        return;
    };
    ts.exec(
        "CREATE TABLE people (id bigint PRIMARY KEY, email citext, note citext);
         CREATE INDEX people_email ON people (email);
         INSERT INTO people VALUES (1, 'ANNA@Example.se', 'wrote to Anna@EXAMPLE.se'),
                                   (2, 'bo@example.se', NULL);",
    );
    let raw = std::env::var(VAR).expect("url");
    let sep = if raw.contains('?') { '&' } else { '?' };
    let s = open(
        &format!("{raw}{sep}schema={}", ts.name),
        Mode::ReadOnly,
        TODAY,
    )
    .expect("store");
    let schema = s.schema().expect("schema");
    let t = schema.table("people").expect("people");
    assert!(t.is_indexed("email", true), "a citext index folds case");
    let ids = |filter: &Filter<'_>| {
        let mut out = Vec::new();
        s.select(t, filter, |r| out.push(r.key[0].clone()))
            .expect("select");
        out
    };
    let prefixes = ["anna@example.se".to_string()];
    let one = [Value::Integer(1)];
    for nocase in [true, false] {
        let f = Filter::Prefixed {
            column: "email",
            prefixes: &prefixes,
            nocase,
        };
        assert_eq!(ids(&f), one, "nocase {nocase}: citext folds either way");
    }
    let keys = ["anna@example.se".to_string()];
    let f = Filter::Normalized {
        column: "email",
        kind: Kind::Email,
        keys: &keys,
    };
    assert_eq!(ids(&f), one);
    let mut found = Vec::new();
    s.scan_text(
        t,
        "note",
        &[Needle::Substring {
            text: "anna@example.se".into(),
            ignore_case: false,
        }],
        |k, text| found.push((k, text.to_string())),
    )
    .expect("scan");
    assert_eq!(
        found,
        [(
            vec![Value::Integer(1)],
            "wrote to Anna@EXAMPLE.se".to_string()
        )]
    );
}
