//! Which rows a write transaction changed, by table and key, whoever
//! changed them: dsr's own statements, the application's triggers, or the
//! store's foreign-key actions. An erasure may let the store's own rules
//! change the rows its plan changes (an `AFTER UPDATE` trigger that sets
//! `last_update` on the same row), but no other row; so the caller says
//! which rows it plans to change, and asks afterwards which changed rows
//! were not among them.
//!
//! On SQLite the watch is a set of TEMP triggers (connection-private: they
//! are not part of the store, the application never sees them, and nothing
//! of the application's is disabled), one per table and kind of change,
//! each calling the `dsr_seen` function with the changed row's key. They see
//! every change on the connection: also those made by triggers (SQLite's
//! `recursive_triggers` being off stops only a trigger from firing itself)
//! and by foreign-key actions (which fire triggers). A table that cannot
//! carry a trigger (a virtual table's shadow tables, say) is not seen; its
//! changes are found by comparing the connection's count of changed rows
//! with the rows seen, and refused as changes to unwatched tables.
//!
//! A PostgreSQL backend would watch differently, with no schema change:
//! `pg_stat_xact_user_tables` counts, per table and for this transaction
//! only, the rows inserted, updated and deleted, triggers and foreign-key
//! actions included; the rows behind a count above dsr's own are the live
//! rows whose `xmin` is the current transaction (`pg_current_xact_id()`),
//! compared by key with the planned rows, and deletions by count.

use super::schema::{quote, Schema, TableSchema};
use super::{from_ref, Store, Tx};
use crate::error::Result;
use crate::value::Value;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// What the triggers saw while a watch was on.
#[derive(Debug, Default)]
pub(super) struct Seen {
    on: bool,
    /// Table names by the index the triggers pass.
    names: Vec<String>,
    /// Rows changed, by table index.
    rows: HashMap<usize, HashSet<Vec<Value>>>,
    /// Tables whose deletions are only counted (see [`Watch::count_deletions`]).
    counted: HashSet<usize>,
    deletions: HashMap<usize, u64>,
    /// Trigger calls: every row change the triggers saw.
    calls: u64,
}

pub(super) type Shared = Arc<Mutex<Seen>>;

fn lock(s: &Shared) -> MutexGuard<'_, Seen> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// Registers `dsr_seen(table_index, op, key…)` on the connection: the
/// function the watch's triggers call (op 0 insert, 1 update, 2 delete).
pub(super) fn register(conn: &Connection, seen: &Shared) -> rusqlite::Result<()> {
    let seen = Arc::clone(seen);
    conn.create_scalar_function("dsr_seen", -1, FunctionFlags::SQLITE_UTF8, move |ctx| {
        record(&seen, ctx);
        Ok(rusqlite::types::Null)
    })
}

fn record(seen: &Shared, ctx: &Context<'_>) {
    let mut s = lock(seen);
    if !s.on || ctx.len() < 2 {
        return;
    }
    let (Ok(ti), Ok(op)) = (ctx.get::<i64>(0), ctx.get::<i64>(1)) else {
        return;
    };
    let ti = ti as usize;
    s.calls += 1;
    if op == 2 && s.counted.contains(&ti) {
        *s.deletions.entry(ti).or_default() += 1;
        return;
    }
    let key: Vec<Value> = (2..ctx.len()).map(|i| from_ref(ctx.get_raw(i))).collect();
    s.rows.entry(ti).or_default().insert(key);
}

/// Rows changed that the plan did not name, per table.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Unplanned {
    /// (table, rows), in table order.
    pub tables: Vec<(String, u64)>,
    /// Rows changed in tables that cannot be watched (see the module doc).
    pub unwatched: u64,
}

impl Unplanned {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.unwatched == 0
    }
}

/// A watch on a write transaction's row changes; it ends when dropped.
pub struct Watch<'a> {
    store: &'a Store,
    /// Table name -> index, as the triggers pass it.
    index: HashMap<String, usize>,
    planned: HashMap<usize, HashSet<Vec<Value>>>,
    planned_deletions: HashMap<usize, u64>,
    /// Rows dsr's own statements changed in tables that cannot be watched.
    direct_unwatched: u64,
    before: u64,
}

