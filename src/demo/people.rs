//! The people of the demo: customers with their meters, readings, invoices
//! and newsletter sign-ups; staff and their logins; and prospects, who only
//! subscribe to the newsletter.

use super::calendar::{
    civil_from_days, date_text, datetime_text, days_from_civil, days_in_month, month_index,
    years_before, Clock, DAY, HOUR,
};
use super::idents::{
    capitalised, fake_password_hash, new_email, new_phone, new_pnr, other_case, phone_text,
    pnr_text, street_address, PnrForm, Unique, MENTION_PHONE_FORMS, STORED_PHONE_FORMS,
};
use super::rng::Rng;
use super::rows::{int, opt_text, text, Rows};
use super::schema::Table;
use super::words::{
    CITIES, FIRST_NAMES, FIXED_FEE_ORE, LAST_NAMES, MONTH_SHARE, NEWSLETTER_SOURCES,
    PRICE_ORE_PER_KWH, QUARTER_SHARE,
};
use crate::error::Result;
use crate::value::Value;

/// What later phases need to know about a customer.
pub(super) struct Customer {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) pnr: u64,
    pub(super) phone: Option<u64>,
    pub(super) created: i64,
    pub(super) closed: Option<i64>,
    pub(super) first_meter: i64,
}

pub(super) fn customers(
    rows: &mut Rows,
    uniq: &mut Unique,
    n: u64,
    mut rng: Rng,
    clock: &Clock,
) -> Result<Vec<Customer>> {
    // Creation times first, sorted, so that ids and customer numbers grow
    // with the date the customer signed, as in a real system.
    let mut created: Vec<i64> = (0..n)
        .map(|_| {
            let day = clock.today - rng.range(1, 12 * 365);
            day * DAY + rng.range(7 * HOUR, 19 * HOUR)
        })
        .collect();
    created.sort_unstable();
    let ten_years_ago = years_before(clock.today, 10);

    let mut out: Vec<Customer> = Vec::with_capacity(n as usize);
    for created in created {
        let id = rows.next_id(Table::Customers);
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let name = format!("{first} {last}");
        let email = new_email(&mut rng, uniq, first, last, id);
        let email = if rng.chance(15) {
            capitalised(&email)
        } else {
            email
        };
        // About one in a hundred has a coordination number (day + 60).
        let pnr = new_pnr(&mut rng, uniq, clock, id % 100 == 37);
        let pnr_form = match rng.below(4) {
            0 | 1 => PnrForm::Dash12,
            2 => PnrForm::Dash10,
            _ => PnrForm::Plain12,
        };
        // About one in 500 shares the phone number of one of the customers
        // just before it (a household), so the "ambiguous subject" refusal
        // can be shown. Never among the first customers: a request by any
        // identifier of a customer who shares a phone number is ambiguous
        // (the number, found in their row, matches the other's row too),
        // and the first customers are the ones people try first.
        let shared = if id % 500 == 250 {
            out.iter().rev().take(10).find_map(|c| c.phone)
        } else {
            None
        };
        let phone = match shared {
            Some(p) => Some(p),
            None if rng.chance(40) => None,
            None => Some(new_phone(&mut rng, uniq)),
        };
        let phone_text = phone.map(|p| phone_text(p, rng.pick(&STORED_PHONE_FORMS)));
        let city = rng.pick(CITIES);
        let street = street_address(&mut rng);
        let postcode = format!("{} {:02}", rng.range(city.1, city.2), rng.below(100));

        let created_day = created.div_euclid(DAY);
        let closed_day = (created_day < clock.today - 31 && rng.chance(300))
            .then(|| rng.range(created_day + 30, clock.today - 1));
        let closed = closed_day.map(|d| d * DAY + rng.range(8 * HOUR, 17 * HOUR));
        let closed_value = match closed {
            None => Value::Null,
            Some(secs) => match rng.below(10) {
                0..=3 => Value::Text(date_text(secs.div_euclid(DAY))),
                4..=6 => Value::Text(datetime_text(secs)),
                _ => Value::Integer(secs),
            },
        };
        let subscribes = rng.chance(300);
        let consent = if subscribes {
            rng.chance(900)
        } else {
            rng.chance(100)
        };
        let notes = rng
            .chance(400)
            .then(|| note(&mut rng, created_day, phone, clock));
        let password_hash = rng.chance(850).then(|| fake_password_hash(&mut rng));

        rows.put(
            Table::Customers,
            &[
                int(id),
                text(format!("K-{id:06}")),
                text(&*name),
                text(&*email),
                text(pnr_text(pnr, pnr_form)),
                opt_text(phone_text),
                text(&*street),
                text(&*postcode),
                text(city.0),
                text(datetime_text(created)),
                closed_value,
                int(consent as i64),
                opt_text(notes),
                opt_text(password_hash),
            ],
        )?;

        // Meters and their monthly readings, read at the end of each month:
        // up to the month the contract ended, and never this month.
        let end_day = closed_day.unwrap_or(clock.today - 1);
        let end_month = month_index(end_day).min(month_index(clock.today) - 1);
        let meters = 1 + u64::from(rng.chance(300));
        let mut annual_kwh = 0.0;
        let mut first_meter = 0;
        for k in 0..meters {
            let meter_id = rows.next_id(Table::Meters);
            let installed = if k == 0 {
                first_meter = meter_id;
                created_day
            } else {
                rng.range(created_day, end_day)
            };
            let address = if k == 0 {
                format!("{street}, {postcode} {}", city.0)
            } else {
                format!("{}, {postcode} {}", street_address(&mut rng), city.0)
            };
            rows.put(
                Table::Meters,
                &[
                    int(meter_id),
                    int(id),
                    text(format!("FV-{meter_id:07}")),
                    text(address),
                    text(date_text(installed)),
                ],
            )?;

            let annual = rng.range(8_000, 30_000) as f64;
            annual_kwh += annual;
            let start_month = (end_month - rng.range(18, 46) + 1).max(month_index(installed));
            for m in start_month..=end_month {
                let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
                let noise = 0.85 + 0.3 * rng.unit();
                let kwh = (annual * MONTH_SHARE[(mo - 1) as usize] * noise * 10.0).round() / 10.0;
                let last_day = days_from_civil(y, mo, days_in_month(y, mo));
                let read_at = last_day * DAY + 22 * HOUR + rng.range(0, HOUR - 1);
                rows.put(
                    Table::Readings,
                    &[
                        int(meter_id),
                        text(format!("{y:04}-{mo:02}")),
                        Value::Real(kwh),
                        int(read_at),
                    ],
                )?;
            }
        }

        // Quarterly invoices, at most ten years back.
        let first_day = created_day.max(ten_years_ago);
        let offset = rng.range(0, 14);
        let mut q = month_index(first_day).div_euclid(3) * 3;
        loop {
            let (y, mo) = (q.div_euclid(12), q.rem_euclid(12) + 1);
            q += 3;
            let issued = days_from_civil(y, mo, 1) + offset;
            if issued < first_day {
                continue;
            }
            if issued > end_day {
                break;
            }
            let invoice_id = rows.next_id(Table::Invoices);
            let share = QUARTER_SHARE[((mo - 1) / 3) as usize];
            let amount = (annual_kwh * PRICE_ORE_PER_KWH * share * (0.9 + 0.2 * rng.unit())).round()
                as i64
                + FIXED_FEE_ORE;
            let paid = if clock.today - issued < 30 {
                (rng.chance(500) && issued + 3 < clock.today)
                    .then(|| rng.range(issued + 3, clock.today - 1))
            } else if rng.chance(20) {
                None
            } else {
                Some((issued + rng.range(5, 45)).min(clock.today - 1))
            };
            rows.put(
                Table::Invoices,
                &[
                    int(invoice_id),
                    int(id),
                    text(format!("F{invoice_id:08}")),
                    text(date_text(issued)),
                    text(date_text(issued + 30)),
                    int(amount),
                    opt_text(paid.map(date_text)),
                ],
            )?;
        }

        if subscribes {
            // Mostly the address as stored, sometimes typed differently.
            let address = if rng.chance(150) {
                other_case(&email, &mut rng)
            } else {
                email.clone()
            };
            let from = created.max(clock.now - 6 * 365 * DAY);
            rows.put(
                Table::Newsletter,
                &[
                    text(address),
                    int(rng.range(from, clock.now - 1)),
                    text(rng.pick(NEWSLETTER_SOURCES)),
                ],
            )?;
        }

        out.push(Customer {
            id,
            name,
            email,
            pnr,
            phone,
            created,
            closed,
            first_meter,
        });
    }
    Ok(out)
}

