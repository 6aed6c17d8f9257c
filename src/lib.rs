//! dsr: GDPR data-subject rights against one tenant's data store.
//!
//! The binary is a thin shell around [`run`]; everything else is here:
//! the data map, the subject graph, the store (all SQL), the writers and
//! the audit trail, with one module per command under [`commands`].

pub mod apply;
pub mod assets;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod deadline;
pub mod demo;
pub mod error;
pub mod excerpt;
pub mod graph;
pub mod help;
pub mod ident;
pub mod labels;
pub mod lock;
pub mod map;
pub mod planner;
pub mod recheck;
pub mod report;
pub mod store;
pub mod time;
pub mod trace;
pub mod value;
pub mod writers;

pub use error::{Error, ExitCode};

use cli::{Cli, Command};

/// Runs one parsed command line.
pub fn run(cli: &Cli) -> Result<ExitCode, Error> {
    let g = cli.global.globals();
    match &cli.command {
        Command::Demo(a) => commands::demo::run(&g, a),
        Command::Init(a) => commands::init::run(&g, a),
        Command::Check(a) => commands::check::run(&g, a),
        Command::Extract(a) => commands::extract::run(&g, a),
        Command::Erase(a) => commands::erase::run(&g, a),
        Command::Export(a) => commands::export::run(&g, a),
        Command::Sweep(a) => commands::sweep::run(&g, a),
        Command::Audit(a) => commands::audit::run(&g, a),
        Command::Config(a) => commands::config::run(&g, a),
        Command::Request(a) => commands::request::run(&g, a),
        Command::Batch(a) => commands::batch::run(&g, a),
        Command::Replay(a) => commands::replay::run(&g, a),
    }
}
