//! `audit verify`: the chain walked record by record, with the key where
//! the trail is keyed, and with the breaks that `audit repair` has stated.
//!
//! A repair record (command `repair`) accepts a break only as it was found:
//! it names the last good record (seq and hash), chains on from it, and
//! holds the SHA-256 of every stored record after it as they were
//! (`region_sha256`), so that the break stays visible for ever and any
//! later change to the broken records is a new, unrepaired break.

use super::{chain_hash, key_mark, need_key, AuditKey, GENESIS};
use crate::error::{Error, Result};
use crate::map::hex;
use crate::store::{AuditItem, AuditRow, Store};
use sha2::{Digest, Sha256};

/// A break that a repair record states.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    /// The repair record's seq.
    pub seq: i64,
    pub at: String,
    pub operator: String,
    pub reason: String,
    pub found: Vec<String>,
    pub last_good_seq: i64,
}

/// What verification found.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Holds {
        records: u64,
        repaired: Vec<Repaired>,
        keyed_since: Option<i64>,
    },
    Broken {
        records: u64,
        seq: i64,
        problem: String,
        /// What a repair would chain on from.
        last_good_seq: i64,
        last_good_hash: String,
        /// The stored records after the last good one, pinned down.
        region_records: u64,
        region_sha256: String,
        /// The first keyed record, as of the last good one.
        keyed_since: Option<i64>,
        repaired: Vec<Repaired>,
    },
}

/// One stored item as a repair pins it down.
pub fn item_digest(i: &AuditItem) -> String {
    match i {
        AuditItem::Row(r) => {
            let mut h = Sha256::new();
            h.update(super::canonical(r).as_bytes());
            h.update(b"\n");
            h.update(r.prev_hash.as_bytes());
            h.update(b"\n");
            h.update(r.hash.as_bytes());
            hex(&h.finalize())
        }
        AuditItem::Malformed { digest, .. } => digest.clone(),
    }
}

pub fn region_digest(digests: &[String]) -> String {
    let mut h = Sha256::new();
    for d in digests {
        h.update(d.as_bytes());
        h.update(b"\n");
    }
    hex(&h.finalize())
}

struct Break {
    seq: i64,
    problem: String,
    good_seq: i64,
    good_hash: String,
    keyed: Option<(i64, String)>,
    region: Vec<String>,
}

/// The chain walk itself, item by item in stored order.
pub(crate) struct Walk<'k> {
    key: Option<&'k AuditKey>,
    expect_seq: i64,
    prev: String,
    keyed: Option<(i64, String)>,
    count: u64,
    max_seq: i64,
    broken: Option<Break>,
    repaired: Vec<Repaired>,
    fatal: Option<Error>,
}

