//! Retention on PostgreSQL against SQLite and against dsr's exact test:
//! every value form the sweep scenarios use (ISO text with and without
//! zone or time, Unix seconds as numbers and as digits, NULL, the limit
//! itself, words), the native types, key ranges over composite and
//! keyless tables, the index, and the lock across sessions.

use super::super::expiry::{Binds, Shape};
use crate::error::Error;
use crate::store::pg::connect::connect;
use crate::store::pg::testing::{TestSchema, VAR};
use crate::store::{open, Cutoffs, Mode, Store};
use crate::time;
use crate::value::Value;
use std::collections::BTreeSet;

const TODAY: jiff::civil::Date = jiff::civil::date(2026, 11, 22);

/// "now" of the sweep scenarios, and their 90-day rule's limit.
fn now() -> i64 {
    time::parse_text("2026-11-22T10:00:00Z")
        .expect("now")
        .as_second()
}
const NINETY_DAYS: i64 = 90 * 86_400;

/// dsr's exact answer: the value is a time before the limit.
fn exact(v: &Value, limit: i64) -> bool {
    time::parse_value(v).is_some_and(|t| t.as_second() < limit)
}

/// Text forms (id, value): those of tests/cli/sweep.rs and more.
const TEXTS: &[(i64, Option<&str>)] = &[
    (1, Some("2026-11-01")),
    (2, None),
    (3, Some("2026-08-24T10:00:00Z")),
    (4, Some("1787565599")),
    (5, Some("2026-08-24T11:00:00+01:00")),
    (6, Some("soon")),
    (7, Some("12:30")),
    (8, Some("2026-10-10 08:00:00")),
    (9, Some("next week")),
    (10, Some("1790000000")),
    (11, Some("2026-08-23")),
    (12, Some(" 2020-01-01 ")),
    (13, Some("2026-08-24T23:30:00+14:00")),
    (14, Some("2020-02-30")),
    (15, Some("0001700000000")),
    (16, Some("2026-08-24T09:59:59.5Z")),
    (17, Some("2026-08-25T01:00:00-14:00")),
    (18, Some("")),
    (19, Some("99999999999999999999")),
    (20, Some("2026-08-24")),
];

fn sqlite_texts() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.db");
    let c = rusqlite::Connection::open(&path).expect("open");
    c.execute_batch("CREATE TABLE visits (id INTEGER PRIMARY KEY, at TEXT)")
        .expect("table");
    for (id, v) in TEXTS {
        c.execute(
            "INSERT INTO visits VALUES (?1, ?2)",
            rusqlite::params![id, v],
        )
        .expect("row");
    }
    drop(c);
    let s = open(path.to_str().expect("utf8"), Mode::ReadWrite, TODAY).expect("store");
    (dir, s)
}

/// A PostgreSQL tenant made by `sql`, and its store.
fn pg(label: &str, sql: &str) -> Option<(Store, TestSchema)> {
    let ts = TestSchema::new(label)?;
    ts.exec(sql);
    let raw = std::env::var(VAR).ok()?;
    let sep = if raw.contains('?') { '&' } else { '?' };
    let url = format!("{raw}{sep}schema={}", ts.name);
    let s = open(&url, Mode::ReadWrite, TODAY).expect("PostgreSQL store");
    Some((s, ts))
}

fn pg_texts(ty: &str) -> Option<(Store, TestSchema)> {
    let rows: Vec<String> = TEXTS
        .iter()
        .map(|(id, v)| match v {
            Some(v) => format!("({id}, '{v}')"),
            None => format!("({id}, NULL)"),
        })
        .collect();
    pg(
        "retention_text",
        &format!(
            "CREATE TABLE visits (id bigint PRIMARY KEY, at {ty}); INSERT INTO visits VALUES {};",
            rows.join(", ")
        ),
    )
}

/// The ids the planned sweep keeps after its exact test, paging by
/// `page` rows.
fn planned(s: &Store, table: &str, after: &str, limit: i64, page: usize) -> BTreeSet<i64> {
    let schema = s.schema().expect("schema");
    let t = schema.table(table).expect("table");
    let ci = t.column_index(after).expect("column");
    let mut cursor: Option<Vec<Value>> = None;
    let mut out = BTreeSet::new();
    loop {
        let p = s
            .expired_page(t, after, limit, cursor.as_deref(), page)
            .expect("page");
        let Some(next) = p.next else { break };
        cursor = Some(next);
        for r in p.rows {
            if exact(&r.values[ci], limit) {
                if let Value::Integer(i) = r.key[0] {
                    out.insert(i);
                }
            }
        }
    }
    out
}

