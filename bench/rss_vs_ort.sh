#!/usr/bin/env bash
# Peak memory of edge-run against ONNX Runtime (onnxruntime-node, bench/ort_bench.js) on the
# same models, inputs, runs and thread count, one process per runtime and model. Prints per
# model a Markdown row: each runtime's peak resident set (whole process), its resident set just
# before the model is loaded (runtime library in, no model), the growth between the two (what
# the model costs: weights, plans, arenas, caches) and the ratio edge-run/ORT of the growths.
# The whole-process peaks compare an 8 MB C++ binary with node.js (about 50 MB before any
# model), so the growth is the fair column.
#
#   bench/rss_vs_ort.sh [model.onnx[:NAME:DIMS] ...]   (default: every fixture and mnist-8)
#   env: RUNS=50 THREADS=1 EDGE_RUN=build/apps/edge-run
# A model may carry one --shape for a dynamic input: model.onnx:input:1x3x224x224.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-50}
THREADS=${THREADS:-1}
EDGE_RUN=${EDGE_RUN:-build/apps/edge-run}
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(fixtures/models/*.onnx)
  [ -f ../shared/models/mnist-8/model.onnx ] && models+=(../shared/models/mnist-8/model.onnx)
fi
if ! node -e "require('./scripts/ort/node_modules/onnxruntime-node')" >/dev/null 2>&1; then
  echo "rss_vs_ort: onnxruntime-node missing (cd scripts/ort && npm ci --ignore-scripts)" >&2
  exit 77
fi
echo "| model | threads | edge-run peak MB | edge-run before load MB | edge-run growth MB | ORT peak MB | ORT before load MB | ORT growth MB | growth ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for spec in "${models[@]}"; do
  m=${spec%%:*}
  shape=()
  [ "$spec" != "$m" ] && shape=(--shape "${spec#*:}")
  edge=$("$EDGE_RUN" bench "$m" --runs "$RUNS" --warmup 5 --threads "$THREADS" --format json "${shape[@]}")
  ort=$(node bench/ort_bench.js "$m" --runs "$RUNS" --warmup 5 --threads "$THREADS" "${shape[@]}")
  python3 - "$(basename "$m")" "$THREADS" "$edge" "$ort" <<'PY'
import json, sys
name, threads, e, o = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
eg = e["peak_rss_mb"] - e["rss_before_load_mb"]
og = o["peak_rss_mb"] - o["rss_before_load_mb"]
print(f"| {name} | {threads} | {e['peak_rss_mb']:.1f} | {e['rss_before_load_mb']:.1f} | {eg:.1f} | "
      f"{o['peak_rss_mb']:.1f} | {o['rss_before_load_mb']:.1f} | {og:.1f} | {eg / og:.2f} |")
PY
done
