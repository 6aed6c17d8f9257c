//! One tenant on both stores (issue 11, "the same results as on SQLite"):
//! `dsr demo` with the same seed and subjects into a SQLite file and into
//! a PostgreSQL schema, on the tests' fixed day; then the same commands on
//! both, and their documents and end states compared.
//!
//! The two demo stores differ only where PostgreSQL has a native type (its
//! `schema.rs`): dates as `timestamptz`/`date`, `boolean`, `numeric`,
//! `inet`, and integer Unix seconds kept as text in a mixed column. What
//! may differ because of that, and nothing else, is normalised:
//!
//! - in documents (extract, erase, sweep): the values the contract shows
//!   per type ([`PG_FORMS`]), and a sweep's `longest_transaction_ms` (a
//!   timing);
//! - in table rows ([`canonical`]): every value as text, native dates as
//!   Unix seconds, booleans as 0/1, numerics as floats, addresses without
//!   their mask; and a hashed value (HMAC under the store's own random
//!   tenant secret, DESIGN §3) as `hmac(ORIGINAL)`.

use crate::pg_env::{digits, map_column, PgTenant};
use crate::{Outcome, TestEnv};
use dsr::value::Value as DsrValue;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Subjects chosen to cover what the demo has (seed 7, 200 subjects, the
/// fixed day): mentions in other customers' tickets, invoices under the
/// bookkeeping hold (some of them past it), two meters, a newsletter
/// subscription found by e-mail alone, a closed_at in each stored form
/// (ISO date, ISO date-time, Unix seconds), and an employee, linked from
/// the tickets they handled and from their logins.
const SUBJECTS: [&str; 8] = [
    "customer_id:1",
    "email:s.soderberg@example.se",
    "customer_id:72",
    "email:a.dahlen@example.se",
    "email:andre.lindqvist@example.se",
    "customer_id:6",
    "customer_id:4",
    "customer_id:35",
];

/// The demo's columns whose forms differ by store, and how the SQLite
/// document's value reads on PostgreSQL (DESIGN §1 "Types").
const PG_FORMS: [(&str, &str, Form); 3] = [
    // timestamptz on PostgreSQL: RFC 3339 in UTC; SQLite holds the ISO
    // date, ISO date-time or Unix seconds as written.
    ("customers", "closed_at", Form::Instant),
    // text on PostgreSQL: the SQLite column's integers written as digits.
    ("tickets", "closed_at", Form::Digits),
    // boolean on PostgreSQL: true/false; SQLite has no booleans, 0/1.
    ("customers", "marketing_consent", Form::Bool),
];

#[derive(Clone, Copy)]
enum Form {
    Instant,
    Digits,
    Bool,
}

fn pg_form(v: &Value, form: Form) -> Value {
    let dsr = match v {
        Value::Number(n) => n.as_i64().map(DsrValue::Integer),
        Value::String(s) => Some(DsrValue::Text(s.clone())),
        _ => None,
    };
    match (form, dsr) {
        (Form::Instant, Some(d)) => dsr::time::parse_value(&d)
            .map(|t| Value::String(dsr::time::format_ts(t)))
            .unwrap_or_else(|| v.clone()),
        (Form::Digits, _) => digits(v),
        (Form::Bool, Some(DsrValue::Integer(i))) => Value::Bool(i != 0),
        _ => v.clone(),
    }
}

/// The SQLite document as PostgreSQL gives it, by [`PG_FORMS`].
fn as_pg(doc: Value) -> Value {
    PG_FORMS.iter().fold(doc, |d, (table, column, form)| {
        map_column(d, table, column, |v| pg_form(v, *form))
    })
}

/// The map's `erase = "hash"` columns (their originals are what a hash
/// stands for).
const HASHED: [(&str, &str); 4] = [
    ("customers", "customer_no"),
    ("customers", "email"),
    ("staff", "email"),
    ("newsletter", "email"),
];

/// A store's hashes of the originals of the hashed columns, each mapped to
/// `hmac(ORIGINAL)`.
fn unhash(secret: &str, originals: &[String]) -> HashMap<String, String> {
    originals
        .iter()
        .map(|o| {
            (
                dsr::audit::hmac_hex(secret, o.as_bytes()),
                format!("hmac({o})"),
            )
        })
        .collect()
}

/// The PostgreSQL types of a demo table's columns, in order.
fn pg_types(pg: &PgTenant, table: &str) -> Vec<(String, String)> {
    pg.rows(&format!(
        "SELECT column_name, udt_name FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"
    ))
    .iter()
    .map(|r| {
        let (c, t) = r.split_once('|').expect("name|type");
        (c.to_string(), t.to_string())
    })
    .collect()
}

/// Every row of every demo table on both stores, as `table: a|b|NULL`
/// lines sorted, each value as text after the mapping in the module doc.
fn canonical(
    lite: &TestEnv,
    pg: &PgTenant,
    hashes: [&HashMap<String, String>; 2],
) -> [Vec<String>; 2] {
    let mut out = [Vec::new(), Vec::new()];
    let conn = lite.conn();
    for table in dsr::demo::TABLES {
        let types = pg_types(pg, table);
        let is_date = |t: &str| matches!(t, "timestamptz" | "timestamp" | "date");
        let exprs: Vec<String> = types
            .iter()
            .map(|(c, t)| match t.as_str() {
                t if is_date(t) => format!("extract(epoch from \"{c}\")::bigint::text"),
                "bool" => format!("\"{c}\"::int::text"),
                "numeric" => format!("\"{c}\"::float8::text"),
                "inet" => format!("host(\"{c}\")"),
                _ => format!("\"{c}\"::text"),
            })
            .collect();
        let pg_lines = pg.rows(&format!("SELECT {} FROM \"{table}\"", exprs.join(", ")));
        let mut st = conn
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .expect("select");
        assert_eq!(st.column_count(), types.len(), "{table}: the same columns");
        let mut lite_lines = Vec::new();
        let mut rows = st.query([]).expect("rows");
        while let Some(r) = rows.next().expect("row") {
            let vals: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, (_, t))| {
                    use rusqlite::types::ValueRef as V;
                    match r.get_ref(i).expect("value") {
                        V::Null => "NULL".to_string(),
                        V::Integer(n) => n.to_string(),
                        V::Real(f) => f.to_string(),
                        V::Text(s) => {
                            let s = String::from_utf8_lossy(s).into_owned();
                            match dsr::time::parse_text(&s).filter(|_| is_date(t)) {
                                Some(ts) => ts.as_second().to_string(),
                                None => s,
                            }
                        }
                        V::Blob(b) => format!("<{} bytes>", b.len()),
                    }
                })
                .collect();
            lite_lines.push(vals.join("|"));
        }
        for (side, lines) in [lite_lines, pg_lines].into_iter().enumerate() {
            out[side].extend(lines.into_iter().map(|l| {
                let vals: Vec<&str> = l
                    .split('|')
                    .map(|v| hashes[side].get(v).map_or(v, String::as_str))
                    .collect();
                format!("{table}: {}", vals.join("|"))
            }));
        }
    }
    for side in &mut out {
        side.sort();
    }
    out
}

