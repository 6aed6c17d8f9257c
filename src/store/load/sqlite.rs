//! Loading into a new SQLite file: no journal and no fsync while the rows
//! go in (on failure the caller throws the file away), prepared inserts in
//! one transaction, and WAL mode at the end, which is what `dsr check`
//! recommends for a store an application writes to while dsr works.

use super::{Ddl, Existing, Inserter, Loader, TableId};
use crate::error::{Error, Result};
use crate::store::schema::quote;
use crate::value::Value;
use rusqlite::{Connection, Statement};
use std::path::{Path, PathBuf};

pub struct SqliteLoader {
    path: PathBuf,
    conn: Connection,
    /// The INSERT of each declared table, with its number of columns.
    inserts: Vec<(String, usize)>,
}

impl SqliteLoader {
    pub fn open(path: &Path) -> Result<SqliteLoader> {
        let conn = Connection::open(path).map_err(fail(path, "opening it"))?;
        conn.query_row("PRAGMA journal_mode = OFF", [], |_| Ok(()))
            .map_err(fail(path, "setting it up"))?;
        conn.execute_batch(
            "PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
        )
        .map_err(fail(path, "setting it up"))?;
        conn.execute_batch("BEGIN")
            .map_err(fail(path, "starting the transaction"))?;
        Ok(SqliteLoader {
            path: path.to_path_buf(),
            conn,
            inserts: Vec::new(),
        })
    }

    fn fail(&self, doing: &'static str) -> impl Fn(rusqlite::Error) -> Error + '_ {
        fail(&self.path, doing)
    }
}

/// The prepared INSERT of each declared table, with its number of columns.
struct SqliteInserter<'c> {
    path: &'c Path,
    statements: Vec<(Statement<'c>, usize)>,
}

impl Inserter for SqliteInserter<'_> {
    fn insert(&mut self, table: TableId, row: &[Value]) -> Result<()> {
        let (st, n) = self
            .statements
            .get_mut(table.0)
            .ok_or_else(|| Error::Runtime("internal: a row for an undeclared table".into()))?;
        if row.len() != *n {
            return Err(Error::Runtime(format!(
                "internal: a row of {} values for {n} columns",
                row.len()
            )));
        }
        st.execute(rusqlite::params_from_iter(row.iter()))
            .map(|_| ())
            .map_err(fail(self.path, "inserting rows"))
    }
}

fn fail<'p>(path: &'p Path, doing: &'static str) -> impl Fn(rusqlite::Error) -> Error + 'p {
    move |e| {
        Error::Runtime(format!(
            "cannot build the demo store {}: {doing}: {e}",
            path.display()
        ))
    }
}

impl Loader for SqliteLoader {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn existing(&mut self, names: &[&str]) -> Result<Vec<Existing>> {
        let mut st = self
            .conn
            .prepare("SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
            .map_err(self.fail("reading its tables"))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(fail(&self.path, "reading its tables"))?;
        Ok(rows
            .into_iter()
            .filter(|(n, _)| names.contains(&n.as_str()) || n.starts_with("_dsr_"))
            .map(|(name, kind)| Existing {
                name,
                table: kind == "table",
                comment: None,
            })
            .collect())
    }

    fn drop_tables(&mut self, names: &[String]) -> Result<()> {
        for n in names {
            self.conn
                .execute_batch(&format!("DROP TABLE {}", quote(n)))
                .map_err(self.fail("dropping a table"))?;
        }
        Ok(())
    }

    fn create(&mut self, ddl: &Ddl) -> Result<()> {
        self.conn
            .execute_batch(ddl.sqlite)
            .map_err(self.fail("creating the tables"))
    }

    fn table(&mut self, name: &str, columns: &[&str]) -> Result<TableId> {
        let cols: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        self.inserts.push((
            format!(
                "INSERT INTO {} ({}) VALUES ({})",
                quote(name),
                cols.join(", "),
                marks.join(", ")
            ),
            columns.len(),
        ));
        Ok(TableId(self.inserts.len() - 1))
    }

    fn with_rows(&mut self, fill: &mut dyn FnMut(&mut dyn Inserter) -> Result<()>) -> Result<()> {
        let mut statements = Vec::with_capacity(self.inserts.len());
        for (sql, n) in &self.inserts {
            let st = self
                .conn
                .prepare(sql)
                .map_err(fail(&self.path, "inserting rows"))?;
            statements.push((st, *n));
        }
        fill(&mut SqliteInserter {
            path: &self.path,
            statements,
        })
    }

    fn finish(&mut self, after: &Ddl, _comment: &str) -> Result<()> {
        self.conn
            .execute_batch(after.sqlite)
            .map_err(self.fail("creating the indexes"))
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let SqliteLoader { path, conn, .. } = *self;
        conn.execute_batch("COMMIT")
            .map_err(fail(&path, "committing"))?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(fail(&path, "switching it to WAL"))?;
        conn.close().map_err(|(_, e)| fail(&path, "closing it")(e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{open, Target};
    use super::*;

    #[test]
    fn loads_rows_in_one_transaction_and_sees_what_is_in_the_way() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.db");
        let mut l = open(Target::SqliteFile(&p)).unwrap();
        assert_eq!(l.describe(), p.display().to_string());
        l.create(&Ddl {
            sqlite: "CREATE TABLE a (x INTEGER, y TEXT, z REAL, w BLOB); CREATE TABLE _dsr_meta (k TEXT); CREATE VIEW b AS SELECT 1",
            postgres: "",
        })
        .unwrap();
        let found = l.existing(&["a", "b", "c"]).unwrap();
        let names: Vec<(&str, bool)> = found.iter().map(|e| (e.name.as_str(), e.table)).collect();
        assert_eq!(names, [("_dsr_meta", true), ("a", true), ("b", false)]);
        let t = l.table("a", &["x", "y", "z", "w"]).unwrap();
        l.with_rows(&mut |ins| {
            ins.insert(
                t,
                &[
                    Value::Integer(1),
                    Value::Text("Åsa\n".into()),
                    Value::Real(0.5),
                    Value::Blob(vec![0, 1]),
                ],
            )?;
            ins.insert(t, &[Value::Null, Value::Null, Value::Null, Value::Null])?;
            assert!(ins.insert(t, &[Value::Null]).is_err());
            Ok(())
        })
        .unwrap();
        l.drop_tables(&["_dsr_meta".to_string()]).unwrap();
        // Not visible to another connection before the commit.
        let other = Connection::open(&p).unwrap();
        let tables = |c: &Connection| -> i64 {
            c.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(tables(&other), 0);
        l.finish(
            &Ddl {
                sqlite: "CREATE INDEX a_x ON a(x)",
                postgres: "",
            },
            "ignored",
        )
        .unwrap();
        l.commit().unwrap();
        assert_eq!(tables(&other), 1);
        type Row = (Option<i64>, Option<String>, Option<f64>, Option<Vec<u8>>);
        let rows: Vec<Row> = other
            .prepare("SELECT x, y, z, w FROM a ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            rows,
            [
                (Some(1), Some("Åsa\n".into()), Some(0.5), Some(vec![0, 1])),
                (None, None, None, None)
            ]
        );
        let mode: String = other
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
