//! A stored value, independent of the backend, keeping its SQL type.
//!
//! SQLite gives the first five variants only. PostgreSQL adds booleans,
//! exact numbers, JSON documents and arrays, each kept as itself so that
//! every output shows it as DESIGN §1 "Types" says (true/false, the exact
//! digits as a JSON number, the JSON value itself, a JSON array) rather
//! than as text that merely looks like it.

use base64::Engine;
use std::hash::{Hash, Hasher};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Bool(bool),
    /// An exact number (`numeric`), its digits as stored: `"12.50"`, and
    /// `"NaN"`, `"Infinity"`, `"-Infinity"`, which JSON has no number for.
    Numeric(String),
    /// A JSON document (`json`, `jsonb`), its text as the store gives it.
    Json(String),
    /// An array (any element type, nested for several dimensions).
    Array(Vec<Value>),
}

impl Value {
    /// Equal as stored: a real by its bits (a NaN read twice is the same
    /// value), arrays element by element.
    pub fn same_as_stored(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Real(a), Value::Real(b)) => a.to_bits() == b.to_bits(),
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as_stored(y))
            }
            _ => self == other,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// JSON keeps the SQL type: integers and reals as numbers, blobs as
    /// base64 text, booleans as true/false, exact numbers with their digits,
    /// JSON documents as themselves, arrays as arrays.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Integer(i) => (*i).into(),
            Value::Real(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Text(s) => J::String(s.clone()),
            Value::Blob(b) => J::String(base64::engine::general_purpose::STANDARD.encode(b)),
            Value::Bool(b) => J::Bool(*b),
            // serde_json's `arbitrary_precision` keeps the digits as written.
            Value::Numeric(s) => match s.parse::<serde_json::Number>() {
                Ok(n) if is_json_number(s) => J::Number(n),
                _ => J::String(s.clone()),
            },
            Value::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| J::String(s.clone())),
            Value::Array(a) => J::Array(a.iter().map(Value::to_json).collect()),
        }
    }

    /// The text a reader sees where a cell holds text only (CSV, HTML,
    /// spreadsheets' text cells) for the values that are not plain text:
    /// `true`/`false`, the exact digits, compact JSON for documents and
    /// arrays. None for the others (each writer has its own form).
    pub fn display_text(&self) -> Option<String> {
        match self {
            Value::Bool(b) => Some(b.to_string()),
            Value::Numeric(s) => Some(s.clone()),
            Value::Json(_) | Value::Array(_) => Some(self.to_json().to_string()),
            _ => None,
        }
    }
}

/// Whether exact digits are a JSON number (not NaN or an infinity).
fn is_json_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// Row keys are compared and hashed by value; reals by their bits, which is
/// what equality of stored keys means.
impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            Value::Null => {}
            Value::Integer(i) => i.hash(h),
            Value::Real(f) => f.to_bits().hash(h),
            Value::Text(s) | Value::Numeric(s) | Value::Json(s) => s.hash(h),
            Value::Blob(b) => b.hash(h),
            Value::Bool(b) => b.hash(h),
            Value::Array(a) => a.hash(h),
        }
    }
}

impl Value {
    /// SQL's order: NULL, then booleans and numbers, then text, then blobs
    /// (then JSON documents and arrays, which no key of SQLite's holds).
    /// Used to list rows by key, so that reports do not depend on discovery
    /// order.
    pub fn sql_cmp(&self, other: &Value) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        fn rank(v: &Value) -> u8 {
            match v {
                Value::Null => 0,
                Value::Bool(_) | Value::Integer(_) | Value::Real(_) | Value::Numeric(_) => 1,
                Value::Text(_) => 2,
                Value::Blob(_) => 3,
                Value::Json(_) => 4,
                Value::Array(_) => 5,
            }
        }
        /// A number's value for comparing across number types.
        fn num(v: &Value) -> Option<f64> {
            match v {
                Value::Bool(b) => Some(f64::from(u8::from(*b))),
                Value::Integer(i) => Some(*i as f64),
                Value::Real(f) => Some(*f),
                Value::Numeric(s) => s.parse().ok(),
                _ => None,
            }
        }
        match (self, other) {
            (Value::Integer(a), Value::Integer(b)) => a.cmp(b),
            (Value::Real(a), Value::Real(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (Value::Text(a), Value::Text(b)) => a.cmp(b),
            (Value::Blob(a), Value::Blob(b)) => a.cmp(b),
            (Value::Json(a), Value::Json(b)) => a.cmp(b),
            (Value::Array(a), Value::Array(b)) => key_cmp(a, b),
            _ => match (num(self), num(other)) {
                (Some(a), Some(b)) => a
                    .partial_cmp(&b)
                    .unwrap_or(Ordering::Equal)
                    // Equal as f64 (more digits than it holds): by the
                    // digits, so that the order is total and stable.
                    .then_with(|| match (self, other) {
                        (Value::Numeric(x), Value::Numeric(y)) => x.cmp(y),
                        _ => Ordering::Equal,
                    }),
                _ => rank(self).cmp(&rank(other)),
            },
        }
    }
}

/// Orders keys column by column.
pub fn key_cmp(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.sql_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn native_values_keep_their_json_form() {
        assert_eq!(Value::Bool(true).to_json(), json!(true));
        let n = Value::Numeric("12.50".into()).to_json();
        assert_eq!(n.to_string(), "12.50", "the exact digits");
        assert_eq!(
            Value::Numeric("123456789012345678901234567890.1".into())
                .to_json()
                .to_string(),
            "123456789012345678901234567890.1"
        );
        assert_eq!(Value::Numeric("NaN".into()).to_json(), json!("NaN"));
        assert_eq!(
            Value::Json(r#"{"a": [1, 2.50]}"#.into())
                .to_json()
                .to_string(),
            r#"{"a":[1,2.50]}"#
        );
        assert_eq!(
            Value::Array(vec![Value::Integer(1), Value::Null]).to_json(),
            json!([1, null])
        );
        assert_eq!(Value::Real(2.5).to_json().to_string(), "2.5");
        assert_eq!(Value::Bool(false).display_text().as_deref(), Some("false"));
        assert_eq!(
            Value::Array(vec![Value::Text("a".into())])
                .display_text()
                .as_deref(),
            Some(r#"["a"]"#)
        );
        assert_eq!(Value::Integer(1).display_text(), None);
    }

    #[test]
    fn numbers_of_every_type_compare_by_value() {
        use std::cmp::Ordering::*;
        let n = |s: &str| Value::Numeric(s.into());
        assert_eq!(n("2.50").sql_cmp(&Value::Integer(3)), Less);
        assert_eq!(Value::Real(2.6).sql_cmp(&n("2.5")), Greater);
        assert_eq!(n("10").sql_cmp(&n("9")), Greater, "not by the digits");
        assert_eq!(Value::Bool(false).sql_cmp(&Value::Bool(true)), Less);
        assert_eq!(n("1").sql_cmp(&Value::Text("a".into())), Less);
    }
}
