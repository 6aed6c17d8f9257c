//! Where a restored store stands in the mirror: the mirror's lines read up
//! to the first damaged one, the store's newest record found among them by
//! its hash, and the records after it on the newest branch that grows from
//! it (DESIGN §9).

use crate::audit::mirror::{self, MirrorLine};
use crate::audit::GENESIS;
use crate::error::{io_reason, Error, Result};
use crate::store::AuditRow;
use std::collections::HashMap;
use std::path::Path;

/// The mirror, read up to its first damaged line.
pub struct Mirror {
    pub lines: Vec<MirrorLine>,
    /// The first line that is not an audit record (or is cut off), by
    /// number: nothing is replayed from it on.
    pub damaged: Option<u64>,
}

pub fn read(path: &Path) -> Result<Mirror> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Runtime(format!(
            "cannot read the tenant's audit_log {}: {}; replay needs the mirror: restore it from its own copy, or fix audit_log in the config",
            path.display(),
            io_reason(&e)
        ))
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let parts: Vec<&str> = text.split('\n').collect();
    let n = parts.len();
    let mut lines = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        let number = i as u64 + 1;
        if i + 1 == n && part.is_empty() {
            break;
        }
        // A last line without its newline was cut off: not a whole record.
        let whole = i + 1 < n;
        match mirror::parse_line(number, part).filter(|_| whole) {
            Some(m) => lines.push(m),
            None => {
                return Ok(Mirror {
                    lines,
                    damaged: Some(number),
                })
            }
        }
    }
    Ok(Mirror {
        lines,
        damaged: None,
    })
}

/// Why the store's newest record cannot be found in the mirror (exit 7).
fn not_found(path: &Path, found: String) -> Error {
    Error::ChainBroken(format!(
        "the store's audit trail is not on the mirror {}: {found}; nothing was replayed; check that the config names this tenant's store and audit_log",
        path.display()
    ))
}

/// The records after `tip` (the store's newest record's hash, or GENESIS
/// for a store without a trail) on the mirror's newest branch that grows
/// from it, oldest first. `store_rows` are the store's records, to say
/// what went wrong when the tip is not in the mirror.
pub fn after<'m>(
    path: &Path,
    m: &'m Mirror,
    tip: Option<&AuditRow>,
    store_rows: &[AuditRow],
) -> Result<Vec<&'m MirrorLine>> {
    let from = resume_point(store_rows, tip);
    let own: Vec<&str> = store_rows
        .iter()
        .filter(|r| from.is_none_or(|f| r.seq > f.seq))
        .map(|r| r.hash.as_str())
        .collect();
    check_tip(path, m, tip, store_rows)?;
    Ok(branch_from(m, from, &own))
}

/// Where the branch to replay starts: the store's newest record, or, when
/// that is a replay that did not finish (no closing record with outcome
/// ok), the record that replay started from, so that a replay run again
/// carries on with the erasures it had not reached.
pub fn resume_point<'r>(rows: &'r [AuditRow], tip: Option<&'r AuditRow>) -> Option<&'r AuditRow> {
    let tip = tip?;
    let Some(mut at) = rows.iter().rposition(|r| r.hash == tip.hash) else {
        return Some(tip);
    };
    while rows[at].command == "replay" && !closing_ok(&rows[at]) {
        if at == 0 {
            return None;
        }
        at -= 1;
    }
    Some(&rows[at])
}

fn closing_ok(r: &AuditRow) -> bool {
    r.outcome == "ok"
        && serde_json::from_str::<serde_json::Value>(&r.details).is_ok_and(|d| d["summary"] == true)
}

/// The store's newest record must be in the mirror (exit 7 otherwise).
fn check_tip(
    path: &Path,
    m: &Mirror,
    tip: Option<&AuditRow>,
    store_rows: &[AuditRow],
) -> Result<()> {
    let target = tip.map_or(GENESIS, |t| t.hash.as_str());
    let has_child: HashMap<&str, bool> = m
        .lines
        .iter()
        .map(|l| (l.prev_hash.as_str(), true))
        .collect();
    let by_hash: HashMap<&str, &MirrorLine> =
        m.lines.iter().map(|l| (l.hash.as_str(), l)).collect();
    if let Some(t) = tip {
        if !by_hash.contains_key(target) {
            let known = store_rows
                .iter()
                .rev()
                .find(|r| by_hash.contains_key(r.hash.as_str()));
            let damaged = m
                .damaged
                .map(|n| format!(" (the mirror is read only up to its damaged line {n})"))
                .unwrap_or_default();
            return Err(match known {
                None => not_found(path, format!("no record of the store is in the mirror{damaged}: it is another tenant's mirror, or the store's history is not the mirror's")),
                Some(k) if !has_child.contains_key(k.hash.as_str()) => not_found(path, format!("the store is newer than the mirror: its records after {} are not in the mirror{damaged}; a command that records (e.g. `dsr extract`) brings the mirror up to date when nothing was restored", k.seq)),
                Some(k) => not_found(path, format!("the store's history forked from the mirror's after record {}: the store's records {} to {} are on neither branch of the mirror (records written to the restored store before a replay?)", k.seq, k.seq + 1, t.seq)),
            });
        }
    }
    Ok(())
}

