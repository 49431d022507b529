#!/usr/bin/env bash
# A geographic and a sequence segment at scale: Tessera against DuckDB running the SQL that
# `tessera sql` compiles for the same segment, on the same data, in the same run.
#
#   bench/geo_sequence.sh [CUSTOMERS] [RUNS]     (defaults 1000000 and 11)
#
# Reuses the store of bench/demo_segments.sh (bench/data/demo-N; built if missing), adds 100
# places (the chain's 10 stores and 90 more around its cities, deterministic), exports the
# store to Parquet in the warehouse schema once, loads it into an in-memory DuckDB (Python
# package in a venv under bench/data/), and times each segment RUNS times on both sides.
# Fails if the member counts differ.
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-1000000}
runs=${2:-11}
work="bench/data/demo-${customers}"
at="2026-11-01T00:00:00Z"

[ -f "$work/data/tessera.db" ] || bash bench/demo_segments.sh "$customers"
cargo build --release -p tessera-cli
bin=target/release/tessera

python3 bench/make_places.py "$work/input/stores.csv" 100 > "$work/places100.csv"
"$bin" place import --data "$work/data" "$work/places100.csv" 2>/dev/null

venv=bench/data/venv-duckdb
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q duckdb==2.0.0
fi
if [ ! -f "$work/wh/events.parquet" ]; then
  echo "== exporting the store to Parquet (warehouse schema)"
  rm -rf "$work/wh"
  /usr/bin/time -f "   export: %e s" "$bin" export warehouse --data "$work/data" --format parquet --at "$at" "$work/wh"
fi

echo "== machine: $(nproc) cores; $customers customers; $runs runs each; as of $at"
run() {
  local label=$1 condition=$2
  echo "== $label: $condition"
  local ours
  ours=$("$bin" segment size --data "$work/data" --at "$at" --where "$condition" --timings "$runs" --json)
  local sql
  sql=$("$bin" sql --data "$work/data" --dialect duckdb --at "$at" --where "$condition")
  "$venv/bin/python" bench/duckdb_segment.py "$work/wh" "$runs" "$ours" "$sql"
}
run "geo: 100 places" 'home within 5 km of any place tagged "store"'
run "sequence: cart abandonment" \
  'did(Added to Cart in last 30d not followed by Order Completed within 24h with same product_id)'
