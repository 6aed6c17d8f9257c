//! The demo's data: identifiers valid and in mixed forms, dates on both
//! sides of every rule, mentions of other people in the free text.

use super::calendar::{
    civil_from_days, date_text, datetime_text, days_from_civil, years_before, Clock,
};
use super::generate;
use super::idents::{capitalised, luhn, phone_text, pnr_text, PhoneForm, PnrForm};
use super::tests::{count, open, texts, today};
use std::collections::{HashMap, HashSet};

/// A stored personnummer as its ten digits, checked for shape.
pub(super) fn ten_digits(s: &str) -> String {
    let digits: String = s.chars().filter(|c| *c != '-' && *c != '+').collect();
    assert!(digits.chars().all(|c| c.is_ascii_digit()), "{s}");
    match digits.len() {
        12 => digits[2..].to_string(),
        10 => digits,
        _ => panic!("personnummer {s} has neither 10 nor 12 digits"),
    }
}

fn luhn_ok(ten: &str) -> bool {
    let sum: u32 = ten
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let p = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    sum.is_multiple_of(10)
}

pub(super) fn phone_digits(s: &str) -> String {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    d.strip_prefix("46").map(|r| format!("0{r}")).unwrap_or(d)
}

#[test]
fn identifiers_are_valid_unique_and_in_mixed_forms() {
    let d = tempfile::tempdir().unwrap();
    generate(d.path(), 1000, 11, today(), false).unwrap();
    let c = open(d.path());

    let pnrs = texts(&c, "SELECT personnummer FROM customers");
    assert_eq!(pnrs.len(), 1000);
    let mut seen = HashSet::new();
    let mut samordning = 0;
    for p in &pnrs {
        let ten = ten_digits(p);
        assert!(luhn_ok(&ten), "{p} fails the Luhn check");
        let month: u32 = ten[2..4].parse().unwrap();
        let day: u32 = ten[4..6].parse().unwrap();
        assert!((1..=12).contains(&month), "{p}");
        assert!((1..=31).contains(&day) || (61..=91).contains(&day), "{p}");
        samordning += usize::from(day > 60);
        assert!(seen.insert(ten), "{p} twice");
    }
    assert!(samordning >= 5, "{samordning} samordningsnummer");
    let forms = |glob: &str| {
        count(
            &c,
            &format!("SELECT count(*) FROM customers WHERE personnummer GLOB '{glob}'"),
        )
    };
    let d8 = "[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]";
    let dash12 = forms(&format!("{d8}-[0-9][0-9][0-9][0-9]"));
    let dash10 = forms("[0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]");
    let plain12 = forms(&format!("{d8}[0-9][0-9][0-9][0-9]"));
    assert!((400..=600).contains(&dash12), "{dash12}");
    assert!((170..=330).contains(&dash10), "{dash10}");
    assert!((170..=330).contains(&plain12), "{plain12}");
    assert_eq!(dash12 + dash10 + plain12, 1000);

    let phones = texts(&c, "SELECT phone FROM customers WHERE phone IS NOT NULL");
    assert!(phones.iter().any(|p| p.starts_with("+467")));
    assert!(phones
        .iter()
        .any(|p| p.len() == 13 && p.as_bytes()[3] == b'-'));
    assert!(phones.iter().any(|p| p.len() == 10 && p.starts_with("07")));
    let mut by_number: HashMap<String, usize> = HashMap::new();
    for p in &phones {
        assert!(
            phone_digits(p).len() == 10 && phone_digits(p).starts_with("07"),
            "{p}"
        );
        *by_number.entry(phone_digits(p)).or_default() += 1;
    }
    let shared = by_number.values().filter(|n| **n > 1).count();
    assert!((1..=5).contains(&shared), "{shared} shared phone numbers");

    let emails = texts(&c, "SELECT email FROM customers");
    let lower: HashSet<String> = emails.iter().map(|e| e.to_lowercase()).collect();
    assert_eq!(lower.len(), 1000, "emails are unique ignoring case");
    assert!(emails
        .iter()
        .all(|e| e.to_lowercase().ends_with("@example.se")
            || e.to_lowercase().ends_with("@example.com")));
    assert!(emails
        .iter()
        .any(|e| e.bytes().any(|b| b.is_ascii_uppercase())));
    assert!(count(&c, "SELECT count(*) FROM newsletter n JOIN customers c ON lower(n.email) = lower(c.email) AND n.email <> c.email") > 0);
    assert!(count(&c, "SELECT count(*) FROM newsletter n WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE lower(c.email) = lower(n.email))") > 50);
    let names = texts(&c, "SELECT name FROM customers");
    assert!(names.iter().any(|n| n.contains(['å', 'ä', 'ö'])));
}

