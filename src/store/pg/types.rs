//! PostgreSQL column types as dsr needs to know them: what a value reads
//! as (value.rs), whether it can hold text (fit: `hash`, `redact`), its
//! declared length, and how a bound parameter is cast to it.

use crate::store::schema::ColumnType;

/// A column's type, from `pg_type` (internal names: `int4`, `timestamptz`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgType {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    /// `numeric(p, s)`; None for plain `numeric`.
    Numeric(Option<(u16, u16)>),
    Money,
    Text,
    /// `varchar(n)`: the length in characters, if declared.
    Varchar(Option<u32>),
    /// `char(n)` (`bpchar`), blank-padded.
    Char(Option<u32>),
    /// The extension type `citext` (case-insensitive text).
    Citext,
    Name,
    Bytea,
    Date,
    Time,
    TimeTz,
    Timestamp,
    Timestamptz,
    Interval,
    Uuid,
    Inet,
    Cidr,
    MacAddr,
    Json,
    Jsonb,
    Xml,
    /// A user-defined enum, by type name.
    Enum(String),
    /// An array of the element type (any number of dimensions).
    Array(Box<PgType>),
    /// A domain over a base type.
    Domain(String, Box<PgType>),
    /// Anything else (geometric, ranges, bit strings, composites, ...),
    /// by type name: read as PostgreSQL's text form.
    Other(String),
}

impl PgType {
    /// From the catalog: `typname` and `typtype` of the column's type,
    /// its typmod, and for arrays the element's `typname`/`typtype`, for
    /// domains the base type's.
    pub fn from_catalog(
        typname: &str,
        typtype: &str,
        typmod: i32,
        elem: Option<(&str, &str)>,
        base: Option<(&str, &str, i32)>,
    ) -> PgType {
        if typtype == "d" {
            if let Some((bn, bt, bmod)) = base {
                return PgType::Domain(
                    typname.to_string(),
                    Box::new(PgType::from_catalog(bn, bt, bmod, None, None)),
                );
            }
        }
        if let Some((en, et)) = elem {
            return PgType::Array(Box::new(PgType::from_catalog(en, et, typmod, None, None)));
        }
        if typtype == "e" {
            return PgType::Enum(typname.to_string());
        }
        let len = (typmod >= 4).then(|| (typmod - 4) as u32);
        match typname {
            "bool" => PgType::Bool,
            "int2" => PgType::Int2,
            "int4" => PgType::Int4,
            "int8" => PgType::Int8,
            "oid" => PgType::Oid,
            "float4" => PgType::Float4,
            "float8" => PgType::Float8,
            "numeric" => {
                PgType::Numeric(len.map(|m| (((m >> 16) & 0xffff) as u16, (m & 0xffff) as u16)))
            }
            "money" => PgType::Money,
            "text" => PgType::Text,
            "varchar" => PgType::Varchar(len),
            "bpchar" => PgType::Char(len),
            "citext" => PgType::Citext,
            "name" => PgType::Name,
            "bytea" => PgType::Bytea,
            "date" => PgType::Date,
            "time" => PgType::Time,
            "timetz" => PgType::TimeTz,
            "timestamp" => PgType::Timestamp,
            "timestamptz" => PgType::Timestamptz,
            "interval" => PgType::Interval,
            "uuid" => PgType::Uuid,
            "inet" => PgType::Inet,
            "cidr" => PgType::Cidr,
            "macaddr" => PgType::MacAddr,
            "json" => PgType::Json,
            "jsonb" => PgType::Jsonb,
            "xml" => PgType::Xml,
            other => PgType::Other(other.to_string()),
        }
    }

    /// The type under any domains.
    pub fn base(&self) -> &PgType {
        match self {
            PgType::Domain(_, b) => b.base(),
            t => t,
        }
    }

    /// Whether text of any length fits (a `hash` or `redact` result):
    /// `text`, `citext`, unbounded `varchar`; a bounded `varchar(n)` or
    /// `char(n)` holds text up to [`PgType::max_len`].
    pub fn holds_text(&self) -> bool {
        matches!(
            self.base(),
            PgType::Text | PgType::Citext | PgType::Varchar(_) | PgType::Char(_) | PgType::Name
        )
    }

