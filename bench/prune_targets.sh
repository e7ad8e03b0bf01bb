#!/usr/bin/env bash
# Measured targets of the prune stage (docs/pruning.md), without fine-tuning. Prints one
# Markdown table, a row per (model, pipeline):
#   the model's weight sparsity as the report measures it, the file size as written (sparse
#   initializers where they pay) and as `.onnx.zst`, both also as a share of the input
#   file's size (targets: mlp-300-100 at 90 % <= 0.33x and <= 0.15x as .zst; mnist-8 at
#   90 % <= 0.40x), top-1 on the MNIST eval split in
#   edge-run and ONNX Runtime, the drop from the dense model, and the share of samples where
#   edge-run and ONNX Runtime give the same top-1.
# Rows: mlp-300-100 at 90 % (scope=global, layer, sensitivity: the sensitivity analysis on
# the calibration split, KL from the dense outputs, so no eval labels steer it; 256 samples,
# the default, and all 1000), 2:4 N:M,
# and mnist-8 (fold-constants first: its MatMul weight is a Reshape of a constant) at 90 %.
#
# Usage: bench/prune_targets.sh        Environment: COMPRESSOR, NODE (default node),
#   EDGE_SHARED_DIR (default ../shared beside the repository), EVAL_BATCH (default 50).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COMPRESSOR=${COMPRESSOR:-$ROOT/build/apps/compressor}
NODE=${NODE:-node}
SHARED=${EDGE_SHARED_DIR:-$ROOT/../shared}
EVAL_BATCH=${EVAL_BATCH:-50}
ORT_RUN=$ROOT/scripts/ort/ort_run.js
D=$ROOT/fixtures/data
[ -x "$COMPRESSOR" ] || { echo "prune_targets: $COMPRESSOR not found (build first)" >&2; exit 2; }
have_ort=0
[ -f "$ROOT/scripts/ort/node_modules/onnxruntime-node/package.json" ] && command -v "$NODE" >/dev/null && have_ort=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

json() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
edge_top1() { "$COMPRESSOR" eval "$1" --data "$D/mnist_eval_x.npy" --labels "$2" --scale "$3" --batch "$EVAL_BATCH" --format json 2>/dev/null | json '["top1"]'; }
ort_top1() {
  [ $have_ort = 1 ] || { echo n/a; return; }
  "$NODE" "$ORT_RUN" "$1" --eval-x "$D/mnist_eval_x.npy" --eval-y "$D/mnist_eval_y.npy" --scale "$2" \
    --batch "$EVAL_BATCH" --predictions "$3" | json '["top1"]'
}

echo "| model | pipeline | weight sparsity | size (x input) | .onnx.zst (x input) | top-1 edge-run | top-1 ORT | drop | edge-run = ORT |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
row() {  # name model scale pipeline
  local name=$1 model=$2 scale=$3 pipeline=$4 out="$WORK/out.onnx"
  if ! "$COMPRESSOR" compress "$model" -o "$out" --passes "$pipeline" --calib-data "$D/mnist_calib_x.npy" \
      --scale "$scale" --report "$WORK/r.json" -q 2>"$WORK/err"; then
    echo "| $name | \`$pipeline\` | failed: $(tail -1 "$WORK/err") | | | | | | |"
    return
  fi
  local sp size zsize input dense e o agree="n/a"
  sp=$(json '["result"]["sparsity"]' < "$WORK/r.json")
  size=$(stat -c %s "$out")
  input=$(stat -c %s "$model")
  "$COMPRESSOR" compress "$out" -o "$WORK/out.onnx.zst" --passes eliminate-dead -q 2>/dev/null
  zsize=$(stat -c %s "$WORK/out.onnx.zst")
  dense=$(edge_top1 "$model" "$D/mnist_eval_y.npy" "$scale")
  e=$(edge_top1 "$out" "$D/mnist_eval_y.npy" "$scale")
  o=$(ort_top1 "$out" "$scale" "$WORK/ort.npy")
  [ $have_ort = 1 ] && agree=$(edge_top1 "$out" "$WORK/ort.npy" "$scale")
  python3 -c "print(f'| $name | \`$pipeline\` | {$sp:.4f} | $size ({$size / $input:.3f}) | $zsize ({$zsize / $input:.3f}) | {$e:.4f} | $o | {$dense - $e:+.4f} | $agree |')"
}
MLP=$ROOT/fixtures/models/mlp-300-100.onnx
row mlp-300-100 "$MLP" 1/255 "fold-constants"
for scope in global layer sensitivity; do row mlp-300-100 "$MLP" 1/255 "prune-magnitude<sparsity=0.9,scope=$scope>"; done
row mlp-300-100 "$MLP" 1/255 "prune-magnitude<sparsity=0.9,scope=sensitivity,samples=1000>"
row mlp-300-100 "$MLP" 1/255 "prune-nm"
M8=$SHARED/models/mnist-8/model.onnx
if [ -f "$M8" ]; then
  row mnist-8 "$M8" 1 "fold-constants"
  row mnist-8 "$M8" 1 "fold-constants,prune-magnitude<sparsity=0.7>"
  row mnist-8 "$M8" 1 "fold-constants,prune-magnitude<sparsity=0.9>"
  row mnist-8 "$M8" 1 "fold-constants,prune-magnitude<sparsity=0.9,scope=sensitivity>"
else
  echo "| mnist-8 | | $M8 not found | | | | | | |"
fi
