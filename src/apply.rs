//! Carrying out a plan: inside the caller's write transaction, set-based,
//! children before parents, and refusing (so that everything is undone) if
//! the store's own rules change rows the plan does not change.

use crate::audit::replay::{MentionEdit, Payload, TableChanges};
use crate::error::{Error, Result};
use crate::graph::{Belonging, Skip};
use crate::map::DataMap;
use crate::planner::{self, Fate, Plan};
use crate::store::schema::Schema;
use crate::store::write::key_text;
use crate::store::{Deferred, Filter, Tx, Unplanned};

use crate::time;
use crate::value::Value;
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;

/// Carries out the plan inside the caller's transaction, watching every row
/// the store changes; fails, so that everything is undone, if the store's
/// triggers or foreign-key actions change a row that the plan does not
/// (a same-row `AFTER UPDATE` trigger is fine). `skip` are rows an earlier
/// batch of the same sweep deleted: gone in a real sweep, still there in a
/// dry run, where the store's rules may meet them as the real run would not.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    tx: &Tx<'_>,
    map: &DataMap,
    schema: &Schema,
    b: &Belonging,
    plan: &Plan,
    secret: &str,
    at: &str,
    skip: &Skip,
) -> Result<()> {
    tx.prepare_erasure(secret)?;
    let keys_of = |ti: usize, want: &dyn Fn(&Fate) -> bool| -> Vec<Vec<Value>> {
        plan.tables[ti]
            .rows
            .iter()
            .filter(|(_, f)| want(f))
            .map(|(i, _)| b.tables[ti].rows[*i].key.clone())
            .collect()
    };
    // First by counts alone, where the backend can (no cost per row): when
    // every row changed is one that dsr's own statements changed, nothing
    // else was. Otherwise that run is undone and the plan carried out again
    // under the watch that names the rows.
    let no_keys = HashMap::new();
    if tx.quick_watch_start()? {
        let mut own = 0;
        let linked = vec![true; map.tables.len()];
        let anonymized = carry_out(
            tx,
            map,
            schema,
            (b, plan, skip),
            (&keys_of, &no_keys),
            &linked,
            &mut |_, n| own += n,
        )?;
        if tx.quick_watch_finish(own)? {
            return remember(tx, &anonymized, at);
        }
    }
    // The rows of tables left unread are read now, as the row-by-row
    // watch needs their keys.
    let mut unread_keys: HashMap<usize, Vec<Vec<Value>>> = HashMap::new();
    for (ti, t) in map.tables.iter().enumerate() {
        if let (Some(l), Some(ts)) = (&b.tables[ti].linked, schema.table(&t.name)) {
            let mut keys = Vec::new();
            tx.select(
                ts,
                &Filter::In {
                    columns: &l.columns,
                    tuples: &l.tuples,
                },
                |row| keys.push(row.key),
            )?;
            unread_changed(ts, l.count, keys.len() as u64)?;
            unread_keys.insert(ti, keys);
        }
    }
    let mut watch = tx.watch(schema)?;
    for (ti, t) in map.tables.iter().enumerate() {
        let Some(ts) = schema.table(&t.name) else {
            continue;
        };
        watch.plan(
            ts,
            keys_of(ti, &|f| matches!(f, Fate::Delete | Fate::Anonymize)),
        );
        if let Some(keys) = unread_keys.get(&ti) {
            watch.plan(ts, keys.iter().cloned());
        }
        if let Some(gone) = skip.deleted.get(&ti) {
            watch.plan(ts, gone.iter().cloned());
        }
    }
    for e in &plan.edits {
        if let Some(ts) = schema.table(&map.tables[e.table].name) {
            watch.plan(ts, [e.key.clone()]);
        }
    }
    // Deleting along a link needs the watch to see each row it deletes.
    let linked: Vec<bool> = map
        .tables
        .iter()
        .map(|t| schema.table(&t.name).is_some_and(|ts| watch.sees(ts)))
        .collect();
    let anonymized = carry_out(
        tx,
        map,
        schema,
        (b, plan, skip),
        (&keys_of, &unread_keys),
        &linked,
        &mut |ts, n| watch.changed(ts, n),
    )?;
    refuse_unplanned(watch.unplanned())?;
    remember(tx, &anonymized, at)
}

