//! The planner: what an erasure will do to every row it reaches, decided
//! before anything is changed. It applies, in order: the strongest
//! `on_erase` of the ways a row was reached; holds; referential safety (a
//! row that a remaining row still references is anonymized, not deleted);
//! and the memory of rows anonymized before.

use crate::error::Result;
use crate::graph::{Belonging, Mention, Reach, Skip};
use crate::ident::{self, Kind};
use crate::map::{DataMap, OnErase, Strategy, Table};
use crate::store::schema::{Schema, TableSchema};
use crate::store::{Assign, Filter, Store};
use crate::time;
use crate::value::Value;
use jiff::Timestamp;
use std::collections::{HashMap, HashSet};

/// What happens to one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Delete,
    Anonymize,
    Keep,
    /// Anonymized by an earlier run: left alone.
    AlreadyAnonymized,
    /// Under a hold until the end (None: the hold date is unreadable); the
    /// action it gets when the hold ends.
    Held {
        end: Option<Timestamp>,
        then: OnErase,
    },
}

/// The plan for one mapped table.
#[derive(Debug, Default)]
pub struct TablePlan {
    /// (row index in the table's `Found`, its fate)
    pub rows: Vec<(usize, Fate)>,
    /// Why rows were anonymized (or, with nothing to anonymize, kept)
    /// instead of deleted, for the report.
    pub downgraded: Vec<String>,
    /// The table has no erase strategies: rows that would be anonymized
    /// are kept as they are, and reported so (never as anonymized).
    pub nothing_to_anonymize: bool,
    /// Rows whose own action was anonymize, kept for that reason.
    pub kept_unanonymizable: usize,
    /// Rows of a table left unread ([`unread_leaves`]), not in `rows`: each
    /// is deleted (along its `Found::linked`).
    pub unread: usize,
}

impl TablePlan {
    /// How many rows have a fate that passes the test (the unread rows
    /// counting as deleted).
    pub fn count(&self, f: impl Fn(&Fate) -> bool) -> usize {
        let unread = if f(&Fate::Delete) { self.unread } else { 0 };
        self.rows.iter().filter(|(_, x)| f(x)).count() + unread
    }
}

/// The tables an erasure may leave unread, counting their rows and then
/// deleting them along their link in one statement: a leaf
/// ([`graph::is_leaf`]) that no foreign key references, whose foreign keys
/// to mapped tables are each one of its links, with no hold, and whose
/// own `on_erase` and every link's are delete, so that every row of it
/// reached is deleted whatever else the plan decides, nothing needs its
/// values, and no referential check needs its rows. The caller adds what
/// only it knows: that no replay payload (which names the rows) is made,
/// and that the erasure is watched by counts alone.
pub fn unread_leaves(map: &DataMap, schema: &Schema) -> Vec<bool> {
    (0..map.tables.len())
        .map(|ti| {
            let t = &map.tables[ti];
            let Some(ts) = schema.table(&t.name) else {
                return false;
            };
            let fks_are_links = ts.foreign_keys.iter().all(|fk| {
                map.table_index(&fk.table).is_none()
                    || t.links.iter().any(|l| {
                        l.to == fk.table
                            && l.on.len() == fk.from.len()
                            && l.on.len() == fk.to.len()
                            && l.on
                                .iter()
                                .zip(fk.from.iter().zip(&fk.to))
                                .all(|((c, p), (fc, fp))| c == fc && p == fp)
                    })
            });
            crate::graph::is_leaf(map, schema, ti)
                && schema.references_to(&t.name).next().is_none()
                && fks_are_links
                && t.hold.is_none()
                && t.on_erase == OnErase::Delete
                && t.links
                    .iter()
                    .all(|l| l.on_erase.is_none_or(|a| a == OnErase::Delete))
        })
        .collect()
}

/// A free-text value in which mentions of the subject are replaced.
#[derive(Debug, Clone)]
pub struct TextEdit {
    pub table: usize,
    pub column: String,
    pub key: Vec<Value>,
    pub old: String,
    pub new: String,
    /// The exact text replaced (each once), for replay after a restore.
    pub erased: Vec<String>,
}

