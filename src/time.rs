//! Durations of the data map, timestamps as stored (ISO-8601 text or Unix
//! seconds, mixed), and the calendar arithmetic of retention and holds.

use crate::value::Value;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use std::fmt;

/// `30d`, `12w`, `6m`, `1y`: calendar units, so `1m` after 31 January is the
/// end of February and `7y` keeps leap days right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub amount: u32,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

impl Duration {
    pub fn parse(s: &str) -> Result<Duration, String> {
        let s = s.trim();
        let expected = "expected a whole number and a unit: 30d, 12w, 6m or 7y";
        let (num, unit) = s.split_at(s.len().saturating_sub(1));
        let unit = match unit {
            "d" => Unit::Days,
            "w" => Unit::Weeks,
            "m" => Unit::Months,
            "y" => Unit::Years,
            _ => return Err(format!("duration \"{s}\" has no unit; {expected}")),
        };
        let amount: u32 = num
            .parse()
            .map_err(|_| format!("duration \"{s}\" is not a whole number; {expected}"))?;
        let max = match unit {
            Unit::Days => 36_500,
            Unit::Weeks => 5_200,
            Unit::Months => 1_200,
            Unit::Years => 100,
        };
        if amount == 0 || amount > max {
            return Err(format!(
                "duration \"{s}\" is out of range; use 1 to {max} of that unit"
            ));
        }
        Ok(Duration { amount, unit })
    }

    pub fn span(&self) -> Span {
        let n = i64::from(self.amount);
        match self.unit {
            Unit::Days => Span::new().days(n),
            Unit::Weeks => Span::new().weeks(n),
            Unit::Months => Span::new().months(n),
            Unit::Years => Span::new().years(n),
        }
    }

    /// "2 years", "1 month", "2 år", "1 månad".
    pub fn describe(&self, sv: bool) -> String {
        let n = self.amount;
        let one = n == 1;
        let word = match (self.unit, sv) {
            (Unit::Days, false) => {
                if one {
                    "day"
                } else {
                    "days"
                }
            }
            (Unit::Weeks, false) => {
                if one {
                    "week"
                } else {
                    "weeks"
                }
            }
            (Unit::Months, false) => {
                if one {
                    "month"
                } else {
                    "months"
                }
            }
            (Unit::Years, false) => {
                if one {
                    "year"
                } else {
                    "years"
                }
            }
            (Unit::Days, true) => {
                if one {
                    "dag"
                } else {
                    "dagar"
                }
            }
            (Unit::Weeks, true) => {
                if one {
                    "vecka"
                } else {
                    "veckor"
                }
            }
            (Unit::Months, true) => {
                if one {
                    "månad"
                } else {
                    "månader"
                }
            }
            (Unit::Years, true) => "år",
        };
        format!("{n} {word}")
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let u = match self.unit {
            Unit::Days => 'd',
            Unit::Weeks => 'w',
            Unit::Months => 'm',
            Unit::Years => 'y',
        };
        write!(f, "{}{}", self.amount, u)
    }
}

/// The current time. `DSR_NOW` (an ISO date or date-time) replaces the clock,
/// so that tests and rehearsals of future sweeps are reproducible.
pub fn now() -> Result<Timestamp, String> {
    match std::env::var("DSR_NOW") {
        Ok(s) if !s.trim().is_empty() => parse_text(&s).ok_or_else(|| {
            format!(
                "DSR_NOW=\"{s}\" is not an ISO-8601 date or date-time (e.g. 2026-11-22T10:00:00Z)"
            )
        }),
        _ => Ok(Timestamp::now()),
    }
}

pub fn today(now: Timestamp) -> Date {
    now.to_zoned(TimeZone::UTC).date()
}

