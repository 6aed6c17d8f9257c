//! Values read from and written to PostgreSQL, and how each type maps
//! (DESIGN §1 "Types"):
//!
//! | PostgreSQL | read as | JSON | into `crate::value::Value` |
//! | --- | --- | --- | --- |
//! | `boolean` | Bool | true/false | Bool |
//! | `smallint`, `integer`, `bigint`, `oid` | Int | number | Integer |
//! | `real`, `double precision` | Float | number (`"NaN"`, `"Infinity"` as text) | Real |
//! | `numeric` | Numeric, its exact digits | number with those digits | Numeric |
//! | `text`, `varchar`, `char`, `citext`, `name`, enums | Text | text | Text |
//! | `uuid` | Text, hyphenated lower case | text | Text |
//! | `date` | Text `YYYY-MM-DD` | text | Text |
//! | `timestamp`, `timestamptz` | Text, RFC 3339 in UTC (`2026-11-22T10:00:00Z`; a `timestamp` is taken as UTC) | text | Text |
//! | `json`, `jsonb` | Json, the document's text | the JSON value itself | Json |
//! | arrays | Array | array | Array |
//! | `bytea` | Bytes | base64 text | Blob |
//! | `interval` (ISO 8601), `time`, `timetz`, `inet`, `cidr`, `macaddr`, `money`, `xml`, others | Text, PostgreSQL's text form (selected as `::text`) | text | Text |
//!
//! `Value` keeps each of these as itself, so every writer shows it as
//! DESIGN §1 "Types" says.
//!
//! Parameters are bound as text and cast in SQL (`CAST($1::text AS type)`,
//! [`param`]): PostgreSQL's own input functions parse every type, exact
//! digits included, and the cast goes to the type without its length, so
//! that a too-long value fails on assignment instead of being cut.

use base64::Engine;
use postgres::types::{FromSql, Kind, Type};
use std::error::Error as StdError;

/// A value as read from PostgreSQL, keeping what JSON needs to show it.
#[derive(Debug, Clone, PartialEq)]
pub enum PgValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A `numeric`, its digits exactly as stored (`"12.50"`, `"NaN"`).
    Numeric(String),
    Text(String),
    Bytes(Vec<u8>),
    /// A `json`/`jsonb` document's text.
    Json(String),
    Array(Vec<PgValue>),
}

type BoxError = Box<dyn StdError + Sync + Send>;

/// Microseconds (and days) from the Unix epoch to PostgreSQL's, 2000-01-01.
const PG_EPOCH_SECS: i64 = 946_684_800;
const PG_EPOCH_DAYS: i32 = 10_957;

fn take<const N: usize>(raw: &[u8], at: &mut usize) -> Result<[u8; N], BoxError> {
    let b = raw
        .get(*at..*at + N)
        .ok_or("value shorter than its type's binary form")?;
    *at += N;
    let mut out = [0u8; N];
    out.copy_from_slice(b);
    Ok(out)
}

fn utf8(raw: &[u8]) -> Result<String, BoxError> {
    Ok(std::str::from_utf8(raw)?.to_string())
}

/// Decodes PostgreSQL's binary form of a value of type `ty`.
pub fn decode(ty: &Type, raw: &[u8]) -> Result<PgValue, BoxError> {
    let mut at = 0usize;
    Ok(match *ty {
        Type::BOOL => PgValue::Bool(take::<1>(raw, &mut at)?[0] != 0),
        Type::INT2 => PgValue::Int(i16::from_be_bytes(take(raw, &mut at)?) as i64),
        Type::INT4 => PgValue::Int(i32::from_be_bytes(take(raw, &mut at)?) as i64),
        Type::INT8 => PgValue::Int(i64::from_be_bytes(take(raw, &mut at)?)),
        Type::OID => PgValue::Int(u32::from_be_bytes(take(raw, &mut at)?) as i64),
        Type::FLOAT4 => PgValue::Float(f32::from_be_bytes(take(raw, &mut at)?) as f64),
        Type::FLOAT8 => PgValue::Float(f64::from_be_bytes(take(raw, &mut at)?)),
        Type::NUMERIC => PgValue::Numeric(numeric_text(raw)?),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            PgValue::Text(utf8(raw)?)
        }
        Type::BYTEA => PgValue::Bytes(raw.to_vec()),
        Type::JSON => PgValue::Json(utf8(raw)?),
        Type::JSONB => match raw.split_first() {
            Some((1, doc)) => PgValue::Json(utf8(doc)?),
            _ => return Err("unknown jsonb version".into()),
        },
        Type::UUID => {
            let b: [u8; 16] = take(raw, &mut at)?;
            let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
            PgValue::Text(format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            ))
        }
        Type::DATE => PgValue::Text(date_text(i32::from_be_bytes(take(raw, &mut at)?))?),
        Type::TIMESTAMP | Type::TIMESTAMPTZ => {
            PgValue::Text(timestamp_text(i64::from_be_bytes(take(raw, &mut at)?))?)
        }
        _ => match ty.kind() {
            Kind::Enum(_) => PgValue::Text(utf8(raw)?),
            Kind::Domain(base) => decode(base, raw)?,
            Kind::Array(elem) => decode_array(elem, raw)?,
            // Extension types sent as text (citext's binary form is its text).
            _ if ty.name() == "citext" => PgValue::Text(utf8(raw)?),
            _ => {
                return Err(format!(
                    "dsr cannot read values of type {} directly (select them as text)",
                    ty.name()
                )
                .into())
            }
        },
    })
}

