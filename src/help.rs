//! The words around the options: examples for each command's long help and
//! man page, and the man pages' EXIT STATUS, ENVIRONMENT, FILES and SEE ALSO
//! sections. Kept beside the clap definitions so that `--help`, the man
//! pages and their drift test all come from one source.

/// Examples per command path ("erase", "audit log"): (what it does, command line).
pub fn examples(path: &str) -> &'static [(&'static str, &'static str)] {
    match path {
        "" => &[
            ("Try every command on a synthetic tenant", "dsr demo /tmp/demo"),
            (
                "Answer an access request (Art. 15) for a tenant named in the config",
                "dsr --tenant acme extract email:anna@example.se --format html -o anna.html",
            ),
            (
                "See what erasing a person would do, changing nothing",
                "dsr --tenant acme erase --dry-run personnummer:19811218-9876",
            ),
            ("Tonight's retention sweep, from cron", "dsr --tenant acme --quiet sweep"),
        ],
        "demo" => &[
            ("A tenant of 1,000 customers in /tmp/demo", "dsr demo /tmp/demo"),
            (
                "A larger one for benchmarks, always the same for a seed",
                "dsr demo /tmp/big --subjects 100000 --seed 7 --force",
            ),
            (
                "The tables in a PostgreSQL schema (which must exist), the map in /tmp/pgdemo",
                "dsr demo /tmp/pgdemo --store 'postgres://dsr@db.internal/app?schema=demo'",
            ),
        ],
        "init" => &[
            ("A draft map of an application's store, to finish by hand", "dsr --store app.db init -o datamap.toml"),
            ("The draft on standard output, to read first", "dsr --store app.db init"),
        ],
        "check" => &[
            ("Does the map fit the store?", "dsr --store app.db --map datamap.toml check"),
            (
                "In the application's CI: fail when the schema grows a table or personal column the map lacks",
                "dsr --store app.db --map datamap.toml check --strict",
            ),
            ("The findings as JSON, for a CI job", "dsr --tenant acme --json check"),
        ],
        "extract" => &[
            (
                "The copy as one readable page, in Swedish",
                "dsr --tenant acme extract personnummer:19811218-9876 --format html --lang sv -o copy.html",
            ),
            (
                "Several identifiers of one person, as JSON on stdout",
                "dsr --tenant acme extract email:anna@example.se customer_id:4711",
            ),
            (
                "A spreadsheet, recorded against a support ticket",
                "dsr --tenant acme --request CASE-1234 extract email:anna@example.se --format xlsx -o anna.xlsx",
            ),
        ],
        "erase" => &[
            (
                "Show the plan and change nothing",
                "dsr --tenant acme erase --dry-run email:anna@example.se",
            ),
            (
                "Erase without a prompt (scripts; there is no terminal to ask on)",
                "dsr --tenant acme --request CASE-1234 erase --yes email:anna@example.se",
            ),
            (
                "The report as JSON",
                "dsr --tenant acme --json erase --yes customer_id:4711",
            ),
        ],
        "export" => &[
            (
                "Art. 20: the subject's own data as JSON",
                "dsr --tenant acme export email:anna@example.se --format json -o anna.json",
            ),
            (
                "Everything of a customer who leaves, one CSV file per table",
                "dsr --tenant acme export --all --format csv -o acme-export",
            ),
        ],
        "sweep" => &[
            ("Rehearse tonight's sweep", "dsr --tenant acme sweep --dry-run"),
            (
                "From cron: quiet unless something fails, waiting for a running sweep",
                "dsr --tenant acme --quiet sweep --wait",
            ),
            ("Only one table, in batches of 10,000 rows", "dsr --tenant acme sweep --table tickets --batch-size 10000"),
        ],
        "audit" => &[
            ("What was done for one ticket", "dsr --tenant acme audit log --request CASE-1234"),
            ("Is the trail intact?", "dsr --tenant acme audit verify"),
        ],
        "audit log" => &[
            ("Everything since the first of the month", "dsr --tenant acme audit log --since 2026-11-01"),
            ("Only erasures, as JSON", "dsr --tenant acme --json audit log --command erase"),
            ("Who has read or changed this person's data?", "dsr --tenant acme audit log --subject email:anna@example.se personnummer:19811218-9876"),
            ("The newest 20 records of one operator", "dsr --tenant acme audit log --operator alice --limit 20"),
        ],
        "audit verify" => &[
            ("Recompute the chain", "dsr --tenant acme audit verify"),
            ("Also compare it with the mirror on the log host", "dsr --tenant acme audit verify --mirror /var/log/dsr/acme.jsonl"),
        ],
        "audit repair" => &[
            ("After an investigated break: state it and carry on", "dsr --tenant acme --operator alice audit repair --reason \"INC-42: restored from backup of 2026-11-20\""),
        ],
        "audit operators" => &[
            ("Who has had access to this tenant's data", "dsr --tenant acme audit operators"),
        ],
        "batch" => &[
            (
                "The week's requests (request,kind,subject; e.g. R-2026-0042,extract,email:anna@example.se), one file per request in out/",
                "dsr --tenant acme batch requests.csv -o out",
            ),
            (
                "With erase lines, and the summary as JSON; run it again after a failure to finish the rest",
                "dsr --tenant acme --json batch requests.csv --yes -o out",
            ),
        ],
        "replay" => &[
            ("Once, when the tenant is set up: write its replay key", "dsr --tenant acme replay --new-key"),
            ("After restoring the store from a backup: what would be erased again", "dsr --tenant acme replay --dry-run"),
            ("Then carry it out, and check the trail against the mirror", "dsr --tenant acme replay && dsr --tenant acme audit verify --mirror /var/log/dsr/acme.jsonl"),
        ],
        "request" => &[
            (
                "Register an access request that arrived by e-mail",
                "dsr --tenant acme request new access email:anna@example.se --channel e-mail",
            ),
            ("What is due this week, from cron", "dsr --tenant acme --quiet request due"),
        ],
        "request new" => &[
            (
                "An erasure request received last Friday, with a note",
                "dsr --tenant acme request new erasure personnummer:19811218-9876 --received 2026-11-20 --note \"asked by phone\"",
            ),
            (
                "The id and due date as JSON, for a ticket system",
                "dsr --tenant acme --json request new access email:anna@example.se",
            ),
        ],
        "request list" => &[
            ("Every open request", "dsr --tenant acme request list --open"),
            ("Overdue requests as JSON", "dsr --tenant acme --json request list --overdue"),
            ("Due within two weeks", "dsr --tenant acme request list --due-within 2w"),
        ],
        "request show" => &[
            ("One request and the commands run for it", "dsr --tenant acme request show R-2026-0042"),
        ],
        "request extend" => &[
            (
                "Two further months, before the first deadline",
                "dsr --tenant acme request extend R-2026-0042 --reason \"data in three archived systems\"",
            ),
        ],
        "request close" => &[
            ("Answered", "dsr --tenant acme request close R-2026-0042 --outcome done"),
            (
                "Refused, with the reasons the subject is told",
                "dsr --tenant acme request close R-2026-0042 --outcome refused --reason \"the same request for the fourth time this year\"",
            ),
        ],
        "request due" => &[
            ("Daily from cron: mails only when something is due", "dsr --tenant acme request due"),
            ("Two weeks ahead, as JSON", "dsr --tenant acme --json request due --within 2w"),
        ],
        "config" => &[
            ("Which config file and tenant would be used", "dsr --tenant acme config"),
            ("The tenants of a given config, as JSON", "dsr --config /etc/dsr/config.toml --json config"),
        ],
        _ => &[],
    }
}

