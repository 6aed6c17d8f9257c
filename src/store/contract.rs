//! The store contract: what every backend must do, written once as
//! functions of an opened [`Store`] over one fixture tenant (created per
//! test from [`SQLITE_FIXTURE`] or [`POSTGRES_FIXTURE`]), and instantiated
//! per backend at the end of the file:
//!
//! - SQLite: every function, on a temporary database file.
//! - PostgreSQL: on a schema of its own (`pg::testing::TestSchema`;
//!   skipped with a message without `DSR_TEST_POSTGRES_URL`, failing under
//!   `CI=true`).

use super::{open, Assign, Deferred, Filter, Mode, Needle, PageAt, Store};
use crate::ident::Kind;
use crate::store::refs::hash_value;
use crate::store::schema::ColumnType;
use crate::store::AuditRow;
use crate::value::Value;

const TODAY: jiff::civil::Date = jiff::civil::date(2026, 11, 22);

/// The fixture on SQLite.
const SQLITE_FIXTURE: &str = "
CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, name TEXT NOT NULL, note TEXT);
CREATE INDEX people_email ON people (email COLLATE NOCASE);
CREATE INDEX people_name ON people (name);
CREATE TABLE orders (id INTEGER PRIMARY KEY, person_id INTEGER REFERENCES people (id) ON DELETE CASCADE, placed_at INTEGER);
CREATE TABLE tags (person_id INTEGER NOT NULL, tag VARCHAR(20) NOT NULL, PRIMARY KEY (person_id, tag));
";

/// The same tenant on PostgreSQL.
const POSTGRES_FIXTURE: &str = "
CREATE TABLE people (id bigint PRIMARY KEY, email text, name text NOT NULL, note text);
CREATE INDEX people_email ON people (lower(email));
CREATE INDEX people_name ON people (name);
CREATE TABLE orders (id bigint PRIMARY KEY, person_id bigint REFERENCES people (id) ON DELETE CASCADE, placed_at bigint);
CREATE TABLE tags (person_id bigint NOT NULL, tag varchar(20) NOT NULL, PRIMARY KEY (person_id, tag));
";

/// The rows, the same on both.
const ROWS: &str = "
INSERT INTO people VALUES
  (1, 'ANNA@example.se', 'Anna', 'called 070-123 45 67 about K-17'),
  (2, 'bo@example.se', 'Bo', 'nothing to say'),
  (3, 'anna@example.se.com', 'Anna Two', NULL);
INSERT INTO orders VALUES (10, 1, 1000), (11, 1, 2000000000), (12, 2, 1500);
INSERT INTO tags VALUES (1, 'a'), (1, 'b'), (2, 'a');
";

fn int(i: i64) -> Value {
    Value::Integer(i)
}

fn ids(s: &Store, table: &str, filter: &Filter<'_>) -> Vec<i64> {
    let schema = s.schema().expect("schema");
    let t = schema.table(table).expect("table");
    let mut out = Vec::new();
    s.select(t, filter, |r| {
        if let Value::Integer(i) = r.key[0] {
            out.push(i);
        }
    })
    .expect("select");
    out.sort();
    out
}

fn count(s: &Store, table: &str) -> u64 {
    let schema = s.schema().expect("schema");
    s.count(schema.table(table).expect("table")).expect("count")
}

pub(super) fn schema_is_read(s: &Store) {
    let schema = s.schema().expect("schema");
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["orders", "people", "tags"]);
    let people = schema.table("people").expect("people");
    assert_eq!(people.pk, ["id"]);
    assert!(people.integer_key());
    assert_eq!(people.column("id").expect("id").ty, ColumnType::Integer);
    assert_eq!(people.column("email").expect("email").ty, ColumnType::Text);
    assert!(people.column("name").expect("name").not_null);
    assert!(people.is_indexed("email", true), "a case-folding index");
    assert!(people.is_indexed("name", false));
    assert!(!people.is_indexed("note", false));
    let orders = schema.table("orders").expect("orders");
    assert_eq!(orders.foreign_keys.len(), 1);
    let fk = &orders.foreign_keys[0];
    assert_eq!(
        (fk.from.as_slice(), fk.table.as_str()),
        (&["person_id".to_string()][..], "people")
    );
    assert_eq!(fk.to, ["id"]);
    assert_eq!(fk.on_delete, "CASCADE");
    let tags = schema.table("tags").expect("tags");
    assert_eq!(tags.pk, ["person_id", "tag"]);
    assert!(!tags.integer_key());
    assert_eq!(tags.column("tag").expect("tag").max_len, Some(20));
    assert!(s.has_table("people").expect("has_table"));
    assert!(!s.has_table("_dsr_meta").expect("has_table"));
}

