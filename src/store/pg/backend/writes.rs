//! Writes on PostgreSQL: write transactions and savepoints, the erasure's
//! statements, the watch on a transaction, erasure hashing (in Rust:
//! `refs::hash_value`, no UDFs), and the SQL interface through which the
//! shared code reads and writes dsr's own tables. Phase 2 fills these in.
//!
//! The SQL interface gets statements with `?N` placeholders: render them
//! as `$N` (outside quoted strings), bind `Value`s typed as the statements
//! need them (text, int8; `?1 IS NULL` needs a typed parameter), and read
//! text columns of dsr's tables as `Cell::Text`. Text ranges over dsr's
//! keys (`key >= '[' AND key < '\'`) must compare bytewise: `COLLATE "C"`.

use super::{unsupported, PgBackend};
use crate::error::Result;
use crate::store::backend::Cell;
use crate::store::schema::{Schema, TableSchema};
use crate::store::watch::{Unplanned, WatchPlan};
use crate::store::write::Assign;
use crate::value::Value;
use std::collections::HashSet;

impl PgBackend {
    pub(super) fn begin_write_tx(&self) -> Result<()> {
        unsupported("writing")
    }

    pub(super) fn commit_tx(&self) -> Result<()> {
        unsupported("committing")
    }

    /// Nothing to undo while no transaction can begin.
    pub(super) fn rollback_tx(&self) {}

    pub(super) fn in_tx(&self) -> bool {
        false
    }

    pub(super) fn savepoint_tx(&self) -> Result<()> {
        unsupported("a dry run")
    }

    pub(super) fn rollback_savepoint_tx(&self) -> Result<()> {
        unsupported("a dry run")
    }

    pub(super) fn prepare_hashing(&self, _secret: &str) -> Result<()> {
        unsupported("erasing")
    }

    pub(super) fn delete_by_keys(&self, t: &TableSchema, _keys: &[Vec<Value>]) -> Result<u64> {
        unsupported(&format!("deleting from {}", t.name))
    }

    pub(super) fn anonymize_by_keys(
        &self,
        t: &TableSchema,
        _sets: &[(String, Assign)],
        _keys: &[Vec<Value>],
    ) -> Result<u64> {
        unsupported(&format!("anonymizing {}", t.name))
    }

    pub(super) fn replace_one(
        &self,
        t: &TableSchema,
        _key: &[Value],
        column: &str,
        _old: &str,
        _new: &str,
    ) -> Result<u64> {
        unsupported(&format!("erasing mentions in {}.{column}", t.name))
    }

    pub(super) fn start_watch(
        &self,
        _schema: &Schema,
        _counted: Option<&str>,
    ) -> Result<HashSet<String>> {
        unsupported("watching an erasure's changes")
    }

    /// Never reached: `start_watch` refuses first.
    pub(super) fn finish_watch(&self, _plan: &WatchPlan) -> Unplanned {
        Unplanned::default()
    }

    pub(super) fn stop_watch(&self) {}

    pub(super) fn batch(&self, _sql: &str, doing: &str) -> Result<()> {
        unsupported(&format!("{doing} dsr's own tables"))
    }

    pub(super) fn exec_values(&self, _sql: &str, _params: &[Value], doing: &str) -> Result<u64> {
        unsupported(&format!("{doing} dsr's own tables"))
    }

    pub(super) fn query_cells(
        &self,
        _sql: &str,
        _params: &[Value],
        doing: &str,
        _f: &mut dyn FnMut(&[Cell<'_>]) -> Result<()>,
    ) -> Result<()> {
        unsupported(&format!("{doing} dsr's own tables"))
    }
}
