#!/usr/bin/env python3
"""Benchmarks the extract of one very large subject (issue 14, item 1).

Builds a demo tenant with `dsr demo DIR --subjects N`, grows one customer to
--rows meter readings (on one of their meters, as scripts/bench.py grows a
customer for the erase benchmark), then takes turns, --runs times:

  * `dsr extract customer_id:ID --format F -o FILE` for F in json, csv,
    xlsx and html, and
  * the sqlite3 CLI running the same statements as dsr's extract (the
    lookups over the same links, the free-text scan, the durable audit
    write: scripts/bench.py's `sql_for`), its output written to a file,

each under `/usr/bin/time -f %M` for the peak resident set. The goals: peak
RSS at most 64 MB in every format, and time at most 1.5x sqlite3's.
Results go to the "large subject" section of BENCHMARKS.md.

With --store postgres://…[?schema=NAME] the same on PostgreSQL instead: the
demo tenant is built in the schema NAME_SUBJECTS of that store
(scripts/bench.py's build_demo), the customer grown with `INSERT … SELECT
generate_series` (the same rows as on SQLite, then VACUUM ANALYZE), and
dsr timed against psql running the reads dsr sends: for each format, the
statements of one `dsr extract` (its warm-up) are captured from the server
log and replayed, parameters written in, in one REPEATABLE READ READ ONLY
transaction and one durable INSERT (scripts/bench_pg_extract.py's capture
and replay script); psql's output (unaligned, its list mode) goes to a
file. Results go to the "large subject (PostgreSQL)" section; the schema
is dropped at the end unless --keep.

Needs the sqlite3 CLI and GNU time (Debian: apt-get install sqlite3 time);
for --store, psql and read access to the server's log (--server-log), best
on a database of its own (the capture logs every statement of that database
for a moment).
Usage: scripts/bench_large.py [--rows 5000000] [--subjects 1000] [--runs 3] [--workdir /tmp/stream-large]
       [--store postgres://…/DB [--server-log /var/log/postgresql/postgresql-15-main.log]]
"""

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the demo builder and the extract's SQL)
import bench_pg_extract  # noqa: E402  (the capture of dsr's statements on PostgreSQL, their replay)

FORMATS = ["json", "csv", "xlsx", "html"]


def measured(cmd, stdin=None, stdout=subprocess.DEVNULL):
    """(seconds, peak RSS in MB) of one whole process."""
    tfile = cmd_time_file()
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tfile, *cmd], input=stdin,
                       stdout=stdout, stderr=subprocess.PIPE)
    secs = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"bench_large: {' '.join(cmd[:6])} … failed (exit {p.returncode}): {p.stderr.decode(errors='replace').strip()}")
    with open(tfile) as f:
        kb = int(f.read().strip().splitlines()[-1])
    return secs, kb / 1024


def cmd_time_file():
    return os.path.join(WORK, "time.out")


def remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def grow(store, cid, rows):
    """Gives customer `cid` `rows` meter readings in all (adding to their
    first meter); returns the customer's row and their total rows."""
    conn = sqlite3.connect(store)
    conn.row_factory = sqlite3.Row
    m = conn.execute("SELECT min(id) FROM meters WHERE customer_id = ?", (cid,)).fetchone()[0]
    have = conn.execute(
        "SELECT count(*) FROM meter_readings WHERE meter_id IN (SELECT id FROM meters WHERE customer_id = ?)",
        (cid,)).fetchone()[0]
    add = max(0, rows - have)
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO meter_readings (meter_id, month, kwh, read_at) "
        "SELECT ?, printf('g%08d', i), (i % 1000) / 10.0, 1700000000 + i FROM n",
        (add, m))
    conn.commit()
    cust = dict(conn.execute("SELECT * FROM customers WHERE id = ?", (cid,)).fetchone())
    total = bench.subject_rows(conn, cid)
    conn.close()
    return cust, total


def turns(runs, dsr_cmd, other, name):
    """Runs `dsr_cmd(f, out)` for each format and, right after each, the
    other side (`other`: (command, stdin, output file)), --runs times.
    Returns ({f: (dsr seconds, dsr MB)}, {f: (its seconds, its MB)}, {f: dsr output bytes})."""
    cmd, stdin, other_out = other
    results = {f: ([], []) for f in FORMATS}
    # The other side's runs, each taken right after the dsr run it is paired with.
    theirs = {f: ([], []) for f in FORMATS}
    sizes = {}
    for r in range(runs):
        for f in FORMATS:
            out = os.path.join(WORK, f"extract.{f}" if f != "csv" else "extract-csv")
            remove(out)
            secs, mb = measured(dsr_cmd(f, out))
            results[f][0].append(secs)
            results[f][1].append(mb)
            sizes[f] = (sum(os.path.getsize(os.path.join(out, x)) for x in os.listdir(out))
                        if os.path.isdir(out) else os.path.getsize(out))
            remove(out)
            with open(other_out, "wb") as so:
                secs, mb = measured(cmd(f), stdin=stdin, stdout=so)
            theirs[f][0].append(secs)
            theirs[f][1].append(mb)
            print(f"run {r + 1} {f}: dsr {results[f][0][-1]:.2f} s {results[f][1][-1]:.0f} MB; "
                  f"{name} {secs:.2f} s {mb:.0f} MB", flush=True)
    return results, theirs, sizes


