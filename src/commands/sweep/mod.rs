//! `dsr sweep`: storage limitation. Completes deferred erasures whose hold
//! has ended, then applies every retention rule, in short batches: each
//! batch plans and acts in its own write transaction with its own audit
//! record, so the application keeps writing meanwhile, and a killed sweep
//! leaves a consistent store that the next run carries on from.

mod deferred;
mod expiry;
mod mentions;
mod one_pass;
mod requests;
mod tally;

use super::extract::print_json;
use super::{status, Context};
use crate::apply;
use crate::audit::{self, Entry};
use crate::config::Globals;
use crate::error::{Error, ExitCode, Result};
use crate::graph::{self, Skip};
use crate::map::OnErase;
use crate::planner::{self, Fate, Plan};
use crate::recheck;
use crate::store::refs::row_refs_under;
use crate::store::{AuditRow, PageAt, Row, Tx};
use crate::time;
use crate::value::Value;
use expiry::{cutoff, expired, surely_expired_before};
use mentions::{erase_mentions, scans_mentions};
use one_pass::one_pass;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};
use tally::{Batcher, Totals, Turn};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Report what a real run would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Only this table's retention rule and deferred erasures
    #[arg(long, value_name = "T")]
    pub table: Option<String>,
    /// Rows per batch, one write transaction each (default: adapts so that each takes about 50 ms)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch_size: Option<u64>,
    /// Wait for another sweep of this tenant to finish instead of exiting 6
    #[arg(long)]
    pub wait: bool,
}

struct Sweep<'a> {
    cx: &'a Context,
    args: &'a Args,
    at: String,
    actor: audit::Actor,
    skip: Skip,
    totals: Totals,
    /// Rows planned per batch.
    batcher: Batcher,
    /// Rows examined per batch of a one-pass table.
    span: Batcher,
    /// The application's turn to write between batches.
    turn: Turn,
    progress: Option<indicatif::ProgressBar>,
    /// Per table whose key is personal: hashed reference → key, for the
    /// deferred erasures recorded by HMAC (see `Store::locate_hashed`).
    located: HashMap<String, HashMap<String, Vec<Value>>>,
}

