//! Reading the live schema from SQLite's catalog (`sqlite_master` and the
//! table pragmas), mapped to the neutral [`Schema`].

use super::SqliteBackend;
use crate::error::Result;
use crate::store::schema::{
    ColumnSchema, ColumnType, Dialect, ForeignKey, Index, RowIds, Schema, TableSchema,
};

/// A declared type's kind by SQLite's affinity rules (§3.1 of "Datatypes
/// In SQLite"): INT → integer; CHAR, CLOB, TEXT → text; none or BLOB →
/// any; REAL, FLOA, DOUB → real; else numeric.
pub(crate) fn column_type(decl: &str) -> ColumnType {
    let d = decl.to_ascii_uppercase();
    if d.contains("INT") {
        ColumnType::Integer
    } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
        ColumnType::Text
    } else if d.is_empty() || d.contains("BLOB") {
        ColumnType::Any
    } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        ColumnType::Real
    } else {
        ColumnType::Numeric
    }
}

/// The declared length of a `varchar(n)`-like type, if any.
pub(crate) fn max_len(decl: &str) -> Option<usize> {
    let open = decl.find('(')?;
    let close = decl[open..].find(')')? + open;
    decl[open + 1..close].split(',').next()?.trim().parse().ok()
}

impl SqliteBackend {
    /// Reads the live schema: every table but SQLite's own.
    pub(super) fn read_schema(&self) -> Result<Schema> {
        let e = |x| self.err("reading the schema of", x);
        let mut names: Vec<(String, String)> = Vec::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
                .map_err(e)?;
            let rows = st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(e)?;
            for r in rows {
                names.push(r.map_err(e)?);
            }
        }
        let mut tables = Vec::with_capacity(names.len());
        // Each statement prepared once for all tables (a prepare is some
        // 20 µs, and there are four per table).
        let mut columns_st = self
            .conn
            .prepare("SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid")
            .map_err(e)?;
        let mut fks_st = self
            .conn
            .prepare("SELECT id, seq, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq")
            .map_err(e)?;
        let mut indexes_st = self
            .conn
            .prepare("SELECT name, partial FROM pragma_index_list(?1)")
            .map_err(e)?;
        let mut parts_st = self
            .conn
            .prepare("SELECT name, coll FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno")
            .map_err(e)?;
        for (name, sql) in names {
            let mut columns = Vec::new();
            {
                let mut rows = columns_st.query([&name]).map_err(e)?;
                while let Some(r) = rows.next().map_err(e)? {
                    let hidden: i64 = r.get(4).map_err(e)?;
                    if hidden == 1 {
                        continue; // virtual-table hidden columns are not data
                    }
                    let decl: String = r
                        .get::<_, Option<String>>(1)
                        .map_err(e)?
                        .unwrap_or_default();
                    columns.push(ColumnSchema {
                        name: r.get(0).map_err(e)?,
                        ty: column_type(&decl),
                        max_len: max_len(&decl),
                        decl_type: decl,
                        not_null: r.get::<_, i64>(2).map_err(e)? != 0,
                        pk: r.get::<_, i64>(3).map_err(e)?.max(0) as usize,
                    });
                }
            }
            let mut pk: Vec<&ColumnSchema> = columns.iter().filter(|c| c.pk > 0).collect();
            pk.sort_by_key(|c| c.pk);
            let pk: Vec<String> = pk.into_iter().map(|c| c.name.clone()).collect();

            let mut foreign_keys: Vec<ForeignKey> = Vec::new();
            {
                let mut rows = fks_st.query([&name]).map_err(e)?;
                let mut last_id = -1i64;
                while let Some(r) = rows.next().map_err(e)? {
                    let id: i64 = r.get(0).map_err(e)?;
                    let from: String = r.get(3).map_err(e)?;
                    let to: Option<String> = r.get(4).map_err(e)?;
                    if id != last_id {
                        foreign_keys.push(ForeignKey {
                            from: vec![],
                            table: r.get(2).map_err(e)?,
                            to: vec![],
                            on_delete: r.get(5).map_err(e)?,
                        });
                        last_id = id;
                    }
                    if let Some(fk) = foreign_keys.last_mut() {
                        fk.from.push(from);
                        if let Some(t) = to {
                            fk.to.push(t);
                        }
                    }
                }
            }

            let mut indexes = Vec::new();
            {
                let list: Vec<(String, bool)> = indexes_st
                    .query_map([&name], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? != 0))
                    })
                    .map_err(e)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(e)?;
                for (iname, partial) in list {
                    let parts = parts_st
                        .query_map([&iname], |r| {
                            Ok((
                                r.get::<_, Option<String>>(0)?,
                                r.get::<_, Option<String>>(1)?
                                    .unwrap_or_else(|| "BINARY".into()),
                            ))
                        })
                        .map_err(e)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(e)?;
                    indexes.push(Index {
                        name: iname,
                        parts,
                        partial,
                    });
                }
            }
            let without_rowid = sql.to_ascii_uppercase().contains("WITHOUT ROWID");
            // The key is the rowid where there is no primary key, or where
            // the primary key is an INTEGER PRIMARY KEY (the rowid itself).
            let key_is_integer = !without_rowid
                && (pk.is_empty()
                    || (pk.len() == 1
                        && columns.iter().any(|c| {
                            c.name == pk[0] && c.decl_type.eq_ignore_ascii_case("INTEGER")
                        })));
            tables.push(TableSchema {
                name,
                columns,
                pk,
                row_ids: if without_rowid {
                    RowIds::None
                } else {
                    RowIds::Stable
                },
                key_is_integer,
                foreign_keys,
                indexes,
            });
        }
        // A foreign key that names no parent columns references the parent's key.
        let pks: Vec<(String, Vec<String>)> = tables
            .iter()
            .map(|t| (t.name.clone(), t.pk.clone()))
            .collect();
        for t in &mut tables {
            for fk in &mut t.foreign_keys {
                if fk.to.is_empty() {
                    if let Some((_, pk)) =
                        pks.iter().find(|(n, _)| n.eq_ignore_ascii_case(&fk.table))
                    {
                        fk.to = pk.clone();
                    }
                }
            }
        }
        let journal_mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(e)?;
        Ok(Schema {
            tables,
            journal_mode: Some(journal_mode),
            dialect: Dialect::Sqlite,
        })
    }

    pub(super) fn table_exists(&self, name: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.err("reading the schema of", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_follow_sqlite_affinity_rules() {
        assert_eq!(column_type("INTEGER"), ColumnType::Integer);
        assert_eq!(column_type("bigint"), ColumnType::Integer);
        assert_eq!(column_type("VARCHAR(20)"), ColumnType::Text);
        assert_eq!(column_type(""), ColumnType::Any);
        assert_eq!(column_type("DOUBLE"), ColumnType::Real);
        assert_eq!(column_type("DATE"), ColumnType::Numeric);
        assert_eq!(max_len("VARCHAR(20)"), Some(20));
        assert_eq!(max_len("TEXT"), None);
    }
}
