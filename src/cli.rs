//! The command line, as clap definitions: the single source of the help
//! text, the completions and the man pages.

use crate::commands;
use crate::config::Globals;
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;

/// The heading under which every command's help lists the global options,
/// after its own.
const GLOBAL: &str = "Global options";

/// Global options that a command does not use: hidden from its help and
/// man page (still accepted, and ignored, so that a shared DSR_* environment
/// or a habit of writing them first does no harm).
const NOT_USED: &[(&str, &[&str])] = &[
    // demo has a --store of its own (command line only, see
    // commands::demo).
    ("demo", &["map", "tenant", "config", "operator", "request"]),
    ("init", &["map", "operator", "request"]),
    ("check", &["operator", "request"]),
    ("config", &["operator", "request"]),
    ("audit log", &["map", "operator", "request"]),
    ("audit verify", &["map", "operator", "request"]),
    // The register's own records carry the request's id.
    ("request new", &["request"]),
    ("request list", &["operator", "request"]),
    ("request show", &["operator", "request"]),
    ("request extend", &["request"]),
    ("request close", &["request"]),
    ("request due", &["operator", "request"]),
];

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
    #[arg(long, env = "DSR_STORE", global = true, help_heading = GLOBAL, value_name = "URL")]
    pub store: Option<String>,
    /// The data map (TOML) describing where personal data lives in the store
    #[arg(long, env = "DSR_MAP", global = true, help_heading = GLOBAL, value_name = "PATH")]
    pub map: Option<PathBuf>,
    /// Take store and map from the config file's [tenants.NAME]
    #[arg(long, env = "DSR_TENANT", global = true, help_heading = GLOBAL, value_name = "NAME")]
    pub tenant: Option<String>,
    /// Config file [default: ./dsr.toml, then $XDG_CONFIG_HOME/dsr/config.toml, then /etc/dsr/config.toml]
    #[arg(long, env = "DSR_CONFIG", global = true, help_heading = GLOBAL, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Who is acting, for the audit record [default: the OS account]; for `audit log`, only that operator's records
    #[arg(long, env = "DSR_OPERATOR", global = true, help_heading = GLOBAL, value_name = "NAME")]
    pub operator: Option<String>,
    /// The ticket or case number this command serves, for the audit record; for `audit log`, only its records
    #[arg(long, env = "DSR_REQUEST", global = true, help_heading = GLOBAL, value_name = "ID")]
    pub request: Option<String>,
    /// Machine-readable result on stdout (one JSON document), nothing else on stdout
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,
    /// No human summary; errors still go to stderr
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub quiet: bool,
    /// Set after parsing: --operator came from the command line.
    #[arg(skip)]
    pub operator_flag: bool,
    /// Set after parsing: --request came from the command line.
    #[arg(skip)]
    pub request_flag: bool,
}

