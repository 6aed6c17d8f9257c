//! XLSX: one worksheet per table, written in rust_xlsxwriter's constant
//! memory mode (each row goes to a scratch file as it is written, so memory
//! does not grow with the table).
//!
//! - Header row bold and frozen; column widths fitted to the longest value
//!   (at most [`MAX_WIDTH`] characters).
//! - Integers and reals are numbers; integers beyond ±2^53, which Excel
//!   cannot hold exactly, are text, as are NaN and infinities.
//! - **Dates**: text in ISO-8601 form (`YYYY-MM-DD`, or a date-time
//!   `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `T` or a space, with or without a
//!   zone) becomes an Excel date (`yyyy-mm-dd`) or date-time
//!   (`yyyy-mm-dd hh:mm:ss`, in UTC), in any column. An integer becomes a
//!   date-time read as Unix seconds only in a *date column* (see
//!   [`is_date_column`]) and only from 100,000,000 to 253,402,300,799
//!   (1973-03-03 to 9999-12-31). Years before 1900 stay text.
//! - Text longer than Excel's cell limit of 32,767 characters is cut, ends
//!   with a marker saying so, and is listed on a last sheet ("Notes").
//! - Sheet names are at most 31 characters, without `[]:*?/\`, and unique;
//!   a table of more than 1,048,575 rows continues on further sheets
//!   ("NAME (2)", …), each with the header row.
//! - NULL is an empty cell; so is the empty text (XLSX cannot tell them
//!   apart; CSV and JSON do).
//! - **For people** ([`Xlsx::for_people`], the extract): sheets are named
//!   by the tables' labels, a header row of labels has the column names in
//!   a second row below it, and values are typed as
//!   [`crate::labels::show`] reads them: dates and times in the map's time
//!   zone in the language's date format, personnummer as `YYYYMMDD-NNNN`;
//!   the information sheet's row counts are numbers and its time a date.

use super::info::{labels, Info, Labels};
use super::{ColumnHead, TableSink};
use crate::labels::show::{self, Present, Shape, Shown, ZoneSpan, UNIX_RANGE};
use crate::labels::Lang;
use crate::value::Value;
use base64::Engine;
use jiff::civil::DateTime;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use std::io::{self, Write};
use std::path::Path;

/// Data rows per sheet: Excel's 1,048,576 rows less the header.
pub const MAX_DATA_ROWS: u32 = 1_048_575;
/// Excel's limit on the characters of one cell (UTF-16 units).
pub const MAX_CELL_CHARS: usize = 32_767;
/// The widest a column is made, in characters.
pub const MAX_WIDTH: usize = 60;
/// The deflate level of the workbook's zip: Excel's own, and the crate's
/// advice. A 1,000,000-row sheet takes 0.6 of level 6's time to save (the
/// crate's default) for 1% more bytes; level 1 saves 7% more time for 65%
/// more bytes.
const ZIP_LEVEL: u8 = 3;
/// Notes listed one by one; beyond this they are counted.
const MAX_NOTES: usize = 10_000;

fn xerr(e: XlsxError) -> io::Error {
    io::Error::other(format!("writing the XLSX workbook failed: {e}"))
}

pub use crate::labels::show::is_date_column;

/// A date or date-time written as ISO-8601 text, as Excel sees it; the bool
/// is true for a date-time.
pub fn iso_datetime(s: &str) -> Option<(ExcelDateTime, bool)> {
    match crate::labels::show::iso(s)? {
        crate::labels::show::Iso::Date(d) => {
            if d.year() < 1900 {
                return None;
            }
            let x =
                ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).ok()?;
            Some((x, false))
        }
        crate::labels::show::Iso::Time(ts) => {
            let z = ts.to_zoned(jiff::tz::TimeZone::UTC);
            if z.year() < 1900 {
                return None;
            }
            let x = ExcelDateTime::from_ymd(z.year() as u16, z.month() as u8, z.day() as u8)
                .and_then(|d| {
                    d.and_hms_milli(
                        z.hour() as u16,
                        z.minute() as u8,
                        z.second() as u8,
                        z.millisecond() as u16,
                    )
                })
                .ok()?;
            Some((x, true))
        }
    }
}

