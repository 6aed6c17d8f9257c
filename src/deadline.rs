//! The statutory deadlines of subject requests (Art. 12(3); LEGAL.md,
//! "Counting the month"): one month from receipt as EU Regulation 1182/71
//! Art. 3 counts months, moved off Saturdays, Sundays and Swedish public
//! holidays (lag 1989:253) to the next working day; an extension is two
//! further months counted the same way from the first deadline as it fell.
//!
//! Pure calendar arithmetic on civil dates: no clock, no store. The dates
//! are calendar dates in the tenant's time zone ([`local_date`]).

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// The time zone of the register's dates when the tenant names none.
pub const DEFAULT_TZ: &str = "Europe/Stockholm";

/// The calendar date of `now` in `tz`.
pub fn local_date(now: Timestamp, tz: &TimeZone) -> Date {
    now.to_zoned(tz.clone()).date()
}

/// The time zone named in the config (an IANA name), or the default.
pub fn time_zone(name: Option<&str>) -> Result<TimeZone, String> {
    let name = name.map(str::trim).filter(|s| !s.is_empty());
    let name = name.unwrap_or(DEFAULT_TZ);
    if let Some(tz) = zoneinfo_file(name) {
        return Ok(tz);
    }
    TimeZone::get(name).map_err(|_| {
        format!("unknown time zone \"{name}\"; give an IANA name such as Europe/Stockholm")
    })
}

/// The zone read straight from its TZif file in `/usr/share/zoneinfo`, the
/// file jiff's database would read for this exact name; `None` whenever
/// jiff's answer could differ (TZDIR set, a special or odd name, no such
/// readable zone file), and jiff is asked instead.
///
/// Why: jiff's database first lists every file of the directory (~600
/// files, about a millisecond) to look names up case-insensitively, and
/// every command needs only the one zone of its tenant.
fn zoneinfo_file(name: &str) -> Option<TimeZone> {
    // jiff's first directory on Unix; elsewhere it reads no directory.
    // Linux only: on a case-insensitive file system (macOS) the file of
    // `europe/stockholm` would open under a name jiff spells otherwise.
    const DIR: &str = "/usr/share/zoneinfo";
    if !cfg!(target_os = "linux") || std::env::var_os("TZDIR").is_some() || name.len() > 128 {
        return None;
    }
    let mut parts = name.split('/');
    // jiff answers these without a file, and skips these two directories.
    let special = ["utc", "etc/unknown"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name));
    let skipped = parts
        .next()
        .is_some_and(|p| p.eq_ignore_ascii_case("posix") || p.eq_ignore_ascii_case("right"));
    let plain = name.split('/').all(|p| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+-.".contains(&b))
    });
    if special || skipped || !plain {
        return None;
    }
    let data = std::fs::read(std::path::Path::new(DIR).join(name)).ok()?;
    TimeZone::tzif(name, &data).ok()
}

/// Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm,
/// "Meeus/Jones/Butcher"), for any year jiff can represent.
pub fn easter(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // month is 3 or 4 and day 1..=31 by construction.
    Date::constant(year, month as i8, day as i8)
}

fn plus_days(d: Date, n: i64) -> Date {
    d.checked_add(Span::new().days(n)).unwrap_or(d)
}

/// The Saturday in the seven days starting on `from` (Midsommardagen, Alla
/// helgons dag).
fn saturday_from(from: Date) -> Date {
    let ahead = from.weekday().until(Weekday::Saturday);
    plus_days(from, i64::from(ahead))
}

/// Every Swedish public holiday of `year` (lag 1989:253), in date order,
/// with its name. Sundays are days off anyway; the Sunday holidays
/// (Påskdagen, Pingstdagen) are listed so that the calendar is complete.
/// Midsommarafton, julafton and nyårsafton are not public holidays, and
/// dsr does not move a deadline off them (the earlier date is the safe one).
pub fn holidays(year: i16) -> Vec<(Date, &'static str)> {
    let e = easter(year);
    let fixed = |m: i8, d: i8| Date::constant(year, m, d);
    let mut out = vec![
        (fixed(1, 1), "Nyårsdagen"),
        (fixed(1, 6), "Trettondedag jul"),
        (plus_days(e, -2), "Långfredagen"),
        (e, "Påskdagen"),
        (plus_days(e, 1), "Annandag påsk"),
        (fixed(5, 1), "Första maj"),
        (plus_days(e, 39), "Kristi himmelsfärdsdag"),
        (plus_days(e, 49), "Pingstdagen"),
        (fixed(6, 6), "Nationaldagen"),
        (saturday_from(fixed(6, 20)), "Midsommardagen"),
        (saturday_from(fixed(10, 31)), "Alla helgons dag"),
        (fixed(12, 25), "Juldagen"),
        (fixed(12, 26), "Annandag jul"),
    ];
    out.sort_by_key(|(d, _)| *d);
    out
}