/// The ids a one-pass sweep deletes: surely expired, plus the candidates
/// that pass the exact test; the two never overlap.
fn one_pass(s: &Store, table: &str, after: &str, cut: &Cutoffs) -> BTreeSet<i64> {
    let schema = s.schema().expect("schema");
    let t = schema.table(table).expect("table");
    let id = |k: &[Value]| match k {
        [Value::Integer(i)] => *i,
        _ => panic!("key {k:?}"),
    };
    let sure: BTreeSet<i64> = s
        .surely_expired_keys(t, after, cut, (None, None))
        .expect("surely")
        .iter()
        .map(|k| id(k))
        .collect();
    let found = s
        .expiry_candidates(t, after, cut, (None, None))
        .expect("candidates");
    let mut out = sure.clone();
    for (k, v) in found {
        assert!(!sure.contains(&id(&k)), "{k:?} both surely and candidate");
        if exact(&v, cut.before) {
            out.insert(id(&k));
        }
    }
    out
}

fn cutoffs(limit: i64, sure: i64) -> Cutoffs {
    Cutoffs {
        before: limit,
        sure,
        min: jiff::Timestamp::MIN.as_second(),
    }
}

#[test]
fn text_dates_expire_as_on_sqlite() {
    let limit = now() - NINETY_DAYS;
    let want: BTreeSet<i64> = TEXTS
        .iter()
        .filter(|(_, v)| v.is_some_and(|v| exact(&Value::Text(v.into()), limit)))
        .map(|(id, _)| *id)
        .collect();
    // The limit (3, and 5 at +01:00) stays, midnight of its day (20) is
    // before it; 4 is one second before; 13 at +14:00 is the 24th, 09:30Z;
    // 16 is half a second before; 17 at -14:00 is the 25th, 15:00Z; 14 is
    // no date, 19 no second dsr can read.
    assert_eq!(want, BTreeSet::from([4, 11, 12, 13, 15, 16, 20]));
    let (_dir, lite) = sqlite_texts();
    let cut = cutoffs(limit, limit - 400 * 86_400);
    for ty in ["text", "varchar(40)", "char(30)"] {
        let Some((s, _schema)) = pg_texts(ty) else {
            return;
        };
        for page in [1, 3, 100] {
            assert_eq!(
                planned(&s, "visits", "at", limit, page),
                want,
                "{ty} {page}"
            );
        }
        assert_eq!(one_pass(&s, "visits", "at", &cut), want, "{ty}");
    }
    // On the forms the sweep scenarios use (ids 1 to 11, 20) SQLite
    // answers the same; its narrowing may miss other forms its own date
    // functions do not read, never the other way round.
    let on_sqlite = planned(&lite, "visits", "at", limit, 100);
    assert_eq!(on_sqlite, one_pass(&lite, "visits", "at", &cut));
    assert!(on_sqlite.is_subset(&want), "{on_sqlite:?}");
    let scenario = |ids: &BTreeSet<i64>| -> Vec<i64> {
        ids.iter()
            .copied()
            .filter(|&i| i <= 11 || i == 20)
            .collect()
    };
    assert_eq!(scenario(&on_sqlite), scenario(&want));
}

