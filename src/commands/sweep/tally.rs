//! What a sweep adds up over its batches, and how big a batch is.

use serde_json::{json, Map, Value as Json};
use std::time::Duration;

/// What the whole sweep did, summed over its batches.
#[derive(Default)]
pub(super) struct Totals {
    pub(super) tables: Map<String, Json>,
    pub(super) held: Vec<Json>,
    /// Mentions erased, per `table.column`.
    pub(super) mentions: Map<String, Json>,
    pub(super) deferred_completed: u64,
    pub(super) batches: u64,
    pub(super) longest: Duration,
    /// Batches committed with their audit records, and the first and last
    /// of those records.
    pub(super) committed: u64,
    pub(super) first_seq: Option<i64>,
    pub(super) last_seq: Option<i64>,
}

impl Totals {
    pub(super) fn add(&mut self, tables: &Json, held: &[Json], mentions: &Json) {
        for (col, n) in mentions.as_object().into_iter().flatten() {
            let sum = self.mentions.get(col).and_then(Json::as_u64).unwrap_or(0)
                + n.as_u64().unwrap_or(0);
            self.mentions.insert(col.clone(), json!(sum));
        }
        for (name, counts) in tables.as_object().into_iter().flatten() {
            let e = self
                .tables
                .entry(name.clone())
                .or_insert_with(|| json!({ "deleted": 0, "anonymized": 0, "held": 0, "kept": 0 }));
            for k in ["deleted", "anonymized", "held", "kept"] {
                let sum = e[k].as_u64().unwrap_or(0) + counts[k].as_u64().unwrap_or(0);
                e[k] = json!(sum);
            }
        }
        for h in held {
            match self
                .held
                .iter_mut()
                .find(|x| x["table"] == h["table"] && x["until"] == h["until"])
            {
                Some(x) => {
                    x["rows"] =
                        json!(x["rows"].as_u64().unwrap_or(0) + h["rows"].as_u64().unwrap_or(0))
                }
                None => self.held.push(h.clone()),
            }
        }
    }
}

/// How long one write transaction should take, in ms, where it keeps the
/// application's writers out (SQLite). The application's writes wait for
/// it; SQLite's busy handler retries at growing intervals (25 ms apart by
/// the 50th ms of waiting, 50 and then 100 ms apart later), so
/// transactions of about 50 ms with a few ms between them let a waiting
/// application in long before its wait reaches 250 ms; at 100 ms some
/// waits grew past 600 ms (scripts/bench_sweep.py).
pub(super) const TARGET_MS: f64 = 50.0;

/// The same where a write transaction does not keep the application out
/// (PostgreSQL): only a writer of the very rows a batch has locked (rows
/// that have expired) waits for it, so batches may be longer, with fewer
/// commits and audit records, and still let it in well under 250 ms.
pub(super) const TARGET_MS_ROW_LOCKS: f64 = 200.0;

/// Batch size: fixed by the user, or adapted so that each write
/// transaction takes about `target` ms.
pub(super) struct Batcher {
    pub(super) size: usize,
    pub(super) fixed: bool,
    max: usize,
    target: f64,
}

impl Batcher {
    /// `--batch-size N`, or `start` adapting up to `max` towards `target`
    /// ms a transaction.
    pub(super) fn new(fixed: Option<u64>, start: usize, max: usize, target: f64) -> Batcher {
        Batcher {
            size: fixed.map_or(start, |n| n as usize),
            fixed: fixed.is_some(),
            max,
            target,
        }
    }

    /// Scales the size towards the target per transaction, at most doubling
    /// or halving it at a time.
    pub(super) fn adapt(&mut self, took: Duration) {
        if self.fixed {
            return;
        }
        let ms = took.as_secs_f64() * 1000.0;
        let factor = (self.target / ms.max(1.0)).clamp(0.5, 2.0);
        self.size = ((self.size as f64 * factor) as usize).clamp(10.min(self.max), self.max);
    }
}
