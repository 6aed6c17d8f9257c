//! The demo on SQLite: deterministic, refusing to overwrite, private files,
//! and a store the map describes. (The data itself: data_tests.rs; on
//! PostgreSQL: pg_tests.rs.)

use super::*;
use rusqlite::Connection;
use std::collections::HashMap;

pub(super) fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 5, 14)
}

pub(super) fn open(dir: &Path) -> Connection {
    Connection::open(dir.join(STORE_FILE)).unwrap()
}

pub(super) fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

pub(super) fn texts(c: &Connection, sql: &str) -> Vec<String> {
    let mut st = c.prepare(sql).unwrap();
    let rows = st.query_map([], |r| r.get(0)).unwrap();
    rows.map(|r| r.unwrap()).collect()
}

/// Every row of every table, values with their SQL types.
pub(super) fn dump(dir: &Path) -> Vec<String> {
    let c = open(dir);
    let mut out = Vec::new();
    for t in TABLES {
        let mut st = c
            .prepare(&format!("SELECT * FROM {t} ORDER BY rowid"))
            .unwrap();
        let n = st.column_count();
        let rows = st
            .query_map([], |r| {
                let mut s = format!("{t}:");
                for i in 0..n {
                    s.push_str(&format!("{:?}|", r.get_ref(i)?));
                }
                Ok(s)
            })
            .unwrap();
        out.extend(rows.map(|r| r.unwrap()));
    }
    out
}

#[test]
fn same_inputs_same_tables_and_other_seed_differs() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let sa = generate(a.path(), 300, 42, today(), false).unwrap();
    let sb = generate(b.path(), 300, 42, today(), false).unwrap();
    generate(c.path(), 300, 43, today(), false).unwrap();
    assert_eq!(sa.rows, sb.rows);
    let (da, db, dc) = (dump(a.path()), dump(b.path()), dump(c.path()));
    assert!(da.len() > 1000);
    assert_eq!(da, db);
    assert_ne!(da, dc);
    assert_eq!(
        fs::read(a.path().join(MAP_FILE)).unwrap(),
        DATAMAP.as_bytes()
    );
}

#[test]
fn refuses_to_overwrite_unless_forced() {
    let d = tempfile::tempdir().unwrap();
    generate(d.path(), 20, 1, today(), false).unwrap();
    let before = dump(d.path());
    let e = generate(d.path(), 20, 2, today(), false).unwrap_err();
    assert!(matches!(e, Error::Usage(_)), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("tenant.db") && msg.contains("--force"),
        "{msg}"
    );
    assert_eq!(dump(d.path()), before);

    // Either file alone is enough to refuse.
    fs::remove_file(d.path().join(STORE_FILE)).unwrap();
    let msg = generate(d.path(), 20, 2, today(), false)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("datamap.toml") && msg.contains("--force"),
        "{msg}"
    );
    assert!(!d.path().join(STORE_FILE).exists());

    // --force replaces both, and a stale WAL of the old store is not
    // replayed into the new one.
    fs::write(d.path().join("tenant.db-wal"), b"stale").unwrap();
    generate(d.path(), 20, 2, today(), true).unwrap();
    let c = open(d.path());
    assert_eq!(texts(&c, "PRAGMA integrity_check"), ["ok"]);
    drop(c);
    assert_ne!(dump(d.path()), before);
    generate(d.path(), 20, 1, today(), true).unwrap();
    assert_eq!(dump(d.path()), before);
}

#[test]
fn row_counts_for_a_thousand_subjects() {
    let d = tempfile::tempdir().unwrap();
    let s = generate(d.path(), 1000, 7, today(), false).unwrap();
    let names: Vec<&str> = s.rows.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, TABLES);
    let n: HashMap<&str, u64> = s.rows.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    assert_eq!(n["customers"], 1000);
    assert!((1200..=1400).contains(&n["meters"]), "{n:?}");
    let per_meter = n["meter_readings"] as f64 / n["meters"] as f64;
    assert!((20.0..=30.0).contains(&per_meter), "{per_meter}");
    assert!((8_000..=30_000).contains(&n["invoices"]), "{n:?}");
    assert_eq!(n["staff"], 5);
    assert!((50..=150).contains(&n["staff_logins"]), "{n:?}");
    assert!((420..=600).contains(&n["tickets"]), "{n:?}");
    assert!((330..=480).contains(&n["newsletter"]), "{n:?}");
    let c = open(d.path());
    for (t, rows) in &s.rows {
        assert_eq!(
            count(&c, &format!("SELECT count(*) FROM {t}")) as u64,
            *rows,
            "{t}"
        );
    }
    assert_eq!(texts(&c, "PRAGMA integrity_check"), ["ok"]);
    assert_eq!(
        count(&c, "SELECT count(*) FROM pragma_foreign_key_check"),
        0
    );
    assert_eq!(texts(&c, "PRAGMA journal_mode"), ["wal"]);
    // Only the two files are left in DIR.
    drop(c);
    let mut left: Vec<String> = fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["datamap.toml", "tenant.db"]);
}