def table(results, theirs, sizes):
    """The rows of the table: medians of the runs, the largest peak RSS."""
    lines = []
    for f in FORMATS:
        d_s = statistics.median(results[f][0])
        their_s = statistics.median(theirs[f][0])
        d_mb = max(results[f][1])
        ratio = d_s / their_s
        lines.append(
            f"| {f} | {d_s:.2f} s | {their_s:.2f} s | {ratio:.2f}× | {d_mb:.1f} MB | "
            f"{sizes[f] / 1e6:,.0f} MB | {'met' if d_mb <= 64 else 'missed'} | "
            f"{'met' if ratio <= 1.5 else 'missed'} |")
    return lines


def main():
    global WORK
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--subjects", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/stream-large")
    ap.add_argument("--out", default=os.path.join(bench.ROOT, "BENCHMARKS.md"))
    ap.add_argument("--keep", action="store_true",
                    help="leave the tenant and outputs in --workdir (and, with --store, the tenant's schema)")
    ap.add_argument("--store", help="run on PostgreSQL instead: postgres://…/DB[?schema=NAME]")
    ap.add_argument("--server-log", default="/var/log/postgresql/postgresql-15-main.log",
                    help="the PostgreSQL server's log (with --store), where dsr's statements are read back")
    a = ap.parse_args()
    WORK = a.workdir
    os.makedirs(WORK, exist_ok=True)
    if a.store:
        main_pg(a)
    else:
        main_sqlite(a)
    if not a.keep:
        shutil.rmtree(WORK, ignore_errors=True)


def main_sqlite(a):
    tenant, store, _ = bench.build_demo(a.subjects, WORK)
    dmap = os.path.join(tenant, "datamap.toml")
    cid = max(1, a.subjects // 2)
    t = time.perf_counter()
    cust, total = grow(store, cid, a.rows)
    print(f"customer {cid}: {total:,} rows ({time.perf_counter() - t:.1f} s to grow)", flush=True)
    sql = bench.sql_for("customer_id", cid, cust).encode()
    sqlite_out = os.path.join(WORK, "sqlite3.out")
    # Warm the page cache for both.
    measured(["sqlite3", store], stdin=sql, stdout=open(sqlite_out, "wb"))
    results, lite, sizes = turns(
        a.runs,
        lambda f, out: [bench.DSR, "-q", "--store", store, "--map", dmap, "extract", f"customer_id:{cid}",
                        "--format", f, "-o", out],
        (lambda f: ["sqlite3", store], sql, sqlite_out), "sqlite3")
    lite_size = os.path.getsize(sqlite_out)
    lite_mb = max(mb for f in FORMATS for mb in lite[f][1])
    version = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]
    lines = [
        "## large subject",
        "",
        f"Command: `scripts/bench_large.py --rows {a.rows} --subjects {a.subjects} --runs {a.runs}`",
        f"(release build; {os.cpu_count()} cores shared with other work, load average "
        f"{os.getloadavg()[0]:.1f} at the end; sqlite3 {version}).",
        "",
        f"One customer of a demo tenant of {a.subjects:,} subjects grown to {total:,} rows "
        f"({total - a.rows:,} of them their own rows before, the rest meter readings).",
        "Each run: `dsr extract customer_id:ID --format F -o FILE`, then the sqlite3 CLI running",
        "the same statements (lookups over the same links, the free-text scan, one durable audit",
        "insert) with its output to a file, in turns. Medians of the runs (sqlite3: of the runs paired",
        "with that format's); peak RSS is the largest `/usr/bin/time -f %M` of the runs.",
        "",
        "| format | dsr time | sqlite3 time | ratio | dsr peak RSS | output | RSS ≤ 64 MB | time ≤ 1.5× |",
        "|---|---|---|---|---|---|---|---|",
        *table(results, lite, sizes),
        "",
        f"sqlite3 itself: {lite_mb:.1f} MB peak RSS, {lite_size / 1e6:,.0f} MB of output (its list mode).",
    ]
    section = "\n".join(lines) + "\n"
    bench.write_section(a.out, "large subject", section)
    print(section)


def grow_pg(url, schema, cid, rows):
    """grow on PostgreSQL: the same readings, made by generate_series, then
    VACUUM ANALYZE (the planner's statistics and the visibility map up to
    date, as a table that size would have them); returns the customer's
    total rows."""
    s = '"' + schema.replace('"', '""') + '"'
    m = bench_pg_extract.psql_value(url, f"SELECT min(id) FROM {s}.meters WHERE customer_id = {cid}")
    have = int(bench_pg_extract.psql_value(
        url, f"SELECT count(*) FROM {s}.meter_readings WHERE meter_id IN (SELECT id FROM {s}.meters WHERE customer_id = {cid})"))
    bench.psql(url,
               f"INSERT INTO {s}.meter_readings (meter_id, month, kwh, read_at) "
               f"SELECT {m}, 'g' || lpad(i::text, 8, '0'), (i % 1000) / 10.0, 1700000000 + i "
               f"FROM generate_series(1, {max(0, rows - have)}) AS i",
               f"VACUUM ANALYZE {s}.meter_readings")
    return bench_pg_extract.subject_rows(url, schema, cid)


