//! Mentions: the subject's identifiers searched for in the map's `scan =
//! true` columns (free text), one pass per column for a set of subjects.

use super::{row_ids, Belonging, SubjectId};
use crate::error::{Error, Result};
use crate::ident::{self, Kind};
use crate::map::DataMap;
use crate::store::schema::Schema;
use crate::store::{Needle, Store};
use crate::value::Value;
use std::collections::HashSet;
use std::ops::Range;

/// The identifiers to look for in free text: every identifier of the
/// subject, given or found in their rows (a ticket that names the
/// customer's email is a mention even when the request gave a customer
/// number). Short text identifiers are left out: "17" would match anything.
pub fn mention_ids(b: &Belonging) -> Vec<(Kind, String)> {
    searchable(b.identifiers.iter().map(|k| &k.id))
}

/// The identifiers among `ids` that are worth searching free text for.
pub fn searchable<'a>(ids: impl IntoIterator<Item = &'a SubjectId>) -> Vec<(Kind, String)> {
    let mut out: Vec<(Kind, String)> = Vec::new();
    for i in ids {
        let usable = i.kind != Kind::Text || i.key.chars().count() >= 6;
        let pair = (i.kind, i.key.clone());
        if usable && !out.contains(&pair) {
            out.push(pair);
        }
    }
    out
}

