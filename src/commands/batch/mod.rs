//! `dsr batch FILE.csv`: many requests in one run (DESIGN §8). The tenant
//! is opened once and the free text scanned once for every extract line;
//! each line is then carried out by the single command's own code
//! ([`super::extract::extract_one`], [`super::export::export_one`],
//! [`super::erase::erase_one`]) with its own audit record (its request id as
//! the record's `request`) and its own output file in DIR. A failing line
//! does not stop the others; a line that already succeeded in an earlier
//! run (an `ok` record of its command for its request) is skipped, so a
//! killed batch is simply started again.

mod file;

use super::{judge, print_json, status, Context, Format, Resolved};
use crate::config::Globals;
use crate::error::{Error, ExitCode, Result};
use crate::graph::{self, SubjectId};
use crate::report::Lang;
use crate::writers::{self, Output, Pending};
use file::{Entry, Kind, Line};
use serde_json::{json, Value as Json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The batch: a CSV file with the header request,kind,subject (kind: extract, export or erase; subject: KIND:VALUE, several separated by ;)
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Carry out erase lines (required when the file has any; there is no prompt per line)
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Erase lines only show and record their plan, changing nothing (as `dsr erase --dry-run`)
    #[arg(long)]
    pub dry_run: bool,
    /// The directory for the lines' output files (REQUEST.json, …; created 0700 if missing)
    #[arg(short = 'o', long = "output", value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    /// Output format of extract and export lines (csv: a directory REQUEST/; export lines: json, xlsx or csv)
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Language of the Art. 15 information in extracts (default: the map's `language`, else en)
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

/// What became of one line.
struct Outcome {
    line: u64,
    request: String,
    kind: String,
    outcome: &'static str,
    exit: ExitCode,
    output: Option<PathBuf>,
    error: Option<String>,
}

/// A valid line with its identifiers parsed.
struct Parsed {
    line: Line,
    ids: Vec<SubjectId>,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let entries = file::read(&args.file)?;
    let erases = entries
        .iter()
        .any(|e| matches!(e, Entry::Good(l) if l.kind == Kind::Erase));
    if erases && !args.yes && !args.dry_run {
        return Err(Error::Usage(format!(
            "{} has erase lines, which change data: pass --yes to carry them out (there is no prompt per line), or --dry-run to see their plans; nothing was read or changed",
            args.file.display()
        )));
    }
    let mut cx = Context::open(g, false)?;
    let mut results: Vec<Outcome> = Vec::new();
    let mut lines: Vec<Parsed> = Vec::new();
    let shown = args.file.display().to_string();
    let bad = |results: &mut Vec<Outcome>, line: u64, request: &str, kind: &str, why: &str| {
        status(g, format!("dsr: {shown}:{line}: skipped: {why}"));
        results.push(Outcome {
            line,
            request: request.to_string(),
            kind: kind.to_string(),
            outcome: "invalid",
            exit: ExitCode::Usage,
            output: None,
            error: Some(why.to_string()),
        });
    };
    for e in entries {
        match e {
            Entry::Bad(b) => bad(&mut results, b.line, &b.request, &b.kind, &b.reason),
            Entry::Good(l) => match graph::parse_subjects(&cx.map, &l.subjects, cx.today) {
                Ok(ids) => lines.push(Parsed { line: l, ids }),
                Err(e) => {
                    let why = format!("the subject is not valid: {e}");
                    bad(&mut results, l.line, &l.request, l.kind.as_str(), &why);
                }
            },
        }
    }
    let done = done_before(&cx)?;
    let is_done =
        |p: &Parsed| done.contains(&(p.line.request.clone(), p.line.kind.as_str().into()));
    ensure_dir(&args.output)?;

    // The shared scan: every extract line that comes before the first erase
    // line to run (an erasure may change what later lines find) is resolved
    // now, and the free text searched once for all of them.
    let first_erase = lines
        .iter()
        .position(|p| p.line.kind == Kind::Erase && !is_done(p))
        .unwrap_or(lines.len());
    let mut early: Vec<Option<(graph::Belonging, Option<Vec<graph::Mention>>)>> = Vec::new();
    {
        // Their lookups too: a column that no index answers is read once
        // for all of them (the memo is dropped before anything is written).
        struct Memoized<'a>(&'a crate::store::Store);
        impl Drop for Memoized<'_> {
            fn drop(&mut self) {
                self.0.memoize_lookups(false);
            }
        }
        cx.store.memoize_lookups(true);
        let _memo = Memoized(&cx.store);
        let mut resolved: Vec<(usize, graph::Belonging)> = Vec::new();
        for (i, p) in lines.iter().enumerate() {
            if i < first_erase && p.line.kind == Kind::Extract && !is_done(p) {
                // A line whose lookup fails is carried out on its own, and
                // fails there with its own outcome.
                if let Ok(b) = graph::resolve_copy(&cx.store, &cx.schema, &cx.map, &p.ids) {
                    resolved.push((i, b));
                }
            }
        }
        let wanted: Vec<(&graph::Belonging, Vec<(crate::ident::Kind, String)>)> = resolved
            .iter()
            .filter(|(_, b)| b.ambiguous.is_empty())
            .map(|(_, b)| (b, graph::mention_ids(b)))
            .collect();
        let mut found = graph::mentions_many(&cx.store, &cx.schema, &cx.map, &wanted)?.into_iter();
        early.resize_with(lines.len(), || None);
        for (i, b) in resolved {
            let m = if b.ambiguous.is_empty() {
                found.next()
            } else {
                None
            };
            early[i] = Some((b, m));
        }
    }

    for (i, p) in lines.iter().enumerate() {
        let l = &p.line;
        let mut out = Outcome {
            line: l.line,
            request: l.request.clone(),
            kind: l.kind.as_str().into(),
            outcome: "ok",
            exit: ExitCode::Ok,
            output: None,
            error: None,
        };
        if is_done(p) {
            out.outcome = "skipped";
            results.push(out);
            continue;
        }
        cx.tenant.actor.request = Some(l.request.clone());
        let (now, _) = super::clock()?;
        cx.now = now;
        let at = crate::time::format_ts(now);
        let pre = early.get_mut(i).and_then(Option::take);
        match carry_out(&cx, args, p, pre, &at) {
            Ok(path) => out.output = Some(path),
            Err(e) => {
                status(g, format!("dsr: {shown}:{} ({}): {e}", l.line, l.request));
                out.exit = e.exit_code();
                out.outcome = match e {
                    Error::Ambiguous(_) => "ambiguous",
                    Error::NotFound(_) => "not_found",
                    _ => "failed",
                };
                out.error = Some(e.to_string());
            }
        }
        results.push(out);
    }
    results.sort_by_key(|r| r.line);
    report(g, &results)?;
    Ok(results
        .iter()
        .find(|r| r.exit != ExitCode::Ok)
        .map(|r| r.exit)
        .unwrap_or(ExitCode::Ok))
}

