//! The watch on PostgreSQL (see `store/watch.rs` for what it is for),
//! with no change to the schema and nothing of the application's
//! disabled: `pg_stat_xact_user_tables` counts, per table, the rows this
//! session inserted, updated and deleted, whoever did it: dsr's
//! statements, the application's triggers, foreign-key actions (its counts
//! are the session's pending ones, also of earlier transactions, so the
//! watch takes them when it starts and compares the growth). Partitions
//! count under their root table.
//!
//! When the watch ends, per table:
//!
//! - **deleted rows**: none unplanned where the growth of `n_tup_del` is
//!   no more than the rows dsr's own statements deleted by the plan's keys
//!   (and, for a sweep's counted table, the rows its statement deleted);
//!   otherwise that growth less the planned rows that are gone (one count
//!   of the planned keys still there) and the counted rows. Exact, as long
//!   as every planned row existed when the watch began (the plan read it
//!   in this transaction).
//! - **inserted and updated rows**: when the growth of `n_tup_ins` is 0
//!   and that of `n_tup_upd` is no more than the rows dsr's own statements
//!   updated, nothing else was; otherwise the table's live rows whose
//!   `xmin` is this transaction (or one of its subtransactions: `age(xmin)
//!   <= 0` and `pg_xact_status` "in progress", which only this session's
//!   own uncommitted rows can be, others' being invisible) are read by key
//!   and compared with the plan: each one not planned is a change behind
//!   dsr's back. That read is a scan of the table, needed only where the
//!   store's own rules wrote more than dsr did. A table without a primary
//!   key (its rows named by `ctid`, which an update moves) is judged by
//!   the counts alone: its updates beyond dsr's own are refused even when
//!   they touched planned rows.
//! - tables of other schemas: any change is unplanned (named
//!   `schema.table`, counted as row changes).
//!
//! Not seen: TRUNCATE by a trigger (PostgreSQL does not count it per row)
//! and changes in other sessions (a trigger calling dblink).

use super::keys::{key_arrays, key_lead};
use super::PgBackend;
use crate::error::Result;
use crate::store::pg::value;
use crate::store::schema::{quote, Schema};
use crate::store::watch::{Unplanned, WatchPlan};
use crate::value::Value;
use postgres::types::ToSql;
use std::collections::{HashMap, HashSet};

/// Rows inserted, updated, deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    ins: u64,
    upd: u64,
    del: u64,
}

/// A watch in progress.
#[derive(Debug, Default)]
pub(crate) struct Watching {
    /// The counts when the watch began, by (schema, table).
    base: HashMap<(String, String), Counts>,
    /// Rows dsr's own statements updated, by table.
    own_updates: HashMap<String, u64>,
    /// Rows dsr's own statements deleted by key, and the keys they were
    /// asked to delete, by table.
    own_deletes: HashMap<String, (u64, Vec<Vec<Value>>)>,
    counted: Option<String>,
}

const STATS: &str = "
SELECT rn.nspname::text, r.relname::text,
       sum(s.n_tup_ins)::int8, sum(s.n_tup_upd)::int8, sum(s.n_tup_del)::int8
FROM pg_catalog.pg_stat_xact_user_tables s
JOIN pg_catalog.pg_class r ON r.oid = coalesce(pg_catalog.pg_partition_root(s.relid)::oid, s.relid)
JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
WHERE s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0
GROUP BY 1, 2";

/// Every row this session inserted, updated and deleted so far, in any
/// user table (partitions and other schemas too): the watch by counts.
const TOTAL: &str = "
SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::int8
FROM pg_catalog.pg_stat_xact_user_tables";

/// Whether a table of the schema (or a partition or child of one, in any
/// schema) has a trigger, a rule or row security: what can make a
/// statement change other rows than it says, or fewer (a `BEFORE DELETE`
/// trigger returning NULL, a rule doing something `INSTEAD`, a policy
/// hiding a row from `DELETE`), so that only the row-by-row watch can
/// tell. `relhasrules` may stay set after a rule is dropped: then the
/// row-by-row watch is used, which is never wrong.
const OWN_RULES: &str = "
WITH RECURSIVE r(oid) AS (
  SELECT c.oid FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
  UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN r ON r.oid = i.inhparent)
