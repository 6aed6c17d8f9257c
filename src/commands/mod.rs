//! One module per command. Each reads as: resolve → plan → act → audit → report.

pub mod audit;
pub mod check;
pub mod demo;
pub mod erase;
pub mod extract;
pub mod sweep;

use crate::config::{Globals, Tenant};
use crate::error::{Error, Result};
use crate::map::{self, DataMap, Severity};
use crate::store::schema::Schema;
use crate::store::Store;
use crate::time;
use jiff::civil::Date;
use jiff::Timestamp;

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

impl Context {
    /// Resolves the tenant, reads the map, opens the store and refuses a map
    /// that does not fit it (exit 3) before any personal data is read.
    pub fn open(g: &Globals, read_only: bool) -> Result<Context> {
        let (now, today) = clock()?;
        let tenant = g.tenant(true)?;
        let map_path = tenant
            .map
            .clone()
            .ok_or_else(|| Error::Usage("no data map given".into()))?;
        let map = map::load(&map_path)?;
        let store = Store::open(&tenant.store, read_only, today)?;
        let schema = store.schema()?;
        let diags = map::fit::check(&map, &schema, None)?;
        let errors: Vec<String> = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.render(&map_path))
            .collect();
        if !errors.is_empty() {
            return Err(Error::MapInvalid(format!(
                "{}\nthe data map {} does not fit the store {} ({} error{}); nothing was read or changed; run `dsr check` and fix the map",
                errors.join("\n"),
                map_path.display(),
                store.path().display(),
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            )));
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

/// Status lines for people: on stderr, and not at all with --quiet.
pub fn status(g: &Globals, msg: impl std::fmt::Display) {
    if !g.quiet {
        eprintln!("{msg}");
    }
}