pub(super) fn select_by_each_filter(s: &Store) {
    let cols = ["id".to_string()];
    let tuples = [vec![int(1)], vec![int(3)], vec![int(99)]];
    assert_eq!(
        ids(
            s,
            "people",
            &Filter::In {
                columns: &cols,
                tuples: &tuples
            }
        ),
        [1, 3]
    );
    let prefixes = ["anna@example.se".to_string()];
    let nocase = Filter::Prefixed {
        column: "email",
        prefixes: &prefixes,
        nocase: true,
    };
    assert_eq!(ids(s, "people", &nocase), [1, 3]);
    let exact = Filter::Prefixed {
        column: "email",
        prefixes: &prefixes,
        nocase: false,
    };
    assert_eq!(ids(s, "people", &exact), [3]);
    let keys = ["anna@example.se".to_string()];
    let norm = Filter::Normalized {
        column: "email",
        kind: Kind::Email,
        keys: &keys,
    };
    assert_eq!(ids(s, "people", &norm), [1]);
    assert_eq!(ids(s, "people", &Filter::Keys(&[vec![int(2)]])), [2]);
    let schema = s.schema().expect("schema");
    let tags = schema.table("tags").expect("tags");
    let mut got = Vec::new();
    s.select(
        tags,
        &Filter::Keys(&[vec![int(1), Value::Text("b".into())]]),
        |r| got.push(r.key),
    )
    .expect("select");
    assert_eq!(got, [vec![int(1), Value::Text("b".into())]]);
}

/// The memo of `dsr batch` (memo.rs) answers `Filter::Normalized` as the
/// backend does: the same rows, for several lookups of one column, for a
/// key no row has, for two keys one row matches (once), and for text that
/// is no identifier; switched off, the backend answers again.
pub(super) fn memoized_lookups_give_the_backends_rows(s: &Store) {
    let email = |keys: &[&str]| {
        let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        ids(
            s,
            "people",
            &Filter::Normalized {
                column: "email",
                kind: Kind::Email,
                keys: &keys,
            },
        )
    };
    let phone = |keys: &[&str]| {
        let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        ids(
            s,
            "people",
            &Filter::Normalized {
                column: "name",
                kind: Kind::Phone(crate::ident::Region::DEFAULT),
                keys: &keys,
            },
        )
    };
    let cases: [&[&str]; 4] = [
        &["anna@example.se"],
        &["bo@example.se", "anna@example.se"],
        &["nobody@example.se"],
        &[],
    ];
    let plain: Vec<Vec<i64>> = cases.iter().map(|k| email(k)).collect();
    assert_eq!(plain, [vec![1], vec![1, 2], vec![], vec![]]);
    let no_phone = phone(&["+46701234567"]);
    let scanned = s.scanned_rows();
    assert!(scanned > 0, "the backend scans for these lookups");
    s.memoize_lookups(true);
    let memo: Vec<Vec<i64>> = cases.iter().map(|k| email(k)).collect();
    assert_eq!(memo, plain);
    // Answered from the column read once, not by the backend's scans.
    assert_eq!(s.scanned_rows(), scanned);
    assert_eq!(email(&["anna@example.se", "ANNA@example.se"]), [1]);
    assert_eq!(phone(&["+46701234567"]), no_phone);
    assert_eq!(no_phone, Vec::<i64>::new());
    assert_eq!(s.scanned_rows(), scanned);
    s.memoize_lookups(false);
    assert_eq!(email(&["anna@example.se"]), [1]);
    assert!(s.scanned_rows() > scanned, "off: the backend again");
}

pub(super) fn scan_text_with_needles(s: &Store) {
    let schema = s.schema().expect("schema");
    let people = schema.table("people").expect("people");
    let found = |needles: &[Needle]| {
        let mut out = Vec::new();
        s.scan_text(people, "note", needles, |k, text| {
            out.push((k, text.to_string()))
        })
        .expect("scan");
        out
    };
    let note = "called 070-123 45 67 about K-17".to_string();
    let sub = Needle::Substring {
        text: "k-17".into(),
        ignore_case: true,
    };
    assert_eq!(found(&[sub]), [(vec![int(1)], note.clone())]);
    let digits = Needle::DigitsInOrder("701234567".into());
    assert_eq!(found(&[digits]), [(vec![int(1)], note)]);
    let none = Needle::Substring {
        text: "absent".into(),
        ignore_case: true,
    };
    assert!(found(&[none]).is_empty());
    let all = Needle::Substring {
        text: String::new(),
        ignore_case: false,
    };
    assert_eq!(found(&[all]).len(), 2, "NULL is never a match");
}

