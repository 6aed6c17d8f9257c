//! The `dsr.export/1` document of a whole-tenant export, written as rows
//! are read, one row per line:
//!
//! ```json
//! {
//!   "schema": "dsr.export/1",
//!   "scope": "tenant",
//!   "generated_at": "…",
//!   "controller": { … },
//!   "tables": {
//!     "customers": {
//!       "purpose": "…",
//!       "legal_basis": "contract",
//!       "columns": ["id", "name", …],
//!       "rows": [
//!         {"id":1,"name":"Anna Berg",…},
//!         …
//!       ]
//!     }
//!   }
//! }
//! ```

use super::{ColumnHead, TableSink};
use crate::value::Value;
use base64::Engine;
use serde_json::Value as Json;
use std::io::{self, Write};

/// Per table: the fields written before its columns and rows.
pub type TableMeta = Box<dyn Fn(&str) -> Json>;

pub struct JsonStream<W: Write> {
    w: W,
    /// Per table: purpose and legal basis, written before its rows.
    meta: TableMeta,
    tables: usize,
    rows: u64,
    keys: Vec<String>,
}

fn string(w: &mut impl Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *w, s).map_err(io::Error::from)
}

/// Writes one value, keeping its SQL type.
pub fn write_value(w: &mut impl Write, v: &Value) -> io::Result<()> {
    match v {
        Value::Null => w.write_all(b"null"),
        Value::Integer(i) => write!(w, "{i}"),
        Value::Real(f) if f.is_finite() => write!(w, "{f:?}"),
        Value::Real(_) => w.write_all(b"null"),
        Value::Text(s) => string(w, s),
        Value::Blob(b) => string(w, &base64::engine::general_purpose::STANDARD.encode(b)),
        // Compact, on one line (a `json` document may hold line breaks).
        Value::Bool(_) | Value::Numeric(_) | Value::Json(_) | Value::Array(_) => {
            serde_json::to_writer(&mut *w, &v.to_json()).map_err(io::Error::from)
        }
    }
}

impl<W: Write> JsonStream<W> {
    /// Writes the head of the document; `head` holds the fields before
    /// `tables` (schema, scope, generated_at, controller).
    pub fn start(mut w: W, head: &Json, meta: TableMeta) -> io::Result<Self> {
        w.write_all(b"{\n")?;
        for (k, v) in head.as_object().into_iter().flatten() {
            w.write_all(b"  ")?;
            string(&mut w, k)?;
            w.write_all(b": ")?;
            serde_json::to_writer(&mut w, v)?;
            w.write_all(b",\n")?;
        }
        w.write_all(b"  \"tables\": {")?;
        Ok(JsonStream {
            w,
            meta,
            tables: 0,
            rows: 0,
            keys: Vec::new(),
        })
    }

    /// Closes the document and hands back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.write_all(if self.tables > 0 {
            b"\n  }\n}\n"
        } else {
            b"}\n}\n"
        })?;
        Ok(self.w)
    }
}

impl<W: Write> TableSink for JsonStream<W> {
    fn begin_table(&mut self, name: &str, columns: &[ColumnHead]) -> io::Result<()> {
        let w = &mut self.w;
        w.write_all(if self.tables > 0 {
            b",\n    "
        } else {
            b"\n    "
        })?;
        self.tables += 1;
        string(w, name)?;
        w.write_all(b": {")?;
        for (k, v) in (self.meta)(name).as_object().into_iter().flatten() {
            w.write_all(b"\n      ")?;
            string(w, k)?;
            w.write_all(b": ")?;
            serde_json::to_writer(&mut *w, v)?;
            w.write_all(b",")?;
        }
        w.write_all(b"\n      \"columns\": ")?;
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        serde_json::to_writer(&mut *w, &names)?;
        w.write_all(b",\n      \"rows\": [")?;
        self.keys = names
            .iter()
            .map(|n| serde_json::to_string(n).unwrap_or_else(|_| "\"\"".into()))
            .collect();
        self.rows = 0;
        Ok(())
    }

    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        let w = &mut self.w;
        w.write_all(if self.rows > 0 {
            b",\n        {"
        } else {
            b"\n        {"
        })?;
        self.rows += 1;
        for (i, (k, v)) in self.keys.iter().zip(values).enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(k.as_bytes())?;
            w.write_all(b":")?;
            write_value(w, v)?;
        }
        w.write_all(b"}")
    }

    fn end_table(&mut self) -> io::Result<()> {
        self.w.write_all(if self.rows > 0 {
            b"\n      ]\n    }"
        } else {
            b"]\n    }"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_stream_is_one_valid_document() {
        let head = json!({ "schema": "dsr.export/1", "scope": "tenant" });
        let mut s = JsonStream::start(
            Vec::new(),
            &head,
            Box::new(|t| json!({ "purpose": format!("p {t}") })),
        )
        .expect("start");
        let cols = [ColumnHead::new("id", None), ColumnHead::new("x\"y", None)];
        s.begin_table("a", &cols).expect("begin");
        s.row(&[Value::Integer(1), Value::Text("é\n".into())])
            .expect("row");
        s.row(&[Value::Real(2.5), Value::Blob(vec![1, 2])])
            .expect("row");
        s.end_table().expect("end");
        s.begin_table("empty", &cols).expect("begin");
        s.end_table().expect("end");
        let out = s.finish().expect("finish");
        let doc: Json = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(
            doc,
            json!({ "schema": "dsr.export/1", "scope": "tenant", "tables": {
                "a": { "purpose": "p a", "columns": ["id", "x\"y"],
                       "rows": [ { "id": 1, "x\"y": "é\n" }, { "id": 2.5, "x\"y": "AQI=" } ] },
                "empty": { "purpose": "p empty", "columns": ["id", "x\"y"], "rows": [] } } })
        );
        let empty = JsonStream::start(Vec::new(), &head, Box::new(|_| json!({})))
            .and_then(|s| s.finish())
            .expect("empty");
        let doc: Json = serde_json::from_slice(&empty).expect("valid JSON");
        assert_eq!(doc["tables"], json!({}));
    }
}