/// Whether exact digits (`12.50`, `-0.001`) survive as a double: at most
/// 15 significant digits, which every double holds exactly as written.
fn exact_in_f64(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits = format!("{int}{frac}");
    digits.trim_start_matches('0').len() <= 15
}

/// A sheet name Excel accepts: no `[]:*?/\`, not starting or ending with
/// `'`, at most 31 characters, unique ignoring case.
pub fn sheet_name(want: &str, used: &mut Vec<String>) -> String {
    let clean: String = want
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let clean = clean.trim_matches('\'').trim();
    let clean = if clean.is_empty() || clean.eq_ignore_ascii_case("history") {
        format!("{clean}_")
    } else {
        clean.to_string()
    };
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let mut name = cut(&clean, 31);
    let mut n = 2;
    while used.contains(&name.to_lowercase()) {
        let suffix = format!(" ({n})");
        name = format!("{}{suffix}", cut(&clean, 31 - suffix.len()));
        n += 1;
    }
    used.push(name.to_lowercase());
    name
}

/// The display width of a text: its longest line, in characters, capped.
fn text_width(s: &str) -> usize {
    s.split('\n')
        .map(|l| l.chars().take(MAX_WIDTH + 1).count())
        .max()
        .unwrap_or(0)
}

/// The sheet being written: the worksheet and what the writer knows of it.
struct Sheet {
    ws: Worksheet,
    m: SheetMeta,
}

struct SheetMeta {
    /// The table's name, for continuation sheets.
    table: String,
    name: String,
    part: u32,
    columns: Vec<ColumnHead>,
    dates: Vec<bool>,
    widths: Vec<usize>,
    /// The next row to write (after the header rows).
    row: u32,
}

pub struct Xlsx {
    wb: Workbook,
    bold: Format,
    date: Format,
    datetime: Format,
    wrap: Format,
    max_rows: u32,
    names: Vec<String>,
    cur: Option<Sheet>,
    /// (sheet, cell, original length) of every cut text.
    notes: Vec<(String, String, usize)>,
    notes_total: usize,
    l: &'static Labels,
    /// For people: how values read, and the header's second row of names.
    people: Option<Present>,
    /// The zone's offset and abbreviation over a span of Unix seconds.
    span: ZoneSpan,
    names_fmt: Format,
}

/// A date as Excel holds it, from 1900 on.
fn excel_date(d: jiff::civil::Date) -> Option<ExcelDateTime> {
    (d.year() >= 1900)
        .then(|| ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).ok())
        .flatten()
}

/// `A1`-style column letters.
fn col_letters(mut c: u16) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

impl Xlsx {
    /// A new workbook whose scratch files go to `tmp` (the output's own
    /// directory, so that a large export does not fill a small /tmp).
    pub fn new(lang: Lang, tmp: &Path) -> io::Result<Xlsx> {
        Xlsx::with_max_rows(lang, tmp, MAX_DATA_ROWS)
    }

    /// As [`Xlsx::new`], with fewer data rows per sheet (for tests).
    pub fn with_max_rows(lang: Lang, tmp: &Path, max_rows: u32) -> io::Result<Xlsx> {
        let mut wb = Workbook::new();
        wb.set_tempdir(tmp).map_err(xerr)?;
        wb.set_zip_compression_level(ZIP_LEVEL);
        Ok(Xlsx {
            wb,
            bold: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            max_rows: max_rows.clamp(1, MAX_DATA_ROWS),
            names: Vec::new(),
            cur: None,
            notes: Vec::new(),
            notes_total: 0,
            l: labels(lang),
            people: None,
            span: ZoneSpan::default(),
            names_fmt: Format::new().set_italic().set_font_color(0x595959),
        })
    }