/// The (request, command) pairs that already have an `ok` record: lines to
/// skip. An erasure counts only when it was carried out (not a dry run).
fn done_before(cx: &Context) -> Result<HashSet<(String, String)>> {
    let mut done = HashSet::new();
    cx.store.audit_records(|r| {
        if let (Some(req), "ok") = (&r.request, r.outcome.as_str()) {
            let dry = r.command == "erase"
                && serde_json::from_str::<Json>(&r.details)
                    .map(|d| d["dry_run"] != json!(false))
                    .unwrap_or(true);
            if !dry {
                done.insert((req.clone(), r.command.clone()));
            }
        }
        Ok(())
    })?;
    Ok(done)
}

fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| {
        Error::Usage(format!(
            "the output directory {} cannot be created: {}; give -o DIR naming a directory you can write",
            dir.display(),
            crate::error::io_reason(&e)
        ))
    })
}

/// Where a line's output goes: `DIR/REQUEST.json` (`.xlsx`, `.html`; csv: the
/// directory `DIR/REQUEST`); an erase line writes its `dsr.erase/1` report.
fn output_path(args: &Args, l: &Line) -> (PathBuf, Format) {
    let format = if l.kind == Kind::Erase {
        Format::Json
    } else {
        args.format
    };
    let name = match format {
        Format::Csv => l.request.clone(),
        f => format!("{}.{}", l.request, f.as_str()),
    };
    (args.output.join(name), format)
}

