//! `dsr extract`: the Art. 15 copy of everything held about a data subject.

use super::{
    counts, record_and_release, record_failure, resolve_subject, scrub_path, status, write_doc,
    Context, Resolved,
};
use crate::audit;
use crate::config::Globals;
use crate::error::{Error, ExitCode, Result};
use crate::report::{self, Lang};
use serde_json::json;
use std::path::{Path, PathBuf};

pub use super::{ambiguity_message, print_json, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data subject as KIND:VALUE (e.g. email:anna@example.se); several may name one person
    #[arg(value_name = "SUBJECT", required = true)]
    pub subjects: Vec<String>,
    /// Output format (xlsx, csv and html need -o; for csv it names a directory)
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Write to this file (csv: this new directory) instead of stdout, created 0600 (0700)
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Language of the Art. 15 information and the copy (default: the map's `language`, else en)
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// Replace an existing output file (csv: an earlier CSV export)
    #[arg(long)]
    pub force: bool,
    /// Go on when the identifiers match more than one row of a subjects table
    #[arg(long)]
    pub all_matches: bool,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let fmt = args.format.as_str();
    match &args.output {
        Some(p) => crate::writers::check_output(p, args.force, args.format == Format::Csv)?,
        None if args.format != Format::Json => {
            return Err(Error::Usage(format!(
                "--format {fmt} writes {}: give -o PATH",
                if args.format == Format::Csv {
                    "a directory of files"
                } else {
                    "a file"
                }
            )))
        }
        None => {}
    }
    // Resolve (refusals are recorded there).
    // A subject who is only mentioned in other people's free text has data
    // held about them: the mentions.
    let run = resolve_subject(g, &args.subjects, args.all_matches, "extract", fmt, true)?;
    let done = extract_one(
        &run.cx,
        &run.r,
        args.format,
        args.output.as_deref(),
        args.force,
        args.lang.or(run.cx.map.language).unwrap_or(Lang::En),
        args.all_matches,
    )?;
    let (row, written, doc) = (done.row, done.path, done.doc);
    let (rows, mentions) = (done.rows, &run.r.mentions);

    // Report.
    let out = report_extract(g, written, doc, rows, mentions.len(), &row, fmt);
    crate::trace::mark("output", String::new);
    out
}

fn report_extract(
    g: &Globals,
    written: Option<PathBuf>,
    doc: report::ExtractDoc<'_>,
    rows: usize,
    mentions: usize,
    row: &crate::store::AuditRow,
    fmt: &str,
) -> Result<ExitCode> {
    match written {
        Some(path) => {
            if g.json && !crate::writers::is_stdout(&path) {
                let out = json!({ "schema": "dsr.extract-result/1", "path": path, "format": fmt, "rows": rows, "mentions": mentions, "audit_seq": row.seq });
                print_json(&out)?;
            }
            status(
                g,
                format!(
                    "wrote the extract ({}, {}) to {} (audit record {})",
                    super::count(rows as u64, "row"),
                    super::count(mentions as u64, "mention"),
                    crate::writers::shown(&path),
                    row.seq
                ),
            );
        }
        None => {
            super::print_doc(report::Doc::Extract(&doc))?;
            status(
                g,
                format!(
                    "extract: {}, {} (audit record {})",
                    super::count(rows as u64, "row"),
                    super::count(mentions as u64, "mention"),
                    row.seq
                ),
            );
        }
    }
    Ok(ExitCode::Ok)
}

/// A subject's extract carried out: its audit record, where it was written
/// (`None`: the document is for stdout), and the document itself.
pub struct Extracted<'a> {
    pub row: crate::store::AuditRow,
    pub path: Option<PathBuf>,
    /// For stdout: its rows may still be in the store, read as it is printed.
    pub doc: report::ExtractDoc<'a>,
    pub rows: usize,
}

/// Plan, act and audit one resolved subject's extract: the document, the
/// subject's requests, the output written under a temporary name and put in
/// place together with the `ok` record (a failure recorded as `failed`).
/// Shared by `dsr extract` and each extract line of `dsr batch`.
pub fn extract_one<'a>(
    cx: &'a Context,
    r: &'a Resolved,
    format: Format,
    output: Option<&Path>,
    force: bool,
    lang: Lang,
    all_matches: bool,
) -> Result<Extracted<'a>> {
    let fmt = format.as_str();
    let b = &r.b;
    let mentions = &r.mentions;

    // Plan: the document.
    let mut doc = report::extract_doc(&cx.store, &cx.map, &cx.schema, b, mentions, &r.at, lang);
    // The subject's own requests in the register are data about them too.
    let requests = super::request::subject::for_extract(
        &cx.store,
        &r.secret_ids,
        cx.tenant.actor.request.as_deref(),
    )?;
    if !requests.is_empty() {
        doc.requests = Some(requests);
    }
    let rows = b.total();
    crate::trace::mark("document", String::new);

    // Act: write the output under a temporary name first, so that nothing
    // is released unless the audit record commits.
    let details = cx.details(json!({
        "format": fmt,
        "lang": lang.code(),
        "all_matches": all_matches,
        "tables": counts(&cx.map, b),
        "mentions": mentions.len(),
        "output": if output.is_some() { "file" } else { "stdout" },
    }));
    let failed = |e: Error, path: &Path| {
        let reason = scrub_path(&e.to_string(), path);
        record_failure(
            cx,
            &r.at,
            "extract",
            &r.secret_ids,
            details.clone(),
            &e,
            &reason,
        );
        e
    };
    let (row, path) = match output {
        Some(p) => {
            let written = write_doc(
                format,
                report::Doc::Extract(&doc),
                p,
                force,
                lang,
                &cx.map,
                true,
            );
            let released = written.and_then(|out| {
                record_and_release(cx, &r.at, "extract", &r.secret_ids, details.clone(), out)
            });
            match released {
                Ok((row, path)) => (row, Some(path)),
                Err(e) => return Err(failed(e, p)),
            }
        }
        None => {
            let row = audit::record(
                &cx.store,
                &cx.tenant.actor,
                &r.at,
                "extract",
                &r.secret_ids,
                "ok",
                details.clone(),
            )?;
            (row, None)
        }
    };
    crate::trace::mark("audit", String::new);
    Ok(Extracted {
        row,
        path,
        doc,
        rows,
    })
}
