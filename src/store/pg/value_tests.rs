//! Values of every type DESIGN §1 "Types" lists, read from the real server
//! and written back as parameters: the JSON each gives, and that writing
//! back what was read stores the same value.

use super::connect::connect;
use super::introspect::read_schema;
use super::testing::TestSchema;
use super::value::{get, param, value_param, PgValue};
use crate::store::schema::quote;

const TABLE: &str = "
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN email AS varchar(80);
CREATE TABLE v (
    id int PRIMARY KEY, b boolean, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
    n numeric, n2 numeric(12, 2), t text, vc varchar(20), ch char(5), ci citext, nm name, by bytea,
    d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval, u uuid, ip inet,
    cd cidr, mac macaddr, j json, jb jsonb, m mood, dm email, ai int[], at text[], a2 int[][],
    au uuid[], ad date[], an numeric[], aiv interval[], fl float8
);
INSERT INTO v VALUES (
    1, true, -7, 2147483647, -9223372036854775808, 1.5, 0.1,
    12345678901234567890.000000001, 12.5, 'Åsa \"q\" \\b', 'C-1002 ', 'ab', 'ÅSA@Example.se', 'nm', '\\x00ff10',
    '2026-11-22', '10:00:00.25', '10:00:00+02', '2026-11-22 10:00:00.5', '2026-11-22 11:00:00+01',
    '1 year 2 months 3 days 04:05:06.5', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '192.168.0.1/24',
    '10.0.0.0/8', '08:00:2b:01:02:03', '{\"b\": 1, \"a\": 1.10}', '{\"b\": 1, \"a\": [1, 2.50]}', 'happy',
    'x@y.se', '{1,NULL,3}', '{\"a b\",\"c,d\",NULL}', '{{1,2},{3,4}}',
    '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}', '{2026-01-02}', '{1.50,-2}', '{1 day,PT1H}', 'NaN'
);
INSERT INTO v (id) VALUES (2);";

