//! Mentions of a subject in other people's free text (`scan = true`): a
//! subject who is only mentioned is found by `extract` (exit 0), and a
//! sweep that erases a person's record erases their mentions too, reading
//! their identifiers before their rows change.

use crate::stores;
use crate::{query, TestEnv};
use serde_json::json;
use std::collections::HashMap;

/// The rental fixture without its same-row `last_update` triggers, which
/// today's change counting refuses (another item of issue 9).
fn rental() -> TestEnv {
    let env = TestEnv::rental();
    env.conn()
        .execute_batch(
            "DROP TRIGGER customer_touch; DROP TRIGGER address_touch; DROP TRIGGER rental_touch;",
        )
        .expect("drop the triggers");
    env
}

#[test]
fn a_subject_only_mentioned_in_free_text_is_found_by_extract() {
    // Agency, on both stores: Kalle has no row of his own; Gun's message
    // names him.
    for t in stores::agency("mentions_kalle") {
        t.exec("INSERT INTO messages VALUES (5, 'c-3', 'Gun says her brother kalle@example.org will call', '2024-03-01')");
        let out = t.ok(&["extract", "email:Kalle@Example.org"]);
        let doc = out.json();
        assert_eq!(
            doc["subject"],
            json!({ "identifiers": [ { "kind": "email", "value": "kalle@example.org", "given": true } ] })
        );
        assert_eq!(doc["tables"], json!({}));
        assert_eq!(
            doc["mentions"],
            json!({ "messages": { "column": "body", "label": "Messages to customer service", "column_label": "Text", "rows": [
                { "key": { "id": 5 }, "excerpts": [ "Gun says her brother kalle@example.org will call" ] }
            ] } }),
            "{}",
            t.store()
        );
        let (command, outcome, _, details) = t.record(1);
        assert_eq!((command.as_str(), outcome.as_str()), ("extract", "ok"));
        assert_eq!(
            (&details["tables"], &details["mentions"]),
            (&json!({}), &json!(1))
        );

        // Art. 20 covers data the subject provided: mentions are not.
        let out = t.run(&["export", "email:kalle@example.org"]);
        assert_eq!(out.code, 4, "{}", out.stderr);
        assert!(
            out.stderr.contains("mentions of the subject in other people's free text are not data they provided, which Art. 20 covers; `dsr extract` reports them"),
            "{}",
            out.stderr
        );
        assert_eq!(t.record(2).1, "not_found");

        // erase edits what extract reported.
        let out = t.ok(&["--json", "erase", "--yes", "email:kalle@example.org"]);
        assert_eq!(out.json()["mentions"], json!({ "messages.body": 1 }));
        assert_eq!(
            t.query("SELECT body FROM messages WHERE id = 5"),
            ["Gun says her brother [erased] will call"],
            "{}",
            t.store()
        );
        let out = t.run(&["extract", "email:kalle@example.org"]);
        assert_eq!(out.code, 4, "{}", out.stderr);
    }
}

