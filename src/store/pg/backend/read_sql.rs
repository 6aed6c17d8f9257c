//! The pieces of the read statements that depend only on the column types:
//! what a row's SELECT list is, whether a looked-up value can be of a
//! column's type at all (a form that cannot is dropped before binding, not
//! sent: the server would refuse the whole statement, naming the value),
//! the cast a lookup binds to, and the needles as LIKE patterns.

use crate::store::pg::introspect::{PgColumn, PgTable};
use crate::store::pg::types::PgType;
use crate::store::pg::value::value_param;
use crate::store::schema::{quote, TableSchema};
use crate::store::Needle;
use crate::value::Value;

/// The key of a table without a primary key: the row's physical place,
/// stable within one transaction (`RowIds::InTransaction`), as text
/// (`(0,1)`), which the `tid` type reads back.
pub const CTID: &str = "ctid::text";

/// The columns of `t` as the catalog describes them, in `t`'s order; None
/// when one is missing (the table changed since the schema was read).
pub fn columns<'a>(t: &TableSchema, pg: &'a PgTable) -> Option<Vec<&'a PgColumn>> {
    t.columns.iter().map(|c| pg.column(&c.name)).collect()
}

/// The SELECT list that reads a row: the key first when the table has no
/// primary key (`skip` = 1), then every column, each as value.rs decodes it.
pub fn select_list(t: &TableSchema, cols: &[&PgColumn]) -> (String, usize) {
    let list: Vec<String> = cols
        .iter()
        .map(|c| c.ty.select_expr(&quote(&c.name)))
        .collect();
    if t.pk.is_empty() {
        (format!("{CTID}, {}", list.join(", ")), 1)
    } else {
        (list.join(", "), 0)
    }
}

/// The key columns' SELECT list (`ctid` without a primary key).
pub fn key_list(t: &TableSchema, pg: &PgTable) -> Option<String> {
    if t.pk.is_empty() {
        return Some(CTID.to_string());
    }
    let parts: Option<Vec<String>> =
        t.pk.iter()
            .map(|k| pg.column(k).map(|c| c.ty.select_expr(&quote(k))))
            .collect();
    parts.map(|p| p.join(", "))
}

/// The type a looked-up value is cast to: the column's own, except that a
/// domain's base type is used, so that a value the domain's CHECK refuses
/// compares (and matches nothing) instead of failing the statement.
pub fn lookup_cast(c: &PgColumn) -> String {
    match &c.ty {
        PgType::Domain(_, base) => {
            builtin_name(base).map_or_else(|| c.cast.clone(), str::to_string)
        }
        _ => c.cast.clone(),
    }
}

fn builtin_name(t: &PgType) -> Option<&'static str> {
    Some(match t.base() {
        PgType::Bool => "pg_catalog.bool",
        PgType::Int2 => "pg_catalog.int2",
        PgType::Int4 => "pg_catalog.int4",
        PgType::Int8 => "pg_catalog.int8",
        PgType::Oid => "pg_catalog.oid",
        PgType::Float4 => "pg_catalog.float4",
        PgType::Float8 => "pg_catalog.float8",
        PgType::Numeric(_) => "pg_catalog.numeric",
        PgType::Text => "pg_catalog.text",
        PgType::Varchar(_) => "pg_catalog.varchar",
        PgType::Char(_) => "pg_catalog.bpchar",
        PgType::Name => "pg_catalog.name",
        PgType::Bytea => "pg_catalog.bytea",
        PgType::Date => "pg_catalog.date",
        PgType::Timestamp => "pg_catalog.timestamp",
        PgType::Timestamptz => "pg_catalog.timestamptz",
        PgType::Uuid => "pg_catalog.uuid",
        PgType::Jsonb => "pg_catalog.jsonb",
        _ => return None,
    })
}

