//! Loading into a new SQLite file: no journal and no fsync while the rows
//! go in (on failure the caller throws the file away), prepared inserts in
//! one transaction, and WAL mode at the end, which is what `dsr check`
//! recommends for a store an application writes to while dsr works.

use super::{Ddl, Existing, Loader, TableId};
use crate::error::{Error, Result};
use crate::store::schema::quote;
use crate::value::Value;
use rusqlite::Connection;
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
        // Every table's statement stays prepared.
        self.conn
            .set_prepared_statement_cache_capacity(self.inserts.len().max(16));
        Ok(TableId(self.inserts.len() - 1))
    }

    fn insert(&mut self, table: TableId, row: &[Value]) -> Result<()> {
        let (sql, n) = self
            .inserts
            .get(table.0)
            .ok_or_else(|| Error::Runtime("internal: a row for an undeclared table".into()))?;
        if row.len() != *n {
            return Err(Error::Runtime(format!(
                "internal: a row of {} values for {n} columns ({sql})",
                row.len()
            )));
        }
        let mut st = self
            .conn
            .prepare_cached(sql)
            .map_err(fail(&self.path, "inserting rows"))?;
        st.execute(rusqlite::params_from_iter(row.iter()))
            .map(|_| ())
            .map_err(fail(&self.path, "inserting rows"))
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