/// The distinct pieces of `text` at `ranges`.
fn pieces(text: &str, ranges: &[std::ops::Range<usize>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in ranges {
        if let Some(p) = text.get(r.clone()) {
            if !p.is_empty() && !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        }
    }
    out
}

#[derive(Debug, Default)]
pub struct Plan {
    pub tables: Vec<TablePlan>,
    pub edits: Vec<TextEdit>,
}

/// A belonging row: (mapped table index, row index in its `Found`).
type RowRef = (usize, usize);
/// A row that references a row planned for deletion.
#[derive(Debug, Clone, Copy)]
enum Referrer {
    /// A row of a table the map does not have (its name, by index).
    Unmapped(usize),
    /// A row of a mapped table that is not part of this erasure.
    Outside(usize),
    /// A row of this erasure: (mapped table index, row index in its `Found`).
    Row(usize, usize),
}

/// What erasing reaches: a deletion of a row referenced from a table.
struct Reference {
    child: String,
    child_cols: Vec<String>,
    parent_cols: Vec<String>,
}

/// Every way rows of `parent` are referenced: map links and the store's
/// foreign keys, from mapped and unmapped tables alike.
fn references(map: &DataMap, schema: &Schema, parent: &str) -> Vec<Reference> {
    let mut out: Vec<Reference> = Vec::new();
    let mut push = |r: Reference| {
        if !out.iter().any(|o| {
            o.child == r.child && o.child_cols == r.child_cols && o.parent_cols == r.parent_cols
        }) {
            out.push(r);
        }
    };
    for t in &map.tables {
        for l in t.links.iter().filter(|l| l.to == parent) {
            push(Reference {
                child: t.name.clone(),
                child_cols: l.on.iter().map(|(c, _)| c.clone()).collect(),
                parent_cols: l.on.iter().map(|(_, p)| p.clone()).collect(),
            });
        }
    }
    for (child, fk) in schema.references_to(parent) {
        if !fk.to.is_empty() {
            push(Reference {
                child: child.name.clone(),
                child_cols: fk.from.clone(),
                parent_cols: fk.to.clone(),
            });
        }
    }
    out
}

/// Whether the reference is one of the map's links of table `ci` to table
/// `pi`, its columns in the link's order: the links the subject graph
/// followed, so that every row referencing a belonging row along it
/// belongs too.
fn along_link(map: &DataMap, ci: usize, pi: usize, r: &Reference) -> bool {
    map.tables[ci].links.iter().any(|l| {
        map.table_index(&l.to) == Some(pi)
            && l.on.len() == r.child_cols.len()
            && l.on
                .iter()
                .zip(r.child_cols.iter().zip(&r.parent_cols))
                .all(|((c, p), (rc, rp))| c == rc && p == rp)
    })
}

fn strongest(t: &Table, reach: &Reach) -> OnErase {
    let mut best = if reach.direct {
        Some(reach.action.unwrap_or(t.on_erase))
    } else {
        None
    };
    for l in reach.links.iter() {
        let a = t
            .links
            .get(l)
            .and_then(|l| l.on_erase)
            .unwrap_or(t.on_erase);
        best = Some(best.map_or(a, |b| b.max(a)));
    }
    best.unwrap_or(t.on_erase)
}

/// The assignments that anonymize a table's rows.
pub fn assignments(t: &Table) -> Vec<(String, Assign)> {
    t.columns
        .iter()
        .filter_map(|c| {
            let a = match &c.erase {
                Strategy::Keep => return None,
                Strategy::Null => Assign::Null,
                Strategy::Hash => Assign::Hash,
                Strategy::Redact(w) => Assign::Redact(w.clone()),
            };
            Some((c.name.clone(), a))
        })
        .collect()
}

/// Whether the table's hold still holds a row whose hold column (`hold.after`)
/// has the value `after`, judged at `now`: None when it does not (no hold,
/// a NULL date, or the period has ended), Some(None) when the date is
/// unreadable (it holds until someone fixes it), Some(Some(end)) when it
/// holds until `end`. Erasures and the sweep's deferred erasures judge a
/// hold by this alone, on the row as it is, so a date the application moved
/// counts (DESIGN §2 Holds).
pub fn hold_end(t: &Table, after: &Value, now: Timestamp) -> Option<Option<Timestamp>> {
    let h = t.hold.as_ref()?;
    match after {
        Value::Null => None,
        v => match time::parse_value(v) {
            None => Some(None),
            Some(after) => time::period_end(after, h.keep, h.year_end)
                .filter(|end| *end > now)
                .map(Some),
        },
    }
}

/// The tenant a plan is made for.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub store: &'a Store,
    pub schema: &'a Schema,
    pub map: &'a DataMap,
}

