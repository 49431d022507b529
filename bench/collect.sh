#!/usr/bin/env bash
# Throughput and acknowledgement latency of the collection API (`tessera serve`), measured with
# `tessera loadgen` over loopback on the same machine.
#
#   bench/collect.sh [SECONDS]      (default 10)
#
# Message ids are random UUIDs, as the SDKs send them. Runs four times against a fresh data
# directory each time: as fast as the server acknowledges, with 8 and with 64 connections; at
# a fixed 10,000 events/s; and at 10,000 events/s where every message makes a new person
# enter a segment with a webhook, measuring event -> webhook latency. Latency is from sending
# a POST to receiving its 200, which Tessera sends only after the messages are committed
# (fsync).
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
  if [ "${WITH_WEBHOOK:-}" = 1 ]; then
    # A segment every new buyer enters, with a webhook to loadgen's receiver.
    mkdir -p "$work/segments"
    printf 'name = "buyers"\ndescription = "bought in the last hour"\ncondition = %s\nmin_size = 1\n' \
      "'did(Order Completed in last 1h)'" > "$work/segments/buyers.toml"
    "$bin" --data "$work/data" segment apply "$work/segments" >/dev/null 2>&1
    "$bin" --data "$work/data" webhook add --segment buyers --url http://127.0.0.1:18189/hook --on enter >/dev/null 2>&1
  fi
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
# Each connection waits for its acknowledgement before sending again, so 8 connections cap
# what is in flight; a collector behind many SDK clients sees more at once.
run "maximum throughput (64 connections, batches of 100, 100k users)" --connections 64 --batch 100
run "10,000 events/s (8 connections, batches of 20)" --connections 8 --batch 20 --rate 10000
WITH_WEBHOOK=1 run "10,000 events/s, every message a new buyer entering a segment with a webhook" \
  --connections 8 --batch 20 --rate 10000 --webhook-receiver 127.0.0.1:18189
