//! Which rows a write transaction changed, by table and key, whoever
//! changed them: dsr's own statements, the application's triggers, or the
//! store's foreign-key actions. An erasure may let the store's own rules
//! change the rows its plan changes (an `AFTER UPDATE` trigger that sets
//! `last_update` on the same row), but no other row; so the caller says
//! which rows it plans to change, and asks afterwards which changed rows
//! were not among them.
//!
//! The plan's bookkeeping is here, the same on every backend; how changes
//! are seen is the backend's (SQLite: TEMP triggers, `sqlite/watch.rs`;
//! PostgreSQL: `pg_stat_xact_user_tables` counts and the rows whose `xmin`
//! is the current transaction).

use super::schema::{Schema, TableSchema};
use super::{Store, Tx};
use crate::error::Result;
use crate::value::Value;
use std::collections::{HashMap, HashSet};

/// Rows changed that the plan did not name, per table.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Unplanned {
    /// (table, rows), in table order.
    pub tables: Vec<(String, u64)>,
    /// Rows changed in tables that cannot be watched.
    pub unwatched: u64,
}

impl Unplanned {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.unwatched == 0
    }
}

/// What the plan says, handed to the backend when the watch ends.
#[derive(Debug, Default)]
pub struct WatchPlan {
    /// Rows the plan changes, by table (only tables watched row by row).
    pub planned: HashMap<String, HashSet<Vec<Value>>>,
    /// Rows dsr's own statements changed in tables not watched row by row.
    pub unwatched_changes: u64,
    /// Rows of the counted table dsr's own statement deleted (see
    /// [`Tx::watch_counting`]).
    pub counted_deleted: u64,
}

/// A watch on a write transaction's row changes; it ends when dropped.
pub struct Watch<'a> {
    store: &'a Store,
    /// The tables the backend watches row by row.
    watched: HashSet<String>,
    counted: Option<String>,
    plan: WatchPlan,
}

impl Tx<'_> {
    /// Starts watching every row change in the tables of `schema` (dsr's
    /// own `_dsr_` tables aside) until the watch is dropped.
    pub fn watch(&self, schema: &Schema) -> Result<Watch<'_>> {
        self.start_watch(schema, None)
    }

    /// A watch for statements that delete many rows of `counted` chosen by
    /// the store (a sweep's one pass): that table's deletions are not
    /// watched row by row, which would cost as much again as the deletion,
    /// but counted; the plan says how many with [`Watch::deleted`], and any
    /// more are refused as changes to that table.
    pub fn watch_counting(&self, schema: &Schema, counted: &TableSchema) -> Result<Watch<'_>> {
        self.start_watch(schema, Some(&counted.name))
    }

    /// Starts a watch by counts alone where the backend has one (see
    /// [`Backend::quick_watch_start`](super::backend::Backend::quick_watch_start)):
    /// false where it has not, and the ordinary watch is to be used.
    pub fn quick_watch_start(&self) -> Result<bool> {
        self.store.backend.quick_watch_start()
    }

    /// Ends the watch by counts: true when the rows changed since it
    /// started are `own` alone, the rows dsr's own statements changed
    /// themselves (nothing else changed, and the changes stay); false when
    /// more changed, with everything since the start undone, for the caller
    /// to carry its statements out again under [`Tx::watch`]; the refusal
    /// (`apply::refuse_unplanned`) where no rule of the store could have
    /// changed rows, so that there was nothing to carry out again.
    pub fn quick_watch_finish(&self, own: u64) -> Result<bool> {
        self.store.backend.quick_watch_finish(own)
    }

    fn start_watch(&self, schema: &Schema, counted: Option<&str>) -> Result<Watch<'_>> {
        let watched = self.store.backend.watch_start(schema, counted)?;
        Ok(Watch {
            store: self.store,
            watched,
            counted: counted.map(str::to_string),
            plan: WatchPlan::default(),
        })
    }
}

impl Watch<'_> {
    /// Rows of `t` (by key, as the store's rows give it) that the plan changes.
    pub fn plan(&mut self, t: &TableSchema, keys: impl IntoIterator<Item = Vec<Value>>) {
        if self.watched.contains(&t.name) {
            self.plan
                .planned
                .entry(t.name.clone())
                .or_default()
                .extend(keys);
        }
    }

    /// Whether the watch sees each row of `t` that changes (by key), so
    /// that a statement of dsr's that changed a row the plan does not name
    /// would be refused too.
    pub fn sees(&self, t: &TableSchema) -> bool {
        self.watched.contains(&t.name)
    }

    /// `n` rows of `t` changed by one of dsr's own statements: needed only
    /// where `t` cannot be watched, whose changes are known by count alone.
    pub fn changed(&mut self, t: &TableSchema, n: u64) {
        if !self.watched.contains(&t.name) {
            self.plan.unwatched_changes += n;
        }
    }

    /// `n` rows of the counted table deleted by dsr's own statement (see
    /// [`Tx::watch_counting`]).
    pub fn deleted(&mut self, t: &TableSchema, n: u64) {
        if self.counted.as_deref() == Some(t.name.as_str()) && self.watched.contains(&t.name) {
            self.plan.counted_deleted += n;
        }
    }

    /// Ends the watch: the rows changed that were not planned, per table.
    pub fn unplanned(self) -> Unplanned {
        self.store.backend.watch_finish(&self.plan)
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        self.store.backend.watch_stop();
    }
}
