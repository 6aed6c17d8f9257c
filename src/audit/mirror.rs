//! The JSONL mirror (`audit_log`, DESIGN §4): every record also written, as
//! one line, to a file that is meant to live on another system.
//!
//! What it guarantees: a record reaches the mirror after its transaction
//! commits, never before; a command killed between the two leaves the
//! mirror behind (a prefix of the store's chain), and the next command's
//! append first writes every committed record the mirror lacks (catch-up),
//! under an exclusive lock on the file, so that concurrent commands never
//! write a record twice or out of order. A mirror whose newest record the
//! store does not have (or has differently) means the store was cut back or
//! rewritten: every command refuses (exit 7) until `audit repair`. Lines
//! carry `prev_hash`, so a mirror may hold branches (a repair after a cut,
//! later a restore, DESIGN §9) and is compared by hash, not by position.

use super::{row_json, Tip, GENESIS};
use crate::error::{io_reason, Error, Result};
use crate::store::{AuditItem, AuditRow, Store};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The chain fields of one mirror line.
#[derive(Debug, Clone)]
pub struct MirrorLine {
    /// 1-based line number in the file.
    pub line: u64,
    pub seq: i64,
    pub hash: String,
    pub prev_hash: String,
    pub value: serde_json::Value,
}

pub(crate) fn parse_line(line: u64, text: &str) -> Option<MirrorLine> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(MirrorLine {
        line,
        seq: value.get("seq")?.as_i64()?,
        hash: value.get("hash")?.as_str()?.to_string(),
        prev_hash: value.get("prev_hash")?.as_str()?.to_string(),
        value,
    })
}

/// The newest complete line, and where an incomplete last line (a write
/// cut off by a crash or a full disk) begins, if there is one.
fn tail(f: &mut File) -> std::io::Result<(Option<String>, Option<u64>)> {
    let len = f.metadata()?.len();
    let mut pos = len;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let nls: Vec<usize> = buf
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .collect();
        if let Some(&last) = nls.last() {
            let torn = (last + 1 < buf.len()).then(|| pos + last as u64 + 1);
            if nls.len() >= 2 || pos == 0 {
                let start = if nls.len() >= 2 {
                    nls[nls.len() - 2] + 1
                } else {
                    0
                };
                let line = String::from_utf8_lossy(&buf[start..last]).into_owned();
                return Ok((Some(line), torn));
            }
        } else if pos == 0 {
            return Ok((None, (!buf.is_empty()).then_some(0)));
        }
        let step = pos.min(8192);
        pos -= step;
        let mut chunk = vec![0u8; step as usize];
        f.seek(SeekFrom::Start(pos))?;
        f.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
    }
}

fn refusal(path: &Path, found: String) -> Error {
    Error::ChainBroken(format!(
        "the audit trail does not match its mirror {}: {found}: the store was cut back or rewritten; nothing was changed or released; run `dsr audit verify --mirror {}`, and after investigating `dsr audit repair --reason TEXT`",
        path.display(),
        path.display()
    ))
}

/// Where the mirror stands against the store's checked tip: `Ok(Some(s))`
/// when it is behind and lacks the records after seq `s`, `Ok(None)` when
/// it is up to date, `Err` (exit 7) when the store lacks its newest record.
fn compare_tail(
    store: &Store,
    path: &Path,
    last: Option<&str>,
    tip: Option<&Tip>,
) -> Result<Option<i64>> {
    let Some(text) = last else {
        return Ok(tip.map(|_| 0));
    };
    let Some(m) = parse_line(0, text) else {
        eprintln!(
            "dsr: warning: the last line of the audit log {} is not an audit record; it was not compared with the store",
            path.display()
        );
        return Ok(None);
    };
    let Some(tip) = tip else {
        return Err(refusal(
            path,
            format!(
                "the mirror's newest record is {}, but the store's trail has no records",
                m.seq
            ),
        ));
    };
    if m.seq > tip.seq {
        return Err(refusal(path, format!("the mirror's newest record is {}, but the store's trail ends at record {}: the store's newest records were removed", m.seq, tip.seq)));
    }
    match store.audit_item(m.seq)? {
        Some(AuditItem::Row(r)) if r.hash == m.hash => {
            Ok((m.seq < tip.seq).then_some(m.seq))
        }
        _ => Err(refusal(
            path,
            format!(
                "the store's record {} is not the mirror's newest record {} (its hash differs): the record was rewritten",
                m.seq, m.seq
            ),
        )),
    }
}