/// The public holiday on `d`, if it is one.
pub fn holiday(d: Date) -> Option<&'static str> {
    holidays(d.year())
        .into_iter()
        .find(|(h, _)| *h == d)
        .map(|(_, name)| name)
}

/// Neither a Saturday, a Sunday nor a public holiday.
pub fn is_working_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && holiday(d).is_none()
}

/// `d` itself if it is a working day, otherwise the next one.
pub fn next_working_day(d: Date) -> Date {
    let mut d = d;
    // At most a few days: a long weekend with holidays on both sides.
    while !is_working_day(d) {
        let next = plus_days(d, 1);
        if next == d {
            break; // the end of jiff's calendar; nothing later exists
        }
        d = next;
    }
    d
}

/// The last day of a period of `months` months from the event on `from`
/// (Reg. 1182/71 Art. 3(1)(c)): the day in the last month with the same
/// date as the event's, or that month's last day where it has no such date.
/// Before any move off a non-working day.
pub fn months_after(from: Date, months: i32) -> Date {
    let total = i32::from(from.year()) * 12 + i32::from(from.month()) - 1 + months;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let Ok(y) = i16::try_from(y) else {
        return from;
    };
    let Ok(first) = Date::new(y, m as i8, 1) else {
        return from;
    };
    let day = from.day().min(first.days_in_month());
    first.with().day(day).build().unwrap_or(first)
}

/// The deadline of a request received on `received`: one month, moved to
/// the next working day.
pub fn due(received: Date) -> Date {
    next_working_day(months_after(received, 1))
}