#[test]
fn native_types_expire_by_the_instant_and_numbers_by_unix_seconds() {
    let limit = now() - NINETY_DAYS;
    // (id, instant): before the limit, at it, after it, NULL, infinities.
    let sql = "
        CREATE TABLE t (id int4 PRIMARY KEY, d date, ts timestamp, tz timestamptz,
                        n bigint, i int4, f double precision, num numeric, s smallint);
        CREATE INDEX t_tz ON t (tz);
        INSERT INTO t VALUES
          (1, '2026-08-23', '2026-08-24 09:59:59', '2026-08-24T10:59:59+01:00',
              1787565599, 1787565599, 1787565599.5, 1787565599, 1),
          (2, '2026-08-24', '2026-08-24 10:00:00', '2026-08-24T10:00:00Z',
              1787565600, 1787565600, 1787565600.0, 1787565600, NULL),
          (3, '2026-08-25', '2026-08-24 10:00:00.5', '2026-11-01T00:00:00Z',
              1790000000, 1790000000, 1790000000, 1790000000.5, 32767),
          (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
          (5, '-infinity', '-infinity', '-infinity', -9223372036854775808, -2147483648, '-Infinity', 'NaN', -32768),
          (6, 'infinity', 'infinity', 'infinity', 9223372036854775807, 2147483647, 'NaN', 1000, 0),
          (7, '1970-01-01', '1969-12-31 23:59:59', '0044-03-15 BC', 0, 0, -0.5, '1500000000', -1);";
    let Some((s, schema)) = pg("retention_native", sql) else {
        return;
    };
    let expect = [
        // A date is its midnight UTC; 2026-08-24 00:00 is before the limit.
        ("d", vec![1, 2, 7]),
        ("ts", vec![1, 7]),
        ("tz", vec![1, 7]),
        ("n", vec![1, 7]),
        // int4's least value is a second of 1901.
        ("i", vec![1, 5, 7]),
        // 1787565599.5 is read as its whole second; -0.5 as -1.
        ("f", vec![1, 7]),
        // numeric is read as its digits: whole numbers of 9 or more.
        ("num", vec![1, 7]),
        // Small numbers are seconds about 1970, as on SQLite.
        ("s", vec![1, 3, 5, 6, 7]),
    ];
    for (col, want) in &expect {
        let want: BTreeSet<i64> = want.iter().map(|&i| i as i64).collect();
        for page in [1, 2, 10] {
            assert_eq!(planned(&s, "t", col, limit, page), want, "{col} {page}");
        }
        for sure in [limit, limit - 86_400, i64::MIN / 2] {
            assert_eq!(
                one_pass(&s, "t", col, &cutoffs(limit, sure)),
                want,
                "{col} {sure}"
            );
        }
    }
    // The native comparison is answered by an index on the column.
    let mut c = connect(&schema.url()).expect("connect");
    let schema_now = s.schema().expect("schema");
    let t = schema_now.table("t").expect("t");
    let shape = Shape::read(&mut c, t).expect("shape");
    let mut b = Binds::default();
    let pred = shape.may_be_before("tz", limit, &mut b);
    let sure = shape
        .surely("tz", &cutoffs(limit, limit), &mut b)
        .expect("surely");
    c.client
        .batch_execute("SET enable_seqscan = off")
        .expect("set");
    let plan: Vec<String> = c
        .client
        .query(
            &format!("EXPLAIN SELECT id FROM t WHERE {pred} AND {sure}"),
            &b.refs(),
        )
        .expect("explain")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        plan.iter()
            .any(|l| l.contains("Index") && l.contains("t_tz")),
        "{plan:?}"
    );
}

#[test]
fn surely_expired_native_rows_are_deleted_in_one_statement() {
    let Some((s, _schema)) = pg(
        "retention_delete",
        "CREATE TABLE t (id bigint PRIMARY KEY, tz timestamptz);
         INSERT INTO t VALUES (1, '2020-01-01Z'), (2, '2026-08-24T09:00:00Z'),
                              (3, '2026-11-01Z'), (4, NULL), (5, '-infinity');",
    ) else {
        return;
    };
    let schema = s.schema().expect("schema");
    let t = schema.table("t").expect("t");
    let limit = now() - NINETY_DAYS;
    let cut = cutoffs(limit, limit - 30 * 86_400);
    let n = s
        .write(|tx| tx.delete_surely_expired(t, "tz", &cut, (None, None)))
        .expect("delete");
    assert_eq!(n, 1);
    assert_eq!(one_pass(&s, "t", "tz", &cut), BTreeSet::from([2]));
}

