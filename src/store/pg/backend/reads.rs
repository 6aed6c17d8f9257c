//! Reads on PostgreSQL: lookups by filter, the free-text scan, whole-table
//! reads, and the read and snapshot transactions. Phase 2 fills these in
//! (`REPEATABLE READ, READ ONLY` for reads and snapshots; needles as
//! `ILIKE` / `LIKE '%1%2%'`; `Filter::Normalized` normalised in Rust).

use super::{unsupported, PgBackend};
use crate::error::Result;
use crate::store::schema::TableSchema;
use crate::store::{Filter, Needle, Row};
use crate::value::Value;

impl PgBackend {
    pub(super) fn sample_values(
        &self,
        _table: &str,
        _column: &str,
        _limit: usize,
    ) -> Result<Vec<Value>> {
        unsupported("sampling a column")
    }

    pub(super) fn select_rows(
        &self,
        t: &TableSchema,
        _filter: &Filter<'_>,
        _f: &mut dyn FnMut(Row),
    ) -> Result<()> {
        unsupported(&format!("reading rows of {}", t.name))
    }

    pub(super) fn scan_text_values(
        &self,
        t: &TableSchema,
        column: &str,
        _needles: &[Needle],
        _f: &mut dyn FnMut(Vec<Value>, &str),
    ) -> Result<()> {
        unsupported(&format!("searching {}.{column}", t.name))
    }

    pub(super) fn count_rows(&self, t: &TableSchema) -> Result<u64> {
        unsupported(&format!("counting {}", t.name))
    }

    pub(super) fn scan_all_rows(
        &self,
        t: &TableSchema,
        _f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<u64> {
        unsupported(&format!("reading all of {}", t.name))
    }

    pub(super) fn all_keys(&self, t: &TableSchema, _f: &mut dyn FnMut(Vec<Value>)) -> Result<()> {
        unsupported(&format!("reading the keys of {}", t.name))
    }

    /// Rows read by full-table scans (phase 2: the `seq_tup_read` delta of
    /// `pg_stat_xact_user_tables`).
    pub(super) fn scanned(&self) -> u64 {
        0
    }

    pub(super) fn begin_read_tx(&self) -> Result<()> {
        unsupported("a read transaction")
    }

    pub(super) fn begin_snapshot_tx(&self) -> Result<bool> {
        unsupported("a snapshot")
    }

    pub(super) fn end_read_tx(&self, _ok: bool) -> Result<()> {
        unsupported("ending a read")
    }
}
