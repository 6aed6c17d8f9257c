#!/usr/bin/env python3
"""Benchmarks `dsr erase --yes` on PostgreSQL against psql running the same statements.

The PostgreSQL side of scripts/bench.py's "erase" (SQLite): in the demo
tenant of --size subjects (scripts/bench.py's build_demo, schema NAME_SIZE
of --store; kept with --reuse), erasures of typical customers, and of
customers grown to 10,000 and to 50,000 rows (meter readings added to their
first meter with `INSERT … SELECT generate_series`, as bench.py adds them on
SQLite, then `VACUUM ANALYZE` and a `CHECKPOINT`, so that no timed run
inherits the growth's work).

An erasure cannot be repeated, so each timed run is a pair of neighbouring
customers of the same kind (grown alike to the same number of rows), A and
B, both not yet erased:

  1. both get one `dsr erase --dry-run` first: dsr carries the plan out
     inside its write transaction, under a savepoint it rolls back (README,
     "Erasure"), so nothing changes, and both customers have the same
     history (their pages read, the rolled-back row versions left behind).
     B's dry run is captured: `log_statement = 'all'` on the store's
     database for that one run, read back from the server log (as
     scripts/bench_pg_extract.py captures extract);
  2. dsr erases A: `dsr erase customer_id:A --yes`, a whole process;
  3. psql runs, from one script, every statement of B's dry run that names
     one of the map's tables, in the order dsr sent them, their bound
     parameters written in as literals, in one `READ COMMITTED, READ WRITE`
     transaction with one audit-like INSERT before its commit (dsr writes its
     audit record in the erasure's transaction): the lookups of B by each of
     their identifiers (the email, personnummer and customer-number prefix
     ranges, the phone lookups), the links (meters, readings, invoices,
     tickets, the newsletter), the mention scan, the deletes, the `FOR
     UPDATE` read and the anonymizing UPDATE (dsr's HMAC values as
     literals), and the counts dsr's watch makes of the planned rows. That is
     B erased for real, exactly as dsr would have erased it; the script
     checks that B's rows are gone afterwards. Left out, counted in dsr's
     time only: the catalog reads, the tenant's advisory lock, the
     privilege checks, `pg_stat_xact_user_tables`, and dsr's own `_dsr_`
     tables (the secret, the audit chain, the anonymized-rows memory, the
     deferred erasures of held invoices): what a person erasing one
     customer by hand, knowing the schema, would not send.

"The same statements" is taken literally, so psql also makes dsr's own
checks that read the map's tables: the watch's `SELECT count(*) … WHERE
(meter_id, month) IN (SELECT * FROM unnest(…))` of the planned readings
after their delete is one index probe per planned row, the largest single
statement for a grown customer (about 400 ms of psql's 650 ms at 50,000
rows, 10,000 subjects, in a trial run). A hand-written erasure would not
make it; the ratio is against dsr's statements, not against the least SQL
that erases the customer.

A dry run's statements on the map's tables are the real run's (only the
savepoint and dsr's bookkeeping differ): the script checks that first, on a
spare customer of each kind (its dry run and its real erasure both captured
and compared), and stops if they differ.

Each figure is the median of --runs pairs, after one pair not timed; the
runs take turns (the pair's dry runs, then dsr and psql, each going first
in every other pair, then the next pair), each a whole process, committing
with the server's defaults (synchronous_commit on: fsync, both sides). One more spare customer of each kind is erased with `DSR_TRACE=1`
and its phases are listed under the table.

Writes the section "erase (PostgreSQL)" of BENCHMARKS.md (--out) with the
command. Needs psql and read access to the server's log file (run as root
or postgres on the server's machine); best on a database of its own (the
capture logs every statement of that database for a moment). With
DSR_BENCH_BIN set that build is timed and nothing is built.
Usage: scripts/bench_pg_erase.py --store postgres://…/dsr_bench [--size 300000] [--runs 7] [--reuse]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from bench_pg_extract import TABLES, captured, demo, psql_value, subject_rows, with_params  # noqa: E402

# (label, rows the customer is grown to (0: as the demo made it), where its ids start, as a share of the tenant)
KINDS = (("typical customer", 0, 1 / 3), ("customer with 10,000 rows", 10000, 2 / 3),
         ("customer with 50,000 rows", 50000, 2 / 3 + 1 / 6))
PHASE = re.compile(r"^dsr trace: (\w+) ([0-9.]+) ms", re.M)


def quoted(schema):
    return '"' + schema.replace('"', '""') + '"'


def map_statements(stmts):
    """The captured statements that name one of the map's tables, with their
    parameters written in."""
    names = "|".join(TABLES)
    return [with_params(sql, params) for sql, params in stmts
            if re.search(rf'\b(FROM|UPDATE|INTO) "({names})"', sql) and "_dsr_" not in sql]


def erase_script(schema, stmts):
    """The psql script: B's statements on the map's tables in one write
    transaction, with one audit-like INSERT committed with them."""
    kept = map_statements(stmts)
    lines = [f"SET search_path TO {quoted(schema)}, public;", "SET TimeZone TO 'UTC';",
             "BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE;", *(s + ";" for s in kept),
             "INSERT INTO bench_audit (at, details) VALUES (now(), '{}');", "COMMIT;"]
    return "\n".join(lines) + "\n", len(kept)


class Picker:
    """Customers not yet erased, each kind from its own range of ids, grown
    to the kind's size; each handed out once."""

    def __init__(self, url, schema, n):
        self.url, self.schema, self.q, self.n = url, schema, quoted(schema), n
        self.next = {label: max(1, int(n * start)) for label, _, start in KINDS}
        self.grown = False

    def take(self, label, grow):
        while True:
            cid = self.next[label]
            self.next[label] += 1
            if cid > self.n:
                sys.exit(f"bench_pg_erase: no customers left to erase for '{label}'; rebuild the tenant (no --reuse)")
            ok = psql_value(self.url, f"SELECT c.name <> '[erased]' AND EXISTS (SELECT 1 FROM {self.q}.meters m "
                                      f"WHERE m.customer_id = c.id) FROM {self.q}.customers c WHERE c.id = {cid}")
            if ok != "t":
                continue
            if grow:
                have = subject_rows(self.url, self.schema, cid)
                if have > grow:
                    continue
                if have < grow:
                    bench.psql(self.url, (
                        f"INSERT INTO {self.q}.meter_readings (meter_id, month, kwh, read_at) "
                        f"SELECT (SELECT min(id) FROM {self.q}.meters WHERE customer_id = {cid}), "
                        f"'g' || lpad(i::text, 5, '0'), 1.0, 1700000000 FROM generate_series(1, {grow - have}) AS i"))
                    self.grown = True
            return cid

    def settle(self):
        """After growing: the table vacuumed and analysed, and checkpointed."""
        if self.grown:
            bench.psql(self.url, f"VACUUM ANALYZE {self.q}.meter_readings")
            bench.psql(self.url, "CHECKPOINT")
            self.grown = False


