//! `export --all --format csv` on PostgreSQL: a table's rows as the server
//! writes them with `COPY (SELECT …) TO STDOUT (FORMAT csv)`, each column
//! selected by [`PgType::csv_expr`] so that the bytes are exactly those
//! `writers::csv` writes from the values dsr reads, only without decoding
//! every value in dsr. Two differences the stream fixes as it passes: the
//! server ends records with LF, RFC 4180 (and dsr) with CRLF; line breaks
//! inside quoted fields are data and stay as they are.
//!
//! A table with a column whose type has no such expression (reals, bytea,
//! json, arrays, `char(n)`, …) is read row by row as before.
//!
//! [`PgType::csv_expr`]: crate::store::pg::types::PgType::csv_expr

use super::PgBackend;
use crate::error::{Error, Result};
use crate::store::pg::errors::sql_error;
use crate::store::schema::{quote, TableSchema};
use std::io::{BufRead, Write};

/// Turns the server's LF record ends into CRLF, counting records; a
/// quote toggles whether a line break is data (doubled quotes toggle
/// twice), across the chunks of one stream.
#[derive(Default)]
pub(crate) struct Crlf {
    in_quotes: bool,
    pub records: u64,
}

impl Crlf {
    pub(crate) fn feed(&mut self, chunk: &[u8], out: &mut dyn Write) -> std::io::Result<()> {
        let mut start = 0;
        for (i, &b) in chunk.iter().enumerate() {
            match b {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => {
                    out.write_all(&chunk[start..i])?;
                    out.write_all(b"\r\n")?;
                    start = i + 1;
                    self.records += 1;
                }
                _ => {}
            }
        }
        out.write_all(&chunk[start..])
    }
}

impl PgBackend {
    /// Writes every row of `t` as CSV records (no header) into `out`, in
    /// the order `scan_all` reads them; the number of rows, or `None` when
    /// a column's type needs the row-by-row path.
    pub(super) fn copy_csv_rows(
        &self,
        t: &TableSchema,
        out: &mut dyn Write,
        werr: &dyn Fn(std::io::Error) -> Error,
    ) -> Result<Option<u64>> {
        let shape = self.shape(t)?;
        let Some(list) = shape
            .cols
            .iter()
            .map(|c| c.ty.csv_expr(&quote(&c.name)))
            .collect::<Option<Vec<String>>>()
        else {
            return Ok(None);
        };
        self.pin_seqscans()?;
        let sql = format!(
            "COPY (SELECT {} FROM {}) TO STDOUT (FORMAT csv)",
            list.join(", "),
            quote(&t.name)
        );
        let doing = format!("reading {}", t.name);
        let mut guard = self.conn()?;
        let conn = &mut *guard;
        let url = conn.url.clone();
        let mut reader = conn
            .client
            .copy_out(sql.as_str())
            .map_err(|e| sql_error(&url, &doing, &e))?;
        let mut crlf = Crlf::default();
        loop {
            let chunk = reader.fill_buf().map_err(|e| {
                Error::Runtime(format!(
                    "the PostgreSQL server at {} stopped sending rows while {doing}: {e}; nothing was released",
                    url.place()
                ))
            })?;
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len();
            crlf.feed(chunk, out).map_err(werr)?;
            reader.consume(n);
        }
        Ok(Some(crlf.records))
    }
}

#[cfg(test)]
mod tests {
    use super::Crlf;
    use crate::store::pg::testing::{TestSchema, VAR};
    use crate::store::{open, Mode};

    /// Every value form COPY writes, against the row-by-row CSV of the
    /// same rows: formula text, quotes, commas, line breaks, empty text
    /// and NULL, negative and exact numbers, instants with and without a
    /// fraction, infinities, booleans, uuid, inet, an enum.
    const TRICKY: &str = r#"
CREATE TYPE mood AS ENUM ('calm', '-busy');
CREATE TABLE tricky (
    id bigint PRIMARY KEY, n integer, s smallint, t text, v varchar(20), nm numeric,
    d date, ts timestamp, tz timestamptz, b boolean, u uuid, ip inet, m mood
);
INSERT INTO tricky VALUES
  (1, -5, 7, '=SUM(A1)', '+46 70', 12.50, '2026-11-22', '2026-11-22 10:00:00',
   '2026-11-22 11:00:00+01', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1', 'calm'),
  (2, NULL, NULL, '', '', 'NaN', 'infinity', '2026-01-02 03:04:05.5', '-infinity', false,
   NULL, '10.1.0.0/16', '-busy'),
  (3, 0, 0, E'two\nlines, "quoted"', E'cr\rhere', -0.001, '0999-01-01', 'infinity',
   '2026-11-22 10:00:00.123456+00', NULL, NULL, '::1', NULL),
  (4, NULL, NULL, NULL, '@me', 1e20, NULL, NULL, '2026-11-22 10:00:00.1+00', NULL, NULL, NULL, NULL),
  (5, NULL, NULL, E'\ttab', '''quote', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE floats (id int PRIMARY KEY, r double precision);
INSERT INTO floats VALUES (1, 0.1);
"#;

    #[test]
    fn copy_writes_the_bytes_the_row_path_writes() {
        let Some(ts) = TestSchema::new("copy") else {
            return;
        };
        ts.exec(TRICKY);
        let raw = std::env::var(VAR).expect("url");
        let sep = if raw.contains('?') { '&' } else { '?' };
        let url = format!("{raw}{sep}schema={}", ts.name);
        let store = open(&url, Mode::ReadOnly, jiff::civil::date(2026, 11, 22)).expect("store");
        let schema = store.schema().expect("schema");
        let t = schema.table("tricky").expect("tricky");
        let mut rows = Vec::new();
        store
            .scan_all(t, |v| {
                crate::writers::csv::write_record(&mut rows, v)
                    .map_err(|e| crate::error::Error::Runtime(e.to_string()))
            })
            .expect("scan");
        let mut copied = Vec::new();
        let werr = |e: std::io::Error| crate::error::Error::Runtime(e.to_string());
        let n = store.copy_csv(t, &mut copied, &werr).expect("copy");
        assert_eq!(
            String::from_utf8_lossy(&copied),
            String::from_utf8_lossy(&rows)
        );
        assert_eq!(n, Some(5));
        // A real column: its text forms differ, so the rows come one by one.
        let f = schema.table("floats").expect("floats");
        assert_eq!(
            store.copy_csv(f, &mut Vec::new(), &werr).expect("copy"),
            None
        );
    }

    #[test]
    fn record_ends_become_crlf_and_quoted_breaks_stay() {
        let mut c = Crlf::default();
        let mut out = Vec::new();
        // One record split across chunks inside a quoted field with a
        // doubled quote and a line break.
        for chunk in [&b"1,\"a\n"[..], b"b\"\"c\"", b",x\n2,,\"\"\n"] {
            c.feed(chunk, &mut out).expect("feed");
        }
        assert_eq!(out, b"1,\"a\nb\"\"c\",x\r\n2,,\"\"\r\n");
        assert_eq!(c.records, 2);
    }
}