/// The deadline once extended: two further months counted from the first
/// deadline as it fell (after its move to a working day), moved likewise.
pub fn extended(first_due: Date) -> Date {
    next_working_day(months_after(first_due, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("test date")
    }

    #[test]
    fn the_examples_of_legal_md() {
        // September has no 31st.
        assert_eq!(due(d("2026-08-31")), d("2026-09-30"));
        assert_eq!(d("2026-09-30").weekday(), Weekday::Wednesday);
        // 2026-02-28 is a Saturday.
        assert_eq!(due(d("2026-01-31")), d("2026-03-02"));
        assert_eq!(d("2026-03-02").weekday(), Weekday::Monday);
        // 2026-04-06 is Annandag påsk (Easter Sunday 2026-04-05).
        assert_eq!(easter(2026), d("2026-04-05"));
        assert_eq!(due(d("2026-03-06")), d("2026-04-07"));
        // 2026-06-06 is Nationaldagen and a Saturday.
        assert_eq!(due(d("2026-05-06")), d("2026-06-08"));
        assert_eq!(d("2026-06-08").weekday(), Weekday::Monday);
    }

    #[test]
    fn month_ends_and_leap_days() {
        // 31 January: February's last day, leap year or not.
        assert_eq!(months_after(d("2024-01-31"), 1), d("2024-02-29"));
        assert_eq!(months_after(d("2025-01-31"), 1), d("2025-02-28"));
        assert_eq!(months_after(d("2027-01-31"), 1), d("2027-02-28"));
        assert_eq!(months_after(d("2028-01-31"), 1), d("2028-02-29"));
        // 2024-02-29 is a Thursday; 2028-02-29 a Tuesday; 2027-02-28 a Sunday.
        assert_eq!(due(d("2024-01-31")), d("2024-02-29"));
        assert_eq!(due(d("2028-01-31")), d("2028-02-29"));
        assert_eq!(due(d("2027-01-31")), d("2027-03-01"));
        assert_eq!(due(d("2025-01-31")), d("2025-02-28"));
        // 29 February: the 29th of March (a Friday in 2024: Långfredagen,
        // then the Easter weekend and Annandag påsk → Tuesday 2 April).
        assert_eq!(months_after(d("2024-02-29"), 1), d("2024-03-29"));
        assert_eq!(holiday(d("2024-03-29")), Some("Långfredagen"));
        assert_eq!(due(d("2024-02-29")), d("2024-04-02"));
        assert_eq!(due(d("2028-02-29")), d("2028-03-29"));
        // 28 February in other years: the 28th of March.
        assert_eq!(due(d("2026-02-28")), d("2026-03-30"));
        // 2027-03-28 is Påskdagen, the 29th Annandag påsk.
        assert_eq!(due(d("2027-02-28")), d("2027-03-30"));
        // 30 and 31 December run into January.
        assert_eq!(months_after(d("2026-12-31"), 1), d("2027-01-31"));
        assert_eq!(due(d("2026-12-31")), d("2027-02-01"));
        assert_eq!(months_after(d("2026-11-30"), 2), d("2027-01-30"));
        assert_eq!(months_after(d("2026-12-31"), 2), d("2027-02-28"));
    }

    #[test]
    fn every_holiday_of_2026_and_2027() {
        let names = |y| -> Vec<(String, &str)> {
            holidays(y)
                .into_iter()
                .map(|(d, n)| (d.to_string(), n))
                .collect()
        };
        let expect = |v: &[(&str, &'static str)]| -> Vec<(String, &'static str)> {
            v.iter().map(|(d, n)| (d.to_string(), *n)).collect()
        };
        assert_eq!(
            names(2026),
            expect(&[
                ("2026-01-01", "Nyårsdagen"),
                ("2026-01-06", "Trettondedag jul"),
                ("2026-04-03", "Långfredagen"),
                ("2026-04-05", "Påskdagen"),
                ("2026-04-06", "Annandag påsk"),
                ("2026-05-01", "Första maj"),
                ("2026-05-14", "Kristi himmelsfärdsdag"),
                ("2026-05-24", "Pingstdagen"),
                ("2026-06-06", "Nationaldagen"),
                ("2026-06-20", "Midsommardagen"),
                ("2026-10-31", "Alla helgons dag"),
                ("2026-12-25", "Juldagen"),
                ("2026-12-26", "Annandag jul"),
            ])
        );
        assert_eq!(
            names(2027),
            expect(&[
                ("2027-01-01", "Nyårsdagen"),
                ("2027-01-06", "Trettondedag jul"),
                ("2027-03-26", "Långfredagen"),
                ("2027-03-28", "Påskdagen"),
                ("2027-03-29", "Annandag påsk"),
                ("2027-05-01", "Första maj"),
                ("2027-05-06", "Kristi himmelsfärdsdag"),
                ("2027-05-16", "Pingstdagen"),
                ("2027-06-06", "Nationaldagen"),
                ("2027-06-26", "Midsommardagen"),
                ("2027-11-06", "Alla helgons dag"),
                ("2027-12-25", "Juldagen"),
                ("2027-12-26", "Annandag jul"),
            ])
        );
        // A deadline on each weekday holiday moves to the next working day.
        let moves = [
            ("2026-01-01", "2026-01-02"),
            ("2026-01-06", "2026-01-07"),
            ("2026-04-03", "2026-04-07"),
            ("2026-05-01", "2026-05-04"),
            ("2026-05-14", "2026-05-15"),
            ("2026-12-25", "2026-12-28"),
            ("2027-01-01", "2027-01-04"),
            ("2027-01-06", "2027-01-07"),
            ("2027-03-26", "2027-03-30"),
            ("2027-05-06", "2027-05-07"),
            ("2027-12-24", "2027-12-24"), // julafton is no holiday
        ];
        for (on, to) in moves {
            assert_eq!(next_working_day(d(on)), d(to), "{on}");
        }
        // Eves are working days; so is a plain Monday.
        for eve in ["2026-06-19", "2026-12-24", "2026-12-31", "2026-11-23"] {
            assert!(is_working_day(d(eve)), "{eve}");
        }
    }

    /// A zone read from its file is the zone jiff's database gives: same
    /// name and the same offsets and abbreviations at every transition; a
    /// name jiff answers otherwise (case, special, skipped directory,
    /// unknown) is left to jiff, errors included.
    #[test]
    fn zones_read_from_their_file_are_jiffs() {
        for zone in [
            "Europe/Stockholm",
            "Europe/Helsinki",
            "America/Sao_Paulo",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "UTC",
            "utc",
            "europe/stockholm",
            "posix/Europe/Stockholm",
            "right/UTC",
            "Europe/../Europe/Stockholm",
            "Europe",
            "zone.tab",
            "Mars/Olympus",
            "",
        ] {
            let ours = time_zone(Some(zone));
            let jiffs = TimeZone::get(if zone.is_empty() { DEFAULT_TZ } else { zone });
            let (Ok(ours), Ok(jiffs)) = (&ours, &jiffs) else {
                assert_eq!(ours.is_ok(), jiffs.is_ok(), "{zone}");
                continue;
            };
            assert_eq!(ours.iana_name(), jiffs.iana_name(), "{zone}");
            let from = Timestamp::from_second(-2_000_000_000).expect("ts");
            let mut at: Vec<Timestamp> =
                vec![from, Timestamp::from_second(4_000_000_000).expect("ts")];
            at.extend(jiffs.following(from).take(400).map(|t| t.timestamp()));
            for ts in at {
                for t in [ts, ts - Span::new().seconds(1)] {
                    let (a, b) = (ours.to_offset_info(t), jiffs.to_offset_info(t));
                    assert_eq!(a.offset(), b.offset(), "{zone} {t}");
                    assert_eq!(a.dst(), b.dst(), "{zone} {t}");
                    assert_eq!(a.abbreviation(), b.abbreviation(), "{zone} {t}");
                }
            }
        }
        // Where the system has the file, the fast path is the one taken.
        if cfg!(target_os = "linux")
            && std::env::var_os("TZDIR").is_none()
            && std::path::Path::new("/usr/share/zoneinfo/Europe/Stockholm").is_file()
        {
            assert!(zoneinfo_file("Europe/Stockholm").is_some());
        }
        for odd in [
            "UTC",
            "utc",
            "posix/Europe/Stockholm",
            "Europe/../UTC",
            "/etc/localtime",
            "Europe/Stockholm/",
        ] {
            assert!(zoneinfo_file(odd).is_none(), "{odd}");
        }
    }

    #[test]
    fn easter_of_other_years() {
        for (y, e) in [
            (1818, "1818-03-22"),
            (1943, "1943-04-25"),
            (2000, "2000-04-23"),
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter(y), d(e), "{y}");
        }
    }

    #[test]
    fn extensions_count_from_the_first_deadline_as_it_fell() {
        // Due Monday 2026-03-02 (moved from Saturday 28 Feb): two months from
        // 2 March, 2 May, is a Saturday → Monday 4 May.
        assert_eq!(extended(due(d("2026-01-31"))), d("2026-05-04"));
        // Due 2026-09-30 → 2026-11-30, a Monday.
        assert_eq!(extended(due(d("2026-08-31"))), d("2026-11-30"));
        // Due 2026-04-07 → 2026-06-07, a Sunday after Nationaldagen → 8 June.
        assert_eq!(extended(due(d("2026-03-06"))), d("2026-06-08"));
        // Due 2026-12-22 (received 22 Nov) → 2027-02-22, a Monday.
        assert_eq!(due(d("2026-11-22")), d("2026-12-22"));
        assert_eq!(extended(d("2026-12-22")), d("2027-02-22"));
        // Due 2026-12-31 → 28 Feb 2027 (no 31st), a Sunday → 1 March.
        assert_eq!(extended(d("2026-12-31")), d("2027-03-01"));
        // Into Easter 2027: due 2027-01-26 → 2027-03-26 Långfredagen → 30 March.
        assert_eq!(extended(d("2027-01-26")), d("2027-03-30"));
    }

    #[test]
    fn dates_are_taken_in_the_tenants_time_zone() {
        let tz = time_zone(None).expect("Stockholm");
        let late: Timestamp = "2026-11-22T23:30:00Z".parse().expect("ts");
        assert_eq!(local_date(late, &tz), d("2026-11-23"));
        let utc = time_zone(Some("UTC")).expect("UTC");
        assert_eq!(local_date(late, &utc), d("2026-11-22"));
        assert!(time_zone(Some("Mars/Olympus")).is_err());
    }
}
