#!/usr/bin/env bash
# Pruned (sparse) against dense, in edge-run and in ONNX Runtime (onnxruntime-node,
# bench/ort_bench.js), measured in the same run on the same machine. For each model: the dense
# model after `fold-constants,fuse-bn` and the same with `prune-magnitude<sparsity=S,scope=layer>`
# (every prunable layer at S; 0.9 by default), ROUNDS rounds of RUNS timed inferences each
# (1 thread by default), the median of the round medians. Prints edge-run dense and pruned, ORT
# dense and pruned (ms), pruned/dense in edge-run, pruned: edge-run/ORT, and how many nodes
# edge-run ran on a sparse kernel (its profile's kernel names).
#
#   bench/sparse_vs_dense.sh [model ...]   (default: every fixture and mnist-8)
#   env: SPARSITY=0.9 RUNS=1000 ROUNDS=3 THREADS=1 WORK=build/bench-sparse COMPRESSOR EDGE_RUN SHARED
set -euo pipefail
cd "$(dirname "$0")/.."
SPARSITY=${SPARSITY:-0.9}
WORK_NAME=bench-sparse
. bench/lib_pairs.sh
models=("$@")
[ ${#models[@]} -gt 0 ] || models=("${DEFAULT_MODELS[@]}")

path_of() {
  if [ "$1" = mnist-8 ]; then echo "$SHARED/models/mnist-8/model.onnx"; else echo "$ROOT/fixtures/models/$1.onnx"; fi
}
sparse_nodes() {
  "$EDGE_RUN" bench "$1" --runs 3 --warmup 1 --profile --format json | /usr/bin/python3 -c '
import json, sys
nodes = json.load(sys.stdin)["profile"]["by_node"]
print(sum("sparse" in n["kernel"] for n in nodes), "of", len(nodes))'
}

printf '%-18s %9s %9s %9s %9s %13s %14s  %s\n' model edge_dense edge_pruned ort_dense ort_pruned pruned/dense pruned/ORT \
  "sparse kernels"
for name in "${models[@]}"; do
  model=$(path_of "$name")
  d="$WORK/$name.dense.onnx" p="$WORK/$name.pruned.onnx"
  "$COMPRESSOR" compress "$model" -o "$d" --passes "fold-constants,fuse-bn" -q
  "$COMPRESSOR" compress "$model" -o "$p" --passes "fold-constants,fuse-bn,prune-magnitude<sparsity=$SPARSITY,scope=layer>" -q
  ed=() ep=() od=() op=()
  for _ in $(seq 1 "$ROUNDS"); do
    od+=("$(ort_ms "$d")") ed+=("$(edge_ms "$d")") op+=("$(ort_ms "$p")") ep+=("$(edge_ms "$p")")
  done
  ED=$(printf '%s\n' "${ed[@]}" | median_of) EP=$(printf '%s\n' "${ep[@]}" | median_of)
  OD=$(printf '%s\n' "${od[@]}" | median_of) OP=$(printf '%s\n' "${op[@]}" | median_of)
  /usr/bin/python3 -c "print('%-18s %9.4f %11.4f %9.4f %10.4f %13.2f %14.2f  %s' % ('$name', $ED, $EP, $OD, $OP, $EP / $ED, $EP / $OP, '$(sparse_nodes "$p")'))"
done
