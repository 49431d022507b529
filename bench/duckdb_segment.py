"""Runs one compiled segment query in DuckDB over the Parquet export and compares with Tessera.

Usage: duckdb_segment.py WAREHOUSE_DIR RUNS TESSERA_JSON SQL
TESSERA_JSON is the output of `tessera segment size --json --timings RUNS`: the JSON sizes,
then the timing table (whose `(where)` row has the median in milliseconds).
Exits non-zero when the member counts differ.
"""
import json
import statistics
import sys
import time

import duckdb

wh, runs, output, sql = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sizes, _, table = output.partition("\nevaluation time")
ours = json.loads(sizes)
ms = float(next(line for line in table.splitlines() if line.startswith("(where)")).split()[1])
con = duckdb.connect()
t0 = time.perf_counter()
for table in ["profiles", "traits", "trait_items", "identifiers", "events", "places"]:
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{wh}/{table}.parquet')")
load = time.perf_counter() - t0
times, count = [], None
for _ in range(runs):
    t = time.perf_counter()
    rows = con.execute(sql).fetchall()
    times.append(time.perf_counter() - t)
    count = len(rows)
size = ours[0]["size"]
duck = statistics.median(times) * 1e3
print(f"   duckdb: loaded the export in {load:.1f} s; query median {duck:.1f} ms over {runs} runs; {count} members")
print(f"   tessera: median {ms:.1f} ms; {size} members")
print(f"   ratio duckdb/tessera: {duck / ms:.1f}x")
if count != size:
    print(f"   MISMATCH: tessera {size} vs duckdb {count}")
    sys.exit(1)
