#!/usr/bin/env python3
"""Benchmarks `dsr sweep` against one raw `DELETE … WHERE` by the sqlite3 CLI.

Builds a store with one table of --rows rows (default 10,000,000), one in
ten of them past a one-year retention rule (1,000,000). Then, --runs times,
each on a fresh copy of that store, taking turns:

  * `dsr sweep`, while an application thread inserts a row every 5 ms into
    the same store and times each insert (its longest stall is how long dsr
    kept the write lock, as the application feels it);
  * the same with `DSR_SWEEP_PLANNED=1`: every expired row read and planned,
    the way tables with holds or links beneath them are swept;
  * `sqlite3 DB "DELETE FROM events WHERE at < cutoff"`, with the same
    application thread.

And a harder store, swept planned by necessity: a tickets table of --tickets
rows (default --rows / 5; one in ten closed more than a year ago) with two
indexes and a `closed_at` column holding Unix seconds in half its rows and
ISO-8601 text in the other half, and an attachments table linked beneath it
(0, 1 or 2 attachments per ticket, a foreign key with no action, and an
index on it). `dsr sweep` against sqlite3 deleting the same rows in one
transaction (the expired tickets' attachments first, then the tickets, as
dsr does), the application inserting a ticket every 5 ms into that store.

With --oldest-first the expired rows are each table's first tenth by key,
as in a table an application inserted into in time order, and the events
table has an index on `at` (as a table swept by date has); the section is
then "sweep, oldest rows first".

Writes the section "sweep" of BENCHMARKS.md (medians, and every run) with
the command that produced it. Needs the sqlite3 CLI.
Usage: scripts/bench_sweep.py [--rows 10000000] [--tickets N] [--runs 3] [--oldest-first]
"""

import argparse
import json
import re
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import DSR, ROOT, write_section  # noqa: E402

# The controller and identifier both benchmark maps share.
HEADER = """version = 1
[controller]
name = "Bench AB"
contact = "dpo@bench.example"
authority = "Integritetsskyddsmyndigheten (IMY), www.imy.se"
[identifiers]
email = "email"
"""

MAP = HEADER + """[tables.events]
purpose = "Usage statistics"
legal_basis = "legitimate_interests"
identify = { email = "email" }
on_erase = "delete"
retention = { after = "at", keep = "1y", action = "delete" }
[tables.events.columns]
email = { category = "contact.email", erase = "hash" }
"""

TICKETS_MAP = HEADER + """[tables.tickets]
purpose = "Customer service"
legal_basis = "contract"
identify = { email = "customer_email" }
on_erase = "delete"
retention = { after = "closed_at", keep = "1y", action = "delete" }
[tables.tickets.columns]
customer_email = { category = "contact.email", erase = "hash" }
subject = { category = "support.case" }
body = { category = "content.free_text" }
closed_at = { category = "support.case" }
[tables.attachments]
purpose = "Customer service"
legal_basis = "contract"
link = { to = "tickets", on = { ticket_id = "id" } }
on_erase = "delete"
[tables.attachments.columns]
filename = { category = "support.case", erase = "redact" }
"""

# A ticket's `closed_at` has expired (Unix seconds, or ISO-8601 text).
TICKET_EXPIRED = "(closed_at < {c} OR (closed_at >= '' AND closed_at < x'' AND unixepoch(closed_at) < {c}))"


def expired_when(rows, oldest):
    """Which rows `n` of a build are past the rule: one in ten, spread over
    the table, or (`oldest`) its first tenth by key."""
    return f"n <= {rows // 10}" if oldest else "n % 10 = 0"