/// Several needles in one scan: a row that any of them admits, once; the
/// email column (indexed on both backends) looked up by its normalised
/// form finds the row whatever the case it was written in, and no row for
/// a key that only a prefix of a stored value matches.
pub(super) fn needles_together_and_normalized_lookups(s: &Store) {
    let schema = s.schema().expect("schema");
    let people = schema.table("people").expect("people");
    let mut found = Vec::new();
    let needles = [
        Needle::Substring {
            text: "absent".into(),
            ignore_case: true,
        },
        Needle::DigitsInOrder("1234567".into()),
        Needle::Substring {
            text: "ABOUT k-17".into(),
            ignore_case: true,
        },
        Needle::Substring {
            text: "to SAY".into(),
            ignore_case: true,
        },
    ];
    s.scan_text(people, "note", &needles, |k, text| {
        found.push((k, text.to_string()))
    })
    .expect("scan");
    found.sort_by(|a, b| crate::value::key_cmp(&a.0, &b.0));
    assert_eq!(
        found,
        [
            (vec![int(1)], "called 070-123 45 67 about K-17".to_string()),
            (vec![int(2)], "nothing to say".to_string()),
        ]
    );
    let keys = vec!["anna@example.se".to_string()];
    let f = Filter::Normalized {
        column: "email",
        kind: Kind::Email,
        keys: &keys,
    };
    assert_eq!(ids(s, "people", &f), [1]);
    let keys = vec!["anna@example".to_string()];
    let f = Filter::Normalized {
        column: "email",
        kind: Kind::Email,
        keys: &keys,
    };
    assert_eq!(ids(s, "people", &f), Vec::<i64>::new());
}

pub(super) fn whole_tables_are_read(s: &Store) {
    let schema = s.schema().expect("schema");
    let people = schema.table("people").expect("people");
    assert_eq!(count(s, "people"), 3);
    let mut rows = Vec::new();
    let n = s
        .scan_all(people, |v| {
            rows.push(v.to_vec());
            Ok(())
        })
        .expect("scan_all");
    assert_eq!(n, 3);
    assert_eq!(
        rows,
        [
            vec![
                int(1),
                Value::Text("ANNA@example.se".into()),
                Value::Text("Anna".into()),
                Value::Text("called 070-123 45 67 about K-17".into())
            ],
            vec![
                int(2),
                Value::Text("bo@example.se".into()),
                Value::Text("Bo".into()),
                Value::Text("nothing to say".into())
            ],
            vec![
                int(3),
                Value::Text("anna@example.se.com".into()),
                Value::Text("Anna Two".into()),
                Value::Null
            ],
        ],
        "every column in schema order, in storage order"
    );
    // A failing callback stops the read with its error.
    let err = s
        .scan_all(people, |_| Err(crate::error::Error::Runtime("full".into())))
        .expect_err("stops");
    assert_eq!(err.to_string(), "full");
    let tags = schema.table("tags").expect("tags");
    let mut keys = Vec::new();
    s.backend
        .table_keys(tags, &mut |k: Vec<Value>| keys.push(k))
        .expect("keys");
    keys.sort_by(|a, b| crate::value::key_cmp(a, b));
    let tag = |p: i64, t: &str| vec![int(p), Value::Text(t.into())];
    assert_eq!(keys, [tag(1, "a"), tag(1, "b"), tag(2, "a")]);
    let mut sample = s.sample("people", "note", 10).expect("sample");
    sample.sort_by(|a, b| a.sql_cmp(b));
    assert_eq!(
        sample,
        [
            Value::Text("called 070-123 45 67 about K-17".into()),
            Value::Text("nothing to say".into())
        ],
        "NULL is never sampled"
    );
    assert_eq!(s.sample("people", "note", 1).expect("sample").len(), 1);
}

pub(super) fn a_snapshot_reads_one_moment(s: &Store) {
    let schema = s.schema().expect("schema");
    let orders = schema.table("orders").expect("orders");
    let n = s
        .snapshot(|| {
            let mut n = 0;
            s.scan_all(orders, |_| {
                n += 1;
                Ok(())
            })?;
            // A read inside the snapshot runs in it, not in one of its own.
            s.read(|s| Ok(s.count(orders)? + n))
        })
        .expect("snapshot");
    assert_eq!(n, 6);
    assert!(!s.backend.in_transaction(), "the snapshot ended");
    let failed: crate::error::Result<()> =
        s.snapshot(|| Err(crate::error::Error::Runtime("stop".into())));
    assert_eq!(failed.expect_err("fails").to_string(), "stop");
    assert!(!s.backend.in_transaction());
    assert_eq!(
        count(s, "orders"),
        3,
        "still readable after a failed snapshot"
    );
}

pub(super) fn writes_commit_or_roll_back(s: &Store) {
    let schema = s.schema().expect("schema");
    let tags = schema.table("tags").expect("tags");
    let key = vec![int(2), Value::Text("a".into())];
    let failed: crate::error::Result<()> = s.write(|tx| {
        assert_eq!(tx.delete_keys(tags, std::slice::from_ref(&key))?, 1);
        Err(crate::error::Error::Runtime("stop".into()))
    });
    assert!(failed.is_err());
    assert_eq!(count(s, "tags"), 3, "a failed write keeps nothing");
    s.write(|tx| {
        // A dry run meets the same statements and undoes them.
        let n = tx.trial(|tx| tx.delete_keys(tags, std::slice::from_ref(&key)))?;
        assert_eq!(n, 1);
        assert!(tx.is_open());
        Ok(())
    })
    .expect("trial");
    assert_eq!(count(s, "tags"), 3, "a trial keeps nothing");
    s.write(|tx| tx.delete_keys(tags, std::slice::from_ref(&key)))
        .expect("delete");
    assert_eq!(count(s, "tags"), 2);
}