#[test]
fn no_subjects_is_still_a_store() {
    let d = tempfile::tempdir().unwrap();
    let s = generate(d.path(), 0, 7, today(), false).unwrap();
    assert_eq!(s.rows[0], ("customers".to_string(), 0));
    assert_eq!(s.rows[4], ("staff".to_string(), 3));
    assert!(generate(d.path(), MAX_SUBJECTS + 1, 7, today(), true).is_err());
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("new").join("tenant");
    generate(&dir, 10, 1, today(), false).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(STORE_FILE)), 0o600);
    assert_eq!(mode(&dir.join(MAP_FILE)), 0o600);
    generate(&dir, 10, 2, today(), true).unwrap();
    assert_eq!(mode(&dir.join(STORE_FILE)), 0o600);
    assert_eq!(mode(&dir.join(MAP_FILE)), 0o600);
}

/// The map fits the store the way `dsr check` wants it: every table and
/// column exists, links are foreign keys, `null` only on nullable columns.
#[test]
fn the_map_describes_the_store() {
    let map: toml::Table = toml::from_str(DATAMAP).unwrap();
    assert_eq!(map["version"].as_integer(), Some(1));
    let tables = map["tables"].as_table().unwrap();
    let mut mapped: Vec<&str> = tables.keys().map(String::as_str).collect();
    let mut all = TABLES.to_vec();
    mapped.sort_unstable();
    all.sort_unstable();
    assert_eq!(mapped, all);
    let kinds = map["identifiers"].as_table().unwrap();

    let d = tempfile::tempdir().unwrap();
    generate(d.path(), 50, 1, today(), false).unwrap();
    let c = open(d.path());
    let columns = |t: &str| -> HashMap<String, bool> {
        let mut st = c
            .prepare(&format!(
                "SELECT name, \"notnull\" FROM pragma_table_info('{t}')"
            ))
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    for (t, spec) in tables {
        let cols = columns(t);
        for key in ["purpose", "legal_basis", "on_erase"] {
            assert!(spec.get(key).is_some(), "{t} has no {key}");
        }
        if let Some(identify) = spec.get("identify") {
            for (kind, col) in identify.as_table().unwrap() {
                assert!(kinds.contains_key(kind), "{t}: kind {kind}");
                assert!(cols.contains_key(col.as_str().unwrap()), "{t}.{col}");
            }
        }
        for key in ["retention", "hold"] {
            if let Some(rule) = spec.get(key) {
                assert!(
                    cols.contains_key(rule["after"].as_str().unwrap()),
                    "{t} {key}"
                );
            }
        }
        let links: Vec<&toml::Value> = match spec.get("link") {
            None => vec![],
            Some(toml::Value::Array(a)) => a.iter().collect(),
            Some(l) => vec![l],
        };
        let mut fks = c
            .prepare(&format!(
                "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('{t}')"
            ))
            .unwrap();
        let fks: Vec<(String, String, String)> = fks
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        for l in links {
            let to = l["to"].as_str().unwrap();
            for (from, target) in l["on"].as_table().unwrap() {
                let target = target.as_str().unwrap();
                assert!(cols.contains_key(from), "{t}.{from}");
                assert!(columns(to).contains_key(target), "{to}.{target}");
                assert!(
                    fks.contains(&(to.to_string(), from.clone(), target.to_string())),
                    "{t}.{from} -> {to}.{target} is not a foreign key"
                );
            }
        }
        for (col, cs) in spec.get("columns").and_then(|c| c.as_table()).unwrap() {
            let notnull = *cols
                .get(col)
                .unwrap_or_else(|| panic!("{t}.{col} is not in the store"));
            if cs.get("erase").and_then(|e| e.as_str()) == Some("null") {
                assert!(!notnull, "{t}.{col} is NOT NULL but erased with null");
            }
        }
    }
    assert_eq!(
        tables["customers"]["columns"]["password_hash"]["extract"].as_bool(),
        Some(false)
    );
    assert_eq!(
        tables["customers"]["columns"]["notes"]["scan"].as_bool(),
        Some(true)
    );
    assert_eq!(
        tables["tickets"]["columns"]["body"]["scan"].as_bool(),
        Some(true)
    );
}

/// `cargo test --release -- --ignored --nocapture bench_100k`
#[test]
#[ignore]
fn bench_100k() {
    let d = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let s = generate(d.path(), 100_000, 1, today(), false).unwrap();
    let took = t.elapsed();
    let size = fs::metadata(d.path().join(STORE_FILE)).unwrap().len();
    println!(
        "100k subjects: {took:?}, {} MB, {:?}",
        size / 1_000_000,
        s.rows
    );
    assert!(took.as_secs() < 60);
}
