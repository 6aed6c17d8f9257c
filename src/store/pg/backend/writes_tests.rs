//! Tests of the write group on a live server (skipped without
//! `DSR_TEST_POSTGRES_URL`, failing under CI): what the statements
//! change, row for row, read back on a session of the test's own; the
//! watch against triggers and foreign-key actions; the lock timeout; the
//! privileges a writing command needs; dsr's tables as the migrations make
//! them.

use super::writes::check_writable;
use crate::error::Error;
use crate::store::pg::connect::connect;
use crate::store::pg::testing::{self, DropRole, TestSchema};
use crate::store::refs::hash_value;
use crate::store::schema::quote;
use crate::store::{migrate, open, Assign, Mode, Store, Unplanned};
use crate::value::Value;

const TODAY: jiff::civil::Date = jiff::civil::date(2026, 11, 22);

const FIXTURE: &str = "
CREATE TABLE people (id bigint PRIMARY KEY, email varchar(80), name text NOT NULL, note text, touched int NOT NULL DEFAULT 0);
CREATE TABLE orders (id int PRIMARY KEY, person_id bigint REFERENCES people (id) ON DELETE CASCADE);
CREATE TABLE tags (person_id bigint NOT NULL, tag text NOT NULL, PRIMARY KEY (person_id, tag));
CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL);
CREATE TABLE visits (person_id bigint REFERENCES people (id) ON DELETE SET NULL, at text);
INSERT INTO people (id, email, name, note) VALUES
  (1, 'anna@example.se', 'Anna', 'called about K-17'),
  (2, 'bo@example.se', 'Bo', NULL),
  (3, NULL, 'Cai', 'x');
INSERT INTO orders VALUES (10, 1), (11, 1), (12, 2);
INSERT INTO tags VALUES (1, 'a'), (1, 'b'), (2, 'a');
INSERT INTO counters VALUES (1, 0);
";

fn int(i: i64) -> Value {
    Value::Integer(i)
}

struct Env {
    ts: TestSchema,
    store: Store,
}

impl Env {
    fn new(label: &str, extra: &str) -> Option<Env> {
        let ts = TestSchema::new(label)?;
        ts.exec(FIXTURE);
        if !extra.is_empty() {
            ts.exec(extra);
        }
        let store = open(&url(&ts), Mode::ReadWrite, TODAY).expect("store");
        Some(Env { ts, store })
    }

