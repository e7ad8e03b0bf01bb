#!/usr/bin/env bash
# Latency of edge-run against ONNX Runtime (onnxruntime-node, scripts/ort) on the same
# machine, measured in the same run: for each model, ROUNDS rounds of (ORT, edge-run) back to
# back, each RUNS timed inferences after a warm-up, on random inputs, 1 thread by default.
# Prints per round the two medians and their ratio, then the median ratio per model; with
# MAX_RATIO set, exits 1 when a model's median ratio is above it.
#
#   bench/compare_ort.sh [model.onnx ...]      (default: fixtures/models/resnet8.onnx)
#   env: RUNS=500 ROUNDS=3 THREADS=1 EDGE_RUN=build/apps/edge-run MAX_RATIO= EXTRA_EDGE_ARGS=
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-500}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1}
EDGE_RUN=${EDGE_RUN:-build/apps/edge-run}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(fixtures/models/resnet8.onnx)
# The JSON is captured first and parsed after the run: a parser started in the same pipeline
# starts up (tens of ms of CPU) while the timed runs go, and takes a core from a 2-thread run.
median() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["latency_ms"]["median"])' "$1"; }
status=0
printf '%-40s %5s %12s %12s %8s\n' model round ort_ms edge_ms ratio
for m in "${models[@]}"; do
  ratios=()
  for r in $(seq 1 "$ROUNDS"); do
    ort=$(median "$(node bench/ort_bench.js "$m" --runs "$RUNS" --warmup 50 --threads "$THREADS")")
    # shellcheck disable=SC2086
    edge=$(median "$("$EDGE_RUN" bench "$m" --runs "$RUNS" --warmup 50 --threads "$THREADS" --format json ${EXTRA_EDGE_ARGS:-})")
    ratio=$(python3 -c "print(f'{$edge / $ort:.3f}')")
    ratios+=("$ratio")
    printf '%-40s %5s %12.4f %12.4f %8s\n' "$(basename "$m")" "$r" "$ort" "$edge" "$ratio"
  done
  med=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$(basename "$m"): median edge-run/ORT latency ratio $med over $ROUNDS rounds"
  if [ -n "${MAX_RATIO:-}" ] && python3 -c "import sys; sys.exit(0 if $med > ${MAX_RATIO} else 1)"; then
    echo "$(basename "$m"): ratio $med is above the limit ${MAX_RATIO}" >&2
    status=1
  fi
done
exit $status
