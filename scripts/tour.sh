#!/usr/bin/env bash
# The main job end to end on the embedded demo tenant: build dsr, write a
# demo tenant, check its map, answer an Art. 15 request, plan and carry out
# an Art. 17 erasure, rehearse and run a retention sweep, export the whole
# tenant, and show and verify the audit trail.
# Usage: scripts/tour.sh [DIR] (default: a new temp dir). Needs only cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '%s\n' "$*" >&2; }
say "Building dsr (release; the first build compiles the dependencies and takes a few minutes) ..."
cargo build --release --locked --quiet
dsr=$PWD/target/release/dsr
dir=${1:-$(mktemp -d -t dsr-tour.XXXXXX)}
export DSR_STORE=$dir/tenant.db DSR_MAP=$dir/datamap.toml DSR_OPERATOR=${USER:-tour} DSR_REQUEST=TOUR-1

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}" >&2; "${@:2}"; }

step "A demo tenant: a district-heating provider with 1,000 customers" \
  "$dsr" demo "$dir" --subjects 1000 --seed 1 --force
step "Does the map fit the store? (warnings are advice; exit 0 means it fits)" "$dsr" check
# A customer with invoices under the bookkeeping hold, so that the erasure
# shows one (which customers have one depends on today's date).
who=1
for i in $(seq 1 20); do
  if "$dsr" erase --dry-run "customer_id:$i" 2>&1 | grep -q '^  held:'; then who=$i; break; fi
done

step "Art. 15: everything held about customer $who, as a page the customer can read" \
  "$dsr" extract customer_id:$who --format html -o "$dir/extract-$who.html" --force
step "Art. 15: the same copy as JSON, for machines" \
  "$dsr" extract customer_id:$who -o "$dir/extract-$who.json" --force
say "(its first lines:)"
head -n 24 "$dir/extract-$who.json" >&2
step "Art. 17: what erasing customer $who would do, with invoices held under the bookkeeping law (nothing changes)" \
  "$dsr" erase --dry-run customer_id:$who
step "Art. 17: erase customer $who; the held invoices stay, recorded as deferred erasures for a later sweep" \
  "$dsr" erase --yes customer_id:$who
step "Storage limitation: tonight's sweep, rehearsed (nothing changes)" \
  "$dsr" sweep --dry-run
step "Storage limitation: the sweep" "$dsr" sweep
step "A customer who leaves: every mapped table to CSV" \
  "$dsr" export --all --format csv -o "$dir/export" --force
step "The audit trail" "$dsr" audit log
step "Is the trail intact?" "$dsr" audit verify
say ""
say "The tenant is in $dir; the Art. 15 page is $dir/extract-$who.html."
say "Try: DSR_STORE=$DSR_STORE DSR_MAP=$DSR_MAP $dsr extract --help"