pub(super) fn delete_and_anonymize_count_rows(s: &Store) {
    let schema = s.schema().expect("schema");
    let people = schema.table("people").expect("people");
    let secret = "contract secret";
    s.write(|tx| {
        tx.ensure_tool_tables()?;
        tx.prepare_erasure(secret)?;
        let sets = [
            ("email".to_string(), Assign::Hash),
            ("note".to_string(), Assign::Redact("[erased]".into())),
        ];
        assert_eq!(
            tx.anonymize_keys(people, &sets, &[vec![int(2)], vec![int(3)], vec![int(9)]])?,
            2
        );
        let edit = tx.replace_text(people, &[int(1)], "name", "Anna", "[name]")?;
        assert_eq!(edit, 1);
        assert_eq!(
            tx.replace_text(people, &[int(1)], "name", "Anna", "x")?,
            0,
            "no longer planned on"
        );
        Ok(())
    })
    .expect("anonymize");
    let mut rows = Vec::new();
    s.select(
        people,
        &Filter::Keys(&[vec![int(1)], vec![int(2)], vec![int(3)]]),
        |r| rows.push(r),
    )
    .expect("select");
    rows.sort_by_key(|r| format!("{:?}", r.key));
    let bo = &rows[1].values;
    assert_eq!(
        bo[1],
        Value::Text(hash_value(secret, &Value::Text("bo@example.se".into())).expect("hash"))
    );
    assert_eq!(bo[3], Value::Text("[erased]".into()));
    assert_eq!(rows[2].values[3], Value::Null, "NULL stays NULL");
    assert_eq!(rows[0].values[2], Value::Text("[name]".into()));
    let tags = schema.table("tags").expect("tags");
    let n = s
        .write(|tx| {
            tx.delete_keys(
                tags,
                &[
                    vec![int(1), Value::Text("a".into())],
                    vec![int(7), Value::Text("a".into())],
                ],
            )
        })
        .expect("delete");
    assert_eq!(n, 1);
}

pub(super) fn the_watch_flags_unplanned_changes(s: &Store) {
    let schema = s.schema().expect("schema");
    let people = schema.table("people").expect("people");
    let orders = schema.table("orders").expect("orders");
    // Deleting person 1 cascades to orders 10 and 11: planned, nothing
    // unplanned; the same delete planning only the person reports both.
    let planned = s
        .write(|tx| {
            tx.trial(|tx| {
                let mut w = tx.watch(&schema)?;
                w.plan(people, [vec![int(1)]]);
                w.plan(orders, [vec![int(10)], vec![int(11)]]);
                let n = tx.delete_keys(people, &[vec![int(1)]])?;
                w.changed(people, n);
                Ok(w.unplanned())
            })
        })
        .expect("watch");
    assert!(planned.is_empty(), "{planned:?}");
    let unplanned = s
        .write(|tx| {
            let mut w = tx.watch(&schema)?;
            w.plan(people, [vec![int(1)]]);
            let n = tx.delete_keys(people, &[vec![int(1)]])?;
            w.changed(people, n);
            Ok(w.unplanned())
        })
        .expect("watch");
    assert_eq!(unplanned.tables, [("orders".to_string(), 2)]);
    assert_eq!(unplanned.unwatched, 0);
}

/// Deleting along a link: the rows `Filter::In` selects, by one or
/// several columns, counted without the store's cascades.
pub(super) fn rows_are_deleted_by_a_links_values(s: &Store) {
    let schema = s.schema().expect("schema");
    let people = schema.table("people").expect("people");
    let orders = schema.table("orders").expect("orders");
    let tags = schema.table("tags").expect("tags");
    let person_id = ["person_id".to_string()];
    let both = ["person_id".to_string(), "tag".to_string()];
    s.write(|tx| {
        tx.trial(|tx| {
            assert_eq!(
                tx.delete_in(orders, &person_id, &[vec![int(1)], vec![int(7)]])?,
                2
            );
            assert_eq!(
                ids(
                    tx,
                    "orders",
                    &Filter::Keys(&[vec![int(10)], vec![int(11)], vec![int(12)]])
                ),
                [12]
            );
            let pairs = [
                vec![int(1), Value::Text("a".into())],
                vec![int(2), Value::Text("a".into())],
                vec![int(2), Value::Text("z".into())],
            ];
            assert_eq!(tx.delete_in(tags, &both, &pairs)?, 2);
            assert_eq!(count(tx, "tags"), 1);
            assert_eq!(tx.delete_in(tags, &both, &[])?, 0);
            // Person 2's order goes by the store's cascade: not counted.
            assert_eq!(
                tx.delete_in(people, &["id".to_string()], &[vec![int(2)]])?,
                1
            );
            assert_eq!(count(tx, "orders"), 0);
            Ok(())
        })
    })
    .expect("delete along a link");
    assert_eq!(count(s, "orders"), 3, "a trial keeps nothing");
}

