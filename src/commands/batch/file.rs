//! Reading a batch file (DESIGN §8): a CSV with the header
//! `request,kind,subject`, one request a line. A line that cannot be carried
//! out as written is kept as [`Bad`] with its line number (the header is
//! line 1) and never guessed at.

use crate::error::{Error, Result};
use std::path::Path;

/// The command a line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Extract,
    Export,
    Erase,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Extract => "extract",
            Kind::Export => "export",
            Kind::Erase => "erase",
        }
    }
}

/// A line as written: its request id, command and subjects (`KIND:VALUE`).
#[derive(Debug, Clone)]
pub struct Line {
    pub line: u64,
    pub request: String,
    pub kind: Kind,
    pub subjects: Vec<String>,
}

/// A line that cannot be carried out as written, and why (no identifier in
/// the reason: only the line number and the field).
#[derive(Debug, Clone)]
pub struct Bad {
    pub line: u64,
    pub request: String,
    pub kind: String,
    pub reason: String,
}

pub enum Entry {
    Good(Line),
    Bad(Bad),
}

/// A request id names the line's output file (`REQUEST.json`), so it is
/// kept to letters, digits, `.`, `_` and `-`, not starting with a dot.
fn valid_request(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Reads the file: exit 2 when it cannot be read or its header is not
/// `request,kind,subject`; every other problem is a bad line.
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    let unreadable = |why: String| {
        Error::Usage(format!(
            "the batch file {} cannot be read: {why}; give a CSV file with the header request,kind,subject",
            path.display()
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(crate::error::io_reason(&e)))?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    let header: Vec<String> = r
        .headers()
        .map_err(|e| unreadable(e.to_string()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    if header != ["request", "kind", "subject"] {
        return Err(Error::Usage(format!(
            "{}:1: the header is `{}`, not `request,kind,subject`; nothing was read from the store",
            path.display(),
            header.join(",")
        )));
    }
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| unreadable(e.to_string()))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let field = |i: usize| rec.get(i).map(str::trim).unwrap_or("").to_string();
        let (request, kind, subject) = (field(0), field(1), field(2));
        let bad = |reason: String| {
            Entry::Bad(Bad {
                line,
                request: request.clone(),
                kind: kind.clone(),
                reason,
            })
        };
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let entry = if rec.len() != 3 {
            bad(format!(
                "{} fields, not 3 (request,kind,subject)",
                rec.len()
            ))
        } else if !valid_request(&request) {
            bad("the request id is missing or not made of letters, digits, '.', '_' and '-' (at most 64)".into())
        } else if seen.contains(&request) {
            bad(format!(
                "request {request} was already used by an earlier line"
            ))
        } else {
            seen.push(request.clone());
            let k = match kind.as_str() {
                "extract" => Some(Kind::Extract),
                "export" => Some(Kind::Export),
                "erase" => Some(Kind::Erase),
                _ => None,
            };
            let subjects: Vec<String> = subject
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            match k {
                None => bad("the kind is not extract, export or erase".into()),
                Some(_) if subjects.is_empty() => {
                    bad("the subject is missing (KIND:VALUE, several separated by ;)".into())
                }
                Some(kind) => Entry::Good(Line {
                    line,
                    request: request.clone(),
                    kind,
                    subjects,
                }),
            }
        };
        out.push(entry);
    }
    Ok(out)
}