    /// The rows of a query, every value as text (NULL as "NULL").
    fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let mut c = connect(&self.ts.url()).expect("connect");
        let wrapped = format!("SELECT row_to_json(q)::text FROM ({sql}) q");
        c.client
            .query(&wrapped, &[])
            .expect("query")
            .iter()
            .map(|r| {
                let j: String = r.get(0);
                let v: serde_json::Value = serde_json::from_str(&j).expect("json");
                v.as_object()
                    .expect("object")
                    .values()
                    .map(|x| match x {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => "NULL".into(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect()
    }

    fn count(&self, table: &str) -> i64 {
        self.rows(&format!("SELECT count(*) FROM {}", quote(table)))[0][0]
            .parse()
            .expect("count")
    }

    /// Deletes or anonymizes under a watch planning `planned` (table,
    /// keys), rolled back; what the watch saw.
    fn watched(
        &self,
        planned: &[(&str, Vec<Vec<Value>>)],
        act: impl Fn(&crate::store::Tx<'_>) -> crate::error::Result<()>,
        trial: bool,
    ) -> Unplanned {
        let schema = self.store.schema().expect("schema");
        let body = |tx: &crate::store::Tx<'_>| {
            tx.prepare_erasure("s")?;
            let mut w = tx.watch(&schema)?;
            for (t, keys) in planned {
                w.plan(schema.table(t).expect("table"), keys.clone());
            }
            act(tx)?;
            Ok(w.unplanned())
        };
        let seen = std::cell::RefCell::new(None);
        let out: crate::error::Result<()> = self.store.write(|tx| {
            let u = if trial { tx.trial(body)? } else { body(tx)? };
            *seen.borrow_mut() = Some(u);
            // Undone, so that each case starts from the fixture.
            Err(Error::Runtime("undo".into()))
        });
        match (out, seen.into_inner()) {
            (Err(Error::Runtime(m)), Some(u)) if m == "undo" => u,
            (other, _) => panic!("unexpected: {other:?}"),
        }
    }
}

fn url(ts: &TestSchema) -> String {
    let raw = std::env::var(testing::VAR).expect("url");
    let sep = if raw.contains('?') { '&' } else { '?' };
    format!("{raw}{sep}schema={}", ts.name)
}

#[test]
fn deletes_and_anonymizes_exactly_the_rows_named() {
    let Some(e) = Env::new("w_rows", "") else {
        return;
    };
    let schema = e.store.schema().unwrap();
    let people = schema.table("people").unwrap();
    let tags = schema.table("tags").unwrap();
    let secret = "the secret";
    let n = e
        .store
        .write(|tx| {
            tx.ensure_tool_tables()?;
            tx.prepare_erasure(secret)?;
            let sets = [
                ("email".to_string(), Assign::Hash),
                ("note".to_string(), Assign::Redact("[erased]".into())),
                ("name".to_string(), Assign::Redact("[name]".into())),
            ];
            let a =
                tx.anonymize_keys(people, &sets, &[vec![int(2)], vec![int(3)], vec![int(9)]])?;
            let d = tx.delete_keys(
                tags,
                &[
                    vec![int(1), Value::Text("b".into())],
                    vec![int(7), Value::Text("a".into())],
                ],
            )?;
            let r1 = tx.replace_text(
                people,
                &[int(1)],
                "note",
                "called about K-17",
                "called about [ref]",
            )?;
            let r2 = tx.replace_text(people, &[int(1)], "note", "called about K-17", "x")?;
            Ok((a, d, r1, r2))
        })
        .unwrap();
    assert_eq!(n, (2, 1, 1, 0));
    let bo_hash = hash_value(secret, &Value::Text("bo@example.se".into())).unwrap();
    assert_eq!(
        e.rows("SELECT id, email, name, note FROM people ORDER BY id"),
        [
            vec!["1", "anna@example.se", "Anna", "called about [ref]"],
            vec!["2", bo_hash.as_str(), "[name]", "NULL"],
            vec!["3", "NULL", "[name]", "[erased]"],
        ]
    );
    assert_eq!(
        e.rows("SELECT person_id, tag FROM tags ORDER BY 1, 2"),
        [vec!["1", "a"], vec!["2", "a"]]
    );
}

#[test]
fn a_failed_write_and_a_trial_keep_nothing() {
    let Some(e) = Env::new("w_undo", "") else {
        return;
    };
    let schema = e.store.schema().unwrap();
    let tags = schema.table("tags").unwrap();
    let key = vec![int(2), Value::Text("a".into())];
    let failed: crate::error::Result<()> = e.store.write(|tx| {
        assert_eq!(tx.delete_keys(tags, std::slice::from_ref(&key))?, 1);
        Err(Error::Runtime("stop".into()))
    });
    assert!(failed.is_err());
    assert!(!e.store.capabilities().sql_functions);
    assert_eq!(e.count("tags"), 3);
    e.store
        .write(|tx| {
            let n = tx.trial(|tx| tx.delete_keys(tags, std::slice::from_ref(&key)))?;
            assert_eq!(n, 1);
            assert!(tx.is_open());
            // A failed statement inside a trial leaves the transaction usable.
            let bad = tx.trial(|tx| {
                tx.delete_keys(tags, &[vec![Value::Text("not a number".into()), int(1)]])
            });
            assert!(bad.is_err());
            assert!(tx.is_open());
            tx.delete_keys(tags, std::slice::from_ref(&key))
        })
        .unwrap();
    assert_eq!(e.count("tags"), 2);
    assert_eq!(
        e.rows("SELECT person_id, tag FROM tags ORDER BY 1, 2"),
        [vec!["1", "a"], vec!["1", "b"]]
    );
}

#[test]
fn a_table_without_a_key_is_written_by_ctid() {
    let Some(e) = Env::new(
        "w_ctid",
        "INSERT INTO visits VALUES (1, 'a'), (2, 'b'), (2, 'c');",
    ) else {
        return;
    };
    let schema = e.store.schema().unwrap();
    let visits = schema.table("visits").unwrap();
    let ctids: Vec<Vec<String>> = e.rows("SELECT ctid::text, at FROM visits ORDER BY at");
    let key = |i: usize| vec![Value::Text(ctids[i][0].clone())];
    let n = e
        .store
        .write(|tx| {
            tx.prepare_erasure("s")?;
            let a = tx.anonymize_keys(visits, &[("at".into(), Assign::Hash)], &[key(0)])?;
            let d = tx.delete_keys(visits, &[key(1)])?;
            Ok((a, d))
        })
        .unwrap();
    assert_eq!(n, (1, 1));
    let h = hash_value("s", &Value::Text("a".into())).unwrap();
    assert_eq!(
        e.rows("SELECT person_id, at FROM visits ORDER BY person_id, at"),
        [vec!["1".to_string(), h], vec!["2".into(), "c".into()]]
    );
}

const TRIGGERS: &str = "
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE people SET touched = touched + 1 WHERE id = NEW.id; RETURN NULL; END $$;
CREATE FUNCTION count_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE counters SET n = n + 1 WHERE id = 1; RETURN NULL; END $$;
CREATE TRIGGER people_touch AFTER UPDATE OF email ON people FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION touch();
CREATE TRIGGER tags_count AFTER DELETE ON tags FOR EACH ROW EXECUTE FUNCTION count_up();
";

/// dsr's own deletions by the plan's keys are all a table's: nothing is
/// counted, nothing unplanned. A trigger that deletes another row of the
/// same table is still seen.
#[test]
fn the_watch_sees_a_trigger_deleting_beside_dsrs_own_deletions() {
    let extra = "
        CREATE FUNCTION drop_ten() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN DELETE FROM orders WHERE id = 10; RETURN NULL; END $$;
        CREATE TRIGGER orders_drop AFTER DELETE ON orders FOR EACH ROW
            WHEN (OLD.id = 12) EXECUTE FUNCTION drop_ten();";
    let Some(e) = Env::new("w_beside", extra) else {
        return;
    };
    let schema = e.store.schema().unwrap();
    let orders = schema.table("orders").unwrap().clone();
    let delete = |keys: Vec<Vec<Value>>| {
        let orders = orders.clone();
        move |tx: &crate::store::Tx<'_>| tx.delete_keys(&orders, &keys).map(|_| ())
    };
    let u = e.watched(
        &[("orders", vec![vec![int(11)]])],
        delete(vec![vec![int(11)]]),
        false,
    );
    assert!(u.is_empty(), "{u:?}");
    let u = e.watched(
        &[("orders", vec![vec![int(12)]])],
        delete(vec![vec![int(12)]]),
        false,
    );
    assert_eq!(u.tables, [("orders".to_string(), 1)]);
    assert_eq!(e.count("orders"), 3);
}

#[test]
fn the_watch_tells_the_plans_rows_from_the_rest() {
    let Some(e) = Env::new("w_watch", TRIGGERS) else {
        return;
    };
    let schema = e.store.schema().unwrap();
    let people = schema.table("people").unwrap().clone();
    let tags = schema.table("tags").unwrap().clone();
    let orders = schema.table("orders").unwrap().clone();
    let visits = schema.table("visits").unwrap().clone();
    e.ts.exec("INSERT INTO visits VALUES (1, 'x'), (1, 'y'), (3, 'z')");
    let hash_email = |tx: &crate::store::Tx<'_>| {
        tx.anonymize_keys(&people, &[("email".into(), Assign::Hash)], &[vec![int(2)]])
            .map(|_| ())
    };
    for trial in [false, true] {
        // A trigger that updates the same row: planned.
        let u = e.watched(&[("people", vec![vec![int(2)]])], hash_email, trial);
        assert!(u.is_empty(), "{u:?}");
        // A trigger that updates another table: named, with its count.
        let del_tag = |tx: &crate::store::Tx<'_>| {
            tx.delete_keys(&tags, &[vec![int(2), Value::Text("a".into())]])
                .map(|_| ())
        };
        let u = e.watched(
            &[("tags", vec![vec![int(2), Value::Text("a".into())]])],
            del_tag,
            trial,
        );
        assert_eq!(u.tables, [("counters".to_string(), 1)], "trial {trial}");
        assert_eq!(u.unwatched, 0);
    }
    // ON DELETE CASCADE into planned rows is planned; SET NULL into rows
    // the plan does not name is not (a table without a key: by count).
    let del_person =
        |tx: &crate::store::Tx<'_>| tx.delete_keys(&people, &[vec![int(1)]]).map(|_| ());
    let u = e.watched(
        &[
            ("people", vec![vec![int(1)]]),
            ("orders", vec![vec![int(10)], vec![int(11)]]),
        ],
        del_person,
        false,
    );
    assert_eq!(u.tables, [("visits".to_string(), 2)]);
    let u = e.watched(&[("people", vec![vec![int(1)]])], del_person, false);
    assert_eq!(
        u.tables,
        [("orders".to_string(), 2), ("visits".to_string(), 2)]
    );
    // dsr's own statement on a row the plan does not name.
    let u = e.watched(
        &[("orders", vec![vec![int(12)]])],
        |tx| {
            tx.delete_keys(&orders, &[vec![int(10)], vec![int(12)]])
                .map(|_| ())
        },
        true,
    );
    assert_eq!(u.tables, [("orders".to_string(), 1)]);
    let _ = visits;
    // Nothing stayed of any of it.
    assert_eq!(e.count("people"), 3);
    assert_eq!(e.count("orders"), 3);
    assert_eq!(e.rows("SELECT n FROM counters"), [vec!["0"]]);
    assert_eq!(
        e.rows("SELECT touched, email FROM people WHERE id = 2"),
        [vec!["0", "bo@example.se"]]
    );
}

#[test]
fn the_watch_sees_inserts_and_other_schemas() {
    let Some(other) = TestSchema::new("w_other") else {
        return;
    };
    other.exec("CREATE TABLE log (id serial PRIMARY KEY, what text)");
    let extra = format!(
        "CREATE TABLE notes (id serial PRIMARY KEY, what text);
         CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO notes (what) VALUES ('gone'); INSERT INTO {o}.log (what) VALUES ('gone'); RETURN NULL; END $$;
         CREATE TRIGGER orders_note AFTER DELETE ON orders FOR EACH ROW EXECUTE FUNCTION note();",
        o = quote(&other.name)
    );
    let Some(e) = Env::new("w_ins", &extra) else {
        return;
    };
    let schema = e.store.schema().unwrap();
    let orders = schema.table("orders").unwrap().clone();
    let u = e.watched(
        &[("orders", vec![vec![int(12)]])],
        |tx| tx.delete_keys(&orders, &[vec![int(12)]]).map(|_| ()),
        false,
    );
    assert_eq!(
        u.tables,
        [("notes".to_string(), 1), (format!("{}.log", other.name), 1)]
    );
    assert_eq!(e.count("notes"), 0);
}

#[test]
fn a_lock_held_too_long_is_the_busy_stores_failure() {
    let Some(e) = Env::new("w_lock", "") else {
        return;
    };
    let schema = e.store.schema().unwrap();
    let people = schema.table("people").unwrap();
    let mut holder = connect(&e.ts.url()).unwrap();
    holder
        .client
        .batch_execute("BEGIN; SELECT * FROM people WHERE id = 2 FOR UPDATE")
        .unwrap();
    super::writes::BUSY_MS_FOR_TESTS.with(|b| b.set(Some(200)));
    let err = e
        .store
        .write(|tx| tx.delete_keys(people, &[vec![int(2)]]))
        .unwrap_err();
    let m = err.to_string();
    assert!(matches!(err, Error::Runtime(_)), "{err:?}");
    assert!(
        m.starts_with(&format!(
            "the store database test on 127.0.0.1:5432, schema {} is locked by another process",
            e.ts.name
        )) || m.contains("is locked by another process"),
        "{m}"
    );
    assert!(
        m.contains("waited 200 ms") && m.contains("DSR_BUSY_TIMEOUT"),
        "{m}"
    );
    assert!(!e.store.backend.in_transaction());
    holder.client.batch_execute("ROLLBACK").unwrap();
    assert_eq!(e.count("people"), 3);
}

#[test]
fn a_role_that_cannot_record_is_refused_naming_the_privilege() {
    let Some(ts) = TestSchema::new("w_role") else {
        return;
    };
    let role = format!("{}_ro", ts.name);
    let mut admin = testing::admin().unwrap();
    let (r, s) = (quote(&role), quote(&ts.name));
    admin
        .batch_execute(&format!(
            "CREATE ROLE {r} LOGIN; GRANT USAGE ON SCHEMA {s} TO {r}"
        ))
        .unwrap();
    let _drop = DropRole(role.clone());
    let mut u = ts.url();
    u.user = role.clone();
    let err = check_writable(&mut connect(&u).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "user {role} may not create dsr's own tables in {}: it lacks the CREATE privilege on schema {}, which dsr needs once, to make its audit trail (_dsr_audit, _dsr_meta, …) on first use; ask the database's owner to GRANT CREATE ON SCHEMA {s} TO {r} (see the README, \"PostgreSQL privileges\"), or run dsr as a role that may; nothing was read or changed",
            u.place(),
            ts.name
        )
    );
    // Once dsr's tables exist, appending to them is what counts.
    let store = open(&url(&ts), Mode::ReadWrite, TODAY).unwrap();
    store
        .write(|tx| tx.ensure_tool_tables().map(|_| ()))
        .unwrap();
    drop(store);
    admin
        .batch_execute(&format!("GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}"))
        .unwrap();
    let m = check_writable(&mut connect(&u).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        m.starts_with(&format!("user {role} may not write dsr's audit trail in {}: it needs SELECT and INSERT on _dsr_audit", u.place())),
        "{m}"
    );
    admin
        .batch_execute(&format!(
            "GRANT INSERT, UPDATE ON ALL TABLES IN SCHEMA {s} TO {r}"
        ))
        .unwrap();
    check_writable(&mut connect(&u).unwrap()).unwrap();
    // A read-only session.
    admin
        .batch_execute(&format!(
            "ALTER ROLE {r} SET default_transaction_read_only = on"
        ))
        .unwrap();
    let m = check_writable(&mut connect(&u).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        m.starts_with(&format!(
            "the session of user {role} may only read in {}",
            u.place()
        )),
        "{m}"
    );
}

#[test]
fn dsr_tables_are_made_at_the_current_version_and_compare_bytewise() {
    let Some(e) = Env::new("w_ddl", "") else {
        return;
    };
    e.store
        .write(|tx| tx.ensure_tool_tables().map(|_| ()))
        .unwrap();
    assert_eq!(
        migrate::version(&e.store).unwrap(),
        migrate::CURRENT,
        "the version recorded"
    );
    let tables = e.rows(
        "SELECT relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND relkind = 'r' AND relname LIKE '\\_dsr\\_%' ORDER BY 1",
    );
    assert_eq!(
        tables,
        [
            ["_dsr_anonymized"],
            ["_dsr_audit"],
            ["_dsr_deferred"],
            ["_dsr_meta"],
            ["_dsr_request_subjects"],
            ["_dsr_requests"]
        ]
    );
    let not_c = e.rows(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name LIKE '\\_dsr\\_%' \
         AND data_type = 'text' AND coalesce(collation_name, '') <> 'C'",
    );
    assert!(not_c.is_empty(), "{not_c:?}");
    // Every step again changes nothing (audit repair runs them).
    e.store.write(|tx| tx.recreate_tool_tables()).unwrap();
    // Plain references sort bytewise: '[' < 'hmac' < 'hmac-sha256;'.
    e.store
        .write(|tx| tx.remember_anonymized("people", &[vec![int(2)], vec![int(10)]], "2026-11-22"))
        .unwrap();
    assert_eq!(
        e.rows("SELECT key FROM _dsr_anonymized WHERE key >= '[' AND key < '\\' ORDER BY key"),
        [["[10]"], ["[2]"]]
    );
}

#[test]
fn a_table_made_in_a_write_that_rolls_back_is_not_remembered() {
    let Some(e) = Env::new("w_seen", "") else {
        return;
    };
    assert!(!e.store.has_table("_dsr_audit").unwrap());
    let failed: crate::error::Result<()> = e.store.write(|tx| {
        tx.ensure_tool_tables()?;
        assert!(tx.has_table("_dsr_audit")?);
        Err(Error::Runtime("stop".into()))
    });
    assert!(failed.is_err());
    assert!(!e.store.has_table("_dsr_audit").unwrap());
    e.store
        .write(|tx| {
            let made = tx.trial(|tx| {
                tx.ensure_tool_tables()?;
                tx.has_table("_dsr_audit")
            })?;
            assert!(made);
            assert!(!tx.has_table("_dsr_audit")?);
            tx.ensure_tool_tables().map(drop)
        })
        .unwrap();
    assert!(e.store.has_table("_dsr_audit").unwrap());
    assert_eq!(e.count("_dsr_audit"), 0);
}

/// The sweep decides on the rows it reads by key inside its write
/// transaction: there they are read `FOR UPDATE`, so a change the
/// application commits meanwhile is either seen (a writer in flight is
/// waited for) or waits for dsr's commit; outside one, nothing is locked.
#[test]
fn rows_read_by_key_in_a_write_stay_as_read_until_it_ends() {
    let Some(e) = Env::new("w_cur", "") else {
        return;
    };
    let schema = e.store.schema().unwrap();
    let people = schema.table("people").unwrap();
    let name = people.column_index("name").unwrap();
    let read: Vec<bool> = people.columns.iter().map(|c| c.name == "name").collect();
    let names = |keys: &[Vec<Value>]| {
        let mut got = Vec::new();
        e.store
            .rows_reading(people, keys, Some(&read), |r| {
                got.push((r.key.clone(), r.values[name].clone()))
            })
            .unwrap();
        got
    };
    // The application changes Bo's row and has not committed yet.
    let mut app = connect(&e.ts.url()).unwrap();
    app.client
        .batch_execute("BEGIN; UPDATE people SET name = 'Bo Changed' WHERE id = 2")
        .unwrap();
    // Outside a write nothing waits: the committed version.
    assert_eq!(
        names(&[vec![int(2)]]),
        [(vec![int(2)], Value::Text("Bo".into()))]
    );
    let url = e.ts.url();
    let committer = std::thread::spawn(move || {
        // Commits once dsr's session waits for the row's lock.
        let mut watch = connect(&url).unwrap();
        for _ in 0..500 {
            let waiting: i64 = watch
                .client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                    &[],
                )
                .unwrap()
                .get(0);
            if waiting > 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        app.client.batch_execute("COMMIT").unwrap();
        app
    });
    let got = e
        .store
        .write(|_| {
            let got = names(&[vec![int(2)], vec![int(1)]]);
            // Locked now: the application's next change waits for dsr.
            let mut other = connect(&e.ts.url()).unwrap();
            let err = other
                .client
                .batch_execute(
                    "SET lock_timeout = '100ms'; UPDATE people SET name = 'Later' WHERE id = 1",
                )
                .unwrap_err();
            assert_eq!(
                err.code(),
                Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE),
                "{err}"
            );
            Ok(got)
        })
        .unwrap();
    committer.join().unwrap();
    let mut got = got;
    got.sort_by_key(|(k, _)| format!("{k:?}"));
    assert_eq!(
        got,
        [
            (vec![int(1)], Value::Text("Anna".into())),
            (vec![int(2)], Value::Text("Bo Changed".into()))
        ]
    );
    // After dsr's commit the application writes again.
    assert_eq!(
        e.rows("SELECT name FROM people WHERE id = 1"),
        [["Anna".to_string()]]
    );
}

