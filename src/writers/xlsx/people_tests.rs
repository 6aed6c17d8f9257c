//! The cells of a workbook for people, read back: Unix seconds in a date
//! column as local date-times (in summer and winter time), ISO text as
//! dates and times, numbers, personnummer, and what stays text.

use super::*;
use crate::labels::show::Shape;
use calamine::{Data, Reader};

/// Writes one table for people in `lang` (zone Europe/Stockholm) and reads
/// its sheet back, the two header rows included.
fn people_sheet(lang: Lang, columns: &[ColumnHead], rows: &[Vec<Value>]) -> Vec<Vec<Data>> {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("p.xlsx");
    let p = Present {
        lang,
        tz: jiff::tz::TimeZone::get("Europe/Stockholm").expect("tz"),
        tz_name: "Europe/Stockholm".into(),
        today: jiff::civil::date(2026, 11, 22),
    };
    let mut x = Xlsx::for_people(p, dir.path()).expect("new");
    x.begin_table("Readings", columns).expect("begin");
    for r in rows {
        x.row(r).expect("row");
    }
    x.end_table().expect("end");
    let f = std::fs::File::create(&path).expect("create");
    x.finish(std::io::BufWriter::new(f)).expect("finish");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("open");
    let r = wb.worksheet_range("Readings").expect("range");
    r.rows().map(|r| r.to_vec()).collect()
}

fn column(name: &str, shape: Shape) -> ColumnHead {
    ColumnHead {
        name: name.into(),
        category: None,
        label: Some(format!("The {name}")),
        shape,
    }
}

/// The Excel serial of a local date and time.
fn serial(y: u16, mo: u8, d: u8, h: u16, mi: u8, s: u8) -> f64 {
    ExcelDateTime::from_ymd(y, mo, d)
        .and_then(|x| x.and_hms(h, mi, s))
        .expect("date")
        .to_excel()
}

fn time_of(d: &Data) -> f64 {
    match d {
        Data::DateTime(x) => x.as_f64(),
        other => panic!("not a date-time: {other:?}"),
    }
}

#[test]
fn values_for_people_are_typed_cells_in_the_zone() {
    let columns = [
        column("read_at", Shape::Date),
        column("month", Shape::Plain),
        column("kwh", Shape::Plain),
        column("pnr", Shape::Personnummer),
    ];
    let rows = vec![
        vec![
            Value::Integer(1_700_000_000),
            Value::Text("g00000001".into()),
            Value::Real(12.5),
            Value::Text("811218-9876".into()),
        ],
        vec![
            Value::Integer(1_719_792_000),
            Value::Text("2024-05-01T10:00:00Z".into()),
            Value::Integer(7),
            Value::Null,
        ],
        vec![
            Value::Integer(5),
            Value::Text("2018-06-25".into()),
            Value::Numeric("12.50".into()),
            Value::Text("not one".into()),
        ],
        vec![
            Value::Text("1899-12-31".into()),
            Value::Text(String::new()),
            Value::Integer(1 << 60),
            Value::Bool(true),
        ],
    ];
    for lang in [Lang::Sv, Lang::En] {
        let got = people_sheet(lang, &columns, &rows);
        let s = |t: &str| Data::String(t.into());
        assert_eq!(
            got[0],
            vec![s("The read_at"), s("The month"), s("The kwh"), s("The pnr")]
        );
        assert_eq!(got[1], vec![s("read_at"), s("month"), s("kwh"), s("pnr")]);
        // 2023-11-14 22:13:20 UTC: 23:13:20 in Stockholm (winter time).
        assert_eq!(time_of(&got[2][0]), serial(2023, 11, 14, 23, 13, 20));
        assert_eq!(
            got[2][1..],
            [s("g00000001"), Data::Float(12.5), s("19811218-9876")]
        );
        // 2024-07-01 00:00 UTC: 02:00 (summer time); text with a zone too.
        assert_eq!(time_of(&got[3][0]), serial(2024, 7, 1, 2, 0, 0));
        assert_eq!(time_of(&got[3][1]), serial(2024, 5, 1, 12, 0, 0));
        assert_eq!(got[3][2..], [Data::Float(7.0), Data::Empty]);
        // Small integers in a date column stay numbers; a date is a date.
        assert_eq!(got[4][0], Data::Float(5.0));
        assert_eq!(time_of(&got[4][1]), serial(2018, 6, 25, 0, 0, 0));
        assert_eq!(got[4][2..], [Data::Float(12.5), s("not one")]);
        // Before 1900 and beyond a double: text; the empty text no cell.
        let yes = if lang == Lang::Sv { "Ja" } else { "Yes" };
        let old = if lang == Lang::Sv {
            "1899-12-31"
        } else {
            "31 December 1899"
        };
        assert_eq!(
            got[5],
            vec![s(old), Data::Empty, s(&(1i64 << 60).to_string()), s(yes)]
        );
    }
}