    /// The declared maximum length in characters, if any.
    pub fn max_len(&self) -> Option<u32> {
        match self.base() {
            PgType::Varchar(n) | PgType::Char(n) => *n,
            PgType::Name => Some(63),
            _ => None,
        }
    }

    /// Whether comparisons ignore case (an email lookup needs no
    /// `lower()`).
    pub fn case_insensitive(&self) -> bool {
        matches!(self.base(), PgType::Citext)
    }

    /// Whether values are dates or times (retention rules may use them).
    pub fn is_temporal(&self) -> bool {
        matches!(
            self.base(),
            PgType::Date | PgType::Timestamp | PgType::Timestamptz
        )
    }

    /// The neutral kind, for the shared `ColumnSchema` (whose users ask
    /// "numeric?" and "holds text?"): text types Text, bytea Bytes; all
    /// others hold no text, as a `hash` or `redact` would not fit them.
    pub fn column_type(&self) -> ColumnType {
        match self.base() {
            PgType::Bool => ColumnType::Bool,
            PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Oid => ColumnType::Integer,
            PgType::Float4 | PgType::Float8 => ColumnType::Real,
            PgType::Numeric(_) | PgType::Money => ColumnType::Numeric,
            PgType::Bytea => ColumnType::Bytes,
            PgType::Date => ColumnType::Date,
            PgType::Timestamp | PgType::Timestamptz => ColumnType::Timestamp,
            t if t.holds_text() => ColumnType::Text,
            _ => ColumnType::Other,
        }
    }

    /// Whether value.rs decodes the binary form itself; the others are
    /// selected as `::text` (`::text[]` for arrays), PostgreSQL's own
    /// canonical text under the session's settings (ISO 8601 intervals).
    pub fn decoded_natively(&self) -> bool {
        match self.base() {
            PgType::Array(e) => e.decoded_natively(),
            PgType::Money
            | PgType::Time
            | PgType::TimeTz
            | PgType::Interval
            | PgType::Inet
            | PgType::Cidr
            | PgType::MacAddr
            | PgType::Xml
            | PgType::Other(_) => false,
            _ => true,
        }
    }

    /// The SELECT-list expression that reads a column of this type
    /// (`quoted` is the quoted column name).
    pub fn select_expr(&self, quoted: &str) -> String {
        if self.decoded_natively() {
            quoted.to_string()
        } else if self.base() == &PgType::Inet {
            // inet's output form, as psql shows it (`10.0.0.4`, not the
            // text cast's `10.0.0.4/32`): the address an application wrote.
            format!("abbrev({quoted})")
        } else if matches!(self.base(), PgType::Array(_)) {
            format!("{quoted}::text[]")
        } else {
            format!("{quoted}::text")
        }
    }
}

/// Text that a spreadsheet could run as a formula gets one `'` in front,
/// as `writers::csv` does with every text value it writes (here for the
/// server's text of instants out of the years 1 to 9999: `-infinity`).
fn neutralised(expr: &str) -> String {
    format!(
        "CASE WHEN ascii({expr}) IN (61, 43, 45, 64, 9, 13, 39) THEN '''' || {expr} ELSE {expr} END"
    )
}

/// What the client still does to a field of the COPY stream (see
/// `backend/copy.rs`), where changing it in the stream costs less than
/// asking the server to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CsvFix {
    /// The field is dsr's already.
    #[default]
    AsIs,
    /// Text: one `'` in front when it starts with `=`, `+`, `-`, `@`, a
    /// tab, a carriage return or `'` (as `writers::csv` neutralises).
    Neutralise,
    /// A boolean: `t`/`f` become `true`/`false`.
    Bool,
}

