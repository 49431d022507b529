#!/usr/bin/env bash
# Throughput and acknowledgement latency of the collection API (`tessera serve`), measured with
# `tessera loadgen` over loopback on the same machine.
#
#   bench/collect.sh [SECONDS]      (default 10)
#
# Runs twice against a fresh data directory each time: as fast as the server acknowledges,
# and at a fixed 10,000 events/s. Latency is from sending a POST to receiving its 200, which
# Tessera sends only after the messages are committed (fsync).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
cargo build --release -p tessera-cli
bin=target/release/tessera
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

run() {
  local name=$1; shift
  rm -rf "$work/data"
  "$bin" --data "$work/data" init >/dev/null
  local key
  key=$("$bin" --data "$work/data" key create --name bench 2>/dev/null)
  "$bin" --data "$work/data" serve --listen 127.0.0.1:18188 2>"$work/serve.log" &
  local pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/18188) 2>/dev/null && break; sleep 0.1; done
  echo "== $name"
  "$bin" loadgen --target 127.0.0.1:18188 --key "$key" --seconds "$seconds" "$@"
  kill -TERM "$pid"; wait "$pid" || true
}

echo "== machine: $(nproc) cores; loadgen and server share them"
run "maximum throughput (8 connections, batches of 100, 100k users)" --connections 8 --batch 100
run "10,000 events/s (8 connections, batches of 20)" --connections 8 --batch 20 --rate 10000
