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
use crate::map::DataMap;
use crate::planner::{self, Plan};
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
    let b = graph::resolve(&cx.store, &cx.schema, &cx.map, ids)?;
    if !b.ambiguous.is_empty() && !all_matches {
        return Ok(Prepared::Refused(
            "ambiguous",
            Error::Ambiguous(ambiguity_message(&b)),
        ));
    }
    let mention_ids = graph::mention_ids(&b);
    let mentions = graph::mentions(&cx.store, &cx.schema, &cx.map, &b, &mention_ids)?;
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
    Ok(Prepared::Planned(Box::new(Planned { b, plan })))
}

/// The plan in words, for people (stderr).
fn describe(map: &DataMap, plan: &Plan, dry_run: bool) -> String {
    let (tables, held, mentions) = apply::summary(map, plan);
    let mut out = String::from(if dry_run {
        "erasure plan (dry run, nothing changes):\n"
    } else {
        "erasure plan:\n"
    });
    for (name, c) in tables.as_object().into_iter().flatten() {
        let parts: Vec<String> = ["deleted", "anonymized", "held", "kept"]
            .iter()
            .filter_map(|k| {
                let n = c[k].as_u64().unwrap_or(0);
                let verb = match *k {
                    "deleted" => "delete",
                    "anonymized" => "anonymize",
                    "held" => "hold",
                    _ => "keep",
                };
                (n > 0).then(|| format!("{verb} {n}"))
            })
            .collect();
        let parts = if parts.is_empty() {
            "nothing to change".to_string()
        } else {
            parts.join(", ")
        };
        out.push_str(&format!("  {name:<20} {parts}\n"));
    }
    for h in &held {
        out.push_str(&format!(
            "  held: {} {} row{} until {} ({})\n",
            h["table"].as_str().unwrap_or(""),
            h["rows"],
            if h["rows"] == 1 { "" } else { "s" },
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
            "  mentions erased in {col}: {n} row{}\n",
            if n == 1 { "" } else { "s" }
        ));
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
            eprint!("{}", describe(&cx.map, &p.plan, false));
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

    // Plan again under the write lock, act, and record, in one transaction.
    // A dry run carries the plan out too, and undoes it (a savepoint), so
    // that it meets every refusal the real run would; its record stays.
    let mut planned = json!({});
    let done = cx.store.write(|tx| {
        let secret = tx.ensure_tool_tables()?;
        let subject = audit::subject_ref(&secret, &id_pairs);
        let p = match prepare(&cx, &ids, args.all_matches)? {
            Prepared::Refused(outcome, err) => {
                let entry = Entry {
                    command: "erase".into(),
                    subject: Some(subject),
                    outcome: outcome.into(),
                    details: cx.details(json!({ "dry_run": args.dry_run, "tables": {} })),
                };
                let row = audit::append(tx, &actor, &at, &entry)?;
                return Ok((row, Json::Null, Some(err), String::new()));
            }
            Prepared::Planned(p) => p,
        };
        let (tables, held, mentions) = apply::summary(&cx.map, &p.plan);
        planned = tables.clone();
        if let Some(s) = &shown {
            if *s != tables {
                return Err(Error::Runtime(
                    "the subject's data changed between the plan you confirmed and now; nothing was changed; run dsr erase again".into(),
                ));
            }
        }
        let carry_out = |tx: &crate::store::Tx<'_>| {
            let skip = graph::Skip::default();
            apply::apply(tx, &cx.map, &cx.schema, &p.b, &p.plan, &secret, &at, &skip)
        };
        let mut details = json!({
            "dry_run": args.dry_run, "all_matches": args.all_matches,
            "tables": tables, "held": held, "mentions": mentions,
        });
        let failed = if args.dry_run {
            match tx.trial(carry_out) {
                // The failure ended the transaction: recorded on its own.
                Err(e) if !tx.is_open() => return Err(e),
                done => done.err(),
            }
        } else {
            carry_out(tx)?;
            None
        };
        if let (Some(e), Some(d)) = (&failed, details.as_object_mut()) {
            d.insert("reason".into(), json!(e.to_string()));
        }
        let entry = Entry {
            command: "erase".into(),
            subject: Some(subject.clone()),
            outcome: if failed.is_some() { "failed" } else { "ok" }.into(),
            details: cx.details(details),
        };
        let row = audit::append(tx, &actor, &at, &entry)?;
        if let Some(e) = failed {
            return Ok((row, Json::Null, Some(e), String::new()));
        }
        if !args.dry_run {
            tx.defer(&apply::deferred(&cx.map, &p.b, &p.plan, Some(&subject)), &at, row.seq)?;
        }
        let report = json!({
            "schema": "dsr.erase/1", "dry_run": args.dry_run,
            "tables": tables, "held": held, "mentions": mentions, "audit_seq": row.seq,
        });
        Ok((row, report, None, describe(&cx.map, &p.plan, args.dry_run)))
    });
    let (row, report, refusal, text) = match done {
        Ok(v) => v,
        Err(e) => {
            // Rolled back: the refusal is recorded on its own.
            let extra = json!({ "dry_run": args.dry_run, "all_matches": args.all_matches, "tables": planned });
            super::record_failure(&cx, &at, "erase", &id_pairs, extra, &e, &e.to_string());
            return Err(e);
        }
    };
    audit::after_commit(&actor, &row);
    if let Some(err) = refusal {
        return Err(err);
    }
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
