//! One scenario, both stores: a SQLite scenario's assertions run as they
//! are against the same tenant in a PostgreSQL schema (issue 11). The
//! agency fixture is the same on both but for two columns SQLite leaves
//! untyped (`messages.sent_at`, `visits.at`: text on PostgreSQL, so their
//! Unix seconds read as digits; [`Tenant::untyped`]).

use crate::pg_env::PgTenant;
use crate::{outcome, query, Outcome, TestEnv};
use serde_json::Value;

/// A tenant on one of the two stores.
pub enum Tenant {
    Lite(TestEnv),
    Pg(Box<PgTenant>),
}

/// The agency fixture on SQLite, and on PostgreSQL unless its tests are
/// skipped; `label` names the schema.
pub fn agency(label: &str) -> Vec<Tenant> {
    let mut all = vec![Tenant::Lite(TestEnv::agency())];
    all.extend(PgTenant::agency(label, "").map(|t| Tenant::Pg(Box::new(t))));
    all
}

impl Tenant {
    /// The directory dsr runs in, and the map.
    pub fn env(&self) -> &TestEnv {
        match self {
            Tenant::Lite(env) => env,
            Tenant::Pg(t) => &t.env,
        }
    }

    /// Which store, for assertion messages.
    pub fn store(&self) -> &'static str {
        match self {
            Tenant::Lite(_) => "SQLite",
            Tenant::Pg(_) => "PostgreSQL",
        }
    }

    /// `dsr --store STORE --map MAP ARGS`.
    pub fn cmd(&self, args: &[&str]) -> std::process::Command {
        match self {
            Tenant::Lite(env) => env.store_cmd(args),
            Tenant::Pg(t) => t.cmd(args),
        }
    }

    pub fn run(&self, args: &[&str]) -> Outcome {
        outcome(assert_cmd::Command::from_std(self.cmd(args)))
    }

    /// Runs dsr and insists on exit 0.
    pub fn ok(&self, args: &[&str]) -> Outcome {
        let out = self.run(args);
        assert_eq!(out.code, 0, "{args:?} on {}: {}", self.store(), out.stderr);
        out
    }

    /// `dsr --json sweep` at another time (DSR_NOW ages the store), exit 0;
    /// its document.
    pub fn sweep_at(&self, now: &str) -> Value {
        let mut c = self.cmd(&["--json", "sweep"]);
        c.env("DSR_NOW", now);
        let out = outcome(assert_cmd::Command::from_std(c));
        assert_eq!(
            out.code,
            0,
            "sweep at {now} on {}: {}",
            self.store(),
            out.stderr
        );
        out.json()
    }

    /// Runs SQL statements (written to work on both).
    pub fn exec(&self, sql: &str) {
        match self {
            Tenant::Lite(env) => env.conn().execute_batch(sql).expect("SQL on SQLite"),
            Tenant::Pg(t) => t.schema.exec(sql),
        }
    }

    /// Rows as `a|b|NULL` lines.
    pub fn query(&self, sql: &str) -> Vec<String> {
        match self {
            Tenant::Lite(env) => query(env, sql),
            Tenant::Pg(t) => t.rows(sql),
        }
    }

    /// The audit record `seq`: command, outcome, subject reference, details.
    pub fn record(&self, seq: usize) -> (String, String, Option<String>, Value) {
        let sql = format!(
            "SELECT command, outcome, coalesce(subject, 'NULL'), details FROM _dsr_audit WHERE seq = {seq}"
        );
        let row = self.query(&sql);
        let [line] = row.as_slice() else {
            panic!("no audit record {seq} on {}", self.store());
        };
        let mut f = line.splitn(4, '|');
        let mut next = || f.next().expect("a field").to_string();
        let (command, outcome, subject, details) = (next(), next(), next(), next());
        (
            command,
            outcome,
            (subject != "NULL").then_some(subject),
            serde_json::from_str(&details).expect("details"),
        )
    }

    /// Every row of every table of the tenant's (not dsr's), as text.
    pub fn dump(&self) -> String {
        match self {
            Tenant::Lite(env) => env.dump_user_tables(),
            Tenant::Pg(t) => t.dump(),
        }
    }

    /// dsr's own tables (`_dsr_…`) in the store, sorted.
    pub fn dsr_tables(&self) -> Vec<String> {
        match self {
            Tenant::Lite(env) => query(
                env,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_dsr\\_%' ESCAPE '\\' ORDER BY 1",
            ),
            Tenant::Pg(t) => t.tables(true),
        }
    }

    /// The outcomes of the trail's records, in order.
    pub fn outcomes(&self) -> Vec<String> {
        self.query("SELECT outcome FROM _dsr_audit ORDER BY seq")
    }

    /// How many audit records hold `text` in any text field (for leaks).
    pub fn tool_tables_with(&self, text: &str) -> usize {
        let rows = self.query(
            "SELECT operator || command || coalesce(request, '') || coalesce(subject, '') \
             || outcome || details || prev_hash || hash FROM _dsr_audit",
        );
        rows.iter().filter(|r| r.contains(text)).count()
    }

    /// A value of an untyped agency column as this store shows it: a
    /// number as its digits on PostgreSQL.
    pub fn untyped(&self, v: Value) -> Value {
        match self {
            Tenant::Pg(_) => crate::pg_env::digits(&v),
            Tenant::Lite(_) => v,
        }
    }
}
