//! The sweep's first part: deferred erasures, completed once their hold
//! has ended, judged on each row as it is when the sweep runs.

use super::Sweep;
use crate::error::Result;
use crate::map::OnErase;
use crate::planner;
use crate::store::refs::REF_PREFIX;
use crate::store::write::{key_from_text, DeferredRow};
use crate::store::{Filter, Row};
use crate::time;
use crate::value::Value;
use std::collections::HashMap;

impl Sweep<'_> {
    /// Deferred erasures whose hold has ended, judged on each row as it is
    /// now (DESIGN §2 Holds): a hold date the application moved later keeps
    /// the row, one moved earlier releases it on time. The date recorded
    /// with the deferred erasure is never trusted; where the row's date now
    /// says otherwise, it is brought up to date for reports.
    pub(super) fn deferred(&mut self) -> Result<()> {
        let cx = self.cx;
        let mut cursor: Option<(String, String)> = None;
        loop {
            // Before the rows are judged: a change after it has them read again.
            let seen = cx.store.others_version()?;
            let page = cx.store.deferred_page(
                self.args.table.as_deref(),
                cursor.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                self.batcher.size,
            )?;
            let Some(last) = page.last() else { break };
            cursor = Some((last.table.clone(), last.key.clone()));
            let mut roots = Vec::new();
            let mut gone = Vec::new();
            let mut moved = Vec::new();
            let mut i = 0;
            while i < page.len() {
                let n = page[i..]
                    .iter()
                    .take_while(|d| d.table == page[i].table)
                    .count();
                self.judge_deferred(&page[i..i + n], &mut roots, &mut gone, &mut moved)?;
                i += n;
            }
            if !roots.is_empty() || !gone.is_empty() {
                // Rows the application changed meanwhile are judged again
                // by the planner, as they are then (their holds).
                let fresh = super::Fresh {
                    seen,
                    read: None,
                    still: &|_, _| true,
                };
                self.batch("deferred", super::Roots::Read(roots, fresh), gone)?;
            }
            if !moved.is_empty() && !self.args.dry_run {
                cx.store.write(|tx| tx.set_deferred_until(&moved))?;
            }
        }
        Ok(())
    }

    /// Sorts one table's deferred erasures: rows whose hold has ended become
    /// roots of the next batch; rows that are gone (or no longer mapped)
    /// are done; rows still held stay, with their hold's last day in
    /// `moved` where it is no longer what was recorded.
    fn judge_deferred(
        &mut self,
        recs: &[DeferredRow],
        roots: &mut Vec<(usize, Row, OnErase)>,
        gone: &mut Vec<(String, String)>,
        moved: &mut Vec<(String, String, Option<String>)>,
    ) -> Result<()> {
        let cx = self.cx;
        let Some(first) = recs.first() else {
            return Ok(());
        };
        let Some(ti) = cx.map.table_index(&first.table) else {
            // No longer mapped: nothing to complete.
            gone.extend(recs.iter().map(|d| (d.table.clone(), d.key.clone())));
            return Ok(());
        };
        let Some(ts) = cx.schema.table(&first.table) else {
            return Ok(());
        };
        let t = &cx.map.tables[ti];
        let hold_col = t.hold.as_ref().and_then(|h| ts.column_index(&h.after));
        // A personal key is recorded as its HMAC: found again by the HMACs
        // of the table's keys, computed once per sweep and table.
        if recs.iter().any(|d| d.key.starts_with(REF_PREFIX)) && !self.located.contains_key(&t.name)
        {
            let refs = cx.store.deferred_hashed_refs(&t.name)?;
            let found = cx.store.locate_hashed(ts, &refs)?;
            self.located.insert(t.name.clone(), found);
        }
        let keys: Vec<Option<Vec<Value>>> = recs
            .iter()
            .map(|d| match d.key.strip_prefix(REF_PREFIX) {
                Some(_) => self
                    .located
                    .get(&t.name)
                    .and_then(|m| m.get(&d.key))
                    .cloned(),
                None => key_from_text(&d.key),
            })
            .collect();
        let wanted: Vec<Vec<Value>> = keys.iter().flatten().cloned().collect();
        let mut found: HashMap<Vec<Value>, Row> = HashMap::new();
        cx.store.select(ts, &Filter::Keys(&wanted), |r| {
            found.insert(r.key.clone(), r);
        })?;
        for (d, key) in recs.iter().zip(keys) {
            let row = key.and_then(|k| found.remove(&k));
            let Some(row) = row.filter(|r| !self.skip.has(ti, &r.key)) else {
                gone.push((d.table.clone(), d.key.clone())); // the row is gone already
                continue;
            };
            let action = match d.action.as_str() {
                "delete" => OnErase::Delete,
                "anonymize" => OnErase::Anonymize,
                _ => OnErase::Keep,
            };
            let held = hold_col.and_then(|ci| planner::hold_end(t, &row.values[ci], cx.now));
            match held {
                Some(end) => {
                    let until = end.map(|e| time::last_day(e).to_string());
                    if until != d.until {
                        moved.push((d.table.clone(), d.key.clone(), until));
                    }
                }
                None => roots.push((ti, row, action)),
            }
        }
        Ok(())
    }
}