def erase_cmd(store, dmap, cid, *flags):
    return [bench.DSR, "-q", "--store", store, "--map", dmap, "erase", f"customer_id:{cid}", *flags]


def unordered(sql):
    """The statement with the elements of each array literal sorted: dsr
    binds a set of keys in no set order, which may differ from run to run."""
    return re.sub(r"'\{([^']*)\}'", lambda m: "'{" + ",".join(sorted(m.group(1).split(","))) + "}'", sql)


def check_dry_run(a, store, dmap, schema, cid):
    """Stops unless the dry run of `cid` sends the statements on the map's
    tables its real erasure sends."""
    dry = map_statements(captured(a.store, a.server_log, erase_cmd(store, dmap, cid, "--dry-run"), schema))
    real = map_statements(captured(a.store, a.server_log, erase_cmd(store, dmap, cid, "--yes"), schema))
    dry, real = [unordered(s) for s in dry], [unordered(s) for s in real]
    if dry != real:
        diff = next(i for i, (x, y) in enumerate(zip(dry + [""], real + [""])) if x != y)
        sys.exit(f"bench_pg_erase: customer {cid}'s dry run differs from its erasure at statement {diff} "
                 f"({len(dry)} against {len(real)} statements): the dry run cannot stand in for it")
    return len(real)


