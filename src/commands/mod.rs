//! One module per command. Each reads as: resolve → plan → act → audit → report.

pub mod audit;
pub mod batch;
pub mod check;
pub mod config;
pub mod demo;
pub mod erase;
pub mod export;
pub mod extract;
pub mod init;
pub mod replay;
pub mod request;
pub mod sweep;

use crate::config::{Globals, Tenant};
use crate::error::{Error, Result};
use crate::graph::{self, Belonging, SubjectId};
use crate::map::{self, DataMap, Severity};
use crate::report::{Doc, Lang};
use crate::store::schema::Schema;
use crate::store::{self, Mode, Store};
use crate::time;
use crate::writers::{self, Output, Pending, PendingDir};
use jiff::civil::Date;
use jiff::Timestamp;
use serde_json::json;
use std::io::Write;
use std::path::Path;

/// A tenant opened for a command: the map validated against the live store.
pub struct Context {
    pub tenant: Tenant,
    pub now: Timestamp,
    pub today: Date,
    pub map: DataMap,
    pub store: Store,
    pub schema: Schema,
}

pub fn clock() -> Result<(Timestamp, Date)> {
    let now = time::now().map_err(Error::Usage)?;
    Ok((now, time::today(now)))
}

/// How a command opens the store.
pub(crate) fn mode(read_only: bool) -> Mode {
    if read_only {
        Mode::ReadOnly
    } else {
        Mode::ReadWrite
    }
}

impl Context {
    /// Resolves the tenant, reads the map, opens the store and refuses a map
    /// that does not fit it (exit 3) before any personal data is read.
    pub fn open(g: &Globals, read_only: bool) -> Result<Context> {
        Context::open_tenant(g.tenant(true)?, read_only)
    }

    /// [`Context::open`] of a tenant already resolved.
    pub fn open_tenant(tenant: Tenant, read_only: bool) -> Result<Context> {
        let (now, today) = clock()?;
        let map_path = tenant
            .map
            .clone()
            .ok_or_else(|| Error::Usage("no data map given".into()))?;
        crate::trace::mark("tenant", String::new);
        let map = map::load(&map_path)?;
        // The map's phone regions are built while the store opens.
        crate::ident::warm(map.identifiers.iter().map(|i| &i.kind));
        crate::trace::mark("map", String::new);
        let mut store = store::open(&tenant.store, mode(read_only), today)?;
        crate::trace::mark("open", String::new);
        if !read_only {
            // A command that will record: refuse a broken trail before any
            // personal data is read (DESIGN §4); `append` checks again
            // inside its transaction.
            crate::audit::precheck(&store, &tenant.actor)?;
            crate::trace::mark("precheck", String::new);
        }
        let schema = store.schema()?;
        crate::trace::mark("schema", String::new);
        let diags = map::fit::check(&map, &schema, None)?;
        crate::trace::mark("fit", String::new);
        let errors: Vec<String> = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.render_item(&map_path))
            .collect();
        if !errors.is_empty() {
            return Err(Error::MapInvalid(format!(
                "the data map {} does not fit the store {} ({} error{}); nothing was read or changed; run `dsr check` and fix the map:\n{}",
                map_path.display(),
                store.describe(),
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                errors.join("\n"),
            )));
        }
        store.set_personal_keys(map.tables.iter().filter_map(|t| {
            let ts = schema.table(&t.name)?;
            t.key_is_personal(&ts.pk).then(|| t.name.clone())
        }));
        if !read_only {
            // dsr's own tables at this dsr's version, with no plain personal
            // key in them, before the command reads them.
            crate::store::migrate::run(&store)?;
            crate::trace::mark("migrate", String::new);
        }
        Ok(Context {
            tenant,
            now,
            today,
            map,
            store,
            schema,
        })
    }

    /// What every audit record's details carry besides the command's own.
    pub fn details(&self, extra: serde_json::Value) -> serde_json::Value {
        let mut d = serde_json::json!({
            "tool_version": env!("CARGO_PKG_VERSION"),
            "map_sha256": self.map.sha256,
        });
        if let (Some(obj), serde_json::Value::Object(more)) = (d.as_object_mut(), extra) {
            obj.extend(more);
        }
        d
    }
}