/// Carries out one line as its single command would, given what the shared
/// scan found for it (extract lines before any erasure).
fn carry_out(
    cx: &Context,
    args: &Args,
    p: &Parsed,
    pre: Option<(graph::Belonging, Option<Vec<graph::Mention>>)>,
    at: &str,
) -> Result<PathBuf> {
    let l = &p.line;
    let (path, format) = output_path(args, l);
    writers::check_output(&path, false, format == Format::Csv)?;
    let command = l.kind.as_str();
    let resolved = |with_mentions: bool| -> Result<Resolved> {
        let (b, mentions) = match pre {
            Some(v) => v,
            None => {
                let b = graph::resolve_copy(&cx.store, &cx.schema, &cx.map, &p.ids)?;
                let m = (with_mentions && b.ambiguous.is_empty())
                    .then(|| {
                        let needles = graph::mention_ids(&b);
                        graph::mentions(&cx.store, &cx.schema, &cx.map, &b, &needles)
                    })
                    .transpose()?;
                (b, m)
            }
        };
        judge(
            cx,
            p.ids.clone(),
            b,
            mentions,
            false,
            command,
            format.as_str(),
            at,
        )
    };
    match l.kind {
        Kind::Extract => {
            let r = resolved(true)?;
            let done = super::extract::extract_one(
                cx,
                &r,
                format,
                Some(&path),
                false,
                args.lang.or(cx.map.language).unwrap_or(Lang::En),
                false,
            )?;
            Ok(done.path.unwrap_or(path))
        }
        Kind::Export => {
            if format == Format::Html {
                return Err(Error::Usage(
                    "an export line cannot be written as html (Art. 20 asks for a machine-readable format): run the batch with --format json, xlsx or csv".into(),
                ));
            }
            let r = resolved(false)?;
            let done = super::export::export_one(cx, &r, format, Some(&path), false, false)?;
            Ok(done.path.unwrap_or(path))
        }
        Kind::Erase => {
            let pairs: Vec<(String, String)> = p
                .ids
                .iter()
                .map(|i| (i.name.clone(), i.key.clone()))
                .collect();
            let done = super::erase::erase_one(cx, &p.ids, &pairs, at, args.dry_run, false, None)?;
            let mut f = Pending::create(&path, false)?;
            writers::write_json(f.writer(), &done.report).map_err(|e| f.write_error(e))?;
            Output::File(f).commit()
        }
    }
}

/// The summary: a table on stderr, or `dsr.batch/1` on stdout with --json.
fn report(g: &Globals, results: &[Outcome]) -> Result<()> {
    if g.json {
        let lines: Vec<Json> = results
            .iter()
            .map(|r| {
                let mut e = json!({
                    "line": r.line, "request": r.request, "kind": r.kind,
                    "outcome": r.outcome, "exit": r.exit as i32,
                });
                if let Some(p) = &r.output {
                    e["output"] = json!(p);
                }
                if let Some(m) = &r.error {
                    e["error"] = json!(m);
                }
                e
            })
            .collect();
        print_json(&json!({ "schema": "dsr.batch/1", "lines": lines }))?;
    }
    let mut t = format!(
        "{:<6} {:<16} {:<8} {:<10} {:<5} output\n",
        "line", "request", "kind", "outcome", "exit"
    );
    for r in results {
        let what = match (&r.output, r.outcome) {
            (Some(p), _) => p.display().to_string(),
            (None, "skipped") => "done in an earlier run".into(),
            (None, _) => "-".into(),
        };
        t.push_str(&format!(
            "{:<6} {:<16} {:<8} {:<10} {:<5} {what}\n",
            r.line, r.request, r.kind, r.outcome, r.exit as i32
        ));
    }
    let n = |o: &str| results.iter().filter(|r| r.outcome == o).count() as u64;
    let failed = results.len() as u64 - n("ok") - n("skipped") - n("invalid");
    t.push_str(&format!(
        "{}: {} ok, {} skipped (done before), {} failed, {} invalid",
        super::count(results.len() as u64, "line"),
        n("ok"),
        n("skipped"),
        failed,
        n("invalid")
    ));
    status(g, t);
    Ok(())
}
