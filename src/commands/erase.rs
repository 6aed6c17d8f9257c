//! `dsr erase`: Art. 17. Resolve the subject, plan every row's fate, ask
//! (on a terminal), then plan again and act inside one write transaction
//! together with the audit record.

use super::extract::{ambiguity_message, print_json};
use super::{status, Context};
use crate::apply;
use crate::audit::{self, Entry};
use crate::config::Globals;
use crate::error::{Error, ExitCode, Result};
use crate::graph::{self, SubjectId};
use crate::map::{DataMap, Strategy};
use crate::planner::{self, Fate, Plan};
use crate::recheck;
use crate::time;
use serde_json::{json, Value as Json};
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data subject as KIND:VALUE (e.g. email:anna@example.se); several may name one person
    #[arg(value_name = "SUBJECT", required = true)]
    pub subjects: Vec<String>,
    /// Show and record the plan, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask before changing anything (required when there is no terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Go on when the identifiers match more than one row of a subjects table
    #[arg(long)]
    pub all_matches: bool,
}

/// The outcome of resolving and planning.
enum Prepared {
    Refused(&'static str, Error),
    Planned(Box<Planned>),
}

struct Planned {
    b: graph::Belonging,
    plan: Plan,
}

fn prepare(cx: &Context, ids: &[SubjectId], all_matches: bool) -> Result<Prepared> {
    // Leaf tables whose every row is deleted are counted, not read, where
    // nothing needs their rows: no replay payload (it names them), and a
    // watch by counts (the row-by-row watch needs their keys).
    let unread = if cx.tenant.actor.replay.is_none() && cx.store.quick_watch_possible()? {
        planner::unread_leaves(&cx.map, &cx.schema)
    } else {
        Vec::new()
    };
    let b = graph::resolve_erase(&cx.store, &cx.schema, &cx.map, ids, &unread)?;
    if !b.ambiguous.is_empty() && !all_matches {
        return Ok(Prepared::Refused(
            "ambiguous",
            Error::Ambiguous(ambiguity_message(&b)),
        ));
    }
    let mention_ids = graph::mention_ids(&b);
    crate::trace::mark("resolve", || format!("{} rows", b.total()));
    let mentions = graph::mentions(&cx.store, &cx.schema, &cx.map, &b, &mention_ids)?;
    crate::trace::mark("mentions", || format!("{} mentions", mentions.len()));
    if b.total() == 0 && mentions.is_empty() {
        return Ok(Prepared::Refused(
            "not_found",
            Error::NotFound(
                "no data found for the subject: no mapped table holds a row with these identifiers, and no free text mentions them; nothing was changed".into(),
            ),
        ));
    }
    let scope = planner::Scope {
        store: &cx.store,
        schema: &cx.schema,
        map: &cx.map,
    };
    let plan = planner::plan(
        scope,
        &b,
        &mentions,
        &mention_ids,
        cx.now,
        &graph::Skip::default(),
    )?;
    crate::trace::mark("plan", String::new);
    Ok(Prepared::Planned(Box::new(Planned { b, plan })))
}

/// [`prepare`] inside the write transaction, on rows that stay as read
/// until it ends. Where the transaction does not keep the application from
/// writing (PostgreSQL: `writes_block_all` false), the rows linked beneath
/// the subject's are locked as they are read; the subject's own rows,
/// found by identifier, and the rows whose free text the plan edits are
/// read again locked ([`recheck`]), and where one is no longer as the plan
/// read it (a hold set, an identifier corrected), the plan is made again
/// on those rows now locked.
fn prepare_current(cx: &Context, ids: &[SubjectId], all_matches: bool) -> Result<Prepared> {
    let scope = planner::Scope {
        store: &cx.store,
        schema: &cx.schema,
        map: &cx.map,
    };
    recheck::until_unchanged(
        scope,
        false,
        ("the subject's rows", "dsr erase"),
        prepare(cx, ids, all_matches)?,
        |p| match p {
            Prepared::Planned(p) => Some((&p.b, &p.plan)),
            Prepared::Refused(..) => None,
        },
        |_| prepare(cx, ids, all_matches),
    )
}

/// What anonymizing does to a table's columns, in words: "name redacted,
/// email hashed, pnr nulled".
fn column_fates(t: &crate::map::Table) -> String {
    let parts: Vec<String> = t
        .columns
        .iter()
        .filter_map(|c| {
            let what = match &c.erase {
                Strategy::Keep => return None,
                Strategy::Null => "nulled",
                Strategy::Hash => "hashed",
                Strategy::Redact(_) => "redacted",
            };
            Some(format!("{} {what}", c.name))
        })
        .collect();
    parts.join(", ")
}

/// The recipients (Art. 19) of the tables whose rows the plan changes, each
/// with those tables: who the controller must tell of the erasure.
pub fn recipients(map: &DataMap, plan: &Plan) -> Vec<Json> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (ti, tp) in plan.tables.iter().enumerate() {
        let t = &map.tables[ti];
        let changes = tp.count(|f| matches!(f, Fate::Delete | Fate::Anonymize)) > 0
            || plan.edits.iter().any(|e| e.table == ti);
        if !changes {
            continue;
        }
        for r in &t.recipients {
            match out.iter_mut().find(|(name, _)| name == r) {
                Some((_, tables)) => tables.push(t.name.clone()),
                None => out.push((r.clone(), vec![t.name.clone()])),
            }
        }
    }
    out.into_iter()
        .map(|(recipient, tables)| json!({ "recipient": recipient, "tables": tables }))
        .collect()
}