#[test]
fn ranges_walk_composite_and_keyless_tables_in_key_order() {
    let Some((s, _schema)) = pg(
        "retention_ranges",
        "CREATE TABLE carts (region text, cart text, touched text, PRIMARY KEY (region, cart));
         INSERT INTO carts VALUES ('eu', 'a1', '2020-01-01'), ('eu', 'B2', '2020-01-01'),
           ('eu', 'b1', '2030-01-01'), ('se', 'a1', '1600000000'), ('us', 'a1', NULL);
         CREATE TABLE log (at date, what text);
         INSERT INTO log VALUES ('2020-01-01', 'old'), ('2030-01-01', 'new'), ('2019-05-05', 'older');",
    ) else {
        return;
    };
    let schema = s.schema().expect("schema");
    let carts = schema.table("carts").expect("carts");
    let text = |a: &str, b: &str| vec![Value::Text(a.into()), Value::Text(b.into())];
    // Walk by two keys at a time, as a one-pass sweep does.
    let mut lo: Option<Vec<Value>> = None;
    let mut ends = Vec::new();
    while let Some(hi) = s.range_end(carts, lo.as_deref(), 2).expect("range") {
        ends.push(hi.clone());
        lo = Some(hi);
    }
    assert_eq!(ends.len(), 2);
    let cut = cutoffs(now() - NINETY_DAYS, 0);
    let mut found = Vec::new();
    let mut lo: Option<Vec<Value>> = None;
    for hi in ends.iter().map(Some).chain([None]) {
        for (k, v) in s
            .expiry_candidates(
                carts,
                "touched",
                &cut,
                (lo.as_deref(), hi.map(Vec::as_slice)),
            )
            .expect("candidates")
        {
            if exact(&v, cut.before) {
                found.push(k);
            }
        }
        lo = hi.cloned();
    }
    found.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(
        found,
        [text("eu", "B2"), text("eu", "a1"), text("se", "a1")]
    );

    // A keyless table: rows are named by ctid, and pages follow it.
    let log = schema.table("log").expect("log");
    let mut cursor: Option<Vec<Value>> = None;
    let mut what = Vec::new();
    loop {
        let page = s
            .expired_page(log, "at", now() - NINETY_DAYS, cursor.as_deref(), 1)
            .expect("page");
        let Some(last) = page.rows.last() else { break };
        assert!(matches!(&last.key[..], [Value::Text(t)] if t.starts_with('(')));
        assert_eq!(page.next.as_ref(), Some(&last.key));
        cursor = page.next;
        what.extend(page.rows.into_iter().map(|r| r.values[1].clone()));
    }
    assert_eq!(
        what,
        [Value::Text("old".into()), Value::Text("older".into())]
    );
    let first = s.range_end(log, None, 1).expect("range").expect("a row");
    let limit = now() - NINETY_DAYS;
    assert_eq!(
        s.surely_expired_keys(log, "at", &cutoffs(limit, limit), (None, Some(&first)))
            .expect("surely"),
        [first]
    );
}