/// The examples as a long-help section.
pub fn examples_text(path: &str) -> Option<String> {
    let ex = examples(path);
    if ex.is_empty() {
        return None;
    }
    let mut s = String::from("Examples:\n");
    for (what, line) in ex {
        s.push_str(&format!("  {what}:\n    $ {line}\n"));
    }
    Some(s.trim_end().to_string())
}

/// The documented exit codes (DESIGN §1), for every man page.
pub const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "done (for check: the map is valid; for audit verify: the chain holds)"),
    ("1", "failed at run time (store unreadable or unreachable, disk full, ...): nothing was changed; a sweep keeps the batches it committed before the failure and says how many"),
    ("2", "usage or configuration error (bad flag, unreadable config or map, bad identifier)"),
    ("3", "the data map does not fit the store"),
    ("4", "no data found for the subject"),
    ("5", "the identifiers match more than one person; nothing was changed (use --all-matches)"),
    ("6", "another dsr holds the tenant's sweep lock"),
    ("7", "the audit trail is broken: audit verify found it, or a command refused to append to a trail whose newest records or head were changed or removed"),
];

/// Environment variables dsr reads besides each option's own.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "DSR_STORE, DSR_MAP, DSR_TENANT, DSR_CONFIG, DSR_OPERATOR, DSR_REQUEST",
        "the global options of the same names",
    ),
    (
        "DSR_BUSY_TIMEOUT",
        "how long, in milliseconds, dsr waits for the application's write lock (default 5000)",
    ),
    ("NO_COLOR", "when set, nothing dsr prints is coloured"),
    (
        "XDG_CONFIG_HOME",
        "where the per-user config file is looked for (default ~/.config)",
    ),
];

