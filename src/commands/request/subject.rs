//! The register as personal data of the subject: their own requests in
//! their extract (the `requests` section of `dsr.extract/1`).
//!
//! Matched by the keyed reference of each identifier the extract was
//! *given*, never of identifiers found in the subject's rows: a found
//! identifier (a phone number shared by a household, say) may also name
//! someone else, whose requests and notes must not be handed out.

use crate::audit::subject_ref;
use crate::error::Result;
use crate::report::RequestEntry;
use crate::store::Store;
use crate::value::Value;

/// The subject's requests for the extract, oldest id first; empty when
/// there are none (the section is then left out). `serving` is the
/// `--request` the extract is run for: it is shown in progress, as the
/// extract's own audit record makes it.
pub fn for_extract(
    store: &Store,
    ids: &[(String, String)],
    serving: Option<&str>,
) -> Result<Vec<RequestEntry>> {
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
            let text = |s: Option<String>| s.map_or(Value::Null, Value::Text);
            RequestEntry {
                fields: vec![
                    ("id", Value::Text(r.id)),
                    ("kind", Value::Text(r.kind)),
                    ("received", Value::Text(r.received)),
                    ("due", Value::Text(r.due)),
                    ("status", Value::Text(status)),
                    ("extended", Value::Bool(r.extended_at.is_some())),
                    ("extend_reason", text(r.extend_reason)),
                    ("channel", text(r.channel)),
                    ("note", text(r.note)),
                    ("closed_at", text(r.closed_at)),
                    ("close_reason", text(r.close_reason)),
                ],
            }
        })
        .collect())
}