def build_tickets(path, rows, oldest=False):
    sql = f"""PRAGMA journal_mode = WAL;
CREATE TABLE tickets (id INTEGER PRIMARY KEY, customer_email TEXT NOT NULL, status TEXT NOT NULL,
  subject TEXT, body TEXT, opened_at INTEGER, closed_at);
CREATE TABLE attachments (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL REFERENCES tickets (id),
  filename TEXT, size INTEGER, sha256 TEXT);
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {rows}),
  t(n, at) AS (SELECT n, CASE WHEN {expired_when(rows, oldest)} THEN 1500000000 + n ELSE 1790000000 + n % 1000 END FROM c)
INSERT INTO tickets SELECT n, 'user' || (n % 50000) || '@example.se', 'closed',
  'Question about invoice ' || n, 'Hello, I have a question about my invoice number ' || n || ', can you help?',
  at - 86400, CASE WHEN (n / 10) % 2 = 0 THEN at ELSE strftime('%Y-%m-%dT%H:%M:%SZ', at, 'unixepoch') END FROM t;
INSERT INTO attachments (ticket_id, filename, size, sha256)
  SELECT id, 'scan-' || id || '-' || k || '.pdf', 1000 + id % 5000, hex(randomblob(16))
  FROM tickets, (SELECT 1 AS k UNION ALL SELECT 2) WHERE k <= id % 3;
CREATE INDEX tickets_customer ON tickets (customer_email);
CREATE INDEX tickets_closed ON tickets (closed_at);
CREATE INDEX attachments_ticket ON attachments (ticket_id);
"""
    subprocess.run(["sqlite3", path], input=sql.encode(), check=True, stdout=subprocess.DEVNULL)


def build(path, rows, oldest=False):
    sql = f"""PRAGMA journal_mode = WAL;
CREATE TABLE events (id INTEGER PRIMARY KEY, email TEXT, at INTEGER NOT NULL, payload TEXT);
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {rows})
INSERT INTO events SELECT n, 'user' || (n % 50000) || '@example.se',
  CASE WHEN {expired_when(rows, oldest)} THEN 1500000000 + n ELSE 1790000000 + n % 1000 END, 'payload-' || n FROM c;
""" + ("CREATE INDEX events_at ON events (at);\n" if oldest else "")
    subprocess.run(["sqlite3", path], input=sql.encode(), check=True, stdout=subprocess.DEVNULL)


class App(threading.Thread):
    """Inserts a row every 5 ms and records how long each insert took."""

    def __init__(self, path, tickets=False):
        super().__init__(daemon=True)
        self.path, self.stop, self.latencies, self.failed = path, threading.Event(), [], 0
        self.tickets = tickets

    def run(self):
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        i = 0
        while not self.stop.is_set():
            i += 1
            t = time.perf_counter()
            try:
                if self.tickets:
                    conn.execute("INSERT INTO tickets (customer_email, status, subject, body, opened_at, closed_at) "
                                 "VALUES (?, 'open', 'New question', 'app', ?, NULL)", (f"app{i}@example.se", int(time.time())))
                else:
                    conn.execute("INSERT INTO events (email, at, payload) VALUES (?, ?, 'app')", (f"app{i}@example.se", int(time.time())))
            except sqlite3.Error:
                self.failed += 1
            self.latencies.append((time.perf_counter() - t) * 1000)
            time.sleep(0.005)
        conn.close()


def timed(cmd, store, stdin=None, env=None, with_app=True, tickets=False):
    app = App(store, tickets)
    if with_app:
        app.start()
        time.sleep(0.2)
    t = time.perf_counter()
    out = subprocess.run(cmd, input=stdin, check=True, capture_output=True, env=env)
    took = time.perf_counter() - t
    app.stop.set()
    if with_app:
        app.join()
    return {"s": took, "stall": max(app.latencies, default=None), "writes": len(app.latencies),
            "failed": app.failed, "out": out.stdout}


def count_expired(path, cutoff):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM events WHERE at < ?", (cutoff,)).fetchone()[0]
    finally:
        conn.close()


def count_tickets(path, cutoff):
    """(expired tickets, their attachments, attachments whose ticket is gone)."""
    conn = sqlite3.connect(path)
    try:
        cond = TICKET_EXPIRED.format(c=cutoff)
        t = conn.execute(f"SELECT count(*) FROM tickets WHERE {cond}").fetchone()[0]
        a = conn.execute(f"SELECT count(*) FROM attachments WHERE ticket_id IN (SELECT id FROM tickets WHERE {cond})").fetchone()[0]
        o = conn.execute("SELECT count(*) FROM attachments WHERE ticket_id NOT IN (SELECT id FROM tickets)").fetchone()[0]
        return t, a, o
    finally:
        conn.close()


