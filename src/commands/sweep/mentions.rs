//! A sweep erases the mentions of the people whose records it erases
//! (DESIGN §2, "Free text"): the identifiers of the `subjects = true` rows
//! a batch deletes or anonymizes are read before they change, and their
//! mentions in `scan` columns are replaced as `erase` replaces them.

use crate::commands::Context;
use crate::error::Result;
use crate::graph::{self, Skip};
use crate::planner::{self, Fate, Plan};
use crate::value::Value;

/// Whether the map scans any free-text column, so that the people whose
/// records a sweep erases may have mentions to erase.
pub(super) fn scans_mentions(map: &crate::map::DataMap) -> bool {
    map.tables.iter().any(|t| t.columns.iter().any(|c| c.scan))
}

/// Adds to a batch's plan the erasure of the mentions of the people whose
/// records the batch erases: the rows of `subjects = true` tables it
/// deletes or anonymizes. Their identifiers are read from those rows
/// before they change (this runs inside the batch's transaction, before
/// the plan is carried out), so that a later `erase` has nothing left to
/// find. An identifier that someone who stays still holds (another
/// customer sharing the email address, the same person as an employee) is
/// not erased from free text: the mention may be about them.
pub(super) fn erase_mentions(
    cx: &Context,
    skip: &Skip,
    b: &graph::Belonging,
    plan: &mut Plan,
) -> Result<()> {
    if !scans_mentions(&cx.map) {
        return Ok(());
    }
    // The planner lists a table's rows in order (row i at position i); the
    // search is only a fallback.
    let erased = |ti: usize, i: usize| {
        let rows = &plan.tables[ti].rows;
        rows.get(i)
            .filter(|(r, _)| *r == i)
            .or_else(|| rows.iter().find(|(r, _)| *r == i))
            .is_some_and(|(_, f)| matches!(f, Fate::Delete | Fate::Anonymize))
    };
    let ids = graph::held_ids(&cx.map, &cx.schema, b, cx.today, erased);
    if ids.is_empty() {
        return Ok(());
    }
    // Who else holds them: rows neither erased by this batch nor by an
    // earlier one (dry runs remember theirs in `skip`, real runs in the
    // memory of anonymized rows).
    let mut others: Vec<(usize, Vec<Value>, graph::SubjectId)> = Vec::new();
    graph::subject_rows(&cx.store, &cx.schema, &cx.map, &ids, |ti, key, id| {
        let this_batch = b.tables[ti].position(key).is_some_and(|i| erased(ti, i));
        if !this_batch && !skip.has(ti, key) && !skip.was_anonymized(ti, key) {
            others.push((ti, key.to_vec(), id.clone()));
        }
    })?;
    let mut kept: Vec<graph::SubjectId> = Vec::new();
    for ti in 0..cx.map.tables.len() {
        let keys: Vec<Vec<Value>> = others
            .iter()
            .filter(|(t, _, _)| *t == ti)
            .map(|(_, k, _)| k.clone())
            .collect();
        if keys.is_empty() {
            continue;
        }
        let gone = cx.store.anonymized(&cx.map.tables[ti].name, &keys)?;
        for (_, key, id) in others.iter().filter(|(t, _, _)| *t == ti) {
            if !gone.contains(key) && !kept.contains(id) {
                kept.push(id.clone());
            }
        }
    }
    let needles = graph::searchable(ids.iter().filter(|i| !kept.contains(i)));
    if needles.is_empty() {
        return Ok(());
    }
    let mut mentions = graph::mentions(&cx.store, &cx.schema, &cx.map, b, &needles)?;
    // In a dry run, rows an earlier batch would have deleted, or whose
    // free text it would have rewritten, no longer hold these mentions.
    mentions.retain(|m| {
        let rewritten = cx.map.tables[m.table]
            .column(&m.column)
            .is_some_and(|c| c.erase != crate::map::Strategy::Keep);
        let gone = skip.has(m.table, &m.key);
        let redone = rewritten && skip.was_anonymized(m.table, &m.key);
        !gone && !redone
    });
    planner::add_mention_edits(&cx.map, &cx.schema, b, plan, &mentions, &needles);
    Ok(())
}