fn repaired_of(r: &AuditRow, d: &serde_json::Value) -> Repaired {
    Repaired {
        seq: r.seq,
        at: r.at.clone(),
        operator: r.operator.clone(),
        reason: d["reason"].as_str().unwrap_or_default().to_string(),
        found: d["found"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        last_good_seq: d["last_good_seq"].as_i64().unwrap_or(0),
    }
}

impl<'k> Walk<'k> {
    pub(crate) fn new(key: Option<&'k AuditKey>) -> Walk<'k> {
        Walk {
            key,
            expect_seq: 1,
            prev: GENESIS.to_string(),
            keyed: None,
            count: 0,
            max_seq: 0,
            broken: None,
            repaired: Vec::new(),
            fatal: None,
        }
    }

    /// The key `r` is hashed under, given the state before it; `Err` when
    /// it is keyed and the key is missing or another.
    fn key_for(&self, keyed: &Option<(i64, String)>, r: &AuditRow) -> Result<Option<&'k AuditKey>> {
        match (keyed, key_mark(&r.details)) {
            (Some((s, id)), _) => need_key(self.key, *s, id).map(Some),
            (None, Some(id)) => need_key(self.key, r.seq, &id).map(Some),
            (None, None) => Ok(None),
        }
    }

    fn hash_ok(&mut self, keyed: &Option<(i64, String)>, r: &AuditRow) -> bool {
        match self.key_for(keyed, r) {
            Ok(k) => chain_hash(k, &r.prev_hash, r) == r.hash,
            Err(e) => {
                self.fatal.get_or_insert(e);
                false
            }
        }
    }

    fn advance(&mut self, r: &AuditRow) {
        self.expect_seq = r.seq + 1;
        self.prev = r.hash.clone();
        if self.keyed.is_none() {
            if let Some(id) = key_mark(&r.details) {
                self.keyed = Some((r.seq, id));
            }
        }
    }

    /// Whether `r` is a repair record that states exactly this break.
    fn states(&mut self, r: &AuditRow, b: &Break) -> bool {
        if r.command != "repair" || r.seq <= self.max_seq || r.prev_hash != b.good_hash {
            return false;
        }
        let Ok(d) = serde_json::from_str::<serde_json::Value>(&r.details) else {
            return false;
        };
        let fits = d["last_good_seq"].as_i64() == Some(b.good_seq)
            && d["last_good_hash"].as_str() == Some(b.good_hash.as_str())
            && d["region_records"].as_u64() == Some(b.region.len() as u64)
            && d["region_sha256"].as_str() == Some(region_digest(&b.region).as_str());
        let keyed = b.keyed.clone();
        if fits && self.hash_ok(&keyed, r) {
            self.repaired.push(repaired_of(r, &d));
            true
        } else {
            false
        }
    }

    pub(crate) fn step(&mut self, item: &AuditItem) {
        self.count += 1;
        if self.fatal.is_some() {
            return;
        }
        if let Some(b) = self.broken.take() {
            if let AuditItem::Row(r) = item {
                if self.states(r, &b) {
                    self.keyed = b.keyed.clone();
                    self.advance(r);
                    self.max_seq = r.seq;
                    return;
                }
            }
            let mut b = b;
            b.region.push(item_digest(item));
            self.broken = Some(b);
            self.max_seq = self.max_seq.max(item.seq());
            return;
        }
        let r = match item {
            AuditItem::Malformed { seq, problem, .. } => {
                self.start_break(*seq, problem.clone(), item);
                return;
            }
            AuditItem::Row(r) => r,
        };
        let e = self.expect_seq;
        let keyed = self.keyed.clone();
        let problem = if r.seq > e {
            Some((
                e,
                format!(
                    "record {e} is missing (the next stored record is {})",
                    r.seq
                ),
            ))
        } else if r.seq < e {
            Some((
                r.seq,
                format!("record {} is out of order or repeated", r.seq),
            ))
        } else if r.prev_hash != self.prev {
            Some((r.seq, format!("record {} does not follow record {}: its prev_hash differs (a record was removed, reordered or changed)", r.seq, r.seq - 1)))
        } else if !self.hash_ok(&keyed, r) {
            Some((
                r.seq,
                format!(
                    "record {} has been changed: its hash does not match its contents{}",
                    r.seq,
                    if keyed.is_some() || key_mark(&r.details).is_some() {
                        " under the audit key (was the chain rebuilt without it?)"
                    } else {
                        ""
                    }
                ),
            ))
        } else {
            None
        };
        match problem {
            None => {
                if r.command == "repair" {
                    // A repair of a break the walk cannot see itself (the
                    // head, the secret, the mirror): reported as repaired.
                    if let Ok(d) = serde_json::from_str::<serde_json::Value>(&r.details) {
                        self.repaired.push(repaired_of(r, &d));
                    }
                }
                self.advance(r);
                self.max_seq = r.seq;
            }
            Some((seq, problem)) => {
                // A repair straight after a gap (removed newest records).
                let b = Break {
                    seq,
                    problem: problem.clone(),
                    good_seq: self.expect_seq - 1,
                    good_hash: self.prev.clone(),
                    keyed: self.keyed.clone(),
                    region: vec![],
                };
                if self.fatal.is_none() && self.states(r, &b) {
                    self.advance(r);
                    self.max_seq = r.seq;
                    return;
                }
                self.start_break(seq, problem, item);
            }
        }
    }

    fn start_break(&mut self, seq: i64, problem: String, item: &AuditItem) {
        self.broken = Some(Break {
            seq,
            problem,
            good_seq: self.expect_seq - 1,
            good_hash: self.prev.clone(),
            keyed: self.keyed.clone(),
            region: vec![item_digest(item)],
        });
        self.max_seq = self.max_seq.max(item.seq());
    }

    /// Ends the walk against what `_dsr_meta` says (the head, the first
    /// keyed record, whether the secret exists).
    pub(crate) fn finish(self, meta: &MetaFacts) -> Result<Verdict> {
        if let Some(e) = self.fatal {
            return Err(e);
        }
        let records = self.count;
        let last = self.expect_seq - 1;
        let broken = |seq: i64, problem: String, s: Walk<'_>| Verdict::Broken {
            records,
            seq,
            problem,
            last_good_seq: last,
            last_good_hash: s.prev.clone(),
            region_records: 0,
            region_sha256: region_digest(&[]),
            keyed_since: s.keyed.as_ref().map(|(k, _)| *k),
            repaired: s.repaired,
        };
        if let Some(b) = self.broken {
            return Ok(Verdict::Broken {
                records,
                seq: b.seq,
                problem: b.problem,
                last_good_seq: b.good_seq,
                last_good_hash: b.good_hash,
                region_records: b.region.len() as u64,
                region_sha256: region_digest(&b.region),
                keyed_since: b.keyed.as_ref().map(|(k, _)| *k),
                repaired: self.repaired,
            });
        }
        let tail = format!("{last}:{}", self.prev);
        match &meta.head {
            Some(h) if *h != tail => {
                let seq = h
                    .split(':')
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(last + 1);
                let p = if seq > last {
                    format!("the newest record should be {seq} (as _dsr_meta.audit_head records), but the trail ends at {last}: records were removed")
                } else {
                    format!("_dsr_meta.audit_head names record {seq}, but the trail ends at {last} with another hash: the head or the newest records were rewritten")
                };
                return Ok(broken(seq.max(1), p, self));
            }
            None if records > 0 => {
                let p = if meta.has_meta {
                    "_dsr_meta.audit_head is missing, though the trail has records"
                } else {
                    "the table _dsr_meta (the head and the tenant secret) is gone, though the trail has records"
                };
                return Ok(broken(last.max(1), p.into(), self));
            }
            _ => {}
        }
        if records > 0 && !meta.secret {
            return Ok(broken(
                last,
                "the tenant secret is missing from _dsr_meta, though the trail has records".into(),
                self,
            ));
        }
        match (&meta.keyed_since, &self.keyed) {
            (Some((s, _)), None) => {
                return Ok(broken(*s, format!("_dsr_meta says the chain is keyed from record {s} on, but no record carries the key's mark: the chain was rebuilt without the key"), self));
            }
            (Some((s, _)), Some((k, _))) if s != k => {
                return Ok(broken(*s.min(k), format!("_dsr_meta says the chain is keyed from record {s} on, but the key's mark is on record {k}"), self));
            }
            _ => {}
        }
        if let (Some(k), None, true) = (self.key, &self.keyed, records > 0) {
            return Ok(broken(last, format!("audit_key_file {} is configured, but no record of the trail is keyed by it: the chain was rebuilt without the key, or no command has run since the key was configured (the next command's record is the first keyed one)", k.path.display()), self));
        }
        Ok(Verdict::Holds {
            records,
            keyed_since: self.keyed.as_ref().map(|(s, _)| *s),
            repaired: self.repaired,
        })
    }
}