#[test]
fn a_subject_only_mentioned_in_a_rental_note_is_found_by_extract() {
    // Rental: Lisa is named, by phone number, in a note on Mary's account.
    let env = rental();
    env.conn()
        .execute(
            "INSERT INTO support_note VALUES (5, 2, 'Her sister Lisa (070-765 43 21) picks up the films', 1700000900)",
            [],
        )
        .expect("a note");
    let out = env.run(&["extract", "phone:+46707654321"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["tables"], json!({}));
    assert_eq!(
        doc["mentions"],
        json!({ "support_note": { "column": "body", "label": "support_note", "column_label": "Free text (notes and messages)", "rows": [
            { "key": { "note_id": 5 }, "excerpts": [ "Her sister Lisa (070-765 43 21) picks up the films" ] }
        ] } })
    );
}

#[test]
fn a_sweep_erases_the_mentions_of_the_customers_it_erases() {
    let env = rental();
    // Olle's account (created 2015) has passed its ten years; a note on
    // Åsa's account names his address, and Hans's names his customer number.
    env.conn()
        .execute(
            "INSERT INTO support_note VALUES (5, 1, 'Åsa says her neighbour Olle (OLLE@example.se) has the key', 1700000700)",
            [],
        )
        .expect("a note");
    let dry = env.run(&["--json", "sweep", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let out = env.run(&["--json", "sweep"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["mentions"], json!({ "support_note.body": 2 }));
    assert_eq!(dry.json()["mentions"], doc["mentions"]);
    assert_eq!(dry.json()["tables"], doc["tables"]);
    assert_eq!(
        doc["tables"]["customer"],
        json!({ "deleted": 0, "anonymized": 1, "held": 0, "kept": 0 })
    );
    assert_eq!(
        query(
            &env,
            "SELECT note_id, body FROM support_note ORDER BY note_id"
        ),
        [
            "1|Mary asked us to forward her receipts to åsa.öberg@example.se, her accountant",
            "2|Hans called from +1 208 555 8097 on holiday; customer [erased] is his neighbour",
            "3|Åsa moved; nothing else",
            "5|Åsa says her neighbour Olle ([erased]) has the key"
        ]
    );
    // The batch's audit record and the summary count the edits.
    let details: Vec<serde_json::Value> = env
        .audit_rows()
        .into_iter()
        .filter(|r| r.1 == "sweep")
        .map(|r| serde_json::from_str(&r.4).expect("details"))
        .collect();
    assert_eq!(details.len(), 3, "dry-run summary, one batch, summary");
    assert_eq!(details[1]["source"], "retention:customer");
    for d in &details {
        assert_eq!(d["mentions"], json!({ "support_note.body": 2 }), "{d}");
    }
    // Nothing of Olle's is left for a later erasure to find.
    for s in ["email:olle@example.se", "phone:+46709998877"] {
        let out = env.run(&["erase", "--yes", s]);
        assert_eq!(out.code, 4, "{s}: {}", out.stderr);
    }
    // A second sweep has nothing left to do.
    let again = env.run(&["--json", "sweep"]);
    assert_eq!(again.json()["mentions"], json!({}));
}

#[test]
fn a_subjects_table_nothing_links_into_is_swept_with_its_mentions() {
    // The newsletter as a table of subscribers, one row per person, with a
    // retention rule: nothing links into it, so it would be swept in one
    // pass, without reading the rows whose mentions must go.
    let env = rental();
    let map = std::fs::read_to_string(&env.map).expect("map");
    let map = map.replace(
        "[tables.newsletter]\n",
        "[tables.newsletter]\nsubjects = true\nretention = { after = \"subscribed_at\", keep = \"1y\" }\n",
    );
    std::fs::write(&env.map, map).expect("write map");
    env.conn()
        .execute_batch(
            "UPDATE customer SET email = 'åsa.öberg@example.se' WHERE customer_id = 1;
             INSERT INTO support_note VALUES (5, 3, 'Forwarded to someone.else@example.org as asked', 1700000800);",
        )
        .expect("data");
    let out = env.run(&["--json", "sweep", "--table", "newsletter"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(
        doc["tables"]["newsletter"],
        json!({ "deleted": 3, "anonymized": 0, "held": 0, "kept": 0 })
    );
    assert_eq!(doc["mentions"], json!({ "support_note.body": 1 }));
    // Åsa and Mary are still customers: the notes naming their addresses
    // stay as they are; the subscriber who is gone is erased from Hans's.
    assert_eq!(
        query(
            &env,
            "SELECT note_id, body FROM support_note ORDER BY note_id"
        ),
        [
            "1|Mary asked us to forward her receipts to åsa.öberg@example.se, her accountant",
            "2|Hans called from +1 208 555 8097 on holiday; customer C-1004 is his neighbour",
            "3|Åsa moved; nothing else",
            "4|Call back on 070-999 88 77",
            "5|Forwarded to [erased] as asked"
        ]
    );
    let batch: serde_json::Value = env
        .audit_rows()
        .into_iter()
        .find(|r| r.4.contains("\"batch\""))
        .map(|r| serde_json::from_str(&r.4).expect("details"))
        .expect("a batch record");
    assert_eq!(batch["one_pass"], false);
}

/// The demo tenant: every customer the sweep anonymizes is erased from the
/// other customers' tickets, and a later erasure finds nothing of them.
#[test]
fn a_demo_sweep_erases_the_expired_customers_from_other_tickets() {
    let env = TestEnv::demo(300);
    let run = |args: &[&str]| {
        let mut all = vec!["--store", "tenant.db", "--map", "datamap.toml"];
        all.extend_from_slice(args);
        env.run_plain(&all)
    };
    let before = |sql: &str| query(&env, sql);
    let tickets_before: HashMap<String, String> = before("SELECT id, body FROM tickets")
        .into_iter()
        .filter_map(|l| {
            l.split_once('|')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let people: HashMap<String, Vec<String>> = before(
        "SELECT id, lower(email), customer_no, coalesce(personnummer, ''), coalesce(phone, '') FROM customers",
    )
    .into_iter()
    .map(|l| {
        let mut f = l.split('|').map(str::to_string);
        let id = f.next().unwrap_or_default();
        (id, f.collect())
    })
    .collect();
    let dry = run(&["--json", "sweep", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let out = run(&["--json", "sweep"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(dry.json()["mentions"], doc["mentions"]);
    let swept: Vec<String> = query(&env, "SELECT id FROM customers WHERE name = '[erased]'");
    assert!(swept.len() > 10, "{swept:?}");
    let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };

    // Each edited ticket is another customer's, and what was cut out of it
    // is a swept customer's identifier.
    let mut edited = 0;
    let mut named = Vec::new();
    for line in query(&env, "SELECT id, customer_id, body FROM tickets") {
        let mut f = line.splitn(3, '|');
        let (id, owner, body) = (
            f.next().unwrap_or(""),
            f.next().unwrap_or(""),
            f.next().unwrap_or(""),
        );
        let old = &tickets_before[id];
        if old == body {
            continue;
        }
        edited += 1;
        assert!(
            !swept.contains(&owner.to_string()),
            "ticket {id} is a swept customer's own"
        );
        let (head, tail) = body.split_once("[erased]").expect("an erased mention");
        assert!(
            old.starts_with(head) && old.ends_with(tail),
            "{old} -> {body}"
        );
        let cut = &old[head.len()..old.len() - tail.len()];
        let who = swept.iter().find(|c| {
            let p = &people[*c];
            cut.to_lowercase() == p[0]
                || cut == p[1]
                || (!p[2].is_empty()
                    && digits(cut).len() >= 10
                    && digits(&p[2]).ends_with(&digits(cut)))
                || (!p[3].is_empty() && digits(cut).ends_with(&digits(&p[3])[1..]))
        });
        let who = who.unwrap_or_else(|| panic!("{cut:?} in ticket {id} names no swept customer"));
        named.push((who.clone(), cut.to_string()));
    }
    assert!(
        edited >= 1,
        "the demo's tickets mention customers the sweep erases"
    );
    assert_eq!(doc["mentions"], json!({ "tickets.body": edited }));
    // No ticket still names a swept customer by email or customer number.
    for body in query(&env, "SELECT lower(body) FROM tickets") {
        for c in &swept {
            let p = &people[c];
            assert!(!body.contains(&p[0]), "{body} names {}", p[0]);
            assert!(
                !body.contains(&p[1].to_lowercase()),
                "{body} names {}",
                p[1]
            );
        }
    }
    // The people named there: a later erasure by that identifier finds nothing.
    for (who, cut) in named {
        let p = &people[&who];
        let subject = if cut.contains('@') {
            format!("email:{cut}")
        } else if cut == p[1] {
            format!("customer_no:{cut}")
        } else if !p[2].is_empty() && digits(&p[2]).ends_with(&digits(&cut)) {
            format!("personnummer:{cut}")
        } else {
            format!("phone:{cut}")
        };
        // The anonymized row holds the identifier no longer (hashed or
        // NULL), and the mention is gone.
        let out = run(&["erase", "--yes", "--dry-run", &subject]);
        assert_eq!(out.code, 4, "{subject}: {}", out.stderr);
    }
}
