"""The comparison half of bench/suite.sh (issue 6): runs the fixed suite of segments in Tessera
and in DuckDB, checks that every member count agrees, and prints the Markdown table.

Run by bench/suite.sh inside the DuckDB venv; see that script for the arguments it passes.

Tessera: every suite segment in one `tessera segment size --where … --where … --timings RUNS`
(one load of the store, each condition evaluated RUNS times, median), and the overlap matrix in
one `tessera segment overlap --where ×50 --timings RUNS` (each run computes the 50 member sets
and the 1,275 intersection counts).

DuckDB: the tables of the Parquet export loaded into an in-memory database once; for each
segment the query `tessera sql --dialect duckdb` compiles, timed as
`SELECT count(*) FROM (query)` (the size, as `segment size` computes it: DuckDB does not have to
ship the member ids to Python); for the overlap, one query that computes the 50 member sets
(the compiled queries, in a materialised CTE) and joins it with itself to count every pair.
Medians of RUNS runs.

Exits 1 if a member count (or an intersection count) differs.
"""
import argparse
import json
import pathlib
import re
import statistics
import subprocess
import sys
import time
import tomllib

import duckdb

DEMO_SEGMENTS = pathlib.Path("crates/tessera-gen/segments")
CATEGORIES = ["athletic", "electronics", "outdoor", "home", "beauty", "fashion", "travel", "toys"]
TARGET_MS = 50.0
TARGET_RATIO = 10.0
# `PRAGMA cache_size = -262144` of the store's connection (crates/tessera-store/src/lib.rs).
SQLITE_CACHE = 256 * 2**20


def suite():
    """The single segments: (name, condition), the demo's 12 first."""
    segments = []
    for path in sorted(DEMO_SEGMENTS.glob("*.toml")):
        definition = tomllib.loads(path.read_text())
        segments.append((definition["name"], " ".join(definition["condition"].split())))
    segments += [
        ("compound_6_conditions",
         'age between 25 and 45 and income > 60000 and city_tier = "urban" '
         'and interests contains "running" '
         'and count(Product Viewed where category = "athletic" in last 30d) >= 2 '
         "and not did(Order Completed in last 14d)"),
        ("filtered_count_7d",
         'count(Product Viewed where category = "electronics" in last 7d) >= 2'),
        ("negation",
         'not did(Product Viewed where device = "mobile" in last 30d)'),
    ]
    return segments


# The 50 segments of the overlap matrix: five families of ten, deterministic.
OVERLAP_FAMILIES = [
    ("income thresholds", "`income > 25000` … `income > 115000` (steps of 10,000)",
     lambda i: f"income > {25000 + 10000 * i}"),
    ("age bands", "`age between 18 and 29` … `age between 72 and 83` (steps of 6)",
     lambda i: f"age between {18 + 6 * i} and {29 + 6 * i}"),
    ("view counts", "`count(Product Viewed in last 30d) >= 1` … `>= 10`",
     lambda i: f"count(Product Viewed in last 30d) >= {1 + i}"),
    ("category views",
     "`did(Product Viewed where category = C in last 30d)` for the 8 categories, "
     "`did(Added to Cart in last 30d)`, `did(Email Link Clicked in last 30d)`",
     lambda i: (f'did(Product Viewed where category = "{CATEGORIES[i]}" in last 30d)'
                if i < len(CATEGORIES) else
                ["did(Added to Cart in last 30d)", "did(Email Link Clicked in last 30d)"][i - 8])),
    ("spend and frequency",
     "`income > X and count(Order Completed in last 180d) >= K`, X from 40000 to 120000 "
     "(steps of 20,000), K = 1 or 3",
     lambda i: (f"income > {40000 + 20000 * (i % 5)} "
                f"and count(Order Completed in last 180d) >= {1 + 2 * (i // 5)}")),
]


def overlap_suite():
    return [make(i) for _, _, make in OVERLAP_FAMILIES for i in range(10)]


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command[:4])} …\n{result.stderr}")
    return result


def where_args(conditions):
    return [arg for condition in conditions for arg in ("--where", condition)]


