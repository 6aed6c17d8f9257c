//! `dsr audit log` (support's questions: whose data, which request, which
//! operator) and `dsr audit operators` (who has had access).

use super::super::{print_json, status};
use crate::audit::{self, COMMANDS};
use crate::config::{Globals, Tenant};
use crate::error::{stdout_error, Error, ExitCode, Result};
use crate::store::{AuditRow, Store};
use crate::{graph, map, time};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;

/// At most this many identifiers in `--subject` (their combinations are tried).
const MAX_SUBJECT_IDS: usize = 10;

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Only records at or after this time (YYYY-MM-DD or an ISO date-time)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only records of this command (extract, erase, export, sweep, repair, replay)
    #[arg(long, value_name = "C")]
    pub command: Option<String>,
    /// Only records about this data subject (KIND:VALUE, as the commands take it; needs the map)
    #[arg(long, value_name = "SUBJECT", num_args = 1..)]
    pub subject: Vec<String>,
    // `--request ID` and `--operator NAME` (only records of that request,
    // of that operator) are the global options given on this command line
    // (not from DSR_REQUEST / DSR_OPERATOR): see `Globals::filter_flags`.
    /// Only the newest N of the matching records (still listed oldest first)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

/// One line of a record's details for people: counts per table.
fn summary(r: &AuditRow) -> String {
    let d: serde_json::Value = serde_json::from_str(&r.details).unwrap_or_default();
    let mut parts = Vec::new();
    if d.get("dry_run").and_then(|v| v.as_bool()) == Some(true) {
        parts.push("dry run".to_string());
    }
    if let Some(reason) = d.get("reason").and_then(|v| v.as_str()) {
        parts.push(format!("reason: {reason}"));
    }
    if let Some(t) = d.get("tables").and_then(|t| t.as_object()) {
        for (name, v) in t {
            match v {
                serde_json::Value::Object(counts) => {
                    let c: Vec<String> = counts
                        .iter()
                        .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect();
                    if !c.is_empty() {
                        parts.push(format!("{name}: {}", c.join(", ")));
                    }
                }
                n => parts.push(format!("{name} {n}")),
            }
        }
    }
    parts.join("; ")
}

/// The subject references that records about these identifiers may carry:
/// one for every combination of them, since a command's reference is made
/// of exactly the identifiers it was given.
fn subject_refs(
    tenant: &Tenant,
    store: &Store,
    a: &LogArgs,
    today: jiff::civil::Date,
) -> Result<Option<HashSet<String>>> {
    if a.subject.is_empty() {
        return Ok(None);
    }
    let path = tenant
        .map
        .clone()
        .ok_or_else(|| Error::Usage("--subject needs the data map: pass --map PATH".into()))?;
    let m = map::load(&path)?;
    let ids = graph::parse_subjects(&m, &a.subject, today)?;
    let mut pairs: Vec<(String, String)> = ids
        .iter()
        .map(|i| (i.name.clone(), i.key.clone()))
        .collect();
    pairs.sort();
    pairs.dedup();
    if pairs.len() > MAX_SUBJECT_IDS {
        return Err(Error::Usage(format!(
            "--subject takes at most {MAX_SUBJECT_IDS} identifiers"
        )));
    }
    let Some(secret) = store.secret()? else {
        return Ok(Some(HashSet::new()));
    };
    let mut refs = HashSet::new();
    for mask in 1u32..(1 << pairs.len()) {
        let set: Vec<(String, String)> = pairs
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, p)| p.clone())
            .collect();
        refs.insert(audit::subject_ref(&secret, &set));
    }
    Ok(Some(refs))
}

/// A subject reference shortened for the table, by characters.
fn short_subject(s: &str) -> String {
    match s.strip_prefix("hmac-sha256:") {
        Some(h) if h.chars().count() > 12 => format!("{}…", h.chars().take(12).collect::<String>()),
        Some(h) => h.to_string(),
        None if s.chars().count() > 20 => format!("{}…", s.chars().take(19).collect::<String>()),
        None => s.to_string(),
    }
}