/// What a looked-up value is bound as for a column of type `ty`: `Ok(None)`
/// for NULL, `Ok(Some(text))` for PostgreSQL's input function, `Err(())`
/// when the value cannot be of that type (it can match no row). Types dsr
/// does not know the input rules of (enums, intervals, network addresses)
/// take any text; the statement's failure then says which column.
#[allow(clippy::result_unit_err)]
pub fn fit(ty: &PgType, v: &Value) -> Result<Option<String>, ()> {
    if v.is_null() {
        return Ok(None);
    }
    let text = value_param(v).ok_or(())?;
    let t = text.trim();
    let ok = match ty.base() {
        PgType::Int2 => integer(v, t, i16::MIN as i64, i16::MAX as i64),
        PgType::Int4 => integer(v, t, i32::MIN as i64, i32::MAX as i64),
        PgType::Int8 => integer(v, t, i64::MIN, i64::MAX),
        PgType::Oid => integer(v, t, 0, u32::MAX as i64),
        PgType::Float4 | PgType::Float8 | PgType::Numeric(_) => match v {
            Value::Integer(_) | Value::Real(_) | Value::Numeric(_) => true,
            Value::Text(_) => t.parse::<f64>().is_ok(),
            _ => false,
        },
        PgType::Bool => match v {
            Value::Bool(_) => true,
            Value::Integer(i) => {
                return if matches!(i, 0 | 1) {
                    Ok(Some((*i == 1).to_string()))
                } else {
                    Err(())
                }
            }
            Value::Text(_) => boolean(t),
            _ => false,
        },
        PgType::Uuid => matches!(v, Value::Text(_)) && uuid(t),
        PgType::Date | PgType::Timestamp | PgType::Timestamptz => {
            matches!(v, Value::Text(_)) && crate::time::parse_text(t).is_some()
        }
        PgType::Bytea => match v {
            Value::Blob(_) => true,
            // Text compares as its UTF-8 bytes.
            Value::Text(s) => return Ok(value_param(&Value::Blob(s.as_bytes().to_vec()))),
            _ => false,
        },
        PgType::Jsonb => match v {
            Value::Json(_) => true,
            Value::Text(s) => serde_json::from_str::<serde_json::Value>(s).is_ok(),
            _ => false,
        },
        // `json` has no equality; an array is not one element of itself.
        PgType::Json | PgType::Array(_) => false,
        _ => !matches!(v, Value::Blob(_) | Value::Json(_) | Value::Array(_)),
    };
    if !ok {
        return Err(());
    }
    // Integers written as reals (`5.0`) are read as the integer.
    match (ty.base(), v) {
        (PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Oid, Value::Real(f)) => {
            Ok(Some(format!("{}", *f as i64)))
        }
        _ => Ok(Some(text)),
    }
}

fn integer(v: &Value, t: &str, lo: i64, hi: i64) -> bool {
    let n = match v {
        Value::Integer(i) => Some(*i),
        Value::Real(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
        Value::Text(_) | Value::Numeric(_) => t.parse::<i64>().ok(),
        _ => None,
    };
    n.is_some_and(|n| (lo..=hi).contains(&n))
}

/// PostgreSQL's boolean input: the words and their unique prefixes.
fn boolean(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    ["true", "false", "yes", "no"]
        .iter()
        .any(|w| !t.is_empty() && w.starts_with(t.as_str()))
        || matches!(t.as_str(), "on" | "off" | "of" | "1" | "0")
}

/// PostgreSQL's uuid input: 32 hex digits, optionally in braces, a hyphen
/// allowed after any group of four.
fn uuid(t: &str) -> bool {
    let t = t
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(t);
    let mut n = 0;
    let mut prev_hyphen = false;
    for c in t.chars() {
        if c == '-' {
            if n == 0 || n % 4 != 0 || prev_hyphen || n == 32 {
                return false;
            }
            prev_hyphen = true;
        } else if c.is_ascii_hexdigit() {
            n += 1;
            prev_hyphen = false;
        } else {
            return false;
        }
    }
    n == 32 && !prev_hyphen
}

/// The row places `(block,offset)` that `ctid` keys are.
pub fn is_ctid(v: &Value) -> bool {
    let Some(inner) = v
        .as_text()
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.strip_suffix(')'))
    else {
        return false;
    };
    inner
        .split_once(',')
        .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u16>().is_ok())
}