    /// A workbook for the data subject: labels, typed values in their zone
    /// and language (see the module's notes).
    pub fn for_people(p: Present, tmp: &Path) -> io::Result<Xlsx> {
        let mut x = Xlsx::new(p.lang, tmp)?;
        let (date, datetime) = match p.lang {
            Lang::Sv => ("yyyy-mm-dd", "yyyy-mm-dd hh:mm"),
            Lang::En => ("d mmmm yyyy", "d mmmm yyyy hh:mm"),
        };
        x.date = Format::new()
            .set_num_format(date)
            .set_align(FormatAlign::Left);
        x.datetime = Format::new()
            .set_num_format(datetime)
            .set_align(FormatAlign::Left);
        x.max_rows = MAX_DATA_ROWS - 1;
        x.people = Some(p);
        Ok(x)
    }

    /// The header rows of a sheet: one, or for people two (labels, names).
    fn header_rows(&self) -> u32 {
        if self.people.is_some() {
            2
        } else {
            1
        }
    }

    /// Writes a shown value as a typed cell; the width it needs (that of
    /// its text, counted without writing it: [`Present::shown_width`]).
    fn shown(&mut self, row: u32, col: u16, v: &Shown) -> Result<usize, XlsxError> {
        let Some(p) = self.people.as_ref() else {
            return Ok(0);
        };
        match v {
            Shown::Empty => Ok(0),
            Shown::Number(f) => {
                let width = p.shown_width(v).min(15);
                if let Some(sh) = self.cur.as_mut() {
                    sh.ws.write_number(row, col, *f)?;
                }
                Ok(width)
            }
            Shown::Date(d) => match excel_date(*d) {
                Some(x) => {
                    let width = p.shown_width(v);
                    if let Some(sh) = self.cur.as_mut() {
                        sh.ws.write_datetime_with_format(row, col, &x, &self.date)?;
                    }
                    Ok(width)
                }
                None => {
                    let text = p.shown_text(v);
                    self.text(row, col, &text)
                }
            },
            Shown::DateTime(dt, abbr) => self.time(row, col, *dt, abbr),
            Shown::Text(s) | Shown::BigNumber(s) => self.text(row, col, s),
        }
    }

    /// [`Xlsx::shown`] of a [`Shown::DateTime`]: a local date-time and its
    /// zone's abbreviation then (in the width only; the cell has none).
    fn time(&mut self, row: u32, col: u16, dt: DateTime, abbr: &str) -> Result<usize, XlsxError> {
        let Some(p) = self.people.as_ref() else {
            return Ok(0);
        };
        let x = excel_date(dt.date()).and_then(|x| {
            x.and_hms(dt.hour() as u16, dt.minute() as u8, dt.second() as u8)
                .ok()
        });
        match x {
            Some(x) => {
                let width = p.time_width(dt, abbr).saturating_sub(4);
                if let Some(sh) = self.cur.as_mut() {
                    sh.ws
                        .write_datetime_with_format(row, col, &x, &self.datetime)?;
                }
                Ok(width)
            }
            None => {
                let text = p.shown_text(&Shown::DateTime(dt, abbr.to_string()));
                self.text(row, col, &text)
            }
        }
    }

    /// A value for people: as [`Present::value`] reads it, then
    /// [`Xlsx::shown`]; Unix seconds (their zone asked once per span
    /// between its transitions) and plain text written without a
    /// [`Shown`] of their own, to the same cells.
    fn people_cell(&mut self, row: u32, col: u16, v: &Value) -> Result<usize, XlsxError> {
        let Some(p) = self.people.as_ref() else {
            return Ok(0);
        };
        let shape = self
            .cur
            .as_ref()
            .and_then(|s| s.m.columns.get(col as usize))
            .map_or(Shape::Plain, |c| c.shape);
        match v {
            Value::Integer(i) if shape == Shape::Date && UNIX_RANGE.contains(i) => {
                if let Ok(ts) = jiff::Timestamp::from_second(*i) {
                    let mut span = std::mem::take(&mut self.span);
                    let (offset, abbr) = span.at(&p.tz, ts);
                    let got = self.time(row, col, offset.to_datetime(ts), abbr);
                    self.span = span;
                    return got;
                }
            }
            Value::Text(s) if shape != Shape::Personnummer && show::iso(s).is_none() => {
                return self.text(row, col, s);
            }
            _ => {}
        }
        let shown = p.value(v, shape);
        self.shown(row, col, &shown)
    }