/// "1 row", "2 rows": a count with its noun, for people. `noun` is the
/// singular; the plural adds "s" (or "es" after s, x, ch, sh).
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else if ["s", "x", "ch", "sh"].iter().any(|e| noun.ends_with(e)) {
        format!("{n} {noun}es")
    } else {
        format!("{n} {noun}s")
    }
}

/// Records a command that failed after it began (a refused erasure, a
/// sweep stopped half way, an output that could not be written): outcome
/// `failed`, the reason in `details.reason`, in a transaction of its own,
/// the failed one having been rolled back. Not when the trail itself is
/// broken (exit 7: nothing may be appended), the store is locked, or the
/// failure was recorded already with its own outcome (not found,
/// ambiguous). A record that cannot be written is only warned about: the
/// command still ends with its own error. `reason` must hold no personal
/// data (callers pass the error's message, which names tables and counts
/// only, or scrub it first: see [`scrub_path`]).
pub fn record_failure(
    cx: &Context,
    at: &str,
    command: &str,
    ids: &[(String, String)],
    extra: serde_json::Value,
    err: &Error,
    reason: &str,
) {
    let recordable = match err {
        Error::Runtime(m) => !m.contains("is locked by another process"),
        Error::Usage(_) | Error::MapInvalid(_) => true,
        _ => false,
    };
    if !recordable {
        return;
    }
    let mut details = cx.details(extra);
    if let Some(obj) = details.as_object_mut() {
        obj.insert("reason".into(), json!(reason));
    }
    if let Err(e) = crate::audit::record(
        &cx.store,
        &cx.tenant.actor,
        at,
        command,
        ids,
        "failed",
        details,
    ) {
        eprintln!("dsr: warning: the failure could not be recorded in the audit trail: {e}");
    }
}