/// The catalog read at the start serves the writes unless the schema
/// changed since: then the write transaction reads it again (the key is
/// cast to its new type), found by the fingerprint, which VACUUM and
/// ANALYZE leave as it is and any DDL changes.
#[test]
fn a_schema_changed_before_the_write_is_read_again() {
    use crate::store::pg::introspect::catalog_fingerprint;
    let Some(e) = Env::new("w_refresh", "") else {
        return;
    };
    let fp = || catalog_fingerprint(&mut connect(&e.ts.url()).expect("connect")).expect("fp");
    let schema = e.store.schema().expect("schema");
    let orders = schema.table("orders").expect("orders");
    let first = fp();
    e.ts.exec("VACUUM ANALYZE orders");
    assert_eq!(fp(), first, "VACUUM and ANALYZE are no change");
    e.ts.exec("CREATE INDEX orders_person ON orders (person_id)");
    let indexed = fp();
    assert_ne!(indexed, first, "an index");
    e.ts.exec("ALTER TABLE orders ALTER COLUMN id TYPE text USING 'o' || id");
    assert_ne!(fp(), indexed, "a column's type");
    let n = e
        .store
        .write(|tx| tx.delete_keys(orders, &[vec![Value::Text("o10".into())]]))
        .expect("delete by the new type");
    assert_eq!(n, 1);
    assert_eq!(e.count("orders"), 2);
    // Unchanged since: the catalog read in the transaction serves on.
    let n = e
        .store
        .write(|tx| tx.delete_keys(orders, &[vec![Value::Text("o11".into())]]))
        .expect("delete");
    assert_eq!(n, 1);
}

