//! The request register's rows (`_dsr_requests`, DESIGN §7) and the keyed
//! references of the identifiers each request names
//! (`_dsr_request_subjects`). Plain tables, keys and text values: a second
//! backend implements the same methods with the same statements (dates as
//! `YYYY-MM-DD` and times as RFC 3339 UTC text compare as text there too),
//! and the id counter lives in `_dsr_meta` as every backend's does.

use super::backend::Cell;
use super::{opt_text, text, AuditRow, Store, Tx};
use crate::error::Result;
use crate::value::Value;

const COLUMNS: &str = "id, kind, received, first_due, due, extended_at, extend_reason, channel, note, status, close_reason, closed_at, registered_at, subject, repeat_of";

/// One request as the register holds it. Never a plain identifier: the
/// subject is its keyed reference, as in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: String,
    /// access, erasure, portability, rectification, restriction, objection.
    pub kind: String,
    /// YYYY-MM-DD in the tenant's time zone.
    pub received: String,
    /// The deadline as first computed (YYYY-MM-DD).
    pub first_due: String,
    /// The deadline now in force: `first_due`, or the extended one.
    pub due: String,
    /// When it was extended (RFC 3339 UTC), if it was.
    pub extended_at: Option<String>,
    pub extend_reason: Option<String>,
    pub channel: Option<String>,
    /// Free text about the request: personal data of the subject.
    pub note: Option<String>,
    /// received, in_progress, done, refused, withdrawn.
    pub status: String,
    pub close_reason: Option<String>,
    /// When it was closed (RFC 3339 UTC).
    pub closed_at: Option<String>,
    pub registered_at: String,
    /// The subject reference of the identifiers given, as audit records have it.
    pub subject: Option<String>,
    /// The earlier access request of the same subject this one repeats.
    pub repeat_of: Option<String>,
}

impl RequestRow {
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "received" | "in_progress")
    }
}