/// The identifiers held in the `identify` columns of the rows of
/// `subjects = true` tables for which `erased(table, row index)` holds:
/// the people whose record a sweep is erasing, read before their rows
/// change.
pub fn held_ids(
    map: &DataMap,
    schema: &Schema,
    b: &Belonging,
    today: jiff::civil::Date,
    erased: impl Fn(usize, usize) -> bool,
) -> Vec<SubjectId> {
    let mut out: Vec<SubjectId> = Vec::new();
    for (ti, t) in map.tables.iter().enumerate() {
        let Some(ts) = schema.table(&t.name).filter(|_| t.subjects) else {
            continue;
        };
        for (i, row) in b.tables[ti].rows.iter().enumerate() {
            if !erased(ti, i) {
                continue;
            }
            for id in row_ids(t, ts, row, today) {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    }
    out
}

/// A row of someone else's (or nobody's) that mentions the subject in a
/// `scan = true` column.
#[derive(Debug, Clone)]
pub struct Mention {
    pub table: usize,
    pub column: String,
    pub key: Vec<Value>,
    pub text: String,
    pub ranges: Vec<Range<usize>>,
}

/// LIKE patterns per free-text search statement.
const NEEDLES_PER_SCAN: usize = 500;

/// Searches every `scan = true` column of every mapped table for the
/// identifiers, leaving out rows that already belong to the subject.
pub fn mentions(
    store: &Store,
    schema: &Schema,
    map: &DataMap,
    b: &Belonging,
    ids: &[(Kind, String)],
) -> Result<Vec<Mention>> {
    let mut out = Vec::new();
    let mut needles: Vec<Needle> = ids.iter().map(|(k, v)| needle(*k, v)).collect();
    needles.sort();
    needles.dedup();
    for (ti, t) in map.tables.iter().enumerate() {
        let Some(ts) = schema.table(&t.name) else {
            continue;
        };
        for c in t.columns.iter().filter(|c| c.scan) {
            // A sweep batch may look for thousands of identifiers: a bounded
            // number of patterns per statement, each row reported once.
            let mut seen: HashSet<Vec<Value>> = HashSet::new();
            for chunk in needles.chunks(NEEDLES_PER_SCAN) {
                store.scan_text(ts, &c.name, chunk, |key, text| {
                    if b.tables[ti].contains(&key) || seen.contains(&key) {
                        return;
                    }
                    seen.insert(key.clone());
                    let merged = mention_ranges(ids, text);
                    if merged.is_empty() {
                        return;
                    }
                    out.push(Mention {
                        table: ti,
                        column: c.name.clone(),
                        key,
                        text: text.to_string(),
                        ranges: merged,
                    });
                })?;
            }
        }
    }
    Ok(out)
}

/// The mentions of many subjects at once (a batch): each `scan = true`
/// column is read once, its values run through one Aho-Corasick automaton
/// of every subject's needles (the literal core of [`needle`]:
/// emails and text ASCII-case-insensitively, personnummer and phone digits
/// against the value's digits with separators left out), and each candidate
/// re-checked by the exact matcher for that subject only, as [`mentions`]
/// does. Entry `i` of the result is what [`mentions`] gives subject `i`
/// (rows belonging to the subject left out), in the same order.
pub fn mentions_many(
    store: &Store,
    schema: &Schema,
    map: &DataMap,
    subjects: &[(&Belonging, Vec<(Kind, String)>)],
) -> Result<Vec<Vec<Mention>>> {
    use aho_corasick::AhoCorasick;
    let mut out: Vec<Vec<Mention>> = vec![Vec::new(); subjects.len()];
    // Literal -> the subjects it stands for; subjects with a needle that has
    // no usable literal are candidates for every value.
    let mut text_lits: Vec<String> = Vec::new();
    let mut text_who: Vec<Vec<usize>> = Vec::new();
    let mut digit_lits: Vec<String> = Vec::new();
    let mut digit_who: Vec<Vec<usize>> = Vec::new();
    let mut always: Vec<usize> = Vec::new();
    let add = |lits: &mut Vec<String>, who: &mut Vec<Vec<usize>>, lit: String, si: usize| match lits
        .iter()
        .position(|l| *l == lit)
    {
        Some(p) => who[p].push(si),
        None => {
            lits.push(lit);
            who.push(vec![si]);
        }
    };
    for (si, (_, ids)) in subjects.iter().enumerate() {
        for (kind, key) in ids {
            let (lit, digits) = match kind {
                Kind::Email => (
                    key.split(|c: char| !c.is_ascii())
                        .max_by_key(|s| s.len())
                        .unwrap_or("")
                        .to_string(),
                    false,
                ),
                Kind::Text => (key.clone(), false),
                Kind::Personnummer => (key[key.len().saturating_sub(10)..].to_string(), true),
                Kind::Phone(_) => (ident::phone_national_digits(key).unwrap_or_default(), true),
            };
            if lit.is_empty() {
                always.push(si);
            } else if digits {
                add(&mut digit_lits, &mut digit_who, lit, si);
            } else {
                add(&mut text_lits, &mut text_who, lit, si);
            }
        }
    }
    if subjects.iter().all(|(_, ids)| ids.is_empty()) {
        return Ok(out);
    }
    let build = |lits: &[String], fold: bool| {
        AhoCorasick::builder()
            .ascii_case_insensitive(fold)
            .build(lits)
            .map_err(|e| Error::Runtime(format!("building the free-text search failed: {e}")))
    };
    let text_ac = build(&text_lits, true)?;
    let digit_ac = build(&digit_lits, false)?;
    // Every value holds the empty string: the whole column is read.
    let all = [Needle::Substring {
        text: String::new(),
        ignore_case: false,
    }];
    for (ti, t) in map.tables.iter().enumerate() {
        let Some(ts) = schema.table(&t.name) else {
            continue;
        };
        for c in t.columns.iter().filter(|c| c.scan) {
            store.scan_text(ts, &c.name, &all, |key, text| {
                let mut cand: Vec<usize> = always.clone();
                for m in text_ac.find_overlapping_iter(text) {
                    cand.extend(&text_who[m.pattern().as_usize()]);
                }
                if !digit_lits.is_empty() {
                    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                    for m in digit_ac.find_overlapping_iter(&digits) {
                        cand.extend(&digit_who[m.pattern().as_usize()]);
                    }
                }
                cand.sort_unstable();
                cand.dedup();
                for si in cand {
                    let (b, ids) = &subjects[si];
                    if b.tables[ti].contains(&key) {
                        continue;
                    }
                    let merged = mention_ranges(ids, text);
                    if merged.is_empty() {
                        continue;
                    }
                    out[si].push(Mention {
                        table: ti,
                        column: c.name.clone(),
                        key: key.clone(),
                        text: text.to_string(),
                        ranges: merged,
                    });
                }
            })?;
        }
    }
    Ok(out)
}

/// What every written mention of the identifier holds, for narrowing the
/// free-text scan in the store before the exact matcher runs. Case is
/// folded for ASCII only (what every backend folds alike), hence the ASCII
/// run for emails; digits are matched in order with anything between them,
/// since separators may fall anywhere in a written number.
pub(super) fn needle(kind: Kind, key: &str) -> Needle {
    let substring = |text: &str| Needle::Substring {
        text: text.to_string(),
        ignore_case: true,
    };
    match kind {
        Kind::Email => substring(
            key.split(|c: char| !c.is_ascii())
                .max_by_key(|s| s.len())
                .unwrap_or(""),
        ),
        Kind::Personnummer => {
            Needle::DigitsInOrder(key[key.len().saturating_sub(10)..].to_string())
        }
        Kind::Phone(_) => {
            Needle::DigitsInOrder(ident::phone_national_digits(key).unwrap_or_default())
        }
        Kind::Text => substring(key),
    }
}

/// Where in `text` any of the identifiers is named, overlapping places
/// merged, in order.
fn mention_ranges(ids: &[(Kind, String)], text: &str) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = ids
        .iter()
        .flat_map(|(k, v)| ident::find_mentions(*k, v, text))
        .collect();
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}