/// Writes the command's audit record (outcome `ok`) and puts the output in
/// place (a rename) in the same transaction, so that an output that cannot
/// be put in place (its path turned out to be a directory) leaves no `ok`
/// record, and nothing is released unless the record commits: should the
/// commit fail after the rename, the output is removed again.
pub fn record_and_release(
    cx: &Context,
    at: &str,
    command: &str,
    ids: &[(String, String)],
    details: serde_json::Value,
    output: writers::Output,
) -> Result<(crate::store::AuditRow, std::path::PathBuf)> {
    let actor = &cx.tenant.actor;
    let mut released: Option<(std::path::PathBuf, bool)> = None;
    let done = cx.store.write(|tx| {
        let secret = tx.ensure_tool_tables()?;
        let entry = crate::audit::Entry {
            command: command.into(),
            subject: (!ids.is_empty()).then(|| crate::audit::subject_ref(&secret, ids)),
            outcome: "ok".into(),
            details,
        };
        // The tables and secret are made before the tip is checked (the
        // order `append` would take again); checked once.
        let tip = crate::audit::check_tip(tx, actor.key.as_deref())?;
        let row = crate::audit::append_checked(tx, actor, at, &entry, None, tip, secret)?;
        let dir = matches!(output, writers::Output::Dir(_));
        let path = output.commit()?;
        released = Some((path.clone(), dir));
        Ok((row, path))
    });
    match done {
        Ok((row, path)) => {
            crate::audit::after_commit(actor, &row);
            Ok((row, path))
        }
        Err(e) => {
            // Standard output (`-o -`) cannot be taken back.
            if let Some((path, dir)) = released.filter(|(p, _)| !writers::is_stdout(p)) {
                let _ = if dir {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
            }
            Err(e)
        }
    }
}

/// An output error's message with the output path left out: a file name
/// may name the person (`-o anna-berg.json`), and audit records never do.
/// The writers name an output by its whole path, or as `NAME in DIR`.
pub fn scrub_path(msg: &str, path: &Path) -> String {
    if writers::is_stdout(path) {
        return msg.to_string();
    }
    let mut out = msg.replace(&path.display().to_string(), "the output");
    if let (Some(name), Some(dir)) = (path.file_name(), path.parent()) {
        let dir = match dir.display().to_string() {
            d if d.is_empty() => ".".to_string(),
            d => d,
        };
        let named = format!("{} in {dir}", name.to_string_lossy());
        out = out.replace(&named, "the output in its directory");
    }
    out
}

/// Status lines for people: on stderr, and not at all with --quiet.
pub fn status(g: &Globals, msg: impl std::fmt::Display) {
    if !g.quiet {
        eprintln!("{msg}");
    }
}

/// The message for exit 5: which tables matched several rows, by key where
/// the key is not itself personal data, and, where identifiers found in the
/// subject's rows took part, by which kinds.
pub fn ambiguity_message(b: &Belonging) -> String {
    let parts: Vec<String> = b
        .ambiguous
        .iter()
        .map(|a| {
            let rows: Vec<String> = a
                .row_matched_by
                .iter()
                .enumerate()
                .map(|(i, by)| {
                    let who = match &a.keys {
                        Some(keys) => keys.get(i).cloned().unwrap_or_default(),
                        None => format!("row {}", i + 1),
                    };
                    let how: Vec<String> = by
                        .iter()
                        .map(|(name, given)| {
                            if *given {
                                format!("{name} (given)")
                            } else {
                                format!("{name} (found in the subject's rows)")
                            }
                        })
                        .collect();
                    if how.is_empty() {
                        who
                    } else {
                        format!("{who} by {}", how.join(" and "))
                    }
                })
                .collect();
            let note = if a.keys.is_none() {
                ", their keys are personal data and not shown"
            } else {
                ""
            };
            format!("{}: {} rows{note}: {}", a.table, a.rows, rows.join("; "))
        })
        .collect();
    format!(
        "the identifiers match more than one person: {}; nothing was released or changed; give an identifier that names one person (e.g. a customer number), or pass --all-matches if these really are one person",
        parts.join(" | ")
    )
}

/// Prints one JSON document on stdout.
/// Prints an extract-like document on stdout, its rows streamed from the
/// store where it left them there; a store failure on the way is reported
/// as itself.
pub fn print_doc(doc: Doc<'_>) -> Result<()> {
    print_json(&doc).map_err(|e| doc.take_failure().unwrap_or(e))
}

pub fn print_json(doc: &impl serde::Serialize) -> Result<()> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    writers::write_json(&mut w, doc)
        .and_then(|_| w.flush())
        .map_err(crate::error::stdout_error)
}

/// A data subject resolved for `extract` or `export`, past the refusals.
pub struct SubjectRun {
    pub cx: Context,
    pub r: Resolved,
}

/// What resolving a subject found, past the refusals: the part of a
/// [`SubjectRun`] that a batch, which opens the tenant once, keeps per line.
pub struct Resolved {
    pub ids: Vec<SubjectId>,
    pub b: Belonging,
    /// Mentions of the subject in free text (only when asked for).
    pub mentions: Vec<graph::Mention>,
    /// The time of the command, for the document and the audit record.
    pub at: String,
    /// (identifier name, normalised key): what the audit subject is made of.
    pub secret_ids: Vec<(String, String)>,
}

