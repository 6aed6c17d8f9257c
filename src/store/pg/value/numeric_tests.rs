//! [`numeric_text`] writes what the formatter wrote before it read the
//! digits in place: the same text for every binary form, PostgreSQL's and
//! malformed ones (negative or too large base-10000 digits) alike.

use super::*;
use proptest::prelude::*;

/// The text as it was made with a vector of digits and `format!`.
fn reference(raw: &[u8]) -> Result<String, BoxError> {
    let mut at = 0usize;
    let ndigits = i16::from_be_bytes(take(raw, &mut at)?).max(0) as usize;
    let weight = i16::from_be_bytes(take(raw, &mut at)?) as i64;
    let sign = u16::from_be_bytes(take(raw, &mut at)?);
    let dscale = u16::from_be_bytes(take(raw, &mut at)?) as usize;
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
    }
    let mut digits = Vec::with_capacity(ndigits);
    for _ in 0..ndigits {
        digits.push(i16::from_be_bytes(take(raw, &mut at)?) as i64);
    }
    let digit = |i: i64| -> i64 {
        if i >= 0 && (i as usize) < digits.len() {
            digits[i as usize]
        } else {
            0
        }
    };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for i in 0..=weight {
            if i == 0 {
                out.push_str(&digit(0).to_string());
            } else {
                out.push_str(&format!("{:04}", digit(i)));
            }
        }
    }
    if dscale > 0 {
        let mut frac = String::new();
        let mut i = weight + 1;
        while frac.len() < dscale {
            frac.push_str(&format!("{:04}", digit(i)));
            i += 1;
        }
        frac.truncate(dscale);
        out.push('.');
        out.push_str(&frac);
    }
    Ok(out)
}

fn binary(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(ndigits.to_be_bytes());
    b.extend(weight.to_be_bytes());
    b.extend(sign.to_be_bytes());
    b.extend(dscale.to_be_bytes());
    for d in digits {
        b.extend(d.to_be_bytes());
    }
    b
}

fn same(raw: &[u8]) {
    match (numeric_text(raw), reference(raw)) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{raw:?}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{raw:?}"),
        (a, b) => panic!("{raw:?}: {a:?} against {b:?}"),
    }
}

#[test]
fn the_readings_and_the_edges_read_as_before() {
    // kwh numeric(8,1) of the large subject: (i % 1000) / 10.0.
    for i in 0..1000i16 {
        let (int, tenth) = (i / 10, i % 10);
        let raw = if int == 0 {
            binary(1, -1, 0, 1, &[tenth * 1000])
        } else {
            binary(2, 0, 0, 1, &[int, tenth * 1000])
        };
        same(&raw);
    }
    same(&binary(2, 0, 0, 2, &[123, 4500]));
    same(&binary(0, 0, 0, 0, &[]));
    same(&binary(3, 2, 0x4000, 0, &[1, 0, 9999]));
    same(&binary(1, 0, 0, 3, &[-5]));
    same(&binary(2, 0, 0, 6, &[12_345, -12_345]));
    same(&binary(2, -3, 0, 20, &[7, 70]));
    same(&binary(2, 0, 0, 0, &[1]));
    same(&[0, 1]);
}

proptest! {
    #[test]
    fn every_binary_form_reads_as_before(
        weight in -6i16..8,
        sign in prop::sample::select(vec![0u16, 0x4000, 0xC000, 0xD000, 0xF000, 7]),
        dscale in 0u16..24,
        digits in prop::collection::vec(prop_oneof![0i16..10_000, any::<i16>()], 0..8),
        short in 0usize..2,
    ) {
        let mut raw = binary(digits.len() as i16, weight, sign, dscale, &digits);
        raw.truncate(raw.len() - short.min(raw.len() - 8));
        same(&raw);
    }
}