impl Sweep<'_> {
    /// Plans and (unless a dry run) carries out one batch of roots in one
    /// write transaction with its audit record. `done` are the deferred
    /// erasures the batch completes if its root is no longer held.
    ///
    /// The roots were read before the transaction and are checked in it
    /// ([`current_roots`]), or are read inside it ([`Roots`]).
    fn batch(&mut self, source: &str, roots: Roots<'_>, gone: Vec<(String, String)>) -> Result<()> {
        let cx = self.cx;
        // Every form a root's deferred erasure may be recorded under: only
        // deferred erasures are completed by root (the secret read once).
        let mut root_keys: Vec<(usize, Vec<Value>, Vec<String>)> = Vec::new();
        if let (Roots::Read(roots, _), "deferred") = (&roots, source) {
            let secret = cx.store.secret()?;
            for (ti, r, _) in roots {
                let refs = row_refs_under(secret.as_deref(), &cx.map.tables[*ti].name, &r.key);
                root_keys.push((*ti, r.key.clone(), refs));
            }
        }
        let dry = self.args.dry_run;
        // A page read inside the transaction may hold no root: that
        // transaction changed nothing and is no batch.
        let had_roots = std::cell::Cell::new(true);
        // A dry run carries the batch out too, and undoes it (a savepoint),
        // so that it meets every refusal the real run would.
        let work = |tx: &Tx<'_>| -> Result<(Plan, graph::Belonging)> {
            crate::trace::mark("sweep begin", String::new);
            let roots = match roots {
                Roots::Read(roots, fresh) => current_roots(cx, roots, &fresh)?,
                Roots::Inside(read) => read(&self.skip)?,
            };
            had_roots.set(!roots.is_empty());
            let scope = planner::Scope {
                store: &cx.store,
                schema: &cx.schema,
                map: &cx.map,
            };
            let plan_from = |roots: RootRows| -> Result<(graph::Belonging, Plan)> {
                let b = graph::resolve_from(&cx.store, &cx.schema, &cx.map, roots, &self.skip)?;
                crate::trace::mark("sweep resolve", String::new);
                let mut plan = planner::plan(scope, &b, &[], &[], cx.now, &self.skip)?;
                erase_mentions(cx, &self.skip, &b, &mut plan)?;
                crate::trace::mark("sweep plan", String::new);
                Ok((b, plan))
            };
            // The roots are current and locked here, and so are the rows
            // linked beneath them as they are read (`select_to_change`);
            // the rows whose free text the batch edits are checked
            // (`recheck`), and the batch planned again if one changed.
            let (b, plan) = recheck::until_unchanged(
                scope,
                true,
                ("the swept rows", "dsr sweep"),
                plan_from(roots)?,
                |(b, plan)| Some((b, plan)),
                |(b, _)| plan_from(roots_of(&b)),
            )?;
            let secret = tx.ensure_tool_tables()?;
            let carry_out = |tx: &Tx<'_>| {
                let (map, schema) = (&cx.map, &cx.schema);
                apply::apply(tx, map, schema, &b, &plan, &secret, &self.at, &self.skip)
            };
            if dry {
                tx.trial(carry_out)?;
            } else {
                carry_out(tx)?;
            }
            crate::trace::mark("sweep apply", String::new);
            Ok((plan, b))
        };
        // Which deferred erasures this batch completes: roots no longer held.
        let completed = |plan: &Plan, b: &graph::Belonging| -> Vec<(String, String)> {
            let mut out = gone.clone();
            if source == "deferred" {
                for (ti, key, refs) in &root_keys {
                    let still_held = b.tables[*ti]
                        .position(key)
                        .and_then(|i| plan.tables[*ti].rows.iter().find(|(r, _)| *r == i))
                        .is_some_and(|(_, f)| matches!(f, Fate::Held { .. }));
                    if !still_held {
                        let t = &cx.map.tables[*ti].name;
                        out.extend(refs.iter().map(|k| (t.clone(), k.clone())));
                    }
                }
            }
            out
        };
        self.turn.wait();
        let began = Instant::now();
        let (tables, held, mentions, n_done) = if dry {
            let (plan, b) = cx.store.write(work)?;
            let (tables, held, mentions) = apply::summary(&cx.map, &plan);
            // Later batches see this one's effects, as they would for real.
            for (ti, tp) in plan.tables.iter().enumerate() {
                for (i, f) in &tp.rows {
                    let key = b.tables[ti].rows[*i].key.clone();
                    match f {
                        Fate::Delete => {
                            self.skip.deleted.entry(ti).or_default().insert(key);
                        }
                        Fate::Anonymize => {
                            self.skip.anonymized.entry(ti).or_default().insert(key);
                        }
                        _ => {}
                    }
                }
            }
            let n = completed(&plan, &b).len() as u64;
            (tables, held, mentions, n)
        } else {
            let (tables, held, mentions, n, row) = cx.store.write(|tx| {
                let (plan, b) = work(tx)?;
                let (tables, held, mentions) = apply::summary(&cx.map, &plan);
                let done = completed(&plan, &b);
                let n = tx.forget_deferred(&done)?;
                let row = if changed(&tables) || !plan.edits.is_empty() || n > 0 {
                    // Only a replay key seals the changes into the record.
                    let changes = self
                        .actor
                        .replay
                        .as_ref()
                        .and_then(|_| apply::replay_payload(&cx.map, &b, &plan));
                    let counts: Counts<'_> = (&tables, &held, &mentions);
                    let row = self.record(tx, source, false, counts, n, changes)?;
                    tx.defer(
                        &apply::deferred(&cx.map, &b, &plan, None),
                        &self.at,
                        row.seq,
                    )?;
                    Some(row)
                } else {
                    None
                };
                crate::trace::mark("sweep record", String::new);
                Ok((tables, held, mentions, n, row))
            })?;
            crate::trace::mark("sweep commit", String::new);
            self.committed(row);
            (tables, held, mentions, n)
        };
        self.turn.ended(began, || cx.store.others_version())?;
        let took = began.elapsed();
        if !had_roots.get() && n_done == 0 {
            return Ok(());
        }
        self.batcher.adapt(took);
        self.tally(source, took, (&tables, &held, &mentions), n_done);
        Ok(())
    }

    /// The audit record of one batch that changed something, inside its
    /// write transaction. `one_pass`: whether SQL decided row by row (see
    /// [`one_pass`]) rather than the planner.
    fn record(
        &self,
        tx: &Tx<'_>,
        source: &str,
        one_pass: bool,
        (tables, held, mentions): Counts<'_>,
        completed: u64,
        changes: Option<crate::audit::replay::Payload>,
    ) -> Result<AuditRow> {
        let details = self.cx.details(json!({
            "dry_run": false, "batch": self.totals.batches + 1, "source": source,
            "one_pass": one_pass, "tables": tables, "held": held, "mentions": mentions,
            "deferred_completed": completed,
        }));
        let entry = Entry {
            command: "sweep".into(),
            subject: None,
            outcome: "ok".into(),
            details,
        };
        audit::append_with(tx, &self.actor, &self.at, &entry, changes)
    }

    /// After a batch's transaction committed with its audit record.
    fn committed(&mut self, row: Option<AuditRow>) {
        if let Some(row) = row {
            audit::after_commit(&self.actor, &row);
            self.totals.committed += 1;
            self.totals.first_seq.get_or_insert(row.seq);
            self.totals.last_seq = Some(row.seq);
        }
    }

    /// Adds a finished batch to the totals and the progress line.
    fn tally(&mut self, source: &str, took: Duration, counts: Counts<'_>, n_done: u64) {
        let (tables, held, mentions) = counts;
        self.totals.longest = self.totals.longest.max(took);
        self.totals.batches += 1;
        self.totals.deferred_completed += n_done;
        self.totals.add(tables, held, mentions);
        if let Some(p) = &self.progress {
            let done: u64 = self
                .totals
                .tables
                .values()
                .map(|c| c["deleted"].as_u64().unwrap_or(0) + c["anonymized"].as_u64().unwrap_or(0))
                .sum();
            p.set_message(format!(
                "{source}: {} changed in {}",
                super::count(done, "row"),
                super::count(self.totals.batches, "batch")
            ));
            p.tick();
        }
    }

    /// One table's retention rule, page by page in key order.
    fn retention(&mut self, ti: usize) -> Result<()> {
        let cx = self.cx;
        let t = &cx.map.tables[ti];
        let (Some(rule), Some(ts)) = (&t.retention, cx.schema.table(&t.name)) else {
            return Ok(());
        };
        let Some(ci) = ts.column_index(&rule.after) else {
            return Ok(());
        };
        let action = rule.action.unwrap_or(t.on_erase);
        if one_pass(cx, ti, action) {
            return self.retention_one_pass(ti, ts, rule);
        }
        let before = cutoff(cx.now, rule);
        let sure = surely_expired_before(cx.now, rule);
        let read = planned_columns(cx, ti);
        let source = format!("retention:{}", t.name);
        let still = |_: usize, r: &Row| expired(cx.now, sure, rule, &r.values[ci]);
        // Where an index tells where the expired rows lie in key order, the
        // pages start and end there (not at the table's end).
        let (first, until) = match cx.store.expired_key_bounds(ts, &rule.after, before)? {
            Some(None) => return Ok(()),
            Some(Some((lo, hi))) => (
                lo.checked_sub(1).map(|k| vec![Value::Integer(k)]),
                Some(vec![Value::Integer(hi)]),
            ),
            None => (None, None),
        };
        // A page of expired rows: where the next starts (None: no rows left),
        // and the batch's roots among them.
        let page = |cursor: Option<&[Value]>, limit: usize, skip: &Skip| -> Result<Page> {
            let at = PageAt {
                before,
                cursor,
                until: until.as_deref(),
                limit,
            };
            let page = cx
                .store
                .expired_page_at(ts, &rule.after, &at, read.as_deref())?;
            crate::trace::mark("sweep page", || format!("{} rows", page.rows.len()));
            let last = page.next;
            let mut rows: Vec<Row> = page
                .rows
                .into_iter()
                .filter(|r| still(ti, r) && !skip.has(ti, &r.key))
                .collect();
            if action == OnErase::Anonymize {
                // Expired rows anonymized by an earlier sweep were handled
                // then, with everything beneath them: not again every night.
                let keys: Vec<Vec<Value>> = rows.iter().map(|r| r.key.clone()).collect();
                let before = cx.store.anonymized(&t.name, &keys)?;
                rows.retain(|r| !before.contains(&r.key) && !skip.was_anonymized(ti, &r.key));
            }
            let roots = rows.into_iter().map(|r| (ti, r, action)).collect();
            Ok(Page { last, roots })
        };
        let inside = !cx.store.capabilities().writes_block_all;
        let mut cursor: Option<Vec<Value>> = first;
        let mut read_took = Duration::ZERO;
        loop {
            let size = self.batcher.size;
            if inside {
                // The application keeps writing while the batch's
                // transaction lasts: the page is read inside it, locked,
                // and decided on as read (no second read).
                let last = std::cell::RefCell::new(None);
                let inside = |skip: &Skip| -> Result<RootRows> {
                    let p = page(cursor.as_deref(), size, skip)?;
                    *last.borrow_mut() = p.last;
                    Ok(p.roots)
                };
                self.batch(&source, Roots::Inside(Box::new(inside)), Vec::new())?;
                match last.into_inner() {
                    Some(k) => cursor = Some(k),
                    None => break,
                }
                continue;
            }
            // The read ends the application's turn (see `Turn::wait_ahead`).
            self.turn.wait_ahead(read_took);
            // Before the read: a commit by another connection during it or
            // after it has the batch read its roots again.
            let seen = cx.store.others_version()?;
            let read_at = Instant::now();
            let p = page(cursor.as_deref(), size, &self.skip)?;
            read_took = read_at.elapsed();
            let Some(last) = p.last else { break };
            cursor = Some(last);
            if !p.roots.is_empty() {
                let fresh = Fresh {
                    seen,
                    read: read.as_deref(),
                    still: &still,
                };
                self.batch(&source, Roots::Read(p.roots, fresh), Vec::new())?;
            }
        }
        Ok(())
    }
}