/// Opens the tenant and resolves the subject; an ambiguous subject (exit 5
/// unless `all_matches`) or one with no data (exit 4) is refused, and the
/// refusal recorded in the audit trail before it is reported. With
/// `with_mentions` (extract), the free text is searched too, and a subject
/// who is only mentioned there has data: their mentions.
pub fn resolve_subject(
    g: &Globals,
    subjects: &[String],
    all_matches: bool,
    command: &str,
    format: &str,
    with_mentions: bool,
) -> Result<SubjectRun> {
    let cx = Context::open(g, false)?;
    let ids = graph::parse_subjects(&cx.map, subjects, cx.today)?;
    let b = graph::resolve_copy(&cx.store, &cx.schema, &cx.map, &ids)?;
    crate::trace::mark("resolve", || format!("{} rows", b.total()));
    let ambiguous = !b.ambiguous.is_empty() && !all_matches;
    let mentions = if with_mentions && !ambiguous {
        let needles = graph::mention_ids(&b);
        Some(graph::mentions(
            &cx.store, &cx.schema, &cx.map, &b, &needles,
        )?)
    } else {
        None
    };
    crate::trace::mark("mentions", || {
        format!("{} mentions", mentions.as_ref().map_or(0, Vec::len))
    });
    let at = time::format_ts(cx.now);
    let r = judge(&cx, ids, b, mentions, all_matches, command, format, &at)?;
    Ok(SubjectRun { cx, r })
}

/// The refusals of a resolved subject: ambiguous (exit 5 unless
/// `all_matches`) or no data (exit 4), recorded in the audit trail before
/// they are returned. `mentions` is `Some` when free text was searched
/// (extract); a batch passes the mentions its one shared scan found.
#[allow(clippy::too_many_arguments)]
pub fn judge(
    cx: &Context,
    ids: Vec<SubjectId>,
    b: Belonging,
    mentions: Option<Vec<graph::Mention>>,
    all_matches: bool,
    command: &str,
    format: &str,
    at: &str,
) -> Result<Resolved> {
    let with_mentions = mentions.is_some();
    let mentions = mentions.unwrap_or_default();
    let secret_ids: Vec<(String, String)> = ids
        .iter()
        .map(|i| (i.name.clone(), i.key.clone()))
        .collect();
    let ambiguous = !b.ambiguous.is_empty() && !all_matches;
    let refusal = if ambiguous {
        Some(("ambiguous", Error::Ambiguous(ambiguity_message(&b))))
    } else if b.total() == 0 && mentions.is_empty() {
        let msg = if with_mentions {
            "no data found for the subject: no mapped table holds a row with these identifiers, and no free text mentions them; check the kind and value, or try another identifier"
        } else {
            "no data found for the subject: no mapped table holds a row with these identifiers; check the kind and value, or try another identifier (mentions of the subject in other people's free text are not data they provided, which Art. 20 covers; `dsr extract` reports them)"
        };
        Some(("not_found", Error::NotFound(msg.into())))
    } else {
        None
    };
    if let Some((outcome, err)) = refusal {
        let details = cx.details(json!({ "format": format, "tables": {} }));
        crate::audit::record(
            &cx.store,
            &cx.tenant.actor,
            at,
            command,
            &secret_ids,
            outcome,
            details,
        )?;
        return Err(err);
    }
    Ok(Resolved {
        ids,
        b,
        mentions,
        at: at.to_string(),
        secret_ids,
    })
}

/// Rows per table of the belonging rows, for audit details.
pub fn counts(map: &DataMap, b: &Belonging) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (t, f) in map.tables.iter().zip(&b.tables) {
        if !f.is_empty() {
            m.insert(t.name.clone(), json!(f.len()));
        }
    }
    serde_json::Value::Object(m)
}

/// The output formats of extract and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Xlsx,
    Csv,
    Html,
}

impl Format {
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }
}

/// A column's category in the map, if it has one.
pub fn category_of(map: &DataMap, table: &str, column: &str) -> Option<String> {
    map.table(table)
        .and_then(|t| t.column(column))
        .and_then(|c| c.category.clone())
}