/// The binary array form: dimensions, then the elements in row-major
/// order; several dimensions become nested arrays.
fn decode_array(elem: &Type, raw: &[u8]) -> Result<PgValue, BoxError> {
    let mut at = 0usize;
    let ndim = i32::from_be_bytes(take(raw, &mut at)?);
    let _has_null = i32::from_be_bytes(take(raw, &mut at)?);
    let _elem_oid = u32::from_be_bytes(take(raw, &mut at)?);
    if !(0..=6).contains(&ndim) {
        return Err("array with a bad number of dimensions".into());
    }
    let mut dims = Vec::with_capacity(ndim as usize);
    for _ in 0..ndim {
        let len = i32::from_be_bytes(take(raw, &mut at)?);
        let _lower = i32::from_be_bytes(take(raw, &mut at)?);
        dims.push(len.max(0) as usize);
    }
    let total: usize = if dims.is_empty() {
        0
    } else {
        dims.iter().product()
    };
    let mut flat = Vec::with_capacity(total);
    for _ in 0..total {
        let len = i32::from_be_bytes(take(raw, &mut at)?);
        if len < 0 {
            flat.push(PgValue::Null);
        } else {
            let b = raw
                .get(at..at + len as usize)
                .ok_or("array element past the end")?;
            at += len as usize;
            flat.push(decode(elem, b)?);
        }
    }
    fn nest(flat: &mut std::vec::IntoIter<PgValue>, dims: &[usize]) -> PgValue {
        match dims {
            [] => PgValue::Array(vec![]),
            [n] => PgValue::Array(flat.by_ref().take(*n).collect()),
            [n, rest @ ..] => PgValue::Array((0..*n).map(|_| nest(flat, rest)).collect()),
        }
    }
    Ok(nest(&mut flat.into_iter(), &dims))
}

/// A `numeric` in its exact decimal digits: the binary form is base-10000
/// digit groups with a weight (the first group's power) and a display scale.
pub fn numeric_text(raw: &[u8]) -> Result<String, BoxError> {
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
    // The base-10000 digits, read in place (a large copy decodes one per
    // row: no allocation but the text's own).
    let digits = raw
        .get(at..at + 2 * ndigits)
        .ok_or("value shorter than its type's binary form")?;
    let digit = |i: i64| -> i64 {
        if i >= 0 && (i as usize) < ndigits {
            let i = i as usize;
            i16::from_be_bytes([digits[2 * i], digits[2 * i + 1]]) as i64
        } else {
            0
        }
    };
    let mut out = String::with_capacity(2 + 4 * (weight.max(0) as usize + 1) + dscale + 4);
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for i in 0..=weight {
            push_group(&mut out, digit(i), i > 0);
        }
    }
    if dscale > 0 {
        out.push('.');
        let frac = out.len();
        let mut i = weight + 1;
        while out.len() - frac < dscale {
            push_group(&mut out, digit(i), true);
            i += 1;
        }
        out.truncate(frac + dscale);
    }
    Ok(out)
}

/// One base-10000 digit as decimal digits: `{:04}` when `pad` (every group
/// but the first), else `{}`.
fn push_group(out: &mut String, d: i64, pad: bool) {
    if !(0..=9999).contains(&d) {
        // Not a digit PostgreSQL writes; as the formatter writes it.
        use std::fmt::Write as _;
        let _ = if pad {
            write!(out, "{d:04}")
        } else {
            write!(out, "{d}")
        };
        return;
    }
    let d = d as u16;
    let b = [d / 1000, d / 100 % 10, d / 10 % 10, d % 10].map(|x| b'0' + x as u8);
    let from = if pad {
        0
    } else {
        b.iter().position(|&c| c != b'0').unwrap_or(3)
    };
    for &c in &b[from..] {
        out.push(char::from(c));
    }
}