/// Where the config file is looked for (DESIGN §1).
pub const FILES: &[(&str, &str)] = &[
    (
        "./dsr.toml",
        "the config file, when no --config is given: first this one",
    ),
    (
        "$XDG_CONFIG_HOME/dsr/config.toml",
        "then this one (default ~/.config/dsr/config.toml)",
    ),
    ("/etc/dsr/config.toml", "then this one"),
];

/// The data map's keys, for the THE DATA MAP section of dsr-check(1): the
/// installed binary's own reference, which error hints point at.
pub const MAP_KEYS: &[(&str, &str)] = &[
    ("version = 1", "the format's version; required"),
    ("region, language, timezone", "optional: default phone region (SE), default --lang of people's outputs (en), time zone of dates shown to people (Europe/Stockholm)"),
    ("[controller] name, contact, authority", "who is responsible, how to reach them, and where to complain; shown in every Art. 15 copy; automated_decisions optionally replaces the fixed Art. 15(1)(h) text"),
    ("[identifiers] KIND = \"email\"|\"personnummer\"|\"phone\"|\"text\"", "the kinds a SUBJECT (KIND:VALUE) may name, and how each is normalised"),
    ("[tables.NAME] purpose, legal_basis", "why the table is processed, and on which Art. 6(1) basis: consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests"),
    ("subjects = true", "the table holds one row per data subject (identifiers matching several of its rows are ambiguous, exit 5)"),
    ("identify = { KIND = \"column\" }", "columns holding the subject's identifiers (a list of columns also works)"),
    ("link = { to = \"TABLE\", on = { my_column = \"their_column\" } }", "the table's rows belong to the subject of the linked row (several links as a list; a link may carry its own on_erase)"),
    ("on_erase = \"delete\"|\"anonymize\"|\"keep\"", "what erasure does to the table's rows"),
    ("retention = { after = COLUMN, keep = DURATION }", "rows older than keep (30d, 12w, 6m, 1y) after the column's date are swept; action and round = \"year_end\" optional"),
    ("hold = { after = COLUMN, keep = DURATION, reason = TEXT }", "rows younger than keep are not erased until the hold ends (deferred); round = \"year_end\" optional"),
    ("source, recipients, transfers", "optional Art. 15(1)(g), 15(1)(c) and 15(2) information"),
    ("[tables.NAME.columns] COLUMN = { category, erase, with, extract, scan }", "a column's category; its erase strategy (null, redact, hash, keep; with = the redaction text); extract = false withholds it from copies; scan = true searches it as free text for mentions"),
    ("label, description = { sv = TEXT, en = TEXT }", "on a table or a column: what a person reads instead of its name, and a line explaining it (one string serves both languages)"),
    ("keep_reason = { sv = TEXT, en = TEXT }", "with on_erase = \"keep\": why the rows are not erased on request, told to the person"),
    ("[labels.categories], [labels.legal_bases], [labels.identifiers] CODE = { sv, en }", "the map's own words over the built-in ones; people's outputs never show a code that has words"),
    ("categories with built-in words", "identity, identity.name, identity.national_id, identity.customer_number, identity.employee_number, identity.birth_date, identity.photo, identity.username, contact, contact.email, contact.phone, contact.address, online, online.ip_address, online.login_time, online.device, online.cookie, location, location.position, content, content.free_text, content.message, financial, financial.invoice, financial.payment, financial.salary, financial.bank_account, usage, usage.energy, auth, auth.secret, contract, contract.dates, contract.meter, consent, consent.marketing, consent.record, employment, employment.period, employment.case_handler, support, support.case, health; any other is shown as written and dsr check warns"),
];
