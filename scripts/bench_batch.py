#!/usr/bin/env python3
"""Benchmarks `dsr batch` against separate `dsr extract` runs (issue 15).

Builds a demo tenant of --subjects subjects with `dsr demo`, picks --lines
customers (customer_no, spread over the tenant), and times, as whole
processes with DSR_NOW fixed:

  * one `dsr batch FILE.csv -o DIR` of --lines extract lines, and
  * --sample separate `dsr --request ID extract customer_no:K-… -o FILE`
    runs of the first --sample of those lines; their mean time times --lines
    is the extrapolated cost of running every line separately (each
    separate run does the same work: open, lookups, the whole free-text
    scan, the audit record committed with fsync).

The sampled separate documents are compared with the batch's documents
(exactly, JSON equal), so the speed-up is for the same output.

With --store postgres://…[?schema=NAME] the tenant is built in that
PostgreSQL schema (which must exist; an earlier run's demo tenant there is
replaced) and the runs use it; until dsr's commands run on PostgreSQL the
script stops after the build, saying why.

Usage: scripts/bench_batch.py [--subjects 100000] [--lines 1000] [--sample 50] [--store postgres://…]
Results are printed and, with --write, added to BENCHMARKS.md (section
"batch") with the command line that produced them.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DSR = os.path.join(ROOT, "target", "release", "dsr")
NOW = "2026-11-22T10:00:00Z"


def run(args, cwd):
    env = dict(os.environ, DSR_NOW=NOW)
    t = time.perf_counter()
    p = subprocess.run([DSR] + args, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"dsr {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return took


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=100000)
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--write", action="store_true", help="append the result to BENCHMARKS.md")
    ap.add_argument("--store", help="build the tenant in PostgreSQL: postgres://…[?schema=NAME]")
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as d:
        demo = ["demo", ".", "--subjects", str(a.subjects), "--seed", str(a.seed)]
        if a.store:
            demo += ["--store", a.store, "--force"]
        took = run(demo, d)
        print(f"demo tenant of {a.subjects} subjects built in {took:.1f} s", file=sys.stderr)
        base = ["--store", a.store or "tenant.db", "--map", "datamap.toml"]
        if a.store:
            env = dict(os.environ, DSR_NOW=NOW)
            p = subprocess.run([DSR, *base, "--quiet", "check"], cwd=d, env=env, capture_output=True, text=True)
            if p.returncode != 0:
                line = (p.stderr.strip().splitlines() or [""])[0]
                sys.exit(f"bench_batch: dsr does not run on this PostgreSQL tenant yet (exit {p.returncode}: {line.removeprefix('dsr: error: ')})")
        step = max(1, a.subjects // a.lines)
        nos = [f"K-{1 + i * step:06d}" for i in range(a.lines)]
        with open(os.path.join(d, "b.csv"), "w") as f:
            f.write("request,kind,subject\n")
            for i, no in enumerate(nos):
                f.write(f"B-{i + 1},extract,customer_no:{no}\n")
        batch = run(base + ["--quiet", "batch", "b.csv", "-o", "out"], d)
        sample = min(a.sample, a.lines)
        single = []
        for i, no in enumerate(nos[:sample]):
            out = f"single-{i + 1}.json"
            single.append(run(base + ["--quiet", "--request", f"B-{i + 1}", "extract", f"customer_no:{no}", "-o", out], d))
            with open(os.path.join(d, out)) as x, open(os.path.join(d, "out", f"B-{i + 1}.json")) as y:
                if json.load(x) != json.load(y):
                    sys.exit(f"line B-{i + 1}: the batch document differs from the single extract")
        per = sum(single) / len(single)
        separate = per * a.lines
        text = (
            f"{a.lines} extracts, {a.subjects} subjects: batch {batch:.1f} s; separate runs "
            f"{per * 1000:.0f} ms each (mean of {sample}), {separate:.1f} s extrapolated to {a.lines}; "
            f"speed-up {separate / batch:.1f}x (documents of the {sample} sampled lines identical)"
        )
        print(text)
        if a.write:
            cmd = " ".join(["scripts/bench_batch.py"] + sys.argv[1:])
            with open(os.path.join(ROOT, "BENCHMARKS.md"), "a") as f:
                f.write(f"\n## batch\n\n`{cmd}`\n\n{text}\n")


if __name__ == "__main__":
    main()
