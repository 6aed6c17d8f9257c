//! The identifiers the demo gives people, in the written forms people use:
//! personnummer (and samordningsnummer), Swedish mobile numbers, e-mail
//! addresses, plus street addresses and password hashes.

use super::calendar::{civil_from_days, days_from_civil, Clock};
use super::rng::Rng;
use super::words::STREETS;
use std::collections::HashSet;

/// Identifier values handed out so far (emails lowercased), so that no two
/// people share one by accident.
#[derive(Default)]
pub(super) struct Unique {
    emails: HashSet<String>,
    pnrs: HashSet<u64>,
    phones: HashSet<u64>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum PnrForm {
    /// YYYYMMDD-NNNN
    Dash12,
    /// YYMMDD-NNNN
    Dash10,
    /// YYYYMMDDNNNN
    Plain12,
    /// YYMMDDNNNN
    Plain10,
}

pub(super) const MENTION_PNR_FORMS: [PnrForm; 4] = [
    PnrForm::Dash12,
    PnrForm::Dash10,
    PnrForm::Plain12,
    PnrForm::Plain10,
];

/// A new personnummer (or samordningsnummer, day + 60) as the twelve-digit
/// number YYYYMMDDNNNC, for someone aged 18 to 90 (so never the `+` form).
pub(super) fn new_pnr(rng: &mut Rng, uniq: &mut Unique, clock: &Clock, samordning: bool) -> u64 {
    let year = civil_from_days(clock.today).0;
    loop {
        let birth = rng.range(
            days_from_civil(year - 90, 1, 1),
            days_from_civil(year - 18, 1, 1),
        );
        let (y, m, d) = civil_from_days(birth);
        let d = if samordning { d + 60 } else { d };
        let serial = rng.below(1000) as i64;
        let nine = ((y % 100) * 10_000 + m * 100 + d) * 1000 + serial;
        let v = ((y * 10_000 + m * 100 + d) * 10_000 + serial * 10 + luhn(nine)) as u64;
        if uniq.pnrs.insert(v) {
            return v;
        }
    }
}

/// The Luhn check digit over nine digits (weights 2, 1, 2, … from the left).
pub(super) fn luhn(nine: i64) -> i64 {
    let mut sum = 0;
    let mut rest = nine;
    for i in 0..9 {
        let digit = rest % 10;
        rest /= 10;
        // Counted from the right, the last of the nine digits has weight 2.
        let p = if i % 2 == 0 { digit * 2 } else { digit };
        sum += if p > 9 { p - 9 } else { p };
    }
    (10 - sum % 10) % 10
}

pub(super) fn pnr_text(v: u64, form: PnrForm) -> String {
    let s = format!("{v:012}");
    match form {
        PnrForm::Dash12 => format!("{}-{}", &s[..8], &s[8..]),
        PnrForm::Dash10 => format!("{}-{}", &s[2..8], &s[8..]),
        PnrForm::Plain12 => s,
        PnrForm::Plain10 => s[2..].to_string(),
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum PhoneForm {
    /// 070-123 45 67
    Dashed,
    /// +46701234567
    Intl,
    /// 0701234567
    Plain,
    /// 070 123 45 67
    Spaced,
    /// +46 70 123 45 67
    IntlSpaced,
}

pub(super) const STORED_PHONE_FORMS: [PhoneForm; 3] =
    [PhoneForm::Dashed, PhoneForm::Intl, PhoneForm::Plain];
pub(super) const MENTION_PHONE_FORMS: [PhoneForm; 5] = [
    PhoneForm::Dashed,
    PhoneForm::Intl,
    PhoneForm::Plain,
    PhoneForm::Spaced,
    PhoneForm::IntlSpaced,
];

/// A new Swedish mobile number, as the nine digits after the leading 0.
pub(super) fn new_phone(rng: &mut Rng, uniq: &mut Unique) -> u64 {
    loop {
        let v = rng.pick(&[70u64, 72, 73, 76, 79]) * 10_000_000 + rng.below(10_000_000);
        if uniq.phones.insert(v) {
            return v;
        }
    }
}

pub(super) fn phone_text(v: u64, form: PhoneForm) -> String {
    let s = format!("{v:09}");
    let (a, b, c, d) = (&s[..2], &s[2..5], &s[5..7], &s[7..]);
    match form {
        PhoneForm::Dashed => format!("0{a}-{b} {c} {d}"),
        PhoneForm::Intl => format!("+46{s}"),
        PhoneForm::Plain => format!("0{s}"),
        PhoneForm::Spaced => format!("0{a} {b} {c} {d}"),
        PhoneForm::IntlSpaced => format!("+46 {a} {b} {c} {d}"),
    }
}

/// A new lowercase address at example.se or example.com, made from the name.
pub(super) fn new_email(
    rng: &mut Rng,
    uniq: &mut Unique,
    first: &str,
    last: &str,
    serial: i64,
) -> String {
    let f = ascii_fold(first);
    let l = ascii_fold(last);
    let local = match rng.below(10) {
        0..=5 => format!("{f}.{l}"),
        6 | 7 => format!("{f}{l}"),
        _ => format!("{}.{l}", &f[..1]),
    };
    let domain = if rng.chance(700) {
        "example.se"
    } else {
        "example.com"
    };
    let mut candidate = format!("{local}@{domain}");
    let mut k = 0;
    while !uniq.emails.insert(candidate.clone()) {
        let suffix = if k < 5 { rng.range(2, 99) } else { serial + k };
        candidate = format!("{local}{suffix}@{domain}");
        k += 1;
    }
    candidate
}

pub(super) fn ascii_fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'å' | 'ä' | 'Å' | 'Ä' => 'a',
            'ö' | 'Ö' => 'o',
            'é' | 'É' => 'e',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// `anna.berg@example.se` → `Anna.Berg@Example.se`.
pub(super) fn capitalised(email: &str) -> String {
    let mut out = String::with_capacity(email.len());
    let mut up = true;
    for c in email.chars() {
        out.push(if up { c.to_ascii_uppercase() } else { c });
        up = (c == '.' && !out.contains('@')) || c == '@';
    }
    out
}

/// The same address with different capitalisation than `email`.
pub(super) fn other_case(email: &str, rng: &mut Rng) -> String {
    if email.bytes().any(|b| b.is_ascii_uppercase()) {
        email.to_ascii_lowercase()
    } else if rng.chance(500) {
        capitalised(email)
    } else {
        email.to_ascii_uppercase()
    }
}

pub(super) fn fake_password_hash(rng: &mut Rng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut chars = |n: usize| -> String {
        (0..n)
            .map(|_| B64[rng.below(64) as usize] as char)
            .collect()
    };
    let salt = chars(22);
    let hash = chars(43);
    format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${hash}")
}

pub(super) fn street_address(rng: &mut Rng) -> String {
    let mut s = format!("{} {}", rng.pick(STREETS), rng.range(1, 120));
    if rng.chance(150) {
        s.push(' ');
        s.push(rng.pick(&['A', 'B', 'C']));
    }
    if rng.chance(250) {
        s.push_str(&format!(" lgh {}{:02}", rng.range(11, 16), rng.range(1, 4)));
    }
    s
}