/// The watch by counts (every backend has one): dsr's own changes alone
/// pass, and a cascade's undoes everything since it began.
pub(super) fn a_watch_by_counts_tells_the_stores_own_changes(s: &Store) {
    let schema = s.schema().expect("schema");
    let people = schema.table("people").expect("people");
    let orders = schema.table("orders").expect("orders");
    s.write(|tx| {
        tx.trial(|tx| {
            assert!(tx.quick_watch_start()?);
            let n = tx.delete_keys(orders, &[vec![int(10)]])?;
            assert!(tx.quick_watch_finish(n)?, "only dsr's own change");
            assert_eq!(count(tx, "orders"), 2, "the change stays");
            assert!(tx.quick_watch_start()?);
            // Person 1's remaining order goes by the store's cascade.
            let n = tx.delete_keys(people, &[vec![int(1)]])?;
            assert_eq!(n, 1);
            assert!(!tx.quick_watch_finish(n)?, "the cascade is not dsr's own");
            assert_eq!(count(tx, "people"), 3, "undone since the start");
            assert_eq!(count(tx, "orders"), 2);
            Ok(())
        })
    })
    .expect("watch by counts");
    assert_eq!(count(s, "orders"), 3, "a trial keeps nothing");
}

pub(super) fn dsr_tables_hold_what_is_written(s: &Store) {
    let row = AuditRow {
        seq: 1,
        at: "2026-11-22T10:00:00Z".into(),
        operator: "op".into(),
        command: "extract".into(),
        request: None,
        subject: Some("ref".into()),
        outcome: "ok".into(),
        details: "{}".into(),
        prev_hash: "0".into(),
        hash: "h1".into(),
    };
    let secret = s
        .write(|tx| {
            let secret = tx.ensure_tool_tables()?;
            tx.set_meta("k", "v")?;
            tx.audit_insert(&row)?;
            tx.remember_anonymized("people", &[vec![int(2)]], "2026-11-22")?;
            tx.defer(
                &[Deferred {
                    table: "people".into(),
                    key: vec![int(3)],
                    action: "delete".into(),
                    until: Some("2027-01-01".into()),
                    reason: "hold".into(),
                    subject: None,
                }],
                "2026-11-22",
                1,
            )?;
            Ok(secret)
        })
        .expect("write");
    assert_eq!(secret.len(), 64);
    assert_eq!(
        s.secret().expect("secret").as_deref(),
        Some(secret.as_str())
    );
    assert_eq!(s.meta("k").expect("meta").as_deref(), Some("v"));
    assert_eq!(s.meta("absent").expect("meta"), None);
    assert_eq!(s.audit_tail().expect("tail"), Some((1, "h1".to_string())));
    let mut records = Vec::new();
    s.audit_records(|r| {
        records.push(r);
        Ok(())
    })
    .expect("records");
    assert_eq!(records, [row]);
    let anon = s
        .anonymized("people", &[vec![int(1)], vec![int(2)]])
        .expect("anonymized");
    assert_eq!(anon.into_iter().collect::<Vec<_>>(), [vec![int(2)]]);
    let page = s.deferred_page(None, None, 10).expect("deferred");
    assert_eq!(page.len(), 1);
    assert_eq!(
        (page[0].table.as_str(), page[0].key.as_str()),
        ("people", "[3]")
    );
    assert_eq!(page[0].until.as_deref(), Some("2027-01-01"));
    let gone = s
        .write(|tx| tx.forget_deferred(&[("people".into(), "[3]".into())]))
        .expect("forget");
    assert_eq!(gone, 1);
    assert!(s
        .deferred_page(None, None, 10)
        .expect("deferred")
        .is_empty());
}

pub(super) fn expired_rows_are_paged(s: &Store) {
    let schema = s.schema().expect("schema");
    let orders = schema.table("orders").expect("orders");
    let page = s
        .expired_page(orders, "placed_at", 1_700_000_000, None, 1)
        .expect("page");
    assert_eq!(
        page.rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
        [vec![int(10)]]
    );
    let next = s
        .expired_page(orders, "placed_at", 1_700_000_000, page.next.as_deref(), 10)
        .expect("page");
    assert_eq!(
        next.rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
        [vec![int(12)]]
    );
    let last = s
        .expired_page(orders, "placed_at", 1_700_000_000, next.next.as_deref(), 10)
        .expect("page");
    assert!(last.rows.is_empty() && last.next.is_none());
    // A page ends at its `until` key, the rows after it left for no page.
    let until = [int(11)];
    let at = PageAt {
        before: 1_700_000_000,
        cursor: None,
        until: Some(&until),
        limit: 10,
    };
    let bounded = s
        .expired_page_at(orders, "placed_at", &at, None)
        .expect("page");
    assert_eq!(
        bounded
            .rows
            .iter()
            .map(|r| r.key.clone())
            .collect::<Vec<_>>(),
        [vec![int(10)]]
    );
    assert_eq!(s.key_bounds(orders).expect("bounds"), Some((10, 12)));
    assert_eq!(
        s.range_end(orders, None, 2).expect("range"),
        Some(vec![int(11)])
    );
}