SELECT EXISTS (SELECT 1 FROM r JOIN pg_catalog.pg_class c ON c.oid = r.oid
  WHERE c.relhasrules OR c.relrowsecurity
     OR EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal))";

/// The live rows this transaction (or a subtransaction of it) wrote.
const OURS: &str = "pg_catalog.age(xmin) <= 0 AND pg_catalog.pg_xact_status(\
    (pg_catalog.pg_current_xact_id()::text::int8 - pg_catalog.age(xmin))::text::xid8) = 'in progress'";

impl PgBackend {
    fn stats(&self) -> Result<HashMap<(String, String), Counts>> {
        let mut c = self.conn()?;
        let rows = match self
            .prepared(&mut c, STATS)
            .and_then(|st| c.client.query(&st, &[]))
        {
            Ok(r) => r,
            Err(e) => return Err(self.fail(&c.url, "watching the erasure's changes", e)),
        };
        let mut out = HashMap::new();
        for r in rows {
            let n = |i: usize| r.try_get::<_, i64>(i).unwrap_or(0).max(0) as u64;
            let (Ok(ns), Ok(name)) = (r.try_get::<_, String>(0), r.try_get::<_, String>(1)) else {
                continue;
            };
            out.insert(
                (ns, name),
                Counts {
                    ins: n(2),
                    upd: n(3),
                    del: n(4),
                },
            );
        }
        Ok(out)
    }

    pub(super) fn start_watch(
        &self,
        schema: &Schema,
        counted: Option<&str>,
    ) -> Result<HashSet<String>> {
        // The transaction needs its id for `xmin` to be compared with.
        {
            let mut c = self.conn()?;
            if let Err(e) = self
                .prepared(&mut c, "SELECT pg_catalog.pg_current_xact_id()")
                .and_then(|st| c.client.execute(&st, &[]))
            {
                return Err(self.fail(&c.url, "watching the erasure's changes", e));
            }
        }
        let base = self.stats()?;
        *self.w.watch.borrow_mut() = Some(Watching {
            base,
            own_updates: HashMap::new(),
            own_deletes: HashMap::new(),
            counted: counted.map(str::to_string),
        });
        Ok(schema
            .tables
            .iter()
            .filter(|t| !t.name.starts_with("_dsr_"))
            .map(|t| t.name.clone())
            .collect())
    }

    /// Rows of `t` dsr's own statement changed (updates only matter: the
    /// deletions are judged by the planned keys that are gone).
    pub(super) fn watch_own(&self, t: &crate::store::schema::TableSchema, n: u64, update: bool) {
        if let Some(w) = self.w.watch.borrow_mut().as_mut() {
            if update {
                *w.own_updates.entry(t.name.clone()).or_default() += n;
            }
        }
    }

    /// Rows of `t` dsr's own statement deleted by `keys`: where those are
    /// the plan's and account for all of the table's deletions, none was
    /// unplanned, and the planned keys need not be counted.
    pub(super) fn watch_own_deleted(
        &self,
        t: &crate::store::schema::TableSchema,
        keys: &[Vec<Value>],
        n: u64,
    ) {
        if let Some(w) = self.w.watch.borrow_mut().as_mut() {
            let e = w.own_deletes.entry(t.name.clone()).or_default();
            e.0 += n;
            e.1.extend_from_slice(keys);
        }
    }