/// `q LIKE ANY($n)` compared byte by byte in the "C" collation, which LIKE
/// accepts whatever the column's own collation (it fails on a
/// nondeterministic one).
pub fn like_any_in_c(q: &str, n: usize) -> String {
    format!("{q}::text COLLATE \"C\" LIKE ANY(${n}::text[])")
}

/// The `WHERE` of a free-text search of column `q` for `needles`, and its
/// array parameters (`$1`, `$2`); None when every value is wanted (an
/// empty needle), which is `q IS NOT NULL`.
///
/// Without a pg_trgm index (or with a needle it cannot answer: digits in
/// order have no three letters in a row) the table is read whole, so the
/// condition is made cheap per row: the value compared byte by byte in
/// the "C" collation (LIKE fails on a nondeterministic collation), and for
/// needles that ignore case lowered once by `lower(… COLLATE "C")`, which
/// folds ASCII letters only, exactly what [`Needle`] asks. `ILIKE ANY`
/// lowers the whole value again for every pattern, by the column's
/// collation (a Turkish one makes `I` a dotless `ı`, and a mention written
/// in capitals was missed): about three times the cost (BENCHMARKS.md,
/// "erase (PostgreSQL)"). Digits stay on the value itself: the lowered
/// copy is made only for the rows they do not admit.
///
/// Where a pg_trgm index covers the column and every needle ignores case,
/// the column's own `ILIKE ANY` is kept: that is what the index answers.
/// On a column that compares ignoring case (citext) every needle does, as
/// the column's own LIKE did before the cast to text.
pub fn scan_condition(
    q: &str,
    needles: &[Needle],
    trigram: bool,
    case_insensitive: bool,
) -> Option<(String, Vec<Vec<String>>)> {
    let patterns: Vec<String> = needles
        .iter()
        .map(crate::store::sqlite::like_pattern)
        .collect();
    if patterns.iter().any(|p| p.bytes().all(|b| b == b'%')) {
        return None;
    }
    let folds = |n: &Needle| folds(n, case_insensitive);
    if trigram && needles.iter().all(folds) {
        let folded = patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
        return Some((format!("{q} ILIKE ANY($1::text[])"), vec![folded]));
    }
    let mut exact = Vec::new();
    let mut folded = Vec::new();
    for i in without_implied(needles, case_insensitive) {
        if folds(&needles[i]) {
            folded.push(patterns[i].to_ascii_lowercase());
        } else {
            exact.push(patterns[i].clone());
        }
    }
    let mut conds = Vec::new();
    let mut arrays = Vec::new();
    if !exact.is_empty() {
        arrays.push(exact);
        conds.push(like_any_in_c(q, arrays.len()));
    }
    if !folded.is_empty() {
        arrays.push(folded);
        conds.push(format!(
            "lower({q}::text COLLATE \"C\") LIKE ANY(${}::text[])",
            arrays.len()
        ));
    }
    Some((conds.join(" OR "), arrays))
}

/// The needles (their places) less those another needle implies (every value the one
/// admits the other admits too: a customer number `K-150000` holds the
/// customer id `150000`; digits in order hold in any text that has them in
/// that order), one of two equal ones kept. Each pattern is one more pass
/// over every value (BENCHMARKS.md, "erase (PostgreSQL)"); the scan may
/// admit more than the needles (the exact matcher decides), never less.
/// Case is folded as the "C" scan folds it, ASCII only.
fn without_implied(needles: &[Needle], case_insensitive: bool) -> Vec<usize> {
    let folds = |n: &Needle| folds(n, case_insensitive);
    let digits = |n: &Needle| match n {
        Needle::Substring { text, .. } => text.chars().filter(char::is_ascii_digit).collect(),
        Needle::DigitsInOrder(d) => d.clone(),
    };
    let implies = |b: &Needle, a: &Needle| match (b, a) {
        (Needle::DigitsInOrder(d), a) => {
            let mut have = digits(a).into_bytes().into_iter();
            d.bytes().all(|x| have.any(|y| y == x))
        }
        (Needle::Substring { .. }, Needle::DigitsInOrder(_)) => false,
        (Needle::Substring { text: bt, .. }, Needle::Substring { text: at, .. }) => {
            if folds(b) {
                at.to_ascii_lowercase().contains(&bt.to_ascii_lowercase())
            } else {
                !folds(a) && at.contains(bt.as_str())
            }
        }
    };
    (0..needles.len())
        .filter(|&i| {
            !(0..needles.len()).any(|j| {
                j != i
                    && implies(&needles[j], &needles[i])
                    && (j < i || !implies(&needles[i], &needles[j]))
            })
        })
        .collect()
}