/// Where two documents differ: `path: a | b` lines (empty when equal).
fn differences(a: &Value, b: &Value) -> Vec<String> {
    fn walk(a: &Value, b: &Value, path: String, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    let null = Value::Null;
                    let (p, q) = (x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null));
                    walk(p, q, format!("{path}.{k}"), out);
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    walk(p, q, format!("{path}[{i}]"), out);
                }
            }
            _ if a != b => out.push(format!("{path}: {a} | {b}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(a, b, String::new(), &mut out);
    out
}

/// `dsr ARGS` on both, exit 0 on both; the two outcomes.
fn both(lite: &TestEnv, pg: &PgTenant, args: &[&str]) -> [Outcome; 2] {
    let (l, p) = (lite.run(args), pg.run(args));
    assert_eq!(l.code, 0, "{args:?} on SQLite: {}", l.stderr);
    assert_eq!(p.code, 0, "{args:?} on PostgreSQL: {}", p.stderr);
    [l, p]
}

/// A sweep's document without its timing.
fn untimed(mut doc: Value) -> Value {
    doc.as_object_mut()
        .expect("a sweep document")
        .remove("longest_transaction_ms");
    doc
}

#[test]
fn the_demo_tenant_gives_the_same_results_on_both_stores() {
    let Some(pg) = PgTenant::demo("cmp", 200, 7) else {
        return;
    };
    let lite = TestEnv::demo(200);
    let originals: Vec<String> = HASHED
        .iter()
        .flat_map(|(t, c)| crate::query(&lite, &format!("SELECT {c} FROM {t}")))
        .collect();
    let before = canonical(&lite, &pg, [&HashMap::new(), &HashMap::new()]);
    assert_eq!(before[1], before[0], "the same tenant");
    assert_eq!(before[0].len(), 10_946, "rows of the demo");

    // Art. 15: the same documents.
    for s in SUBJECTS {
        let [l, p] = both(&lite, &pg, &["extract", s]);
        assert_eq!(
            differences(&as_pg(l.json()), &p.json()),
            Vec::<String>::new(),
            "extract {s}"
        );
    }
    let [l, _] = both(&lite, &pg, &["extract", "email:s.soderberg@example.se"]);
    assert_eq!(
        l.json()["mentions"]["tickets"]["rows"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "a subject mentioned in another customer's ticket"
    );

    // Art. 17: the same reports, then the same rows left.
    for s in SUBJECTS {
        let [l, p] = both(&lite, &pg, &["--json", "erase", "--yes", s]);
        assert_eq!(
            differences(&l.json(), &p.json()),
            Vec::<String>::new(),
            "erase {s}"
        );
        if s == "email:andre.lindqvist@example.se" {
            // The employee: the tickets they handled (but one, gone with a
            // customer erased above) kept, the link to them removed.
            let t = &l.json()["tables"];
            assert_eq!(
                (
                    &t["staff"]["anonymized"],
                    &t["staff_logins"]["deleted"],
                    &t["tickets"]["anonymized"]
                ),
                (&json!(1), &json!(19), &json!(28))
            );
        }
    }
    // Erased again: only customer 4's two invoices under the hold are left.
    let [l, p] = both(
        &lite,
        &pg,
        &["--json", "erase", "--dry-run", "customer_id:4"],
    );
    let zero = json!({ "deleted": 0, "anonymized": 0, "held": 0, "kept": 0 });
    let held = json!({ "deleted": 0, "anonymized": 0, "held": 2, "kept": 0 });
    assert_eq!(
        l.json()["tables"],
        json!({ "customers": zero, "invoices": held })
    );
    assert_eq!(differences(&l.json(), &p.json()), Vec::<String>::new());
    let secret = |lite_side: bool| {
        if lite_side {
            crate::query(&lite, "SELECT value FROM _dsr_meta WHERE key = 'secret'")[0].clone()
        } else {
            pg.secret()
        }
    };
    let maps = [
        unhash(&secret(true), &originals),
        unhash(&secret(false), &originals),
    ];
    let erased = canonical(&lite, &pg, [&maps[0], &maps[1]]);
    assert_eq!(erased[1], erased[0], "after the erasures");
    let hashed = erased[0].iter().filter(|l| l.contains("|hmac(")).count();
    assert_eq!(hashed, 8, "seven customers and an employee, hashed");
    let deferred = "SELECT tbl, key, action, until, reason FROM _dsr_deferred";
    let mut d = [crate::query(&lite, deferred), pg.rows(deferred)];
    d.iter_mut().for_each(|v| v.sort());
    assert_eq!(d[1], d[0], "the deferred erasures");

    // Retention: the same sweep, then later the held invoices finished.
    for (now, completed, deleted) in [(crate::NOW, 0, 46), ("2027-01-02T00:00:00Z", 50, 51)] {
        let run = |mut c: std::process::Command| {
            c.env("DSR_NOW", now);
            let out = crate::outcome(assert_cmd::Command::from_std(c));
            assert_eq!(out.code, 0, "sweep at {now}: {}", out.stderr);
            untimed(out.json())
        };
        let l = run(lite.store_cmd(&["--json", "sweep"]));
        assert_eq!(
            (
                &l["deferred_completed"],
                &l["tables"]["invoices"]["deleted"]
            ),
            (&json!(completed), &json!(deleted)),
            "sweep at {now}"
        );
        assert_eq!(
            differences(&l, &run(pg.cmd(&["--json", "sweep"]))),
            Vec::<String>::new(),
            "sweep at {now}"
        );
        let swept = canonical(&lite, &pg, [&maps[0], &maps[1]]);
        assert_eq!(swept[1], swept[0], "after the sweep at {now}");
    }
    let mut d = [crate::query(&lite, deferred), pg.rows(deferred)];
    d.iter_mut().for_each(|v| v.sort());
    assert_eq!(d[1], d[0], "the deferred erasures left");

    // The same trail, and both verify.
    let trail = "SELECT seq, command, outcome FROM _dsr_audit ORDER BY seq";
    assert_eq!(pg.rows(trail), crate::query(&lite, trail));
    let [l, p] = both(&lite, &pg, &["--json", "audit", "verify"]);
    assert_eq!(p.json(), l.json());
}