/// The mirror's newest complete line, read (under a shared lock) for the
/// check before a command reads personal data: `Some(None)` for an empty
/// or missing mirror, `None` when it cannot be read (warned about; the
/// mirror is then left unchecked).
pub fn newest_line(path: &Path) -> Option<Option<String>> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(None),
        Err(e) => {
            warn_unreadable(path, &e);
            return None;
        }
    };
    let _ = f.lock_shared();
    match tail(&mut f) {
        Ok((last, _)) => Some(last),
        Err(e) => {
            warn_unreadable(path, &e);
            None
        }
    }
}

/// The read-only form of the check: the mirror's newest line (read before
/// the store's snapshot, so that a command appending meanwhile makes the
/// mirror look behind, never ahead) against the store's tip.
pub fn check_against(
    store: &Store,
    path: &Path,
    newest: Option<&str>,
    tip: Option<&Tip>,
) -> Result<()> {
    compare_tail(store, path, newest, tip).map(|_| ())
}

fn warn_unreadable(path: &Path, e: &std::io::Error) {
    eprintln!(
        "dsr: warning: the audit log {} cannot be read ({}); it was not compared with the store",
        path.display(),
        io_reason(e)
    );
}

fn open_locked(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o.open(path)?;
    f.lock()?;
    Ok(f)
}

/// Drops an incomplete last line: it was never a record, and the record it
/// began is still in the store, to be written whole.
fn drop_torn(f: &File, torn: Option<u64>) -> std::io::Result<()> {
    match torn {
        Some(at) => f.set_len(at),
        None => Ok(()),
    }
}

fn write_rows(f: &mut File, rows: &[AuditRow]) -> std::io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut buf = String::new();
    for r in rows {
        buf.push_str(&row_json(r).to_string());
        buf.push('\n');
    }
    f.write_all(buf.as_bytes())?;
    f.sync_data()
}

/// Before an append: writes every committed record the mirror lacks, or
/// refuses (exit 7) when the mirror is ahead of the store or differs from
/// it. A mirror that cannot be written is warned about, not fatal.
pub fn catch_up(store: &Store, path: &Path, tip: Option<&Tip>) -> Result<()> {
    let mut f = match open_locked(path) {
        Ok(f) => f,
        Err(e) => {
            warn_unwritable(path, &e);
            return Ok(());
        }
    };
    let (last, torn) = match tail(&mut f) {
        Ok(t) => t,
        Err(e) => {
            warn_unwritable(path, &e);
            return Ok(());
        }
    };
    let Some(after) = compare_tail(store, path, last.as_deref(), tip)? else {
        return drop_torn(&f, torn).or_else(|e| {
            warn_unwritable(path, &e);
            Ok(())
        });
    };
    if let Err(e) = drop_torn(&f, torn) {
        warn_unwritable(path, &e);
        return Ok(());
    }
    // Streamed: a mirror configured late receives the whole trail.
    let mut w = std::io::BufWriter::new(&mut f);
    let mut failed: Option<std::io::Error> = None;
    store.audit_items_after(after, |i| {
        if let (AuditItem::Row(r), None) = (i, &failed) {
            if let Err(e) = writeln!(w, "{}", row_json(&r)) {
                failed = Some(e);
            }
        }
        Ok(())
    })?;
    let done = match failed {
        Some(e) => Err(e),
        None => w.flush(),
    };
    drop(w);
    if let Err(e) = done.and_then(|_| f.sync_data()) {
        warn_unwritable(path, &e);
    }
    Ok(())
}

fn warn_unwritable(path: &Path, e: &std::io::Error) {
    eprintln!(
        "dsr: warning: the audit log {} cannot be written ({}); the store keeps the records, and a later command appends them",
        path.display(),
        io_reason(e)
    );
}