    pub(super) fn finish_watch(&self, plan: &WatchPlan) -> Unplanned {
        let Some(w) = self.w.watch.borrow_mut().take() else {
            return Unplanned::default();
        };
        let ours = match self.conn() {
            Ok(c) => c.url.schema.clone(),
            Err(_) => String::new(),
        };
        let now = match self.stats() {
            Ok(s) => s,
            Err(_) => {
                // Nothing can be judged: refused as unwatched changes.
                return Unplanned {
                    tables: Vec::new(),
                    unwatched: 1,
                };
            }
        };
        let mut mine = Vec::new();
        let mut others = Vec::new();
        let mut names: Vec<&(String, String)> = now.keys().collect();
        names.sort();
        for key in names {
            let (ns, table) = key;
            let b = w.base.get(key).copied().unwrap_or_default();
            let n = now[key];
            let grown = Counts {
                ins: n.ins.saturating_sub(b.ins),
                upd: n.upd.saturating_sub(b.upd),
                del: n.del.saturating_sub(b.del),
            };
            if grown == Counts::default() {
                continue;
            }
            if *ns != ours {
                others.push((format!("{ns}.{table}"), grown.ins + grown.upd + grown.del));
                continue;
            }
            if table.starts_with("_dsr_") {
                continue;
            }
            let counted = if w.counted.as_deref() == Some(table.as_str()) {
                plan.counted_deleted
            } else {
                0
            };
            let own_upd = w.own_updates.get(table).copied().unwrap_or(0);
            let planned = plan.planned.get(table);
            // dsr's own deletions count as planned only where every key it
            // deleted by is the plan's.
            let own_del = match w.own_deletes.get(table) {
                Some((n, keys)) if keys.iter().all(|k| planned.is_some_and(|p| p.contains(k))) => {
                    *n
                }
                _ => 0,
            };
            let extra = self
                .unplanned_in(table, grown, (own_upd, own_del), counted, planned)
                .unwrap_or_else(|_| {
                    // A table that cannot be read back: every change
                    // beyond dsr's own counts against it.
                    grown.ins
                        + grown.upd.saturating_sub(own_upd)
                        + grown
                            .del
                            .saturating_sub(counted + planned.map_or(0, |p| p.len() as u64))
                });
            if extra > 0 {
                mine.push((table.clone(), extra));
            }
        }
        mine.extend(others);
        Unplanned {
            tables: mine,
            unwatched: 0,
        }
    }

    /// The rows of one table of the tenant's changed behind the plan.
    fn unplanned_in(
        &self,
        table: &str,
        grown: Counts,
        (own_upd, own_del): (u64, u64),
        counted: u64,
        planned: Option<&HashSet<Vec<Value>>>,
    ) -> Result<u64> {
        let (s, ti) = self.pg_table(table)?;
        let pt = &s.tables[ti];
        let ts = s.schema.table(table);
        let pk: Vec<String> = ts.map(|t| t.pk.clone()).unwrap_or_default();
        let q = quote(table);
        let mut n = 0;
        // Every deletion dsr's own, by the plan's keys (or counted): none
        // behind its back, nothing to count.
        if grown.del > own_del + counted {
            let mut gone = 0;
            if let (Some(p), Some(t)) = (planned.filter(|p| !p.is_empty()), ts) {
                let kc = self.key_cols(t)?;
                let keys: Vec<Vec<Value>> = p.iter().cloned().collect();
                let arrays = key_arrays(&keys, kc.len())?;
                let (lead, lead_at) = key_lead(&arrays, arrays.len());
                let mut params: Vec<&(dyn ToSql + Sync)> =
                    arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
                params.extend(lead.iter().map(|a| a as &(dyn ToSql + Sync)));
                let sql = format!(
                    "SELECT count(*) FROM {q} WHERE {}",
                    kc.matches(1, "", lead_at)
                );
                let mut c = self.conn()?;
                let present: i64 = match c.client.query_one(&sql, &params) {
                    Ok(r) => r.try_get(0).unwrap_or(0),
                    Err(e) => return Err(self.fail(&c.url, "watching the erasure's changes", e)),
                };
                gone = (p.len() as u64).saturating_sub(present.max(0) as u64);
            }
            n += grown.del.saturating_sub(gone + counted);
        }
        if grown.ins == 0 && grown.upd <= own_upd {
            return Ok(n);
        }
        if pk.is_empty() {
            return Ok(n + grown.ins + grown.upd.saturating_sub(own_upd));
        }
        let cols: Vec<String> = pk
            .iter()
            .map(|c| {
                let qc = quote(c);
                pt.column(c).map_or(qc.clone(), |pc| pc.ty.select_expr(&qc))
            })
            .collect();
        let sql = format!("SELECT {} FROM {q} WHERE {OURS}", cols.join(", "));
        let mut c = self.conn()?;
        let rows = match c.client.query(&sql, &[]) {
            Ok(r) => r,
            Err(e) => return Err(self.fail(&c.url, "watching the erasure's changes", e)),
        };
        for r in &rows {
            let mut key = Vec::with_capacity(pk.len());
            for i in 0..pk.len() {
                match value::get(r, i) {
                    Ok(v) => key.push(v.to_value()),
                    Err(e) => return Err(self.fail(&c.url, "watching the erasure's changes", e)),
                }
            }
            if !planned.is_some_and(|p| p.contains(&key)) {
                n += 1;
            }
        }
        Ok(n)
    }