/// The watch by counts is only for a schema where nothing but dsr's
/// statements and foreign-key actions change rows: a trigger (also one on
/// a partition, in any schema), a rule or row security makes a
/// statement's own count say too little or too much (a rule turning the
/// `DELETE` into an `UPDATE` counts one change either way).
#[test]
fn the_watch_by_counts_is_not_used_where_the_schema_has_rules_of_its_own() {
    let cases = [
        ("q_plain", "", true),
        (
            "q_trigger",
            "CREATE FUNCTION keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
             CREATE TRIGGER keep BEFORE DELETE ON orders FOR EACH ROW EXECUTE FUNCTION keep();",
            false,
        ),
        (
            "q_rule",
            "CREATE RULE soft AS ON DELETE TO orders DO INSTEAD UPDATE orders SET person_id = NULL WHERE id = OLD.id;",
            false,
        ),
        ("q_rls", "ALTER TABLE tags ENABLE ROW LEVEL SECURITY;", false),
        (
            "q_part",
            "CREATE TABLE log (at int NOT NULL, what text) PARTITION BY RANGE (at);
             CREATE TABLE log_1 PARTITION OF log FOR VALUES FROM (0) TO (100);
             CREATE FUNCTION keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
             CREATE TRIGGER keep BEFORE DELETE ON log_1 FOR EACH ROW EXECUTE FUNCTION keep();",
            false,
        ),
    ];
    for (label, extra, possible) in cases {
        let Some(e) = Env::new(label, extra) else {
            return;
        };
        assert_eq!(e.store.quick_watch_possible().unwrap(), possible, "{label}");
        let orders = e.store.schema().unwrap().table("orders").unwrap().clone();
        let started = e
            .store
            .write(|tx| {
                let on = tx.quick_watch_start()?;
                let n = tx.delete_keys(&orders, &[vec![int(12)]])?;
                if on {
                    assert!(tx.quick_watch_finish(n)?, "{label}");
                }
                Ok(on)
            })
            .unwrap();
        assert_eq!(started, possible, "{label}");
    }
}
