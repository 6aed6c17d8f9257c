//! The watch on SQLite (see `store/watch.rs` for what it is for): a set of TEMP triggers (connection-private: they
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

use super::{from_ref, SqliteBackend};
use crate::error::Result;
use crate::store::schema::{quote, Schema, TableSchema};
use crate::store::watch::{Unplanned, WatchPlan};
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
    /// The table whose deletions are counted, not watched.
    counted: Option<usize>,
    /// The connection's count of changed rows when the watch began.
    before: u64,
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

impl SqliteBackend {
    pub(super) fn start_watch(
        &self,
        schema: &Schema,
        counted: Option<&str>,
    ) -> Result<HashSet<String>> {
        let conn = &self.conn;
        let mut index = HashMap::new();
        let mut names = Vec::new();
        let mut counted_ti = None;
        // With no trigger and no foreign-key action in the store, nothing
        // but dsr's own statements can change a row: counting suffices, and
        // costs nothing per row.
        let needed = self.has_own_rules()?;
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
                    counted_ti = Some(ti);
                }
            }
            names.push(t.name.clone());
        }
        let watched = index.keys().cloned().collect();
        *lock(&self.seen) = Seen {
            on: true,
            names,
            counted: counted_ti,
            before: conn.total_changes(),
            ..Seen::default()
        };
        Ok(watched)
    }

    /// Whether the store has triggers or foreign-key actions (`ON DELETE` /
    /// `ON UPDATE` other than NO ACTION and RESTRICT): rules that may change
    /// rows behind dsr's back. Read once per connection.
    fn has_own_rules(&self) -> Result<bool> {
        self.schema_flag(
            &self.own_rules,
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger') \
             OR EXISTS (SELECT 1 FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                WHERE m.type = 'table' AND (f.on_delete NOT IN ('NO ACTION', 'RESTRICT') \
                OR f.on_update NOT IN ('NO ACTION', 'RESTRICT')))",
            "reading the schema of",
        )
    }

    /// Ends the watch: the rows changed that were not planned, per table.
    pub(super) fn finish_watch(&self, plan: &WatchPlan) -> Unplanned {
        let mut s = lock(&self.seen);
        let total = self.conn.total_changes() - s.before;
        s.on = false;
        let unseen = total.saturating_sub(s.calls + plan.unwatched_changes);
        // The counted table's deletions are among the changes not seen: any
        // beyond dsr's own are put down to that table.
        let counted_extra = s
            .counted
            .map(|ti| (ti, unseen.saturating_sub(plan.counted_deleted)));
        let mut out = Unplanned {
            unwatched: if counted_extra.is_some() { 0 } else { unseen },
            ..Unplanned::default()
        };
        for (ti, name) in s.names.iter().enumerate() {
            // A table that is not watched has no plan here: whatever its
            // triggers saw (one that carries only some of them) is unplanned.
            let planned = plan.planned.get(name);
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

    /// A watch by counts alone (see `Backend::quick_watch_start`): the
    /// connection's count of changed rows (and a savepoint where
    /// foreign-key actions may change rows), which
    /// includes every row a trigger or a foreign-key action changed, while
    /// each statement's own count does not. Not where the store has
    /// triggers: one that writes the row dsr changes (an `AFTER UPDATE`
    /// setting `last_update`) is allowed, but only the row-by-row watch can
    /// tell it from one that writes another row, so every erasure would be
    /// carried out twice.
    pub(super) fn counts_watch_possible(&self) -> Result<bool> {
        Ok(!self.has_triggers()?)
    }

    pub(super) fn start_quick_watch(&self) -> Result<bool> {
        if !self.counts_watch_possible()? {
            return Ok(false);
        }
        // A savepoint copies every page a statement changes into the
        // statement journal (a sixth of a planned sweep's CPU). It is only
        // needed where something can be undone and carried out again:
        // with no trigger and no foreign-key action nothing but dsr's own
        // statements can change a row, and a count that still differs
        // (a virtual table's own writes) is refused, as the row-by-row
        // watch would refuse it, undoing the whole transaction.
        let undo = self.has_own_rules()?;
        if undo {
            self.batch("SAVEPOINT dsr_quick_watch", "watching the erasure on")?;
        }
        self.quick_undo.set(undo);
        self.quick_from.set(Some(self.conn.total_changes()));
        Ok(true)
    }

    pub(super) fn finish_quick_watch(&self, own: u64) -> Result<bool> {
        let Some(from) = self.quick_from.take() else {
            return Ok(false);
        };
        let all = self.conn.total_changes().saturating_sub(from);
        let undo = self.quick_undo.replace(false);
        if all == own {
            if undo {
                self.batch("RELEASE dsr_quick_watch", "watching the erasure on")?;
            }
            return Ok(true);
        }
        if !undo {
            crate::apply::refuse_unplanned(Unplanned {
                unwatched: all.abs_diff(own),
                ..Unplanned::default()
            })?;
        }
        self.batch(
            "ROLLBACK TO dsr_quick_watch; RELEASE dsr_quick_watch",
            "watching the erasure on",
        )?;
        Ok(false)
    }

    /// Whether the store has triggers. Read once per connection.
    fn has_triggers(&self) -> Result<bool> {
        self.schema_flag(
            &self.triggers,
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger')",
            "reading the schema of",
        )
    }

    pub(super) fn stop_watch(&self) {
        let mut s = lock(&self.seen);
        s.on = false;
        s.rows.clear();
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

#[cfg(test)]
mod tests {
    use super::super::test_store;

    /// With no trigger and no foreign-key action the watch by counts takes
    /// no savepoint; a count that differs all the same (an FTS5 table's
    /// writes to its shadow tables) is refused, as the row-by-row watch
    /// refuses it, rather than undone and carried out again.
    #[test]
    fn a_count_that_differs_without_a_savepoint_is_refused() {
        let (_dir, b) = test_store(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
             INSERT INTO t VALUES (1, 'x'), (2, 'y');
             CREATE VIRTUAL TABLE f USING fts5(a);
             INSERT INTO f (rowid, a) VALUES (1, 'x y'), (2, 'y z');",
        );
        b.batch("BEGIN IMMEDIATE", "test").expect("begin");
        assert!(b.start_quick_watch().expect("start"));
        let n = b
            .exec("DELETE FROM t WHERE id = 1", &[], "test")
            .expect("t");
        assert!(b.finish_quick_watch(n).expect("own changes pass"));
        assert!(b.start_quick_watch().expect("start"));
        let n = b
            .exec("DELETE FROM f WHERE rowid = 1", &[], "test")
            .expect("f");
        let e = b.finish_quick_watch(n).expect_err("refused").to_string();
        assert!(
            e.starts_with("the store's own triggers or ON DELETE / ON UPDATE actions would change rows that the erasure plan does not change: ")
                && e.contains(" rows that dsr could not watch (in virtual tables or their shadow tables); nothing was changed; "),
            "{e}"
        );
        assert!(!b.conn.is_autocommit(), "the caller rolls back");
    }
}
