//! The register as personal data of the subject: their own requests in
//! their extract (the `requests` section of `dsr.extract/1`).
//!
//! Matched by the keyed reference of each identifier the extract was
//! *given*, never of identifiers found in the subject's rows: a found
//! identifier (a phone number shared by a household, say) may also name
//! someone else, whose requests and notes must not be handed out.

use crate::audit::subject_ref;
use crate::error::Result;
use crate::store::Store;
use serde_json::{json, Value as Json};

/// The subject's requests for the extract, oldest id first; empty when
/// there are none (the section is then left out). `serving` is the
/// `--request` the extract is run for: it is shown in progress, as the
/// extract's own audit record makes it.
pub fn for_extract(
    store: &Store,
    ids: &[(String, String)],
    serving: Option<&str>,
) -> Result<Vec<Json>> {
    let Some(secret) = store.secret()? else {
        return Ok(Vec::new());
    };
    let refs: Vec<String> = ids
        .iter()
        .map(|p| subject_ref(&secret, std::slice::from_ref(p)))
        .collect();
    Ok(store
        .requests_by_refs(&refs)?
        .into_iter()
        .map(|r| {
            let status = if Some(r.id.as_str()) == serving && r.status == "received" {
                "in_progress".to_string()
            } else {
                r.status.clone()
            };
            json!({
                "id": r.id, "kind": r.kind, "received": r.received, "due": r.due,
                "status": status, "extended": r.extended_at.is_some(),
                "extend_reason": r.extend_reason, "channel": r.channel, "note": r.note,
                "closed_at": r.closed_at, "close_reason": r.close_reason,
            })
        })
        .collect())
}
