//! CSV: a directory with one RFC 4180 file per table (UTF-8, CRLF line
//! ends, a header row).
//!
//! - **NULL and the empty string differ**: NULL is an empty unquoted field,
//!   the empty string is `""`.
//! - **Formula injection**: a text value that begins with `=`, `+`, `-`,
//!   `@`, a tab, a carriage return, or `'` gets one `'` put in front, so that
//!   a spreadsheet shows it as text and never runs it; removing one leading
//!   `'` from such a value gives back the stored text. Numbers are written as
//!   they are (`-5` stays `-5`).
//! - Integers as digits, reals in Rust's shortest round-trip form with a
//!   decimal point (`8.0`, `7.5`), blobs as base64 text; PostgreSQL's
//!   booleans as `true`/`false`, exact numbers with their digits (`12.50`),
//!   JSON documents and arrays as compact JSON text.
//! - A field is quoted when it holds a comma, a quote, CR or LF, or is
//!   empty text; quotes inside are doubled.
//! - **For people** (the extract, [`CsvDir::for_people`]): every file opens
//!   with a UTF-8 byte order mark, so that Excel reads å, ä and ö right, and
//!   the header names each column by its label with the column's name in
//!   brackets (`Personnummer (pnr)`). The values are as stored, so that the
//!   files stay machine-readable (Art. 20). An `export` is for machines: no
//!   mark, bare names.

use super::{ColumnHead, PendingDir, TableSink};
use crate::value::Value;
use base64::Engine;
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Writes the tables of one export or extract into a [`PendingDir`].
pub struct CsvDir<'a> {
    dir: &'a PendingDir,
    names: Vec<String>,
    cur: Option<BufWriter<File>>,
    /// Files written, as (file name, data rows).
    pub files: Vec<(String, u64)>,
    people: bool,
}

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The field text of one value (without quoting).
fn neutralise(s: &str) -> Option<String> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\'') => Some(format!("'{s}")),
        _ => None,
    }
}

/// Writes one text field, quoted where RFC 4180 requires it (and when
/// empty, so that it differs from NULL).
pub fn write_text(w: &mut impl Write, s: &str) -> io::Result<()> {
    let fixed = neutralise(s);
    let s = fixed.as_deref().unwrap_or(s);
    if s.is_empty() || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        w.write_all(b"\"")?;
        let mut rest = s;
        while let Some(i) = rest.find('"') {
            w.write_all(&rest.as_bytes()[..=i])?;
            w.write_all(b"\"")?;
            rest = &rest[i + 1..];
        }
        w.write_all(rest.as_bytes())?;
        w.write_all(b"\"")
    } else {
        w.write_all(s.as_bytes())
    }
}

/// Writes one value as a field.
pub fn write_value(w: &mut impl Write, v: &Value) -> io::Result<()> {
    match v {
        Value::Null => Ok(()),
        Value::Integer(i) => write!(w, "{i}"),
        Value::Real(f) => write!(w, "{f:?}"),
        Value::Text(s) => write_text(w, s),
        Value::Blob(b) => write_text(w, &base64::engine::general_purpose::STANDARD.encode(b)),
        // A number, as numbers are; JSON and arrays are text to a
        // spreadsheet (and neutralised like any text).
        Value::Bool(_) | Value::Numeric(_) => {
            w.write_all(v.display_text().unwrap_or_default().as_bytes())
        }
        Value::Json(_) | Value::Array(_) => write_text(w, &v.display_text().unwrap_or_default()),
    }
}

/// Writes one record: fields separated by commas, ended by CRLF.
pub fn write_record(w: &mut impl Write, values: &[Value]) -> io::Result<()> {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_value(w, v)?;
    }
    w.write_all(b"\r\n")
}

/// A file name for a table: letters, digits, `_`, `-` and `.` kept, any
/// other run of characters becomes one `-`; unique in the directory
/// (ignoring case), `.csv` added.
pub fn file_name(table: &str, used: &mut Vec<String>) -> String {
    let mut base = String::new();
    for c in table.chars() {
        if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
            base.push(c);
        } else if !base.ends_with('-') {
            base.push('-');
        }
    }
    let base = base.trim_matches(|c| c == '-' || c == '.').to_string();
    let base = if base.is_empty() {
        "table".into()
    } else {
        base
    };
    let mut name = format!("{base}.csv");
    let mut n = 2;
    while used.contains(&name.to_lowercase()) {
        name = format!("{base}-{n}.csv");
        n += 1;
    }
    used.push(name.to_lowercase());
    name
}

