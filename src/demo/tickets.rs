//! Customer-service tickets: one or two for some customers, enquiries from
//! prospects, and now and then a mention of another customer in the body.

use super::calendar::{date_text, datetime_text, Clock, DAY};
use super::idents::{other_case, phone_text, pnr_text, MENTION_PHONE_FORMS, MENTION_PNR_FORMS};
use super::people::{Customer, Staff};
use super::rng::Rng;
use super::rows::{int, text, Rows};
use super::schema::Table;
use crate::error::Result;
use crate::value::Value;

pub(super) struct TicketCtx<'a> {
    pub(super) rng: Rng,
    pub(super) clock: &'a Clock,
    pub(super) customers: &'a [Customer],
    pub(super) staff: &'a [Staff],
}

struct Ticket {
    opened: i64,
    customer: Option<i64>,
    handler: Option<i64>,
    closed: Value,
    subject: &'static str,
    body: String,
}

pub(super) fn tickets(rows: &mut Rows, ctx: &mut TicketCtx, prospects: &[String]) -> Result<()> {
    let clock = ctx.clock;
    let mut all = Vec::new();
    for (i, c) in ctx.customers.iter().enumerate() {
        // 60 % none, 30 % one, 10 % two: half a ticket per customer.
        let count = match ctx.rng.below(10) {
            0..=5 => 0,
            6..=8 => 1,
            _ => 2,
        };
        for _ in 0..count {
            let hi = c.closed.unwrap_or(clock.now) - 1;
            let mut lo = c.created.max(clock.now - 4 * 365 * DAY);
            if lo >= hi {
                lo = c.created.max(hi - 180 * DAY);
            }
            let opened = ctx.rng.range(lo, hi);
            let (subject, mut body) = ticket_text(&mut ctx.rng, c, opened);
            // One in ten mentions someone else: a neighbour, a relative.
            if ctx.customers.len() > 1 && ctx.rng.chance(100) {
                let mut j = ctx.rng.below(ctx.customers.len() as u64 - 1) as usize;
                if j >= i {
                    j += 1;
                }
                body.push(' ');
                body.push_str(&mention(&mut ctx.rng, &ctx.customers[j]));
            }
            all.push(ctx.finish(opened, Some(c.id), subject, body));
        }
    }
    // Enquiries from people who are not customers.
    for _ in 0..ctx.customers.len() / 100 {
        let opened = clock.now - ctx.rng.range(DAY, 3 * 365 * DAY);
        let body = format!(
            "Vill veta vad det kostar att ansluta villan till fjärrvärme. Svar till {}.",
            prospects[ctx.rng.below(prospects.len() as u64) as usize]
        );
        all.push(ctx.finish(opened, None, "Intresseanmälan", body));
    }
    // Ids in the order the tickets were opened, as a ticket system gives them.
    all.sort_by_key(|t| t.opened);
    for t in all {
        let id = rows.next_id(Table::Tickets);
        rows.put(
            Table::Tickets,
            &[
                int(id),
                t.customer.map_or(Value::Null, int),
                t.handler.map_or(Value::Null, int),
                text(datetime_text(t.opened)),
                t.closed,
                text(t.subject),
                text(t.body),
            ],
        )?;
    }
    Ok(())
}