fn date_text(days: i32) -> Result<String, BoxError> {
    match days {
        i32::MAX => return Ok("infinity".into()),
        i32::MIN => return Ok("-infinity".into()),
        _ => {}
    }
    let d = jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days as i64 + PG_EPOCH_DAYS as i64))
        .map_err(|_| "date out of dsr's range (years -9999 to 9999)")?;
    Ok(d.to_string())
}

fn timestamp_text(micros: i64) -> Result<String, BoxError> {
    match micros {
        i64::MAX => return Ok("infinity".into()),
        i64::MIN => return Ok("-infinity".into()),
        _ => {}
    }
    let unix = micros
        .checked_add(PG_EPOCH_SECS * 1_000_000)
        .ok_or("timestamp out of range")?;
    let t = jiff::Timestamp::from_microsecond(unix)
        .map_err(|_| "timestamp out of dsr's range (years -9999 to 9999)")?;
    Ok(t.to_string())
}

impl<'a> FromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        decode(ty, raw)
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgValue::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Reads column `i` of a row.
pub fn get(row: &postgres::Row, i: usize) -> Result<PgValue, postgres::Error> {
    row.try_get::<_, PgValue>(i)
}

impl PgValue {
    /// The shared value type (see the table above for what is lost).
    pub fn to_value(&self) -> crate::value::Value {
        use crate::value::Value;
        match self {
            PgValue::Null => Value::Null,
            PgValue::Bool(b) => Value::Bool(*b),
            PgValue::Int(i) => Value::Integer(*i),
            PgValue::Float(f) => Value::Real(*f),
            PgValue::Numeric(s) => Value::Numeric(s.clone()),
            PgValue::Text(s) => Value::Text(s.clone()),
            PgValue::Json(s) => Value::Json(s.clone()),
            PgValue::Bytes(b) => Value::Blob(b.clone()),
            PgValue::Array(a) => Value::Array(a.iter().map(PgValue::to_value).collect()),
        }
    }

    /// The value as JSON, numerics with their exact digits (serde_json's
    /// `arbitrary_precision`), as [`PgValue::to_json_text`] writes them.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            PgValue::Null => J::Null,
            PgValue::Bool(b) => J::Bool(*b),
            PgValue::Int(i) => (*i).into(),
            PgValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(float_text(*f))),
            PgValue::Numeric(s) => numeric_json(s),
            PgValue::Text(s) => J::String(s.clone()),
            PgValue::Bytes(b) => J::String(base64::engine::general_purpose::STANDARD.encode(b)),
            PgValue::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| J::String(s.clone())),
            PgValue::Array(a) => J::Array(a.iter().map(PgValue::to_json).collect()),
        }
    }

    /// The value as JSON text, numerics (also inside arrays and JSON
    /// documents) with their exact digits.
    pub fn to_json_text(&self) -> String {
        match self {
            PgValue::Numeric(s) if is_json_number(s) => s.clone(),
            PgValue::Json(s) => s.clone(),
            PgValue::Array(a) => {
                let parts: Vec<String> = a.iter().map(PgValue::to_json_text).collect();
                format!("[{}]", parts.join(","))
            }
            v => v.to_json().to_string(),
        }
    }

    /// The text PostgreSQL's input function for the column's type reads
    /// back as this value; None for NULL. Bound with [`param`].
    pub fn to_param(&self) -> Option<String> {
        Some(match self {
            PgValue::Null => return None,
            PgValue::Bool(b) => b.to_string(),
            PgValue::Int(i) => i.to_string(),
            PgValue::Float(f) => float_text(*f),
            PgValue::Numeric(s) | PgValue::Text(s) | PgValue::Json(s) => s.clone(),
            PgValue::Bytes(b) => bytea_text(b),
            PgValue::Array(a) => {
                let parts: Vec<String> = a
                    .iter()
                    .map(|v| match v {
                        PgValue::Null => "NULL".to_string(),
                        PgValue::Array(_) => v.to_param().unwrap_or_default(),
                        v => {
                            let t = v.to_param().unwrap_or_default();
                            format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
                        }
                    })
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
        })
    }
}