/// Which tenant and store a command acts on, for the plan's first line.
fn target(cx: &Context) -> String {
    let store = crate::config::redact_url(&cx.tenant.store);
    match &cx.tenant.name {
        Some(n) => format!("tenant {n} (store {store})"),
        None => format!("store {store}"),
    }
}

/// The plan in words, for people (stderr): per table what happens to its
/// rows and columns, what is held and until when, and whom to tell.
fn describe(cx: &Context, plan: &Plan, dry_run: bool) -> String {
    let map = &cx.map;
    let (tables, held, mentions) = apply::summary(map, plan);
    let mut out = format!(
        "erasure plan for {}{}:\n",
        target(cx),
        if dry_run {
            " (dry run, nothing changes)"
        } else {
            ""
        }
    );
    for (name, c) in tables.as_object().into_iter().flatten() {
        let t = map.table(name);
        let n = |k: &str| c[k].as_u64().unwrap_or(0);
        let mut parts: Vec<String> = Vec::new();
        if n("deleted") > 0 {
            parts.push(format!("delete {}", super::count(n("deleted"), "row")));
        }
        if n("anonymized") > 0 {
            let cols = t.map(column_fates).unwrap_or_default();
            parts.push(format!(
                "anonymize {} ({cols})",
                super::count(n("anonymized"), "row")
            ));
        }
        if n("held") > 0 {
            parts.push(format!("hold {}", super::count(n("held"), "row")));
        }
        if n("kept") > 0 {
            let why = match t.map(|t| t.on_erase) {
                Some(crate::map::OnErase::Keep) => " (the map keeps this table on erasure)",
                _ => "",
            };
            parts.push(format!("keep {}{why}", super::count(n("kept"), "row")));
        }
        let parts = if parts.is_empty() {
            "nothing to change".to_string()
        } else {
            parts.join("; ")
        };
        out.push_str(&format!("  {name:<20} {parts}\n"));
    }
    for h in &held {
        out.push_str(&format!(
            "  held: {} {} until {} ({})\n",
            h["table"].as_str().unwrap_or(""),
            super::count(h["rows"].as_u64().unwrap_or(0), "row"),
            h["until"].as_str().unwrap_or("an unreadable date"),
            h["reason"].as_str().unwrap_or("")
        ));
    }
    for (ti, tp) in plan.tables.iter().enumerate() {
        let name = &map.tables[ti].name;
        if !tp.downgraded.is_empty() {
            let (fate, why) = if tp.nothing_to_anonymize {
                (
                    "kept",
                    "; it has no erase strategies, so there is nothing to anonymize",
                )
            } else {
                ("anonymized", "")
            };
            out.push_str(&format!(
                "  {name}: {fate} instead of deleted, because rows that stay still refer to them: {}{why}\n",
                tp.downgraded.join(", ")
            ));
        }
        if tp.kept_unanonymizable > 0 {
            out.push_str(&format!(
                "  {name}: kept, not anonymized: it has no erase strategies, so there is nothing to anonymize\n"
            ));
        }
    }
    for (col, n) in mentions.as_object().into_iter().flatten() {
        out.push_str(&format!(
            "  mentions erased in {col}: {}\n",
            super::count(n.as_u64().unwrap_or(0), "row")
        ));
    }
    let to_tell = recipients(map, plan);
    if !to_tell.is_empty() {
        out.push_str("  recipients to tell of the erasure (Art. 19):\n");
        for r in &to_tell {
            let tables: Vec<&str> = r["tables"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            out.push_str(&format!(
                "    {}: {}\n",
                r["recipient"].as_str().unwrap_or(""),
                tables.join(", ")
            ));
        }
    }
    out
}

fn confirm() -> Result<bool> {
    eprint!("Erase? This cannot be undone. Type yes to go on: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        Error::Runtime(format!(
            "reading the answer failed: {}",
            crate::error::io_reason(&e)
        ))
    })?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// An erasure carried out (or its dry run): its audit record, the