impl<'a> CsvDir<'a> {
    pub fn new(dir: &'a PendingDir) -> CsvDir<'a> {
        CsvDir {
            dir,
            names: Vec::new(),
            cur: None,
            files: Vec::new(),
            people: false,
        }
    }

    /// Files for people: a byte order mark, labelled headers.
    pub fn for_people(dir: &'a PendingDir) -> CsvDir<'a> {
        CsvDir {
            people: true,
            ..CsvDir::new(dir)
        }
    }

    /// Writes a whole small file of text records (the Art. 15 information).
    pub fn text_file(&mut self, name: &str, records: &[Vec<String>]) -> io::Result<()> {
        let name = file_name(name.trim_end_matches(".csv"), &mut self.names);
        let mut w = self.dir.file(&name)?;
        if self.people {
            w.write_all(BOM)?;
        }
        for r in records {
            let vals: Vec<Value> = r
                .iter()
                .map(|s| match s.is_empty() {
                    true => Value::Null,
                    false => Value::Text(s.clone()),
                })
                .collect();
            write_record(&mut w, &vals)?;
        }
        finish(w)?;
        self.files
            .push((name, records.len().saturating_sub(1) as u64));
        Ok(())
    }
}

fn finish(w: BufWriter<File>) -> io::Result<()> {
    let f = w.into_inner().map_err(|e| e.into_error())?;
    f.sync_all()
}

impl CsvDir<'_> {
    /// Lets `write` put the current table's records (CRLF, no header) into
    /// its file directly; the records it wrote, or `None` when it wrote
    /// nothing and the rows must come through [`TableSink::row`].
    pub fn records<E>(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> Result<Option<u64>, E>,
    ) -> Result<Option<u64>, E> {
        let (Some(w), Some(f)) = (self.cur.as_mut(), self.files.last_mut()) else {
            return Ok(None);
        };
        let n = write(w)?;
        f.1 += n.unwrap_or(0);
        Ok(n)
    }
}

impl TableSink for CsvDir<'_> {
    fn begin_table(&mut self, name: &str, columns: &[ColumnHead]) -> io::Result<()> {
        let file = file_name(name, &mut self.names);
        let mut w = self.dir.file(&file)?;
        if self.people {
            w.write_all(BOM)?;
        }
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            match (&c.label, self.people) {
                (Some(l), true) if *l != c.name => {
                    write_text(&mut w, &format!("{l} ({})", c.name))?
                }
                _ => write_text(&mut w, &c.name)?,
            }
        }
        w.write_all(b"\r\n")?;
        self.cur = Some(w);
        self.files.push((file, 0));
        Ok(())
    }

    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        if let (Some(w), Some(f)) = (self.cur.as_mut(), self.files.last_mut()) {
            write_record(w, values)?;
            f.1 += 1;
        }
        Ok(())
    }

    fn end_table(&mut self) -> io::Result<()> {
        match self.cur.take() {
            Some(w) => finish(w),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(values: &[Value]) -> String {
        let mut out = Vec::new();
        write_record(&mut out, values).expect("write");
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn null_and_empty_text_differ_and_quotes_double() {
        assert_eq!(
            rec(&[
                Value::Null,
                Value::Text(String::new()),
                Value::Text("a \"b\", c\nd".into()),
                Value::Integer(-5),
                Value::Real(8.0),
            ]),
            ",\"\",\"a \"\"b\"\", c\nd\",-5,8.0\r\n"
        );
    }

    #[test]
    fn native_values_keep_their_form() {
        assert_eq!(
            rec(&[
                Value::Bool(true),
                Value::Numeric("-12.50".into()),
                Value::Json(r#"{"a": "x,y"}"#.into()),
                Value::Array(vec![Value::Integer(-1), Value::Null]),
            ]),
            "true,-12.50,\"{\"\"a\"\":\"\"x,y\"\"}\",\"[-1,null]\"\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_in_text_only() {
        assert_eq!(
            rec(&[
                Value::Text("=1+1".into()),
                Value::Text("-5".into()),
                Value::Text("@SUM(A1)".into()),
                Value::Text("'quoted".into()),
                Value::Text("a=b".into()),
                Value::Integer(-7),
            ]),
            "'=1+1,'-5,'@SUM(A1),''quoted,a=b,-7\r\n"
        );
    }

    #[test]
    fn file_names_are_safe_and_unique() {
        let mut used = Vec::new();
        assert_eq!(file_name("customers", &mut used), "customers.csv");
        assert_eq!(file_name("Customers", &mut used), "Customers-2.csv");
        assert_eq!(file_name("../etc/x y", &mut used), "etc-x-y.csv");
        assert_eq!(
            file_name("messages (mentions)", &mut used),
            "messages-mentions.csv"
        );
    }
}
