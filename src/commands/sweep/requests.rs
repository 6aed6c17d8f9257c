//! The request register under storage limitation (DESIGN §7): closed
//! requests are removed `request_retention` after closing (default 3
//! years), with their notes and reasons, as one batch of its own with its
//! own audit record. Open requests are never swept, however old.

use super::Context;
use crate::audit::{self, Actor, Entry};
use crate::error::Result;
use crate::store::AuditRow;
use jiff::tz::TimeZone;
use serde_json::json;

/// Removes (or with `dry_run` counts) the closed requests past their
/// retention; the batch's record, when one was written.
pub(super) fn sweep(
    cx: &Context,
    dry_run: bool,
    actor: &Actor,
    at: &str,
) -> Result<(u64, Option<AuditRow>)> {
    let keep = cx.tenant.request_retention;
    let Ok(cutoff) = cx.now.to_zoned(TimeZone::UTC).checked_sub(keep.span()) else {
        return Ok((0, None));
    };
    let before = crate::time::format_ts(cutoff.timestamp());
    if dry_run {
        return Ok((cx.store.requests_closed_before(&before)?.len() as u64, None));
    }
    cx.store.write(|tx| {
        let ids = tx.requests_closed_before(&before)?;
        if ids.is_empty() {
            return Ok((0, None));
        }
        tx.requests_delete(&ids)?;
        let details = cx.details(json!({
            "dry_run": false, "source": "requests", "retention": keep.to_string(),
            "requests_swept": ids.len(), "requests": ids,
        }));
        let entry = Entry {
            command: "sweep".into(),
            subject: None,
            outcome: "ok".into(),
            details,
        };
        let row = audit::append(tx, actor, at, &entry)?;
        Ok((ids.len() as u64, Some(row)))
    })
}
