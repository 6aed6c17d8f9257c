#!/usr/bin/env python3
"""Benchmarks the whole-tenant export, in one run.

Builds demo tenants of the given sizes with `dsr demo`, then times, as whole
processes (median of --runs each):

  * `dsr export --all --format csv -o DIR` against the sqlite3 CLI dumping
    the same tables with `.mode csv` and `.headers on`, one file per table,
    in one process (target: dsr at most 1.0x);
  * `dsr export --all --format xlsx` against Python's xlsxwriter in
    constant_memory mode writing the same tables (read with Python's sqlite3
    module, one sheet per table, a header row of column names) into one
    workbook, in one process (`pip install xlsxwriter`; without it the peer
    column says so and the rest runs);
  * `dsr export --all --format json`: throughput in rows per second;

and records every run's peak resident memory (`/usr/bin/time -f %M`; target
for XLSX: at most 64 MB and flat from the smallest to the largest tenant).
Results go to the "export" section of BENCHMARKS.md, with the command line
that produced them.

With --store postgres://…[?schema=NAME] it times the same on PostgreSQL
instead, in the section "export (PostgreSQL)": the demo tenants built there
(scripts/bench.py's build_demo: one schema per size), `psql` dumping every
table with `\\copy … to FILE csv header` in one process, against
`dsr --store URL export --all --format csv` (target: dsr at most 1.2x), the
two taking turns; until dsr runs on PostgreSQL, its column says why not.
With --keep DIR --reuse, tenants an earlier run (or scripts/bench_pg_extract.py
with the same --keep) built there are timed as they are.

The formats take turns run by run (csv, sqlite3, xlsx, xlsxwriter, json, csv,
…), as the machine may be shared.

Needs the sqlite3 CLI and GNU time (/usr/bin/time), and psql for --store;
xlsxwriter (pip install xlsxwriter) for the XLSX peer.
Usage: scripts/bench_export.py [--sizes 10000,100000] [--runs 3] [--store postgres://… [--keep DIR --reuse]]
"""