    /// The first sheet: the Art. 15 information.
    pub fn info_sheet(&mut self, info: &Info) -> io::Result<()> {
        let name = sheet_name(self.l.about, &mut self.names);
        let (bold, wrap) = (self.bold.clone(), self.wrap.clone());
        let ws = self.wb.add_worksheet();
        ws.set_name(&name).map_err(xerr)?;
        ws.write_string_with_format(0, 0, &info.title, &bold)
            .map_err(xerr)?;
        let mut r = 2u32;
        let (date, datetime) = (self.date.clone(), self.datetime.clone());
        for (k, v) in &info.general {
            ws.write_string_with_format(r, 0, k, &bold).map_err(xerr)?;
            match v {
                Shown::DateTime(dt, _) => {
                    let x =
                        ExcelDateTime::from_ymd(dt.year() as u16, dt.month() as u8, dt.day() as u8)
                            .and_then(|x| {
                                x.and_hms(dt.hour() as u16, dt.minute() as u8, dt.second() as u8)
                            })
                            .map_err(xerr)?;
                    ws.write_datetime_with_format(r, 1, &x, &datetime)
                        .map_err(xerr)?;
                }
                Shown::Date(d) => {
                    let x =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .map_err(xerr)?;
                    ws.write_datetime_with_format(r, 1, &x, &date)
                        .map_err(xerr)?;
                }
                Shown::Number(f) => {
                    ws.write_number(r, 1, *f).map_err(xerr)?;
                }
                Shown::Empty => {}
                Shown::Text(s) | Shown::BigNumber(s) => {
                    ws.write_string_with_format(r, 1, s, &wrap).map_err(xerr)?;
                }
            }
            r += 1;
        }
        r += 1;
        for (c, h) in info.table_labels.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, h, &bold)
                .map_err(xerr)?;
        }
        r += 1;
        let top = Format::new()
            .set_align(FormatAlign::Top)
            .set_align(FormatAlign::Left);
        for (row, count) in &info.tables {
            for (c, v) in row.iter().enumerate() {
                ws.write_string_with_format(r, c as u16, v, &wrap)
                    .map_err(xerr)?;
            }
            ws.write_number_with_format(r, row.len() as u16, *count as f64, &top)
                .map_err(xerr)?;
            r += 1;
        }
        r += 1;
        ws.write_string_with_format(r, 0, &info.rights.0, &bold)
            .map_err(xerr)?;
        ws.write_string_with_format(r, 1, &info.rights.1, &wrap)
            .map_err(xerr)?;
        ws.set_column_width(0, 30).map_err(xerr)?;
        for c in 1..info.table_labels.len().max(2) {
            ws.set_column_width(c as u16, 40).map_err(xerr)?;
        }
        Ok(())
    }

    fn open_sheet(&mut self, table: &str, part: u32, columns: Vec<ColumnHead>) -> io::Result<()> {
        let want = if part == 1 {
            table.to_string()
        } else {
            format!("{table} ({part})")
        };
        let name = sheet_name(&want, &mut self.names);
        let mut ws = self.wb.new_worksheet_with_constant_memory().map_err(xerr)?;
        ws.set_name(&name).map_err(xerr)?;
        let mut widths = Vec::with_capacity(columns.len());
        for (c, h) in columns.iter().enumerate() {
            let c16 = u16::try_from(c)
                .ok()
                .filter(|c| *c < 16_384)
                .ok_or_else(|| {
                    io::Error::other(format!(
                        "table {table} has {} columns, more than an XLSX sheet holds (16,384); use --format csv or json",
                        columns.len()
                    ))
                })?;
            // Constant memory: a row is done once the next one is begun,
            // so the labels go first and the names row after them.
            let mut width = text_width(&h.name);
            if self.people.is_some() {
                ws.write_string_with_format(0, c16, h.title(), &self.bold)
                    .map_err(xerr)?;
                width = width.max(text_width(h.title()));
            } else {
                ws.write_string_with_format(0, c16, &h.name, &self.bold)
                    .map_err(xerr)?;
            }
            widths.push(width + 2);
        }
        if self.people.is_some() {
            for (c, h) in columns.iter().enumerate() {
                ws.write_string_with_format(1, c as u16, &h.name, &self.names_fmt)
                    .map_err(xerr)?;
            }
        }
        ws.set_freeze_panes(self.header_rows(), 0).map_err(xerr)?;
        let dates = columns
            .iter()
            .map(|c| c.shape == crate::labels::show::Shape::Date)
            .collect();
        self.cur = Some(Sheet {
            ws,
            m: SheetMeta {
                table: table.to_string(),
                name,
                part,
                columns,
                dates,
                widths,
                row: self.header_rows(),
            },
        });
        Ok(())
    }

    fn close_sheet(&mut self) -> io::Result<Option<SheetMeta>> {
        let Some(Sheet { mut ws, m }) = self.cur.take() else {
            return Ok(None);
        };
        for (c, w) in m.widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w).clamp(6, MAX_WIDTH) as f64)
                .map_err(xerr)?;
        }
        self.wb.push_worksheet(ws);
        Ok(Some(m))
    }

    fn text(&mut self, row: u32, col: u16, s: &str) -> Result<usize, XlsxError> {
        let Some(sh) = self.cur.as_mut() else {
            return Ok(0);
        };
        let units = s.encode_utf16().count();
        if units <= MAX_CELL_CHARS {
            sh.ws.write_string(row, col, s)?;
            return Ok(text_width(s));
        }
        let marker = format!(" […] ({}; {units})", self.l.cut);
        let room = MAX_CELL_CHARS - marker.encode_utf16().count();
        let mut kept = String::new();
        let mut used = 0;
        for ch in s.chars() {
            used += ch.len_utf16();
            if used > room {
                break;
            }
            kept.push(ch);
        }
        kept.push_str(&marker);
        sh.ws.write_string(row, col, &kept)?;
        self.notes_total += 1;
        if self.notes.len() < MAX_NOTES {
            self.notes.push((
                sh.m.name.clone(),
                format!("{}{}", col_letters(col), row + 1),
                units,
            ));
        }
        Ok(MAX_WIDTH)
    }

    fn cell(&mut self, row: u32, col: u16, v: &Value) -> Result<usize, XlsxError> {
        if self.people.is_some() {
            return self.people_cell(row, col, v);
        }
        let Some(sh) = self.cur.as_mut() else {
            return Ok(0);
        };
        let is_date = sh.m.dates.get(col as usize).copied().unwrap_or(false);
        match v {
            Value::Null => Ok(0),
            Value::Integer(i) if is_date && (100_000_000..253_402_300_800).contains(i) => {
                let d = ExcelDateTime::from_timestamp(*i)?;
                sh.ws
                    .write_datetime_with_format(row, col, &d, &self.datetime)?;
                Ok(19)
            }
            Value::Integer(i) if i.unsigned_abs() <= 1 << 53 => {
                sh.ws.write_number(row, col, *i as f64)?;
                Ok(show::int_width(*i))
            }
            Value::Integer(i) => self.text(row, col, &i.to_string()),
            Value::Real(f) if f.is_finite() => {
                sh.ws.write_number(row, col, *f)?;
                Ok(show::display_width(*f).min(15))
            }
            Value::Real(f) => self.text(row, col, &f.to_string()),
            Value::Text(s) => match iso_datetime(s) {
                Some((d, true)) => {
                    sh.ws
                        .write_datetime_with_format(row, col, &d, &self.datetime)?;
                    Ok(19)
                }
                Some((d, false)) => {
                    sh.ws.write_datetime_with_format(row, col, &d, &self.date)?;
                    Ok(10)
                }
                None => self.text(row, col, s),
            },
            Value::Blob(b) => self.text(
                row,
                col,
                &base64::engine::general_purpose::STANDARD.encode(b),
            ),
            Value::Bool(b) => {
                sh.ws.write_boolean(row, col, *b)?;
                Ok(5)
            }
            // A number cell where a double holds the digits exactly
            // (Excel's numbers are doubles); otherwise the digits as text.
            Value::Numeric(s) if exact_in_f64(s) => {
                sh.ws
                    .write_number(row, col, s.parse::<f64>().unwrap_or(0.0))?;
                Ok(s.len())
            }
            v => self.text(row, col, &v.display_text().unwrap_or_default()),
        }
    }

    /// Adds the notes sheet (when any text was cut) and writes the
    /// workbook.
    pub fn finish(mut self, w: impl Write + Send) -> io::Result<()> {
        self.close_sheet()?;
        if self.notes_total > 0 {
            let name = sheet_name(self.l.notes, &mut self.names);
            let l = self.l;
            let bold = self.bold.clone();
            let ws = self.wb.add_worksheet();
            ws.set_name(&name).map_err(xerr)?;
            for (c, h) in [l.note_sheet, l.note_cell, l.note_text].iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *h, &bold)
                    .map_err(xerr)?;
            }
            let mut r = 1;
            for (sheet, cell, units) in &self.notes {
                ws.write_string(r, 0, sheet).map_err(xerr)?;
                ws.write_string(r, 1, cell).map_err(xerr)?;
                ws.write_string(r, 2, format!("{} ({units})", l.cut))
                    .map_err(xerr)?;
                r += 1;
            }
            if self.notes_total > self.notes.len() {
                ws.write_string(r, 2, format!("+ {}", self.notes_total - self.notes.len()))
                    .map_err(xerr)?;
            }
            ws.set_freeze_panes(1, 0).map_err(xerr)?;
            ws.set_column_width(0, 31).map_err(xerr)?;
            ws.set_column_width(2, 60).map_err(xerr)?;
        }
        self.wb.save_to_writer(w).map_err(xerr)
    }
}

