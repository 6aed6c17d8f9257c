//! `dsr extract`: the Art. 15 copy of everything held about a data subject.

use super::{status, Context};
use crate::audit;
use crate::config::Globals;
use crate::error::{Error, ExitCode, Result};
use crate::graph::{self, Belonging};
use crate::report::{self, Lang};
use crate::time;
use crate::writers::{self, Pending};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Xlsx,
    Csv,
    Html,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data subject as KIND:VALUE (e.g. email:anna@example.se); several may name one person
    #[arg(value_name = "SUBJECT", required = true)]
    pub subjects: Vec<String>,
    /// Output format (xlsx, csv and html need -o)
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Write to this file instead of stdout (created 0600)
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Language of the Art. 15 information
    #[arg(long, value_enum, default_value = "en")]
    pub lang: Lang,
    /// Replace an existing output file
    #[arg(long)]
    pub force: bool,
    /// Go on when the identifiers match more than one row of a subjects table
    #[arg(long)]
    pub all_matches: bool,
}

/// The message for exit 5: which tables matched several rows, by key where
/// the key is not itself personal data.
pub fn ambiguity_message(b: &Belonging) -> String {
    let parts: Vec<String> = b
        .ambiguous
        .iter()
        .map(|a| match &a.keys {
            Some(keys) => format!("{}: {} rows ({})", a.table, a.rows, keys.join("; ")),
            None => format!(
                "{}: {} rows (their keys are personal data and are not shown)",
                a.table, a.rows
            ),
        })
        .collect();
    format!(
        "the identifiers match more than one person: {}; nothing was released or changed; give an identifier that names one person (e.g. a customer number), or pass --all-matches if these really are one person",
        parts.join("; ")
    )
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    if args.format != Format::Json {
        return Err(Error::Usage(format!(
            "--format {} is not available in this version of dsr; use --format json",
            match args.format {
                Format::Xlsx => "xlsx",
                Format::Csv => "csv",
                Format::Html => "html",
                Format::Json => "json",
            }
        )));
    }
    if let Some(p) = &args.output {
        if !args.force && p.exists() {
            return Err(Error::Usage(format!(
                "{} already exists; dsr never overwrites a file that may hold personal data: choose another path, or pass --force",
                p.display()
            )));
        }
    }
    // Resolve.
    let cx = Context::open(g, false)?;
    let ids = graph::parse_subjects(&cx.map, &args.subjects, cx.today)?;
    let b = graph::resolve(&cx.store, &cx.schema, &cx.map, &ids)?;
    let at = time::format_ts(cx.now);
    let secret_ids: Vec<(String, String)> = ids
        .iter()
        .map(|i| (i.name.clone(), i.key.clone()))
        .collect();
    let actor = cx.tenant.actor.clone();

    // Refusals are recorded too.
    let refusal = if !b.ambiguous.is_empty() && !args.all_matches {
        Some(("ambiguous", Error::Ambiguous(ambiguity_message(&b))))
    } else if b.total() == 0 {
        Some((
            "not_found",
            Error::NotFound(
                "no data found for the subject: no mapped table holds a row with these identifiers; check the kind and value, or try another identifier".into(),
            ),
        ))
    } else {
        None
    };
    if let Some((outcome, err)) = refusal {
        let details = cx.details(json!({ "format": "json", "tables": {} }));
        audit::record(
            &cx.store,
            &actor,
            &at,
            "extract",
            &secret_ids,
            outcome,
            details,
        )?;
        return Err(err);
    }

    // Plan: the document.
    let mention_ids = graph::mention_ids(&cx.map, &cx.schema, &b, &ids, cx.today);
    let mentions = graph::mentions(&cx.store, &cx.schema, &cx.map, &b, &mention_ids)?;
    let doc = report::extract_doc(&cx.map, &cx.schema, &ids, &b, &mentions, &at, args.lang);
    let counts = counts(&cx, &b);
    let rows = b.total();

    // Act: write the file under a temporary name first, so that nothing is
    // released unless the audit record commits.
    let mut pending = match &args.output {
        Some(p) => {
            let mut pend = Pending::create(p, args.force)?;
            writers::write_json(pend.writer(), &doc).map_err(|e| pend.write_error(e))?;
            Some(pend)
        }
        None => None,
    };
    let details = cx.details(json!({
        "format": "json",
        "lang": match args.lang { Lang::Sv => "sv", Lang::En => "en" },
        "all_matches": args.all_matches,
        "tables": counts,
        "mentions": mentions.len(),
        "output": if args.output.is_some() { "file" } else { "stdout" },
    }));
    let row = audit::record(
        &cx.store,
        &actor,
        &at,
        "extract",
        &secret_ids,
        "ok",
        details,
    )?;

    // Report.
    match pending.take() {
        Some(p) => {
            let path = p.commit()?;
            if g.json {
                let out = json!({ "schema": "dsr.extract-result/1", "path": path, "rows": rows, "mentions": mentions.len(), "audit_seq": row.seq });
                print_json(&out)?;
            }
            status(
                g,
                format!(
                    "wrote the extract ({rows} rows, {} mentions) to {} (audit record {})",
                    mentions.len(),
                    path.display(),
                    row.seq
                ),
            );
        }
        None => {
            print_json(&doc)?;
            status(
                g,
                format!(
                    "extract: {rows} rows, {} mentions (audit record {})",
                    mentions.len(),
                    row.seq
                ),
            );
        }
    }
    Ok(ExitCode::Ok)
}

fn counts(cx: &Context, b: &Belonging) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (t, f) in cx.map.tables.iter().zip(&b.tables) {
        if !f.is_empty() {
            m.insert(t.name.clone(), json!(f.len()));
        }
    }
    serde_json::Value::Object(m)
}

/// Prints one JSON document on stdout.
pub fn print_json(doc: &serde_json::Value) -> Result<()> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    writers::write_json(&mut w, doc)
        .and_then(|_| w.flush())
        .map_err(crate::error::stdout_error)
}
