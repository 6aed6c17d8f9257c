//! The one integration test binary: drives the real `dsr` on fixtures in
//! temporary directories, and snapshots exit code, stdout and stderr.

mod assets;
mod audit;
mod batch;
mod browser;
mod check;
mod crash;
mod demo;
mod erase;
mod expand;
mod export;
mod extract;
mod holds;
mod init;
mod inputs;
mod lookups;
mod mentions;
mod people;
mod pg_bad;
mod pg_compare;
mod pg_env;
mod pg_init;
mod pg_isolation;
mod pg_reads;
mod pg_replay;
mod pg_sweep;
mod pg_write;
mod replay;
mod requests;
mod stores;
mod sweep;
mod tamper;
mod tool_tables;
mod triggers;
mod ux;
mod witness;

use assert_cmd::Command;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The fixed clock of every test run (DSR_NOW).
pub const NOW: &str = "2026-11-22T10:00:00Z";

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
    pub map: PathBuf,
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// exit code, stdout and stderr in one text, temp paths replaced.
    pub fn snapshot(&self, env: &TestEnv) -> String {
        let tmp = env.dir.path().display().to_string();
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            self.stdout.replace(&tmp, "[TMP]"),
            self.stderr.replace(&tmp, "[TMP]")
        )
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

impl TestEnv {
    /// An empty directory, no store.
    pub fn empty() -> TestEnv {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = dir.path().join("tenant.db");
        let map = dir.path().join("datamap.toml");
        TestEnv { dir, store, map }
    }

    /// The agency fixture: its schema and data built fresh, its map copied.
    pub fn agency() -> TestEnv {
        TestEnv::from_fixture("agency")
    }

    /// The rental fixture (shaped like Sakila): same-row AFTER UPDATE
    /// triggers, a table keyed by email, padded keys, international phones.
    pub fn rental() -> TestEnv {
        TestEnv::from_fixture("rental")
    }

    /// A fixture directory's `schema.sql` built fresh, its `datamap.toml` copied.
    pub fn from_fixture(name: &str) -> TestEnv {
        let env = TestEnv::empty();
        let sql =
            std::fs::read_to_string(fixture(&format!("{name}/schema.sql"))).expect("schema.sql");
        let conn = Connection::open(&env.store).expect("open store");
        conn.execute_batch(&sql)
            .unwrap_or_else(|e| panic!("build the {name} store: {e}"));
        drop(conn);
        std::fs::copy(fixture(&format!("{name}/datamap.toml")), &env.map).expect("copy map");
        env
    }

    /// A demo tenant of `n` subjects, seed 7.
    pub fn demo(n: u64) -> TestEnv {
        let env = TestEnv::empty();
        let out = env.run_plain(&["demo", ".", "--subjects", &n.to_string(), "--seed", "7"]);
        assert_eq!(out.code, 0, "demo failed: {}", out.stderr);
        env
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A command with a clean, fixed environment, run in the temp dir.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("dsr"));
        c.current_dir(self.dir.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("DSR_") || k == "NO_COLOR" {
                c.env_remove(k);
            }
        }
        c.env("DSR_NOW", NOW)
            .env("USER", "tester")
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"));
        c
    }

    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// dsr with --store and --map of this tenant, and `args`.
    pub fn store_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = self.std_cmd();
        c.arg("--store")
            .arg(&self.store)
            .arg("--map")
            .arg(&self.map)
            .args(args);
        c
    }

    /// Runs dsr with --store and --map of this tenant.
    pub fn run(&self, args: &[&str]) -> Outcome {
        outcome(Command::from_std(self.store_cmd(args)))
    }

    /// Runs dsr with only the given arguments.
    pub fn run_plain(&self, args: &[&str]) -> Outcome {
        let mut c = self.cmd();
        c.args(args);
        outcome(c)
    }

    /// Puts a saved copy of the store back, with no WAL left over.
    pub fn restore(&self, saved: &Path) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.store.display()));
        }
        std::fs::copy(saved, &self.store).expect("restore the store");
    }

    pub fn conn(&self) -> Connection {
        Connection::open(&self.store).expect("open store")
    }

    /// Every row of every user table, as text: for "nothing changed" checks.
    pub fn dump_user_tables(&self) -> String {
        let conn = self.conn();
        let mut names: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '\\_dsr\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("names");
        names.sort();
        let mut out = String::new();
        for n in names {
            out.push_str(&format!("## {n}\n"));
            let ncols: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM pragma_table_info('{n}')"),
                    [],
                    |r| r.get(0),
                )
                .expect("columns");
            let order: Vec<String> = (1..=ncols).map(|i| i.to_string()).collect();
            let mut st = conn
                .prepare(&format!(
                    "SELECT * FROM \"{n}\" ORDER BY {}",
                    order.join(", ")
                ))
                .expect("select");
            let cols = st.column_count();
            let mut rows = st.query([]).expect("rows");
            while let Some(r) = rows.next().expect("row") {
                let vals: Vec<String> = (0..cols)
                    .map(|i| format!("{:?}", r.get_ref(i).expect("value")))
                    .collect();
                out.push_str(&vals.join("|"));
                out.push('\n');
            }
        }
        out
    }

    /// All audit records as (seq, command, outcome, subject, details).
    pub fn audit_rows(&self) -> Vec<(i64, String, String, Option<String>, String)> {
        let conn = self.conn();
        let mut st = conn
            .prepare("SELECT seq, command, outcome, subject, details FROM _dsr_audit ORDER BY seq")
            .expect("audit table");
        st.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
    }

    /// Every byte of dsr's own tables as one text, to search for leaks.
    pub fn tool_tables_text(&self) -> String {
        let conn = self.conn();
        let mut st = conn
            .prepare("SELECT at || operator || command || coalesce(request,'') || coalesce(subject,'') || outcome || details || prev_hash || hash FROM _dsr_audit")
            .expect("audit");
        let rows: Vec<String> = st
            .query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("rows");
        rows.join("\n")
    }
}

pub fn outcome(mut c: Command) -> Outcome {
    let out = c.output().expect("run dsr");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Rows of a query as text lines (`a|b|NULL`), for exact comparisons.
pub fn query(env: &TestEnv, sql: &str) -> Vec<String> {
    let conn = env.conn();
    let mut st = conn.prepare(sql).expect("prepare");
    let n = st.column_count();
    st.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).expect("value") {
                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                rusqlite::types::ValueRef::Real(f) => f.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                rusqlite::types::ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
            })
            .collect::<Vec<_>>()
            .join("|"))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

/// The rows of one table in an extract document.
pub fn rows(doc: &serde_json::Value, table: &str) -> serde_json::Value {
    doc["tables"][table]["rows"].clone()
}