/// Writes an extract-like document (`dsr.extract/1`, or a subject's
/// `dsr.export/1`) to `path` in `format`, under a temporary name; with
/// `info`, the Art. 15 information comes first (XLSX sheet, CSV file, HTML).
pub fn write_doc(
    format: Format,
    doc: Doc<'_>,
    path: &Path,
    force: bool,
    lang: Lang,
    map: &DataMap,
    info: bool,
) -> Result<Output> {
    let l = writers::info::labels(lang);
    // With `info` the output is the subject's copy, for people: labels,
    // values as people read them. Without, a subject's export: names.
    let people = info.then_some(writers::People { map, lang });
    let mut tables = writers::doc_tables(&doc, map, people);
    tables.extend(writers::requests_table(&doc, lang, info));
    if info {
        for t in &mut tables {
            word_requests(t, lang);
        }
    }
    let today = crate::time::parse_text(doc.generated_at()).map_or_else(
        || crate::time::today(jiff::Timestamp::now()),
        crate::time::today,
    );
    let present = crate::labels::show::Present::new(map, lang, today);
    // The Art. 15 information: only an extract has it.
    let about = || match doc {
        Doc::Extract(d) if info => Some(writers::info::from_doc(d, map, &present)),
        _ => None,
    };
    match format {
        Format::Json => {
            let mut p = Pending::create(path, force)?;
            if let Err(e) = writers::write_json(p.writer(), &doc) {
                return Err(doc.take_failure().unwrap_or_else(|| p.write_error(e)));
            }
            Ok(Output::File(p))
        }
        Format::Html => {
            let mut p = Pending::create(path, force)?;
            let info = about().ok_or_else(|| {
                Error::Usage("an html output is an extract's: use json, xlsx or csv".into())
            })?;
            let werr = |e| writers::write_failed(path, e);
            writers::html::page(p.writer(), &werr, &info, &tables, map, &present)?;
            Ok(Output::File(p))
        }
        Format::Xlsx => {
            let mut p = Pending::create(path, force)?;
            let werr = |e| writers::write_failed(path, e);
            let mut x = if info {
                writers::xlsx::Xlsx::for_people(present.clone(), &p.dir())
            } else {
                writers::xlsx::Xlsx::new(lang, &p.dir())
            }
            .map_err(werr)?;
            if let Some(info) = about() {
                x.info_sheet(&info).map_err(werr)?;
            }
            writers::feed(&tables, &mut x, &werr)?;
            x.finish(p.writer()).map_err(werr)?;
            Ok(Output::File(p))
        }
        Format::Csv => {
            let d = PendingDir::create(path, force)?;
            let werr = |e| writers::write_failed(path, e);
            let mut c = if info {
                writers::csv::CsvDir::for_people(&d)
            } else {
                writers::csv::CsvDir::new(&d)
            };
            if let Some(info) = about() {
                c.text_file(l.about_file, &about_records(&info, l, &present))
                    .map_err(werr)?;
            }
            writers::feed(&tables, &mut c, &werr)?;
            drop(c);
            Ok(Output::Dir(d))
        }
    }
}

/// A request's kind and status in words, for people.
fn word_requests(t: &mut writers::DocTable, lang: Lang) {
    if t.kind != writers::DocKind::Requests {
        return;
    }
    let names: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
    let writers::DocRows::Held(rows) = &mut t.rows else {
        return;
    };
    for r in rows {
        for (v, name) in r.iter_mut().zip(&names) {
            if let crate::value::Value::Text(s) = v {
                if let Some(w) = writers::info::request_value(name, s, lang) {
                    *s = w.to_string();
                }
            }
        }
    }
}

/// The Art. 15 information as CSV records: `table,item,text`, the general
/// items with an empty table.
fn about_records(
    info: &writers::info::Info,
    l: &writers::info::Labels,
    p: &crate::labels::show::Present,
) -> Vec<Vec<String>> {
    let mut out = vec![vec![l.table.into(), l.item.into(), l.text.into()]];
    for (k, v) in &info.general {
        out.push(vec![String::new(), k.clone(), p.shown_text(v)]);
    }
    for (row, count) in &info.tables {
        let table = row.first().cloned().unwrap_or_default();
        for (k, v) in info.table_labels.iter().zip(row).skip(1) {
            out.push(vec![table.clone(), k.clone(), v.clone()]);
        }
        if let Some(k) = info.table_labels.last() {
            out.push(vec![table.clone(), k.clone(), count.to_string()]);
        }
    }
    out.push(vec![
        String::new(),
        info.rights.0.clone(),
        info.rights.1.clone(),
    ]);
    out
}