/// The records after `from` (GENESIS when None) on the newest branch of
/// the mirror that grows from it and does not end in one of `own` (the
/// store's records after `from`: a replay's own branch).
fn branch_from<'m>(m: &'m Mirror, from: Option<&AuditRow>, own: &[&str]) -> Vec<&'m MirrorLine> {
    let mut by_hash: HashMap<&str, &MirrorLine> = HashMap::new();
    let mut has_child: HashMap<&str, bool> = HashMap::new();
    for l in &m.lines {
        by_hash.entry(l.hash.as_str()).or_insert(l);
        has_child.insert(l.prev_hash.as_str(), true);
    }
    let target = from.map_or(GENESIS, |t| t.hash.as_str());
    // The newest line that is a leaf and descends from the target.
    for leaf in m.lines.iter().rev() {
        if has_child.contains_key(leaf.hash.as_str()) || own.contains(&leaf.hash.as_str()) {
            continue;
        }
        let mut path_back = Vec::new();
        let mut at = leaf;
        let reached = loop {
            if at.hash == target {
                break true;
            }
            path_back.push(at);
            if at.prev_hash == target {
                break true;
            }
            match by_hash.get(at.prev_hash.as_str()) {
                Some(p) if path_back.len() <= m.lines.len() => at = p,
                _ => break false,
            }
        };
        if reached {
            path_back.reverse();
            return path_back;
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: u64, seq: i64, prev: &str, hash: &str) -> MirrorLine {
        MirrorLine {
            line: n,
            seq,
            hash: hash.into(),
            prev_hash: prev.into(),
            value: serde_json::json!({}),
        }
    }

    fn row(seq: i64, hash: &str) -> AuditRow {
        AuditRow {
            seq,
            at: String::new(),
            operator: String::new(),
            command: "erase".into(),
            request: None,
            subject: None,
            outcome: "ok".into(),
            details: "{}".into(),
            prev_hash: String::new(),
            hash: hash.into(),
        }
    }

    fn seqs(v: &[&MirrorLine]) -> Vec<u64> {
        v.iter().map(|l| l.line).collect()
    }

    #[test]
    fn the_newest_branch_from_the_store_s_tip_is_taken() {
        // 1 - 2 - 3 (the old branch), 1 - 2' (replayed, written later)
        let m = Mirror {
            lines: vec![
                line(1, 1, GENESIS, "a"),
                line(2, 2, "a", "b"),
                line(3, 3, "b", "c"),
                line(4, 2, "a", "b2"),
            ],
            damaged: None,
        };
        let p = Path::new("m");
        let a = row(1, "a");
        assert_eq!(seqs(&after(p, &m, Some(&a), &[]).expect("a")), vec![4]);
        let b = row(2, "b");
        assert_eq!(seqs(&after(p, &m, Some(&b), &[]).expect("b")), vec![3]);
        let c = row(3, "c");
        assert!(after(p, &m, Some(&c), &[]).expect("c").is_empty());
        assert_eq!(seqs(&after(p, &m, None, &[]).expect("genesis")), vec![1, 4]);
        let Err(e) = after(p, &m, Some(&row(9, "z")), &[]) else {
            panic!("unknown: no error");
        };
        assert!(e.to_string().contains("another tenant"), "{e}");
        let Err(e) = after(p, &m, Some(&row(4, "d")), &[c.clone(), row(4, "d")]) else {
            panic!("newer: no error");
        };
        assert!(e.to_string().contains("newer than the mirror"), "{e}");
        let Err(e) = after(p, &m, Some(&row(3, "x")), &[a, b, row(3, "x")]) else {
            panic!("forked: no error");
        };
        assert!(e.to_string().contains("forked"), "{e}");
    }

    #[test]
    fn an_unfinished_replay_resumes_from_where_it_started() {
        let mut closing = row(4, "d");
        closing.command = "replay".into();
        closing.details = r#"{"summary":true}"#.into();
        let mut one = row(3, "c");
        one.command = "replay".into();
        let rows = [row(1, "a"), row(2, "b"), one.clone(), closing.clone()];
        let at = |tip: &AuditRow| resume_point(&rows, Some(tip)).map(|r| r.seq);
        // Finished: the closing record is where a later branch starts.
        assert_eq!(at(&closing), Some(4));
        // Stopped after one erasure, or closed as failed: from record 2.
        assert_eq!(at(&one), Some(2));
        let mut failed = closing.clone();
        failed.outcome = "failed".into();
        let rows = [row(1, "a"), row(2, "b"), one.clone(), failed.clone()];
        assert_eq!(resume_point(&rows, Some(&failed)).map(|r| r.seq), Some(2));
        // A store restored from before dsr's first record: from the start.
        let rows = [one.clone()];
        assert_eq!(resume_point(&rows, Some(&one)).map(|r| r.seq), None);
        assert_eq!(resume_point(&rows, None).map(|r| r.seq), None);
    }

    #[test]
    fn reading_stops_at_a_damaged_or_cut_off_line() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("m.jsonl");
        let ok = format!(r#"{{"seq":1,"hash":"a","prev_hash":"{GENESIS}"}}"#);
        std::fs::write(&p, format!("{ok}\nnot json\n{ok}\n")).expect("write");
        let m = read(&p).expect("read");
        assert_eq!((m.lines.len(), m.damaged), (1, Some(2)));
        std::fs::write(&p, format!("{ok}\n{ok}")).expect("write");
        let m = read(&p).expect("read");
        assert_eq!((m.lines.len(), m.damaged), (1, Some(2)));
        std::fs::write(&p, format!("{ok}\n")).expect("write");
        let m = read(&p).expect("read");
        assert_eq!((m.lines.len(), m.damaged), (1, None));
    }
}