def load_seconds(stderr):
    match = re.search(r"loaded (\d+) profiles as of \S+ in ([0-9.]+)s", stderr)
    return (int(match.group(1)), float(match.group(2))) if match else (None, None)


def timing_rows(text):
    """(median, min, max) of each row of the timing table printed after `--timings`."""
    lines = text.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    return [tuple(float(x) for x in line.split()[-3:]) for line in lines[start:] if line.strip()]


def tessera_sizes(args, conditions):
    result = run([args.bin, "segment", "size", "--data", args.data, "--at", args.at, "--json",
                  "--timings", str(args.runs)] + where_args(conditions))
    sizes, _, table = result.stdout.partition("\nevaluation time")
    sizes = json.loads(sizes)
    times = timing_rows(table)
    assert len(sizes) == len(times) == len(conditions), (len(sizes), len(times))
    return [s["size"] for s in sizes], [t[0] for t in times], load_seconds(result.stderr)


def tessera_overlap(args, conditions):
    result = run([args.bin, "segment", "overlap", "--data", args.data, "--at", args.at, "--json",
                  "--timings", str(args.overlap_runs)] + where_args(conditions))
    matrix, _, table = result.stdout.partition("\nevaluation time")
    return json.loads(matrix), timing_rows(table)[0][0]


def compiled(args, condition):
    sql = run([args.bin, "sql", "--data", args.data, "--dialect", "duckdb", "--at", args.at,
               "--compact", "--where", condition]).stdout
    return sql.strip().rstrip(";")


def duck_time(con, sql, runs):
    """Median ms over `runs` runs and the rows of the last run."""
    times, rows = [], None
    for _ in range(runs):
        started = time.perf_counter()
        rows = con.execute(sql).fetchall()
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times), rows


def overlap_sql(queries):
    members = "\n  UNION ALL\n  ".join(
        f"SELECT {i} AS seg, profile_id FROM ({sql}) AS s{i}" for i, sql in enumerate(queries))
    return (f"WITH m AS MATERIALIZED (\n  {members}\n)\n"
            "SELECT a.seg, b.seg, count(*) FROM m AS a JOIN m AS b "
            "ON a.profile_id = b.profile_id AND a.seg <= b.seg GROUP BY a.seg, b.seg")


def read_facts(path):
    facts = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            facts[key] = value
    return facts


def fmt_ms(ms):
    return f"{ms:,.2f}" if ms < 100 else f"{ms:,.0f}"


def target(ours, duck):
    misses = []
    if ours > TARGET_MS:
        misses.append(f"{fmt_ms(ours)} ms > {TARGET_MS:.0f}")
    if duck / ours < TARGET_RATIO:
        misses.append(f"{duck / ours:.1f}× < {TARGET_RATIO:.0f}×")
    return "yes" if not misses else "**no**: " + ", ".join(misses)