impl TicketCtx<'_> {
    /// Closes the ticket (or not) and assigns it to someone employed then.
    fn finish(
        &mut self,
        opened: i64,
        customer: Option<i64>,
        subject: &'static str,
        body: String,
    ) -> Ticket {
        let now = self.clock.now;
        let age = now - opened;
        let open =
            (age < 14 * DAY && self.rng.chance(500)) || (age < 60 * DAY && self.rng.chance(100));
        let closed = if open {
            Value::Null
        } else {
            let at = (opened + self.rng.range(600, 21 * DAY)).min(now - 1);
            match self.rng.below(10) {
                0..=4 => Value::Text(datetime_text(at)),
                5 => Value::Text(date_text(at.div_euclid(DAY))),
                _ => Value::Integer(at),
            }
        };
        let unassigned = if open {
            self.rng.chance(500)
        } else {
            self.rng.chance(20)
        };
        let handler = if unassigned {
            None
        } else {
            let employed =
                |s: &Staff| s.from * DAY <= opened && s.to.is_none_or(|t| opened < (t + 1) * DAY);
            let mut pick = self.rng.below(self.staff.len() as u64) as usize;
            for _ in 0..8 {
                if employed(&self.staff[pick]) {
                    break;
                }
                pick = self.rng.below(self.staff.len() as u64) as usize;
            }
            Some(self.staff[pick].id)
        };
        Ticket {
            opened,
            customer,
            handler,
            closed,
            subject,
            body,
        }
    }
}

fn ticket_text(rng: &mut Rng, c: &Customer, opened: i64) -> (&'static str, String) {
    match rng.below(10) {
        0 => ("Fråga om faktura", "Kunden undrar varför fakturan är högre än samma kvartal i fjol. Förklarat att förbrukningen ökat under den kalla vintern. Kunden nöjd med svaret.".into()),
        1 => ("Mätaravläsning", format!("Kunden menar att mätarställningen på FV-{:07} inte stämmer. Kontrollavläsning bokad.", c.first_meter)),
        2 => ("Flytt", format!("Kunden flyttar och vill säga upp avtalet från {}. Slutavläsning bokad.", date_text(opened.div_euclid(DAY) + rng.range(14, 90)))),
        3 => ("Avbrott i värmeleveransen", "Inget varmvatten sedan i morse. Driften larmad, felet åtgärdat samma dag.".into()),
        4 => ("Autogiro", "Kunden vill betala med autogiro. Medgivande skickat per post.".into()),
        5 => ("Läckage i undercentral", "Det droppar från en ventil i undercentralen. Tekniker skickad, packning bytt.".into()),
        6 => ("Ändrade kontaktuppgifter", "Kunden har bytt telefonnummer och e-postadress. Uppdaterat i kundregistret.".into()),
        7 => ("Synpunkter på priset", "Kunden är missnöjd med prishöjningen. Hänvisat till prisändringsbrevet och jämförpriset.".into()),
        8 => ("Betalningspåminnelse", "Kunden har fått en påminnelse men har betalat. Betalningen kom in sent; påminnelseavgiften struken.".into()),
        _ => ("Elementen blir inte varma", "Tipsat om att lufta elementen och se över termostatventilerna. Kunden återkommer om det inte hjälper.".into()),
    }
}

/// A sentence naming another customer by an identifier, written the way
/// people write them: rarely in the form the store uses.
fn mention(rng: &mut Rng, other: &Customer) -> String {
    let pnr = |rng: &mut Rng| pnr_text(other.pnr, rng.pick(&MENTION_PNR_FORMS));
    let email = |rng: &mut Rng| {
        if rng.chance(500) {
            other_case(&other.email, rng)
        } else {
            other.email.clone()
        }
    };
    let kind = rng.below(6);
    match (kind, other.phone) {
        (0, _) => format!("Ringde å grannens vägnar, {}.", pnr(rng)),
        (1, _) => format!("Dödsbo: kontaktperson {} ({}).", other.name, pnr(rng)),
        (2, _) => format!("Fakturan ska enligt kunden skickas till {}.", email(rng)),
        (3, _) => format!("Kopia av svaret till {} enligt önskemål.", email(rng)),
        (4, Some(p)) => format!(
            "Kunden ber oss ringa hyresgästen på {} i stället.",
            phone_text(p, rng.pick(&MENTION_PHONE_FORMS))
        ),
        (_, Some(p)) => format!(
            "Delar undercentral med {}, nås på {}.",
            other.name,
            phone_text(p, rng.pick(&MENTION_PHONE_FORMS))
        ),
        (_, None) => format!("Delar undercentral med {}, {}.", other.name, email(rng)),
    }
}