/// One page of a retention rule's expired rows (see `Sweep::retention`).
struct Page {
    /// Where the next page starts (`ExpiredPage::next`); None when no row was left.
    last: Option<Vec<Value>>,
    roots: RootRows,
}

/// A batch's roots: each a row of a table (by index) and what becomes of it.
type RootRows = Vec<(usize, Row, OnErase)>;

/// Where a batch's roots come from.
enum Roots<'a> {
    /// Read before its write transaction; decided on as they are once it
    /// holds the lock ([`current_roots`]).
    Read(RootRows, Fresh<'a>),
    /// Read inside it, as they are (PostgreSQL: locked as read).
    Inside(ReadInside<'a>),
}

/// The roots of a belonging made by [`graph::resolve_from`] (the rows it
/// reached directly, each with its action), to resolve from again.
fn roots_of(b: &graph::Belonging) -> RootRows {
    let mut out = Vec::new();
    for (ti, found) in b.tables.iter().enumerate() {
        for (row, reach) in found.rows.iter().zip(&found.reach) {
            if let (true, Some(action)) = (reach.direct, reach.action) {
                out.push((ti, row.clone(), action));
            }
        }
    }
    out
}

/// Reads a batch's roots inside its transaction (see [`Roots::Inside`]).
type ReadInside<'a> = Box<dyn FnOnce(&Skip) -> Result<RootRows> + 'a>;

/// How a batch's roots were read, to tell whether they are still as read
/// (see [`current_roots`]).
#[derive(Clone, Copy)]
struct Fresh<'a> {
    /// [`Store::others_version`] before they were read.
    seen: Option<i64>,
    /// The columns they were read with ([`planned_columns`]); all if None.
    read: Option<&'a [bool]>,
    /// Whether a row, as it is now, is still a root.
    still: &'a dyn Fn(usize, &Row) -> bool,
}