def main():
    p = argparse.ArgumentParser()
    for flag in ["bin", "data", "wh", "at", "facts", "work", "command"]:
        p.add_argument(f"--{flag}", required=True)
    for flag in ["customers", "runs", "overlap-runs", "built-now", "exported-now"]:
        p.add_argument(f"--{flag}", type=int, required=True)
    args = p.parse_args()
    facts, work = pathlib.Path(args.facts), pathlib.Path(args.work)

    singles = suite()
    overlap = overlap_suite()
    log(f"== Tessera: {len(singles)} segments, {args.runs} runs each, one load of the store")
    our_sizes, our_ms, (profiles, suite_load) = tessera_sizes(args, [c for _, c in singles])
    log(f"   loaded {profiles:,} profiles in {suite_load:.2f} s")
    log(f"== Tessera: overlap matrix of {len(overlap)} segments, {args.overlap_runs} runs")
    our_matrix, our_matrix_ms = tessera_overlap(args, overlap)

    log("== compiling the segments to DuckDB SQL (tessera sql --dialect duckdb)")
    single_sql = [compiled(args, c) for _, c in singles]
    overlap_queries = [compiled(args, c) for c in overlap]

    log("== DuckDB: loading the Parquet export into an in-memory database")
    con = duckdb.connect()
    started = time.perf_counter()
    for table in ["profiles", "traits", "trait_items", "identifiers", "events", "places"]:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{args.wh}/{table}.parquet')")
    duck_load = time.perf_counter() - started
    events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    duck_profiles = con.execute("SELECT count(*) FROM profiles").fetchone()[0]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]

    rows, mismatches = [], []
    for (name, _), sql, size, ours in zip(singles, single_sql, our_sizes, our_ms):
        duck, result = duck_time(con, f"SELECT count(*) FROM (\n{sql}\n) AS segment", args.runs)
        count = result[0][0]
        log(f"   {name}: tessera {size} in {ours:.2f} ms, duckdb {count} in {duck:.1f} ms")
        if count != size:
            mismatches.append(f"{name}: Tessera {size:,} members, DuckDB {count:,}")
        rows.append((f"`{name}`", f"{size:,}", ours, duck))

    log(f"== DuckDB: overlap matrix, {args.overlap_runs} runs")
    duck_matrix_ms, result = duck_time(con, overlap_sql(overlap_queries), args.overlap_runs)
    duck_pairs = {(i, j): n for i, j, n in result}
    cells = 0
    for i in range(len(overlap)):
        for j in range(i, len(overlap)):
            cells += 1
            ours, theirs = our_matrix["intersections"][i][j], duck_pairs.get((i, j), 0)
            if ours != theirs:
                what = (f"size of `{overlap[i]}`" if i == j else
                        f"`{overlap[i]}` ∩ `{overlap[j]}`")
                mismatches.append(f"overlap {what}: Tessera {ours:,}, DuckDB {theirs:,}")
    sizes = [our_matrix["intersections"][i][i] for i in range(len(overlap))]
    rows.append((f"overlap matrix, {len(overlap)} segments ({cells:,} counts)",
                 f"{min(sizes):,}–{max(sizes):,} each", our_matrix_ms, duck_matrix_ms))

    # The Markdown report.
    out = []
    out.append(f"Command: `{args.command}` (as of {args.at}; {args.runs} runs per segment, "
               f"{args.overlap_runs} for the overlap matrix).")
    out.append("")
    out.append(f"Data: {args.customers:,} customers → {profiles:,} profiles, {events:,} behavioural "
               f"events (track/page) loaded. DuckDB {duckdb.__version__}, {threads} threads, "
               f"tables loaded from the Parquet export into memory in {duck_load:.1f} s; "
               "Tessera evaluates each segment on one thread, and the overlap matrix (its 50 "
               "segments side by side, then the intersections) on both cores.")
    out.append("")
    out.append("| segment | members | Tessera median ms | DuckDB median ms | DuckDB / Tessera "
               "| target met (≤ 50 ms and ≥ 10×) |")
    out.append("|---|---:|---:|---:|---:|---|")
    for name, members, ours, duck in rows:
        out.append(f"| {name} | {members} | {fmt_ms(ours)} | {fmt_ms(duck)} | "
                   f"{duck / ours:,.1f}× | {target(ours, duck)} |")
    if args.customers != 1_000_000:
        out.append("")
        out.append(f"(The targets are stated for 1,000,000 customers; at {args.customers:,} the "
                   "last column only applies the same test.)")
    out.append("")

    # Import, export, start-up, memory.
    build = read_facts(work / "suite_import.txt")
    if args.built_now and build:
        seconds = sum(float(build[k]) for k in ["customers_s", "pos_s", "events_s"])
        messages = int(build["messages"])
        out.append(f"- import (`tessera import`, 4 files, batches of 20,000): {messages:,} messages "
                   f"in {seconds:.1f} s = **{messages / seconds:,.0f} messages/s**, "
                   f"{events / seconds:,.0f} behavioural events/s ({events:,} events); "
                   f"customers.csv {float(build['customers_s']):.1f} s, "
                   f"pos_transactions.csv {float(build['pos_s']):.1f} s, web + email JSONL "
                   f"{float(build['events_s']):.1f} s (max RSS {int(build['events_rss_kib']) / 1024:,.0f} MiB); "
                   f"`tessera gen` {float(build['gen_s']):.1f} s.")
    elif build:
        out.append(f"- import: store reused, not measured in this run (an earlier run of "
                   f"bench/suite.sh measured {build.get('messages', '?')} messages in "
                   f"{sum(float(build[k]) for k in ['customers_s', 'pos_s', 'events_s']):.1f} s on "
                   f"{build.get('date', '?')}); delete {work} to measure it again.")
    else:
        out.append(f"- import: store reused (built by bench/demo_segments.sh or an earlier run), "
                   f"not measured in this run; delete {work} to measure it.")
    export = read_facts(work / "suite_export.txt")
    if args.exported_now:
        out.append(f"- export to Parquet (`tessera export warehouse --format parquet`): "
                   f"{float(export['export_s']):.1f} s.")
    elif export:
        out.append(f"- export to Parquet: reused (measured {float(export['export_s']):.1f} s on "
                   f"{export.get('date', '?')}); delete {work}/wh to measure it again.")
    else:
        out.append(f"- export to Parquet: reused (made by bench/geo_sequence.sh), not measured in "
                   f"this run; delete {work}/wh to measure it.")

    wall, rss_kib = (float(x) for x in (facts / "startup").read_text().split())
    startup_profiles, startup_load = load_seconds((facts / "startup.err").read_text())
    rss = rss_kib * 1024
    out.append(f"- start-up, store → ready (`Snapshot::load` of {startup_profiles:,} profiles, as "
               f"`segment size` reports it): **{startup_load:.2f} s**; the whole command "
               f"`segment size --where 'age > 0'` (open, load, 1 evaluation, exit) {wall:.2f} s. "
               f"The suite's own load took {suite_load:.2f} s.")
    out.append(f"- resident memory after the load: max RSS {rss / 2**20:,.0f} MiB for that command = "
               f"**{rss / events:,.1f} bytes per event** ({events:,} events), "
               f"**{rss / startup_profiles:,.0f} bytes per profile** ({startup_profiles:,} profiles) "
               "— the whole process's peak RSS divided by each count, not a split between them.")
    resident = re.search(r"resident (\d+) MiB", (facts / "startup.err").read_text())
    if resident:
        held = int(resident.group(1)) * 2**20
        out.append(f"- held after the load (the process's resident set once `Snapshot::load` "
                   f"returns, as `segment size` reports it): {held / 2**20:,.0f} MiB = "
                   f"**{held / events:,.1f} bytes per event**, {held / startup_profiles:,.0f} "
                   "bytes per profile (the process itself included; the load's transient "
                   "buffers and SQLite's page cache, which the event scan filled, freed).")
    baseline = float((facts / "baseline").read_text().split()[1]) * 1024
    db = pathlib.Path(args.data, "tessera.db").stat().st_size
    if db > SQLITE_CACHE:
        net = rss - baseline - SQLITE_CACHE
        out.append(f"  That peak includes the process before loading ({baseline / 2**20:,.0f} MiB: "
                   "`segment check` on the same store) and SQLite's page cache of the store "
                   f"connection ({SQLITE_CACHE // 2**20} MiB, full during the load's scan of the "
                   f"{db / 2**30:,.1f} GiB tessera.db); without them: {net / 2**20:,.0f} MiB, "
                   f"{net / events:,.1f} bytes per event, {net / startup_profiles:,.0f} bytes per "
                   "profile (still including the load's transient buffers at their peak).")
    out.append("")
    out.append("The suite (`bench/suite.py`):")
    out.append("")
    for name, condition in singles:
        out.append(f"- `{name}`: `{condition}`")
    out.append(f"- overlap matrix: {len(overlap)} segments, 10 in each of: " + "; ".join(
        f"{family} ({description})" for family, description, _ in OVERLAP_FAMILIES) + ".")

    if duck_profiles != profiles:
        mismatches.append(f"profiles: Tessera loaded {profiles:,}, the export has {duck_profiles:,}")
    if mismatches:
        out.append("")
        out.append(f"**{len(mismatches)} MISMATCHES** between Tessera and DuckDB:")
        out.extend(f"- {m}" for m in mismatches[:40])
        if len(mismatches) > 40:
            out.append(f"- … and {len(mismatches) - 40} more")
    else:
        out.append("")
        out.append(f"Every member count matches DuckDB ({len(singles)} segments and the "
                   f"{cells:,} counts of the overlap matrix).")
    print("\n".join(out))
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