impl Cli {
    /// Notes, after parsing, where --operator and --request came from (the
    /// command line or their variables): `audit log` filters only by the
    /// former. Likewise --store for `demo`, which ignores DSR_STORE.
    pub fn note_sources(&mut self, m: &clap::ArgMatches) {
        use clap::parser::ValueSource::CommandLine;
        let mut level = Some(m);
        while let Some(l) = level {
            if l.value_source("operator") == Some(CommandLine) {
                self.global.operator_flag = true;
            }
            if l.value_source("request") == Some(CommandLine) {
                self.global.request_flag = true;
            }
            level = l.subcommand().map(|(_, s)| s);
        }
        if let Command::Demo(a) = &mut self.command {
            a.store_given = m
                .subcommand_matches("demo")
                .and_then(|d| d.value_source("store"))
                == Some(CommandLine);
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a synthetic tenant (DIR/tenant.db and DIR/datamap.toml) to try every command on
    ///
    /// The demo tenant is a district-heating provider: customers with personnummer written in
    /// several forms, meters and hourly readings, invoices under the seven-year bookkeeping hold,
    /// support tickets with free text that mentions other customers, and dates spread around
    /// today so that every retention rule has work. The same seed and day give the same tenant.
    /// With --store postgres://… the tables go into that PostgreSQL schema instead (native date,
    /// boolean and numeric types where SQLite has text and integers), and only the map into DIR.
    Demo(commands::demo::Args),
    /// Write a draft data map from the store's schema and a sample of its values
    ///
    /// Reads every table of the store (read-only) and about 200 values of each text column, and
    /// writes a data map for a person to finish: every table, its foreign keys as links, tables
    /// that look like one row per person marked subjects = true with their email, personnummer,
    /// phone and customer-number columns to identify people by, and columns that look personal by
    /// name (Swedish and English) or by content, each with a suggested category and an erase
    /// strategy that fits the column. Purpose, legal basis, retention and holds are left as TODO
    /// comments, which `dsr check` warns about. Sampled values are never printed or written.
    Init(commands::init::Args),
    /// Validate the data map against the live store (exit 0 only without errors)
    ///
    /// Checks that every mapped table and column exists, that links match the store's columns,
    /// that erase strategies fit their columns (no null on NOT NULL), that no deletion would break
    /// a held row, and warns about lookup columns without an index, columns that look personal but
    /// are not mapped, and the store's settings. Errors are exit 3; warnings alone are exit 0.
    Check(commands::check::Args),
    /// Art. 15 access: every row belonging to the subject, with the Art. 15(1) information
    ///
    /// Finds every row that belongs to the data subject (by the identify columns and along the
    /// map's links), the mentions of the subject in free-text columns, and the information the
    /// subject is owed (purposes, categories, recipients, storage periods, source, rights). The
    /// copy is written as JSON (stdout by default), XLSX, CSV or a self-contained HTML page, and the
    /// command is recorded in the audit trail. Identifiers matching several people are refused
    /// (exit 5).
    Extract(commands::extract::Args),
    /// Art. 17 erasure: apply the map's erase rules to every row of the subject, in one transaction
    ///
    /// Plans each belonging row's fate (deleted, anonymized, kept, or held under a hold such as the
    /// bookkeeping law's, to be finished by a later sweep), shows the plan and, on a terminal, asks
    /// before changing anything. The changes and their audit record are committed in one
    /// transaction or not at all; rows that remaining rows still refer to are anonymized instead of
    /// deleted, and a change by the store's own rules to a row the plan does not name undoes
    /// everything.
    Erase(commands::erase::Args),
    /// Art. 20 portability export of a subject, or with --all every mapped table of the tenant
    ///
    /// For a subject: the rows of tables whose legal basis is consent or contract, in a
    /// machine-readable format. With --all: every mapped table, for a customer who leaves, streamed
    /// so that memory stays flat.
    Export(commands::export::Args),
    /// Retention: apply every rule whose time has come, and finish deferred erasures whose hold has ended
    ///
    /// Meant for cron or a systemd timer. Works in short batches, each its own transaction with its
    /// own audit record, so the application keeps writing meanwhile; only one sweep runs per tenant
    /// at a time (exit 6, or wait with --wait). A run that is killed keeps the batches it committed,
    /// and the next run carries on.
    Sweep(commands::sweep::Args),
    /// The audit trail: list records, verify the hash chain, repair a break, list operators
    ///
    /// Every command that reads or changes personal data leaves a record in the tenant's own store,
    /// chained by hashes so that a change, removal or reordering is found, and every command checks
    /// the newest record before it appends (exit 7 when it was changed or removed). The records name
    /// the subject only by a keyed reference, never by an identifier.
    Audit(commands::audit::Args),
    /// Show which config file, tenant, store and map a command would use
    ///
    /// Looks for the config file as every command does (--config, ./dsr.toml,
    /// $XDG_CONFIG_HOME/dsr/config.toml, /etc/dsr/config.toml), lists its tenants, and says which
    /// store and map the global options resolve to. Passwords in store URLs are shown as ***.
    Config(commands::config::Args),
    /// The register of subject requests and their statutory deadlines (Art. 12(3))
    ///
    /// Support staff register each request (access, erasure, portability, rectification,
    /// restriction, objection) as it arrives; dsr computes its deadline (one month, counted as EU
    /// Regulation 1182/71 counts it and moved off weekends and Swedish public holidays), moves it to
    /// in_progress when a command runs with --request ID, allows one extension of two months before
    /// the first deadline, and says when a subject repeats an access request within a year. `dsr
    /// request due` is meant for cron: it prints nothing unless something is due. Every change is
    /// recorded in the audit trail; the register holds subjects only as keyed references.
    Request(commands::request::Args),
    /// Carry out many requests in one run: a CSV of extract, export and erase lines
    ///
    /// FILE.csv has the header request,kind,subject; each line is carried out as its own command,
    /// with its own audit record (the line's request id as the record's request), outcome and
    /// output file in DIR (REQUEST.json, …, never overwritten), and the same refusals as the single
    /// command; one failing line does not stop the others. The free text is scanned once for the
    /// whole batch. Erase lines need --yes. Lines that cannot be carried out as written are reported
    /// with their line number and skipped; a batch run again skips the lines that already
    /// succeeded. Ends with a summary (--json: dsr.batch/1); exit 0 only when every line succeeded,
    /// otherwise the exit code of the first line that did not.
    Batch(commands::batch::Args),
    /// After a restore from a backup: carry out again the erasures recorded since (or --new-key)
    ///
    /// A store restored from a backup brings back what was erased after the backup was taken.
    /// Every erasure and sweep batch made while the tenant has a replay_key_file seals, into its
    /// record in the audit log mirror, the keys of the rows it changed and what it did. Replay finds
    /// the restored store's newest audit record in the mirror (exit 7 when it is not there), and
    /// carries out every erasure recorded after it, in order, with today's plan rules: holds are
    /// judged on the rows as they are now, rows already gone are skipped, and each erasure gets an
    /// audit record of its own (command replay). Run it before any other command on a restored
    /// store; a second run finds nothing to do. --new-key writes the replay key once.
    Replay(commands::replay::Args),
}

/// The whole command line as clap sees it: the derived definitions, built,
/// with each command's unused globals hidden and its examples added. Parsing,
/// completions and man pages all start from here.
pub fn command() -> clap::Command {
    let root = Cli::command();
    let globals: Vec<clap::Arg> = root
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    let mut cmd = decorate(root, "", &globals);
    cmd.build();
    cmd
}

/// Adds a command's examples, and hidden copies of the globals it does not
/// use (clap then propagates the visible ones only where no copy exists).
/// Done before `build()`: a built command's arguments cannot be changed.
fn decorate(mut cmd: clap::Command, path: &str, globals: &[clap::Arg]) -> clap::Command {
    if let Some(ex) = crate::help::examples_text(path) {
        cmd = cmd.after_long_help(ex);
    }
    if !path.is_empty() {
        // `dsr help audit log` serves; `dsr audit help log` only clutters.
        cmd = cmd.disable_help_subcommand(true);
    }
    if let Some((_, hidden)) = NOT_USED.iter().find(|(p, _)| *p == path) {
        for a in globals
            .iter()
            .filter(|a| hidden.contains(&a.get_id().as_str()))
        {
            cmd = cmd.arg(a.clone().hide(true));
        }
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(&name, |s| decorate(s, &sub_path, globals));
    }
    cmd
}

impl GlobalArgs {
    pub fn globals(&self) -> Globals {
        Globals {
            store: self.store.clone(),
            map: self.map.clone(),
            tenant: self.tenant.clone(),
            config: self.config.clone(),
            operator: self.operator.clone(),
            operator_flag: self.operator_flag,
            request_flag: self.request_flag,
            request: self.request.clone(),
            json: self.json,
            quiet: self.quiet,
            defer_replay_key: false,
        }
    }
}