#[test]
fn the_lock_holds_across_sessions_until_its_guard_is_dropped() {
    let Some((a, schema)) = pg("retention_lock", "") else {
        return;
    };
    let b = open(&pg_url(&schema), Mode::ReadWrite, TODAY).expect("second store");
    let held = a
        .sweep_lock(false, "2026-11-22T10:00:00Z", false)
        .expect("lock");
    let e = b
        .sweep_lock(false, "2026-11-22T10:00:00Z", false)
        .err()
        .expect("refused");
    assert!(matches!(e, Error::Locked(_)), "{e:?}");
    assert_eq!(e.exit_code() as i32, 6);
    let m = e.to_string();
    assert!(
        m.starts_with("another dsr sweep holds the lock of database ")
            && m.contains(&format!("schema {} (PostgreSQL session pid ", schema.name)),
        "{m}"
    );
    // Dropped: released at once, the store still open.
    drop(held);
    let again = b.sweep_lock(false, "now", false).expect("free after drop");
    // A waiting sweep gets it when the holder is done.
    let url = pg_url(&schema);
    let waiter = std::thread::spawn(move || {
        let c = open(&url, Mode::ReadWrite, TODAY).expect("third store");
        c.sweep_lock(true, "now", false)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!waiter.is_finished(), "it waits");
    drop(again);
    assert_eq!(waiter.join().expect("join"), Ok(()));
    drop(a);
}

fn pg_url(schema: &TestSchema) -> String {
    let raw = std::env::var(VAR).unwrap_or_default();
    let sep = if raw.contains('?') { '&' } else { '?' };
    format!("{raw}{sep}schema={}", schema.name)
}

/// Inside a write transaction (a planned sweep's batch on PostgreSQL),
/// a page of expired rows is locked as it is read: the application's
/// change of one of them waits until the batch ends; outside one, nothing
/// is locked.
#[test]
fn a_page_read_in_a_write_is_locked_until_it_ends() {
    let Some((s, ts)) = pg_texts("text") else {
        return;
    };
    let schema = s.schema().expect("schema");
    let t = schema.table("visits").expect("table");
    let limit = now() - NINETY_DAYS;
    let update = |id: i64| {
        let mut app = connect(&ts.url()).expect("connect");
        app.client.batch_execute(&format!(
            "SET lock_timeout = '100ms'; UPDATE visits SET at = '2026-11-20' WHERE id = {id}"
        ))
    };
    let page = s.expired_page(t, "at", limit, None, 5).expect("page").rows;
    let first = page[0].key[0].clone();
    let Value::Integer(first) = first else {
        panic!("{first:?}")
    };
    update(first).expect("nothing locked outside a write");
    let locked = s
        .write(|_| {
            let page = s.expired_page(t, "at", limit, None, 5).expect("page").rows;
            let Value::Integer(id) = page[0].key[0] else {
                panic!("{:?}", page[0].key)
            };
            Ok((id, update(id).map_err(|e| e.code().cloned())))
        })
        .expect("write");
    assert_ne!(locked.0, first, "the row moved out of the rule is not read");
    assert_eq!(
        locked.1,
        Err(Some(postgres::error::SqlState::LOCK_NOT_AVAILABLE))
    );
    update(locked.0).expect("free again after the write");
}

#[test]
fn pages_follow_an_index_of_a_typed_after_column() {
    let Some((s, _schema)) = pg(
        "retention_by_index",
        "CREATE TABLE v (region text, id int4, at timestamptz, n bigint, f float8, u timestamptz,
                         PRIMARY KEY (region, id));
         CREATE INDEX v_at ON v (at); CREATE INDEX v_n ON v (n); CREATE INDEX v_f ON v (f DESC);
         INSERT INTO v VALUES
           ('se', 1, '2020-01-03', 1577923200, 1577923200.5, '2020-01-03'),
           ('eu', 2, '2020-01-01', 1577836800, 1577836800.5, '2020-01-01'),
           ('eu', 1, '2020-01-01', 1577836800, 1577836800.5, '2020-01-01'),
           ('se', 2, '2030-01-01', 1893456000, 1893456000.5, '2030-01-01'),
           ('us', 1, '2020-01-02', 1577836800, 1577836800.25, '2020-01-02'),
           ('us', 2, NULL, NULL, NULL, NULL);",
    ) else {
        return;
    };
    let schema = s.schema().expect("schema");
    let t = schema.table("v").expect("v");
    let limit = now() - NINETY_DAYS;
    let key = |r: &str, i: i64| vec![Value::Text(r.into()), Value::Integer(i)];
    // Each page's keys and where the next starts, one row a page.
    let walk = |col: &str| {
        let mut cursor: Option<Vec<Value>> = None;
        let mut out = Vec::new();
        loop {
            let p = s
                .expired_page(t, col, limit, cursor.as_deref(), 1)
                .expect("page");
            let Some(next) = p.next else {
                assert!(p.rows.is_empty());
                break;
            };
            out.push((p.rows[0].key.clone(), next.clone()));
            cursor = Some(next);
        }
        out
    };
    // Indexed: in (after, key) order, ties by key; the cursor is the
    // server's text of `after` and the key.
    let at = |ts: &str, r: &str, i: i64| {
        let mut c = vec![Value::Text(ts.into())];
        c.extend(key(r, i));
        (key(r, i), c)
    };
    // Per column: its values and keys, in page order.
    type Walk<'a> = (&'a str, [(&'a str, &'a str, i64); 4]);
    let expect: [Walk<'_>; 3] = [
        (
            "at",
            [
                ("2020-01-01 00:00:00+00", "eu", 1),
                ("2020-01-01 00:00:00+00", "eu", 2),
                ("2020-01-02 00:00:00+00", "us", 1),
                ("2020-01-03 00:00:00+00", "se", 1),
            ],
        ),
        (
            "n",
            [
                ("1577836800", "eu", 1),
                ("1577836800", "eu", 2),
                ("1577836800", "us", 1),
                ("1577923200", "se", 1),
            ],
        ),
        (
            "f",
            [
                ("1577836800.25", "us", 1),
                ("1577836800.5", "eu", 1),
                ("1577836800.5", "eu", 2),
                ("1577923200.5", "se", 1),
            ],
        ),
    ];
    for (col, want) in expect {
        let want: Vec<_> = want.iter().map(|(v, r, i)| at(v, r, *i)).collect();
        assert_eq!(walk(col), want, "{col}");
    }
    // No index: key order, the cursor the key.
    let by_key = |r: &str, i: i64| (key(r, i), key(r, i));
    assert_eq!(
        walk("u"),
        [
            by_key("eu", 1),
            by_key("eu", 2),
            by_key("se", 1),
            by_key("us", 1)
        ]
    );
}