/// Each column's value of row 1 as exact JSON text.
const EXPECTED: &[(&str, &str)] = &[
    ("id", "1"),
    ("b", "true"),
    ("i2", "-7"),
    ("i4", "2147483647"),
    ("i8", "-9223372036854775808"),
    ("f4", "1.5"),
    ("f8", "0.1"),
    ("n", "12345678901234567890.000000001"),
    ("n2", "12.50"),
    ("t", r#""Åsa \"q\" \\b""#),
    ("vc", r#""C-1002 ""#),
    ("ch", r#""ab   ""#),
    ("ci", r#""ÅSA@Example.se""#),
    ("nm", r#""nm""#),
    ("by", r#""AP8Q""#),
    ("d", r#""2026-11-22""#),
    ("tm", r#""10:00:00.25""#),
    ("ttz", r#""10:00:00+02""#),
    ("ts", r#""2026-11-22T10:00:00.5Z""#),
    ("tstz", r#""2026-11-22T10:00:00Z""#),
    ("iv", r#""P1Y2M3DT4H5M6.5S""#),
    ("u", r#""a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11""#),
    ("ip", r#""192.168.0.1/24""#),
    ("cd", r#""10.0.0.0/8""#),
    ("mac", r#""08:00:2b:01:02:03""#),
    ("j", r#"{"b": 1, "a": 1.10}"#),
    ("jb", r#"{"a": [1, 2.50], "b": 1}"#),
    ("m", r#""happy""#),
    ("dm", r#""x@y.se""#),
    ("ai", "[1,null,3]"),
    ("at", r#"["a b","c,d",null]"#),
    ("a2", "[[1,2],[3,4]]"),
    ("au", r#"["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]"#),
    ("ad", r#"["2026-01-02"]"#),
    ("an", "[1.50,-2]"),
    ("aiv", r#"["P1D","PT1H"]"#),
    ("fl", r#""NaN""#),
];

fn setup(label: &str) -> Option<TestSchema> {
    let t = TestSchema::new(label)?;
    // citext is an extension: installed once per database, in public, as
    // DESIGN §1 expects; a concurrent test's install is fine too.
    if let Some(mut admin) = super::testing::admin() {
        let _ = admin.batch_execute("CREATE EXTENSION IF NOT EXISTS citext SCHEMA public");
    }
    t.exec(TABLE);
    Some(t)
}

#[test]
fn every_type_reads_as_design_says_and_writes_back_the_same() {
    let Some(t) = setup("values") else { return };
    let mut c = connect(&t.url()).unwrap();
    // The server's own zone must not matter.
    c.client
        .batch_execute("SET TimeZone TO 'America/New_York'")
        .unwrap();
    c.client.batch_execute("SET TimeZone TO 'UTC'").unwrap();
    let schema = read_schema(&mut c).unwrap();
    let table = schema.table("v").unwrap();
    let cols = &table.columns;
    assert_eq!(cols.len(), EXPECTED.len());
    let list: Vec<String> = cols
        .iter()
        .map(|c| c.ty.select_expr(&quote(&c.name)))
        .collect();
    let sql = format!("SELECT {} FROM v WHERE id = $1", list.join(", "));
    let row = c.client.query_one(&sql, &[&1i32]).unwrap();
    let mut read = Vec::new();
    for (i, (col, (name, want))) in cols.iter().zip(EXPECTED).enumerate() {
        assert_eq!(&col.name, name);
        let v = get(&row, i).unwrap();
        assert_eq!(v.to_json_text(), *want, "{name} ({v:?})");
        // to_json agrees wherever f64 holds the digits.
        if !matches!(*name, "n" | "n2" | "j" | "jb" | "an") {
            assert_eq!(
                v.to_json().to_string(),
                serde_json::from_str::<serde_json::Value>(want)
                    .unwrap()
                    .to_string(),
                "{name}"
            );
        }
        read.push(v);
    }
    assert_eq!(read[1], PgValue::Bool(true));
    assert_eq!(
        read[7],
        PgValue::Numeric("12345678901234567890.000000001".into())
    );
    assert_eq!(read[14], PgValue::Bytes(vec![0, 255, 16]));
    // serde_json keeps a document's digits as written (arbitrary_precision).
    assert_eq!(read[26].to_json().to_string(), r#"{"a":[1,2.50],"b":1}"#);

    // Written back as parameters: row 3 is row 1, column for column.
    let names: Vec<String> = cols.iter().map(|c| quote(&c.name)).collect();
    let placeholders: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| param(i + 1, &c.cast))
        .collect();
    let mut params: Vec<Option<String>> = read.iter().map(PgValue::to_param).collect();
    params[0] = Some("3".into());
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
    c.client
        .execute(
            &format!(
                "INSERT INTO v ({}) VALUES ({})",
                names.join(", "),
                placeholders.join(", ")
            ),
            &refs,
        )
        .unwrap();
    for col in cols.iter().skip(1) {
        let q = quote(&col.name);
        let same: bool = c
            .client
            .query_one(&format!("SELECT a.{q}::text IS NOT DISTINCT FROM b.{q}::text FROM v a, v b WHERE a.id = 1 AND b.id = 3"), &[])
            .unwrap()
            .get(0);
        assert!(same, "{} did not round-trip", col.name);
    }

    // NULL reads as NULL in every type, and writes back as NULL.
    let row = c.client.query_one(&sql, &[&2i32]).unwrap();
    for (i, col) in cols.iter().enumerate().skip(1) {
        let v = get(&row, i).unwrap();
        assert_eq!(v, PgValue::Null, "{}", col.name);
        assert_eq!(v.to_param(), None);
        assert_eq!(v.to_json(), serde_json::Value::Null);
    }
}

#[test]
fn shared_values_bind_into_native_columns() {
    use crate::value::Value;
    let Some(t) = setup("value_params") else {
        return;
    };
    let mut c = connect(&t.url()).unwrap();
    let schema = read_schema(&mut c).unwrap();
    let table = schema.table("v").unwrap();
    let cast = |n: &str| table.column(n).unwrap().cast.clone();
    // What dsr's shared values become in native columns: redaction text,
    // a NULL, an integer, a blob.
    let cases: &[(&str, Value, &str)] = &[
        ("t", Value::Text("[redacted]".into()), "[redacted]"),
        (
            "vc",
            Value::Text("64-hex-would-not-fit".into()),
            "64-hex-would-not-fit",
        ),
        ("b", Value::Integer(0), "false"),
        ("i8", Value::Integer(42), "42"),
        ("f8", Value::Real(2.5), "2.5"),
        ("by", Value::Blob(vec![1, 2]), "\\x0102"),
        ("d", Value::Text("2027-01-31".into()), "2027-01-31"),
        (
            "tstz",
            Value::Text("2026-11-22T10:00:00Z".into()),
            "2026-11-22 10:00:00+00",
        ),
        ("n2", Value::Text("7.125".into()), "7.13"),
        ("u", Value::Null, "NULL"),
    ];
    for (col, v, stored) in cases {
        let p = value_param(v);
        c.client
            .execute(
                &format!(
                    "UPDATE v SET {} = {} WHERE id = 2",
                    quote(col),
                    param(1, &cast(col))
                ),
                &[&p],
            )
            .unwrap();
        let got: Option<String> = c
            .client
            .query_one(
                &format!("SELECT {}::text FROM v WHERE id = 2", quote(col)),
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(got.as_deref().unwrap_or("NULL"), *stored, "{col}");
    }
    // A value longer than varchar(n) fails on assignment rather than being
    // cut by the cast.
    let p = value_param(&Value::Text("x".repeat(21)));
    let e = c
        .client
        .execute(
            &format!("UPDATE v SET vc = {} WHERE id = 2", param(1, &cast("vc"))),
            &[&p],
        )
        .unwrap_err();
    assert_eq!(e.code().map(|c| c.code()), Some("22001"));
    // Shared values from what was read keep their type, and bind back.
    assert_eq!(PgValue::Bool(true).to_value(), Value::Bool(true));
    assert_eq!(
        PgValue::Numeric("1.50".into()).to_value(),
        Value::Numeric("1.50".into())
    );
    let a = PgValue::Array(vec![PgValue::Int(1), PgValue::Null]);
    assert_eq!(
        a.to_value(),
        Value::Array(vec![Value::Integer(1), Value::Null])
    );
    assert_eq!(value_param(&a.to_value()).as_deref(), Some("{\"1\",NULL}"));
    assert_eq!(value_param(&Value::Bool(false)).as_deref(), Some("false"));
}
