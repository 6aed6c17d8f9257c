//! The config file (`[tenants.NAME]`) and how the global options, their
//! environment variables and the config combine into one tenant.

use crate::audit::{Actor, AuditKey};
use crate::error::{io_reason, Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    tenants: BTreeMap<String, TenantEntry>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct TenantEntry {
    store: String,
    map: PathBuf,
    audit_log: Option<PathBuf>,
    audit_key_file: Option<PathBuf>,
    /// The replay key (DESIGN §9).
    replay_key_file: Option<PathBuf>,
    /// How long closed requests stay in the register (DESIGN §7).
    request_retention: Option<String>,
    /// The IANA time zone of the register's dates (default Europe/Stockholm).
    timezone: Option<String>,
}

/// The global options as given (flags or their environment variables).
#[derive(Debug, Clone, Default)]
pub struct Globals {
    pub store: Option<String>,
    pub map: Option<PathBuf>,
    pub tenant: Option<String>,
    pub config: Option<PathBuf>,
    pub operator: Option<String>,
    /// `--operator` was given on the command line (not from DSR_OPERATOR):
    /// `audit log` then filters by it.
    pub operator_flag: bool,
    /// `--request` was given on the command line: `audit log` filters by it.
    pub request_flag: bool,
    pub request: Option<String>,
    pub json: bool,
    pub quiet: bool,
    /// Leave the replay key unread (`dsr replay` reads it, or writes it,
    /// itself).
    pub defer_replay_key: bool,
}

/// One tenant, resolved: where its store and map are, and who is acting.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub store: String,
    pub map: Option<PathBuf>,
    pub actor: Actor,
    /// The config tenant's name, when the store came from a config file.
    pub name: Option<String>,
    /// The config file that was read, if any.
    pub config: Option<PathBuf>,
    /// Closed requests are swept this long after closing (default 3y).
    pub request_retention: crate::time::Duration,
    /// The time zone of the register's dates.
    pub timezone: jiff::tz::TimeZone,
    /// The tenant's `replay_key_file`, if the config names one.
    pub replay_key_file: Option<PathBuf>,
}

/// What `dsr config` shows: the config file found and the tenants it names.
#[derive(Debug, Clone)]
pub struct ConfigInfo {
    pub path: Option<PathBuf>,
    /// (name, store, map, audit_log), paths resolved against the file.
    pub tenants: Vec<(String, String, PathBuf, Option<PathBuf>)>,
}

/// The config search order of DESIGN §1: --config, ./dsr.toml,
/// $XDG_CONFIG_HOME/dsr/config.toml (default ~/.config), /etc/dsr/config.toml.
fn find_config(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    let mut candidates = vec![PathBuf::from("dsr.toml")];
    if let Some(x) = xdg {
        candidates.push(x.join("dsr").join("config.toml"));
    }
    candidates.push(PathBuf::from("/etc/dsr/config.toml"));
    candidates.into_iter().find(|p| p.is_file())
}

fn read_config(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Usage(format!(
            "cannot read the config file {}: {}; check --config / DSR_CONFIG",
            path.display(),
            io_reason(&e)
        ))
    })?;
    toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
                format!(":{line}:{col}")
            })
            .unwrap_or_default();
        Error::Usage(format!(
            "{}{at}: {}; a config holds [tenants.NAME] tables with store, map and optionally audit_log, audit_key_file, replay_key_file, request_retention and timezone",
            path.display(),
            e.message().trim()
        ))
    })
}

/// The OS account running dsr, for the audit record when no --operator is
/// given: the account of the process's real user id (so `env -i`, cron and
/// systemd units are named too). `$USER`/`$LOGNAME` is taken only where it
/// names an account with that same user id (several names may share one);
/// a user id without an account is recorded as `uid:N`.
fn os_user() -> String {
    let uid = uzers::get_current_uid();
    let claimed = ["USER", "LOGNAME"].iter().find_map(|v| {
        let name = std::env::var(v).ok().filter(|s| !s.trim().is_empty())?;
        let u = uzers::get_user_by_name(&name)?;
        (u.uid() == uid).then_some(name)
    });
    claimed
        .or_else(|| uzers::get_user_by_uid(uid).map(|u| u.name().to_string_lossy().into_owned()))
        .unwrap_or_else(|| format!("uid:{uid}"))
}

/// The longest --operator or --request dsr records, in bytes.
const MAX_NAME: usize = 256;

impl Globals {
    /// Who acts: `--operator` (exit 2 when empty, whitespace or holding
    /// control characters), else the OS account.
    pub fn actor(
        &self,
        mirror: Option<PathBuf>,
        key: Option<std::sync::Arc<AuditKey>>,
    ) -> Result<Actor> {
        let operator = match &self.operator {
            Some(o) if o.trim().is_empty() => {
                return Err(Error::Usage(
                    "--operator (or DSR_OPERATOR) is empty; name who is acting, or leave it out to record the OS account".into(),
                ))
            }
            Some(o) if o.chars().any(char::is_control) => {
                return Err(Error::Usage(
                    "--operator holds a control character; give a plain name".into(),
                ))
            }
            Some(o) if o.len() > MAX_NAME => {
                return Err(Error::Usage(format!(
                    "--operator is {} bytes long, more than the {MAX_NAME} an operator's name may have; give a shorter name",
                    o.len()
                )))
            }
            Some(o) => o.trim().to_string(),
            None => os_user(),
        };
        if let Some(r) = self.request.as_ref().filter(|r| r.len() > MAX_NAME) {
            return Err(Error::Usage(format!(
                "--request is {} bytes long, more than the {MAX_NAME} a ticket or case number may have; give the ticket's id",
                r.len()
            )));
        }
        Ok(Actor {
            operator,
            request: self.request.clone().filter(|s| !s.trim().is_empty()),
            mirror,
            key,
            replay: None,
        })
    }