/// Rows by key with some columns read: those columns and the key as
/// stored, the others NULL or as stored; keys not there give no row.
pub(super) fn rows_are_read_by_key_in_some_columns(s: &Store) {
    let schema = s.schema().expect("schema");
    let people = schema.table("people").expect("people");
    let read: Vec<bool> = people.columns.iter().map(|c| c.name == "name").collect();
    let keys = [vec![int(3)], vec![int(1)], vec![int(99)]];
    let mut rows = Vec::new();
    s.rows_reading(people, &keys, Some(&read), |r| rows.push(r))
        .expect("rows");
    rows.sort_by_key(|r| format!("{:?}", r.key));
    let name = people.column_index("name").expect("name");
    let email = people.column_index("email").expect("email");
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.key.clone(), r.values[name].clone()))
        .collect();
    assert_eq!(
        got,
        [
            (vec![int(1)], Value::Text("Anna".into())),
            (vec![int(3)], Value::Text("Anna Two".into()))
        ]
    );
    for (r, stored) in rows.iter().zip(["ANNA@example.se", "anna@example.se.com"]) {
        assert!(
            matches!(&r.values[email], Value::Null)
                || r.values[email] == Value::Text(stored.into()),
            "{:?}",
            r.values
        );
    }
}

fn cutoffs(before: i64, sure: i64, min: i64) -> super::Cutoffs {
    super::Cutoffs { before, sure, min }
}

/// A one-pass range splits into what SQL deletes alone and what dsr
/// tests: orders placed at 1000 and 1500 (Unix seconds) are before the
/// cutoff, only the first before `sure`; ranges are (lo, hi] in key order.
pub(super) fn expiry_splits_a_key_range(s: &Store) {
    let schema = s.schema().expect("schema");
    let orders = schema.table("orders").expect("orders");
    let cut = cutoffs(1_700_000_000, 1200, 0);
    let surely = |lo: Option<&[Value]>, hi: Option<&[Value]>| {
        s.surely_expired_keys(orders, "placed_at", &cut, (lo, hi))
            .expect("surely")
    };
    let candidates = |lo: Option<&[Value]>, hi: Option<&[Value]>| {
        s.expiry_candidates(orders, "placed_at", &cut, (lo, hi))
            .expect("candidates")
    };
    assert_eq!(surely(None, None), [vec![int(10)]]);
    assert_eq!(candidates(None, None), [(vec![int(12)], int(1500))]);
    let ten = [int(10)];
    assert!(surely(Some(&ten), None).is_empty(), "lo is excluded");
    assert!(candidates(None, Some(&ten)).is_empty(), "hi is included");
    assert_eq!(surely(None, Some(&ten)), [vec![int(10)]]);
    let early = cutoffs(1000, 1000, 0);
    assert!(s
        .expiry_candidates(orders, "placed_at", &early, (None, None))
        .expect("candidates")
        .is_empty());
    // Below `min` nothing is a time: never surely expired.
    let late_min = cutoffs(1_700_000_000, 1_700_000_000, 1200);
    assert_eq!(
        s.surely_expired_keys(orders, "placed_at", &late_min, (None, None))
            .expect("surely"),
        [vec![int(12)]]
    );
}

/// One statement deletes what has surely expired in a range, and only
/// that (the cascade from orders reaches nothing).
pub(super) fn surely_expired_rows_are_deleted_in_one_pass(s: &Store) {
    let schema = s.schema().expect("schema");
    let orders = schema.table("orders").expect("orders");
    let cut = cutoffs(1_700_000_000, 1_600, 0);
    let surely = || {
        s.surely_expired_keys(orders, "placed_at", &cut, (None, None))
            .expect("surely")
    };
    assert_eq!(surely(), [vec![int(10)], vec![int(12)]]);
    let hi = [int(11)];
    let n = s
        .write(|tx| tx.delete_surely_expired(orders, "placed_at", &cut, (None, Some(&hi))))
        .expect("delete");
    assert_eq!(n, 1);
    assert_eq!(surely(), [vec![int(12)]], "only the range's row");
    assert_eq!(s.key_bounds(orders).expect("bounds"), Some((11, 12)));
    let n = s
        .write(|tx| tx.delete_surely_expired(orders, "placed_at", &cut, (Some(&hi), None)))
        .expect("delete");
    assert_eq!(n, 1);
    assert_eq!(s.key_bounds(orders).expect("bounds"), Some((11, 11)));
}

