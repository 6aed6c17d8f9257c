//! One recorded erasure carried out again on a restored store, with
//! today's plan rules: the recorded rows are the roots, each with the
//! action it got then (held rows the action they were to get); holds,
//! referential safety and the map's strategies are judged now, on the rows
//! as they are now. Rows already gone are skipped; mentions are erased
//! again wherever the erased text is still there.

use crate::apply;
use crate::audit::replay::Payload;
use crate::commands::Context;
use crate::error::Result;
use crate::graph::{self, Skip};
use crate::map::{OnErase, Strategy};
use crate::planner::{self, Fate, Plan, TextEdit};
use crate::store::write::key_from_text;
use crate::store::{Deferred, Filter, Row, Tx};
use crate::value::Value;
use serde_json::Value as Json;
use std::collections::HashMap;

/// What re-applying one record did (or, in a dry run, would do).
pub struct Redone {
    pub tables: Json,
    pub held: Vec<Json>,
    pub mentions: Json,
    /// Recorded rows no longer in the store (or in tables no longer mapped).
    pub gone: u64,
    /// What it changed, for its own record's sealed payload.
    pub changes: Option<Payload>,
    pub deferred: Vec<Deferred>,
}

fn action(s: &str) -> OnErase {
    match s {
        "delete" => OnErase::Delete,
        "anonymize" => OnErase::Anonymize,
        _ => OnErase::Keep,
    }
}

/// The recorded rows still in the store, as roots with their actions.
fn roots(cx: &Context, p: &Payload, gone: &mut u64) -> Result<Vec<(usize, Row, OnErase)>> {
    let mut out = Vec::new();
    for (name, c) in &p.tables {
        let wanted: Vec<(&String, OnErase)> = c
            .deleted
            .iter()
            .map(|k| (k, OnErase::Delete))
            .chain(c.anonymized.iter().map(|k| (k, OnErase::Anonymize)))
            .chain(c.held.iter().map(|(k, a)| (k, action(a))))
            .collect();
        let (Some(ti), Some(ts)) = (cx.map.table_index(name), cx.schema.table(name)) else {
            *gone += wanted.len() as u64;
            continue;
        };
        let keys: Vec<(Option<Vec<Value>>, OnErase)> =
            wanted.iter().map(|(k, a)| (key_from_text(k), *a)).collect();
        let some: Vec<Vec<Value>> = keys.iter().filter_map(|(k, _)| k.clone()).collect();
        let mut found: HashMap<Vec<Value>, Row> = HashMap::new();
        cx.store.select(ts, &Filter::Keys(&some), |r| {
            found.insert(r.key.clone(), r);
        })?;
        for (k, a) in keys {
            match k.and_then(|k| found.remove(&k)) {
                Some(row) => out.push((ti, row, a)),
                None => *gone += 1,
            }
        }
    }
    Ok(out)
}

/// The mention edits still to make: the erased text, where it is still in
/// a row that the plan leaves with its free text.
fn mention_edits(cx: &Context, p: &Payload, b: &graph::Belonging, plan: &mut Plan) -> Result<()> {
    for m in &p.mentions {
        let (Some(ti), Some(ts), Some(key)) = (
            cx.map.table_index(&m.table),
            cx.schema.table(&m.table),
            key_from_text(&m.key),
        ) else {
            continue;
        };
        let Some(ci) = ts.column_index(&m.column) else {
            continue;
        };
        let rewritten = cx.map.tables[ti]
            .column(&m.column)
            .is_some_and(|c| c.erase != Strategy::Keep);
        let fate = b.tables[ti]
            .position(&key)
            .and_then(|i| plan.tables[ti].rows.iter().find(|(r, _)| *r == i))
            .map(|(_, f)| f.clone());
        match fate {
            Some(Fate::Delete) => continue,
            Some(Fate::Anonymize) if rewritten => continue,
            _ => {}
        }
        if plan
            .edits
            .iter()
            .any(|e| e.table == ti && e.key == key && e.column == m.column)
        {
            continue;
        }
        let mut text = None;
        cx.store
            .select(ts, &Filter::Keys(std::slice::from_ref(&key)), |r| {
                if let Some(Value::Text(t)) = r.values.get(ci) {
                    text = Some(t.clone());
                }
            })?;
        let Some(old) = text else { continue };
        let erased: Vec<String> = m
            .erased
            .iter()
            .filter(|piece| !piece.is_empty() && old.contains(piece.as_str()))
            .cloned()
            .collect();
        if erased.is_empty() {
            continue;
        }
        let new = erased.iter().fold(old.clone(), |t, piece| {
            t.replace(piece.as_str(), "[erased]")
        });
        plan.edits.push(TextEdit {
            table: ti,
            column: m.column.clone(),
            key,
            old,
            new,
            erased,
        });
    }
    Ok(())
}

/// Plans one record's erasure again and carries it out in `tx` (a dry run
/// undoes it afterwards with the caller's savepoint). `subject` is the
/// original record's subject reference, for the deferred erasures.
pub fn redo(
    cx: &Context,
    tx: &Tx<'_>,
    p: &Payload,
    secret: &str,
    at: &str,
    subject: Option<&str>,
) -> Result<Redone> {
    let mut gone = 0;
    let roots = roots(cx, p, &mut gone)?;
    let skip = Skip::default();
    let b = graph::resolve_from(&cx.store, &cx.schema, &cx.map, roots, &skip)?;
    let scope = planner::Scope {
        store: &cx.store,
        schema: &cx.schema,
        map: &cx.map,
    };
    let mut plan = planner::plan(scope, &b, &[], &[], cx.now, &skip)?;
    mention_edits(cx, p, &b, &mut plan)?;
    apply::apply(tx, &cx.map, &cx.schema, &b, &plan, secret, at, &skip)?;
    let (tables, held, mentions) = apply::summary(&cx.map, &plan);
    Ok(Redone {
        tables,
        held,
        mentions,
        gone,
        changes: apply::replay_payload(&cx.map, &b, &plan),
        deferred: apply::deferred(&cx.map, &b, &plan, subject),
    })
}
