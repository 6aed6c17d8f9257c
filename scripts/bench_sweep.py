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

Writes the section "sweep" of BENCHMARKS.md (medians, and every run) with
the command that produced it. Needs the sqlite3 CLI.
Usage: scripts/bench_sweep.py [--rows 10000000] [--runs 3]
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


def timed(cmd, store, stdin=None, env=None, with_app=True):
    app = App(store)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    a = ap.parse_args()
    if not shutil.which("sqlite3"):
        sys.exit("bench_sweep: the sqlite3 CLI is needed: apt-get install sqlite3")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="dsr-bench-sweep-")
    sides = {"dsr": [], "planned": [], "sqlite3": [], "dsr alone": [], "sqlite3 alone": []}
    try:
        base, db, dmap = (os.path.join(work, n) for n in ("base.db", "run.db", "map.toml"))
        t = time.perf_counter()
        build(base, a.rows)
        build_s = time.perf_counter() - t
        open(dmap, "w").write(MAP)
        cutoff = int(time.time()) - 366 * 86400
        expired = count_expired(base, cutoff)
        planned_env = dict(os.environ, DSR_SWEEP_PLANNED="1")
        for _ in range(a.runs):
            # Each side on a fresh copy of the same store, taking turns.
            for side in sides:
                for ext in ("-wal", "-shm"):
                    if os.path.exists(db + ext):
                        os.remove(db + ext)
                shutil.copy(base, db)
                os.sync()  # every side starts with no writeback of the copy pending
                with_app = not side.endswith("alone")
                if side.startswith("sqlite3"):
                    r = timed(["sqlite3", db], db, with_app=with_app,
                              stdin=f".timeout 30000\n.timer on\nDELETE FROM events WHERE at < {cutoff};\nPRAGMA wal_checkpoint;\n".encode())
                    r["deleted"], r["batches"], r["longest"] = expired, 1, None
                    timers = re.findall(r"Run Time: real ([0-9.]+)", r["out"].decode())
                    r["delete_s"], r["checkpoint_s"] = float(timers[0]), float(timers[1])
                else:
                    r = timed([DSR, "--store", db, "--map", dmap, "--json", "sweep"], db, with_app=with_app,
                              env=planned_env if side == "planned" else None)
                    doc = json.loads(r["out"])
                    r["deleted"] = doc["tables"].get("events", {}).get("deleted", 0)
                    r["batches"], r["longest"] = doc["batches"], doc["longest_transaction_ms"]
                    left = count_expired(db, cutoff)
                    if left:
                        sys.exit(f"bench_sweep: {left} expired rows left after the {side} sweep")
                sides[side].append(r)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    order = ("dsr", "planned", "sqlite3", "dsr alone", "sqlite3 alone")
    med = {k: statistics.median(r["s"] for r in sides[k]) for k in order}

    def row(label, f):
        return f"| {label} | " + " | ".join(f(sides[k]) for k in order) + " |"

    def longest(v):
        return "" if v[0]["longest"] is None else str(max(r["longest"] for r in v))

    lines = [
        "## sweep",
        "",
        f"Command: `scripts/bench_sweep.py --rows {a.rows} --runs {a.runs}`  ",
        f"A table of {a.rows:,} rows (built in {build_s:.0f} s), {expired:,} of them past a one-year retention rule. "
        f"{a.runs} runs; in each, every side sweeps a fresh copy of the same store while an application thread "
        "inserts a row every 5 ms into it (busy timeout 30 s) and times each insert, except the two sides "
        "\"alone\", which run with no application. "
        "\"dsr sweep\" is what a user runs: the table has no hold and nothing links to it, so each batch deletes in "
        "one pass; \"planned\" is the same sweep with `DSR_SWEEP_PLANNED=1`, which reads every expired row and "
        "plans it, as for tables with holds or links beneath them. The sqlite3 side ends with "
        "`PRAGMA wal_checkpoint`: with the application holding the store open, the CLI does not copy its "
        "write-ahead log back into the database on exit, and would leave that work to the application "
        "(dsr's sweep does it after each batch, within its time). "
        f"{os.cpu_count()} cores.",
        "",
        "| | dsr sweep | dsr sweep, planned | sqlite3 `DELETE … WHERE at < cutoff` | dsr sweep, alone | sqlite3, alone |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        row("median wall time (s)", lambda v: f"{statistics.median(r['s'] for r in v):.2f}"),
        f"| ratio to the raw DELETE | {med['dsr'] / med['sqlite3']:.2f}× | {med['planned'] / med['sqlite3']:.2f}× | 1.00× "
        f"| {med['dsr alone'] / med['sqlite3 alone']:.2f}× | 1.00× |",
        row("each run (s)", lambda v: ", ".join(f"{r['s']:.2f}" for r in v)),
        row("rows deleted per run", lambda v: f"{v[0]['deleted']:,}"),
        row("longest application insert (ms)",
            lambda v: "–" if v[0]["stall"] is None else f"{max(r['stall'] for r in v):.0f}"),
        row("application inserts done / failed",
            lambda v: "–" if v[0]["stall"] is None else
            f"{sum(r['writes'] for r in v):,} / {sum(r['failed'] for r in v)}"),
        row("batches (write transactions) per run", lambda v: str(v[0]["batches"])),
        row("longest dsr transaction (ms)", longest),
        row("sqlite3: the DELETE / the checkpoint (s)",
            lambda v: "" if "delete_s" not in v[0] else
            ", ".join(f"{r['delete_s']:.2f} / {r['checkpoint_s']:.2f}" for r in v)),
        "",
        "Every dsr run left 0 expired rows (the script checks).",
    ]
    section = "\n".join(lines) + "\n"
    write_section(a.out, "sweep", section)
    print(section)


if __name__ == "__main__":
    main()