/// After a commit: appends the record if the mirror ends with the record
/// before it; if another command's catch-up already wrote it, nothing.
pub fn append_committed(path: &Path, row: &AuditRow) -> std::result::Result<(), String> {
    let io = |e: std::io::Error| io_reason(&e);
    let mut f = open_locked(path).map_err(io)?;
    let (last, torn) = tail(&mut f).map_err(io)?;
    let last = last.as_deref().and_then(|t| parse_line(0, t));
    let follows = match &last {
        None => row.prev_hash == GENESIS,
        Some(m) => m.hash == row.prev_hash,
    };
    if follows {
        drop_torn(&f, torn).map_err(io)?;
        write_rows(&mut f, std::slice::from_ref(row)).map_err(io)?;
    } else if last.as_ref().is_none_or(|m| m.seq < row.seq) {
        return Err("the mirror does not end with the record before it".into());
    }
    Ok(())
}

/// A repair's record: written after the good records the mirror lacks,
/// whatever the mirror's newest line is (the repair may start a branch).
pub fn write_repair(
    store: &Store,
    path: &Path,
    last_good_seq: i64,
    row: &AuditRow,
) -> std::result::Result<(), String> {
    let io = |e: std::io::Error| io_reason(&e);
    let mut f = open_locked(path).map_err(io)?;
    let (last, torn) = tail(&mut f).map_err(io)?;
    let from = match last.as_deref().and_then(|t| parse_line(0, t)) {
        None if last.is_none() => Some(0),
        Some(m) => match store.audit_item(m.seq) {
            Ok(Some(AuditItem::Row(r))) if r.hash == m.hash && m.seq < last_good_seq => Some(m.seq),
            _ => None,
        },
        None => None,
    };
    let mut rows = Vec::new();
    if let Some(from) = from {
        store
            .audit_items_after(from, |i| {
                if let AuditItem::Row(r) = i {
                    if r.seq <= last_good_seq {
                        rows.push(r);
                    }
                }
                Ok(())
            })
            .map_err(|e| e.to_string())?;
    }
    rows.push(row.clone());
    drop_torn(&f, torn).map_err(io)?;
    write_rows(&mut f, &rows).map_err(io)
}

/// How the mirror compares with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every store record is in the mirror, and nothing more on its branch.
    Same,
    /// The mirror lacks only the store's newest records.
    Behind,
    /// The mirror holds records after the store's newest.
    CutBack,
    /// A record differs, or is missing in the middle.
    Differs,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Same => "same",
            Status::Behind => "behind",
            Status::CutBack => "cut_back",
            Status::Differs => "differs",
        }
    }
}

#[derive(Debug)]
pub struct Report {
    pub lines: u64,
    pub status: Status,
    /// Store records not (yet) in the mirror, when it is behind.
    pub behind: u64,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
}

/// Reads the whole mirror; a damaged line other than an incomplete last
/// one is exit 1 naming its line number.
pub fn read(path: &Path) -> Result<(Vec<MirrorLine>, Vec<String>)> {
    let text = std::fs::read(path).map_err(|e| {
        Error::Runtime(format!(
            "cannot read the audit log mirror {}: {}; check the path given to --mirror",
            path.display(),
            io_reason(&e)
        ))
    })?;
    let text = String::from_utf8_lossy(&text);
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let parts: Vec<&str> = text.split('\n').collect();
    let n = parts.len();
    for (i, part) in parts.into_iter().enumerate() {
        let line = i as u64 + 1;
        if i + 1 == n {
            if !part.is_empty() {
                notes.push(format!("line {line} of the mirror is incomplete (a write was cut off); the next command removes it and writes that record whole"));
            }
            break;
        }
        match parse_line(line, part) {
            Some(m) => out.push(m),
            None => {
                return Err(Error::Runtime(format!(
                    "line {line} of the audit log mirror {} is damaged (not an audit record); nothing was compared; restore the mirror from its own copy",
                    path.display()
                )))
            }
        }
    }
    Ok((out, notes))
}

fn diffs(r: &AuditRow, m: &MirrorLine) -> Vec<&'static str> {
    let v = &m.value;
    let store = row_json(r);
    [
        "seq",
        "at",
        "operator",
        "command",
        "request",
        "subject",
        "outcome",
        "details",
        "prev_hash",
        "hash",
    ]
    .into_iter()
    .filter(|k| v.get(*k).unwrap_or(&serde_json::Value::Null) != &store[*k])
    .collect()
}

