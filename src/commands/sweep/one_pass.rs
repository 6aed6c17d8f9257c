//! Sweeping a table in one pass: where nothing depends on its expired rows,
//! SQL deletes them range by range without dsr reading them (see
//! [`one_pass`]).

use super::expiry::{cutoff, expired, surely_expired_before};
use super::{scans_mentions, Sweep};
use crate::apply;
use crate::commands::Context;
use crate::error::Result;
use crate::map::{OnErase, Rule};
use crate::store::schema::TableSchema;
use crate::store::{Cutoffs, Filter, KeyRange};
use crate::value::Value;
use jiff::Timestamp;
use serde_json::json;
use std::time::Instant;

/// Rows one batch of a one-pass table examines at the most.
const MAX_SPAN_ROWS: usize = 1_000_000;

/// The keys a one-pass sweep's ranges cover: the table's, or (`closed`)
/// those of the rows that may have expired (`Store::expired_key_bounds`),
/// the last range ending at `last` rather than open.
#[derive(Clone, Copy)]
struct Keys {
    first: i64,
    last: i64,
    closed: bool,
}

/// A table swept in one pass (see [`one_pass`]): its rule, and where its
/// expiry is decided.
struct OnePass<'a> {
    ti: usize,
    ts: &'a TableSchema,
    rule: &'a Rule,
    /// The rule's `after` column in the table's schema.
    ci: usize,
    cut: Cutoffs,
    source: String,
}

impl Sweep<'_> {
    /// The retention rule of a table for which [`one_pass`] holds. Each
    /// batch is one range of keys: one statement deletes, as it passes over
    /// the range, the rows that have surely expired (see [`Cutoffs`]).
    /// After its commit, while the application has its turn to write, the
    /// range's other candidates (text dates, numbers near the limit) are
    /// read and tested exactly; the next batch deletes those that are still
    /// there and still expired.
    pub(super) fn retention_one_pass(
        &mut self,
        ti: usize,
        ts: &TableSchema,
        rule: &Rule,
    ) -> Result<()> {
        let cx = self.cx;
        let Some(ci) = ts.column_index(&rule.after) else {
            return Ok(());
        };
        let op = OnePass {
            ti,
            ts,
            rule,
            ci,
            cut: Cutoffs {
                before: cutoff(cx.now, rule),
                sure: surely_expired_before(cx.now, rule),
                min: Timestamp::MIN.as_second(),
            },
            source: format!("retention:{}", cx.map.tables[ti].name),
        };
        // Where an index tells where the expired rows lie in key order, the
        // ranges cover those keys only; otherwise the table's, the last
        // range open (it takes the rows inserted since).
        let keys = match cx
            .store
            .expired_key_bounds(ts, &rule.after, op.cut.before)?
        {
            Some(None) => return Ok(()),
            Some(Some((first, last))) => Some(Keys {
                first,
                last,
                closed: true,
            }),
            // Adapting ranges of an integer key are computed, (lo, lo +
            // span], which spares a read; other ranges end where a read of
            // `span` keys does.
            None if ts.integer_key() && !self.span.fixed => {
                cx.store.key_bounds(ts)?.map(|(first, last)| Keys {
                    first,
                    last,
                    closed: false,
                })
            }
            None => None,
        };
        let mut lo: Option<Vec<Value>> = keys
            .filter(|k| k.closed)
            .and_then(|k| k.first.checked_sub(1))
            .map(|k| vec![Value::Integer(k)]);
        let mut pending = Vec::new();
        loop {
            let (hi, last) = self.range_end(&op, keys, lo.as_deref())?;
            let range = (lo.as_deref(), hi.as_deref());
            let candidates = |sw: &Self| -> Result<Vec<Vec<Value>>> {
                let found = cx
                    .store
                    .expiry_candidates(ts, &rule.after, &op.cut, range)?;
                Ok(sw.exact(&op, found))
            };
            if last {
                // The last range takes its own candidates along rather than
                // leaving them a batch of their own.
                pending.extend(candidates(self)?);
                return self.one_pass_batch(&op, range, pending);
            }
            self.one_pass_batch(&op, range, std::mem::take(&mut pending))?;
            pending = candidates(self)?;
            lo = hi;
        }
    }

    /// The end of the next one-pass range after `lo`, and whether it is
    /// the last.
    fn range_end(
        &self,
        op: &OnePass<'_>,
        keys: Option<Keys>,
        lo: Option<&[Value]>,
    ) -> Result<(Option<Vec<Value>>, bool)> {
        let (store, span) = (&self.cx.store, self.span.size);
        let read = || store.range_end(op.ts, lo, span.min(MAX_SPAN_ROWS));
        let Some(keys) = keys else {
            let end = read()?;
            let last = end.is_none();
            return Ok((end, last));
        };
        let end = if self.span.fixed {
            // A fixed span counts rows, read.
            match read()?.as_deref() {
                Some([Value::Integer(k)]) => *k,
                _ => keys.last,
            }
        } else {
            let start = match lo {
                Some([Value::Integer(i)]) => *i,
                _ => keys.first.saturating_sub(1),
            };
            let mut end = start.saturating_add(span as i64);
            if span > MAX_SPAN_ROWS {
                // Sparse rowids let the span grow past any row count: no
                // more than MAX_SPAN_ROWS rows all the same.
                if let Some([Value::Integer(k)]) = read()?.as_deref() {
                    end = end.min(*k);
                }
            }
            end
        };
        Ok(match (end < keys.last, keys.closed) {
            (true, _) => (Some(vec![Value::Integer(end)]), false),
            (false, true) => (Some(vec![Value::Integer(keys.last)]), true),
            (false, false) => (None, true),
        })
    }

    /// The keys of the candidates that have expired, tested exactly.
    fn exact(&self, op: &OnePass<'_>, found: Vec<(Vec<Value>, Value)>) -> Vec<Vec<Value>> {
        found
            .into_iter()
            .filter(|(_, v)| expired(self.cx.now, op.cut.sure, op.rule, v))
            .map(|(k, _)| k)
            .collect()
    }

    /// One batch of a one-pass table, in one write transaction with its
    /// audit record: the rows of `range` that have surely expired, and the
    /// `pending` candidates found expired after the previous batch.
    fn one_pass_batch(
        &mut self,
        op: &OnePass<'_>,
        range: KeyRange<'_>,
        pending: Vec<Vec<Value>>,
    ) -> Result<()> {
        let cx = self.cx;
        let (ts, after) = (op.ts, op.rule.after.as_str());
        let counts = |n: u64| {
            let name = cx.map.tables[op.ti].name.as_str();
            json!({ name: { "deleted": n, "anonymized": 0, "held": 0, "kept": 0 } })
        };
        // One statement deletes what has surely expired; the pending
        // candidates are deleted if still there and still expired, now that
        // the store is ours. The rows it deletes are chosen by the store, so
        // they are counted rather than named; any other change is refused.
        let carry_out = |tx: &crate::store::Tx<'_>| -> Result<u64> {
            let mut watch = tx.watch_counting(&cx.schema, ts)?;
            let mut n = tx.delete_surely_expired(ts, after, &op.cut, range)?;
            if !pending.is_empty() {
                let mut now = Vec::new();
                tx.select(ts, &Filter::Keys(&pending), |r| {
                    now.push((r.key, r.values[op.ci].clone()))
                })?;
                let still = self.exact(op, now);
                if !still.is_empty() {
                    n += tx.delete_keys(ts, &still)?;
                }
            }
            watch.deleted(ts, n);
            watch.changed(ts, n);
            apply::refuse_unplanned(watch.unplanned())?;
            Ok(n)
        };
        self.turn.wait();
        let began = Instant::now();
        let n = if self.args.dry_run {
            // Carried out and undone, to meet any refusal the real run would;
            // counted by key, leaving out rows an earlier batch would have
            // deleted (they are still there in a dry run).
            cx.store.write(|tx| tx.trial(carry_out))?;
            let mut keys = cx.store.surely_expired_keys(ts, after, &op.cut, range)?;
            keys.extend(pending.iter().cloned());
            keys.retain(|k| !self.skip.has(op.ti, k));
            let n = keys.len() as u64;
            // Later batches can meet these rows only through the table's own
            // links or foreign keys; without them, a dry run of millions of
            // rows need not remember each.
            if !cx.map.tables[op.ti].links.is_empty() || !ts.foreign_keys.is_empty() {
                self.skip.deleted.entry(op.ti).or_default().extend(keys);
            }
            n
        } else {
            let (n, row) = cx.store.write(|tx| {
                let n = carry_out(tx)?;
                if n == 0 {
                    return Ok((0, None));
                }
                let row =
                    self.record(tx, &op.source, true, (&counts(n), &[], &json!({})), 0, None)?;
                Ok((n, Some(row)))
            })?;
            self.committed(row);
            n
        };
        self.turn.ended(began, || cx.store.others_version())?;
        let took = began.elapsed();
        self.span.adapt(took);
        if n > 0 {
            self.tally(&op.source, took, (&counts(n), &[], &json!({})), 0);
        }
        Ok(())
    }
}

