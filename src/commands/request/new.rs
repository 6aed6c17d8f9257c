//! `dsr request new`: registers a request and computes its deadline.

use super::{report, year_before, Kind, Register};
use crate::audit::{self, subject_ref};
use crate::config::Globals;
use crate::deadline;
use crate::error::{Error, ExitCode, Result};
use crate::graph;
use crate::store::requests::RequestRow;
use jiff::civil::Date;
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// What the subject asks for
    #[arg(value_enum)]
    pub kind: Kind,
    /// The subject as KIND:VALUE (e.g. email:anna@example.se), if known; only a keyed reference is stored
    #[arg(value_name = "SUBJECT")]
    pub subjects: Vec<String>,
    /// The day the request arrived (YYYY-MM-DD, in the tenant's time zone) [default: today]
    #[arg(long, value_name = "DATE")]
    pub received: Option<String>,
    /// How it arrived (e-mail, letter, phone, web form, …)
    #[arg(long, value_name = "C")]
    pub channel: Option<String>,
    /// Free text about the request (personal data of the subject: part of their extract)
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

fn received(arg: Option<&str>, today: Date) -> Result<Date> {
    let Some(s) = arg else { return Ok(today) };
    let d: Date = s.trim().parse().map_err(|_| {
        Error::Usage(format!(
            "--received \"{s}\" is not a date; give the day the request arrived as YYYY-MM-DD"
        ))
    })?;
    if d > today {
        return Err(Error::Usage(format!(
            "--received {d} is in the future (today is {today} in the tenant's time zone); give the day the request arrived"
        )));
    }
    Ok(d)
}

/// Empty text is no text.
fn text(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

pub fn run(g: &Globals, a: &NewArgs) -> Result<ExitCode> {
    let reg = Register::open(g)?;
    let cx = &reg.cx;
    let received = received(a.received.as_deref(), reg.today)?;
    let ids = if a.subjects.is_empty() {
        Vec::new()
    } else {
        graph::parse_subjects(&cx.map, &a.subjects, cx.today)?
    };
    let secret_ids: Vec<(String, String)> = ids
        .iter()
        .map(|i| (i.name.clone(), i.key.clone()))
        .collect();
    let first_due = deadline::due(received);
    let year = reg.today.year();
    let kind = a.kind.as_str();
    let at = crate::time::format_ts(cx.now);
    let (row, actor, audit_row, earlier) = cx.store.write(|tx| {
        let secret = tx.ensure_tool_tables()?;
        // One reference per identifier, so that a later request or extract
        // naming any one of them finds this request.
        let refs: Vec<String> = secret_ids
            .iter()
            .map(|p| subject_ref(&secret, std::slice::from_ref(p)))
            .collect();
        let earlier = if a.kind == Kind::Access {
            let from = year_before(received).to_string();
            let to = received.to_string();
            tx.requests_by_refs(&refs)?
                .into_iter()
                .filter(|r| r.kind == "access" && r.status != "withdrawn")
                .filter(|r| r.received >= from && r.received <= to)
                .max_by(|x, y| (&x.received, &x.id).cmp(&(&y.received, &y.id)))
        } else {
            None
        };
        let id = loop {
            let id = format!("R-{year}-{:04}", tx.next_request_number(year)?);
            if !tx.request_exists(&id)? {
                break id;
            }
        };
        let row = RequestRow {
            id: id.clone(),
            kind: kind.into(),
            received: received.to_string(),
            first_due: first_due.to_string(),
            due: first_due.to_string(),
            extended_at: None,
            extend_reason: None,
            channel: text(&a.channel),
            note: text(&a.note),
            status: "received".into(),
            close_reason: None,
            closed_at: None,
            registered_at: at.clone(),
            subject: (!secret_ids.is_empty()).then(|| subject_ref(&secret, &secret_ids)),
            repeat_of: earlier.as_ref().map(|e| e.id.clone()),
        };
        tx.request_insert(&row, &refs)?;
        let details = json!({
            "action": "new", "id": id, "kind": kind, "received": row.received,
            "due": row.due, "identifiers": refs.len(), "note": row.note.is_some(),
            "repeat_of": row.repeat_of,
        });
        let (actor, audit_row) = reg.record(tx, &id, row.subject.clone(), details)?;
        Ok((row, actor, audit_row, earlier))
    })?;
    audit::after_commit(&actor, &audit_row);
    if let Some(e) = &earlier {
        // Said even with --quiet: it changes what staff may do.
        eprintln!(
            "dsr: note: this subject made an access request within the 12 months before this one ({}, received {}); the first copy is free, a further one may carry a reasonable fee, and a manifestly excessive one may be refused (Art. 12(5), 15(3)); recorded in {}",
            e.id, e.received, row.id
        );
    }
    report(
        g,
        &row,
        reg.today,
        audit_row.seq,
        format!("{} due {}", row.id, row.due),
    )
}
