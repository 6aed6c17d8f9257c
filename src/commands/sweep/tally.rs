//! What a sweep adds up over its batches, and how big a batch is.

use serde_json::{json, Map, Value as Json};
use std::cell::Cell;
use std::time::{Duration, Instant};

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

/// The application's turn between two batches, where a write transaction
/// keeps every other writer out (SQLite): the next batch begins no sooner
/// than `share` of the last one's time after it ended; and where another
/// connection has been writing (it committed during one of the last
/// [`ACTIVE_BATCHES`] turns, or since the sweep began) but did not during
/// the last turn, no sooner than the interval at which it retries, having
/// waited since the batch after its last commit began ([`retry_interval`]).
/// A writer kept out retries at intervals its busy handler lengthens
/// (SQLite's own: 1, 2, 5, 10, 15, 20 and 25 ms in its first 128 ms of
/// waiting, then 50 and 100): where the sweep's own work between batches
/// was quick (a table filled in time order, its expired rows side by side,
/// each page read in a few ms) the batches came back to back, its retries
/// met the lock every time, and it waited for seconds
/// (scripts/bench_sweep.py --oldest-first). Where it got in, the turn
/// stays short: a longer one every time cost a sweep of spread rows, whose
/// reading between batches let the writer in anyway, 40% more time. The
/// reading between batches counts towards the turn.
pub(super) struct Turn {
    share: Option<f64>,
    next: Cell<Option<Instant>>,
    /// The store's count of other connections' commits at the last batch's end.
    seen: Cell<Option<i64>>,
    /// Batches left before a writer last seen is taken to be gone.
    active: Cell<u32>,
    /// When the batch after the writer's last commit began: since then it
    /// may have been waiting.
    since: Cell<Option<Instant>>,
}

/// The application's share, against a batch's time: about 12 ms after a
/// 50 ms batch.
pub(super) const TURN_SHARE: f64 = 0.25;

/// The interval at which a writer using SQLite's own busy handler retries
/// once it has waited `waited`, and will still after a turn of that
/// length: a turn as long lets it in.
pub(super) fn retry_interval(waited: Duration) -> Duration {
    let ms = match waited.as_millis() {
        0..100 => 25,
        100..200 => 50,
        _ => 100,
    };
    Duration::from_millis(ms)
}

/// How long a writer seen once counts as writing, in batches (about a
/// second): a writer kept waiting commits nothing.
pub(super) const ACTIVE_BATCHES: u32 = 16;

impl Turn {
    /// A turn of `share` of each batch's time, or (None) none; `seen` the
    /// store's count of other connections' commits as the sweep begins.
    pub(super) fn new(share: Option<f64>, seen: Option<i64>) -> Turn {
        Turn {
            share,
            next: Cell::new(None),
            seen: Cell::new(seen),
            active: Cell::new(0),
            since: Cell::new(None),
        }
    }

    /// Waits until the application's turn since the last batch is over.
    pub(super) fn wait(&self) {
        if let Some(next) = self.next.take() {
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
    }

    /// Waits until `ahead` before the application's turn is over: the
    /// next batch's read, which takes about that long, then ends the turn.
    /// Read at its end rather than its start, the rows are read after the
    /// application's writes in it, not before (a batch whose rows another
    /// connection may have changed since they were read reads them again).
    pub(super) fn wait_ahead(&self, ahead: Duration) {
        if let Some(next) = self.next.get() {
            let now = Instant::now();
            if let Some(at) = next.checked_sub(ahead).filter(|at| *at > now) {
                std::thread::sleep(at - now);
            }
        }
    }

    /// A batch's write transaction, begun at `began`, has ended; `others`
    /// reads the store's count of other connections' commits (asked only
    /// where there are turns). No one commits during a batch, so a count
    /// changed since the last batch's end was the last turn's.
    pub(super) fn ended<E>(
        &self,
        began: Instant,
        others: impl FnOnce() -> Result<Option<i64>, E>,
    ) -> Result<(), E> {
        let Some(share) = self.share else {
            return Ok(());
        };
        let now = Instant::now();
        let count = others()?;
        let before = self.seen.replace(count);
        let mut turn = (now - began).mul_f64(share);
        if count.is_some() && before.is_some() && before != count {
            self.active.set(ACTIVE_BATCHES);
            self.since.set(Some(began));
        } else if self.active.get() > 0 {
            self.active.set(self.active.get() - 1);
            let waited = now - self.since.get().unwrap_or(began);
            turn = turn.max(retry_interval(waited));
        }
        self.next.set(Some(now + turn));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_batch_waits_for_the_applications_turn() {
        let none = || Ok::<_, ()>(None);
        let turn = Turn::new(Some(1.0), None);
        let began = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        turn.ended(began, none).expect("ended");
        let ended = Instant::now();
        turn.wait();
        assert!(ended.elapsed() >= Duration::from_millis(19));
        // Once: a second wait does not wait again.
        let again = Instant::now();
        turn.wait();
        assert!(again.elapsed() < Duration::from_millis(15));
        // Without a share, no turn, and the count is not asked for.
        let off = Turn::new(None, None);
        off.ended(began, || Err("asked")).expect("not asked");
        let at = Instant::now();
        off.wait();
        assert!(at.elapsed() < Duration::from_millis(15));
    }

    #[test]
    fn a_writer_that_missed_its_turn_gets_one_as_long_as_its_retry_interval() {
        let turn = Turn::new(Some(0.0), Some(1));
        let ms = Duration::from_millis;
        let ended = |began: Instant, count: i64| {
            turn.ended(began, || Ok::<_, ()>(Some(count)))
                .expect("ended");
            let at = Instant::now();
            turn.wait();
            at.elapsed()
        };
        let about = |d: Duration, want: u64| d + ms(1) >= ms(want) && d < ms(want + 12);
        let now = Instant::now;
        // No other commit since the sweep began: no turn (a share of nothing).
        assert!(about(ended(now(), 1), 0));
        // Another connection committed: it got in, the turn stays short.
        assert!(about(ended(now(), 2), 0));
        // It missed the next turn, having waited a moment: 25 ms.
        assert!(about(ended(now(), 2), 25));
        // Having waited since a batch that began 150 ms ago: 50 ms; 300, 100.
        assert!(about(ended(now() - ms(150), 3), 0));
        assert!(about(ended(now(), 3), 50));
        assert!(about(ended(now() - ms(300), 4), 0));
        assert!(about(ended(now(), 4), 100));
        // A writer not seen for ACTIVE_BATCHES turns is taken to be gone.
        assert!(about(ended(now(), 5), 0));
        turn.since.set(Some(now()));
        for _ in 1..ACTIVE_BATCHES {
            turn.ended(now(), || Ok::<_, ()>(Some(5))).expect("ended");
        }
        assert!(about(ended(now(), 5), 25));
        assert!(about(ended(now(), 5), 0));
        // Waiting ahead of the turn's end leaves that much of it.
        assert!(about(ended(now(), 6), 0));
        turn.ended(now(), || Ok::<_, ()>(Some(6))).expect("ended");
        turn.wait_ahead(ms(12));
        let at = now();
        turn.wait();
        assert!(about(at.elapsed(), 12), "{:?}", at.elapsed());
    }
}