/// A shared `Value` as a parameter's text (see [`PgValue::to_param`]).
pub fn value_param(v: &crate::value::Value) -> Option<String> {
    use crate::value::Value;
    Some(match v {
        Value::Null => return None,
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => float_text(*f),
        Value::Text(s) => s.clone(),
        Value::Blob(b) => bytea_text(b),
        Value::Bool(b) => b.to_string(),
        Value::Numeric(s) | Value::Json(s) => s.clone(),
        Value::Array(_) => return from_value(v).to_param(),
    })
}

/// The PostgreSQL value a shared `Value` stands for (the inverse of
/// [`PgValue::to_value`]).
pub fn from_value(v: &crate::value::Value) -> PgValue {
    use crate::value::Value;
    match v {
        Value::Null => PgValue::Null,
        Value::Integer(i) => PgValue::Int(*i),
        Value::Real(f) => PgValue::Float(*f),
        Value::Text(s) => PgValue::Text(s.clone()),
        Value::Blob(b) => PgValue::Bytes(b.clone()),
        Value::Bool(b) => PgValue::Bool(*b),
        Value::Numeric(s) => PgValue::Numeric(s.clone()),
        Value::Json(s) => PgValue::Json(s.clone()),
        Value::Array(a) => PgValue::Array(a.iter().map(from_value).collect()),
    }
}

/// The placeholder for parameter `n` (1-based) bound for a column whose
/// type is `cast` (`format_type` without the length, see
/// `introspect::PgColumn::cast`).
pub fn param(n: usize, cast: &str) -> String {
    format!("CAST(${n}::text AS {cast})")
}

fn bytea_text(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * b.len());
    s.push_str("\\x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// Shortest text that reads back as the same f64, PostgreSQL's spelling
/// for the special values.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{f:?}")
    }
}

fn is_json_number(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite) && !s.contains(['N', 'I', 'n', 'i'])
}

/// The exact digits as a JSON number (serde_json's `arbitrary_precision`
/// keeps them as written); NaN and the infinities as text.
fn numeric_json(s: &str) -> serde_json::Value {
    crate::value::Value::Numeric(s.to_string()).to_json()
}

#[cfg(test)]
mod numeric_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> String {
        let mut b = Vec::new();
        b.extend(ndigits.to_be_bytes());
        b.extend(weight.to_be_bytes());
        b.extend(sign.to_be_bytes());
        b.extend(dscale.to_be_bytes());
        for d in digits {
            b.extend(d.to_be_bytes());
        }
        numeric_text(&b).unwrap()
    }

    #[test]
    fn numeric_digits() {
        assert_eq!(numeric(2, 0, 0, 2, &[123, 4500]), "123.45");
        assert_eq!(numeric(1, -1, 0, 1, &[5000]), "0.5");
        assert_eq!(numeric(1, 1, 0, 0, &[1]), "10000");
        assert_eq!(numeric(1, -2, 0x4000, 5, &[1000]), "-0.00001");
        assert_eq!(numeric(0, 0, 0, 2, &[]), "0.00");
        assert_eq!(numeric(0, 0, 0xC000, 0, &[]), "NaN");
    }

    #[test]
    fn json_forms() {
        assert_eq!(PgValue::Numeric("12.50".into()).to_json_text(), "12.50");
        assert_eq!(PgValue::Numeric("NaN".into()).to_json_text(), "\"NaN\"");
        assert_eq!(
            PgValue::Numeric("42".into()).to_json(),
            serde_json::json!(42)
        );
        assert_eq!(PgValue::Float(f64::NAN).to_json(), serde_json::json!("NaN"));
        assert_eq!(
            PgValue::Bytes(vec![0, 255]).to_json(),
            serde_json::json!("AP8=")
        );
        assert_eq!(
            PgValue::Array(vec![PgValue::Int(1), PgValue::Null]).to_json_text(),
            "[1,null]"
        );
    }

    #[test]
    fn params() {
        let a = PgValue::Array(vec![
            PgValue::Text("a\"b".into()),
            PgValue::Null,
            PgValue::Text("c\\d".into()),
        ]);
        assert_eq!(a.to_param().as_deref(), Some(r#"{"a\"b",NULL,"c\\d"}"#));
        assert_eq!(
            PgValue::Bytes(vec![1, 171]).to_param().as_deref(),
            Some("\\x01ab")
        );
        assert_eq!(PgValue::Float(0.1).to_param().as_deref(), Some("0.1"));
        assert_eq!(param(3, "numeric"), "CAST($3::text AS numeric)");
    }
}