fn seqs(ms: &[&MirrorLine]) -> String {
    ms.iter()
        .map(|m| format!("{} (line {})", m.seq, m.line))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compares the store's chain with the mirror record by record, by hash,
/// so that a mirror holding other branches besides the store's is told
/// from one that differs on the store's own branch.
pub fn compare(rows: &[AuditRow], lines: &[MirrorLine]) -> Report {
    let mut by_hash: HashMap<&str, usize> = HashMap::new();
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, m) in lines.iter().enumerate() {
        by_hash.entry(m.hash.as_str()).or_insert(i);
        let kids = children.entry(m.prev_hash.as_str()).or_default();
        if !kids.iter().any(|&k| lines[k].hash == m.hash) {
            kids.push(i);
        }
    }
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut cut = false;
    let mirrored: Vec<bool> = rows
        .iter()
        .map(|r| match by_hash.get(r.hash.as_str()) {
            Some(&m) => {
                let d = diffs(r, &lines[m]);
                if !d.is_empty() {
                    problems.push(format!(
                        "record {} differs from the mirror's line {}: {}",
                        r.seq,
                        lines[m].line,
                        d.join(", ")
                    ));
                }
                true
            }
            None => false,
        })
        .collect();
    let last_mirrored = mirrored.iter().rposition(|m| *m);
    for i in 0..=rows.len() {
        let prev = if i == 0 {
            GENESIS
        } else {
            rows[i - 1].hash.as_str()
        };
        let others: Vec<&MirrorLine> = children
            .get(prev)
            .map(|k| k.iter().map(|&k| &lines[k]).collect())
            .unwrap_or_default();
        let others: Vec<&MirrorLine> = others
            .into_iter()
            .filter(|m| i == rows.len() || m.hash != rows[i].hash)
            .collect();
        if others.is_empty() {
            continue;
        }
        let after = if i == 0 {
            "the start of the trail".to_string()
        } else {
            format!("record {}", rows[i - 1].seq)
        };
        if i == rows.len() {
            cut = true;
            problems.push(if rows.is_empty() {
                format!("the store holds no records, but the mirror holds record {}: the store's trail was removed", seqs(&others))
            } else {
                format!("the mirror holds record {} after the store's newest record {}: the store's newest records were removed", seqs(&others), rows[i - 1].seq)
            });
        } else if rows[i].command == "repair" {
            notes.push(format!(
                "the mirror also holds record {} after {after}, which the store does not: the break that repair record {} states",
                seqs(&others),
                rows[i].seq
            ));
        } else if rows[i].command == "replay" {
            notes.push(format!(
                "the mirror also holds record {} after {after}, which the store does not: the history before the store was restored, which replay record {} carried on from",
                seqs(&others),
                rows[i].seq
            ));
        } else {
            for m in others {
                if m.seq == rows[i].seq {
                    problems.push(format!(
                        "record {} differs from the mirror's line {}: {}",
                        rows[i].seq,
                        m.line,
                        diffs(&rows[i], m).join(", ")
                    ));
                } else {
                    problems.push(format!(
                        "after {after} the mirror's line {} holds record {}, the store record {}",
                        m.line, m.seq, rows[i].seq
                    ));
                }
            }
        }
    }
    for (i, r) in rows.iter().enumerate() {
        if !mirrored[i] && last_mirrored.is_some_and(|l| i < l) {
            problems.push(format!(
                "record {} is not in the mirror, though later records are",
                r.seq
            ));
        }
    }
    let behind = match last_mirrored {
        Some(l) => (rows.len() - l - 1) as u64,
        None => rows.len() as u64,
    };
    let status = if cut {
        Status::CutBack
    } else if !problems.is_empty() {
        Status::Differs
    } else if behind > 0 {
        Status::Behind
    } else {
        Status::Same
    };
    Report {
        lines: lines.len() as u64,
        status,
        behind: if problems.is_empty() { behind } else { 0 },
        problems,
        notes,
    }
}

/// Appends a record of a replay after a restore, whose chain branches off
/// the mirror's newest line (DESIGN §9): the caller has checked that the
/// mirror holds the record it chains on.
pub fn append_branch(path: &Path, row: &AuditRow) -> std::result::Result<(), String> {
    let io = |e: std::io::Error| io_reason(&e);
    let mut f = open_locked(path).map_err(io)?;
    let (_, torn) = tail(&mut f).map_err(io)?;
    drop_torn(&f, torn).map_err(io)?;
    write_rows(&mut f, std::slice::from_ref(row)).map_err(io)
}
