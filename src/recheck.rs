//! The rows a plan changes that were read without a lock, read again
//! locked, where the store's write transaction does not keep the
//! application from writing (PostgreSQL: `Capabilities::writes_block_all`
//! false). The rows linked beneath the roots are locked as they are read
//! (`Store::select_to_change`); the roots an erasure finds by its
//! identifiers (a range or a scan of a column, which a lock would widen to
//! other people's rows) and the rows whose free text it edits are not. Such
//! a row may change a moment later, before the statement that changes it:
//! a hold set on it, its identifier corrected to another person's. Read
//! again `FOR UPDATE` ([`crate::store::Store::rows_reading`]), each is its
//! newest committed version and stays so until the transaction ends;
//! where one is no longer as the plan read it, the caller plans again (on
//! those rows now locked).

use crate::error::{Error, Result};
use crate::graph::Belonging;
use crate::planner::{Fate, Plan, Scope};
use crate::value::Value;
use std::collections::HashMap;

/// How often a plan is made again because rows it changes were changed
/// by the application between its read and their lock.
const PLAN_ROUNDS: usize = 3;

/// The failure when `what` changed in every round (exit 1).
fn kept_changing(what: &str, command: &str) -> Error {
    Error::Runtime(format!(
        "{what} kept changing while dsr planned their erasure (the application is writing them); nothing was changed; run {command} again"
    ))
}

/// `planned` as it stands once the rows it changes are as it read them:
/// where the store's write transaction does not keep the application
/// out, checked ([`unchanged_when_locked`]) and, where one changed, made
/// `again` (from the last one), at most [`PLAN_ROUNDS`] plans in all.
/// `parts` gives a plan's rows and fates, or `None` for an outcome that
/// changes nothing (a refusal), which stands as it is.
pub fn until_unchanged<T>(
    scope: Scope<'_>,
    roots_locked: bool,
    (what, command): (&str, &str),
    mut planned: T,
    parts: impl Fn(&T) -> Option<(&Belonging, &Plan)>,
    mut again: impl FnMut(T) -> Result<T>,
) -> Result<T> {
    if scope.store.capabilities().writes_block_all {
        return Ok(planned);
    }
    for round in 1..=PLAN_ROUNDS {
        match parts(&planned) {
            None => return Ok(planned),
            Some((b, plan)) if unchanged_when_locked(scope, b, plan, roots_locked)? => {
                return Ok(planned)
            }
            Some(_) if round == PLAN_ROUNDS => break,
            Some(_) => {}
        }
        crate::trace::mark("planned again", String::new);
        planned = again(planned)?;
    }
    Err(kept_changing(what, command))
}

/// What the plan read of a row it changes.
enum Was<'a> {
    /// Every column (a row it deletes or anonymizes).
    Row(&'a [Value]),
    /// One free-text column (a mention it edits), by schema index.
    Text(usize, &'a str),
}

/// Locks the roots the plan deletes or anonymizes (rows reached directly;
/// none when `roots_locked`, as a sweep's are) and the rows whose free
/// text it edits, and tells whether each is still as the plan read it (a
/// row deleted since is not).
fn unchanged_when_locked(
    scope: Scope<'_>,
    b: &Belonging,
    plan: &Plan,
    roots_locked: bool,
) -> Result<bool> {
    let Scope { store, schema, map } = scope;
    let mut per_table: Vec<Vec<(&[Value], Was<'_>)>> =
        (0..map.tables.len()).map(|_| Vec::new()).collect();
    for (ti, tp) in plan.tables.iter().enumerate() {
        let found = &b.tables[ti];
        for (ri, fate) in &tp.rows {
            // Rows linked beneath the roots were read locked
            // (`Store::select_to_change`).
            if roots_locked || !found.reach.get(*ri).is_some_and(|r| r.direct) {
                continue;
            }
            if let (Fate::Delete | Fate::Anonymize, Some(r)) = (fate, found.rows.get(*ri)) {
                per_table[ti].push((&r.key, Was::Row(&r.values)));
            }
        }
    }
    for e in &plan.edits {
        let ci = schema
            .table(&map.tables[e.table].name)
            .and_then(|ts| ts.column_index(&e.column));
        if let Some(ci) = ci {
            per_table[e.table].push((&e.key, Was::Text(ci, &e.old)));
        }
    }
    for (ti, wanted) in per_table.iter().enumerate() {
        let Some(ts) = schema.table(&map.tables[ti].name) else {
            continue;
        };
        if wanted.is_empty() {
            continue;
        }
        let keys: Vec<Vec<Value>> = wanted.iter().map(|(k, _)| k.to_vec()).collect();
        let mut now: HashMap<Vec<Value>, Vec<Value>> = HashMap::with_capacity(keys.len());
        store.rows_reading(ts, &keys, None, |r| {
            now.insert(r.key, r.values);
        })?;
        let same = wanted.iter().all(|(k, was)| match (now.get(*k), was) {
            (Some(n), Was::Row(v)) => {
                n.len() == v.len() && n.iter().zip(v.iter()).all(|(a, b)| a.same_as_stored(b))
            }
            (Some(n), Was::Text(ci, old)) => {
                matches!(n.get(*ci), Some(Value::Text(t)) if t == old)
            }
            (None, _) => false,
        });
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}