def main_pg(a):
    if not shutil.which("psql"):
        sys.exit("bench_large: --store needs the psql CLI: apt-get install postgresql-client")
    if not os.access(a.server_log, os.R_OK):
        sys.exit(f"bench_large: cannot read the server log {a.server_log}; give --server-log PATH")
    machine = bench.pg_machine(a.store)
    tenant, store, _ = bench.build_demo(a.subjects, WORK, a.store)
    schema = bench.pg_schema(a.store, a.subjects)
    dmap = os.path.join(tenant, "datamap.toml")
    cid = max(1, a.subjects // 2)
    t = time.perf_counter()
    total = grow_pg(a.store, schema, cid, a.rows)
    print(f"customer {cid}: {total:,} rows ({time.perf_counter() - t:.1f} s to grow)", flush=True)
    bench.psql(a.store, f'CREATE TABLE IF NOT EXISTS "{schema}".bench_audit '
                        "(seq bigserial PRIMARY KEY, at timestamptz, details text)")

    def dsr_cmd(f, out):
        return [bench.DSR, "-q", "--store", store, "--map", dmap, "extract", f"customer_id:{cid}",
                "--format", f, "-o", out]

    # Each format's statements, captured from one dsr run (the warm-up of
    # both: the readings in the page cache and the server's buffers).
    scripts, counts = {}, {}
    for f in FORMATS:
        out = os.path.join(WORK, f"capture.{f}")
        stmts = bench_pg_extract.captured(a.store, a.server_log, dsr_cmd(f, out), schema)
        remove(out)
        script, kept = bench_pg_extract.replay_script(stmts)
        scripts[f] = os.path.join(WORK, f"replay-{f}.sql")
        with open(scripts[f], "w") as sf:
            sf.write(f'SET search_path TO "{schema}";\n' + script)
        counts[f] = (len(stmts), kept)
    psql_out = os.path.join(WORK, "psql.out")

    def psql_cmd(f):
        return ["psql", bench.libpq_uri(a.store), "-X", "-q", "-A", "-v", "ON_ERROR_STOP=1", "-f", scripts[f]]

    measured(psql_cmd(FORMATS[0]), stdout=open(psql_out, "wb"))
    results, theirs, sizes = turns(a.runs, dsr_cmd, (psql_cmd, None, psql_out), "psql")
    psql_size = os.path.getsize(psql_out)
    psql_mb = max(mb for f in FORMATS for mb in theirs[f][1])
    same = len({open(p).read() for p in scripts.values()}) == 1
    sent = sorted({n for n, _ in counts.values()})
    kept = sorted({k for _, k in counts.values()})
    sent = (f"dsr sent {sent[0]}{'–' + str(sent[-1]) if len(sent) > 1 else ''} statements, "
            f"{kept[0]}{'–' + str(kept[-1]) if len(kept) > 1 else ''} of them replayed")
    lines = [
        "## large subject (PostgreSQL)",
        "",
        f"Command: `scripts/bench_large.py --store postgres://…/dsr_bench_large --rows {a.rows} "
        f"--subjects {a.subjects} --runs {a.runs}`  ",
        f"Machine: {machine}; dsr release build; load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        f"One customer of a demo tenant of {a.subjects:,} subjects (`dsr demo --store postgres://…`, a schema of its own) "
        f"grown to {total:,} rows ({total - a.rows:,} of them their own rows before, the rest meter readings, "
        "made with `INSERT … SELECT generate_series`, then `VACUUM ANALYZE`).",
        "Each run: `dsr extract customer_id:ID --format F -o FILE`, then psql running the statements dsr sent that",
        "read the map's tables (captured from the server log in the format's warm-up run, parameters written in;",
        f"{sent}{', the same in every format' if same else ''}) in one REPEATABLE READ READ ONLY transaction and",
        "one committed INSERT for dsr's audit record, with its output (`-A`) to a file, in turns. Medians of the",
        "runs (psql: of the runs paired with that format's); peak RSS is the largest `/usr/bin/time -f %M` of the runs.",
        "",
        "| format | dsr time | psql time | ratio | dsr peak RSS | output | RSS ≤ 64 MB | time ≤ 1.5× |",
        "|---|---|---|---|---|---|---|---|",
        *table(results, theirs, sizes),
        "",
        f"psql itself: {psql_mb:.1f} MB peak RSS (it holds each result whole before printing it), "
        f"{psql_size / 1e6:,.0f} MB of output (unaligned).",
    ]
    section = "\n".join(lines) + "\n"
    bench.write_section(a.out, "large subject (PostgreSQL)", section)
    print(section)
    if not a.keep:
        bench.psql(a.store, f'DROP SCHEMA "{schema}" CASCADE')


WORK = "/tmp/stream-large"

if __name__ == "__main__":
    main()