/// The roots of a batch as they are now, inside its write transaction: a
/// root read before it (a page of expired rows, a deferred erasure's row)
/// may have been changed or deleted by the application in between, while
/// the sweep waited for the lock, say. When the store tells that no other
/// connection committed since (`seen`, [`Store::others_version`]), the
/// rows stand as read; otherwise they are read again by key, those gone
/// are left out, and so are those that `still` no longer takes (a row
/// whose retention date the application moved is no longer expired).
/// Holds are then judged on the rows as they are now.
fn current_roots(
    cx: &Context,
    roots: Vec<(usize, Row, OnErase)>,
    fresh: &Fresh<'_>,
) -> Result<Vec<(usize, Row, OnErase)>> {
    let table = |ti: usize| cx.schema.table(&cx.map.tables[ti].name);
    roots_now(&cx.store, &table, roots, fresh)
}

/// [`current_roots`] with the store and each table's schema by index.
fn roots_now<'s>(
    store: &crate::store::Store,
    table: &dyn Fn(usize) -> Option<&'s crate::store::schema::TableSchema>,
    roots: Vec<(usize, Row, OnErase)>,
    fresh: &Fresh<'_>,
) -> Result<Vec<(usize, Row, OnErase)>> {
    let Fresh { seen, read, still } = *fresh;
    if seen.is_some() && store.others_version()? == seen {
        return Ok(roots);
    }
    let mut keys: HashMap<usize, Vec<Vec<Value>>> = HashMap::new();
    for (ti, r, _) in &roots {
        keys.entry(*ti).or_default().push(r.key.clone());
    }
    // Some thousands of rows a batch: hashed the cheap way.
    let mut now: rustc_hash::FxHashMap<(usize, Vec<Value>), Vec<Value>> =
        rustc_hash::FxHashMap::with_capacity_and_hasher(roots.len(), Default::default());
    for (ti, keys) in &keys {
        let Some(ts) = table(*ti) else {
            continue;
        };
        store.rows_reading(ts, keys, read, |row| {
            now.insert((*ti, row.key), row.values);
        })?;
    }
    let before = roots.len();
    let current: Vec<(usize, Row, OnErase)> = roots
        .into_iter()
        .filter_map(|(ti, r, action)| {
            let ((_, key), values) = now.remove_entry(&(ti, r.key))?;
            let row = Row { key, values };
            still(ti, &row).then_some((ti, row, action))
        })
        .collect();
    crate::trace::mark("sweep roots read again", || {
        format!("{} of {before} still roots", current.len())
    });
    Ok(current)
}