/// Reads a stored timestamp: integer (or real) Unix seconds, or ISO-8601
/// text (a date, or a date-time with or without zone; no zone means UTC).
/// None for NULL and for anything unreadable.
pub fn parse_value(v: &Value) -> Option<Timestamp> {
    match v {
        Value::Integer(i) => Timestamp::from_second(*i).ok(),
        Value::Real(f) if f.is_finite() => Timestamp::from_second(f.floor() as i64).ok(),
        // numeric as its exact digits, read like text (PostgreSQL).
        Value::Text(s) | Value::Numeric(s) => parse_text(s),
        _ => None,
    }
}

pub fn parse_text(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && s.len() >= 9 {
        return s
            .parse::<i64>()
            .ok()
            .and_then(|i| Timestamp::from_second(i).ok());
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = s.parse::<DateTime>() {
        return dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    if let Ok(d) = s.parse::<Date>() {
        return d.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    None
}

/// When a period of `keep` that starts at `after` ends; with `year_end`, the
/// end of the calendar year it falls in (Bokföringslagen 7 kap. 2 §).
pub fn period_end(after: Timestamp, keep: Duration, year_end: bool) -> Option<Timestamp> {
    let z = after.to_zoned(TimeZone::UTC);
    let end = z.checked_add(keep.span()).ok()?;
    if year_end {
        let next = Date::new(end.year().checked_add(1)?, 1, 1).ok()?;
        return next.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    Some(end.timestamp())
}

/// The last calendar day a period still covers (shown as "until").
pub fn last_day(end: Timestamp) -> Date {
    let before = end.checked_sub(Span::new().nanoseconds(1)).unwrap_or(end);
    today(before)
}

pub fn format_ts(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        parse_text(s).expect("test timestamp")
    }

    #[test]
    fn durations_parse_and_refuse() {
        assert_eq!(
            Duration::parse("7y"),
            Ok(Duration {
                amount: 7,
                unit: Unit::Years
            })
        );
        assert_eq!(
            Duration::parse("30d"),
            Ok(Duration {
                amount: 30,
                unit: Unit::Days
            })
        );
        for bad in ["", "y", "7", "7x", "-1d", "0d", "1.5y", "101y"] {
            assert!(Duration::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn stored_forms_of_time_agree() {
        let a = ts("2024-03-15");
        assert_eq!(
            parse_value(&Value::Text("2024-03-15T00:00:00".into())),
            Some(a)
        );
        assert_eq!(
            parse_value(&Value::Text("2024-03-15 00:00:00".into())),
            Some(a)
        );
        assert_eq!(
            parse_value(&Value::Text("2024-03-15T01:00:00+01:00".into())),
            Some(a)
        );
        assert_eq!(
            parse_value(&Value::Text("2024-03-15T00:00:00Z".into())),
            Some(a)
        );
        assert_eq!(parse_value(&Value::Integer(a.as_second())), Some(a));
        assert_eq!(parse_value(&Value::Real(a.as_second() as f64)), Some(a));
        assert_eq!(parse_value(&Value::Null), None);
        assert_eq!(parse_value(&Value::Text("soon".into())), None);
    }

    #[test]
    fn bookkeeping_hold_runs_to_year_end() {
        let keep = Duration::parse("7y").expect("7y");
        let end = period_end(ts("2024-03-15"), keep, true).expect("end");
        assert_eq!(end, ts("2032-01-01"));
        assert_eq!(last_day(end).to_string(), "2031-12-31");
        let plain = period_end(ts("2024-03-15"), keep, false).expect("end");
        assert_eq!(plain, ts("2031-03-15"));
        assert_eq!(last_day(plain).to_string(), "2031-03-14");
    }

    #[test]
    fn calendar_months_clamp() {
        let m = Duration::parse("1m").expect("1m");
        assert_eq!(
            period_end(ts("2025-01-31"), m, false),
            Some(ts("2025-02-28"))
        );
        let y = Duration::parse("1y").expect("1y");
        assert_eq!(
            period_end(ts("2024-02-29"), y, false),
            Some(ts("2025-02-28"))
        );
    }
}
