//! Calendar arithmetic: plain day counts (days since 1970-01-01, UTC) keep
//! the millions of readings and invoices cheap to generate.

pub(super) const DAY: i64 = 86_400;
pub(super) const HOUR: i64 = 3_600;

pub(super) struct Clock {
    /// Today, as days since the epoch.
    pub(super) today: i64,
    /// The start of today (UTC) in Unix seconds; every generated instant is
    /// before it, so nothing lies in the future.
    pub(super) now: i64,
}

impl Clock {
    pub(super) fn new(today: jiff::civil::Date) -> Clock {
        let d = days_from_civil(
            i64::from(today.year()),
            i64::from(today.month()),
            i64::from(today.day()),
        );
        Clock {
            today: d,
            now: d * DAY,
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(super) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub(super) fn days_in_month(y: i64, m: i64) -> i64 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)
}

/// Months since year 0 (year * 12 + month - 1), for stepping by months.
pub(super) fn month_index(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    y * 12 + m - 1
}

pub(super) fn years_before(day: i64, years: i64) -> i64 {
    let (y, m, d) = civil_from_days(day);
    days_from_civil(y - years, m, d.min(days_in_month(y - years, m)))
}

pub(super) fn date_text(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

pub(super) fn datetime_text(secs: i64) -> String {
    let s = secs.rem_euclid(DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date_text(secs.div_euclid(DAY)),
        s / HOUR,
        s / 60 % 60,
        s % 60
    )
}
