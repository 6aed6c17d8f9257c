//! Carrying out a plan: inside the caller's write transaction, set-based,
//! children before parents, and refusing (so that everything is undone) if
//! the store changes rows the plan did not name.

use crate::error::{Error, Result};
use crate::graph::Belonging;
use crate::map::DataMap;
use crate::planner::{self, Fate, Plan};
use crate::store::schema::Schema;
use crate::store::{Deferred, Tx};
use crate::time;
use crate::value::Value;
use serde_json::{json, Map, Value as Json};

/// Carries out the plan inside the caller's transaction; returns nothing
/// but fails, undoing everything, if the store changed more rows than the
/// plan named (a trigger, or an ON DELETE/ON UPDATE action).
pub fn apply(
    tx: &Tx<'_>,
    map: &DataMap,
    schema: &Schema,
    b: &Belonging,
    plan: &Plan,
    secret: &str,
    at: &str,
) -> Result<()> {
    tx.prepare_erasure(secret)?;
    let before = tx.total_changes();
    let mut named = 0u64;
    let keys_of = |ti: usize, want: &dyn Fn(&Fate) -> bool| -> Vec<Vec<Value>> {
        plan.tables[ti]
            .rows
            .iter()
            .filter(|(_, f)| want(f))
            .map(|(i, _)| b.tables[ti].rows[*i].key.clone())
            .collect()
    };
    for ti in planner::delete_order(map, schema) {
        let keys = keys_of(ti, &|f| *f == Fate::Delete);
        if let (false, Some(ts)) = (keys.is_empty(), schema.table(&map.tables[ti].name)) {
            named += tx.delete_keys(ts, &keys)?;
        }
    }
    let mut anonymized = Vec::new();
    for (ti, t) in map.tables.iter().enumerate() {
        let keys = keys_of(ti, &|f| *f == Fate::Anonymize);
        if let (false, Some(ts)) = (keys.is_empty(), schema.table(&t.name)) {
            named += tx.anonymize_keys(ts, &planner::assignments(t), &keys)?;
            anonymized.push((t.name.clone(), keys));
        }
    }
    for e in &plan.edits {
        if let Some(ts) = schema.table(&map.tables[e.table].name) {
            named += tx.replace_text(ts, &e.key, &e.column, &e.old, &e.new)?;
        }
    }
    only_named(tx, before, named)?;
    for (table, keys) in &anonymized {
        tx.remember_anonymized(table, keys, at)?;
    }
    Ok(())
}

/// Fails, so that the transaction is undone, if the store changed more rows
/// since `before` (its total changes then) than the `named` ones: a trigger,
/// or an ON DELETE / ON UPDATE action.
pub fn only_named(tx: &Tx<'_>, before: u64, named: u64) -> Result<()> {
    let changed = tx.total_changes() - before;
    if changed == named {
        return Ok(());
    }
    let extra = changed.saturating_sub(named);
    Err(Error::Runtime(format!(
        "the store's own triggers or ON DELETE / ON UPDATE actions would change {extra} row{} that the erasure plan did not name; nothing was changed; map the tables those rules touch (or ask the application's owner about the triggers), then run `dsr erase --dry-run` again",
        if extra == 1 { "" } else { "s" }
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