def fresh(base, db):
    for ext in ("-wal", "-shm"):
        if os.path.exists(db + ext):
            os.remove(db + ext)
    shutil.copy(base, db)
    os.sync()  # every side starts with no writeback of the copy pending


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--tickets", type=int, default=None, help="rows of the tickets table (default: --rows / 5)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--oldest-first", action="store_true",
                    help="the expired rows are each table's first tenth by key, events indexed on `at` (own section)")
    ap.add_argument("--also", metavar="BIN", help="another dsr build, timed planned on both stores in the same turns")
    a = ap.parse_args()
    n_tickets = a.tickets if a.tickets is not None else a.rows // 5
    if not shutil.which("sqlite3"):
        sys.exit("bench_sweep: the sqlite3 CLI is needed: apt-get install sqlite3")
    if not os.environ.get("DSR_BENCH_BIN"):
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="dsr-bench-sweep-")
    sides = {"dsr": [], "planned": [], "sqlite3": [], "dsr alone": [], "sqlite3 alone": [],
             "tickets dsr": [], "tickets sqlite3": []}
    if a.also:
        sides["planned, also"], sides["tickets dsr, also"] = [], []
    try:
        base, db, dmap = (os.path.join(work, n) for n in ("base.db", "run.db", "map.toml"))
        tbase, tmap = os.path.join(work, "tickets.db"), os.path.join(work, "tickets.toml")
        t = time.perf_counter()
        build(base, a.rows, a.oldest_first)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        build_tickets(tbase, n_tickets, a.oldest_first)
        tbuild_s = time.perf_counter() - t
        open(dmap, "w").write(MAP)
        open(tmap, "w").write(TICKETS_MAP)
        cutoff = int(time.time()) - 366 * 86400
        expired = count_expired(base, cutoff)
        t_expired, a_expired, _ = count_tickets(tbase, cutoff)
        conn = sqlite3.connect(tbase)
        n_attachments = conn.execute("SELECT count(*) FROM attachments").fetchone()[0]
        conn.close()
        planned_env = dict(os.environ, DSR_SWEEP_PLANNED="1")
        tcond = TICKET_EXPIRED.format(c=cutoff)
        for run in range(a.runs):
            # Each side on a fresh copy of the same store, taking turns (the
            # order of each pair alternating from run to run).
            order = list(sides)
            if run % 2:
                order = ["sqlite3", "planned", "dsr", "sqlite3 alone", "dsr alone", "tickets sqlite3", "tickets dsr"]
                if a.also:
                    order = ["planned, also"] + order[:5] + ["tickets dsr, also"] + order[5:]
            for side in order:
                tickets = side.startswith("tickets")
                fresh(tbase if tickets else base, db)
                with_app = not side.endswith("alone")
                if side == "tickets sqlite3":
                    script = (f".timeout 30000\n.timer on\nBEGIN IMMEDIATE;\n"
                              f"DELETE FROM attachments WHERE ticket_id IN (SELECT id FROM tickets WHERE {tcond});\n"
                              f"DELETE FROM tickets WHERE {tcond};\nCOMMIT;\nPRAGMA wal_checkpoint;\n")
                    r = timed(["sqlite3", db], db, with_app=True, tickets=True, stdin=script.encode())
                    r["deleted"], r["attachments"], r["batches"], r["longest"] = t_expired, a_expired, 1, None
                    timers = [float(x) for x in re.findall(r"Run Time: real ([0-9.]+)", r["out"].decode())]
                    r["delete_s"], r["checkpoint_s"] = sum(timers[:-1]), timers[-1]
                elif side.startswith("sqlite3"):
                    r = timed(["sqlite3", db], db, with_app=with_app,
                              stdin=f".timeout 30000\n.timer on\nDELETE FROM events WHERE at < {cutoff};\nPRAGMA wal_checkpoint;\n".encode())
                    r["deleted"], r["batches"], r["longest"] = expired, 1, None
                    timers = re.findall(r"Run Time: real ([0-9.]+)", r["out"].decode())
                    r["delete_s"], r["checkpoint_s"] = float(timers[0]), float(timers[1])
                else:
                    binary = a.also if side.endswith(", also") else DSR
                    r = timed([binary, "--store", db, "--map", tmap if tickets else dmap, "--json", "sweep"], db,
                              with_app=with_app, tickets=tickets,
                              env=planned_env if side.startswith("planned") else None)
                    doc = json.loads(r["out"])
                    if tickets:
                        r["deleted"] = doc["tables"].get("tickets", {}).get("deleted", 0)
                        r["attachments"] = doc["tables"].get("attachments", {}).get("deleted", 0)
                        left = count_tickets(db, cutoff)
                        if left != (0, 0, 0):
                            sys.exit(f"bench_sweep: {left} (expired tickets, their attachments, orphans) left after {side}")
                        if (r["deleted"], r["attachments"]) != (t_expired, a_expired):
                            sys.exit(f"bench_sweep: {side} deleted {r['deleted']} tickets and {r['attachments']} attachments, "
                                     f"not {t_expired} and {a_expired}")
                    else:
                        r["deleted"] = doc["tables"].get("events", {}).get("deleted", 0)
                        left = count_expired(db, cutoff)
                        if left:
                            sys.exit(f"bench_sweep: {left} expired rows left after the {side} sweep")
                    r["batches"], r["longest"] = doc["batches"], doc["longest_transaction_ms"]
                sides[side].append(r)
                print(f"run {run + 1} {side}: {r['s']:.2f} s, longest insert {r['stall'] or 0:.0f} ms", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    order = ("dsr", "planned", "sqlite3", "dsr alone", "sqlite3 alone") + (("planned, also",) if a.also else ())
    med = {k: statistics.median(r["s"] for r in sides[k]) for k in sides}

    def row(label, f, keys=order):
        return f"| {label} | " + " | ".join(f(sides[k]) for k in keys) + " |"

    def longest(v):
        return "" if v[0]["longest"] is None else str(max(r["longest"] for r in v))

    def stall(v):
        return "–" if v[0]["stall"] is None else f"{max(r['stall'] for r in v):.0f}"

    def stalls(v):
        return ", ".join(f"{r['stall']:.0f}" for r in v)

    def inserts(v):
        return "–" if v[0]["stall"] is None else f"{sum(r['writes'] for r in v):,} / {sum(r['failed'] for r in v)}"

    def timers(v):
        return "" if "delete_s" not in v[0] else ", ".join(f"{r['delete_s']:.2f} / {r['checkpoint_s']:.2f}" for r in v)

    tk = ("tickets dsr", "tickets sqlite3") + (("tickets dsr, also",) if a.also else ())
    also_note = (f"The last column is another build, `{a.also}`, in the same turns. " if a.also else "")
    planned_ratio = med["planned"] / med["sqlite3"]
    tickets_ratio = med["tickets dsr"] / med["tickets sqlite3"]
    planned_stall = max(max(r["stall"] for r in sides[k]) for k in ("planned", "tickets dsr"))
    met = lambda ok: "met" if ok else "missed"  # noqa: E731
    name = "sweep, oldest rows first" if a.oldest_first else "sweep"
    spread = (" (the first tenth of the table by key, as rows an application inserted in time order are; "
              "an index on `at`)" if a.oldest_first else " (one row in ten, spread over the table; no index on `at`)")
    lines = [
        f"## {name}",
        "",
        f"Command: `scripts/bench_sweep.py --rows {a.rows} --runs {a.runs}"
        + (f" --also {a.also}" if a.also else "") + (f" --tickets {a.tickets}" if a.tickets is not None else "")
        + (" --oldest-first" if a.oldest_first else "") + "`  ",
        f"A table of {a.rows:,} rows (built in {build_s:.0f} s), {expired:,} of them past a one-year retention rule{spread}. "
        f"{a.runs} runs; in each, every side sweeps a fresh copy of the same store while an application thread "
        "inserts a row every 5 ms into it (busy timeout 30 s) and times each insert, except the two sides "
        "\"alone\", which run with no application; the sides take turns, in the reverse order every other run. "
        "\"dsr sweep\" is what a user runs: the table has no hold and nothing links to it, so each batch deletes in "
        "one pass; \"planned\" is the same sweep with `DSR_SWEEP_PLANNED=1`, which reads every expired row and "
        "plans it, as for tables with holds or links beneath them. The sqlite3 side ends with "
        "`PRAGMA wal_checkpoint`: with the application holding the store open, the CLI does not copy its "
        "write-ahead log back into the database on exit, and would leave that work to the application "
        "(dsr's sweep does it after each batch, within its time). "
        f"{os.cpu_count()} cores.",
        "",
        also_note,
        "",
        "| | dsr sweep | dsr sweep, planned | sqlite3 `DELETE … WHERE at < cutoff` | dsr sweep, alone | sqlite3, alone |"
        + (" the other build, planned |" if a.also else ""),
        "| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if a.also else ""),
        row("median wall time (s)", lambda v: f"{statistics.median(r['s'] for r in v):.2f}"),
        f"| ratio to the raw DELETE | {med['dsr'] / med['sqlite3']:.2f}× | {planned_ratio:.2f}× | 1.00× "
        f"| {med['dsr alone'] / med['sqlite3 alone']:.2f}× | 1.00× |"
        + (f" {med['planned, also'] / med['sqlite3']:.2f}× |" if a.also else ""),
        row("each run (s)", lambda v: ", ".join(f"{r['s']:.2f}" for r in v)),
        row("rows deleted per run", lambda v: f"{v[0]['deleted']:,}"),
        row("longest application insert (ms)", stall),
        row("longest application insert, each run (ms)", lambda v: "–" if v[0]["stall"] is None else stalls(v)),
        row("application inserts done / failed", inserts),
        row("batches (write transactions) per run", lambda v: str(v[0]["batches"])),
        row("longest dsr transaction (ms)", longest),
        row("sqlite3: the DELETE / the checkpoint (s)", timers),
        "",
        f"Tickets: a table of {n_tickets:,} tickets (two indexes: the customer's email address and `closed_at`; "
        "`closed_at` holds Unix seconds in half the rows and ISO-8601 text in the other half) and "
        f"{n_attachments:,} attachments linked beneath them (a foreign key with no action, indexed; "
        f"built in {tbuild_s:.0f} s); {t_expired:,} tickets closed more than a year ago{' (the first by key)' if a.oldest_first else ''}, with {a_expired:,} attachments. "
        "Something links into tickets, so dsr plans every batch (no `DSR_SWEEP_PLANNED` needed). sqlite3 deletes the "
        "same rows in one transaction, the attachments first as dsr does: "
        "`BEGIN IMMEDIATE; DELETE FROM attachments WHERE ticket_id IN (SELECT id FROM tickets WHERE expired); "
        "DELETE FROM tickets WHERE expired; COMMIT; PRAGMA wal_checkpoint`, where expired is "
        "`closed_at < cutoff OR (closed_at >= '' AND closed_at < x'' AND unixepoch(closed_at) < cutoff)`. "
        "The application inserts a ticket every 5 ms.",
        "",
        also_note,
        "",
        "| tickets | dsr sweep | sqlite3, the same deletes |" + (" the other build |" if a.also else ""),
        "| --- | ---: | ---: |" + (" ---: |" if a.also else ""),
        row("median wall time (s)", lambda v: f"{statistics.median(r['s'] for r in v):.2f}", tk),
        f"| ratio to the raw DELETE | {tickets_ratio:.2f}× | 1.00× |"
        + (f" {med['tickets dsr, also'] / med['tickets sqlite3']:.2f}× |" if a.also else ""),
        row("each run (s)", lambda v: ", ".join(f"{r['s']:.2f}" for r in v), tk),
        row("tickets / attachments deleted per run", lambda v: f"{v[0]['deleted']:,} / {v[0]['attachments']:,}", tk),
        row("longest application insert (ms)", stall, tk),
        row("longest application insert, each run (ms)", stalls, tk),
        row("application inserts done / failed", inserts, tk),
        row("batches (write transactions) per run", lambda v: str(v[0]["batches"]), tk),
        row("longest dsr transaction (ms)", longest, tk),
        row("sqlite3: the deletes / the checkpoint (s)", timers, tk),
        "",
        f"- planned sweep ≤ 1.3× the raw DELETE: {planned_ratio:.2f}× on the events table, "
        f"{met(planned_ratio <= 1.3)}; {tickets_ratio:.2f}× on tickets, {met(tickets_ratio <= 1.3)}",
        f"- the application's longest wait during a planned sweep ≤ 250 ms: {planned_stall:.0f} ms, "
        f"{met(planned_stall <= 250)}",
        "- every dsr run left 0 expired rows, and on tickets deleted exactly the expired tickets and their "
        "attachments, leaving no attachment without its ticket (the script checks).",
    ]
    section = "\n".join(lines) + "\n"
    write_section(a.out, name, section)
    print(section)


if __name__ == "__main__":
    main()