/// `dsr.erase/1` report and the plan in words.
pub struct Erased {
    pub row: crate::store::AuditRow,
    pub report: Json,
    pub text: String,
    /// The subject's rows as read and the plan (a large subject's are many
    /// small allocations): `dsr erase`, which exits next, leaves them to
    /// the end of the process rather than freeing them one by one.
    pub rows: Option<Box<dyn std::any::Any>>,
}

/// Plans the subject's erasure again under the write lock, acts, and
/// records, in one transaction (a refusal or a failure recorded with its
/// own outcome). `shown` is the plan a person confirmed, which must still
/// hold. Shared by `dsr erase` and each erase line of `dsr batch`, which
/// thereby re-checks the free text inside its own transaction.
pub fn erase_one(
    cx: &Context,
    ids: &[SubjectId],
    id_pairs: &[(String, String)],
    at: &str,
    dry_run: bool,
    all_matches: bool,
    shown: Option<&Json>,
) -> Result<Erased> {
    let actor = &cx.tenant.actor;
    // Plan again under the write lock, act, and record, in one transaction.
    // A dry run carries the plan out too, and undoes it (a savepoint), so
    // that it meets every refusal the real run would; its record stays.
    let mut planned = json!({});
    let mut rows: Option<Box<dyn std::any::Any>> = None;
    let done = cx.store.write(|tx| {
        let secret = tx.ensure_tool_tables()?;
        let subject = audit::subject_ref(&secret, id_pairs);
        let p = match prepare_current(cx, ids, all_matches)? {
            Prepared::Refused(outcome, err) => {
                let entry = Entry {
                    command: "erase".into(),
                    subject: Some(subject),
                    outcome: outcome.into(),
                    details: cx.details(json!({ "dry_run": dry_run, "tables": {} })),
                };
                let row = audit::append(tx, actor, at, &entry)?;
                return Ok((row, Json::Null, Some(err), String::new()));
            }
            Prepared::Planned(p) => p,
        };
        let (tables, held, mentions) = apply::summary(&cx.map, &p.plan);
        planned = tables.clone();
        if let Some(s) = shown {
            if *s != tables {
                return Err(Error::Runtime(
                    "the subject's data changed between the plan you confirmed and now; nothing was changed; run dsr erase again".into(),
                ));
            }
        }
        let carry_out = |tx: &crate::store::Tx<'_>| {
            let skip = graph::Skip::default();
            apply::apply(tx, &cx.map, &cx.schema, &p.b, &p.plan, &secret, at, &skip)
        };
        let to_tell = recipients(&cx.map, &p.plan);
        let mut details = json!({
            "dry_run": dry_run, "all_matches": all_matches,
            "tables": tables, "held": held, "mentions": mentions, "recipients": to_tell,
        });
        let failed = if dry_run {
            match tx.trial(carry_out) {
                // The failure ended the transaction: recorded on its own.
                Err(e) if !tx.is_open() => return Err(e),
                done => done.err(),
            }
        } else {
            carry_out(tx)?;
            None
        };
        crate::trace::mark("apply", String::new);
        if let (Some(e), Some(d)) = (&failed, details.as_object_mut()) {
            d.insert("reason".into(), json!(e.to_string()));
        }
        let entry = Entry {
            command: "erase".into(),
            subject: Some(subject.clone()),
            outcome: if failed.is_some() { "failed" } else { "ok" }.into(),
            details: cx.details(details),
        };
        // What replay needs is sealed into the record only where a replay
        // key is set (`audit::append_with`): not worked out otherwise.
        let changes = if dry_run || failed.is_some() || actor.replay.is_none() {
            None
        } else {
            apply::replay_payload(&cx.map, &p.b, &p.plan)
        };
        let row = audit::append_with(tx, actor, at, &entry, changes)?;
        crate::trace::mark("audit", String::new);
        if let Some(e) = failed {
            return Ok((row, Json::Null, Some(e), String::new()));
        }
        if !dry_run {
            tx.defer(&apply::deferred(&cx.map, &p.b, &p.plan, Some(&subject)), at, row.seq)?;
        }
        crate::trace::mark("defer", String::new);
        let report = json!({
            "schema": "dsr.erase/1", "dry_run": dry_run,
            "tables": tables, "held": held, "mentions": mentions, "recipients": to_tell,
            "audit_seq": row.seq,
        });
        let text = describe(cx, &p.plan, dry_run);
        rows = Some(p);
        Ok((row, report, None, text))
    });
    crate::trace::mark("commit", String::new);
    let (row, report, refusal, text) = match done {
        Ok(v) => v,
        Err(e) => {
            // Rolled back: the refusal is recorded on its own.
            let extra =
                json!({ "dry_run": dry_run, "all_matches": all_matches, "tables": planned });
            super::record_failure(cx, at, "erase", id_pairs, extra, &e, &e.to_string());
            return Err(e);
        }
    };
    audit::after_commit(actor, &row);
    if let Some(err) = refusal {
        return Err(err);
    }
    Ok(Erased {
        row,
        report,
        text,
        rows,
    })
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !args.dry_run && !args.yes && !interactive {
        return Err(Error::Usage(
            "dsr erase changes data, and there is no terminal to confirm on: pass --yes to go ahead, or --dry-run to see the plan; nothing was read or changed".into(),
        ));
    }
    let cx = Context::open(g, false)?;
    let ids = graph::parse_subjects(&cx.map, &args.subjects, cx.today)?;
    let id_pairs: Vec<(String, String)> = ids
        .iter()
        .map(|i| (i.name.clone(), i.key.clone()))
        .collect();
    let at = time::format_ts(cx.now);
    let actor = cx.tenant.actor.clone();

    // On a terminal: show the plan and ask, holding no lock meanwhile.
    let mut shown: Option<Json> = None;
    if !args.dry_run && !args.yes {
        if let Prepared::Planned(p) = prepare(&cx, &ids, args.all_matches)? {
            eprint!("{}", describe(&cx, &p.plan, false));
            if !confirm()? {
                let details = cx.details(json!({ "dry_run": false, "declined": true }));
                audit::record(
                    &cx.store, &actor, &at, "erase", &id_pairs, "declined", details,
                )?;
                status(g, "nothing was changed");
                return Ok(ExitCode::Ok);
            }
            shown = Some(apply::summary(&cx.map, &p.plan).0);
        }
    }

    let done = erase_one(
        &cx,
        &ids,
        &id_pairs,
        &at,
        args.dry_run,
        args.all_matches,
        shown.as_ref(),
    )?;
    // The process ends after the report: its memory goes with it.
    std::mem::forget(done.rows);
    let (row, report, text) = (done.row, done.report, done.text);
    if g.json {
        print_json(&report)?;
    }
    if shown.is_none() {
        status(g, text.trim_end());
    }
    status(
        g,
        if args.dry_run {
            format!("dry run: nothing was changed (audit record {})", row.seq)
        } else {
            format!("erased (audit record {})", row.seq)
        },
    );
    Ok(ExitCode::Ok)
}
