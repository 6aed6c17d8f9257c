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

Needs the sqlite3 CLI and GNU time (Debian: apt-get install sqlite3 time).
Usage: scripts/bench_large.py [--rows 5000000] [--subjects 1000] [--runs 3] [--workdir /tmp/stream-large]
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


def main():
    global WORK
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--subjects", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/stream-large")
    ap.add_argument("--out", default=os.path.join(bench.ROOT, "BENCHMARKS.md"))
    ap.add_argument("--keep", action="store_true", help="leave the tenant and outputs in --workdir")
    a = ap.parse_args()
    WORK = a.workdir
    os.makedirs(WORK, exist_ok=True)
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
    results = {f: ([], []) for f in FORMATS}
    # sqlite3's runs, each taken right after the dsr run it is paired with.
    lite = {f: ([], []) for f in FORMATS}
    sizes = {}
    for r in range(a.runs):
        for f in FORMATS:
            out = os.path.join(WORK, f"extract.{f}" if f != "csv" else "extract-csv")
            remove(out)
            cmd = [bench.DSR, "-q", "--store", store, "--map", dmap, "extract", f"customer_id:{cid}",
                   "--format", f, "-o", out]
            secs, mb = measured(cmd)
            results[f][0].append(secs)
            results[f][1].append(mb)
            sizes[f] = (sum(os.path.getsize(os.path.join(out, x)) for x in os.listdir(out))
                        if os.path.isdir(out) else os.path.getsize(out))
            remove(out)
            with open(sqlite_out, "wb") as so:
                secs, mb = measured(["sqlite3", store], stdin=sql, stdout=so)
            lite[f][0].append(secs)
            lite[f][1].append(mb)
            print(f"run {r + 1} {f}: dsr {results[f][0][-1]:.2f} s {results[f][1][-1]:.0f} MB; "
                  f"sqlite3 {secs:.2f} s {mb:.0f} MB", flush=True)
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
    ]
    for f in FORMATS:
        d_s = statistics.median(results[f][0])
        lite_s = statistics.median(lite[f][0])
        d_mb = max(results[f][1])
        ratio = d_s / lite_s
        lines.append(
            f"| {f} | {d_s:.2f} s | {lite_s:.2f} s | {ratio:.2f}× | {d_mb:.1f} MB | "
            f"{sizes[f] / 1e6:,.0f} MB | {'met' if d_mb <= 64 else 'missed'} | "
            f"{'met' if ratio <= 1.5 else 'missed'} |")
    lines += [
        "",
        f"sqlite3 itself: {lite_mb:.1f} MB peak RSS, {lite_size / 1e6:,.0f} MB of output (its list mode).",
    ]
    section = "\n".join(lines) + "\n"
    bench.write_section(a.out, "large subject", section)
    print(section)
    if not a.keep:
        shutil.rmtree(WORK, ignore_errors=True)


WORK = "/tmp/stream-large"

if __name__ == "__main__":
    main()