/// Whether the scan compares the needle ignoring ASCII case: it asks to,
/// or the column does (citext).
fn folds(n: &Needle, case_insensitive: bool) -> bool {
    matches!(n, Needle::Substring { ignore_case, .. } if *ignore_case || case_insensitive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(ty: PgType, v: Value) -> Option<String> {
        fit(&ty, &v).ok().flatten()
    }

    #[test]
    fn forms_that_cannot_be_the_type_are_dropped() {
        let t = |s: &str| Value::Text(s.into());
        assert_eq!(fit(&PgType::Int8, &t("811218-9876")), Err(()));
        assert_eq!(
            fits(PgType::Int8, t(" 8112189876 ")).as_deref(),
            Some(" 8112189876 ")
        );
        assert_eq!(fit(&PgType::Int4, &Value::Integer(1 << 40)), Err(()));
        assert_eq!(fits(PgType::Int4, Value::Real(5.0)).as_deref(), Some("5"));
        assert_eq!(fit(&PgType::Int2, &Value::Real(5.5)), Err(()));
        assert_eq!(fit(&PgType::Uuid, &t("c-1")), Err(()));
        assert!(fits(PgType::Uuid, t("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")).is_some());
        assert!(fits(PgType::Uuid, t("{a0eebc999c0b4ef8bb6d6bb9bd380a11}")).is_some());
        assert_eq!(
            fit(&PgType::Uuid, &t("a0eeb-c999c0b4ef8bb6d6bb9bd380a11")),
            Err(())
        );
        assert_eq!(
            fits(PgType::Bool, Value::Integer(1)).as_deref(),
            Some("true")
        );
        assert_eq!(fit(&PgType::Bool, &t("maybe")), Err(()));
        assert!(fits(PgType::Bool, t("Y")).is_some());
        assert_eq!(fit(&PgType::Date, &t("someday")), Err(()));
        assert!(fits(PgType::Date, t("2026-11-22")).is_some());
        assert_eq!(fit(&PgType::Date, &Value::Integer(1_700_000_000)), Err(()));
        assert_eq!(fits(PgType::Bytea, t("ab")).as_deref(), Some("\\x6162"));
        assert_eq!(fit(&PgType::Jsonb, &t("{not json")), Err(()));
        assert_eq!(fit(&PgType::Json, &t("{}")), Err(()));
        assert_eq!(fit(&PgType::Text, &Value::Blob(vec![1])), Err(()));
        assert_eq!(fits(PgType::Text, Value::Integer(7)).as_deref(), Some("7"));
        assert_eq!(fit(&PgType::Text, &Value::Null), Ok(None));
        let domain = PgType::Domain("pnr".into(), Box::new(PgType::Int8));
        assert_eq!(fit(&domain, &t("x")), Err(()));
    }

    #[test]
    fn ctids() {
        assert!(is_ctid(&Value::Text("(0,1)".into())));
        assert!(!is_ctid(&Value::Text("(0,1".into())));
        assert!(!is_ctid(&Value::Integer(1)));
    }

    #[test]
    fn needles_another_implies_are_not_searched_for() {
        let sub = |t: &str, ignore_case| Needle::Substring {
            text: t.into(),
            ignore_case,
        };
        let digits = |d: &str| Needle::DigitsInOrder(d.into());
        let kept = |needles: &[Needle], citext| -> Vec<Needle> {
            without_implied(needles, citext)
                .into_iter()
                .map(|i| needles[i].clone())
                .collect()
        };
        // The demo's customer: the customer number holds the id.
        let customer = [
            sub("K-150000", true),
            sub("anna@example.se", true),
            digits("8112189876"),
            digits("701234567"),
            sub("150000", true),
        ];
        assert_eq!(kept(&customer, false), customer[1..].to_vec());
        // Digits in order hold wherever their digits come in that order.
        let spread = [
            sub("a1b2c3", false),
            digits("123"),
            digits("1293"),
            sub("x13", true),
        ];
        assert_eq!(kept(&spread, false), [digits("123"), sub("x13", true)]);
        // A needle that ignores case holds in one compared exactly, not
        // the other way round, unless the column folds (citext).
        let cased = [sub("AB-1", false), sub("ab", true)];
        assert_eq!(kept(&cased, false), [sub("ab", true)]);
        let cased = [sub("ab-1", true), sub("AB", false)];
        assert_eq!(kept(&cased, false), cased.to_vec());
        assert_eq!(kept(&cased, true), [sub("AB", false)]);
        // Of two equal needles one is kept.
        let twice = [sub("Bo", true), sub("bo", true), digits("12"), digits("12")];
        assert_eq!(kept(&twice, false), [sub("Bo", true), digits("12")]);
        let (_, arrays) = scan_condition("\"b\"", &customer, false, false).expect("a condition");
        assert_eq!(
            arrays,
            [
                vec!["%8%1%1%2%1%8%9%8%7%6%", "%7%0%1%2%3%4%5%6%7%"],
                vec!["%anna@example.se%", "%150000%"]
            ]
        );
    }

    #[test]
    fn free_text_conditions() {
        let sub = |t: &str, ignore_case| Needle::Substring {
            text: t.into(),
            ignore_case,
        };
        let needles = [
            sub("Anna@Example.se", true),
            sub("50%_OFF", true),
            Needle::DigitsInOrder("123".into()),
            sub("Ab", false),
        ];
        let (cond, arrays) = scan_condition("\"b\"", &needles, false, false).expect("a condition");
        assert_eq!(
            cond,
            "\"b\"::text COLLATE \"C\" LIKE ANY($1::text[]) \
             OR lower(\"b\"::text COLLATE \"C\") LIKE ANY($2::text[])"
        );
        assert_eq!(
            arrays,
            [
                vec!["%1%2%3%", "%Ab%"],
                vec!["%anna@example.se%", "%50\\%\\_off%"]
            ]
        );
        // A pg_trgm index answers ILIKE on the column itself; digits in
        // order it cannot, so they keep the cheap whole read.
        let (cond, arrays) =
            scan_condition("\"b\"", &needles[..2], true, false).expect("a condition");
        assert_eq!(cond, "\"b\" ILIKE ANY($1::text[])");
        assert_eq!(arrays, [vec!["%anna@example.se%", "%50\\%\\_off%"]]);
        assert!(scan_condition("\"b\"", &needles, true, false)
            .is_some_and(|(c, _)| c.contains("lower(")));
        let (cond, _) = scan_condition("\"b\"", &needles[2..3], false, false).expect("a condition");
        assert_eq!(cond, "\"b\"::text COLLATE \"C\" LIKE ANY($1::text[])");
        // citext compares ignoring case: so does the search.
        let (cond, arrays) =
            scan_condition("\"b\"", &needles[3..], false, true).expect("a condition");
        assert_eq!(
            cond,
            "lower(\"b\"::text COLLATE \"C\") LIKE ANY($1::text[])"
        );
        assert_eq!(arrays, [vec!["%ab%"]]);
        // The empty needle wants every value.
        assert_eq!(
            scan_condition("\"b\"", &[sub("", false), sub("x", true)], false, false),
            None
        );
    }
}
