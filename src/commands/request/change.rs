//! `dsr request extend` and `dsr request close`: the two changes of a
//! registered request. A change the register's state does not allow (an
//! extension after the first deadline or a second one, closing a closed
//! request, a refusal without reasons) is refused as a usage error (exit
//! 2), changes nothing and writes no audit record.

use super::{report, Register};
use crate::audit;
use crate::config::Globals;
use crate::deadline;
use crate::error::{Error, ExitCode, Result};
use crate::store::requests::RequestRow;
use jiff::civil::Date;
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct ExtendArgs {
    /// The request's id (R-YYYY-NNNN)
    pub id: String,
    /// Why two further months are needed (complex or numerous requests), to be told to the subject
    #[arg(long, value_name = "TEXT", required = true)]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Outcome {
    Done,
    Refused,
    Withdrawn,
}

impl Outcome {
    fn as_str(&self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Refused => "refused",
            Outcome::Withdrawn => "withdrawn",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct CloseArgs {
    /// The request's id (R-YYYY-NNNN)
    pub id: String,
    /// How it ended
    #[arg(long, value_enum)]
    pub outcome: Outcome,
    /// Why (required for refused: the reasons the subject is told, with the right to complain)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

fn refuse_closed(r: &RequestRow, doing: &str) -> Result<()> {
    if r.is_open() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "request {} is already closed ({}, {}); it cannot be {doing}; nothing was changed",
        r.id,
        r.status,
        r.closed_at.as_deref().unwrap_or("-")
    )))
}

/// Whether the request may still be extended on `today`.
fn may_extend(r: &RequestRow, today: Date) -> Result<Date> {
    refuse_closed(r, "extended")?;
    if r.extended_at.is_some() {
        return Err(Error::Usage(format!(
            "request {} was already extended (now due {}); Art. 12(3) allows one extension of two further months; nothing was changed",
            r.id, r.due
        )));
    }
    let first: Date = r.first_due.parse().map_err(|_| {
        Error::Runtime(format!(
            "request {} has an unreadable deadline ({}) in the register; dsr's tables are written by dsr only: restore _dsr_requests from a backup",
            r.id, r.first_due
        ))
    })?;
    if today > first {
        return Err(Error::Usage(format!(
            "request {}'s first deadline, {first}, has passed (today is {today}): Art. 12(3) lets the period be extended only within the first month, with the subject told why; nothing was changed",
            r.id
        )));
    }
    Ok(first)
}

pub fn extend(g: &Globals, a: &ExtendArgs) -> Result<ExitCode> {
    let reason = a.reason.trim();
    if reason.is_empty() {
        return Err(Error::Usage(
            "--reason is empty; say why the request needs two further months (it is told to the subject)".into(),
        ));
    }
    let reg = Register::open(g)?;
    let at = crate::time::format_ts(reg.cx.now);
    let (row, actor, audit_row) = reg.cx.store.write(|tx| {
        let r = reg.get(&a.id)?;
        let first = may_extend(&r, reg.today)?;
        let due = deadline::extended(first).to_string();
        tx.request_extend(&r.id, &due, &at, reason)?;
        let details = json!({
            "action": "extend", "id": r.id, "first_due": r.first_due, "due": due,
        });
        let (actor, audit_row) = reg.record(tx, &r.id, r.subject.clone(), details)?;
        let row = reg.get(&a.id)?;
        Ok((row, actor, audit_row))
    })?;
    audit::after_commit(&actor, &audit_row);
    report(
        g,
        &row,
        reg.today,
        audit_row.seq,
        format!(
            "{} due {} (extended from {})",
            row.id, row.due, row.first_due
        ),
    )
}

pub fn close(g: &Globals, a: &CloseArgs) -> Result<ExitCode> {
    let reason = a.reason.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if a.outcome == Outcome::Refused && reason.is_none() {
        return Err(Error::Usage(
            "--outcome refused needs --reason TEXT: a refusal is answered with its reasons and the right to complain to the supervisory authority (Art. 12(4)); nothing was changed".into(),
        ));
    }
    let reg = Register::open(g)?;
    let at = crate::time::format_ts(reg.cx.now);
    let outcome = a.outcome.as_str();
    let (row, actor, audit_row) = reg.cx.store.write(|tx| {
        let r = reg.get(&a.id)?;
        refuse_closed(&r, "closed again")?;
        tx.request_close(&r.id, outcome, reason, &at)?;
        let details = json!({
            "action": "close", "id": r.id, "outcome": outcome, "reason": reason.is_some(),
        });
        let (actor, audit_row) = reg.record(tx, &r.id, r.subject.clone(), details)?;
        let row = reg.get(&a.id)?;
        Ok((row, actor, audit_row))
    })?;
    audit::after_commit(&actor, &audit_row);
    report(
        g,
        &row,
        reg.today,
        audit_row.seq,
        format!("{} closed: {}", row.id, row.status),
    )
}