/// Whether a table's expired rows can be swept in one pass: they are
/// deleted, the table has no hold, and no map link or foreign key leads
/// into it. The planner would then give every expired row the fate Delete
/// and touch nothing else, so one statement deletes, in one pass, what has
/// surely expired, and dsr deletes the few rows it must test itself.
/// `DSR_SWEEP_PLANNED` turns this off (the tests compare both ways), and
/// so does a replay key: replay after a restore needs the keys of the rows
/// each batch deleted, which one pass never reads (DESIGN §9).
///
/// A `subjects = true` table (one row per person, with their identifiers)
/// is never swept in one pass while the map scans free text: the people
/// whose rows expire have their mentions erased too (see
/// `erase_mentions`), for which their identifiers must be read first.
pub(super) fn one_pass(cx: &Context, ti: usize, action: OnErase) -> bool {
    let name = &cx.map.tables[ti].name;
    let into = |to: &str| to.eq_ignore_ascii_case(name);
    let t = &cx.map.tables[ti];
    action == OnErase::Delete
        && t.hold.is_none()
        && !(t.subjects && !t.identify.is_empty() && scans_mentions(&cx.map))
        && !cx
            .map
            .tables
            .iter()
            .flat_map(|t| &t.links)
            .any(|l| into(&l.to))
        && !cx
            .schema
            .tables
            .iter()
            .flat_map(|t| &t.foreign_keys)
            .any(|fk| into(&fk.table))
        && std::env::var_os("DSR_SWEEP_PLANNED").is_none()
        && cx.tenant.actor.replay.is_none()
}
