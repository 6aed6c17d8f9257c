#!/usr/bin/env bash
# The main job end to end on the embedded demo tenant: build dsr, write a
# demo tenant, check its map, answer an Art. 15 request, plan and carry out
# an Art. 17 erasure, rehearse and run a retention sweep, export the whole
# tenant, and show and verify the audit trail. Usage: scripts/tour.sh [DIR] (default: a new temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
dsr=$PWD/target/release/dsr
dir=${1:-$(mktemp -d -t dsr-tour.XXXXXX)}
export DSR_STORE=$dir/tenant.db DSR_MAP=$dir/datamap.toml DSR_OPERATOR=${USER:-tour} DSR_REQUEST=TOUR-1

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}" >&2; "${@:2}"; }

step "A demo tenant: a district-heating provider with 1,000 customers" \
  "$dsr" demo "$dir" --subjects 1000 --seed 1 --force
step "Does the map fit the store?" "$dsr" check
step "Art. 15: everything held about customer 1 (a summary of the JSON extract)" \
  "$dsr" extract customer_id:1 -o "$dir/extract-1.json" --force
python3 - "$dir/extract-1.json" <<'PY' || cat "$dir/extract-1.json"
import json, sys
doc = json.load(open(sys.argv[1]))
for name, t in doc["tables"].items():
    print(f"  {name:16} {len(t['rows']):4} rows  ({t['legal_basis']}; retention: {t['retention']})")
for name, m in doc["mentions"].items():
    print(f"  mentioned in {name}.{m['column']}: {len(m['rows'])} rows")
PY
step "Art. 17: what erasing customer 1 would do (nothing changes)" \
  "$dsr" erase --dry-run customer_id:1
step "Art. 17: erase customer 1 (rows under the bookkeeping hold would stay, deferred)" \
  "$dsr" erase --yes customer_id:1
step "Storage limitation: tonight's sweep, rehearsed (nothing changes)" \
  "$dsr" sweep --dry-run
step "Storage limitation: the sweep" "$dsr" sweep
step "A customer who leaves: every mapped table to CSV" \
  "$dsr" export --all --format csv -o "$dir/export" --force
step "The audit trail" "$dsr" audit log
step "Is the trail intact?" "$dsr" audit verify
printf '\nThe tenant is in %s; try: DSR_STORE=%s DSR_MAP=%s %s extract --help\n' "$dir" "$DSR_STORE" "$DSR_MAP" "$dsr" >&2
