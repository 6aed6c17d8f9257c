#!/usr/bin/env python3
"""Benchmarks `dsr sweep` against one raw `DELETE … WHERE` by the sqlite3 CLI.

Builds a store with one table of --rows rows (default 10,000,000), one in
ten of them past a one-year retention rule (1,000,000), and copies it. Then,
in one run:

  * `dsr sweep` on copy A, while an application thread inserts a row every
    5 ms into the same store and times each insert (its longest stall is how
    long dsr kept the write lock, as the application feels it);
  * `sqlite3 B "DELETE FROM events WHERE at < cutoff"` on copy B, with the
    same application thread on B.

Writes the section "sweep" of BENCHMARKS.md with the command that produced it.
Needs the sqlite3 CLI. Usage: scripts/bench_sweep.py [--rows 10000000]
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import DSR, ROOT, write_section  # noqa: E402

MAP = """version = 1
[controller]
name = "Bench AB"
contact = "dpo@bench.example"
authority = "Integritetsskyddsmyndigheten (IMY), www.imy.se"
[identifiers]
email = "email"
[tables.events]
purpose = "Usage statistics"
legal_basis = "legitimate_interests"
identify = { email = "email" }
on_erase = "delete"
retention = { after = "at", keep = "1y", action = "delete" }
[tables.events.columns]
email = { category = "contact.email", erase = "hash" }
"""


def build(path, rows):
    sql = f"""PRAGMA journal_mode = WAL;
CREATE TABLE events (id INTEGER PRIMARY KEY, email TEXT, at INTEGER NOT NULL, payload TEXT);
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {rows})
INSERT INTO events SELECT n, 'user' || (n % 50000) || '@example.se',
  CASE WHEN n % 10 = 0 THEN 1500000000 + n ELSE 1790000000 + n % 1000 END, 'payload-' || n FROM c;
"""
    subprocess.run(["sqlite3", path], input=sql.encode(), check=True, stdout=subprocess.DEVNULL)


class App(threading.Thread):
    """Inserts a row every 5 ms and records how long each insert took."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.stop, self.latencies, self.failed = path, threading.Event(), [], 0

    def run(self):
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        i = 0
        while not self.stop.is_set():
            i += 1
            t = time.perf_counter()
            try:
                conn.execute("INSERT INTO events (email, at, payload) VALUES (?, ?, 'app')", (f"app{i}@example.se", int(time.time())))
            except sqlite3.Error:
                self.failed += 1
            self.latencies.append((time.perf_counter() - t) * 1000)
            time.sleep(0.005)
        conn.close()


def timed_with_app(cmd, store, stdin=None):
    app = App(store)
    app.start()
    time.sleep(0.2)
    t = time.perf_counter()
    out = subprocess.run(cmd, input=stdin, check=True, capture_output=True)
    took = time.perf_counter() - t
    app.stop.set()
    app.join()
    return took, max(app.latencies), len(app.latencies), app.failed, out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    a = ap.parse_args()
    if not shutil.which("sqlite3"):
        sys.exit("bench_sweep: the sqlite3 CLI is needed: apt-get install sqlite3")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="dsr-bench-sweep-")
    try:
        a_db, b_db, dmap = (os.path.join(work, n) for n in ("a.db", "b.db", "map.toml"))
        t = time.perf_counter()
        build(a_db, a.rows)
        build_s = time.perf_counter() - t
        shutil.copy(a_db, b_db)
        open(dmap, "w").write(MAP)
        cutoff = int(time.time()) - 366 * 86400
        expired = sqlite3.connect(a_db).execute("SELECT count(*) FROM events WHERE at < ?", (cutoff,)).fetchone()[0]

        d_s, d_stall, d_writes, d_failed, out = timed_with_app(
            [DSR, "--store", a_db, "--map", dmap, "--json", "sweep"], a_db)
        doc = json.loads(out)
        s_s, s_stall, s_writes, s_failed, _ = timed_with_app(
            ["sqlite3", b_db], b_db, stdin=f".timeout 30000\nDELETE FROM events WHERE at < {cutoff};\n".encode())
        left = sqlite3.connect(a_db).execute("SELECT count(*) FROM events WHERE at < ?", (cutoff,)).fetchone()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "## sweep",
        "",
        f"Command: `scripts/bench_sweep.py --rows {a.rows}`  ",
        f"A table of {a.rows:,} rows (built in {build_s:.0f} s), {expired:,} of them past a one-year retention rule, "
        "copied twice; each side runs with an application thread inserting a row every 5 ms into the same store "
        f"(busy timeout 30 s) and timing each insert. {os.cpu_count()} cores.",
        "",
        "| | dsr sweep | sqlite3 `DELETE … WHERE at < cutoff` |",
        "| --- | ---: | ---: |",
        f"| wall time (s) | {d_s:.2f} | {s_s:.2f} |",
        f"| ratio | {d_s / s_s:.2f}× | 1.00× |",
        f"| rows deleted | {doc['tables'].get('events', {}).get('deleted', 0):,} | {expired:,} |",
        f"| longest application insert (ms) | {d_stall:.0f} | {s_stall:.0f} |",
        f"| application inserts done / failed | {d_writes:,} / {d_failed} | {s_writes:,} / {s_failed} |",
        f"| batches (write transactions) | {doc['batches']:,} | 1 |",
        f"| longest dsr transaction (ms) | {doc['longest_transaction_ms']} | |",
        "",
        f"Expired rows left after dsr's sweep: {left}.",
    ]
    section = "\n".join(lines) + "\n"
    write_section(a.out, "sweep", section)
    print(section)


if __name__ == "__main__":
    main()