/// Decides the fate of every belonging row, and the mention edits.
pub fn plan(
    scope: Scope<'_>,
    b: &Belonging,
    mentions: &[Mention],
    mention_ids: &[(Kind, String)],
    now: Timestamp,
    skip: &Skip,
) -> Result<Plan> {
    let Scope { store, schema, map } = scope;
    let n = map.tables.len();
    let schemas: Vec<Option<&TableSchema>> =
        map.tables.iter().map(|t| schema.table(&t.name)).collect();
    let mut fates: Vec<Vec<Fate>> = Vec::with_capacity(n);
    // Anonymizing a table with no erase strategies changes nothing: such
    // rows are kept, and said to be.
    let unanonymizable: Vec<bool> = map
        .tables
        .iter()
        .map(|t| assignments(t).is_empty())
        .collect();
    let mut kept_unanonymizable = vec![0usize; n];
    let anonymize = |ti: usize| {
        if unanonymizable[ti] {
            Fate::Keep
        } else {
            Fate::Anonymize
        }
    };

    // 1. The strongest on_erase, and holds.
    for (ti, t) in map.tables.iter().enumerate() {
        let found = &b.tables[ti];
        let hold_col = t
            .hold
            .as_ref()
            .and_then(|h| schemas[ti].and_then(|s| s.column_index(&h.after)));
        let mut v = Vec::with_capacity(found.len());
        for (row, reach) in found.rows.iter().zip(&found.reach) {
            let act = strongest(t, reach);
            let held = match hold_col {
                Some(ci) if act != OnErase::Keep => hold_end(t, &row.values[ci], now),
                _ => None,
            };
            v.push(match (held, act) {
                (Some(end), then) => Fate::Held { end, then },
                (None, OnErase::Delete) => Fate::Delete,
                (None, OnErase::Anonymize) => {
                    if unanonymizable[ti] {
                        kept_unanonymizable[ti] += 1;
                    }
                    anonymize(ti)
                }
                (None, OnErase::Keep) => Fate::Keep,
            });
        }
        fates.push(v);
    }

    // 2. Referential safety. Who references each row planned for deletion
    // is read once (or, along the map's links, known already); the
    // fixpoint then runs in memory.
    let mut downgraded: Vec<Vec<String>> = vec![Vec::new(); n];
    let mut referrers: HashMap<RowRef, Vec<Referrer>> = HashMap::new();
    // The names of the referencing tables the map does not have.
    let mut unmapped: Vec<String> = Vec::new();
    for (pi, t) in map.tables.iter().enumerate() {
        let Some(ps) = schemas[pi] else { continue };
        let deleting: Vec<usize> = (0..fates[pi].len())
            .filter(|&i| fates[pi][i] == Fate::Delete)
            .collect();
        if deleting.is_empty() {
            continue;
        }
        for r in references(map, schema, &t.name) {
            let Some(cs) = schema.table(&r.child) else {
                continue;
            };
            let pcols: Vec<usize> = r
                .parent_cols
                .iter()
                .filter_map(|c| ps.column_index(c))
                .collect();
            let ccols: Vec<usize> = r
                .child_cols
                .iter()
                .filter_map(|c| cs.column_index(c))
                .collect();
            if pcols.len() != r.parent_cols.len() || ccols.len() != r.child_cols.len() {
                continue;
            }
            let mut by_tuple: HashMap<Vec<Value>, Vec<usize>> = HashMap::new();
            for &i in &deleting {
                let tup: Vec<Value> = pcols
                    .iter()
                    .map(|&c| b.tables[pi].rows[i].values[c].clone())
                    .collect();
                if !tup.iter().any(Value::is_null) {
                    by_tuple.entry(tup).or_default().push(i);
                }
            }
            if by_tuple.is_empty() {
                continue;
            }
            let ci = map.table_index(&r.child);
            let mut add = |row: Referrer, tup: &[Value]| {
                if let Some(parents) = by_tuple.get(tup) {
                    for &p in parents {
                        referrers.entry((pi, p)).or_default().push(row);
                    }
                }
            };
            if let Some(ci) = ci.filter(|&ci| along_link(map, ci, pi, &r)) {
                if b.tables[ci].linked.is_some() {
                    // Left unread ([`unread_leaves`]): every row of it
                    // that references these rows along the link belongs
                    // and is deleted, so none keeps them.
                    continue;
                }
                let rows = &b.tables[ci].rows;
                let integers = |tup: &[Value]| {
                    tup.iter()
                        .all(|v| matches!(v, Value::Integer(_) | Value::Null))
                };
                // One column (the usual link) is looked up in place.
                let tuples: Vec<std::borrow::Cow<'_, [Value]>> = rows
                    .iter()
                    .map(|row| match ccols.as_slice() {
                        [c] => std::borrow::Cow::Borrowed(std::slice::from_ref(&row.values[*c])),
                        _ => ccols.iter().map(|&c| row.values[c].clone()).collect(),
                    })
                    .collect();
                if b.links_followed
                    || by_tuple.keys().all(|k| integers(k)) && tuples.iter().all(|t| integers(t))
                {
                    // Every row that references these rows along a link of
                    // the map belongs too (the link was followed from all of
                    // them, in this transaction); integers compare alike in
                    // memory and in the store, so the store need not be read.
                    for (j, tup) in tuples.iter().enumerate() {
                        add(Referrer::Row(ci, j), tup);
                    }
                    continue;
                }
            }
            let who = match ci {
                Some(_) => None,
                None => {
                    unmapped.push(r.child.clone());
                    Some(unmapped.len() - 1)
                }
            };
            let tuples: Vec<Vec<Value>> = by_tuple.keys().cloned().collect();
            store.select(
                cs,
                &Filter::In {
                    columns: &r.child_cols,
                    tuples: &tuples,
                },
                |row| {
                    let referrer = match (ci, who) {
                        (Some(ci), _) if skip.has(ci, &row.key) => {
                            return; // deleted by an earlier batch of this sweep
                        }
                        (Some(ci), _) => match b.tables[ci].position(&row.key) {
                            Some(j) => Referrer::Row(ci, j),
                            None => Referrer::Outside(ci),
                        },
                        (None, w) => Referrer::Unmapped(w.unwrap_or(0)),
                    };
                    let tup: Vec<Value> = ccols.iter().map(|&c| row.values[c].clone()).collect();
                    add(referrer, &tup);
                },
            )?;
        }
    }
    loop {
        let mut changed = false;
        for ((pi, p), refs) in &referrers {
            if fates[*pi][*p] != Fate::Delete {
                continue;
            }
            let blocker = refs.iter().find_map(|r| {
                let (ci, row) = match *r {
                    Referrer::Unmapped(w) => {
                        return Some(format!("{} (not in the map)", unmapped[w]))
                    }
                    Referrer::Outside(ci) => {
                        return Some(format!(
                            "{} (rows outside this erasure)",
                            map.tables[ci].name
                        ))
                    }
                    Referrer::Row(ci, row) => (ci, row),
                };
                let child = &map.tables[ci].name;
                match &fates[ci][row] {
                    Fate::Delete => None,
                    Fate::Held { .. } => Some(format!("{child} (held)")),
                    Fate::Keep => Some(format!("{child} (kept)")),
                    Fate::Anonymize | Fate::AlreadyAnonymized => {
                        Some(format!("{child} (anonymized)"))
                    }
                }
            });
            if let Some(why) = blocker {
                fates[*pi][*p] = anonymize(*pi);
                if !downgraded[*pi].contains(&why) {
                    downgraded[*pi].push(why);
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }

    // 3. Rows anonymized before are left alone.
    for (ti, t) in map.tables.iter().enumerate() {
        let keys: Vec<Vec<Value>> = (0..fates[ti].len())
            .filter(|&i| fates[ti][i] == Fate::Anonymize)
            .map(|i| b.tables[ti].rows[i].key.clone())
            .collect();
        let before = store.anonymized(&t.name, &keys)?;
        for (i, f) in fates[ti].iter_mut().enumerate() {
            let key = &b.tables[ti].rows[i].key;
            if *f == Fate::Anonymize && (before.contains(key) || skip.was_anonymized(ti, key)) {
                *f = Fate::AlreadyAnonymized;
            }
        }
    }

    let tables = fates
        .into_iter()
        .zip(downgraded)
        .enumerate()
        .map(|(ti, (f, d))| TablePlan {
            rows: f.into_iter().enumerate().collect(),
            downgraded: d,
            nothing_to_anonymize: unanonymizable[ti],
            kept_unanonymizable: kept_unanonymizable[ti],
            unread: b.tables[ti].linked.as_ref().map_or(0, |l| l.count as usize),
        })
        .collect();
    let mut plan = Plan {
        tables,
        edits: Vec::new(),
    };
    add_mention_edits(map, schema, b, &mut plan, mentions, mention_ids);
    Ok(plan)
}

/// Step 4, mentions: adds to the plan the edits that replace them, in
/// other rows found by the scan, and in the subject's own rows that stay
/// with their free text as it is. A sweep calls this after planning, once
/// it knows whose records the batch erases.
pub fn add_mention_edits(
    map: &DataMap,
    schema: &Schema,
    b: &Belonging,
    plan: &mut Plan,
    mentions: &[Mention],
    mention_ids: &[(Kind, String)],
) {
    let edits = &mut plan.edits;
    for m in mentions {
        let new = ident::replace_ranges(&m.text, &m.ranges, "[erased]");
        edits.push(TextEdit {
            table: m.table,
            column: m.column.clone(),
            key: m.key.clone(),
            old: m.text.clone(),
            new,
            erased: pieces(&m.text, &m.ranges),
        });
    }
    if mention_ids.is_empty() {
        return;
    }
    for (ti, t) in map.tables.iter().enumerate() {
        let Some(ts) = schema.table(&t.name) else {
            continue;
        };
        for c in t.columns.iter().filter(|c| c.scan) {
            let Some(ci) = ts.column_index(&c.name) else {
                continue;
            };
            for (i, f) in &plan.tables[ti].rows {
                let stays_as_is = match f {
                    Fate::Keep => true,
                    Fate::Anonymize => c.erase == Strategy::Keep,
                    _ => false,
                };
                let Value::Text(text) = &b.tables[ti].rows[*i].values[ci] else {
                    continue;
                };
                if !stays_as_is {
                    continue;
                }
                let mut ranges: Vec<_> = mention_ids
                    .iter()
                    .flat_map(|(k, v)| ident::find_mentions(*k, v, text))
                    .collect();
                if ranges.is_empty() {
                    continue;
                }
                ranges.sort_by_key(|r| r.start);
                let new = ident::replace_ranges(text, &ranges, "[erased]");
                edits.push(TextEdit {
                    table: ti,
                    column: c.name.clone(),
                    key: b.tables[ti].rows[*i].key.clone(),
                    old: text.clone(),
                    new,
                    erased: pieces(text, &ranges),
                });
            }
        }
    }
}

/// Orders mapped tables so that every table comes before the tables it
/// references (children before parents); cycles are broken arbitrarily,
/// their constraints being checked at commit.
pub fn delete_order(map: &DataMap, schema: &Schema) -> Vec<usize> {
    let n = map.tables.len();
    // parents[c] = tables that c references
    let mut parents: Vec<HashSet<usize>> = vec![HashSet::new(); n];
    for (pi, t) in map.tables.iter().enumerate() {
        for r in references(map, schema, &t.name) {
            if let Some(ci) = map.table_index(&r.child) {
                if ci != pi {
                    parents[ci].insert(pi);
                }
            }
        }
    }
    // A table may go once no remaining table references it.
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let next = (0..n)
            .find(|&p| !done[p] && !(0..n).any(|c| !done[c] && c != p && parents[c].contains(&p)))
            .or_else(|| (0..n).find(|&p| !done[p]));
        let Some(p) = next else { break };
        done[p] = true;
        order.push(p);
    }
    order
}
