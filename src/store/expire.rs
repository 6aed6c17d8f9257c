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
