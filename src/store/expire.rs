//! The shared terms of retention sweeps (the SQL is each backend's):
//! key ranges, and the cutoffs that split a one-pass batch.

use crate::value::Value;

/// A key range (lo, hi] of a table, in key order; None leaves that end open.
pub type KeyRange<'k> = (Option<&'k [Value]>, Option<&'k [Value]>);

/// The times that split a one-pass batch. A number (Unix seconds) in
/// `[min, sure)` has surely expired whatever the calendar does, and SQL
/// alone deletes it; text values and numbers in `[sure, before)` are
/// candidates that dsr tests exactly. (Doing the exact test in the DELETE
/// through a SQL function would make SQLite keep a statement journal,
/// which doubles the cost of the statement.)
pub struct Cutoffs {
    /// Values before this may have expired.
    pub before: i64,
    /// Numbers before this have expired.
    pub sure: i64,
    /// The earliest Unix second dsr reads as a time; numbers below it are
    /// unreadable and never expire.
    pub min: i64,
}

/// Where a table's rows that may have expired lie in key order (see
/// `Store::expired_key_bounds`): None where the store cannot tell cheaply;
/// Some(None) where none may have; otherwise their smallest and largest key.
pub type ExpiredBounds = Option<Option<(i64, i64)>>;

/// Which page of a table's expired rows to read (see `Store::expired_page`).
#[derive(Clone, Copy)]
pub struct PageAt<'k> {
    /// Rows whose `after` holds a time before this (Unix seconds).
    pub before: i64,
    /// The `next` of the page before; None for the first.
    pub cursor: Option<&'k [Value]>,
    /// No row whose key is above this one: where the rows that may have
    /// expired end in key order (see `Store::expired_key_bounds`).
    pub until: Option<&'k [Value]>,
    pub limit: usize,
}

/// A page of a table's expired rows (see `Store::expired_page`).
pub struct ExpiredPage {
    pub rows: Vec<crate::store::Row>,
    /// Where the next page starts, passed back as its cursor; None when
    /// the page is empty (no expired row is left). The backend's own form:
    /// the last row's key, or (PostgreSQL, paging along an index of the
    /// `after` column) its `after` value followed by its key.
    pub next: Option<Vec<Value>>,
}

impl ExpiredPage {
    /// A page in key order: the next starts after its last row's key.
    pub fn by_key(rows: Vec<crate::store::Row>) -> ExpiredPage {
        let next = rows.last().map(|r| r.key.clone());
        ExpiredPage { rows, next }
    }
}