impl PgType {
    /// The SELECT-list expression, and what the stream does to its field,
    /// whose text as `COPY … (FORMAT csv)` writes it is exactly the field
    /// `writers::csv` writes for the value dsr reads from the column
    /// (value.rs): booleans as `true`/`false`, dates and instants in dsr's
    /// RFC 3339 UTC form, formula text neutralised. The column itself
    /// wherever the server's text is dsr's or the stream can make it so
    /// (text, dates, booleans): the server's time is most of an export's,
    /// and every expression adds to it (BENCHMARKS.md, "export
    /// (PostgreSQL)"). `None` for types whose text forms differ in ways
    /// SQL cannot cheaply match (reals, bytea, json, arrays, `char(n)`,
    /// …): a table with one of those is read row by row.
    pub fn csv_expr(&self, quoted: &str) -> Option<(String, CsvFix)> {
        // RFC 3339 in UTC with the fraction's digits trimmed, as jiff
        // prints an instant; `ts` is a timestamp already in UTC. For the
        // years 1 to 9999 the server's own text (ISO, the session in UTC:
        // `2026-11-22 10:00:00.5+00`, the fraction already trimmed) needs
        // only its space and offset replaced; infinities and other years
        // take the long way, as they always did.
        let instant = |ts: String, fast: String| {
            let slow = neutralised(&format!(
                "CASE WHEN NOT isfinite({quoted}) THEN {quoted}::text \
                 ELSE to_char({ts}, 'YYYY-MM-DD\"T\"HH24:MI:SS') \
                 || CASE WHEN extract(microseconds FROM {ts})::bigint % 1000000 = 0 THEN '' \
                    ELSE '.' || rtrim(to_char({ts}, 'US'), '0') END || 'Z' END"
            ));
            format!(
                "CASE WHEN {quoted} >= '0001-01-01' AND {quoted} < '10000-01-01' THEN {fast} \
                 ELSE {slow} END"
            )
        };
        let plain = || quoted.to_string();
        Some(match self.base() {
            PgType::Int2
            | PgType::Int4
            | PgType::Int8
            | PgType::Oid
            | PgType::Numeric(_)
            | PgType::Uuid => (plain(), CsvFix::AsIs),
            PgType::Bool => (plain(), CsvFix::Bool),
            // Their output is their text (`::text` of them is the same).
            PgType::Text | PgType::Varchar(_) | PgType::Citext | PgType::Name | PgType::Enum(_) => {
                (plain(), CsvFix::Neutralise)
            }
            // Of a date's texts only `-infinity` starts like a formula.
            PgType::Date => (plain(), CsvFix::Neutralise),
            // An address's text starts with a digit, a hex digit or `:`.
            PgType::Inet => (format!("abbrev({quoted})"), CsvFix::AsIs),
            PgType::Timestamp => (
                instant(
                    quoted.to_string(),
                    format!("replace({quoted}::text, ' ', 'T') || 'Z'"),
                ),
                CsvFix::AsIs,
            ),
            PgType::Timestamptz => (
                instant(
                    format!("({quoted} AT TIME ZONE 'UTC')"),
                    format!("left(replace({quoted}::text, ' ', 'T'), -3) || 'Z'"),
                ),
                CsvFix::AsIs,
            ),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_catalog() {
        assert_eq!(
            PgType::from_catalog("varchar", "b", 24, None, None),
            PgType::Varchar(Some(20))
        );
        assert_eq!(
            PgType::from_catalog("varchar", "b", -1, None, None),
            PgType::Varchar(None)
        );
        assert_eq!(
            PgType::from_catalog("numeric", "b", (12 << 16 | 2) + 4, None, None),
            PgType::Numeric(Some((12, 2)))
        );
        assert_eq!(
            PgType::from_catalog("_int4", "b", -1, Some(("int4", "b")), None),
            PgType::Array(Box::new(PgType::Int4))
        );
        assert_eq!(
            PgType::from_catalog("mood", "e", -1, None, None),
            PgType::Enum("mood".into())
        );
        let d = PgType::from_catalog("email", "d", -1, None, Some(("varchar", "b", 84)));
        assert_eq!(d.max_len(), Some(80));
        assert!(d.holds_text());
        assert!(PgType::Citext.case_insensitive() && PgType::Citext.holds_text());
        assert!(!PgType::Uuid.holds_text() && !PgType::Jsonb.holds_text());
        assert_eq!(PgType::Date.column_type(), ColumnType::Date);
        assert_eq!(PgType::Bool.column_type(), ColumnType::Bool);
        assert!(PgType::Date.column_type().is_numeric());
        assert_eq!(PgType::Interval.select_expr("\"x\""), "\"x\"::text");
        assert_eq!(
            PgType::Array(Box::new(PgType::Inet)).select_expr("\"x\""),
            "\"x\"::text[]"
        );
        assert_eq!(PgType::Timestamptz.select_expr("\"x\""), "\"x\"");
    }
}