pub fn log(
    g: &Globals,
    tenant: &Tenant,
    store: &Store,
    a: &LogArgs,
    today: jiff::civil::Date,
) -> Result<ExitCode> {
    let since = match &a.since {
        Some(s) => Some(time::parse_text(s).ok_or_else(|| {
            Error::Usage(format!(
                "--since \"{s}\" is not a date; use YYYY-MM-DD or an ISO date-time"
            ))
        })?),
        None => None,
    };
    if let Some(c) = &a.command {
        if !COMMANDS.contains(&c.as_str()) {
            return Err(Error::Usage(format!(
                "--command \"{c}\" is not a command that writes audit records; use one of: {}",
                COMMANDS.join(", ")
            )));
        }
    }
    let refs = subject_refs(tenant, store, a, today)?;
    let by = g
        .operator
        .as_deref()
        .filter(|_| g.operator_flag)
        .map(str::trim);
    let request = g.request.as_deref().filter(|_| g.request_flag);
    let mut rows = Vec::new();
    store.audit_records(|r| {
        let keep = since.is_none_or(|s| time::parse_text(&r.at).is_some_and(|at| at >= s))
            && a.command.as_ref().is_none_or(|c| &r.command == c)
            && request.is_none_or(|q| r.request.as_deref() == Some(q))
            && by.is_none_or(|o| r.operator == o)
            && refs
                .as_ref()
                .is_none_or(|set| r.subject.as_ref().is_some_and(|s| set.contains(s)));
        if keep {
            rows.push(r);
        }
        Ok(())
    })?;
    if let Some(n) = a.limit {
        let n = n as usize;
        if rows.len() > n {
            rows.drain(..rows.len() - n);
        }
    }
    if g.json {
        let records: Vec<_> = rows.iter().map(audit::row_json).collect();
        print_json(&json!({ "schema": "dsr.audit-log/1", "records": records }))?;
        return Ok(ExitCode::Ok);
    }
    let out = std::io::stdout();
    let mut w = std::io::BufWriter::new(out.lock());
    let mut write = || -> std::io::Result<()> {
        writeln!(
            w,
            "{:>5}  {:<20}  {:<12}  {:<8}  {:<12}  {:<10}  {:<20}  DETAILS",
            "SEQ", "AT", "OPERATOR", "COMMAND", "REQUEST", "OUTCOME", "SUBJECT"
        )?;
        for r in &rows {
            let subject = r
                .subject
                .as_deref()
                .map(short_subject)
                .unwrap_or_else(|| "-".into());
            writeln!(
                w,
                "{:>5}  {:<20}  {:<12}  {:<8}  {:<12}  {:<10}  {:<20}  {}",
                r.seq,
                r.at,
                r.operator,
                r.command,
                r.request.as_deref().unwrap_or("-"),
                r.outcome,
                subject,
                summary(r)
            )?;
        }
        w.flush()
    };
    write().map_err(stdout_error)?;
    status(
        g,
        format!(
            "{} record{}",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        ),
    );
    Ok(ExitCode::Ok)
}

struct Use {
    first: String,
    last: String,
    records: u64,
    commands: BTreeMap<String, u64>,
}

/// `dsr audit operators`: every operator, in order of first use.
pub fn operators(g: &Globals, store: &Store) -> Result<ExitCode> {
    let mut order: Vec<String> = Vec::new();
    let mut uses: BTreeMap<String, Use> = BTreeMap::new();
    store.audit_records(|r| {
        let u = uses.entry(r.operator.clone()).or_insert_with(|| {
            order.push(r.operator.clone());
            Use {
                first: r.at.clone(),
                last: r.at.clone(),
                records: 0,
                commands: BTreeMap::new(),
            }
        });
        u.last = r.at.clone();
        u.records += 1;
        *u.commands.entry(r.command.clone()).or_default() += 1;
        Ok(())
    })?;
    let list: Vec<(&String, &Use)> = order
        .iter()
        .filter_map(|o| uses.get(o).map(|u| (o, u)))
        .collect();
    if g.json {
        let ops: Vec<serde_json::Value> = list
            .iter()
            .map(|(o, u)| {
                json!({ "operator": o, "first": u.first, "last": u.last, "records": u.records, "commands": u.commands })
            })
            .collect();
        print_json(&json!({ "schema": "dsr.operators/1", "operators": ops }))?;
        return Ok(ExitCode::Ok);
    }
    let out = std::io::stdout();
    let mut w = std::io::BufWriter::new(out.lock());
    let width = list
        .iter()
        .map(|(o, _)| o.chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    let mut write = || -> std::io::Result<()> {
        writeln!(
            w,
            "{:<width$}  {:<20}  {:<20}  {:>7}  COMMANDS",
            "OPERATOR", "FIRST", "LAST", "RECORDS"
        )?;
        for (o, u) in &list {
            let c: Vec<String> = u.commands.iter().map(|(k, n)| format!("{k} {n}")).collect();
            writeln!(
                w,
                "{:<width$}  {:<20}  {:<20}  {:>7}  {}",
                o,
                u.first,
                u.last,
                u.records,
                c.join(", ")
            )?;
        }
        w.flush()
    };
    write().map_err(stdout_error)?;
    status(
        g,
        format!(
            "{} operator{}",
            list.len(),
            if list.len() == 1 { "" } else { "s" }
        ),
    );
    Ok(ExitCode::Ok)
}