/// A note as customer service writes them; now and then with the customer's
/// own phone number in another written form.
fn note(rng: &mut Rng, created_day: i64, phone: Option<u64>, clock: &Clock) -> String {
    match (rng.below(8), phone) {
        (0, _) => "Föredrar kontakt via e-post.".into(),
        (1, _) => format!("Portkod {}.", rng.range(1000, 9999)),
        (2, _) => "Hund på tomten – ring innan besök.".into(),
        (3, _) => format!("Autogiro sedan {}.", civil_from_days(created_day).0),
        (4, _) => format!(
            "Betalningsanstånd beviljat till {}.",
            date_text(rng.range(created_day, clock.today + 60))
        ),
        (5, Some(p)) => format!(
            "Nås bäst på {} dagtid.",
            phone_text(p, rng.pick(&MENTION_PHONE_FORMS))
        ),
        (6, _) => "Undercentralen bytt, garanti fem år.".into(),
        _ => "Vill ha fakturan på engelska.".into(),
    }
}

// ---------------------------------------------------------------------------
// Staff and their logins

pub(super) struct Staff {
    pub(super) id: i64,
    pub(super) from: i64,
    pub(super) to: Option<i64>,
}

pub(super) fn staff(
    rows: &mut Rows,
    uniq: &mut Unique,
    n: u64,
    mut rng: Rng,
    clock: &Clock,
) -> Result<Vec<Staff>> {
    let count = (n / 200).max(3);
    let mut froms: Vec<i64> = (0..count)
        .map(|_| clock.today - rng.range(60, 15 * 365))
        .collect();
    froms.sort_unstable();
    let mut out = Vec::with_capacity(froms.len());
    for from in froms {
        let id = rows.next_id(Table::Staff);
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let email = new_email(&mut rng, uniq, first, last, id);
        let phone = rng
            .chance(850)
            .then(|| phone_text(new_phone(&mut rng, uniq), rng.pick(&STORED_PHONE_FORMS)));
        let to = if rng.chance(150) {
            let to = clock.today - rng.range(20, 170);
            (to > from + 30).then_some(to)
        } else {
            None
        };
        rows.put(
            Table::Staff,
            &[
                int(id),
                text(format!("{first} {last}")),
                text(email),
                opt_text(phone),
                text(date_text(from)),
                opt_text(to.map(date_text)),
            ],
        )?;

        // Logins over the last 180 days of employment; from the office
        // network mostly, from home sometimes.
        let lo = (clock.now - 180 * DAY).max(from * DAY);
        let hi = to.map_or(clock.now, |t| (t + 1) * DAY) - 1;
        let mut times: Vec<i64> = if hi > lo {
            (0..rng.range(10, 30)).map(|_| rng.range(lo, hi)).collect()
        } else {
            Vec::new()
        };
        times.sort_unstable();
        let office = format!("10.20.{}.{}", id / 250, id % 250 + 2);
        let home = format!(
            "{}.{}",
            rng.pick(&["192.0.2", "198.51.100", "203.0.113"]),
            rng.range(1, 254)
        );
        for at in times {
            let ip = if rng.chance(700) { &office } else { &home };
            let login = rows.next_id(Table::Logins);
            rows.put(Table::Logins, &[int(login), int(id), int(at), text(ip)])?;
        }
        out.push(Staff { id, from, to });
    }
    Ok(out)
}

/// Newsletter subscribers who are not customers; some of them also wrote to
/// customer service about getting connected.
pub(super) fn prospects(
    rows: &mut Rows,
    uniq: &mut Unique,
    n: u64,
    mut rng: Rng,
    clock: &Clock,
) -> Result<Vec<String>> {
    let count = n / 10 + 3;
    let mut out = Vec::with_capacity(count as usize);
    for k in 0..count {
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let email = new_email(&mut rng, uniq, first, last, k as i64 + 1);
        rows.put(
            Table::Newsletter,
            &[
                text(&*email),
                int(clock.now - rng.range(DAY, 6 * 365 * DAY)),
                text(rng.pick(NEWSLETTER_SOURCES)),
            ],
        )?;
        out.push(email);
    }
    Ok(out)
}
