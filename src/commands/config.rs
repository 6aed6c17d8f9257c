//! `dsr config`: which config file, tenant, store and map the global options
//! resolve to, so that an administrator can see what a cron line will act on.

use super::print_json;
use crate::config::{redact_url, Globals};
use crate::error::{stdout_error, ExitCode, Result};
use serde_json::json;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print only the configured tenants' names, one per line (what shell completion of --tenant uses)
    #[arg(long)]
    pub names: bool,
}

pub fn run(g: &Globals, args: &Args) -> Result<ExitCode> {
    let info = g.config_info()?;
    if args.names {
        let names: String = info
            .tenants
            .iter()
            .map(|(n, ..)| format!("{n}\n"))
            .collect();
        let stdout = std::io::stdout();
        let mut w = stdout.lock();
        w.write_all(names.as_bytes())
            .and_then(|_| w.flush())
            .map_err(stdout_error)?;
        return Ok(ExitCode::Ok);
    }
    // The tenant the other commands would act on, if the options name one.
    let resolved = g.tenant(false);
    let chosen = resolved.as_ref().ok();
    if g.json {
        let tenants: Vec<serde_json::Value> = info
            .tenants
            .iter()
            .map(|(name, store, map, log)| {
                json!({ "name": name, "store": redact_url(store), "map": map, "audit_log": log })
            })
            .collect();
        return print_json(&json!({
            "schema": "dsr.config/1",
            "config": info.path,
            "tenants": tenants,
            "selected": chosen.map(|t| json!({
                "tenant": t.name, "store": redact_url(&t.store), "map": t.map,
                "operator": t.actor.operator,
            })),
        }))
        .map(|_| ExitCode::Ok);
    }
    let mut out = String::new();
    match &info.path {
        Some(p) => out.push_str(&format!("config file: {}\n", p.display())),
        None => out.push_str(
            "config file: none found (looked for ./dsr.toml, $XDG_CONFIG_HOME/dsr/config.toml, /etc/dsr/config.toml)\n",
        ),
    }
    if !info.tenants.is_empty() {
        out.push_str("tenants:\n");
        for (name, store, map, log) in &info.tenants {
            out.push_str(&format!(
                "  {name}\n    store  {}\n    map    {}\n",
                redact_url(store),
                map.display()
            ));
            if let Some(l) = log {
                out.push_str(&format!("    mirror {}\n", l.display()));
            }
        }
    }
    match chosen {
        Some(t) => {
            out.push_str(&format!(
                "would act on: {}\n  store    {}\n  map      {}\n  operator {}\n",
                t.name.as_deref().unwrap_or("(no tenant: --store/--map)"),
                redact_url(&t.store),
                t.map
                    .as_ref()
                    .map(|m| m.display().to_string())
                    .unwrap_or_else(|| "(none)".into()),
                t.actor.operator
            ));
        }
        None => {
            let why = resolved.err().map(|e| e.to_string()).unwrap_or_default();
            out.push_str(&format!("would act on: nothing ({why})\n"));
        }
    }
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    w.write_all(out.as_bytes())
        .and_then(|_| w.flush())
        .map_err(stdout_error)?;
    Ok(ExitCode::Ok)
}