/// Rows by link values come in key order, text keys by code point (not
/// the database's collation), across chunks of many tuples; `count_in`
/// counts the same rows; a failing callback stops the read.
pub(super) fn rows_stream_in_key_order(s: &Store) {
    s.write(|tx| {
        tx.exec(
            "INSERT INTO tags VALUES (1, 'B'), (1, 'Z'), (1, '_x'), (1, 'é'), (3, 'x'), (550, 'y')",
            &[],
            "adding tags to",
        )
    })
    .expect("insert");
    let schema = s.schema().expect("schema");
    let tags = schema.table("tags").expect("tags");
    let cols = ["person_id".to_string()];
    // More tuples than one statement binds, in descending order.
    let tuples: Vec<Vec<Value>> = (1..=600).rev().map(|i| vec![int(i)]).collect();
    let mut got: Vec<(i64, String)> = Vec::new();
    s.select_in_key_order(tags, &cols, &tuples, |r| {
        if let [Value::Integer(p), Value::Text(t)] = r.key.as_slice() {
            got.push((*p, t.clone()));
        }
        Ok(())
    })
    .expect("ordered");
    let want: Vec<(i64, String)> = [
        (1, "B"),
        (1, "Z"),
        (1, "_x"),
        (1, "a"),
        (1, "b"),
        (1, "é"),
        (2, "a"),
        (3, "x"),
        (550, "y"),
    ]
    .iter()
    .map(|(p, t)| (*p, t.to_string()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(s.count_in(tags, &cols, &tuples).expect("count"), 9);
    let two = [vec![int(2)], vec![int(3)]];
    assert_eq!(s.count_in(tags, &cols, &two).expect("count"), 2);
    assert_eq!(s.count_in(tags, &cols, &[]).expect("count"), 0);
    let mut seen = 0;
    let stopped = s.select_in_key_order(tags, &cols, &tuples, |_| {
        seen += 1;
        Err(crate::error::Error::Runtime("stop".into()))
    });
    assert!(stopped.is_err());
    assert_eq!(seen, 1, "the first failure stops the read");
}

/// A composite key matched by many tuples that share their first value
/// (the PostgreSQL store then binds those values too): reads, counts, reads
/// by key and deletes take exactly the rows named, a duplicate once, and a
/// tuple with a NULL or of a row not there none.
pub(super) fn composite_keys_match_many_tuples(s: &Store) {
    let mut values: Vec<String> = (0..300).map(|i| format!("(7, 't{i:03}')")).collect();
    values.extend((0..10).map(|i| format!("(8, 't{i:03}')")));
    let sql = format!("INSERT INTO tags VALUES {}", values.join(", "));
    s.write(|tx| tx.exec(&sql, &[], "adding tags to"))
        .expect("insert");
    let schema = s.schema().expect("schema");
    let tags = schema.table("tags").expect("tags");
    let cols = ["person_id".to_string(), "tag".to_string()];
    let tag = |p: i64, i: i64| vec![int(p), Value::Text(format!("t{i:03}"))];
    let mut tuples: Vec<Vec<Value>> = (0..200).map(|i| tag(7, i)).collect();
    tuples.push(tag(8, 0));
    tuples.push(tag(7, 0));
    tuples.push(vec![int(7), Value::Text("absent".into())]);
    tuples.push(vec![int(9), Value::Text("t000".into())]);
    tuples.push(vec![int(7), Value::Null]);
    tuples.push(vec![Value::Null, Value::Text("t001".into())]);
    let mut want: Vec<Vec<Value>> = (0..200).map(|i| tag(7, i)).collect();
    want.push(tag(8, 0));
    want.sort_by_key(|k| format!("{k:?}"));
    let sorted = |mut v: Vec<Vec<Value>>| {
        v.sort_by_key(|k| format!("{k:?}"));
        v
    };
    let mut read = Vec::new();
    let filter = Filter::In {
        columns: &cols,
        tuples: &tuples,
    };
    s.select(tags, &filter, |r| read.push(r.key))
        .expect("select");
    assert_eq!(sorted(read), want, "Filter::In");
    assert_eq!(s.count_in(tags, &cols, &tuples).expect("count"), 201);
    let keys: Vec<Vec<Value>> = tuples
        .iter()
        .filter(|t| !t.contains(&Value::Null))
        .cloned()
        .collect();
    s.write(|tx| {
        let mut locked = Vec::new();
        tx.rows_reading(tags, &keys, None, |r| locked.push(r.key))?;
        assert_eq!(sorted(locked), want, "rows by key");
        tx.trial(|tx| {
            assert_eq!(tx.delete_keys(tags, &keys)?, 201, "delete by key");
            assert_eq!(count(tx, "tags"), 3 + 310 - 201);
            Ok(())
        })?;
        assert_eq!(tx.delete_in(tags, &cols, &tuples)?, 201, "delete in");
        Ok(())
    })
    .expect("write");
    assert_eq!(count(s, "tags"), 3 + 310 - 201);
    assert_eq!(s.count_in(tags, &cols, &tuples).expect("count"), 0);
}

/// Deferred erasures of many rows (more than one statement writes), a row
/// named twice and one deferred before keeping their first record.
pub(super) fn many_deferred_rows_are_written_once(s: &Store) {
    let held = |i: i64, until: &str| Deferred {
        table: "orders".into(),
        key: vec![int(i)],
        action: "delete".into(),
        until: Some(until.into()),
        reason: "hold".into(),
        subject: Some("ref".into()),
    };
    s.write(|tx| {
        tx.ensure_tool_tables()?;
        tx.defer(&[held(5, "2027-05-05")], "2026-11-01", 1)
    })
    .expect("first");
    let mut rows: Vec<Deferred> = (1..=250).map(|i| held(i, "2028-01-01")).collect();
    rows.insert(3, held(2, "2029-02-02"));
    s.write(|tx| tx.defer(&rows, "2026-11-22", 2))
        .expect("defer");
    let page = s
        .deferred_page(Some("orders"), None, 1000)
        .expect("deferred");
    assert_eq!(page.len(), 250);
    let until = |key: &str| {
        page.iter()
            .find(|d| d.key == key)
            .and_then(|d| d.until.clone())
    };
    assert_eq!(
        until("[5]").as_deref(),
        Some("2027-05-05"),
        "deferred before"
    );
    assert_eq!(
        until("[2]").as_deref(),
        Some("2028-01-01"),
        "the first of two"
    );
    assert_eq!(until("[250]").as_deref(), Some("2028-01-01"));
    assert!(s.write(|tx| tx.defer(&[], "2026-11-22", 3)).is_ok());
}

/// The secret is read once per transaction, and what dsr writes of it
/// (a new one, one undone by a rollback or a savepoint) is what it reads
/// next.
pub(super) fn the_secret_is_kept_per_transaction(s: &Store) {
    let first = s
        .write(|tx| {
            let first = tx.ensure_tool_tables()?;
            assert_eq!(tx.secret()?.as_deref(), Some(first.as_str()));
            let undone = tx.trial(|tx| tx.new_secret())?;
            assert_ne!(undone, first);
            assert_eq!(
                tx.secret()?.as_deref(),
                Some(first.as_str()),
                "a trial undone"
            );
            Ok(first)
        })
        .expect("write");
    let new = s
        .write(|tx| {
            let new = tx.new_secret()?;
            assert_eq!(tx.secret()?.as_deref(), Some(new.as_str()));
            Ok(new)
        })
        .expect("new");
    assert_ne!(new, first);
    assert_eq!(s.secret().expect("secret").as_deref(), Some(new.as_str()));
    let failed: crate::error::Result<()> = s.write(|tx| {
        tx.new_secret()?;
        Err(crate::error::Error::Runtime("undo".into()))
    });
    assert!(failed.is_err());
    let read = s.read(|s| Ok((s.secret()?, s.secret()?))).expect("read");
    assert_eq!(
        read,
        (Some(new.clone()), Some(new)),
        "the rollback undid it"
    );
}

/// A fresh SQLite tenant with the fixture.
fn sqlite_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.db");
    let c = rusqlite::Connection::open(&path).expect("open");
    c.execute_batch(SQLITE_FIXTURE).expect("fixture");
    c.execute_batch(ROWS).expect("rows");
    drop(c);
    let store = open(path.to_str().expect("utf8"), Mode::ReadWrite, TODAY).expect("store");
    (dir, store)
}

/// A fresh PostgreSQL tenant with the fixture, or None when skipped. The
/// store is dropped before its schema.
fn pg_store() -> Option<(Store, super::pg::testing::TestSchema)> {
    let ts = super::pg::testing::TestSchema::new("contract")?;
    ts.exec(POSTGRES_FIXTURE);
    ts.exec(ROWS);
    let raw = std::env::var(super::pg::testing::VAR).ok()?;
    let sep = if raw.contains('?') { '&' } else { '?' };
    let url = format!("{raw}{sep}schema={}", ts.name);
    let store = open(&url, Mode::ReadWrite, TODAY).expect("PostgreSQL store");
    Some((store, ts))
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[test] fn $case() { let (_dir, s) = super::sqlite_store(); super::$case(&s); })*
        }
        mod on_postgres {
            $(#[test] fn $case() { if let Some((s, _schema)) = super::pg_store() { super::$case(&s); } })*
        }
    };
}

contract! {
        schema_is_read,
        expired_rows_are_paged,
        expiry_splits_a_key_range,
        the_watch_flags_unplanned_changes,
        dsr_tables_hold_what_is_written,
        select_by_each_filter,
        memoized_lookups_give_the_backends_rows,
        scan_text_with_needles,
        needles_together_and_normalized_lookups,
        whole_tables_are_read,
        a_snapshot_reads_one_moment,
        writes_commit_or_roll_back,
        delete_and_anonymize_count_rows,
        surely_expired_rows_are_deleted_in_one_pass,
        rows_stream_in_key_order,
        rows_are_deleted_by_a_links_values,
        a_watch_by_counts_tells_the_stores_own_changes,
        rows_are_read_by_key_in_some_columns,
        composite_keys_match_many_tuples,
        many_deferred_rows_are_written_once,
        the_secret_is_kept_per_transaction,
}
