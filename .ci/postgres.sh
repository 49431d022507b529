#!/usr/bin/env bash
# Starts a private PostgreSQL server for the SQL differential tests (crates/tessera-sql) and
# prints its connection string. Idempotent and safe to call from several processes at once:
# the first caller installs PostgreSQL from Debian's packages if it is missing, creates the
# cluster and starts it; later callers find it running and only print the connection string.
#
# The cluster is private (its own directory, port and socket), so it never touches a system
# cluster. Root (as in CI) runs the server as the `postgres` user, as PostgreSQL requires.
#
#   TESSERA_PG_PORT  TCP port on 127.0.0.1 (default 55432)
#   TESSERA_PG_DIR   cluster directory (default /tmp/tessera-postgres-$PORT)
set -euo pipefail

port="${TESSERA_PG_PORT:-55432}"
dir="${TESSERA_PG_DIR:-/tmp/tessera-postgres-$port}"

exec 9>"/tmp/tessera-postgres-$port.lock"
flock 9

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "PostgreSQL is not installed and installing it needs root: apt-get install -y postgresql" >&2
        exit 1
    fi
    echo "installing PostgreSQL from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bin="$(find_bin)"
fi

# As root, run PostgreSQL's programs as the `postgres` user (it refuses to run as root).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

mkdir -p "$dir"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
fi

# The default collation is a language's (ICU en-US), as in most production databases, where
# 'B' < 'a': the tests then show that the compiled SQL orders strings by bytes regardless.
if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" --auth=trust --username=postgres \
        --encoding=UTF8 --locale=C.UTF-8 --locale-provider=icu --icu-locale=en-US \
        >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
fi

if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    # The server must not inherit the lock (fd 9) or the caller's output, or callers wait on it.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start \
        9>&- </dev/null >/dev/null 2>&1 ||
        { cat "$dir/server.log" >&2; exit 1; }
fi

echo "postgresql://postgres@127.0.0.1:$port/postgres"
