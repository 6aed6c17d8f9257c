//! The PostgreSQL tenant of the cli tests: a schema of the test's own on
//! the server of `DSR_TEST_POSTGRES_URL` (dropped with the test), its URL,
//! dsr run against it, and its rows as text lines. The constructors give
//! None when the PostgreSQL tests are skipped (they fail under CI=true).

use crate::{fixture, outcome, Outcome, TestEnv};
use dsr::store::pg::testing::{self, TestSchema};
use std::process::Command;

/// A tenant in a PostgreSQL schema; `env` holds its map (and is the
/// directory dsr runs in).
pub struct PgTenant {
    pub env: TestEnv,
    pub schema: TestSchema,
    pub url: String,
}

/// A SQLite number as PostgreSQL shows it from a `text` column that holds
/// what SQLite left untyped (Unix seconds among ISO text): its digits.
pub fn digits(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Number(n) => serde_json::Value::String(n.to_string()),
        other => other.clone(),
    }
}

/// A document with `f` applied to every non-null value of one column of
/// one table's rows (`tables.T.rows[*].C`).
pub fn map_column(
    mut doc: serde_json::Value,
    table: &str,
    column: &str,
    f: impl Fn(&serde_json::Value) -> serde_json::Value,
) -> serde_json::Value {
    let rows = doc
        .get_mut("tables")
        .and_then(|t| t.get_mut(table))
        .and_then(|t| t.get_mut("rows"))
        .and_then(serde_json::Value::as_array_mut);
    for row in rows.into_iter().flatten() {
        if let Some(v) = row.get(column).filter(|v| !v.is_null()).map(&f) {
            row[column] = v;
        }
    }
    doc
}

/// The test server's URL with `?schema=NAME`.
pub fn url_of(schema: &TestSchema) -> String {
    let raw = std::env::var(testing::VAR).expect("the server's URL");
    let sep = if raw.contains('?') { '&' } else { '?' };
    format!("{raw}{sep}schema={}", schema.name)
}

impl PgTenant {
    /// A fresh schema with `sql` run in it; `env` gives the map.
    pub fn new(label: &str, sql: &str, env: TestEnv) -> Option<PgTenant> {
        let schema = TestSchema::new(label)?;
        if !sql.is_empty() {
            schema.exec(sql);
        }
        let url = url_of(&schema);
        Some(PgTenant { env, schema, url })
    }

    /// The agency fixture (`fixtures/agency/schema.pg.sql`), then `extra`
    /// SQL; the agency map. `env` is a SQLite agency tenant too, so the
    /// same commands can run on both (`TestEnv::run`).
    pub fn agency(label: &str, extra: &str) -> Option<PgTenant> {
        let sql = std::fs::read_to_string(fixture("agency/schema.pg.sql")).expect("schema.pg.sql");
        PgTenant::new(label, &format!("{sql}\n{extra}"), TestEnv::agency())
    }

    /// The demo tenant of `n` subjects and `seed`, written by `dsr demo .
    /// --store URL` (only its map lands in the temp dir).
    pub fn demo(label: &str, n: u64, seed: u64) -> Option<PgTenant> {
        let t = PgTenant::new(label, "", TestEnv::empty())?;
        let out = t.env.run_plain(&[
            "-q",
            "demo",
            ".",
            "--subjects",
            &n.to_string(),
            "--seed",
            &seed.to_string(),
            "--store",
            &t.url,
        ]);
        assert_eq!(out.code, 0, "demo on PostgreSQL: {}", out.stderr);
        Some(t)
    }

    /// `dsr --store URL --map MAP ARGS`, with the tests' fixed environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_at(&self.url, args)
    }

    /// [`PgTenant::cmd`] with another URL for the same schema (another
    /// role, options, a wrong password).
    pub fn cmd_at(&self, url: &str, args: &[&str]) -> Command {
        let mut c = self.env.std_cmd();
        c.arg("--store")
            .arg(url)
            .arg("--map")
            .arg(&self.env.map)
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Outcome {
        outcome(assert_cmd::Command::from_std(self.cmd(args)))
    }

    /// A session in the tenant's schema (first on its search path).
    pub fn client(&self) -> postgres::Client {
        dsr::store::pg::connect(&self.schema.url())
            .expect("connect")
            .client
    }

    /// Rows as `a|b|NULL` lines, every value as PostgreSQL's text form.
    pub fn rows(&self, sql: &str) -> Vec<String> {
        let msgs = self
            .client()
            .simple_query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        msgs.iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => Some(
                    (0..r.len())
                        .map(|i| r.get(i).unwrap_or("NULL").to_string())
                        .collect::<Vec<_>>()
                        .join("|"),
                ),
                _ => None,
            })
            .collect()
    }

    /// The schema's tables, dsr's (`_dsr_…`) or the tenant's, sorted.
    pub fn tables(&self, dsr_own: bool) -> Vec<String> {
        let not = if dsr_own { "" } else { "NOT" };
        self.rows(&format!(
            "SELECT relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'r' \
             AND relname {not} LIKE '\\_dsr\\_%' ORDER BY 1"
        ))
    }

    /// Every row of the given tables, each as its JSON text, sorted.
    pub fn dump_tables(&self, tables: &[String]) -> String {
        let mut out = String::new();
        for t in tables {
            out.push_str(&format!("## {t}\n"));
            for r in self.rows(&format!(
                "SELECT row_to_json(t)::text AS r FROM \"{t}\" t ORDER BY 1"
            )) {
                out.push_str(&r);
                out.push('\n');
            }
        }
        out
    }

    /// Every row of every table of the tenant's (not dsr's), as text.
    pub fn dump(&self) -> String {
        self.dump_tables(&self.tables(false))
    }

    /// Every row of dsr's own tables, as text.
    pub fn dump_dsr(&self) -> String {
        self.dump_tables(&self.tables(true))
    }

    /// The tenant secret (hashes and subject references are keyed by it).
    pub fn secret(&self) -> String {
        self.rows("SELECT value FROM _dsr_meta WHERE key = 'secret'")[0].clone()
    }
}
