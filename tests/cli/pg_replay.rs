//! `dsr replay` on PostgreSQL (issue 17): the demo tenant in a schema of
//! the test's own is backed up with `pg_dump -n`, erased (holds, a mention)
//! and swept, restored with `psql`, and replayed: the user tables are then
//! as they were before the restore, row for row. Skipped without
//! `DSR_TEST_POSTGRES_URL` (failing under CI=true).

use crate::TestEnv;
use dsr::store::pg::testing::{self, TestSchema};
use std::process::Command;

/// Every row of every user table of the schema as JSON text, sorted.
fn dump_user_tables(schema: &TestSchema) -> String {
    let mut c = dsr::store::pg::connect(&schema.url())
        .expect("connect")
        .client;
    let tables: Vec<String> = c
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 AND table_name NOT LIKE '\\_dsr\\_%' ORDER BY 1",
            &[&schema.name],
        )
        .expect("tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() >= 8, "{tables:?}");
    let mut out = String::new();
    for t in tables {
        let q = format!(
            "SELECT coalesce(string_agg(r, E'\\n' ORDER BY r), '') FROM (SELECT row_to_json(x)::text AS r FROM \"{}\".\"{t}\" x) s",
            schema.name
        );
        let rows: String = c.query_one(&q, &[]).expect("rows").get(0);
        out.push_str(&format!("## {t}\n{rows}\n"));
    }
    out
}

fn tool(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} (PostgreSQL's client tools) cannot run: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pg_a_restored_schema_is_brought_back_by_replay() {
    let Some(schema) = TestSchema::new("replay") else {
        return;
    };
    let server = std::env::var(testing::VAR).expect("the server's URL");
    let sep = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{sep}schema={}", schema.name);
    let env = TestEnv::empty();
    let out = env.run_plain(&[
        "demo",
        ".",
        "--store",
        &url,
        "--subjects",
        "40",
        "--seed",
        "7",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    std::fs::write(
        env.path("dsr.toml"),
        format!("[tenants.t]\nstore = \"{url}\"\nmap = \"datamap.toml\"\naudit_log = \"mirror.jsonl\"\nreplay_key_file = \"replay.key\"\n"),
    )
    .expect("config");
    let t = |args: &[&str]| {
        let out = crate::replay::t(&env, args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        out
    };
    t(&["replay", "--new-key"]);
    t(&["-q", "extract", "customer_no:K-000003"]);
    let backup = env.path("backup.sql");
    let backup_s = backup.display().to_string();
    tool(
        "pg_dump",
        &["-d", &server, "-n", &schema.name, "-f", &backup_s],
    );
    let at_backup = dump_user_tables(&schema);

    let e1 = t(&["--json", "erase", "--yes", "customer_no:K-000001"]).json();
    assert_eq!(e1["mentions"]["tickets.body"], 1, "{e1}");
    assert!(
        e1["tables"]["invoices"]["held"].as_u64().unwrap_or(0) > 0,
        "{e1}"
    );
    t(&["-q", "erase", "--yes", "customer_no:K-000002"]);
    t(&["-q", "sweep"]);
    let erased = dump_user_tables(&schema);
    assert_ne!(erased, at_backup);

    let drop = format!("DROP SCHEMA \"{}\" CASCADE", schema.name);
    tool("psql", &["-q", "-d", &server, "-c", &drop]);
    tool(
        "psql",
        &[
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &server,
            "-f",
            &backup_s,
        ],
    );
    assert_eq!(dump_user_tables(&schema), at_backup);

    let dry = t(&["--json", "replay", "--dry-run"]).json();
    assert!(dry["records"].as_array().map_or(0, Vec::len) >= 3, "{dry}");
    assert_eq!(
        dump_user_tables(&schema),
        at_backup,
        "a dry run changes nothing"
    );
    let doc = t(&["--json", "replay"]).json();
    assert_eq!(
        doc["records"].as_array().map(Vec::len),
        dry["records"].as_array().map(Vec::len)
    );
    assert_eq!(dump_user_tables(&schema), erased, "as before the restore");
    assert!(t(&["replay"]).stderr.contains("nothing to replay"));
    let v = t(&["--json", "audit", "verify", "--mirror", "mirror.jsonl"]).json();
    assert_eq!(v["mirror"]["status"], "same", "{v}");
}