/// What `_dsr_meta` says about the trail.
#[derive(Debug, Default)]
pub(crate) struct MetaFacts {
    pub has_meta: bool,
    pub head: Option<String>,
    pub secret: bool,
    pub keyed_since: Option<(i64, String)>,
}

pub(crate) fn meta_facts(store: &Store) -> Result<MetaFacts> {
    let f = store.trail_facts()?;
    Ok(MetaFacts {
        has_meta: f.has_meta,
        head: f.head,
        secret: f.secret,
        keyed_since: super::keyed_since(store)?,
    })
}

/// Walks the chain in stored order and names the first record that does
/// not fit; a keyed trail needs the key (exit 2 without it).
pub fn verify(store: &Store, key: Option<&AuditKey>) -> Result<Verdict> {
    store.read(|s| {
        let mut walk = Walk::new(key);
        s.audit_items(|i| {
            walk.step(&i);
            Ok(())
        })?;
        walk.finish(&meta_facts(s)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record_hash;

    fn chain(n: i64) -> Vec<AuditRow> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut r = AuditRow {
                    seq,
                    at: format!("2026-11-22T10:00:{seq:02}Z"),
                    operator: "ops".into(),
                    command: "extract".into(),
                    request: Some(format!("REQ-{seq}")),
                    subject: Some("hmac-sha256:ab".into()),
                    outcome: "ok".into(),
                    details: format!("{{\"n\":{seq}}}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = record_hash(&r.prev_hash, &r);
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn meta(rows: &[AuditRow]) -> MetaFacts {
        MetaFacts {
            has_meta: true,
            head: rows.last().map(|r| format!("{}:{}", r.seq, r.hash)),
            secret: true,
            keyed_since: None,
        }
    }

    /// Runs the real walk; `meta` is what _dsr_meta says of the untouched chain.
    fn first_bad(rows: &[AuditRow], meta: &MetaFacts) -> Option<i64> {
        let mut w = Walk::new(None);
        rows.iter().for_each(|r| w.step(&AuditItem::Row(r.clone())));
        match w.finish(meta).expect("unkeyed") {
            Verdict::Holds { .. } => None,
            Verdict::Broken { seq, .. } => Some(seq),
        }
    }

    #[test]
    fn an_untouched_chain_holds() {
        let c = chain(6);
        assert_eq!(first_bad(&c, &meta(&c)), None);
        assert_eq!(first_bad(&[], &meta(&[])), None);
    }

    #[test]
    fn every_single_field_edit_is_seen() {
        let base = chain(6);
        for i in 0..base.len() {
            let edits: [fn(&mut AuditRow); 9] = [
                |r| r.at.push('0'),
                |r| r.operator = "mallory".into(),
                |r| r.command = "erase".into(),
                |r| r.request = None,
                |r| r.subject = Some("hmac-sha256:cd".into()),
                |r| r.outcome = "error".into(),
                |r| r.details = "{\"n\":99}".into(),
                |r| r.prev_hash = GENESIS.replace('0', "1"),
                |r| r.hash = GENESIS.into(),
            ];
            for edit in edits {
                let mut rows = base.clone();
                edit(&mut rows[i]);
                assert_eq!(
                    first_bad(&rows, &meta(&base)),
                    Some(i as i64 + 1),
                    "edit of record {}",
                    i + 1
                );
            }
        }
    }

    #[test]
    fn every_removal_and_swap_is_seen() {
        let base = chain(6);
        for i in 0..base.len() {
            let mut rows = base.clone();
            rows.remove(i);
            assert_eq!(
                first_bad(&rows, &meta(&base)),
                Some(i as i64 + 1),
                "removal of {}",
                i + 1
            );
            if i + 1 == base.len() {
                continue;
            }
            let mut rows = base.clone();
            rows.swap(i, i + 1);
            assert_eq!(
                first_bad(&rows, &meta(&base)),
                Some(i as i64 + 1),
                "swap of {} and {}",
                i + 1,
                i + 2
            );
        }
    }

    fn repair_for(v: &Verdict, seq: i64) -> AuditRow {
        let Verdict::Broken {
            last_good_seq,
            last_good_hash,
            region_records,
            region_sha256,
            ..
        } = v
        else {
            panic!("not broken")
        };
        let mut r = AuditRow {
            seq,
            at: "2026-11-23T10:00:00Z".into(),
            operator: "ops".into(),
            command: "repair".into(),
            request: None,
            subject: None,
            outcome: "repaired".into(),
            details: serde_json::json!({
                "reason": "investigated", "found": ["x"], "last_good_seq": last_good_seq,
                "last_good_hash": last_good_hash, "region_records": region_records,
                "region_sha256": region_sha256,
            })
            .to_string(),
            prev_hash: last_good_hash.clone(),
            hash: String::new(),
        };
        r.hash = record_hash(&r.prev_hash, &r);
        r
    }

    fn walk(rows: &[AuditRow], m: &MetaFacts) -> Verdict {
        let mut w = Walk::new(None);
        rows.iter().for_each(|r| w.step(&AuditItem::Row(r.clone())));
        w.finish(m).expect("unkeyed")
    }

    #[test]
    fn a_repair_states_its_break_and_only_that_one() {
        let base = chain(6);
        let mut rows = base.clone();
        rows[2].operator = "mallory".into();
        let v = walk(&rows, &meta(&base));
        let rep = repair_for(&v, 7);
        rows.push(rep.clone());
        let m = meta(&rows);
        match walk(&rows, &m) {
            Verdict::Holds { repaired, .. } => {
                assert_eq!(repaired.len(), 1);
                assert_eq!(repaired[0].last_good_seq, 2);
            }
            v => panic!("{v:?}"),
        }
        // A further change inside the repaired region is a new break.
        let mut again = rows.clone();
        again[4].operator = "eve".into();
        assert_eq!(first_bad(&again, &m), Some(3));
        // Removed newest records, then a repair straight after the gap.
        let mut cut = base[..4].to_vec();
        let v = walk(&cut, &meta(&base));
        assert!(matches!(v, Verdict::Broken { seq: 6, .. }), "{v:?}");
        cut.push(repair_for(&v, 7));
        assert!(matches!(walk(&cut, &meta(&cut)), Verdict::Holds { .. }));
    }
}
