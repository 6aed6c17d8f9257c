//! The width of a shown value, in characters, without writing its text:
//! the XLSX writer fits its columns to every value of a copy of millions
//! of rows, and a text per cell only to count it was most of its own time.
//! Each function gives what `chars().count()` of the text gives.

use super::{Lang, Present, Shown, MONTHS_EN};
use jiff::civil::{Date, DateTime};

/// Counts the characters written to it.
struct Count(usize);

impl std::fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 += s.chars().count();
        Ok(())
    }
}

/// `chars().count()` of what `Display` writes.
pub fn display_width(v: impl std::fmt::Display) -> usize {
    use std::fmt::Write as _;
    let mut c = Count(0);
    let _ = write!(c, "{v}");
    c.0
}

/// The digits of `i`, with its sign.
pub fn int_width(i: i64) -> usize {
    itoa::Buffer::new().format(i).len()
}

/// Of [`super::number`]: the comma that Swedish writes for the point is one
/// character too.
pub fn number_width(f: f64) -> usize {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        int_width(f as i64)
    } else {
        display_width(f)
    }
}

/// Of [`super::date`].
pub fn date_width(d: Date, lang: Lang) -> usize {
    match lang {
        Lang::Sv if (0..=9999).contains(&d.year()) => 10,
        Lang::En => {
            let day = if d.day() < 10 { 1 } else { 2 };
            day + 1 + MONTHS_EN[(d.month() - 1) as usize].len() + 1 + int_width(d.year().into())
        }
        Lang::Sv => super::date(d, lang).chars().count(),
    }
}

impl Present {
    /// Of [`Present::shown_text`] of a [`Shown::DateTime`].
    pub fn time_width(&self, dt: DateTime, abbr: &str) -> usize {
        let sep = match self.lang {
            Lang::Sv => " kl. ".len(),
            Lang::En => ", ".len(),
        };
        date_width(dt.date(), self.lang) + sep + "hh:mm ".len() + abbr.chars().count()
    }

    /// `chars().count()` of [`Present::shown_text`].
    pub fn shown_width(&self, v: &Shown) -> usize {
        match v {
            Shown::Empty => 0,
            Shown::Text(s) | Shown::BigNumber(s) => s.chars().count(),
            Shown::Number(f) => number_width(*f),
            Shown::Date(d) => date_width(*d, self.lang),
            Shown::DateTime(dt, abbr) => self.time_width(*dt, abbr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    #[test]
    fn widths_are_the_texts_lengths() {
        let numbers = [
            0.0,
            -0.0,
            7.0,
            -12.0,
            7.5,
            -0.25,
            123_456.789,
            1e-7,
            0.1 + 0.2,
            999_999_999_999_999.0,
            1e15,
            -1e15,
            1e16,
            123_456_789_012_345_680.0,
            1e300,
            f64::MIN_POSITIVE,
        ];
        let mut shown: Vec<Shown> = numbers.iter().map(|f| Shown::Number(*f)).collect();
        for (y, m, d) in [
            (-5, 1, 2),
            (0, 1, 1),
            (7, 2, 3),
            (1900, 1, 1),
            (2024, 9, 25),
            (2024, 5, 9),
            (9999, 12, 31),
        ] {
            let day = jiff::civil::date(y, m, d);
            shown.push(Shown::Date(day));
            for abbr in ["CET", "CEST", "+0530", "", "ÅÄÖ"] {
                shown.push(Shown::DateTime(day.at(7, 5, 9, 0), abbr.into()));
                shown.push(Shown::DateTime(day.at(23, 59, 59, 999), abbr.into()));
            }
        }
        for s in ["", "g00000001", "åäö – 💶", "1e5"] {
            shown.push(Shown::Text(s.into()));
            shown.push(Shown::BigNumber(s.into()));
        }
        shown.push(Shown::Empty);
        for lang in [Lang::Sv, Lang::En] {
            let p = Present {
                lang,
                tz: TimeZone::UTC,
                tz_name: "UTC".into(),
                today: jiff::civil::date(2026, 11, 22),
            };
            for v in &shown {
                assert_eq!(
                    p.shown_width(v),
                    p.shown_text(v).chars().count(),
                    "{lang:?} {v:?}"
                );
            }
        }
        for i in [0, 9, 10, -1, -10, i64::MAX, i64::MIN] {
            assert_eq!(int_width(i), i.to_string().len());
        }
        for f in numbers {
            assert_eq!(display_width(f), f.to_string().len());
        }
    }
}