def traced_phases(store, dmap, cid):
    p = subprocess.run(erase_cmd(store, dmap, cid, "--yes"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, env={**os.environ, "DSR_TRACE": "1"}, check=True)
    return [(name, float(ms)) for name, ms in PHASE.findall(p.stderr)]


def remaining(url, schema, cid):
    """Rows of the customer's own that an erasure deletes (its meters'
    readings, meters, tickets) still there, and whether the row is anonymized."""
    q = quoted(schema)
    return psql_value(url, (
        f"SELECT (SELECT count(*) FROM {q}.meter_readings WHERE meter_id IN (SELECT id FROM {q}.meters WHERE customer_id = {cid}))"
        f" + (SELECT count(*) FROM {q}.meters WHERE customer_id = {cid})"
        f" + (SELECT count(*) FROM {q}.tickets WHERE customer_id = {cid}) || ' ' || "
        f"(SELECT name = '[erased]' FROM {q}.customers WHERE id = {cid})"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True, help="postgres://…/DB[?schema=NAME]; NAME_SIZE holds the tenant")
    ap.add_argument("--size", type=int, default=300000, help="subjects in the demo tenant")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--keep", default=os.path.join(tempfile.gettempdir(), "dsr-bench-pg"),
                    help="directory of the demo map and the psql scripts (kept, for --reuse)")
    ap.add_argument("--reuse", action="store_true", help="keep the demo tenant an earlier run built")
    ap.add_argument("--server-log", default="/var/log/postgresql/postgresql-15-main.log")
    ap.add_argument("--out", default=os.path.join(bench.ROOT, "BENCHMARKS.md"))
    a = ap.parse_args()
    if not os.access(a.server_log, os.R_OK):
        sys.exit(f"bench_pg_erase: cannot read the server log {a.server_log}; give --server-log PATH")
    if not os.environ.get("DSR_BENCH_BIN"):
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=bench.ROOT, check=True)
    os.makedirs(a.keep, exist_ok=True)
    n = a.size
    machine = bench.pg_machine(a.store)
    tenant, store, gen_s = demo(n, a.keep, a.store, a.reuse)
    if gen_s is not None:
        print(f"demo {n}: built in {gen_s:.1f} s", file=sys.stderr)
    schema = bench.pg_schema(a.store, n)
    dmap = os.path.join(tenant, "datamap.toml")
    bench.psql(a.store, f"CREATE TABLE IF NOT EXISTS {quoted(schema)}.bench_audit "
                        "(seq bigserial PRIMARY KEY, at timestamptz, details text)")
    picker = Picker(a.store, schema, n)
    # Every customer the run needs, picked and grown before anything is timed.
    plan = {}
    for label, grow, _ in KINDS:
        spare = [picker.take(label, grow) for _ in range(2)]
        pairs = [(picker.take(label, grow), picker.take(label, grow)) for _ in range(a.runs + 1)]
        plan[label] = (spare, pairs)
    picker.settle()
    lines_phase, results = [], {}
    for label, grow, _ in KINDS:
        (check_cid, trace_cid), pairs = plan[label]
        check_dry_run(a, store, dmap, schema, check_cid)
        phases = traced_phases(store, dmap, trace_cid)
        lines_phase.append(f"- {label} (customer {trace_cid}): " + ", ".join(f"{k} {v:.1f}" for k, v in phases
                                                                              if k != "parse") + " ms")
        print(lines_phase[-1], file=sys.stderr)
        dsr_ms, psql_ms, sizes, counts = [], [], [], []
        for r, (ca, cb) in enumerate(pairs):
            size = subject_rows(a.store, schema, ca)
            if grow:
                assert size == subject_rows(a.store, schema, cb), "an erase pair of unequal size"
            bench.once(erase_cmd(store, dmap, ca, "--dry-run"))
            stmts = captured(a.store, a.server_log, erase_cmd(store, dmap, cb, "--dry-run"), schema)
            script, kept = erase_script(schema, stmts)
            path = os.path.join(a.keep, f"erase-{n}-{cb}.sql")
            with open(path, "w") as f:
                f.write(script)
            psql_cmd = ["psql", bench.libpq_uri(a.store), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                        "-o", os.devnull, "-f", path]
            # Each goes first in every other pair: neither always inherits the other's dirty pages.
            if r % 2 == 0:
                d = bench.once(erase_cmd(store, dmap, ca, "--yes"))
                p = bench.once(psql_cmd)
            else:
                p = bench.once(psql_cmd)
                d = bench.once(erase_cmd(store, dmap, ca, "--yes"))
            left_a, left_b = remaining(a.store, schema, ca), remaining(a.store, schema, cb)
            if left_a != "0 true" or left_b != "0 true":
                sys.exit(f"bench_pg_erase: after the pair ({ca}, {cb}) their own rows left and anonymized: "
                         f"{left_a!r} and {left_b!r}; expected '0 true' for both")
            os.remove(path)
            print(f"erase {label} {'warm-up' if r == 0 else f'run {r}'}: customers {ca}/{cb}, {size} rows, "
                  f"{len(stmts)}/{kept} statements: dsr {d:.1f} ms, psql {p:.1f} ms", file=sys.stderr)
            if r == 0:
                continue
            dsr_ms.append(d)
            psql_ms.append(p)
            sizes.append(size)
            counts.append((len(stmts), kept))
        results[label] = (statistics.median(sizes), statistics.median(c for c, _ in counts),
                          statistics.median(k for _, k in counts), statistics.median(dsr_ms),
                          statistics.median(psql_ms))
    lines = [
        "## erase (PostgreSQL)",
        "",
        f"Command: `DSR_BENCH_BIN=… scripts/bench_pg_erase.py --store postgres://…/DB --size {n} --runs {a.runs}"
        f"{' --reuse' if a.reuse else ''}` (erasures in the tenant of {n:,} subjects"
        f"{'' if gen_s is None else f', built in {gen_s:.0f} s'})  ",
        f"Machine: {machine}; dsr release build; each figure the median of {a.runs} erasures, each a whole "
        "process on a different customer (a neighbour of the same size for psql), committing with the server's "
        "defaults (synchronous_commit on). psql runs, in one write transaction with one audit-like INSERT, "
        "every statement on the map's tables that dsr sent for its customer (captured from the server log "
        "during a `--dry-run`, parameters written in): the lookups, links and mention scan, the deletes, the "
        "anonymizing UPDATE and the watch's counts; dsr's catalog reads, lock, privilege checks and `_dsr_` "
        "bookkeeping count in dsr's time only.",
        "",
        "| subject | rows | statements dsr sent (dry run) / replayed | dsr erase --yes (ms) | psql same statements (ms) | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, (rows, sent, kept, d, p) in results.items():
        lines.append(f"| {label} | {rows:.0f} | {sent:.0f} / {kept:.0f} | {d:.1f} | {p:.1f} | {d / p:.2f}× |")
    _, _, _, d, p = results["customer with 50,000 rows"]
    lines += ["", f"**Goal: a 50,000-row subject ≤ 1.2× psql doing the same statements: "
                  f"{bench.met(d / p <= 1.2)} ({d / p:.2f}×, {d:.0f} ms against {p:.0f} ms).**", ""]
    d = results["typical customer"][3]
    if n == 300000:
        lines.append(f"- typical erase ≤ 50 ms whole process at 300,000 subjects: {bench.met(d <= 50)} ({d:.1f} ms)")
    else:
        lines.append(f"- typical erase ≤ 50 ms whole process at 300,000 subjects: not measured at this size "
                     f"({d:.1f} ms at {n:,} subjects)")
    lines += ["", "dsr's phases (`DSR_TRACE=1`, one more erasure of each kind, ms):", ""] + lines_phase
    section = "\n".join(lines) + "\n"
    bench.write_section(a.out, "erase (PostgreSQL)", section)
    print(section)


if __name__ == "__main__":
    main()
