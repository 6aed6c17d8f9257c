//! When a row has expired under its table's retention rule.

use crate::time;
use crate::value::Value;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// The earliest `after` value (Unix seconds) that has not expired yet, with
/// two days of slack: rows before it are candidates, checked exactly.
pub(super) fn cutoff(now: Timestamp, rule: &crate::map::Rule) -> i64 {
    let z = now.to_zoned(TimeZone::UTC);
    let base = if rule.year_end {
        Date::new(z.year(), 1, 1)
            .ok()
            .and_then(|d| d.to_zoned(TimeZone::UTC).ok())
            .unwrap_or(z)
    } else {
        z
    };
    base.checked_sub(rule.keep.span())
        .and_then(|b| b.checked_add(Span::new().days(2)))
        .map(|b| b.timestamp().as_second())
        .unwrap_or(i64::MIN)
}

/// The exact test: the period that starts at the row's `after` value has
/// ended. `sure` is a time before which every row has expired whatever the
/// calendar does (the longest the period can be), which spares the calendar
/// arithmetic for most rows.
pub(super) fn expired(now: Timestamp, sure: i64, rule: &crate::map::Rule, v: &Value) -> bool {
    let Some(after) = time::parse_value(v) else {
        return false;
    };
    if after.as_second() < sure {
        return true;
    }
    time::period_end(after, rule.keep, rule.year_end).is_some_and(|end| end < now)
}

/// `now` less the longest the rule's period can last, in Unix seconds.
pub(super) fn surely_expired_before(now: Timestamp, rule: &crate::map::Rule) -> i64 {
    use crate::time::Unit;
    let n = i64::from(rule.keep.amount);
    let days = match rule.keep.unit {
        Unit::Days => n,
        Unit::Weeks => 7 * n,
        Unit::Months => 31 * n,
        Unit::Years => 366 * n,
    } + if rule.year_end { 366 } else { 0 }
        + 1;
    now.as_second() - days * 86_400
}