/// The columns of a table's expired rows that sweeping them reads, by
/// schema index, or None for all of them: the roots' other columns are
/// then not read at all (they hold NULL), which spares a planned sweep most
/// of the cost of reading whole rows. A column left out here would read as
/// NULL, so this lists every reader of a root's values:
///
/// - the key (every step);
/// - the rule's `after` column (the exact expiry test in `retention`);
/// - the hold's `after` column (`planner::plan`, holds);
/// - the columns that map links from other tables lead to
///   (`graph::resolve_from` follows them), and those that links and the
///   store's foreign keys reference (`planner::plan`, referential safety).
///
/// When the map scans free text, `erase_mentions` reads the erased rows'
/// identifiers and the subject's own free text: all columns are read.
fn planned_columns(cx: &Context, ti: usize) -> Option<Vec<bool>> {
    if scans_mentions(&cx.map) {
        return None;
    }
    let t = &cx.map.tables[ti];
    let ts = cx.schema.table(&t.name)?;
    let mut read = vec![false; ts.columns.len()];
    let mut mark = |c: &str| {
        if let Some(i) = ts.column_index(c) {
            read[i] = true;
        }
    };
    ts.pk.iter().for_each(|c| mark(c));
    if let Some(r) = &t.retention {
        mark(&r.after);
    }
    if let Some(h) = &t.hold {
        mark(&h.after);
    }
    let links = cx.map.tables.iter().flat_map(|o| &o.links);
    for l in links.filter(|l| l.to.eq_ignore_ascii_case(&t.name)) {
        l.on.iter().for_each(|(_, p)| mark(p));
    }
    let fks = cx.schema.tables.iter().flat_map(|o| &o.foreign_keys);
    for fk in fks.filter(|fk| fk.table.eq_ignore_ascii_case(&t.name)) {
        fk.to.iter().for_each(|c| mark(c));
    }
    Some(read)
}

