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
    /// Trigger calls: every row change the triggers saw.
    calls: u64,
}

pub(super) type Shared = Arc<Mutex<Seen>>;

fn lock(s: &Shared) -> MutexGuard<'_, Seen> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// Registers `dsr_seen(table_index, key…)` on the connection: the function
/// the watch's triggers call with the key of each row changed (inserted,
/// updated or deleted alike: any change to an unplanned row is refused).
pub(super) fn register(conn: &Connection, seen: &Shared) -> rusqlite::Result<()> {
    let seen = Arc::clone(seen);
    conn.create_scalar_function("dsr_seen", -1, FunctionFlags::SQLITE_UTF8, move |ctx| {
        record(&seen, ctx);
        Ok(rusqlite::types::Null)
    })
}

fn record(seen: &Shared, ctx: &Context<'_>) {
    let mut s = lock(seen);
    if !s.on || ctx.is_empty() {
        return;
    }
    let Ok(ti) = ctx.get::<i64>(0) else {
        return;
    };
    let ti = ti as usize;
    s.calls += 1;
    let key: Vec<Value> = (1..ctx.len()).map(|i| from_ref(ctx.get_raw(i))).collect();
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
    /// The table whose deletions are counted, not watched (see
    /// [`Tx::watch_counting`]), and how many dsr's statements deleted.
    counted: Option<(usize, u64)>,
    /// Rows dsr's own statements changed in tables that cannot be watched.
    direct_unwatched: u64,
    before: u64,
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
    /// but counted (the connection's count of changed rows less those the
    /// watch saw); the plan says how many with [`Watch::deleted`], and any
    /// more are refused as changes to that table.
    pub fn watch_counting(&self, schema: &Schema, counted: &TableSchema) -> Result<Watch<'_>> {
        self.start_watch(schema, Some(&counted.name))
    }

    fn start_watch(&self, schema: &Schema, counted: Option<&str>) -> Result<Watch<'_>> {
        let conn = &self.store.conn;
        let mut index = HashMap::new();
        let mut names = Vec::new();
        let mut counted_ti = None;
        // With no trigger and no foreign-key action in the store, nothing
        // but dsr's own statements can change a row: counting suffices, and
        // costs nothing per row.
        let needed = self.store.has_own_rules()?;
        let tables = schema
            .tables
            .iter()
            .filter(|t| !t.name.starts_with("_dsr_"));
        for t in tables.filter(|_| needed) {
            let ti = names.len();
            let counting = counted == Some(t.name.as_str());
            if install(conn, t, ti, counting) {
                index.insert(t.name.clone(), ti);
                if counting {
                    counted_ti = Some((ti, 0));
                }
            }
            names.push(t.name.clone());
        }
        *lock(&self.store.seen) = Seen {
            on: true,
            names,
            ..Seen::default()
        };
        Ok(Watch {
            store: self.store,
            index,
            planned: HashMap::new(),
            counted: counted_ti,
            direct_unwatched: 0,
            before: conn.total_changes(),
        })
    }
}

impl Store {
    /// Whether the store has triggers or foreign-key actions (`ON DELETE` /
    /// `ON UPDATE` other than NO ACTION and RESTRICT): rules that may change
    /// rows behind dsr's back. Read once per connection.
    fn has_own_rules(&self) -> Result<bool> {
        if let Some(known) = self.own_rules.get() {
            return Ok(known);
        }
        let found = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger') \
                 OR EXISTS (SELECT 1 FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                    WHERE m.type = 'table' AND (f.on_delete NOT IN ('NO ACTION', 'RESTRICT') \
                    OR f.on_update NOT IN ('NO ACTION', 'RESTRICT')))",
                [],
                |r| r.get::<_, bool>(0),
            )
            .map_err(|e| self.err("reading the schema of", e))?;
        self.own_rules.set(Some(found));
        Ok(found)
    }
}

/// Creates the table's watching triggers if they are not there yet (they
/// are TEMP: they last as long as the connection, or until the transaction
/// that created them is rolled back); with `counting`, its deletions are
/// not watched. False if the table cannot carry them.
fn install(conn: &Connection, t: &TableSchema, ti: usize, counting: bool) -> bool {
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
    [("insert", "NEW"), ("update", "OLD"), ("delete", "OLD")]
        .iter()
        .all(|(event, row)| {
            let name = quote(&format!("dsr_seen_{event}_{}", t.name));
            let sql = if counting && *event == "delete" {
                format!("DROP TRIGGER IF EXISTS temp.{name}")
            } else {
                format!(
                    "CREATE TEMP TRIGGER IF NOT EXISTS {name} AFTER {event} ON main.{} BEGIN SELECT dsr_seen({ti}, {}); END",
                    quote(&t.name),
                    key(row)
                )
            };
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

    /// `n` rows of the counted table deleted by dsr's own statement (see
    /// [`Tx::watch_counting`]).
    pub fn deleted(&mut self, t: &TableSchema, n: u64) {
        if let Some((ti, done)) = &mut self.counted {
            if self.index.get(&t.name) == Some(ti) {
                *done += n;
            }
        }
    }

    /// Ends the watch: the rows changed that were not planned, per table.
    pub fn unplanned(self) -> Unplanned {
        let total = self.store.conn.total_changes() - self.before;
        let mut s = lock(&self.store.seen);
        s.on = false;
        let unseen = total.saturating_sub(s.calls + self.direct_unwatched);
        // The counted table's deletions are among the changes not seen: any
        // beyond dsr's own are put down to that table.
        let counted_extra = self
            .counted
            .map(|(ti, done)| (ti, unseen.saturating_sub(done)));
        let mut out = Unplanned {
            unwatched: if counted_extra.is_some() { 0 } else { unseen },
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
            if let Some((cti, extra)) = counted_extra {
                if cti == ti {
                    n += extra;
                }
            }
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
    }
}
