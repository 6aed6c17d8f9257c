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
    let mut watch = tx.watch(schema)?;
    let keys_of = |ti: usize, want: &dyn Fn(&Fate) -> bool| -> Vec<Vec<Value>> {
        plan.tables[ti]
            .rows
            .iter()
            .filter(|(_, f)| want(f))
            .map(|(i, _)| b.tables[ti].rows[*i].key.clone())
            .collect()
    };
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
    for ti in planner::delete_order(map, schema) {
        let keys = keys_of(ti, &|f| *f == Fate::Delete);
        if let (false, Some(ts)) = (keys.is_empty(), schema.table(&map.tables[ti].name)) {
            let n = tx.delete_keys(ts, &keys)?;
            watch.changed(ts, n);
        }
    }
    let mut anonymized = Vec::new();
    for (ti, t) in map.tables.iter().enumerate() {
        let keys = keys_of(ti, &|f| *f == Fate::Anonymize);
        if let (false, Some(ts)) = (keys.is_empty(), schema.table(&t.name)) {
            let n = tx.anonymize_keys(ts, &planner::assignments(t), &keys)?;
            watch.changed(ts, n);
            anonymized.push((t.name.clone(), keys));
        }
    }
    for e in &plan.edits {
        if let Some(ts) = schema.table(&map.tables[e.table].name) {
            let n = tx.replace_text(ts, &e.key, &e.column, &e.old, &e.new)?;
            watch.changed(ts, n);
        }
    }
    refuse_unplanned(watch.unplanned())?;
    for (table, keys) in &anonymized {
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