#[test]
fn timestamps_are_mixed_and_every_rule_has_work() {
    let d = tempfile::tempdir().unwrap();
    generate(d.path(), 1000, 5, today(), false).unwrap();
    let c = open(d.path());
    let by_type = |t: &str, col: &str, cond: &str| {
        count(
            &c,
            &format!("SELECT count(*) FROM {t} WHERE {col} IS NOT NULL AND {cond}"),
        )
    };
    for t in ["customers", "tickets"] {
        assert!(
            by_type(t, "closed_at", "typeof(closed_at) = 'integer'") > 0,
            "{t}"
        );
        assert!(
            by_type(
                t,
                "closed_at",
                "typeof(closed_at) = 'text' AND length(closed_at) = 10"
            ) > 0,
            "{t}"
        );
        assert!(
            by_type(
                t,
                "closed_at",
                "typeof(closed_at) = 'text' AND length(closed_at) = 20"
            ) > 0,
            "{t}"
        );
    }
    let open_customers = count(&c, "SELECT count(*) FROM customers WHERE closed_at IS NULL");
    assert!((620..=780).contains(&open_customers), "{open_customers}");

    // Both sides of every limit (today is 2026-05-14).
    let secs = |col: &str| {
        format!("(CASE typeof({col}) WHEN 'integer' THEN {col} ELSE unixepoch({col}) END)")
    };
    let sides = |t: &str, col: &str, limit: &str| {
        let at = secs(col);
        let lim = format!("unixepoch('{limit}')");
        (
            count(
                &c,
                &format!("SELECT count(*) FROM {t} WHERE {col} IS NOT NULL AND {at} < {lim}"),
            ),
            count(
                &c,
                &format!("SELECT count(*) FROM {t} WHERE {col} IS NOT NULL AND {at} >= {lim}"),
            ),
        )
    };
    for (t, col, limit) in [
        ("customers", "closed_at", "2024-05-14"),
        ("tickets", "closed_at", "2025-05-14"),
        ("staff_logins", "at", "2026-02-13"),
        ("newsletter", "subscribed_at", "2023-05-14"),
        ("invoices", "issued", "2019-01-01"),
    ] {
        let (expired, kept) = sides(t, col, limit);
        assert!(
            expired > 0 && kept > 0,
            "{t}.{col}: {expired} expired, {kept} not"
        );
    }
    // Nothing in the future.
    for (t, col) in [
        ("customers", "created_at"),
        ("customers", "closed_at"),
        ("tickets", "opened_at"),
        ("tickets", "closed_at"),
        ("invoices", "issued"),
        ("invoices", "paid_at"),
        ("staff_logins", "at"),
        ("newsletter", "subscribed_at"),
        ("meter_readings", "read_at"),
    ] {
        assert_eq!(sides(t, col, "2026-05-14").1, 0, "{t}.{col}");
    }
    assert!(
        count(
            &c,
            "SELECT count(*) FROM invoices WHERE issued < '2016-05-14'"
        ) == 0
    );
    assert!(count(&c, "SELECT count(*) FROM tickets WHERE customer_id IS NULL") > 0);
}

#[test]
fn tickets_mention_other_customers() {
    let d = tempfile::tempdir().unwrap();
    generate(d.path(), 1000, 3, today(), false).unwrap();
    let c = open(d.path());
    let mut st = c
        .prepare("SELECT id, email, personnummer, phone FROM customers")
        .unwrap();
    let people: Vec<(i64, Vec<String>)> = st
        .query_map([], |r| {
            let (id, email, pnr, phone): (i64, String, String, Option<String>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            // The ten-digit core, whatever form is stored.
            let s = ten_digits(&pnr);
            let mut forms = vec![email.to_lowercase(), format!("{}-{}", &s[..6], &s[6..]), s];
            if let Some(p) = phone {
                let n = phone_digits(&p);
                forms.push(n.clone());
                forms.push(format!(
                    "+46 {} {} {} {}",
                    &n[1..3],
                    &n[3..6],
                    &n[6..8],
                    &n[8..]
                ));
                forms.push(format!("{} {} {} {}", &n[..3], &n[3..6], &n[6..8], &n[8..]));
                forms.push(format!("+46{}", &n[1..]));
                forms.push(format!("{}-{} {} {}", &n[..3], &n[3..6], &n[6..8], &n[8..]));
            }
            Ok((id, forms))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut st = c
        .prepare("SELECT customer_id, body FROM tickets WHERE customer_id IS NOT NULL")
        .unwrap();
    let tickets: Vec<(i64, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mentioning = tickets
        .iter()
        .filter(|(owner, body)| {
            let body = body.to_lowercase();
            people
                .iter()
                .any(|(id, forms)| id != owner && forms.iter().any(|f| body.contains(f.as_str())))
        })
        .count();
    let share = mentioning as f64 / tickets.len() as f64;
    assert!(
        (0.05..=0.16).contains(&share),
        "{mentioning} of {} tickets mention someone else",
        tickets.len()
    );
}

#[test]
fn calendar_and_luhn_helpers() {
    for day in [-1000, 0, 1, 59, 60, 365, 10_957, 20_587, 100_000] {
        let (y, m, d) = civil_from_days(day);
        assert_eq!(days_from_civil(y, m, d), day);
    }
    assert_eq!(date_text(Clock::new(today()).today), "2026-05-14");
    assert_eq!(datetime_text(1_000_000_000), "2001-09-09T01:46:40Z");
    assert_eq!(
        years_before(days_from_civil(2024, 2, 29), 1),
        days_from_civil(2023, 2, 28)
    );
    // A textbook example: 811218-9876.
    assert_eq!(luhn(811_218_987), 6);
    assert!(luhn_ok("8112189876"));
    assert_eq!(pnr_text(198_112_189_876, PnrForm::Dash10), "811218-9876");
    assert_eq!(phone_text(701_234_567, PhoneForm::Dashed), "070-123 45 67");
    assert_eq!(capitalised("anna.berg@example.se"), "Anna.Berg@Example.se");
}