/// A batch's counts per table, its held groups and its mention edits per
/// `table.column` (see [`apply::summary`]).
type Counts<'a> = (&'a Json, &'a [Json], &'a Json);

/// A sweep that failed part way: its summary is recorded (outcome
/// `failed`), and the error says what the batches committed before the
/// failure changed, since they stay (DESIGN exit 1).
fn stopped(cx: &Context, at: &str, mut summary: Json, totals: &Totals, e: Error) -> Error {
    let reason = e.to_string();
    if let Some(d) = summary.as_object_mut() {
        d.insert("committed_batches".into(), json!(totals.committed));
    }
    super::record_failure(cx, at, "sweep", &[], summary, &e, &reason);
    let (Error::Runtime(msg), 1..) = (&e, totals.committed) else {
        return e;
    };
    let sum = |k: &str| -> u64 {
        totals
            .tables
            .values()
            .map(|c| c[k].as_u64().unwrap_or(0))
            .sum()
    };
    let records = match (totals.first_seq, totals.last_seq) {
        (Some(a), Some(b)) if a != b => format!("audit records {a} to {b}"),
        (Some(a), _) => format!("audit record {a}"),
        _ => String::new(),
    };
    Error::Runtime(format!(
        "the sweep stopped part way: {}; the {} batch{} committed before it stay committed ({} deleted, {} anonymized, {} deferred erasure{} completed; {records}); fix the cause and run dsr sweep again to carry on",
        msg.replace("nothing was changed", "that batch was rolled back")
            .replace("the open transaction was rolled back", "that batch was rolled back"),
        totals.committed,
        if totals.committed == 1 { "" } else { "es" },
        rows(sum("deleted")),
        sum("anonymized"),
        totals.deferred_completed,
        if totals.deferred_completed == 1 { "" } else { "s" },
    ))
}

fn rows(n: u64) -> String {
    format!("{n} row{}", if n == 1 { "" } else { "s" })
}

