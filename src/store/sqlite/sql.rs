//! The SQL interface for dsr's own tables on SQLite: the shared statements
//! use `?N` placeholders, which are SQLite's own.

use super::SqliteBackend;
use crate::error::Result;
use crate::store::backend::Cell;
use crate::value::Value;
use rusqlite::types::ValueRef;
use rusqlite::ToSql;

fn cell(v: ValueRef<'_>) -> Cell<'_> {
    match v {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Integer(i),
        ValueRef::Real(f) => Cell::Real(f),
        ValueRef::Text(t) => Cell::Text(t),
        ValueRef::Blob(b) => Cell::Blob(b),
    }
}

impl SqliteBackend {
    pub(super) fn exec_values(&self, sql: &str, params: &[Value], doing: &str) -> Result<u64> {
        let params: Vec<&dyn ToSql> = params.iter().map(|v| v as &dyn ToSql).collect();
        self.exec(sql, &params, doing)
    }

    pub(super) fn query_cells(
        &self,
        sql: &str,
        params: &[Value],
        doing: &str,
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<()>,
    ) -> Result<()> {
        let e = |x| self.err(doing, x);
        let mut st = self.conn.prepare_cached(sql).map_err(e)?;
        let width = st.column_count();
        let params: Vec<&dyn ToSql> = params.iter().map(|v| v as &dyn ToSql).collect();
        let mut rows = st.query(params.as_slice()).map_err(e)?;
        while let Some(r) = rows.next().map_err(e)? {
            let mut cells: Vec<Cell<'_>> = Vec::with_capacity(width);
            for i in 0..width {
                cells.push(cell(r.get_ref(i).map_err(e)?));
            }
            f(&cells)?;
        }
        Ok(())
    }
}
