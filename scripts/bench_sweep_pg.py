#!/usr/bin/env python3
"""Benchmarks `dsr sweep` on PostgreSQL against raw `DELETE … WHERE` by psql.

For every run and side, builds the store afresh in a schema of its own
(`INSERT … SELECT generate_series`, deterministic, so every copy is
identical), then `VACUUM ANALYZE` and a `CHECKPOINT`, so that no side
inherits the build's work. Two stores:

The events table: --rows rows (default 10,000,000), one in ten of them past
a one-year retention rule (1,000,000), `id bigint` identity primary key, an
index on the `timestamptz` column `at`. Taking turns:

  * `dsr sweep` of a map with one retention rule for that table: the table
    has no hold and nothing linked beneath, so each batch deletes in one
    pass;
  * the same with `DSR_SWEEP_PLANNED=1`: every expired row read and
    planned, the way tables with holds or links beneath them are swept;
  * `psql -c "DELETE FROM events WHERE at < now() - interval '1 year'"`.

The tickets store, swept planned by necessity, as bench_sweep.py's on
SQLite: --tickets tickets (default --rows / 5; one in ten closed more than
a year ago) with two indexes (the customer's email address, `closed_at`)
and an attachments table linked beneath them (0, 1 or 2 a ticket, a
foreign key with no action, indexed). A PostgreSQL column has one type, so
`closed_at` is what a PostgreSQL schema has, a `timestamptz` (NULL while
open); with --text-dates a second copy of the store, "tickets, text
dates", has `closed_at text` holding Unix seconds in half its rows and
ISO-8601 text in the other half (as the demo's PostgreSQL tickets do, and
SQLite's benchmark store), which dsr cannot compare in SQL and tests
itself. `dsr sweep` against psql deleting the same rows in one
transaction: the expired tickets' attachments first, then the tickets, as
dsr does.

Each side runs while an application (`pgbench -n -f insert.sql -c 1 -R
RATE --log`) inserts rows into the same table (events, or open tickets);
every insert's latency comes from pgbench's per-transaction log. The
application is stopped when the side ends (its session terminated: pgbench
then writes its log and exits). The longest insert is pgbench's latency
less its schedule lag: how long the insert itself waited, not how late
pgbench started it. After every side the script checks that exactly the
expired rows (and their attachments) are gone: none left, every other row
of the build still there, and dsr's counts equal to them.

Writes the section "sweep (PostgreSQL)" of BENCHMARKS.md with the command.
Needs psql and pgbench (Debian: postgresql-client, postgresql-contrib).
With --also BIN another dsr build sweeps too (the events table in one
pass, and the tickets), in the same turns. With --trace the dsr sides run
with `DSR_TRACE=1` and their phase timings, summed per phase, go to stderr
(the trace costs a little time of its own).

Usage: scripts/bench_sweep_pg.py --store postgres://…/dsr_bench [--rows 10000000] [--tickets N] [--runs 3]
       [--rate 100] [--text-dates] [--also BIN [--also-label TEXT]] [--trace]
"""

import argparse
import collections
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from bench_sweep import MAP, TICKETS_MAP  # noqa: E402

ALSO = "dsr, --also build"
CUTOFF = "now() - interval '1 year'"
# A ticket's `closed_at` has expired: a timestamptz, or (--text-dates) text
# holding Unix seconds or ISO-8601.
TICKET_EXPIRED = {
    "tickets": f"closed_at < {CUTOFF}",
    "text": f"(CASE WHEN closed_at ~ '^[0-9]+$' THEN to_timestamp(closed_at::float8) "
            f"ELSE closed_at::timestamptz END) < {CUTOFF}",
}
# The sides of each store, in the order of the odd runs (the even runs
# reverse each store's).
STORE_SIDES = {
    "events": ("dsr", "planned", "DELETE"),
    "tickets": ("tickets dsr", "tickets psql"),
    "text": ("text dsr", "text psql"),
}