    /// [`crate::store::backend::Backend::quick_watch_possible`]: where no
    /// table of the schema has a trigger, a rule or row security, every
    /// row changed is changed by dsr's statements or by a foreign-key
    /// action, and the session's counts tell the two apart.
    pub(super) fn quick_possible(&self) -> Result<bool> {
        if let Some(p) = self.w.quick_possible.get() {
            return Ok(p);
        }
        let mut c = self.conn()?;
        let ns = c.url.schema.clone();
        let found = self
            .prepared(&mut c, OWN_RULES)
            .and_then(|st| c.client.query_one(&st, &[&ns]))
            .and_then(|r| r.try_get::<_, bool>(0));
        let possible = match found {
            Ok(has) => !has,
            Err(e) => return Err(self.fail(&c.url, "reading the schema of", e)),
        };
        self.w.quick_possible.set(Some(possible));
        Ok(possible)
    }

    fn total_changes(&self) -> Result<u64> {
        let mut c = self.conn()?;
        match self
            .prepared(&mut c, TOTAL)
            .and_then(|st| c.client.query_one(&st, &[]))
            .and_then(|r| r.try_get::<_, i64>(0))
        {
            Ok(n) => Ok(n.max(0) as u64),
            Err(e) => Err(self.fail(&c.url, "watching the erasure's changes", e)),
        }
    }

    /// [`crate::store::backend::Backend::quick_watch_start`]: the
    /// session's count of changed rows ([`TOTAL`]), which counts the rows
    /// of foreign-key actions while a statement's own count does not, and
    /// always a savepoint, so that a count that differs is undone and the
    /// plan carried out again under the row-by-row watch (which names the
    /// rows, or finds them all planned: an `ON DELETE CASCADE` that met
    /// only rows the plan deletes anyway).
    pub(super) fn start_quick_watch(&self) -> Result<bool> {
        if !self.quick_possible()? {
            return Ok(false);
        }
        self.batch("SAVEPOINT dsr_quick_watch", "watching the erasure on")?;
        self.w.quick_from.set(Some(self.total_changes()?));
        Ok(true)
    }

    pub(super) fn finish_quick_watch(&self, own: u64) -> Result<bool> {
        let Some(from) = self.w.quick_from.take() else {
            return Ok(false);
        };
        if self.total_changes()?.saturating_sub(from) == own {
            self.batch(
                "RELEASE SAVEPOINT dsr_quick_watch",
                "watching the erasure on",
            )?;
            return Ok(true);
        }
        self.w.tables_seen.borrow_mut().clear();
        self.batch(
            "ROLLBACK TO SAVEPOINT dsr_quick_watch; RELEASE SAVEPOINT dsr_quick_watch",
            "watching the erasure on",
        )?;
        Ok(false)
    }

    pub(super) fn stop_watch(&self) {
        *self.w.watch.borrow_mut() = None;
    }
}