impl TableSink for Xlsx {
    fn begin_table(&mut self, name: &str, columns: &[ColumnHead]) -> io::Result<()> {
        self.close_sheet()?;
        self.open_sheet(name, 1, columns.to_vec())
    }

    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        let full = self
            .cur
            .as_ref()
            .is_some_and(|s| s.m.row >= self.max_rows + self.header_rows());
        if full {
            if let Some(m) = self.close_sheet()? {
                self.open_sheet(&m.table, m.part + 1, m.columns)?;
            }
        }
        let Some(row) = self.cur.as_ref().map(|s| s.m.row) else {
            return Ok(());
        };
        for (c, v) in values.iter().enumerate() {
            let w = self.cell(row, c as u16, v).map_err(xerr)?;
            if let Some(s) = self.cur.as_mut() {
                if let Some(cw) = s.m.widths.get_mut(c) {
                    *cw = (*cw).max(w + 1);
                }
            }
        }
        if let Some(s) = self.cur.as_mut() {
            s.m.row += 1;
        }
        Ok(())
    }

    fn end_table(&mut self) -> io::Result<()> {
        self.close_sheet().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn exact_numbers_are_number_cells_only_when_a_double_holds_them() {
        assert!(
            exact_in_f64("12.50") && exact_in_f64("-0.000123") && exact_in_f64("123456789012345")
        );
        assert!(!exact_in_f64("1234567890123456"));
        assert!(!exact_in_f64("NaN") && !exact_in_f64("1e5") && !exact_in_f64(""));
    }

    use super::*;

    #[test]
    fn sheet_names_fit_excel() {
        let mut used = Vec::new();
        assert_eq!(sheet_name("customers", &mut used), "customers");
        assert_eq!(sheet_name("Customers", &mut used), "Customers (2)");
        assert_eq!(sheet_name("a/b:c?", &mut used), "a_b_c_");
        let long = "x".repeat(40);
        assert_eq!(sheet_name(&long, &mut used), "x".repeat(31));
        assert_eq!(
            sheet_name(&long, &mut used),
            format!("{} (2)", "x".repeat(27))
        );
        assert_eq!(sheet_name("'q'", &mut used), "q");
    }

    #[test]
    fn the_date_rule() {
        assert!(is_date_column("created_at", None));
        assert!(is_date_column("paid_on", None));
        assert!(is_date_column("hired", None));
        assert!(is_date_column("closed", Some("contract.dates")));
        assert!(!is_date_column("amount", Some("financial.invoice")));
        assert!(!is_date_column("attempts", None));
        assert!(iso_datetime("2024-06-25").is_some_and(|(_, t)| !t));
        assert!(iso_datetime("2024-05-01T10:00:00Z").is_some_and(|(_, t)| t));
        assert!(iso_datetime("2024-05-01 10:00").is_some_and(|(_, t)| t));
        assert!(iso_datetime("2024-05").is_none());
        assert!(iso_datetime("2024-05-01 is a date").is_none());
        assert!(iso_datetime("1700000000").is_none());
        assert!(iso_datetime("1899-12-31").is_none());
    }

    #[test]
    fn columns_are_lettered() {
        assert_eq!(col_letters(0), "A");
        assert_eq!(col_letters(25), "Z");
        assert_eq!(col_letters(26), "AA");
        assert_eq!(col_letters(701), "ZZ");
        assert_eq!(col_letters(702), "AAA");
    }

    /// Writes a workbook with `max_rows` data rows per sheet and reads it
    /// back: (sheet name, cells as text).
    fn round_trip(max_rows: u32, rows: &[Vec<Value>]) -> Vec<(String, Vec<Vec<calamine::Data>>)> {
        use calamine::Reader;
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("t.xlsx");
        let mut x = Xlsx::with_max_rows(Lang::En, dir.path(), max_rows).expect("new");
        let cols = [ColumnHead::new("v", None)];
        x.begin_table("t", &cols).expect("begin");
        for r in rows {
            x.row(r).expect("row");
        }
        x.end_table().expect("end");
        let f = std::fs::File::create(&path).expect("create");
        x.finish(std::io::BufWriter::new(f)).expect("finish");
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("open");
        wb.sheet_names()
            .into_iter()
            .map(|n| {
                let r = wb.worksheet_range(&n).expect("range");
                (n, r.rows().map(|r| r.to_vec()).collect())
            })
            .collect()
    }

    #[test]
    fn a_long_table_continues_on_further_sheets() {
        use calamine::Data;
        let rows: Vec<Vec<Value>> = (1..=5).map(|i| vec![Value::Integer(i)]).collect();
        let got = round_trip(2, &rows);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["t", "t (2)", "t (3)"]);
        let h = Data::String("v".into());
        assert_eq!(
            got[0].1,
            vec![
                vec![h.clone()],
                vec![Data::Float(1.0)],
                vec![Data::Float(2.0)]
            ]
        );
        assert_eq!(got[2].1, vec![vec![h], vec![Data::Float(5.0)]]);
    }

    #[test]
    fn over_long_text_is_cut_visibly_and_noted() {
        use calamine::Data;
        let long = "ä".repeat(MAX_CELL_CHARS + 10);
        let got = round_trip(
            MAX_DATA_ROWS,
            &[vec![Value::Text(long)], vec![Value::Text("short".into())]],
        );
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["t", "Notes"]);
        let Data::String(cell) = &got[0].1[1][0] else {
            panic!("{:?}", got[0].1[1][0]);
        };
        assert_eq!(cell.encode_utf16().count(), MAX_CELL_CHARS);
        assert!(cell.ends_with(&format!(
            "[…] (cut at Excel's limit of 32,767 characters; {})",
            MAX_CELL_CHARS + 10
        )));
        assert_eq!(got[0].1[2][0], Data::String("short".into()));
        assert_eq!(
            got[1].1[1],
            vec![
                Data::String("t".into()),
                Data::String("A2".into()),
                Data::String(format!(
                    "cut at Excel's limit of 32,767 characters ({})",
                    MAX_CELL_CHARS + 10
                )),
            ]
        );
    }
}

#[cfg(test)]
mod people_tests;
