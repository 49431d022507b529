#!/usr/bin/env bash
# tessera-cluster against scikit-learn on the same data (see bench/cluster_results.md):
# k-means on 1,000,000 × 8 blobs (k = 8; separated and overlapping), mini-batch k-means on
# 10,000,000 × 8, and sampled vs exact silhouette on 20,000 rows.
#
#   bench/cluster.sh [RUNS]    (default 5: runs from the same initial centroids; each side's
#                               own k-means++ is run with 4 × RUNS seeds; mini-batch with
#                               early stopping min(RUNS, 3) times, then once for one epoch)
#
# Needs python3 with venv and access to PyPI: scikit-learn and numpy are installed into a venv
# kept in ${TESSERA_BENCH_VENV:-~/.cache/tessera-bench-venv}. Data (about 750 MB) goes to a
# temporary directory removed on exit. Takes about 15 minutes on 2 cores, most of it
# scikit-learn's MiniBatchKMeans. Writes bench/cluster_results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
seeds=$(( 4 * runs ))
mb_runs=$(( runs < 3 ? runs : 3 ))
venv=${TESSERA_BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera-bench-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sklearn' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet scikit-learn numpy
fi
py() { "$venv/bin/python" bench/cluster_sklearn.py "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -p tessera-cluster --example cluster_bench
ours() { cargo run --quiet --release -p tessera-cluster --example cluster_bench -- "$@"; }

echo "== generating data in $work"
py generate "$work"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# The two sides alternate, one seed (and one same-init fit while i < RUNS) at a time, so that
# load from other processes on the machine falls on both alike.
for name in blobs_1m overlap_1m; do
  echo "== k-means $name"
  for i in $(seq 0 $((seeds - 1))); do
    same=$(( i < runs ? 1 : 0 ))
    ours kmeans data="$work/$name.f64" init="$work/${name}_init.f64" cols=8 k=8 \
      seeds=1 first_seed="$i" runs="$same" | tee -a "$work/ours_kmeans_$name.jsonl"
    py kmeans "$work/$name.f64" "$work/${name}_init.f64" "$same" 1 "$i" | tee -a "$work/sklearn_kmeans_$name.jsonl"
  done
done
echo "== mini-batch k-means 10M × 8"
ours minibatch data="$work/blobs_10m.f64" cols=8 k=8 batch=4096 runs="$mb_runs" | tee "$work/ours_minibatch.jsonl"
py minibatch "$work/blobs_10m.f64" "$mb_runs" | tee "$work/sklearn_minibatch.jsonl"
echo "== silhouette"
ours silhouette data="$work/blobs_1m.f64" labels="$work/blobs_1m_labels.i32" cols=8 subset=20000 | tee "$work/ours_silhouette.jsonl"
py silhouette "$work/blobs_1m.f64" "$work/blobs_1m_labels.i32" 20000 | tee "$work/sklearn_silhouette.jsonl"

py report "$work" "bench/cluster.sh $runs" "$load_before at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end" \
  > bench/cluster_results.md
cat bench/cluster_results.md
