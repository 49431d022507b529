#!/usr/bin/env bash
# Times batch evaluation of the demo segments over the generated retail chain.
#
#   bench/demo_segments.sh [CUSTOMERS]     (default 1000000)
#
# Generates the data (deterministic, seed 42), imports it through `tessera import`, applies
# the demo segments, then evaluates each segment 11 times on the loaded snapshot and prints
# the medians. Data is kept in bench/data/ between runs; delete it to start over.
set -euo pipefail
cd "$(dirname "$0")/.."

customers=${1:-1000000}
work="bench/data/demo-${customers}"
at="2026-11-01T00:00:00Z"

cargo build --release -p tessera-cli
bin=target/release/tessera

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
if [ ! -f "$work/data/tessera.db" ]; then
  rm -rf "$work"
  echo "== generating ${customers} customers"
  /usr/bin/time -f "   gen: %e s, max RSS %M KiB" "$bin" gen --customers "$customers" --out "$work/input"
  "$bin" init --data "$work/data" >/dev/null
  echo "== importing"
  /usr/bin/time -f "   customers: %e s" "$bin" import --data "$work/data" --batch-size 20000 \
    "$work/input/customers.csv" --mapping "$work/input/customers.mapping.toml" || [ $? -eq 2 ]
  /usr/bin/time -f "   pos: %e s" "$bin" import --data "$work/data" --batch-size 20000 \
    "$work/input/pos_transactions.csv" --mapping "$work/input/pos.mapping.toml"
  /usr/bin/time -f "   web + email: %e s, max RSS %M KiB" "$bin" import --data "$work/data" --batch-size 20000 \
    "$work/input/web_events.jsonl" "$work/input/email_events.jsonl"
  "$bin" segment apply --data "$work/data" crates/tessera-gen/segments --at "$at"
fi
echo "== evaluating the demo segments (11 runs each)"
/usr/bin/time -f "   whole command: %e s, max RSS %M KiB" \
  "$bin" segment size --data "$work/data" --at "$at" --timings 11