def psql(url, sql, capture=False):
    p = subprocess.run(["psql", bench.libpq_uri(url), "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench_sweep_pg: psql failed: {p.stderr.strip()}")
    return p.stdout.strip() if capture else None


def count(url, sql):
    return int(psql(url, sql, True))


def settle(url, schema, tables):
    for t in tables:
        psql(url, f"VACUUM ANALYZE {schema}.{t}")
    psql(url, "CHECKPOINT")


def expired_when(rows, oldest):
    """Which rows `n` of a build are past the rule: one in ten, spread
    over the table, or (`oldest`) its first tenth by key, as a table an
    application inserted into in time order holds them."""
    return f"n <= {rows // 10}" if oldest else "n % 10 = 0"


def build(url, schema, rows, oldest=False):
    """The table `events` of `rows` rows in `schema`, ready as an
    application's table is: indexed, vacuumed, analysed, checkpointed."""
    psql(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    psql(url, f"""CREATE SCHEMA {schema};
CREATE TABLE {schema}.events (id bigint GENERATED BY DEFAULT AS IDENTITY, email text NOT NULL,
  at timestamptz NOT NULL, payload text);
INSERT INTO {schema}.events (id, email, at, payload)
  SELECT n, 'user' || (n % 50000) || '@example.se',
    CASE WHEN {expired_when(rows, oldest)} THEN timestamptz '2017-01-01 00:00:00+00' + n * interval '1 second'
         ELSE now() - (n % 1000) * interval '1 hour' END,
    'payload-' || n
  FROM generate_series(1, {rows}) AS n;
ALTER TABLE {schema}.events ADD PRIMARY KEY (id);
ALTER TABLE {schema}.events ALTER COLUMN id RESTART WITH {rows + 1};
CREATE INDEX events_at ON {schema}.events (at);""")
    settle(url, schema, ("events",))


def build_tickets(url, schema, rows, text, oldest=False):
    """Tickets of `rows` rows and their attachments in `schema`; `closed_at`
    a timestamptz, or (text) Unix seconds and ISO-8601 text in turns of ten."""
    closed = ("CASE WHEN (n / 10) % 2 = 0 THEN extract(epoch FROM at)::bigint::text "
              "ELSE to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END") if text else "at"
    psql(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    psql(url, f"""CREATE SCHEMA {schema};
CREATE TABLE {schema}.tickets (id bigint GENERATED BY DEFAULT AS IDENTITY, customer_email text NOT NULL,
  status text NOT NULL, subject text, body text, opened_at timestamptz, closed_at {'text' if text else 'timestamptz'});
CREATE TABLE {schema}.attachments (id bigint GENERATED BY DEFAULT AS IDENTITY, ticket_id bigint NOT NULL,
  filename text, size integer, sha256 text);
INSERT INTO {schema}.tickets (id, customer_email, status, subject, body, opened_at, closed_at)
  SELECT n, 'user' || (n % 50000) || '@example.se', 'closed', 'Question about invoice ' || n,
    'Hello, I have a question about my invoice number ' || n || ', can you help?', at - interval '1 day', {closed}
  FROM (SELECT n, CASE WHEN {expired_when(rows, oldest)} THEN timestamptz '2017-01-01 00:00:00+00' + n * interval '1 second'
                       ELSE now() - (n % 1000) * interval '1 hour' END AS at
        FROM generate_series(1, {rows}) AS n) AS t;
INSERT INTO {schema}.attachments (ticket_id, filename, size, sha256)
  SELECT n, 'scan-' || n || '-' || k || '.pdf', 1000 + n % 5000, md5(n || '-' || k)
  FROM generate_series(1, {rows}) AS n, generate_series(1, 2) AS k WHERE k <= n % 3;
ALTER TABLE {schema}.tickets ADD PRIMARY KEY (id);
ALTER TABLE {schema}.tickets ALTER COLUMN id RESTART WITH {rows + 1};
ALTER TABLE {schema}.attachments ADD PRIMARY KEY (id);
ALTER TABLE {schema}.attachments ADD FOREIGN KEY (ticket_id) REFERENCES {schema}.tickets (id);
CREATE INDEX tickets_customer ON {schema}.tickets (customer_email);
CREATE INDEX tickets_closed ON {schema}.tickets (closed_at);
CREATE INDEX attachments_ticket ON {schema}.attachments (ticket_id);""")
    settle(url, schema, ("tickets", "attachments"))


def expired(url, schema):
    return count(url, f"SELECT count(*) FROM {schema}.events WHERE at < {CUTOFF}")


def state(url, store, schema, built):
    """What the checks compare: for events (expired rows, rows of the build
    still there); for tickets (expired tickets, their attachments, tickets
    of the build still there, attachments, attachments without a ticket)."""
    if store == "events":
        return (expired(url, schema), count(url, f"SELECT count(*) FROM {schema}.events WHERE id <= {built}"))
    cond = TICKET_EXPIRED[store]
    return tuple(int(x) for x in psql(url, f"""SELECT
  (SELECT count(*) FROM {schema}.tickets WHERE {cond}),
  (SELECT count(*) FROM {schema}.attachments WHERE ticket_id IN (SELECT id FROM {schema}.tickets WHERE {cond})),
  (SELECT count(*) FROM {schema}.tickets WHERE id <= {built}),
  (SELECT count(*) FROM {schema}.attachments),
  (SELECT count(*) FROM {schema}.attachments a WHERE NOT EXISTS (SELECT 1 FROM {schema}.tickets t WHERE t.id = a.ticket_id))""",
                                           True).split("|"))


class App:
    """pgbench inserting into the table at --rate per second, one client."""

    def __init__(self, url, schema, rate, work, tickets=False):
        self.url, self.prefix = url, os.path.join(work, f"app-{schema}")
        script = os.path.join(work, f"insert-{schema}.sql")
        with open(script, "w") as f:
            if tickets:
                f.write(f"INSERT INTO {schema}.tickets (customer_email, status, subject, body, opened_at, closed_at) "
                        "VALUES ('app@example.se', 'open', 'New question', 'app', now(), NULL);\n")
            else:
                f.write(f"INSERT INTO {schema}.events (email, at, payload) VALUES ('app@example.se', now(), 'app');\n")
        for old in glob.glob(self.prefix + ".*"):
            os.remove(old)
        self.proc = subprocess.Popen(
            ["pgbench", "-n", "-f", script, "-c", "1", "-R", str(rate), "-T", "3600", "--log",
             f"--log-prefix={self.prefix}", bench.libpq_uri(url)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)

    def stop(self, t0, t1):
        """Ends pgbench; the inserts that started before t1 (epoch seconds),
        as (latency ms, latency less schedule lag ms) each, and how many
        inserts started during [t0, t1]."""
        db = bench.database_of(self.url)
        psql(self.url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       f"WHERE application_name = 'pgbench' AND datname = '{db}'")
        self.proc.wait(timeout=60)
        out, during = [], 0
        for path in glob.glob(self.prefix + ".*"):
            for line in open(path):
                f = line.split()
                if len(f) < 7 or f[2] == "skipped":
                    continue
                lat, lag = int(f[2]), int(f[6])
                end = int(f[4]) + int(f[5]) / 1e6
                start = end - lat / 1e6
                if start < t1:
                    out.append((lat / 1000, (lat - lag) / 1000))
                    during += start >= t0
        return out, during


def trace_phases(stderr, into):
    """Adds the `dsr trace: PHASE 1.234 ms` lines of stderr into `into`
    (ms and count per phase)."""
    for m in re.finditer(r"^dsr trace: (\S.*?) ([0-9.]+) ms", stderr, re.M):
        into[m.group(1)][0] += float(m.group(2))
        into[m.group(1)][1] += 1


def run_side(side, store, url, schema, maps, rate, work, built, want, a, traces):
    """One side on a fresh copy; `want` is the state the build should be
    left in (see `state`) and what dsr should count."""
    app = App(url, schema, rate, work, tickets=store != "events")
    t0 = time.time()
    if "dsr" in side or side == "planned":
        env = dict(os.environ)
        if side == "planned" or (side == ALSO and a.also_planned):
            env["DSR_SWEEP_PLANNED"] = "1"
        if a.trace:
            env["DSR_TRACE"] = "1"
        binary = a.also if side.endswith(", also") or side == ALSO else bench.DSR
        p = subprocess.run([binary, "--store", bench.pg_url(url, schema), "--map", maps[store], "--json", "sweep"],
                           capture_output=True, text=True, env=env)
    elif store == "events":
        p = subprocess.run(["psql", bench.libpq_uri(url), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                            f"DELETE FROM {schema}.events WHERE at < {CUTOFF}"],
                           capture_output=True, text=True)
    else:
        cond = TICKET_EXPIRED[store]
        p = subprocess.run(["psql", bench.libpq_uri(url), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1",
                            "-c", f"DELETE FROM {schema}.attachments WHERE ticket_id IN "
                                  f"(SELECT id FROM {schema}.tickets WHERE {cond})",
                            "-c", f"DELETE FROM {schema}.tickets WHERE {cond}"],
                           capture_output=True, text=True)
    t1 = time.time()
    inserts, during = app.stop(t0, t1)
    if p.returncode != 0:
        sys.exit(f"bench_sweep_pg: the {side} side failed (exit {p.returncode}): {p.stderr.strip()}")
    r = {"s": t1 - t0, "inserts": during,
         "wait": max((w for _, w in inserts), default=0.0), "latency": max((x for x, _ in inserts), default=0.0)}
    if p.stdout.startswith("{"):
        doc = json.loads(p.stdout)
        if store == "events":
            r["deleted"] = doc["tables"].get("events", {}).get("deleted", 0)
        else:
            r["deleted"] = doc["tables"].get("tickets", {}).get("deleted", 0)
            r["attachments"] = doc["tables"].get("attachments", {}).get("deleted", 0)
        r["batches"], r["longest"] = doc["batches"], doc["longest_transaction_ms"]
        if a.trace:
            trace_phases(p.stderr, traces[side])
        counted = (r["deleted"],) if store == "events" else (r["deleted"], r["attachments"])
        if counted != want["deleted"]:
            sys.exit(f"bench_sweep_pg: the {side} side counted {counted} deleted, not {want['deleted']}")
    left = state(url, store, schema, built)
    if left != want["after"]:
        sys.exit(f"bench_sweep_pg: after the {side} side the store is {left}, not {want['after']} "
                 f"(see `state` for what the numbers are)")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True, help="postgres://…/DB (the schemas dsr_sweep_* are made there)")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--tickets", type=int, default=None, help="rows of the tickets table (default: --rows / 5)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rate", type=int, default=100, help="application inserts per second")
    ap.add_argument("--text-dates", action="store_true", help="also the tickets store with `closed_at text`")
    ap.add_argument("--oldest-first", action="store_true",
                    help="the expired rows are each table's first tenth by key, not one in ten (its own section)")
    ap.add_argument("--also", metavar="BIN", help="another dsr build swept too, in turns (before and after a change)")
    ap.add_argument("--also-planned", action="store_true", help="the --also build sweeps the events table planned")
    ap.add_argument("--also-label", default="the --also build", help="its column's name")
    ap.add_argument("--trace", action="store_true", help="DSR_TRACE=1 on the dsr sides; phases summed on stderr")
    ap.add_argument("--out", default=os.path.join(bench.ROOT, "BENCHMARKS.md"))
    a = ap.parse_args()
    n_tickets = a.tickets if a.tickets is not None else a.rows // 5
    stores = ("events", "tickets") + (("text",) if a.text_dates else ())
    groups = {s: STORE_SIDES[s] + (((ALSO,) if s == "events" else (f"{s} dsr, also",)) if a.also else ())
              for s in stores}
    sides = [side for s in stores for side in groups[s]]
    for tool in ("psql", "pgbench"):
        if not shutil.which(tool):
            sys.exit(f"bench_sweep_pg: {tool} is needed (Debian: apt-get install postgresql-client postgresql-contrib)")
    if not os.environ.get("DSR_BENCH_BIN"):
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=bench.ROOT, check=True)
    work = tempfile.mkdtemp(prefix="dsr-bench-sweep-pg-")
    maps = {"events": os.path.join(work, "map.toml"), "tickets": os.path.join(work, "tickets.toml")}
    maps["text"] = maps["tickets"]
    with open(maps["events"], "w") as f:
        f.write(MAP)
    with open(maps["tickets"], "w") as f:
        f.write(TICKETS_MAP)
    machine = bench.pg_machine(a.store)
    res = {s: [] for s in sides}
    builds = {s: [] for s in stores}
    built = {"events": a.rows, "tickets": n_tickets, "text": n_tickets}
    counts, want = {}, {}
    traces = collections.defaultdict(lambda: collections.defaultdict(lambda: [0.0, 0]))
    try:
        for i in range(a.runs):
            for store in stores:
                for side in groups[store] if i % 2 == 0 else reversed(groups[store]):
                    schema = f"dsr_sweep_{sides.index(side)}"
                    t = time.perf_counter()
                    if store == "events":
                        build(a.store, schema, a.rows, a.oldest_first)
                    else:
                        build_tickets(a.store, schema, n_tickets, store == "text", a.oldest_first)
                    builds[store].append(time.perf_counter() - t)
                    if store not in counts:
                        # The build's counts, the same in every copy.
                        before = state(a.store, store, schema, built[store])
                        if store == "events":
                            counts[store] = {"expired": before[0]}
                            want[store] = {"deleted": (before[0],), "after": (0, a.rows - before[0])}
                        else:
                            t_exp, a_exp, _, n_att, _ = before
                            counts[store] = {"expired": t_exp, "attachments": a_exp, "all attachments": n_att}
                            want[store] = {"deleted": (t_exp, a_exp),
                                           "after": (0, 0, n_tickets - t_exp, n_att - a_exp, 0)}
                    r = run_side(side, store, a.store, schema, maps, a.rate, work, built[store], want[store], a, traces)
                    res[side].append(r)
                    print(f"run {i + 1} {side:14} {r['s']:6.2f} s  longest insert wait {r['wait']:.0f} ms "
                          f"(latency {r['latency']:.0f} ms), {r['inserts']} inserts"
                          + (f", {r['batches']} batches" if "batches" in r else ""), file=sys.stderr)
                    psql(a.store, f"DROP SCHEMA {schema} CASCADE")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if a.trace:
        for side, phases in traces.items():
            total = sum(ms for ms, _ in phases.values())
            print(f"trace, {side} ({a.runs} runs, {total / 1000:.2f} s in marks):", file=sys.stderr)
            for phase, (ms, n) in sorted(phases.items(), key=lambda kv: -kv[1][0]):
                print(f"  {phase:28} {ms / 1000 / a.runs:7.2f} s a run  ({n // a.runs} marks a run, "
                      f"{100 * ms / total:4.1f}%)", file=sys.stderr)

    med = {s: statistics.median(r["s"] for r in res[s]) for s in sides}
    ratio = med["dsr"] / med["DELETE"]
    wait = max(r["wait"] for r in res["dsr"])
    planned_ratio = med["planned"] / med["DELETE"]
    tickets_ratio = {s: med[f"{s} dsr"] / med[f"{s} psql"] for s in stores if s != "events"}
    planned_wait = max(r["wait"] for s in ["planned"] + [f"{s} dsr" for s in tickets_ratio] for r in res[s])
    met = lambda ok: "met" if ok else "missed"  # noqa: E731

    def row(label, f, keys):
        return f"| {label} | " + " | ".join(f(res[s]) for s in keys) + " |"

    def ratio_to(raw):
        return lambda v: f"{statistics.median(r['s'] for r in v) / med[raw]:.2f}×"

    def common(keys, raw):
        return [
            row("median wall time (s)", lambda v: f"{statistics.median(r['s'] for r in v):.2f}", keys),
            row("ratio to the raw DELETE", ratio_to(raw), keys),
            row("each run (s)", lambda v: ", ".join(f"{r['s']:.2f}" for r in v), keys),
        ]

    def app_rows(keys):
        return [
            row("longest application insert, each run (ms)", lambda v: ", ".join(f"{r['wait']:.0f}" for r in v), keys),
            row("longest latency incl. schedule lag (ms)", lambda v: f"{max(r['latency'] for r in v):.0f}", keys),
            row("application inserts during the side, per run", lambda v: ", ".join(str(r["inserts"]) for r in v), keys),
            row("batches (write transactions), each run", lambda v: ", ".join(str(r.get("batches", 1)) for r in v), keys),
            row("longest dsr transaction (ms)", lambda v: str(max(r["longest"] for r in v)) if "longest" in v[0] else "",
                keys),
        ]

    ev = groups["events"]
    ex = counts["events"]["expired"]
    also_flag = (" --also BIN" + (" --also-planned" if a.also_planned else "")) if a.also else ""
    name = "sweep, oldest rows first (PostgreSQL)" if a.oldest_first else "sweep (PostgreSQL)"
    spread = (" (the first tenth of the table by key, as rows an application inserted in time order are)"
              if a.oldest_first else " (one row in ten, spread over the table)")
    lines = [
        f"## {name}",
        "",
        f"Command: `scripts/bench_sweep_pg.py --store postgres://…/dsr_bench --rows {a.rows} --runs {a.runs} "
        f"--rate {a.rate}" + (f" --tickets {a.tickets}" if a.tickets is not None else "")
        + (" --text-dates" if a.text_dates else "") + (" --oldest-first" if a.oldest_first else "")
        + f"{also_flag}`  ",
        f"Machine: {machine}; dsr release build. A table of {a.rows:,} rows (`bigint` identity key, `timestamptz` "
        f"column `at` with an index; each copy built in {statistics.median(builds['events']):.0f} s, then vacuumed, "
        f"analysed and checkpointed), {ex:,} of them past the map's one-year retention rule{spread}. {a.runs} run{'s' if a.runs > 1 else ''}; in each, "
        "every side, in turns (the order alternating from run to run), on a fresh identical copy, while pgbench "
        f"inserts into the same table at {a.rate} per second (one client, `-R {a.rate} --log`). The longest insert is "
        "pgbench's latency less its schedule lag; the goals are about dsr's sides. \"dsr sweep\" is what a user "
        "runs: the table has no hold and nothing links to it, so each batch deletes in one pass; \"planned\" is the "
        "same sweep with `DSR_SWEEP_PLANNED=1`, which reads every expired row and plans it, as for tables with holds "
        "or links beneath them.",
        "",
        "| | dsr sweep | dsr sweep, planned | psql `DELETE … WHERE at < now() - interval '1 year'` |"
        + (f" dsr sweep, {a.also_label} |" if a.also else ""),
        "| --- | ---: | ---: | ---: |" + (" ---: |" if a.also else ""),
        *common(ev, "DELETE"),
        row("rows deleted per run", lambda v: f"{v[0].get('deleted', ex):,}", ev),
        *app_rows(ev),
        "",
    ]
    for s in tickets_ratio:
        c = counts[s]
        tk = groups[s]
        text = s == "text"
        lines += [
            (f"Tickets, text dates: the same store with `closed_at text`, Unix seconds in half the rows and ISO-8601 "
             "text (`2017-01-01T00:00:10Z`) in the other half, as the demo's PostgreSQL tickets have; dsr narrows "
             "such text in SQL (digits as Unix seconds, text starting with an ISO date by that date, with a margin) and "
             "tests every candidate itself; each copy built in "
             f"{statistics.median(builds[s]):.0f} s. psql's "
             f"expired is `{TICKET_EXPIRED['text']}`."
             if text else
             f"Tickets: a table of {n_tickets:,} tickets (two indexes: the customer's email address and `closed_at`, a "
             f"`timestamptz`, NULL while open) and {c['all attachments']:,} attachments linked beneath them (a foreign "
             f"key with no action, indexed); each copy built in {statistics.median(builds[s]):.0f} s, then vacuumed, "
             f"analysed and checkpointed; {c['expired']:,} tickets closed more than a year ago, with "
             f"{c['attachments']:,} attachments. Something links into tickets, so dsr plans every batch (no "
             "`DSR_SWEEP_PLANNED` needed). psql deletes the same rows in one transaction, the attachments first as dsr "
             "does: `psql -1 -c \"DELETE FROM attachments WHERE ticket_id IN (SELECT id FROM tickets WHERE expired)\" "
             "-c \"DELETE FROM tickets WHERE expired\"`, where expired is `closed_at < now() - interval '1 year'`. "
             f"pgbench inserts an open ticket at {a.rate} per second."),
            "",
            f"| {'tickets, text dates' if text else 'tickets'} | dsr sweep | psql, the same deletes |"
            + (f" dsr sweep, {a.also_label} |" if a.also else ""),
            "| --- | ---: | ---: |" + (" ---: |" if a.also else ""),
            *common(tk, f"{s} psql"),
            row("tickets / attachments deleted per run",
                lambda v: f"{v[0].get('deleted', c['expired']):,} / {v[0].get('attachments', c['attachments']):,}", tk),
            *app_rows(tk),
            "",
        ]
    lines += [
        f"- sweep ≤ 1.3× the raw DELETE: {ratio:.2f}×, {met(ratio <= 1.3)}",
        f"- application waits ≤ 250 ms during dsr's sweep: longest {wait:.0f} ms, {met(wait <= 250)}",
        f"- planned sweep ≤ 1.3× the raw DELETE: {planned_ratio:.2f}× on the events table, {met(planned_ratio <= 1.3)}; "
        + "; ".join(f"{x:.2f}× on tickets{', text dates' if s == 'text' else ''}, {met(x <= 1.3)}"
                    for s, x in tickets_ratio.items()),
        f"- the application's longest wait during a planned sweep ≤ 250 ms: {planned_wait:.0f} ms, "
        f"{met(planned_wait <= 250)}",
        "- every run left 0 expired rows and every other row of the build, and on tickets deleted exactly the "
        "expired tickets and their attachments, leaving no attachment without its ticket; dsr's counts are those "
        "(the script checks).",
    ]
    section = "\n".join(lines) + "\n"
    bench.write_section(a.out, name, section)
    print(section)


if __name__ == "__main__":
    main()
