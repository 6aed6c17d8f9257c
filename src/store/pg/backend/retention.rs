//! Retention on PostgreSQL: the expired rows of a table, one-pass key
//! ranges, and the tenant's sweep lock (an advisory lock: `pg::lock`).
//! Phase 2 fills these in; the predicates come from the column's native
//! type (`date`/`timestamp(tz)` compared with `to_timestamp($1)`, integers
//! directly, text through a parse), keeping the Unix-second cutoffs.

use super::{unsupported, PgBackend};
use crate::error::Result;
use crate::store::backend::SweepLock;
use crate::store::expire::{Cutoffs, KeyRange};
use crate::store::schema::TableSchema;
use crate::store::Row;
use crate::value::Value;

impl PgBackend {
    pub(super) fn expired_rows(
        &self,
        t: &TableSchema,
        _after: &str,
        _before: i64,
        _cursor: Option<&[Value]>,
        _limit: usize,
    ) -> Result<Vec<Row>> {
        unsupported(&format!("looking for expired rows in {}", t.name))
    }

    pub(super) fn key_after(
        &self,
        t: &TableSchema,
        _lo: Option<&[Value]>,
        _span: usize,
    ) -> Result<Option<Vec<Value>>> {
        unsupported(&format!("a one-pass sweep of {}", t.name))
    }

    pub(super) fn integer_key_bounds(&self, t: &TableSchema) -> Result<Option<(i64, i64)>> {
        unsupported(&format!("reading the key range of {}", t.name))
    }

    pub(super) fn surely_expired(
        &self,
        t: &TableSchema,
        _after: &str,
        _cut: &Cutoffs,
        _range: KeyRange<'_>,
    ) -> Result<Vec<Vec<Value>>> {
        unsupported(&format!("looking for expired rows in {}", t.name))
    }

    pub(super) fn candidates(
        &self,
        t: &TableSchema,
        _after: &str,
        _cut: &Cutoffs,
        _range: KeyRange<'_>,
    ) -> Result<Vec<(Vec<Value>, Value)>> {
        unsupported(&format!("looking for expired rows in {}", t.name))
    }

    pub(super) fn delete_expired(
        &self,
        t: &TableSchema,
        _after: &str,
        _cut: &Cutoffs,
        _range: KeyRange<'_>,
    ) -> Result<u64> {
        unsupported(&format!("deleting expired rows of {}", t.name))
    }

    pub(super) fn advisory_lock(
        &self,
        _wait: bool,
        _now: &str,
        _announce: bool,
    ) -> Result<SweepLock> {
        unsupported("the sweep lock")
    }
}
