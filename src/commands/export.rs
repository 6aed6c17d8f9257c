//! `dsr export`: Art. 20 portability for one subject (the rows of tables
//! whose legal basis is consent or contract), or with `--all` every mapped
//! table of the tenant, streamed, for a customer who leaves.

use super::{
    category_of, print_json, record_and_release, record_failure, resolve_subject, scrub_path,
    status, write_doc,
};
use super::{Context, Format};
use crate::audit;
use crate::config::Globals;
use crate::error::{Error, ExitCode, Result};
use crate::report::{self, Lang};
use crate::store::schema::TableSchema;
use crate::writers::check_output;
use crate::writers::{self, ColumnHead, Output, Pending, PendingDir, TableSink};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value as Json};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// The legal bases under which Art. 20 applies.
pub const PORTABLE: [&str; 2] = ["consent", "contract"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Xlsx,
    Csv,
}

impl ExportFormat {
    fn format(self) -> Format {
        match self {
            ExportFormat::Json => Format::Json,
            ExportFormat::Xlsx => Format::Xlsx,
            ExportFormat::Csv => Format::Csv,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data subject as KIND:VALUE (e.g. email:anna@example.se); several may name one person
    #[arg(
        value_name = "SUBJECT",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub subjects: Vec<String>,
    /// Every mapped table with all its rows (a customer who leaves), instead of one subject
    #[arg(long)]
    pub all: bool,
    /// Output format (xlsx and csv need -o; for csv it names a directory)
    #[arg(long, value_enum, default_value = "json")]
    pub format: ExportFormat,
    /// Write to this file (csv: this new directory) instead of stdout, created 0600 (0700)
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Replace an existing output file (csv: an earlier CSV export)
    #[arg(long)]
    pub force: bool,
    /// Go on when the identifiers match more than one row of a subjects table
    #[arg(long)]
    pub all_matches: bool,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let format = args.format.format();
    match &args.output {
        Some(p) => check_output(p, args.force, format == Format::Csv)?,
        None if format != Format::Json => {
            return Err(Error::Usage(format!(
                "--format {} writes {}: give -o PATH",
                format.as_str(),
                if format == Format::Csv {
                    "a directory of files"
                } else {
                    "a file"
                }
            )))
        }
        None => {}
    }
    if args.all {
        tenant(g, args, format)
    } else {
        subject(g, args, format)
    }
}

/// A subject's portability export carried out: its audit record, where it
/// was written (`None`: for stdout), the document, and the rows per table
/// kept and left out.
pub struct Exported {
    pub row: crate::store::AuditRow,
    pub path: Option<PathBuf>,
    pub kept: Map<String, Json>,
    pub left_out: Map<String, Json>,
    pub rows: u64,
}

/// Plan, act and audit one resolved subject's Art. 20 export (no portable
/// rows: recorded and refused with exit 4). Shared by `dsr export` and each
/// export line of `dsr batch`. Without `output` the document goes to
/// stdout once the audit record is in, its rows streamed from the store.
pub fn export_one(
    cx: &Context,
    r: &super::Resolved,
    format: Format,
    output: Option<&std::path::Path>,
    force: bool,
    all_matches: bool,
) -> Result<Exported> {
    let fmt = format.as_str();
    let doc = report::extract_doc(&cx.store, &cx.map, &cx.schema, &r.b, &[], &r.at, Lang::En);
    let mut tables = report::Ordered::default();
    let mut kept = Map::new();
    let mut left_out = Map::new();
    for (name, t) in doc.tables.iter() {
        let n = json!(t.rows.count);
        if PORTABLE.contains(&t.legal_basis.as_str()) {
            tables.insert(name.clone(), t);
            kept.insert(name.clone(), n);
        } else {
            left_out.insert(name.clone(), n);
        }
    }
    let rows: u64 = kept.values().filter_map(Json::as_u64).sum();
    let details = |outcome_tables: &Map<String, Json>| {
        cx.details(json!({
            "format": fmt,
            "scope": "subject",
            "all_matches": all_matches,
            "tables": outcome_tables,
            "left_out": left_out,
            "output": if output.is_some() { "file" } else { "stdout" },
        }))
    };
    if tables.is_empty() {
        audit::record(
            &cx.store,
            &cx.tenant.actor,
            &r.at,
            "export",
            &r.secret_ids,
            "not_found",
            details(&Map::new()),
        )?;
        return Err(Error::NotFound(format!(
            "no portable data for the subject: their rows are all in tables whose legal basis is not consent or contract ({}), which Art. 20 does not cover; nothing was written; use `dsr extract` for the Art. 15 copy",
            left_out.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let out_doc = report::ExportDoc {
        schema: "dsr.export/1",
        scope: "subject",
        generated_at: &doc.generated_at,
        controller: &doc.controller,
        subject: &doc.subject,
        tables,
    };
    let (row, path) = match output {
        Some(p) => {
            let written = write_doc(
                format,
                report::Doc::Export(&out_doc),
                p,
                force,
                Lang::En,
                &cx.map,
                false,
            );
            let released = written.and_then(|out| {
                record_and_release(cx, &r.at, "export", &r.secret_ids, details(&kept), out)
            });
            match released {
                Ok((row, path)) => (row, Some(path)),
                Err(e) => {
                    let reason = scrub_path(&e.to_string(), p);
                    let d = details(&kept);
                    record_failure(cx, &r.at, "export", &r.secret_ids, d, &e, &reason);
                    return Err(e);
                }
            }
        }
        None => {
            let row = audit::record(
                &cx.store,
                &cx.tenant.actor,
                &r.at,
                "export",
                &r.secret_ids,
                "ok",
                details(&kept),
            )?;
            super::print_doc(report::Doc::Export(&out_doc))?;
            (row, None)
        }
    };
    Ok(Exported {
        row,
        path,
        kept,
        left_out,
        rows,
    })
}

/// Art. 20: the subject's rows in tables under consent or contract.
fn subject(g: &Globals, args: &Args, format: Format) -> Result<ExitCode> {
    let fmt = format.as_str();
    // Mentions in other people's free text are not data the subject
    // provided: not searched for, and not portable (Art. 20).
    let run = resolve_subject(g, &args.subjects, args.all_matches, "export", fmt, false)?;
    let done = export_one(
        &run.cx,
        &run.r,
        format,
        args.output.as_deref(),
        args.force,
        args.all_matches,
    )?;
    let (row, written) = (done.row, done.path);
    let (kept, left_out, rows) = (done.kept, done.left_out, done.rows);
    let left = if left_out.is_empty() {
        String::new()
    } else {
        format!(
            "; left out (legal basis not consent or contract): {}",
            left_out.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    match written {
        Some(path) => {
            if g.json && !crate::writers::is_stdout(&path) {
                print_json(
                    &json!({ "schema": "dsr.export-result/1", "scope": "subject", "path": path, "format": fmt, "tables": kept, "rows": rows, "audit_seq": row.seq }),
                )?;
            }
            status(
                g,
                format!(
                    "wrote the portability export ({}) to {} (audit record {}){left}",
                    super::count(rows, "row"),
                    crate::writers::shown(&path),
                    row.seq
                ),
            );
        }
        None => {
            status(
                g,
                format!(
                    "export: {} (audit record {}){left}",
                    super::count(rows, "row"),
                    row.seq
                ),
            );
        }
    }
    Ok(ExitCode::Ok)
}

/// The mapped tables that a whole-tenant export writes: all of them, but
/// never dsr's own.
fn export_tables(cx: &Context) -> Vec<(&TableSchema, Vec<ColumnHead>)> {
    cx.map
        .tables
        .iter()
        .filter(|t| !t.name.starts_with("_dsr_"))
        .filter_map(|t| cx.schema.table(&t.name))
        .map(|ts| {
            let cols = ts
                .columns
                .iter()
                .map(|c| ColumnHead::new(&c.name, category_of(&cx.map, &ts.name, &c.name)))
                .collect();
            (ts, cols)
        })
        .collect()
}

/// A progress bar on stderr for one table, when stderr is a terminal and
/// not --quiet.
fn bar(g: &Globals, cx: &Context, ts: &TableSchema) -> Result<Option<ProgressBar>> {
    if g.quiet || !std::io::stderr().is_terminal() {
        return Ok(None);
    }
    let pb = ProgressBar::new(cx.store.count(ts)?);
    let style = ProgressStyle::with_template("{prefix:>20} {bar:40} {pos}/{len} rows {rate}")
        .map(|s| {
            // Whole rows per second, not indicatif's fractional {per_sec}.
            s.with_key(
                "rate",
                |st: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} rows/s", st.per_sec());
                },
            )
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb.set_prefix(ts.name.clone());
    Ok(Some(pb))
}

/// Streams every exported table into `sink`; returns rows per table.
/// `direct` may write a table's rows into the sink itself (the CSV of a
/// store that writes CSV: PostgreSQL's COPY) and return how many, or
/// `None` to have them read row by row.
fn stream<S: TableSink>(
    g: &Globals,
    cx: &Context,
    sink: &mut S,
    werr: &dyn Fn(std::io::Error) -> Error,
    mut direct: impl FnMut(&TableSchema, &mut S) -> Result<Option<u64>>,
) -> Result<Vec<(String, u64)>> {
    let tables = export_tables(cx);
    cx.store.snapshot(|| {
        let mut out = Vec::new();
        for (ts, cols) in &tables {
            let pb = bar(g, cx, ts)?;
            sink.begin_table(&ts.name, cols).map_err(werr)?;
            let mut n = 0u64;
            let total = match direct(ts, sink)? {
                Some(total) => total,
                None => cx.store.scan_all(ts, |vals| {
                    sink.row(vals).map_err(werr)?;
                    n += 1;
                    if n.is_multiple_of(4096) {
                        if let Some(pb) = &pb {
                            pb.set_position(n);
                        }
                    }
                    Ok(())
                })?,
            };
            sink.end_table().map_err(werr)?;
            if let Some(pb) = pb {
                pb.set_position(total);
                pb.finish();
            }
            out.push((ts.name.clone(), total));
        }
        Ok(out)
    })
}

/// For [`stream`]: every row through the sink.
fn row_by_row<S>(_: &TableSchema, _: &mut S) -> Result<Option<u64>> {
    Ok(None)
}

/// The head of the whole-tenant JSON document, and each table's metadata.
fn json_head(cx: &Context, at: &str) -> (Json, writers::json::TableMeta) {
    let head = json!({
        "schema": "dsr.export/1",
        "scope": "tenant",
        "generated_at": at,
        "controller": {
            "name": cx.map.controller.name,
            "contact": cx.map.controller.contact,
            "authority": cx.map.controller.authority,
        },
    });
    let meta: Map<String, Json> = cx
        .map
        .tables
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                json!({ "purpose": t.purpose, "legal_basis": t.legal_basis }),
            )
        })
        .collect();
    (
        head,
        Box::new(move |name: &str| meta.get(name).cloned().unwrap_or(json!({}))),
    )
}

/// `--all`: every mapped table, streamed.
fn tenant(g: &Globals, args: &Args, format: Format) -> Result<ExitCode> {
    let fmt = format.as_str();
    let cx = Context::open(g, false)?;
    let at = crate::time::format_ts(cx.now);
    let details = |tables: &[(String, u64)], output: &str| {
        let t: Map<String, Json> = tables.iter().map(|(k, n)| (k.clone(), json!(n))).collect();
        cx.details(json!({
            "format": fmt,
            "scope": "tenant",
            "tables": t,
            "rows": tables.iter().map(|(_, n)| n).sum::<u64>(),
            "output": output,
        }))
    };
    let record = |d: Json| audit::record(&cx.store, &cx.tenant.actor, &at, "export", &[], "ok", d);

    // `-o -` with JSON streams as without -o; other formats spool (Pending).
    let to_file = args
        .output
        .as_ref()
        .filter(|p| !(writers::is_stdout(p) && args.format == ExportFormat::Json));
    let Some(path) = to_file else {
        // JSON on stdout: nothing may be released before the audit record,
        // so it is written first, with the rows counted beforehand.
        let counted: Vec<(String, u64)> = export_tables(&cx)
            .iter()
            .map(|(ts, _)| Ok((ts.name.clone(), cx.store.count(ts)?)))
            .collect::<Result<_>>()?;
        let row = record(details(&counted, "stdout"))?;
        let (head, meta) = json_head(&cx, &at);
        let stdout = std::io::stdout();
        let w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        let mut js =
            writers::json::JsonStream::start(w, &head, meta).map_err(crate::error::stdout_error)?;
        let written = stream(g, &cx, &mut js, &crate::error::stdout_error, row_by_row)?;
        js.finish()
            .and_then(|mut w| w.flush())
            .map_err(crate::error::stdout_error)?;
        let rows: u64 = written.iter().map(|(_, n)| n).sum();
        status(
            g,
            format!(
                "export: {} of {} (audit record {})",
                super::count(rows, "row"),
                super::count(written.len() as u64, "table"),
                row.seq
            ),
        );
        return Ok(ExitCode::Ok);
    };

    let werr = |e: std::io::Error| writers::write_failed(path, e);
    // Creating the output reads nothing yet: a refusal there is not a
    // failed export. Anything after the first row was read is.
    enum Target {
        Dir(PendingDir),
        File(Pending),
    }
    let target = match args.format {
        ExportFormat::Csv => Target::Dir(PendingDir::create(path, args.force)?),
        _ => Target::File(Pending::create(path, args.force)?),
    };
    let released = (|| -> Result<_> {
        let (output, written) = match (args.format, target) {
            (_, Target::Dir(d)) => {
                let mut c = writers::csv::CsvDir::new(&d);
                let written = stream(g, &cx, &mut c, &werr, |ts, c| {
                    c.records(|w| cx.store.copy_csv(ts, w, &werr))
                })?;
                (Output::Dir(d), written)
            }
            (ExportFormat::Xlsx, Target::File(mut p)) => {
                let mut x = writers::xlsx::Xlsx::new(Lang::En, &p.dir()).map_err(werr)?;
                let written = stream(g, &cx, &mut x, &werr, row_by_row)?;
                x.finish(p.writer()).map_err(werr)?;
                (Output::File(p), written)
            }
            (_, Target::File(mut p)) => {
                let (head, meta) = json_head(&cx, &at);
                let mut js =
                    writers::json::JsonStream::start(p.writer(), &head, meta).map_err(werr)?;
                let written = stream(g, &cx, &mut js, &werr, row_by_row)?;
                js.finish().map_err(werr)?;
                (Output::File(p), written)
            }
        };
        let (row, path) =
            record_and_release(&cx, &at, "export", &[], details(&written, "file"), output)?;
        Ok((row, path, written))
    })();
    let (row, path, written) = match released {
        Ok(v) => v,
        Err(e) => {
            let reason = scrub_path(&e.to_string(), path);
            record_failure(&cx, &at, "export", &[], details(&[], "file"), &e, &reason);
            return Err(e);
        }
    };
    let rows: u64 = written.iter().map(|(_, n)| n).sum();
    if g.json && !crate::writers::is_stdout(&path) {
        let t: Map<String, Json> = written.iter().map(|(k, n)| (k.clone(), json!(n))).collect();
        print_json(
            &json!({ "schema": "dsr.export-result/1", "scope": "tenant", "path": path, "format": fmt, "tables": t, "rows": rows, "audit_seq": row.seq }),
        )?;
    }
    status(
        g,
        format!(
            "wrote the export of the whole tenant ({} of {}) to {} (audit record {})",
            super::count(rows, "row"),
            super::count(written.len() as u64, "table"),
            crate::writers::shown(&path),
            row.seq
        ),
    );
    Ok(ExitCode::Ok)
}