fn request_row(r: &[Cell<'_>]) -> RequestRow {
    RequestRow {
        id: r[0].to_text(),
        kind: r[1].to_text(),
        received: r[2].to_text(),
        first_due: r[3].to_text(),
        due: r[4].to_text(),
        extended_at: r[5].text(),
        extend_reason: r[6].text(),
        channel: r[7].text(),
        note: r[8].text(),
        status: r[9].to_text(),
        close_reason: r[10].text(),
        closed_at: r[11].text(),
        registered_at: r[12].to_text(),
        subject: r[13].text(),
        repeat_of: r[14].text(),
    }
}

impl Store {
    fn query_requests(&self, sql: &str, params: &[Value]) -> Result<Vec<RequestRow>> {
        if !self.has_table("_dsr_requests")? {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        self.query(sql, params, "reading the request register in", |r| {
            out.push(request_row(r));
            Ok(())
        })?;
        Ok(out)
    }

    /// Every request of the register, in id order.
    pub fn requests(&self) -> Result<Vec<RequestRow>> {
        self.query_requests(
            &format!("SELECT {COLUMNS} FROM _dsr_requests ORDER BY id"),
            &[],
        )
    }

    /// One request by its id.
    pub fn request(&self, id: &str) -> Result<Option<RequestRow>> {
        let mut rows = self.query_requests(
            &format!("SELECT {COLUMNS} FROM _dsr_requests WHERE id = ?1"),
            &[text(id)],
        )?;
        Ok(rows.pop())
    }

    /// The requests registered with any of these identifier references, in
    /// id order.
    pub fn requests_by_refs(&self, refs: &[String]) -> Result<Vec<RequestRow>> {
        if refs.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=refs.len()).map(|i| format!("?{i}")).collect();
        let marks = marks.join(", ");
        let params: Vec<Value> = refs.iter().map(|r| text(r)).collect();
        self.query_requests(
            &format!(
                "SELECT {COLUMNS} FROM _dsr_requests WHERE id IN (SELECT request FROM _dsr_request_subjects WHERE ref IN ({marks})) ORDER BY id"
            ),
            &params,
        )
    }

    /// The ids of the closed requests closed before `closed_before`
    /// (RFC 3339 UTC): those the sweep removes.
    pub fn requests_closed_before(&self, closed_before: &str) -> Result<Vec<String>> {
        Ok(self
            .query_requests(
                &format!("SELECT {COLUMNS} FROM _dsr_requests WHERE closed_at IS NOT NULL AND closed_at < ?1 AND status IN ('done', 'refused', 'withdrawn') ORDER BY id"),
                &[text(closed_before)],
            )?
            .into_iter()
            .map(|r| r.id)
            .collect())
    }

    /// The audit records of every command run for the request, in seq
    /// order (a walk of the trail: it has no index by request, and is read
    /// as a whole by `audit verify` anyway).
    pub fn audit_for_request(&self, id: &str) -> Result<Vec<AuditRow>> {
        let mut out = Vec::new();
        self.audit_records(|r| {
            if r.request.as_deref() == Some(id) {
                out.push(r);
            }
            Ok(())
        })?;
        Ok(out)
    }
}

impl Tx<'_> {
    /// The next number of a request registered in `year`: a counter per
    /// year in `_dsr_meta`, so that an id is never given twice even after
    /// the sweep removed the request that had it.
    pub fn next_request_number(&self, year: i16) -> Result<u32> {
        let key = format!("request_seq:{year}");
        let last = self
            .meta(&key)?
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(0);
        let next = last.saturating_add(1);
        self.set_meta(&key, &next.to_string())?;
        Ok(next)
    }

    /// Registers a request with the references of its identifiers.
    pub fn request_insert(&self, r: &RequestRow, refs: &[String]) -> Result<()> {
        let doing = "writing the request register in";
        self.exec(
            &format!("INSERT INTO _dsr_requests ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"),
            &[
                text(&r.id),
                text(&r.kind),
                text(&r.received),
                text(&r.first_due),
                text(&r.due),
                opt_text(r.extended_at.as_deref()),
                opt_text(r.extend_reason.as_deref()),
                opt_text(r.channel.as_deref()),
                opt_text(r.note.as_deref()),
                text(&r.status),
                opt_text(r.close_reason.as_deref()),
                opt_text(r.closed_at.as_deref()),
                text(&r.registered_at),
                opt_text(r.subject.as_deref()),
                opt_text(r.repeat_of.as_deref()),
            ],
            doing,
        )?;
        for rf in refs {
            self.exec(
                "INSERT INTO _dsr_request_subjects (request, ref) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                &[text(&r.id), text(rf)],
                doing,
            )?;
        }
        Ok(())
    }

    /// Sets the extended deadline and the reason to be told to the subject.
    pub fn request_extend(&self, id: &str, due: &str, at: &str, reason: &str) -> Result<()> {
        self.exec(
            "UPDATE _dsr_requests SET due = ?2, extended_at = ?3, extend_reason = ?4 WHERE id = ?1",
            &[text(id), text(due), text(at), text(reason)],
            "writing the request register in",
        )
        .map(|_| ())
    }

    /// Closes a request with its outcome (done, refused, withdrawn).
    pub fn request_close(
        &self,
        id: &str,
        status: &str,
        reason: Option<&str>,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE _dsr_requests SET status = ?2, close_reason = ?3, closed_at = ?4 WHERE id = ?1",
            &[text(id), text(status), opt_text(reason), text(at)],
            "writing the request register in",
        )
        .map(|_| ())
    }

    /// A command ran for the request: `received` becomes `in_progress`.
    /// Nothing happens for an id the register does not hold, or a request
    /// already in progress or closed. True when the status moved.
    pub fn request_started(&self, id: &str) -> Result<bool> {
        if !self.has_table("_dsr_requests")? {
            return Ok(false);
        }
        self.exec(
            "UPDATE _dsr_requests SET status = 'in_progress' WHERE id = ?1 AND status = 'received'",
            &[text(id)],
            "writing the request register in",
        )
        .map(|n| n > 0)
    }

    /// Removes these requests with their references (the sweep's batch).
    pub fn requests_delete(&self, ids: &[String]) -> Result<()> {
        let doing = "sweeping the request register in";
        for id in ids {
            self.exec(
                "DELETE FROM _dsr_request_subjects WHERE request = ?1",
                &[text(id)],
                doing,
            )?;
            self.exec(
                "DELETE FROM _dsr_requests WHERE id = ?1",
                &[text(id)],
                doing,
            )?;
        }
        Ok(())
    }

    /// Whether the register already holds this id (a unique key per tenant).
    pub fn request_exists(&self, id: &str) -> Result<bool> {
        Ok(self
            .query_one(
                "SELECT 1 FROM _dsr_requests WHERE id = ?1",
                &[text(id)],
                "reading the request register in",
                |_| (),
            )?
            .is_some())
    }
}