/// Keys of a table's rows whose fate passes the test.
type KeysOf<'k> = dyn Fn(usize, &dyn Fn(&Fate) -> bool) -> Vec<Vec<Value>> + 'k;

/// The failure, so that everything is undone, when a table left unread
/// (`planner::unread_leaves`) no longer has the rows it was counted with.
fn unread_changed(ts: &crate::store::schema::TableSchema, counted: u64, now: u64) -> Result<()> {
    if counted == now {
        return Ok(());
    }
    Err(Error::Runtime(format!(
        "the subject's rows of {} changed while the erasure was planned ({counted} counted, {now} found when deleting); nothing was changed; run dsr erase again",
        ts.name
    )))
}

/// The plan's statements: deletions children first, anonymizations, the
/// mention edits; `changed` hears how many rows each statement changed
/// itself. A table whose rows are all deleted, all reached along one link,
/// is deleted along that link (one statement per 500 parents, not per 500
/// rows) where `linked` says the watch allows it: counting by counts alone
/// (each change is then one of the plan's), or seeing each row. Returns
/// the anonymized keys by table. A table left unread is deleted along its
/// link (by its keys, `unread_keys`, where the watch does not allow it),
/// and the erasure fails unless that deletes exactly the rows counted.
fn carry_out(
    tx: &Tx<'_>,
    map: &DataMap,
    schema: &Schema,
    (b, plan, skip): (&Belonging, &Plan, &Skip),
    (keys_of, unread_keys): (&KeysOf<'_>, &HashMap<usize, Vec<Vec<Value>>>),
    linked: &[bool],
    changed: &mut dyn FnMut(&crate::store::schema::TableSchema, u64),
) -> Result<Vec<(String, Vec<Vec<Value>>)>> {
    for ti in planner::delete_order(map, schema) {
        if let (Some(l), Some(ts)) = (&b.tables[ti].linked, schema.table(&map.tables[ti].name)) {
            let n = match unread_keys.get(&ti) {
                Some(keys) if !linked[ti] => tx.delete_keys(ts, keys)?,
                _ => tx.delete_in(ts, &l.columns, &l.tuples)?,
            };
            unread_changed(ts, l.count, n)?;
            changed(ts, n);
            continue;
        }
        if let (true, Some(ts)) = (linked[ti], schema.table(&map.tables[ti].name)) {
            if let Some((columns, tuples)) = along_one_link(map, schema, b, plan, skip, ti) {
                let n = tx.delete_in(ts, &columns, &tuples)?;
                changed(ts, n);
                continue;
            }
        }
        let keys = keys_of(ti, &|f| *f == Fate::Delete);
        if let (false, Some(ts)) = (keys.is_empty(), schema.table(&map.tables[ti].name)) {
            let n = tx.delete_keys(ts, &keys)?;
            changed(ts, n);
        }
    }
    let mut anonymized = Vec::new();
    for (ti, t) in map.tables.iter().enumerate() {
        let keys = keys_of(ti, &|f| *f == Fate::Anonymize);
        if let (false, Some(ts)) = (keys.is_empty(), schema.table(&t.name)) {
            let n = tx.anonymize_keys(ts, &planner::assignments(t), &keys)?;
            changed(ts, n);
            anonymized.push((t.name.clone(), keys));
        }
    }
    for e in &plan.edits {
        if let Some(ts) = schema.table(&map.tables[e.table].name) {
            let n = tx.replace_text(ts, &e.key, &e.column, &e.old, &e.new)?;
            changed(ts, n);
        }
    }
    Ok(anonymized)
}

/// Where every row of table `ti` that belongs is to be deleted and each was
/// reached along one link of the map: that link's columns and the values
/// of all its parent rows that belong, the condition the subject graph
/// found them by (in this transaction), so that deleting the rows that
/// meet it deletes exactly them. Not where an earlier batch of a dry-run
/// sweep deleted some of them (they are still there).
fn along_one_link(
    map: &DataMap,
    schema: &Schema,
    b: &Belonging,
    plan: &Plan,
    skip: &Skip,
    ti: usize,
) -> Option<(Vec<String>, Vec<Vec<Value>>)> {
    let found = &b.tables[ti];
    let tp = &plan.tables[ti];
    if found.is_empty()
        || skip.deleted.get(&ti).is_some_and(|s| !s.is_empty())
        || tp.rows.len() != found.len()
        || tp.rows.iter().any(|(_, f)| *f != Fate::Delete)
    {
        return None;
    }
    let t = &map.tables[ti];
    let li = (0..t.links.len()).find(|li| found.reach.iter().all(|r| r.links.contains(li)))?;
    let link = &t.links[li];
    let pi = map.table_index(&link.to)?;
    let ps = schema.table(&link.to)?;
    let pcols: Vec<usize> = link
        .on
        .iter()
        .map(|(_, p)| ps.column_index(p))
        .collect::<Option<_>>()?;
    let mut seen: std::collections::HashSet<Vec<Value>> = std::collections::HashSet::new();
    let mut tuples = Vec::new();
    for row in &b.tables[pi].rows {
        let t: Vec<Value> = pcols.iter().map(|&i| row.values[i].clone()).collect();
        if t.iter().any(Value::is_null) || !seen.insert(t.clone()) {
            continue;
        }
        tuples.push(t);
    }
    let columns = link.on.iter().map(|(c, _)| c.clone()).collect();
    Some((columns, tuples))
}

/// dsr's memory of the rows it anonymized.
fn remember(tx: &Tx<'_>, anonymized: &[(String, Vec<Vec<Value>>)], at: &str) -> Result<()> {
    for (table, keys) in anonymized {
        tx.remember_anonymized(table, keys, at)?;
    }
    Ok(())
}

/// The refusal, so that the transaction is undone, when the store's own
/// triggers or foreign-key actions changed rows the plan did not change. It
/// names the tables and how many rows, never a key (keys may be personal).
pub fn refuse_unplanned(u: Unplanned) -> Result<()> {
    if u.is_empty() {
        return Ok(());
    }
    let rows = |n: u64| format!("{n} row{}", if n == 1 { "" } else { "s" });
    let mut parts: Vec<String> = u
        .tables
        .iter()
        .map(|(t, n)| format!("{} of {t}", rows(*n)))
        .collect();
    if u.unwatched > 0 {
        parts.push(format!(
            "{} that dsr could not watch (in virtual tables or their shadow tables)",
            rows(u.unwatched)
        ));
    }
    Err(Error::Runtime(format!(
        "the store's own triggers or ON DELETE / ON UPDATE actions would change rows that the erasure plan does not change: {}; nothing was changed; map those tables (or ask the application's owner about the triggers and foreign keys that write to them), then try again with --dry-run",
        parts.join(", ")
    )))
}

/// The deferred erasures of the plan's held rows.
pub fn deferred(map: &DataMap, b: &Belonging, plan: &Plan, subject: Option<&str>) -> Vec<Deferred> {
    let mut out = Vec::new();
    for (ti, tp) in plan.tables.iter().enumerate() {
        let t = &map.tables[ti];
        for (i, f) in &tp.rows {
            if let Fate::Held { end, then } = f {
                out.push(Deferred {
                    table: t.name.clone(),
                    key: b.tables[ti].rows[*i].key.clone(),
                    action: then.as_str().to_string(),
                    until: end.map(|e| time::last_day(e).to_string()),
                    reason: t
                        .hold
                        .as_ref()
                        .and_then(|h| h.reason.clone())
                        .unwrap_or_default(),
                    subject: subject.map(str::to_string),
                });
            }
        }
    }
    out
}

/// Counts per table, the held groups and the mention edits, as JSON: the
/// report, the audit details and the check that a confirmed plan still holds.
pub fn summary(map: &DataMap, plan: &Plan) -> (Json, Vec<Json>, Json) {
    let mut tables = Map::new();
    let mut held: Vec<Json> = Vec::new();
    for (ti, tp) in plan.tables.iter().enumerate() {
        let t = &map.tables[ti];
        let edits = plan.edits.iter().filter(|e| e.table == ti).count();
        if tp.rows.is_empty() && tp.unread == 0 && edits == 0 {
            continue;
        }
        let held_n = tp.count(|f| matches!(f, Fate::Held { .. }));
        tables.insert(
            t.name.clone(),
            json!({
                "deleted": tp.count(|f| *f == Fate::Delete),
                "anonymized": tp.count(|f| *f == Fate::Anonymize),
                "held": held_n,
                "kept": tp.count(|f| *f == Fate::Keep),
            }),
        );
        if held_n > 0 {
            let mut by_until: Vec<(Option<String>, usize)> = Vec::new();
            for (_, f) in &tp.rows {
                if let Fate::Held { end, .. } = f {
                    let until = end.map(|e| time::last_day(e).to_string());
                    match by_until.iter_mut().find(|(u, _)| *u == until) {
                        Some((_, n)) => *n += 1,
                        None => by_until.push((until, 1)),
                    }
                }
            }
            by_until.sort();
            let reason = t
                .hold
                .as_ref()
                .and_then(|h| h.reason.clone())
                .unwrap_or_default();
            for (until, rows) in by_until {
                held.push(
                    json!({ "table": t.name, "rows": rows, "until": until, "reason": reason }),
                );
            }
        }
    }
    let mut mentions = Map::new();
    for e in &plan.edits {
        let k = format!("{}.{}", map.tables[e.table].name, e.column);
        let n = mentions.get(&k).and_then(Json::as_u64).unwrap_or(0);
        mentions.insert(k, json!(n + 1));
    }
    (Json::Object(tables), held, Json::Object(mentions))
}

/// What the plan changes, as replay after a restore needs it (DESIGN §9):
/// per table the keys deleted, anonymized (and the columns rewritten) and
/// held, and the mentions erased. `None` when it changes nothing. The
/// secret is filled in when the record is sealed.
pub fn replay_payload(map: &DataMap, b: &Belonging, plan: &Plan) -> Option<Payload> {
    let mut p = Payload::default();
    for (ti, tp) in plan.tables.iter().enumerate() {
        let t = &map.tables[ti];
        let mut c = TableChanges::default();
        for (i, f) in &tp.rows {
            let key = || key_text(&b.tables[ti].rows[*i].key);
            match f {
                Fate::Delete => c.deleted.push(key()),
                Fate::Anonymize => c.anonymized.push(key()),
                Fate::Held { then, .. } => c.held.push((key(), then.as_str().to_string())),
                Fate::Keep | Fate::AlreadyAnonymized => {}
            }
        }
        if !c.anonymized.is_empty() {
            c.columns = planner::assignments(t)
                .into_iter()
                .map(|(n, _)| n)
                .collect();
        }
        if c != TableChanges::default() {
            p.tables.insert(t.name.clone(), c);
        }
    }
    p.mentions = plan
        .edits
        .iter()
        .map(|e| MentionEdit {
            table: map.tables[e.table].name.clone(),
            column: e.column.clone(),
            key: key_text(&e.key),
            erased: e.erased.clone(),
        })
        .collect();
    p.changes().then_some(p)
}

#[cfg(test)]
mod tests {
    use crate::store::{self, Mode};

    const MAP: &str = "version = 1\n[controller]\nname = \"C\"\ncontact = \"c@example.se\"\nauthority = \"IMY\"\n[identifiers]\nemail = \"email\"\n\
         [tables.customers]\nsubjects = true\npurpose = \"P\"\nlegal_basis = \"contract\"\nidentify = { email = \"email\" }\non_erase = \"delete\"\n\
         [tables.orders]\npurpose = \"P\"\nlegal_basis = \"contract\"\nlink = { to = \"customers\", on = { customer_id = \"id\" } }\non_erase = \"delete\"\n\
         [tables.lines]\npurpose = \"P\"\nlegal_basis = \"contract\"\nlink = { to = \"orders\", on = { order_id = \"id\" } }\non_erase = \"delete\"\n";

    /// Every row of the three tables, as text.
    fn dump(db: &std::path::Path) -> Vec<String> {
        dump_by(
            db,
            &[
                "SELECT id || ' ' || email FROM customers ORDER BY id",
                "SELECT id || ' ' || customer_id FROM orders ORDER BY id",
                "SELECT order_id || ' ' || item FROM lines ORDER BY order_id, item",
            ],
        )
    }

    /// The rows each query gives, as text, one line per query.
    fn dump_by(db: &std::path::Path, queries: &[&str]) -> Vec<String> {
        let conn = rusqlite::Connection::open(db).expect("db");
        let mut out = Vec::new();
        for sql in queries {
            let mut st = conn.prepare(sql).expect("prepare");
            let rows = st
                .query_map([], |r| r.get::<_, String>(0))
                .expect("query")
                .collect::<Result<Vec<_>, _>>()
                .expect("rows");
            out.push(rows.join(", "));
        }
        out
    }

    /// Plans anna's erasure with the leaf `lines` left unread (counted)
    /// or read, runs `between` (another connection) after planning, then
    /// carries the plan out in one write transaction.
    fn erase(
        read_leaf: bool,
        between: &str,
    ) -> (tempfile::TempDir, crate::error::Result<serde_json::Value>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("t.db");
        let conn = rusqlite::Connection::open(&db).expect("db");
        conn.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id));
             CREATE INDEX orders_customer ON orders (customer_id);
             CREATE TABLE lines (order_id INTEGER REFERENCES orders(id), item TEXT, PRIMARY KEY (order_id, item));
             INSERT INTO customers VALUES (1, 'anna@example.se'), (2, 'bo@example.se');
             INSERT INTO orders VALUES (10, 1), (11, 1), (12, 2);
             INSERT INTO lines VALUES (11, 'b'), (10, 'é'), (10, 'Z'), (12, 'x'), (11, 'a');",
        )
        .expect("schema");
        let map_path = dir.path().join("map.toml");
        std::fs::write(&map_path, MAP).expect("map");
        let map = crate::map::load(&map_path).expect("load map");
        let today = jiff::civil::date(2026, 11, 22);
        let now = jiff::Timestamp::from_second(1_795_000_000).expect("now");
        let st = store::open(db.to_str().expect("utf8"), Mode::ReadWrite, today).expect("store");
        let schema = st.schema().expect("schema");
        let ids = crate::graph::parse_subjects(&map, &["email:anna@example.se".into()], today)
            .expect("ids");
        let unread = crate::planner::unread_leaves(&map, &schema);
        let li = map.table_index("lines").expect("lines");
        assert!(unread[li], "lines may be left unread");
        assert_eq!(
            unread.iter().filter(|u| **u).count(),
            1,
            "only the leaf: {unread:?}"
        );
        assert!(st.quick_watch_possible().expect("possible"));
        let mask = if read_leaf { Vec::new() } else { unread };
        let b = crate::graph::resolve_erase(&st, &schema, &map, &ids, &mask).expect("resolve");
        if read_leaf {
            assert_eq!(b.tables[li].rows.len(), 4);
        } else {
            assert!(b.tables[li].rows.is_empty(), "not read");
            assert_eq!(b.tables[li].linked.as_ref().map(|l| l.count), Some(4));
        }
        let scope = crate::planner::Scope {
            store: &st,
            schema: &schema,
            map: &map,
        };
        let skip = crate::graph::Skip::default();
        let plan = crate::planner::plan(scope, &b, &[], &[], now, &skip).expect("plan");
        let summary = super::summary(&map, &plan);
        conn.execute_batch(between).expect("between");
        drop(conn);
        let done = st.write(|tx| {
            let secret = tx.ensure_tool_tables()?;
            let at = "2026-11-22T10:00:00Z";
            super::apply(tx, &map, &schema, &b, &plan, &secret, at, &skip)
        });
        drop(st);
        let out = done.map(|()| {
            serde_json::json!({ "tables": summary.0, "held": summary.1, "mentions": summary.2 })
        });
        (dir, out)
    }

    /// Left unread, the leaf's rows are counted and deleted along the
    /// link: the plan's counts and the store afterwards are those of the
    /// erasure that reads them.
    #[test]
    fn an_unread_leaf_is_erased_as_a_read_one() {
        let (unread_dir, unread) = erase(false, "");
        let (read_dir, read) = erase(true, "");
        let (unread, read) = (unread.expect("unread"), read.expect("read"));
        assert_eq!(unread, read);
        assert_eq!(
            unread["tables"]["lines"],
            serde_json::json!({ "deleted": 4, "anonymized": 0, "held": 0, "kept": 0 })
        );
        let after = dump(&unread_dir.path().join("t.db"));
        assert_eq!(after, dump(&read_dir.path().join("t.db")));
        assert_eq!(after, ["2 bo@example.se", "12 2", "12 x"]);
    }

    /// A row added to the leaf after it was counted: the deletion along
    /// the link deletes one more than counted, and the erasure fails with
    /// nothing changed.
    #[test]
    fn a_row_added_after_the_count_fails_the_erasure() {
        let (dir, out) = erase(false, "INSERT INTO lines VALUES (10, 'new');");
        let e = out.expect_err("must fail").to_string();
        assert_eq!(
            e,
            "the subject's rows of lines changed while the erasure was planned (4 counted, 5 found when deleting); nothing was changed; run dsr erase again"
        );
        assert_eq!(
            dump(&dir.path().join("t.db")),
            [
                "1 anna@example.se, 2 bo@example.se",
                "10 1, 11 1, 12 2",
                "10 Z, 10 new, 10 é, 11 a, 11 b, 12 x"
            ]
        );
    }

    /// Where the watch by counts falls back to the row-by-row watch (an
    /// `ON UPDATE CASCADE` from the anonymized customer's email changes a
    /// contact row besides dsr's own statements), the unread leaf's keys
    /// are read then: the erasure goes through as the one that reads them.
    #[test]
    fn an_unread_leaf_is_read_when_the_watch_falls_back() {
        let run = |read_leaf: bool| -> (tempfile::TempDir, Vec<String>) {
            let dir = tempfile::tempdir().expect("tempdir");
            let db = dir.path().join("t.db");
            let conn = rusqlite::Connection::open(&db).expect("db");
            conn.execute_batch(
                "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT UNIQUE);
                 CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT REFERENCES customers(email) ON UPDATE CASCADE, note TEXT);
                 CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id));
                 CREATE INDEX orders_customer ON orders (customer_id);
                 CREATE TABLE lines (order_id INTEGER REFERENCES orders(id), item TEXT, PRIMARY KEY (order_id, item));
                 INSERT INTO customers VALUES (1, 'anna@example.se'), (2, 'bo@example.se');
                 INSERT INTO contacts VALUES (5, 'anna@example.se', 'hi'), (6, 'bo@example.se', 'yo');
                 INSERT INTO orders VALUES (10, 1), (11, 1), (12, 2);
                 INSERT INTO lines VALUES (10, 'a'), (10, 'b'), (11, 'c'), (12, 'x');",
            )
            .expect("schema");
            drop(conn);
            let map_path = dir.path().join("map.toml");
            std::fs::write(
                &map_path,
                "version = 1\n[controller]\nname = \"C\"\ncontact = \"c@example.se\"\nauthority = \"IMY\"\n[identifiers]\nemail = \"email\"\n\
                 [tables.customers]\nsubjects = true\npurpose = \"P\"\nlegal_basis = \"contract\"\nidentify = { email = \"email\" }\non_erase = \"anonymize\"\n\
                 [tables.customers.columns]\nemail = { category = \"contact.email\", erase = \"hash\" }\n\
                 [tables.contacts]\npurpose = \"P\"\nlegal_basis = \"contract\"\nlink = { to = \"customers\", on = { email = \"email\" } }\non_erase = \"anonymize\"\n\
                 [tables.contacts.columns]\nnote = { category = \"identity.name\", erase = \"redact\" }\n\
                 [tables.orders]\npurpose = \"P\"\nlegal_basis = \"contract\"\nlink = { to = \"customers\", on = { customer_id = \"id\" } }\non_erase = \"delete\"\n\
                 [tables.lines]\npurpose = \"P\"\nlegal_basis = \"contract\"\nlink = { to = \"orders\", on = { order_id = \"id\" } }\non_erase = \"delete\"\n",
            )
            .expect("map");
            let map = crate::map::load(&map_path).expect("load map");
            let today = jiff::civil::date(2026, 11, 22);
            let now = jiff::Timestamp::from_second(1_795_000_000).expect("now");
            let st =
                store::open(db.to_str().expect("utf8"), Mode::ReadWrite, today).expect("store");
            let schema = st.schema().expect("schema");
            let ids = crate::graph::parse_subjects(&map, &["email:anna@example.se".into()], today)
                .expect("ids");
            let li = map.table_index("lines").expect("lines");
            let mask = if read_leaf {
                Vec::new()
            } else {
                crate::planner::unread_leaves(&map, &schema)
            };
            let b = crate::graph::resolve_erase(&st, &schema, &map, &ids, &mask).expect("resolve");
            assert_eq!(b.tables[li].linked.is_some(), !read_leaf);
            let scope = crate::planner::Scope {
                store: &st,
                schema: &schema,
                map: &map,
            };
            let skip = crate::graph::Skip::default();
            let plan = crate::planner::plan(scope, &b, &[], &[], now, &skip).expect("plan");
            assert_eq!(plan.tables[li].count(|f| *f == super::Fate::Delete), 3);
            st.write(|tx| {
                // A fixed secret, so that both runs hash alike.
                tx.ensure_tool_tables()?;
                super::apply(
                    tx,
                    &map,
                    &schema,
                    &b,
                    &plan,
                    "s3cret",
                    "2026-11-22T10:00:00Z",
                    &skip,
                )
            })
            .expect("erased");
            drop(st);
            let out = dump_by(
                &db,
                &[
                    "SELECT id || ' ' || (email = 'anna@example.se') FROM customers ORDER BY id",
                    "SELECT c.id || ' ' || (c.email = u.email) || ' ' || c.note FROM contacts c JOIN customers u ON u.email = c.email ORDER BY c.id",
                    "SELECT id || ' ' || customer_id FROM orders ORDER BY id",
                    "SELECT order_id || ' ' || item FROM lines ORDER BY order_id, item",
                ],
            );
            (dir, out)
        };
        let (_a, unread) = run(false);
        let (_b, read) = run(true);
        assert_eq!(unread, read);
        assert_eq!(unread, ["1 0, 2 0", "5 1 [erased], 6 1 yo", "12 2", "12 x"]);
    }
}