impl Tx<'_> {
    /// Starts watching every row change in the tables of `schema` (dsr's
    /// own `_dsr_` tables aside) until the watch is dropped.
    pub fn watch(&self, schema: &Schema) -> Result<Watch<'_>> {
        let conn = &self.store.conn;
        let mut index = HashMap::new();
        let mut names = Vec::new();
        for t in schema
            .tables
            .iter()
            .filter(|t| !t.name.starts_with("_dsr_"))
        {
            let ti = names.len();
            if install(conn, t, ti) {
                index.insert(t.name.clone(), ti);
            }
            names.push(t.name.clone());
        }
        {
            let mut s = lock(&self.store.seen);
            *s = Seen {
                on: true,
                names,
                ..Seen::default()
            };
        }
        Ok(Watch {
            store: self.store,
            index,
            planned: HashMap::new(),
            planned_deletions: HashMap::new(),
            direct_unwatched: 0,
            before: conn.total_changes(),
        })
    }
}

/// Creates the table's watching triggers if they are not there yet (they
/// are TEMP: they last as long as the connection, or until the transaction
/// that created them is rolled back). False if the table cannot carry them.
fn install(conn: &Connection, t: &TableSchema, ti: usize) -> bool {
    let key = |row: &str| -> String {
        if t.pk.is_empty() {
            format!("{row}._rowid_")
        } else {
            t.pk.iter()
                .map(|c| format!("{row}.{}", quote(c)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    [("insert", 0, "NEW"), ("update", 1, "OLD"), ("delete", 2, "OLD")]
        .iter()
        .all(|(event, op, row)| {
            let sql = format!(
                "CREATE TEMP TRIGGER IF NOT EXISTS {} AFTER {event} ON main.{} BEGIN SELECT dsr_seen({ti}, {op}, {}); END",
                quote(&format!("dsr_seen_{event}_{}", t.name)),
                quote(&t.name),
                key(row)
            );
            conn.execute_batch(&sql).is_ok()
        })
}

impl Watch<'_> {
    /// Rows of `t` (by key, as the store's rows give it) that the plan changes.
    pub fn plan(&mut self, t: &TableSchema, keys: impl IntoIterator<Item = Vec<Value>>) {
        if let Some(&ti) = self.index.get(&t.name) {
            self.planned.entry(ti).or_default().extend(keys);
        }
    }

    /// `n` rows of `t` changed by one of dsr's own statements: needed only
    /// where `t` cannot be watched, whose changes are known by count alone.
    pub fn changed(&mut self, t: &TableSchema, n: u64) {
        if !self.index.contains_key(&t.name) {
            self.direct_unwatched += n;
        }
    }

    /// Counts the deletions of `t`'s rows instead of recording their keys,
    /// for statements that delete many rows chosen by the store (a sweep's
    /// one pass): the plan then names how many with [`Watch::deleted`].
    pub fn count_deletions(&mut self, t: &TableSchema) {
        if let Some(&ti) = self.index.get(&t.name) {
            lock(&self.store.seen).counted.insert(ti);
        }
    }

    /// `n` rows of `t` deleted by dsr's own statement (see [`Watch::count_deletions`]).
    pub fn deleted(&mut self, t: &TableSchema, n: u64) {
        if let Some(&ti) = self.index.get(&t.name) {
            *self.planned_deletions.entry(ti).or_default() += n;
        }
    }

    /// Ends the watch: the rows changed that were not planned, per table.
    pub fn unplanned(self) -> Unplanned {
        let total = self.store.conn.total_changes() - self.before;
        let mut s = lock(&self.store.seen);
        s.on = false;
        let mut out = Unplanned {
            unwatched: total.saturating_sub(s.calls + self.direct_unwatched),
            ..Unplanned::default()
        };
        for (ti, name) in s.names.iter().enumerate() {
            // A table that is not watched has no plan here: whatever its
            // triggers saw (one that carries only some of them) is unplanned.
            let planned = self.planned.get(&ti);
            let mut n = s.rows.get(&ti).map_or(0, |rows| {
                rows.iter()
                    .filter(|k| !planned.is_some_and(|p| p.contains(*k)))
                    .count() as u64
            });
            let deleted = s.deletions.get(&ti).copied().unwrap_or(0);
            n += deleted.saturating_sub(self.planned_deletions.get(&ti).copied().unwrap_or(0));
            if n > 0 {
                out.tables.push((name.clone(), n));
            }
        }
        out
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        let mut s = lock(&self.store.seen);
        s.on = false;
        s.rows.clear();
        s.counted.clear();
        s.deletions.clear();
    }
}
