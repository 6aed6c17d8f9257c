//! The command line, as clap definitions: the single source of the help
//! text, the completions and the man pages.

use crate::commands;
use crate::config::Globals;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Carries out GDPR data-subject rights against one tenant's data store:
/// Art. 15 access extracts, Art. 17 erasure, Art. 20 export, retention
/// sweeps, and an audit record of every action.
#[derive(Debug, Parser)]
#[command(name = "dsr", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// The tenant's store: a SQLite file path, or sqlite:PATH
    #[arg(long, env = "DSR_STORE", global = true, value_name = "URL")]
    pub store: Option<String>,
    /// The data map (TOML) describing where personal data lives in the store
    #[arg(long, env = "DSR_MAP", global = true, value_name = "PATH")]
    pub map: Option<PathBuf>,
    /// Take store and map from the config file's [tenants.NAME]
    #[arg(long, env = "DSR_TENANT", global = true, value_name = "NAME")]
    pub tenant: Option<String>,
    /// Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]
    #[arg(long, env = "DSR_CONFIG", global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Who is acting, for the audit record [default: the OS user name]
    #[arg(long, env = "DSR_OPERATOR", global = true, value_name = "NAME")]
    pub operator: Option<String>,
    /// The ticket or case number this command serves, for the audit record
    #[arg(long, env = "DSR_REQUEST", global = true, value_name = "ID")]
    pub request: Option<String>,
    /// Machine-readable result on stdout (one JSON document), nothing else on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// No human summary; errors still go to stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a synthetic tenant (DIR/tenant.db and DIR/datamap.toml) to try every command on
    Demo(commands::demo::Args),
    /// Validate the data map against the live store (exit 0 only without errors)
    Check(commands::check::Args),
    /// Art. 15 access: every row belonging to the subject, with the Art. 15(1) information
    Extract(commands::extract::Args),
    /// Art. 17 erasure: apply the map's erase rules to every row of the subject, in one transaction
    Erase(commands::erase::Args),
    /// Art. 20 portability export of a subject, or with --all every mapped table of the tenant
    Export(commands::export::Args),
    /// Retention: apply every rule whose time has come, and finish deferred erasures whose hold has ended
    Sweep(commands::sweep::Args),
    /// The audit trail: list records, or verify the hash chain
    Audit(commands::audit::Args),
}

impl GlobalArgs {
    pub fn globals(&self) -> Globals {
        Globals {
            store: self.store.clone(),
            map: self.map.clone(),
            tenant: self.tenant.clone(),
            config: self.config.clone(),
            operator: self.operator.clone(),
            request: self.request.clone(),
            json: self.json,
            quiet: self.quiet,
        }
    }
}