fn changed(tables: &Json) -> bool {
    tables.as_object().into_iter().flatten().any(|(_, c)| {
        ["deleted", "anonymized", "held"]
            .iter()
            .any(|k| c[k].as_u64().unwrap_or(0) > 0)
    })
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let cx = Context::open(g, false)?;
    if let Some(t) = &args.table {
        let Some(mt) = cx.map.table(t) else {
            let names: Vec<&str> = cx.map.tables.iter().map(|t| t.name.as_str()).collect();
            return Err(Error::Usage(format!(
                "--table {t}: no such table in the map (it has: {})",
                names.join(", ")
            )));
        };
        if mt.retention.is_none() && mt.hold.is_none() {
            status(
                g,
                format!("{t} has no retention rule; only its deferred erasures are swept"),
            );
        }
    }
    let at = time::format_ts(cx.now);
    let _lock = cx
        .store
        .sweep_lock(args.wait, &at, !g.quiet && std::io::stderr().is_terminal())?;
    cx.store.prepare_sweep()?;
    let progress = (!g.quiet && std::io::stderr().is_terminal()).then(|| {
        let p = indicatif::ProgressBar::new_spinner();
        p.enable_steady_tick(Duration::from_millis(120));
        p
    });
    let target_ms = if cx.store.capabilities().writes_block_all {
        tally::TARGET_MS
    } else {
        tally::TARGET_MS_ROW_LOCKS
    };
    let turn = match cx.store.capabilities().writes_block_all {
        true => Turn::new(Some(tally::TURN_SHARE), cx.store.others_version()?),
        false => Turn::new(None, None),
    };
    let mut sw = Sweep {
        cx: &cx,
        args,
        at: at.clone(),
        actor: cx.tenant.actor.clone(),
        skip: Skip::default(),
        totals: Totals::default(),
        batcher: Batcher::new(args.batch_size, 500, 20_000, target_ms),
        span: Batcher::new(args.batch_size, 10_000, usize::MAX >> 2, target_ms),
        turn,
        progress,
        located: HashMap::new(),
    };
    let mut requests_swept = 0;
    let swept = (|| -> Result<()> {
        sw.deferred()?;
        // Children before parents, so that a parent's expiry finds its
        // expired children already gone rather than holding it back.
        for ti in planner::delete_order(&cx.map, &cx.schema) {
            if args
                .table
                .as_deref()
                .is_none_or(|t| t == cx.map.tables[ti].name)
            {
                sw.retention(ti)?;
            }
        }
        // The register's closed requests, unless only one table is swept.
        if args.table.is_none() {
            let (n, row) = requests::sweep(&cx, args.dry_run, &sw.actor, &at)?;
            requests_swept = n;
            if row.is_some() {
                sw.totals.batches += 1;
                sw.committed(row);
            }
        }
        Ok(())
    })();
    if let Some(p) = &sw.progress {
        p.finish_and_clear();
    }
    let totals = sw.totals;
    let tables = Json::Object(totals.tables.clone());
    let summary = json!({
        "summary": true, "dry_run": args.dry_run, "table": args.table, "batches": totals.batches,
        "tables": tables, "held": totals.held, "mentions": totals.mentions,
        "deferred_completed": totals.deferred_completed,
        "longest_transaction_ms": totals.longest.as_millis() as u64,
        "requests_swept": requests_swept,
    });
    if let Err(e) = swept {
        return Err(stopped(&cx, &at, summary, &totals, e));
    }
    let row = audit::record(
        &cx.store,
        &cx.tenant.actor,
        &at,
        "sweep",
        &[],
        "ok",
        cx.details(summary),
    )?;
    if g.json {
        print_json(&json!({
            "schema": "dsr.sweep/1", "dry_run": args.dry_run,
            "tables": tables, "held": totals.held, "mentions": totals.mentions,
            "deferred_completed": totals.deferred_completed, "batches": totals.batches, "longest_transaction_ms": totals.longest.as_millis() as u64,
            "requests_swept": requests_swept, "audit_seq": row.seq,
        }))?;
    }
    let mut lines = Vec::new();
    for (name, c) in &totals.tables {
        let parts: Vec<String> = ["deleted", "anonymized", "held", "kept"]
            .iter()
            .filter(|k| c[**k].as_u64().unwrap_or(0) > 0)
            .map(|k| format!("{k} {}", c[*k]))
            .collect();
        if !parts.is_empty() {
            lines.push(format!("  {name:<20} {}", parts.join(", ")));
        }
    }
    for (col, n) in &totals.mentions {
        let n = super::count(n.as_u64().unwrap_or(0), "row");
        lines.push(format!("  mentions erased in {col}: {n}"));
    }
    if requests_swept > 0 {
        lines.push(format!(
            "  closed requests removed from the register: {requests_swept}"
        ));
    }
    let head = if args.dry_run {
        "sweep (dry run, nothing changed)"
    } else {
        "sweep"
    };
    status(
        g,
        format!(
            "{head}: {} batch{}, {} deferred erasure{} completed{}{} (audit record {})",
            totals.batches,
            if totals.batches == 1 { "" } else { "es" },
            totals.deferred_completed,
            if totals.deferred_completed == 1 {
                ""
            } else {
                "s"
            },
            if lines.is_empty() {
                ", nothing to do"
            } else {
                ":\n"
            },
            lines.join("\n"),
            row.seq
        ),
    );
    Ok(ExitCode::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{open, Filter, Mode};

    fn fresh<'a>(
        seen: Option<i64>,
        read: Option<&'a [bool]>,
        still: &'a dyn Fn(usize, &Row) -> bool,
    ) -> Fresh<'a> {
        Fresh { seen, read, still }
    }

    /// A root the application changed or deleted between the page read and
    /// the batch's lock is read again: gone rows and rows no longer taken
    /// are left out, the others carry their values of now. Without a change
    /// by another connection the rows stand as read, unread.
    #[test]
    fn roots_changed_by_another_connection_are_read_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("t.db");
        let app = rusqlite::Connection::open(&db).expect("db");
        app.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE t (id INTEGER PRIMARY KEY, closed TEXT, held INTEGER);
             INSERT INTO t VALUES (1, '2020-01-01', 0), (2, '2020-01-01', 0), (3, '2020-01-01', 0);",
        )
        .expect("schema");
        let store = open(
            db.to_str().expect("utf8"),
            Mode::ReadWrite,
            jiff::civil::date(2026, 11, 22),
        )
        .expect("open");
        let schema = store.schema().expect("schema");
        let ts = schema.table("t").expect("t");
        let table = |_: usize| Some(ts);
        let still = |_: usize, r: &Row| r.values[1] == Value::Text("2020-01-01".into());
        let read = |store: &crate::store::Store| {
            let mut rows = Vec::new();
            let keys: Vec<Vec<Value>> = (1..=3).map(|i| vec![Value::Integer(i)]).collect();
            store
                .select(ts, &Filter::Keys(&keys), |r| {
                    rows.push((0, r, OnErase::Delete))
                })
                .expect("select");
            rows.sort_by_key(|(_, r, _)| format!("{:?}", r.key));
            rows
        };
        let summary = |rows: &[(usize, Row, OnErase)]| -> Vec<String> {
            rows.iter()
                .map(|(_, r, _)| format!("{:?}", r.values))
                .collect()
        };

        // Nothing changed since: the rows as given, not read again (a
        // value only the caller has stays).
        let seen = store.others_version().expect("version");
        assert!(seen.is_some());
        let mut given = read(&store);
        given[0].1.values[2] = Value::Integer(7);
        let out = store
            .write(|_| roots_now(&store, &table, given.clone(), &fresh(seen, None, &still)))
            .expect("roots");
        assert_eq!(summary(&out), summary(&given));

        // The application moves 1's date, holds 2 and deletes 3.
        let seen = store.others_version().expect("version");
        let given = read(&store);
        app.execute_batch(
            "UPDATE t SET closed = '2026-11-01' WHERE id = 1;
             UPDATE t SET held = 1 WHERE id = 2;
             DELETE FROM t WHERE id = 3;",
        )
        .expect("app");
        let out = store
            .write(|_| roots_now(&store, &table, given.clone(), &fresh(seen, None, &still)))
            .expect("roots");
        assert_eq!(
            summary(&out),
            [r#"[Integer(2), Text("2020-01-01"), Integer(1)]"#]
        );

        // A backend that cannot tell (None) always reads again, the
        // columns the roots were read with.
        let mut stale = read(&store);
        stale[0].1.values[2] = Value::Integer(9);
        let out = store
            .write(|_| {
                roots_now(
                    &store,
                    &table,
                    stale.clone(),
                    &fresh(None, None, &|_, _| true),
                )
            })
            .expect("roots");
        assert_eq!(
            summary(&out),
            [
                r#"[Integer(1), Text("2026-11-01"), Integer(0)]"#,
                r#"[Integer(2), Text("2020-01-01"), Integer(1)]"#
            ]
        );
        let only_dates = [false, true, false];
        let out = store
            .write(|_| {
                let got = fresh(None, Some(&only_dates[..]), &|_, _| true);
                roots_now(&store, &table, stale, &got)
            })
            .expect("roots");
        assert_eq!(
            summary(&out),
            [
                r#"[Integer(1), Text("2026-11-01"), Null]"#,
                r#"[Integer(2), Text("2020-01-01"), Null]"#
            ]
        );
    }
}
