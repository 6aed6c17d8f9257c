//! `dsr request list`, `show` and `due`: reading the register.

use super::{
    parse_duration, print_json, request_json, requests_doc, status_text, when, window_end, Register,
};
use crate::audit;
use crate::config::Globals;
use crate::error::{stdout_error, ExitCode, Result};
use crate::store::requests::RequestRow;
use jiff::civil::Date;
use serde_json::json;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only requests not yet closed
    #[arg(long)]
    pub open: bool,
    /// Only open requests past their deadline
    #[arg(long)]
    pub overdue: bool,
    /// Only open requests due within DURATION (7d, 2w, 1m) or overdue
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub due_within: Option<crate::time::Duration>,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The request's id (R-YYYY-NNNN)
    pub id: String,
}

#[derive(Debug, clap::Args)]
pub struct DueArgs {
    /// How far ahead to look (7d, 2w, 1m)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "7d")]
    pub within: crate::time::Duration,
}

/// Open, and due on or before `until` (overdue ones included).
fn due_by(r: &RequestRow, until: Date) -> bool {
    r.is_open() && r.due.parse::<Date>().is_ok_and(|d| d <= until)
}

fn write_lines(lines: &[String]) -> Result<()> {
    let out = std::io::stdout();
    let mut w = std::io::BufWriter::new(out.lock());
    for l in lines {
        writeln!(w, "{l}").map_err(stdout_error)?;
    }
    w.flush().map_err(stdout_error)
}

pub fn list(g: &Globals, a: &ListArgs) -> Result<ExitCode> {
    let reg = Register::open(g)?;
    let today = reg.today;
    let rows: Vec<RequestRow> = reg
        .cx
        .store
        .requests()?
        .into_iter()
        .filter(|r| !a.open || r.is_open())
        .filter(|r| !a.overdue || due_by(r, today.yesterday().unwrap_or(today)))
        .filter(|r| a.due_within.is_none_or(|d| due_by(r, window_end(today, d))))
        .collect();
    if g.json {
        print_json(&requests_doc(&rows, today, json!({})))?;
        return Ok(ExitCode::Ok);
    }
    if rows.is_empty() {
        super::super::status(g, "no requests in the register match");
        return Ok(ExitCode::Ok);
    }
    let mut lines = vec![format!(
        "{:<12}  {:<13}  {:<10}  {:<10}  {:<21}  WHEN",
        "ID", "KIND", "RECEIVED", "DUE", "STATUS"
    )];
    for r in &rows {
        lines.push(format!(
            "{:<12}  {:<13}  {:<10}  {:<10}  {:<21}  {}",
            r.id,
            r.kind,
            r.received,
            r.due,
            status_text(r),
            when(r, today)
        ));
    }
    write_lines(&lines)?;
    Ok(ExitCode::Ok)
}

pub fn due(g: &Globals, a: &DueArgs) -> Result<ExitCode> {
    let reg = Register::open(g)?;
    let today = reg.today;
    let until = window_end(today, a.within);
    let mut rows: Vec<RequestRow> = reg
        .cx
        .store
        .requests()?
        .into_iter()
        .filter(|r| due_by(r, until))
        .collect();
    rows.sort_by(|x, y| (&x.due, &x.id).cmp(&(&y.due, &y.id)));
    if g.json {
        print_json(&requests_doc(
            &rows,
            today,
            json!({ "within": a.within.to_string() }),
        ))?;
        return Ok(ExitCode::Ok);
    }
    // Nothing at all when nothing is due, so that cron mails only then.
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{:<12}  {:<13}  due {}  {}",
                r.id,
                r.kind,
                r.due,
                when(r, today)
            )
        })
        .collect();
    write_lines(&lines)?;
    Ok(ExitCode::Ok)
}

pub fn show(g: &Globals, a: &ShowArgs) -> Result<ExitCode> {
    let reg = Register::open(g)?;
    let today = reg.today;
    let r = reg.get(&a.id)?;
    let records = reg.cx.store.audit_for_request(&r.id)?;
    if g.json {
        let audit: Vec<_> = records.iter().map(audit::row_json).collect();
        print_json(&json!({
            "schema": "dsr.request/1", "today": today.to_string(),
            "request": request_json(&r, today, true), "audit": audit,
        }))?;
        return Ok(ExitCode::Ok);
    }
    let mut lines = vec![format!("{}  {} request", r.id, r.kind)];
    let mut field =
        |name: &str, value: String| lines.push(format!("{:<11} {value}", format!("{name}:")));
    let channel = r
        .channel
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    field("received", format!("{}{channel}", r.received));
    let due = if r.is_open() {
        format!("{} ({})", r.due, when(&r, today))
    } else {
        r.due.clone()
    };
    field("due", due);
    field("status", status_text(&r));
    if let Some(at) = &r.extended_at {
        field(
            "extended",
            format!(
                "{}, from {}: {}",
                at.get(..10).unwrap_or(at),
                r.first_due,
                r.extend_reason.as_deref().unwrap_or("-")
            ),
        );
    }
    if let Some(at) = &r.closed_at {
        let why = r
            .close_reason
            .as_deref()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        field("closed", format!("{}{why}", at.get(..10).unwrap_or(at)));
    }
    if let Some(e) = &r.repeat_of {
        field(
            "repeat of",
            format!("{e} (an access request within 12 months)"),
        );
    }
    if let Some(n) = &r.note {
        field("note", n.clone());
    }
    field("subject", r.subject.clone().unwrap_or_else(|| "-".into()));
    lines.push(format!("audit records ({}):", records.len()));
    for rec in &records {
        let d: serde_json::Value = serde_json::from_str(&rec.details).unwrap_or_default();
        let what = d
            .get("action")
            .and_then(|v| v.as_str())
            .map(|s| s.to_string())
            .unwrap_or_default();
        lines.push(
            format!(
                "  {:>5}  {}  {:<12}  {:<8}  {:<10}  {what}",
                rec.seq, rec.at, rec.operator, rec.command, rec.outcome
            )
            .trim_end()
            .to_string(),
        );
    }
    write_lines(&lines)?;
    Ok(ExitCode::Ok)
}
