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
use crate::store::{Deferred, Tx, Unplanned};
use crate::time;
use crate::value::Value;
use serde_json::{json, Map, Value as Json};

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
    if tx.quick_watch_start()? {
        let mut own = 0;
        let linked = vec![true; map.tables.len()];
        let anonymized = carry_out(
            tx,
            map,
            schema,
            (b, plan, skip),
            &keys_of,
            &linked,
            &mut |_, n| own += n,
        )?;
        if tx.quick_watch_finish(own)? {
            return remember(tx, &anonymized, at);
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
        &keys_of,
        &linked,
        &mut |ts, n| watch.changed(ts, n),
    )?;
    refuse_unplanned(watch.unplanned())?;
    remember(tx, &anonymized, at)
}

/// Keys of a table's rows whose fate passes the test.
type KeysOf<'k> = dyn Fn(usize, &dyn Fn(&Fate) -> bool) -> Vec<Vec<Value>> + 'k;

/// The plan's statements: deletions children first, anonymizations, the
/// mention edits; `changed` hears how many rows each statement changed
/// itself. A table whose rows are all deleted, all reached along one link,
/// is deleted along that link (one statement per 500 parents, not per 500
/// rows) where `linked` says the watch allows it: counting by counts alone
/// (each change is then one of the plan's), or seeing each row. Returns
/// the anonymized keys by table.
fn carry_out(
    tx: &Tx<'_>,
    map: &DataMap,
    schema: &Schema,
    (b, plan, skip): (&Belonging, &Plan, &Skip),
    keys_of: &KeysOf<'_>,
    linked: &[bool],
    changed: &mut dyn FnMut(&crate::store::schema::TableSchema, u64),
) -> Result<Vec<(String, Vec<Vec<Value>>)>> {
    for ti in planner::delete_order(map, schema) {
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
        if tp.rows.is_empty() && edits == 0 {
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
