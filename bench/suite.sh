#!/usr/bin/env bash
# The benchmark suite of issue 6: Tessera against DuckDB on the same data, in one run.
#
#   bench/suite.sh [CUSTOMERS] [RUNS]     (defaults 1000000 and 11)
#
# 1. Builds the store bench/data/demo-N exactly as bench/demo_segments.sh does (`tessera gen`,
#    seed 42, then `tessera import` of the four files and `segment apply` of the demo
#    segments), timing each import; reuses it when it exists (delete the directory to measure
#    the import again). Adds the 100 places of bench/geo_sequence.sh and exports the store to
#    Parquet in the warehouse schema (bench/data/demo-N/wh, shared with geo_sequence.sh),
#    timed; reuses the export when it exists.
# 2. Measures start-up (store -> engine ready) and resident memory: max RSS of a
#    `segment size` run with one evaluation, divided by the events and profiles loaded.
# 3. Runs the suite (bench/suite.py, in a venv with duckdb==2.0.0 under bench/data/): the 12
#    demo segments, a 6-condition compound segment, a filtered event count in a 7-day window,
#    a negation, and a 50 x 50 overlap matrix; Tessera evaluates all of them on one load of
#    the store (RUNS times each), DuckDB runs the SQL `tessera sql --dialect duckdb` compiles
#    for each, over the export loaded into an in-memory database (median of RUNS).
# 4. Prints a Markdown table (for BENCHMARKS.md) and fails if any member count differs.
#
# OVERLAP_RUNS (environment) changes the number of runs of the overlap matrix (default RUNS).
# GZIP_INPUT=1 generates the data files gzip-compressed (`tessera gen --gzip`) and imports them
# so: about a tenth of the disk for the input (for 10M customers: ~70 GB of text otherwise).
# At 1,000,000 customers: roughly 15 minutes with the store and export present (three loads of
# the store at ~55 s, DuckDB's queries, the overlap matrix RUNS times); building the
# store adds about 13 minutes (`tessera gen` and the imports), the export about 3.
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-1000000}
runs=${2:-11}
overlap_runs=${OVERLAP_RUNS:-$runs}
gz=""
if [ "${GZIP_INPUT:-0}" = 1 ]; then gz=".gz"; fi
work="bench/data/demo-${customers}"
at="2026-11-01T00:00:00Z"
venv=bench/data/venv-duckdb

cargo build --release -p tessera-cli
bin=target/release/tessera
facts=$(mktemp -d)
trap 'rm -rf "$facts"' EXIT

# `timed NAME COMMAND…`: runs COMMAND, writing "seconds max_rss_kib" to $facts/NAME (the last
# line of /usr/bin/time's output: the first says so when the command fails).
timed() {
  local name=$1; shift
  local status=0
  /usr/bin/time -f "%e %M" -o "$facts/$name.time" "$@" || status=$?
  tail -n 1 "$facts/$name.time" > "$facts/$name"
  return "$status"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
built_now=0
if [ ! -f "$work/data/tessera.db" ]; then
  built_now=1
  rm -rf "$work"
  echo "== generating ${customers} customers"
  timed gen "$bin" gen --customers "$customers" --out "$work/input" ${gz:+--gzip}
  "$bin" init --data "$work/data" >/dev/null
  echo "== importing (timed per file)"
  # customers.csv may have rejected rows (exit status 2), as in bench/demo_segments.sh.
  timed customers "$bin" import --data "$work/data" --batch-size 20000 \
    "$work/input/customers.csv$gz" --mapping "$work/input/customers.mapping.toml" || [ $? -eq 2 ]
  timed pos "$bin" import --data "$work/data" --batch-size 20000 \
    "$work/input/pos_transactions.csv$gz" --mapping "$work/input/pos.mapping.toml"
  timed events "$bin" import --data "$work/data" --batch-size 20000 \
    "$work/input/web_events.jsonl$gz" "$work/input/email_events.jsonl$gz"
  "$bin" segment apply --data "$work/data" crates/tessera-gen/segments --at "$at" >/dev/null
  messages=$(python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("SELECT coalesce(sum(stored), 0) FROM imports").fetchone()[0])' "$work/data/tessera.db")
  {
    echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
    echo "gen_s=$(cut -d' ' -f1 "$facts/gen")"
    echo "gen_rss_kib=$(cut -d' ' -f2 "$facts/gen")"
    echo "customers_s=$(cut -d' ' -f1 "$facts/customers")"
    echo "pos_s=$(cut -d' ' -f1 "$facts/pos")"
    echo "events_s=$(cut -d' ' -f1 "$facts/events")"
    echo "events_rss_kib=$(cut -d' ' -f2 "$facts/events")"
    echo "messages=$messages"
  } > "$work/suite_import.txt"
fi

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q duckdb==2.0.0
fi

# The places of bench/geo_sequence.sh, so that the export serves both scripts.
python3 bench/make_places.py "$work/input/stores.csv" 100 > "$work/places100.csv"
"$bin" place import --data "$work/data" "$work/places100.csv" >/dev/null 2>&1
exported_now=0
if [ ! -f "$work/wh/events.parquet" ]; then
  exported_now=1
  echo "== exporting the store to Parquet (warehouse schema)"
  rm -rf "$work/wh"
  timed export "$bin" export warehouse --data "$work/data" --format parquet --at "$at" "$work/wh"
  { echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"; echo "export_s=$(cut -d' ' -f1 "$facts/export")"; } \
    > "$work/suite_export.txt"
fi

echo "== start-up and memory: segment size --where 'age > 0' (load + 1 evaluation)"
timed startup "$bin" segment size --data "$work/data" --at "$at" --where 'age > 0' --json \
  > "$facts/startup.out" 2> "$facts/startup.err"
cat "$facts/startup.err"
# The same process without the load (opens the store, reads the catalog), for the baseline RSS.
timed baseline "$bin" segment check --data "$work/data" --where 'age > 0' >/dev/null

"$venv/bin/python" bench/suite.py \
  --bin "$bin" --data "$work/data" --wh "$work/wh" --at "$at" \
  --customers "$customers" --runs "$runs" --overlap-runs "$overlap_runs" \
  --facts "$facts" --work "$work" --built-now "$built_now" --exported-now "$exported_now" \
  --command "bench/suite.sh $customers $runs"
