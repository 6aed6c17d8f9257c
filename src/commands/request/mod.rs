//! `dsr request`: the register of subject requests and their statutory
//! deadlines (DESIGN §7). Every change (new, extend, close) writes its
//! audit record (`command = "request"`) in the same transaction; reading
//! the register (list, show, due) changes nothing and records nothing.
//!
//! The register names a subject only by keyed references of the
//! identifiers given (never the identifiers), and holds a request's note
//! and reasons, which are personal data of the subject: they appear in the
//! subject's own extract ([`subject`]) and go with the request when the
//! sweep removes it after `request_retention`.

mod change;
mod new;
pub mod subject;
mod view;

use super::{print_json, Context};
use crate::audit::{self, Actor, Entry};
use crate::config::Globals;
use crate::deadline;
use crate::error::{Error, ExitCode, Result};
use crate::store::requests::RequestRow;
use crate::store::{AuditRow, Tx};
use jiff::civil::Date;
use jiff::Span;
use serde_json::{json, Value as Json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: RequestCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum RequestCommand {
    /// Register a request; prints its id and its due date
    New(new::NewArgs),
    /// The register, oldest id first
    List(view::ListArgs),
    /// One request, with the audit records of every command run for it
    Show(view::ShowArgs),
    /// Extend a request once, before its first deadline, by two further months (Art. 12(3))
    Extend(change::ExtendArgs),
    /// Close a request: done, refused (with a reason) or withdrawn
    Close(change::CloseArgs),
    /// For cron: open requests due within DURATION or overdue; prints nothing when there are none
    Due(view::DueArgs),
}

/// The kinds of request the register records (Art. 15–21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Access,
    Erasure,
    Portability,
    Rectification,
    Restriction,
    Objection,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Erasure => "erasure",
            Kind::Portability => "portability",
            Kind::Rectification => "rectification",
            Kind::Restriction => "restriction",
            Kind::Objection => "objection",
        }
    }
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    match &args.command {
        RequestCommand::New(a) => new::run(g, a),
        RequestCommand::List(a) => view::list(g, a),
        RequestCommand::Show(a) => view::show(g, a),
        RequestCommand::Extend(a) => change::extend(g, a),
        RequestCommand::Close(a) => change::close(g, a),
        RequestCommand::Due(a) => view::due(g, a),
    }
}

/// The tenant opened for the register, and today's date in its time zone.
struct Register {
    cx: Context,
    today: Date,
}

impl Register {
    fn open(g: &Globals) -> Result<Register> {
        let cx = Context::open(g, false)?;
        let today = deadline::local_date(cx.now, &cx.tenant.timezone);
        Ok(Register { cx, today })
    }

    /// The request, or exit 2 naming the id.
    fn get(&self, id: &str) -> Result<RequestRow> {
        self.cx.store.request(id)?.ok_or_else(|| {
            Error::Usage(format!(
                "there is no request {id} in the register of {}; `dsr request list` shows the ids",
                self.cx.store.describe()
            ))
        })
    }

    /// Records a change of request `id` inside its transaction; the
    /// record's `request` is the id, so that `show` lists it.
    fn record(
        &self,
        tx: &Tx<'_>,
        id: &str,
        subject: Option<String>,
        details: Json,
    ) -> Result<(Actor, AuditRow)> {
        let mut actor = self.cx.tenant.actor.clone();
        actor.request = Some(id.to_string());
        let at = crate::time::format_ts(self.cx.now);
        let entry = Entry {
            command: "request".into(),
            subject,
            outcome: "ok".into(),
            details: self.cx.details(details),
        };
        let row = audit::append(tx, &actor, &at, &entry)?;
        Ok((actor, row))
    }
}

/// Days from `today` to the request's deadline (negative: overdue).
fn days_left(r: &RequestRow, today: Date) -> Option<i64> {
    let due: Date = r.due.parse().ok()?;
    // A civil date's `until` counts in days unless asked for larger units.
    today.until(due).ok().map(|s| i64::from(s.get_days()))
}

/// The status as shown: `in_progress, extended`.
fn status_text(r: &RequestRow) -> String {
    if r.extended_at.is_some() {
        format!("{}, extended", r.status)
    } else {
        r.status.clone()
    }
}

/// "in 5 days", "due today", "overdue by 2 days"; for closed requests
/// "closed YYYY-MM-DD".
fn when(r: &RequestRow, today: Date) -> String {
    if !r.is_open() {
        let on = r.closed_at.as_deref().map(|t| t.get(..10).unwrap_or(t));
        return format!("closed {}", on.unwrap_or("-"));
    }
    match days_left(r, today) {
        Some(0) => "due today".into(),
        Some(1) => "in 1 day".into(),
        Some(n) if n > 0 => format!("in {n} days"),
        Some(-1) => "overdue by 1 day".into(),
        Some(n) => format!("overdue by {} days", -n),
        None => "-".into(),
    }
}

/// One request in a `dsr.requests/1` document. The note and the reasons
/// (personal data of the subject) only with `with_text`.
fn request_json(r: &RequestRow, today: Date, with_text: bool) -> Json {
    let left = if r.is_open() {
        days_left(r, today)
    } else {
        None
    };
    let mut j = json!({
        "id": r.id, "kind": r.kind, "received": r.received, "due": r.due,
        "first_due": r.first_due, "status": r.status, "extended": r.extended_at.is_some(),
        "channel": r.channel, "days_left": left, "overdue": left.is_some_and(|n| n < 0),
        "repeat_of": r.repeat_of, "closed_at": r.closed_at, "subject": r.subject,
    });
    if with_text {
        j["note"] = json!(r.note);
        j["extend_reason"] = json!(r.extend_reason);
        j["close_reason"] = json!(r.close_reason);
    }
    j
}

/// `dsr.requests/1`: the requests, with the day they were judged against.
fn requests_doc(rows: &[RequestRow], today: Date, extra: Json) -> Json {
    let list: Vec<Json> = rows.iter().map(|r| request_json(r, today, false)).collect();
    let mut doc =
        json!({ "schema": "dsr.requests/1", "today": today.to_string(), "requests": list });
    if let (Some(d), Json::Object(more)) = (doc.as_object_mut(), extra) {
        d.extend(more);
    }
    doc
}

/// A change's result: the JSON document, or the id and due date on stdout.
fn report(g: &Globals, r: &RequestRow, today: Date, seq: i64, line: String) -> Result<ExitCode> {
    if g.json {
        print_json(&requests_doc(
            std::slice::from_ref(r),
            today,
            json!({ "audit_seq": seq }),
        ))?;
    } else {
        println!("{line}");
    }
    Ok(ExitCode::Ok)
}

/// `--within 7d`, `--due-within 2w`: calendar units as the map's durations.
fn parse_duration(s: &str) -> std::result::Result<crate::time::Duration, String> {
    crate::time::Duration::parse(s)
}

/// The last date a window of `d` from `today` covers.
fn window_end(today: Date, d: crate::time::Duration) -> Date {
    today.checked_add(d.span()).unwrap_or(today)
}

/// Twelve months before `d` (Art. 12(5) repeat requests).
fn year_before(d: Date) -> Date {
    d.checked_sub(Span::new().years(1)).unwrap_or(d)
}