import argparse
import importlib.util
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("bench", os.path.join(HERE, "bench.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

TIME = "/usr/bin/time"


def measured(cmd, stdin=None):
    """Runs cmd once; returns (seconds, peak RSS in MB)."""
    t = time.perf_counter()
    p = subprocess.run([TIME, "-f", "%M", *cmd], input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    secs = time.perf_counter() - t
    kb = int(p.stderr.decode().strip().splitlines()[-1])
    return secs, kb / 1024


def have_xlsxwriter():
    return importlib.util.find_spec("xlsxwriter") is not None


def xlsx_peer(store, out, names):
    """The XLSX peer, run as its own process (`bench_export.py --xlsx-peer
    STORE OUT TABLE…`): every table into one sheet of one workbook, the
    header row first, values written as they are (no strings turned into
    formulas, numbers or links, as dsr writes text as text)."""
    import xlsxwriter
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_numbers": False, "strings_to_urls": False})
    conn = sqlite3.connect(store)
    for t in names:
        ws = wb.add_worksheet(t[:31])
        cur = conn.execute(f'SELECT * FROM "{t}"')
        ws.write_row(0, 0, [d[0] for d in cur.description])
        for r, row in enumerate(cur, start=1):
            ws.write_row(r, 0, row)
    conn.close()
    wb.close()


def tables_of(store):
    conn = sqlite3.connect(store)
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_dsr\\_%' ESCAPE '\\' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]
    rows = sum(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names)
    conn.close()
    return names, rows


def bench_size(n, runs, workdir):
    tenant = os.path.join(workdir, f"demo-{n}")
    t = time.perf_counter()
    bench.run([bench.DSR, "demo", tenant, "--subjects", str(n), "--seed", "1", "--force"])
    gen_s = time.perf_counter() - t
    store = os.path.join(tenant, "tenant.db")
    dmap = os.path.join(tenant, "datamap.toml")
    names, rows = tables_of(store)
    size_mb = os.path.getsize(store) / 1e6
    out = os.path.join(workdir, "out")

    def clean():
        if os.path.isdir(out):
            shutil.rmtree(out)
        elif os.path.exists(out):
            os.remove(out)

    def dsr(fmt):
        clean()
        return measured([bench.DSR, "-q", "--store", store, "--map", dmap, "export", "--all", "--format", fmt, "-o", out])

    def sqlite_csv():
        clean()
        os.mkdir(out)
        script = ".headers on\n.mode csv\n" + "".join(
            f".output {os.path.join(out, t + '.csv')}\nSELECT * FROM \"{t}\";\n" for t in names)
        return measured(["sqlite3", store], stdin=script.encode())

    def python_xlsx():
        clean()
        return measured([sys.executable, os.path.abspath(__file__), "--xlsx-peer", store, out, *names])

    fns = [("csv", lambda: dsr("csv")), ("sqlite3", sqlite_csv), ("xlsx", lambda: dsr("xlsx"))]
    if have_xlsxwriter():
        fns.append(("xlsxwriter", python_xlsx))
    fns.append(("json", lambda: dsr("json")))
    for label, fn in fns[:2]:
        fn()  # warm the page cache (every run reads the whole store)
    samples = {label: [] for label, _ in fns}
    for _ in range(runs):
        for label, fn in fns:
            samples[label].append(fn())
            print(f"{n} {label:10} {samples[label][-1][0]:7.2f} s", file=sys.stderr)
    res = {}
    for label, v in samples.items():
        res[label] = (statistics.median(s for s, _ in v), max(m for _, m in v))
        print(f"{n} {label:10} median {res[label][0]:7.2f} s  {res[label][1]:6.1f} MB", file=sys.stderr)
    clean()
    return gen_s, rows, size_mb, res


def bench_pg_size(n, runs, workdir, url, reuse):
    """psql's \\copy of every demo table, and dsr's export --all csv, of the
    PostgreSQL tenant of n subjects, run in turns (psql, dsr, psql, …)."""
    tenant = os.path.join(workdir, f"demo-{n}-pg")
    if reuse and os.path.exists(os.path.join(tenant, "datamap.toml")):
        store, gen_s = bench.pg_url(url, bench.pg_schema(url, n)), None
    else:
        tenant, store, gen_s = bench.build_demo(n, workdir, url)
    dmap = os.path.join(tenant, "datamap.toml")
    schema = bench.pg_schema(url, n)
    out = os.path.join(workdir, "out-pg")
    tables = ["customers", "meters", "meter_readings", "invoices", "staff", "staff_logins", "tickets", "newsletter"]
    q = '"' + schema.replace('"', '""') + '"'
    counts = subprocess.run(
        ["psql", bench.libpq_uri(url), "-X", "-tA", "-c",
         "SELECT " + " + ".join(f"(SELECT count(*) FROM {q}.{t})" for t in tables)],
        capture_output=True, text=True, check=True).stdout.strip()
    rows = int(counts)

    def fresh():
        shutil.rmtree(out, ignore_errors=True)
        os.mkdir(out)

    def psql_csv():
        fresh()
        cmd = ["psql", bench.libpq_uri(url), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        for t in tables:
            path = os.path.join(out, t + ".csv").replace("'", "''")
            cmd += ["-c", f"\\copy {q}.{t} to '{path}' csv header"]
        return measured(cmd)

    dsr_cmd = ["-q", "--store", store, "--map", dmap, "export", "--all", "--format", "csv", "-o", os.path.join(out, "dsr")]
    fresh()
    refusal = bench.dsr_refusal(dsr_cmd)
    fns = [("psql", psql_csv)]
    if refusal is None:
        fns.append(("dsr", lambda: (fresh(), measured([bench.DSR, *dsr_cmd]))[1]))
    samples = {label: [] for label, _ in fns}
    for label, fn in fns:
        fn()  # warm the caches
    for _ in range(runs):
        for label, fn in fns:
            samples[label].append(fn())
    res = {}
    for label, v in samples.items():
        res[label] = (statistics.median(s for s, _ in v), max(m for _, m in v), [s for s, _ in v])
        print(f"{n} {label:8} {res[label][0]:7.2f} s  {res[label][1]:6.1f} MB", file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    return gen_s, rows, res, refusal


def main_pg(a, sizes, workdir):
    if not shutil.which("psql"):
        sys.exit("bench_export: --store needs the psql CLI (Debian: apt-get install postgresql-client)")
    reuse = " --keep DIR --reuse" if a.reuse else ""
    lines = [
        "## export (PostgreSQL)",
        "",
        f"Command: `scripts/bench_export.py --sizes {a.sizes} --runs {a.runs} --store postgres://…{reuse}`  ",
        f"Machine: {bench.pg_machine(a.store)}; dsr release build; each figure the median of {a.runs} whole processes, "
        "psql and dsr taking turns (peak RSS: the largest run, from `/usr/bin/time -f %M`). psql dumps every demo "
        "table with `\\copy … to FILE csv header`, one file per table, in one process; dsr exports the same "
        "tables in one `REPEATABLE READ READ ONLY` snapshot.",
        "",
        "| subjects | rows | demo build (s) | dsr export --all csv (s) | dsr peak RSS (MB) | psql \\copy csv (s) "
        "| rows/s (dsr / psql) | ratio | each run, dsr / psql (s) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    refusal = None
    verdicts = []
    for n in sizes:
        gen_s, rows, res, refusal = bench_pg_size(n, a.runs, workdir, a.store, a.reuse)
        ps = res["psql"][0]
        built = "–" if gen_s is None else f"{gen_s:.1f}"
        if "dsr" in res:
            d = res["dsr"][0]
            runs = ", ".join(f"{x:.2f} / {y:.2f}" for x, y in zip(res["dsr"][2], res["psql"][2]))
            lines.append(f"| {n:,} | {rows:,} | {built} | {d:.2f} | {res['dsr'][1]:.1f} | {ps:.2f} "
                         f"| {rows / d:,.0f} / {rows / ps:,.0f} | {d / ps:.2f}× | {runs} |")
            verdicts.append(f"- {n:,} subjects: ratio {d / ps:.2f}×: goal ≤ 1.2× {'met' if d <= 1.2 * ps else 'missed'}")
        else:
            lines.append(f"| {n:,} | {rows:,} | {built} | – | – | {ps:.2f} | – / {rows / ps:,.0f} | – | |")
    lines.append("")
    lines += verdicts
    if refusal:
        lines.append(f"- dsr export on PostgreSQL: not yet ({refusal}).")
    section = "\n".join(lines) + "\n"
    bench.write_section(a.out, "export (PostgreSQL)", section)
    print(section)


def xlsx_peer_note():
    if not have_xlsxwriter():
        return ("Python's xlsxwriter, which is not installed here: its column is empty "
                "(`pip install xlsxwriter`, then run again)")
    import xlsxwriter
    return (f"Python {sys.version.split()[0]}'s xlsxwriter {xlsxwriter.__version__} with `constant_memory` on, "
            "reading the same tables with the sqlite3 module and writing one sheet per table (header row first, "
            "no strings turned into formulas, numbers or links) into one workbook, in one process")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--xlsx-peer":
        xlsx_peer(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(bench.ROOT, "BENCHMARKS.md"))
    ap.add_argument("--keep", help="directory to build tenants in (kept)")
    ap.add_argument("--store", help="time the PostgreSQL tenant instead: postgres://…[?schema=NAME]")
    ap.add_argument("--reuse", action="store_true",
                    help="with --store and --keep: keep the demo tenants an earlier run built there")
    a = ap.parse_args()
    if a.store:
        if not shutil.which(TIME):
            sys.exit("bench_export: GNU time is needed (Debian: apt-get install time)")
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=bench.ROOT, check=True)
        workdir = a.keep or tempfile.mkdtemp(prefix="dsr-bench-export-")
        main_pg(a, [int(s) for s in a.sizes.split(",")], workdir)
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    for tool in ("sqlite3", TIME):
        if not shutil.which(tool):
            sys.exit(f"bench_export: {tool} is needed (Debian: apt-get install sqlite3 time)")
    if not have_xlsxwriter():
        print("bench_export: Python's xlsxwriter is not installed, so the XLSX peer is skipped "
              "(pip install xlsxwriter, then run again)", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=bench.ROOT, check=True)
    workdir = a.keep or tempfile.mkdtemp(prefix="dsr-bench-export-")
    sizes = [int(s) for s in a.sizes.split(",")]
    sqlite_version = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]
    lines = [
        "## export",
        "",
        f"Command: `scripts/bench_export.py --sizes {a.sizes} --runs {a.runs}`  ",
        f"Machine: {os.cpu_count()} cores; sqlite3 CLI {sqlite_version}; dsr release build; "
        f"`dsr export --all` of a demo tenant, each figure the median of {a.runs} whole processes "
        "(peak RSS: the largest of them, from `/usr/bin/time -f %M`), the formats taking turns run by run. "
        "Peers: for csv the sqlite3 CLI dumping the same tables with `.mode csv` and `.headers on` into one file "
        f"per table, in one process; for xlsx {xlsx_peer_note()}.",
        "",
        "| subjects | store (MB) | rows | format | dsr (s) | rows/s | peak RSS (MB) | peer | peer (s) | ratio |",
        "| ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    rss = {}
    ratios = []
    for n in sizes:
        gen_s, rows, size_mb, res = bench_size(n, a.runs, workdir)
        peers = {"csv": ("sqlite3 -csv", "sqlite3")}
        if "xlsxwriter" in res:
            peers["xlsx"] = ("python xlsxwriter", "xlsxwriter")
        for fmt in ("csv", "xlsx", "json"):
            secs, mb = res[fmt]
            if fmt in peers:
                name, key = peers[fmt]
                ps = res[key][0]
                cmp = f"{name} | {ps:.2f} | {secs / ps:.2f}×"
                ratios.append(f"- {n:,} subjects, {fmt}: dsr {secs:.2f} s, {name} {ps:.2f} s "
                              f"({rows / ps:,.0f} rows/s, peak RSS {res[key][1]:.1f} MB): {secs / ps:.2f}×")
            elif fmt == "xlsx":
                cmp = "python xlsxwriter | not installed | –"
            else:
                cmp = "– | – | –"
            lines.append(f"| {n:,} | {size_mb:.0f} | {rows:,} | {fmt} | {secs:.2f} | {rows / secs:,.0f} | {mb:.1f} | {cmp} |")
            rss.setdefault(fmt, []).append(mb)
    lines.append("")
    lines += ratios
    if len(sizes) > 1:
        for fmt, v in rss.items():
            lines.append(f"- peak RSS of {fmt} from {sizes[0]:,} to {sizes[-1]:,} subjects: {v[0]:.1f} MB → {v[-1]:.1f} MB")
    section = "\n".join(lines) + "\n"
    bench.write_section(a.out, "export", section)
    print(section)
    if not a.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