    /// The config file the search order finds, and its tenants.
    pub fn config_info(&self) -> Result<ConfigInfo> {
        let Some(path) = find_config(self.config.as_deref()) else {
            return Ok(ConfigInfo {
                path: None,
                tenants: vec![],
            });
        };
        let cfg = read_config(&path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let tenants = cfg
            .tenants
            .iter()
            .map(|(n, t)| {
                (
                    n.clone(),
                    store_relative_to(base, &t.store),
                    relative_to(base, &t.map),
                    t.audit_log.as_ref().map(|p| relative_to(base, p)),
                )
            })
            .collect();
        Ok(ConfigInfo {
            path: Some(path),
            tenants,
        })
    }

    /// Resolves the tenant. Explicit --store/--map win over the tenant's
    /// entry; `need_map` is false for commands that only read the audit trail.
    /// Without --tenant, --store and --map, a config file that names exactly
    /// one tenant supplies it.
    pub fn tenant(&self, need_map: bool) -> Result<Tenant> {
        let mut store = self.store.clone().filter(|s| !s.trim().is_empty());
        let mut map = self.map.clone().filter(|p| !p.as_os_str().is_empty());
        let mut mirror = None;
        let mut key_file = None;
        let mut replay_file = None;
        let mut name = self.tenant.clone().filter(|s| !s.trim().is_empty());
        let mut config = None;
        let mut retention = None;
        let mut timezone = None;
        if name.is_none() && store.is_none() && map.is_none() {
            if let Some(path) = find_config(self.config.as_deref()) {
                let cfg = read_config(&path)?;
                let known: Vec<&str> = cfg.tenants.keys().map(String::as_str).collect();
                match known.as_slice() {
                    [] => {}
                    [one] => name = Some(one.to_string()),
                    many => {
                        return Err(Error::Usage(format!(
                        "no tenant given, and {} names {}: {}; pass --tenant NAME (or DSR_TENANT)",
                        path.display(),
                        many.len(),
                        many.join(", ")
                    )))
                    }
                }
            }
        }
        if let Some(name) = &name {
            let Some(path) = find_config(self.config.as_deref()) else {
                return Err(Error::Usage(format!(
                    "--tenant {name} needs a config file, and none was found (looked for ./dsr.toml, $XDG_CONFIG_HOME/dsr/config.toml, /etc/dsr/config.toml); give --config PATH"
                )));
            };
            let cfg = read_config(&path)?;
            let Some(t) = cfg.tenants.get(name) else {
                let known: Vec<&str> = cfg.tenants.keys().map(String::as_str).collect();
                return Err(Error::Usage(format!(
                    "tenant \"{name}\" is not in {} (it names: {}); add [tenants.{name}] or fix the name",
                    path.display(),
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                )));
            };
            let base = path.parent().unwrap_or(Path::new("."));
            store = store.or_else(|| Some(store_relative_to(base, &t.store)));
            map = map.or_else(|| Some(relative_to(base, &t.map)));
            mirror = t.audit_log.as_ref().map(|p| relative_to(base, p));
            key_file = t.audit_key_file.as_ref().map(|p| relative_to(base, p));
            replay_file = t.replay_key_file.as_ref().map(|p| relative_to(base, p));
            let bad = |key: &str, why: String| {
                Error::Usage(format!("{} [tenants.{name}] {key}: {why}", path.display()))
            };
            if let Some(r) = &t.request_retention {
                retention =
                    Some(crate::time::Duration::parse(r).map_err(|e| bad("request_retention", e))?);
            }
            if let Some(z) = &t.timezone {
                timezone =
                    Some(crate::deadline::time_zone(Some(z)).map_err(|e| bad("timezone", e))?);
            }
            config = Some(path);
        } else if let Some(cfg) = &self.config {
            // A config given without a tenant is still read, so that a bad
            // file is reported rather than ignored.
            read_config(cfg)?;
        }
        let Some(store) = store else {
            return Err(Error::Usage(
                "no store given: pass --store PATH (or DSR_STORE), or --tenant NAME with a config file".into(),
            ));
        };
        if need_map && map.is_none() {
            return Err(Error::Usage(
                "no data map given: pass --map PATH (or DSR_MAP), or --tenant NAME with a config file".into(),
            ));
        }
        let key = match key_file {
            Some(p) => Some(std::sync::Arc::new(crate::audit::key::load(&p, &store)?)),
            None => None,
        };
        Ok(Tenant {
            store,
            map,
            actor: Actor {
                replay: match (&replay_file, self.defer_replay_key) {
                    (Some(p), false) => Some(std::sync::Arc::new(crate::audit::replay::load(p)?)),
                    _ => None,
                },
                ..self.actor(mirror, key)?
            },
            name,
            config,
            request_retention: retention.unwrap_or(crate::time::Duration {
                amount: 3,
                unit: crate::time::Unit::Years,
            }),
            timezone: match timezone {
                Some(z) => z,
                None => crate::deadline::time_zone(None).map_err(Error::Usage)?,
            },
            replay_key_file: replay_file,
        })
    }
}

/// A store URL as it may be shown: any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_string(),
    }
}

/// Paths in a config file are relative to the file, so a config can travel
/// with its maps.
fn relative_to(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn store_relative_to(base: &Path, url: &str) -> String {
    if url.contains("://") {
        return url.to_string();
    }
    let path = url.strip_prefix("sqlite:").unwrap_or(url);
    relative_to(base, Path::new(path)).display().to_string()
}
