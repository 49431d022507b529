"""Loads the warehouse CSV files written by tessera-sql's CsvWriter into a real DuckDB or
PostgreSQL and runs queries against them, for the differential tests.

Usage: run_sql.py JOB.json, where the job is
  {"engine": "duckdb" | "postgres", "dsn": "...", "dir": "<files dir>", "format": "csv" | "parquet",
   "create": ["CREATE TABLE ...", ...], "tables": ["profiles", ...], "queries": ["SELECT ...", ...]}
Prints a JSON list with, per query, {"ids": [profile_id, ...]} or {"error": "message"}.
"""

import json
import os
import sys
import uuid


def run_duckdb(job):
    import duckdb

    con = duckdb.connect()
    for statement in job["create"]:
        con.execute(statement)
    for table in job["tables"]:
        path = os.path.join(job["dir"], table + "." + job["format"])
        if job["format"] == "parquet":
            con.execute(f"COPY {table} FROM '{path}' (FORMAT parquet)")
        else:
            # An empty unquoted field is NULL and a quoted "" is an empty string, as the
            # writer intends; DuckDB reads both as NULL unless told otherwise.
            con.execute(
                f"COPY {table} FROM '{path}' (FORMAT csv, HEADER true, ALLOW_QUOTED_NULLS false)"
            )
    results = []
    for query in job["queries"]:
        try:
            results.append({"ids": [row[0] for row in con.execute(query).fetchall()]})
        except Exception as e:  # reported per query, so that one failure shows them all
            results.append({"error": f"{type(e).__name__}: {e}"})
    return results


def run_postgres(job):
    import psycopg

    if job["format"] != "csv":
        raise SystemExit("PostgreSQL loads the CSV export only")
    schema = "t_" + uuid.uuid4().hex
    with psycopg.connect(job["dsn"], autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
        try:
            con.execute(f"SET search_path TO {schema}")
            for statement in job["create"]:
                con.execute(statement)
            for table in job["tables"]:
                path = os.path.join(job["dir"], table + ".csv")
                with con.cursor().copy(
                    f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy, open(path, "rb") as data:
                    while chunk := data.read(1 << 16):
                        copy.write(chunk)
            results = []
            for query in job["queries"]:
                try:
                    rows = con.execute(query).fetchall()
                    results.append({"ids": [row[0] for row in rows]})
                except Exception as e:
                    results.append({"error": f"{type(e).__name__}: {e}"})
            return results
        finally:
            con.execute(f"DROP SCHEMA {schema} CASCADE")


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    run = {"duckdb": run_duckdb, "postgres": run_postgres}[job["engine"]]
    json.dump(run(job), sys.stdout)


if __name__ == "__main__":
    main()
