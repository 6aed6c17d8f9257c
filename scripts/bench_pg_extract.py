#!/usr/bin/env python3
"""Benchmarks `dsr extract` on PostgreSQL against psql running the same lookups.

Builds (or, with --reuse, keeps) the demo tenant of each size in the schema
NAME_SIZE of --store (scripts/bench.py's build_demo), then for several
subjects:

  1. captures the statements dsr sends for that subject: one `dsr extract`
     with `log_statement = 'all'` set on the store's database (ALTER DATABASE
     … SET, reset at once), read back from the server log (--server-log);
  2. keeps those that read the map's tables (the lookups, the links, the
     free-text scan), their bound parameters written in as literals, inside
     the same `REPEATABLE READ READ ONLY` transaction, and adds one durable
     write (an INSERT committed on its own, as dsr's audit record is); dsr's
     catalog reads and its own `_dsr_` bookkeeping are left out, since a
     person writing the SQL by hand knows the schema;
  3. times, interleaved (dsr, psql, dsr, psql, …), whole processes:
     `dsr extract KIND:VALUE` and `psql -f` of that script.

Subjects: five spread over the tenant (kinds customer_id, email,
personnummer in turn, as scripts/bench.py picks them on SQLite), and two
customers without a phone number: their extract never parses a phone, so
the start-up cost of libphonenumber's metadata (issue 14) is not in it.

Writes the section "extract (PostgreSQL)" of BENCHMARKS.md with the command.
Needs psql and read access to the server's log file (run as root or postgres
on the server's machine); best on a database of its own (the capture logs
every statement of that database for a moment).
Usage: scripts/bench_pg_extract.py --store postgres://…/dsr_bench [--sizes 10000,100000] [--runs 7] [--reuse]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

TABLES = ("customers", "meters", "meter_readings", "invoices", "staff", "staff_logins", "tickets", "newsletter")
ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[(\d+)\] [^ ]*@(\S*) (LOG|DETAIL):  (.*)$")
PARAM = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def psql_value(url, sql):
    return subprocess.run(["psql", bench.libpq_uri(url), "-X", "-tAc", sql], capture_output=True, text=True,
                          check=True).stdout.strip()


def log_entries(text):
    """(pid, database, kind, message) of each log entry; continuation lines
    (a statement over several lines) joined to their entry."""
    out = []
    for line in text.split("\n"):
        m = ENTRY.match(line)
        if m:
            out.append(list(m.groups()))
        elif out and line.startswith("\t"):
            out[-1][3] += "\n" + line[1:]
    return out


def captured(url, server_log, cmd, schema):
    """The statements `cmd` (a dsr run) sent, as (sql, {n: literal})."""
    db = bench.database_of(url)
    qdb = '"' + db.replace('"', '""') + '"'
    start = os.path.getsize(server_log)
    bench.psql(url, f"ALTER DATABASE {qdb} SET log_statement = 'all'")
    try:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finally:
        bench.psql(url, f"ALTER DATABASE {qdb} RESET log_statement")
    time.sleep(0.2)  # the server's stderr reaches the file
    with open(server_log, encoding="utf-8", errors="replace") as f:
        f.seek(start)
        entries = [e for e in log_entries(f.read()) if e[1] == db]
    # dsr's session: the one whose first statement was bound to the schema's name.
    pids = {e[0] for e in entries if e[2] == "DETAIL" and f"$1 = '{schema}'" in e[3]}
    stmts = []
    for pid, _, kind, msg in entries:
        if pid not in pids:
            continue
        if kind == "LOG":
            m = re.match(r"(?:execute [^:]*|statement): (.*)", msg, re.S)
            if m:
                stmts.append([m.group(1), {}])
        elif kind == "DETAIL" and msg.startswith("parameters:") and stmts:
            stmts[-1][1] = {int(n): v for n, v in PARAM.findall(msg)}
    return stmts


def with_params(sql, params):
    """The statement with its bound parameters ($N) written in as the
    literals the server logged."""
    return re.sub(r"\$(\d+)", lambda m: params[int(m.group(1))], sql)


def replay_script(stmts):
    """The psql script: dsr's reads of the map's tables with their
    parameters in place, in one read-only snapshot, then one durable write."""
    reads = []
    names = "|".join(TABLES)
    for sql, params in stmts:
        if not re.search(rf'\bFROM "({names})"', sql) or "_dsr_" in sql:
            continue
        reads.append(with_params(sql, params) + ";")
    script = ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;", *reads, "COMMIT;",
              "INSERT INTO bench_audit (at, details) VALUES (now(), '{}');"]
    return "\n".join(script) + "\n", len(reads)


def timed_pair(a, b, runs):
    """Medians (ms) of a and b run in turns, after one warm-up each."""
    for cmd in (a, b):
        bench.once(cmd)
    sa, sb = [], []
    for _ in range(runs):
        sa.append(bench.once(a))
        sb.append(bench.once(b))
    return statistics.median(sa), statistics.median(sb)


def subjects(url, schema, n):
    """(label, kind, value, customer id) for the subjects timed."""
    q = '"' + schema.replace('"', '""') + '"'
    out = []
    kinds = ["customer_id", "email", "personnummer"]
    for i, cid in enumerate(max(1, n * k // 6) for k in range(1, 6)):
        kind = kinds[i % 3]
        col = {"customer_id": "id::text", "email": "email", "personnummer": "personnummer"}[kind]
        out.append(("spread", kind, psql_value(url, f"SELECT {col} FROM {q}.customers WHERE id = {cid}"), cid))
    ids = psql_value(url, f"SELECT string_agg(id::text, ',') FROM (SELECT id FROM {q}.customers "
                          f"WHERE phone IS NULL AND id > {n // 2} ORDER BY id LIMIT 2) s").split(",")
    out.append(("no phone", "customer_id", ids[0], int(ids[0])))
    out.append(("no phone", "email", psql_value(url, f"SELECT email FROM {q}.customers WHERE id = {ids[1]}"),
                int(ids[1])))
    return out


def subject_rows(url, schema, cid):
    q = '"' + schema.replace('"', '""') + '"'
    return int(psql_value(url, (
        f"SELECT (SELECT count(*) FROM {q}.meters WHERE customer_id = {cid})"
        f" + (SELECT count(*) FROM {q}.meter_readings WHERE meter_id IN (SELECT id FROM {q}.meters WHERE customer_id = {cid}))"
        f" + (SELECT count(*) FROM {q}.invoices WHERE customer_id = {cid})"
        f" + (SELECT count(*) FROM {q}.tickets WHERE customer_id = {cid}) + 1")))


def demo(n, workdir, url, reuse):
    schema = bench.pg_schema(url, n)
    tenant = os.path.join(workdir, f"demo-{n}-pg")
    if reuse and os.path.exists(os.path.join(tenant, "datamap.toml")):
        return tenant, bench.pg_url(url, schema), None
    return bench.build_demo(n, workdir, url)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True, help="postgres://…/DB[?schema=NAME]; NAME_SIZE holds each tenant")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--keep", default=os.path.join(tempfile.gettempdir(), "dsr-bench-pg"),
                    help="directory of the demo maps (kept, for --reuse)")
    ap.add_argument("--reuse", action="store_true", help="keep demo tenants an earlier run built")
    ap.add_argument("--server-log", default="/var/log/postgresql/postgresql-15-main.log")
    ap.add_argument("--out", default=os.path.join(bench.ROOT, "BENCHMARKS.md"))
    a = ap.parse_args()
    if not os.access(a.server_log, os.R_OK):
        sys.exit(f"bench_pg_extract: cannot read the server log {a.server_log}; give --server-log PATH")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=bench.ROOT, check=True)
    os.makedirs(a.keep, exist_ok=True)
    sizes = [int(s) for s in a.sizes.split(",")]
    lines = [
        "## extract (PostgreSQL)",
        "",
        f"Command: `scripts/bench_pg_extract.py --store postgres://…/dsr_bench --sizes {a.sizes} --runs {a.runs}"
        f"{' --reuse' if a.reuse else ''}`  ",
        f"Machine: {bench.pg_machine(a.store)}; dsr release build; median of {a.runs} interleaved runs per figure, "
        "each a whole process. psql runs, from one script per subject, the statements dsr sent that read the "
        "map's tables (captured from the server log, parameters written in), in one read-only snapshot, and one "
        "committed INSERT for dsr's audit record.",
        "",
        "| subjects | demo build (s) | subject | lookup | rows | statements dsr sent / replayed | dsr extract (ms) "
        "| psql same lookups (ms) | ratio |",
        "| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    summary = []
    for n in sizes:
        tenant, store, gen_s = demo(n, a.keep, a.store, a.reuse)
        schema = bench.pg_schema(a.store, n)
        dmap = os.path.join(tenant, "datamap.toml")
        bench.psql(a.store, f'CREATE TABLE IF NOT EXISTS "{schema}".bench_audit '
                                        "(seq bigserial PRIMARY KEY, at timestamptz, details text)")
        results = []
        for label, kind, value, cid in subjects(a.store, schema, n):
            dsr_cmd = [bench.DSR, "-q", "--store", store, "--map", dmap, "extract", f"{kind}:{value}"]
            stmts = captured(a.store, a.server_log, dsr_cmd, schema)
            script, kept = replay_script(stmts)
            path = os.path.join(a.keep, f"replay-{n}-{cid}.sql")
            with open(path, "w") as f:
                f.write(f'SET search_path TO "{schema}";\n' + script)
            psql_cmd = ["psql", bench.libpq_uri(a.store), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", os.devnull, "-f", path]
            d, p = timed_pair(dsr_cmd, psql_cmd, a.runs)
            rows = subject_rows(a.store, schema, cid)
            results.append((label, d, p))
            built = "–" if gen_s is None else f"{gen_s:.1f}"
            lines.append(f"| {n:,} | {built} | {label} | {kind} | {rows} | {len(stmts)} / {kept} | {d:.1f} | {p:.1f} "
                         f"| {d / p:.2f}× |")
            print(lines[-1], file=sys.stderr)
        for label in ("spread", "no phone"):
            ds = statistics.median(d for l, d, _ in results if l == label)
            ps = statistics.median(p for l, _, p in results if l == label)
            summary.append((n, label, ds, ps))
    lines.append("")
    for n, label, d, p in summary:
        verdict = "met" if d <= 1.5 * p else "missed"
        what = "subjects spread over the tenant" if label == "spread" else \
            "customers without a phone (no libphonenumber start-up)"
        lines.append(f"- {n:,} subjects, {what}: median dsr {d:.1f} ms, psql {p:.1f} ms, ratio {d / p:.2f}×: "
                     f"goal ≤ 1.5× {verdict}")
    section = "\n".join(lines) + "\n"
    bench.write_section(a.out, "extract (PostgreSQL)", section)
    print(section)


if __name__ == "__main__":
    main()
