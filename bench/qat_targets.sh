#!/usr/bin/env bash
# Measured target of qat (docs/qat.md): "QAT recovers at least half of the post-training-
# quantization drop on the fixture with the largest drop".
#  1. The PTQ drop of every fixture and mnist-8, measured by bench/quantize_targets.sh (QDQ
#     form; fold-constants,fuse-bn then quantize-static with QUANT_OPTIONS; MANIFEST calib/eval
#     data at scale 1/255, mnist-8 at scale 1; edge-run top-1 on the eval split).
#  2. For the model(s) with the largest drop (all of them when tied): quantize-static then qat
#     (QAT_OPTIONS) on the 1,000 calibration images (no training split: qat says it uses them),
#     printing float / PTQ / QAT top-1 in edge-run (QAT also in ONNX Runtime), the share of the
#     drop recovered, top-1 agreement and logits mean abs error against the float model, the
#     distillation loss on the held-out samples before/after, and the seconds qat took.
#
# Usage: bench/qat_targets.sh [MODEL_NAME ...]   (default: every fixture and mnist-8 in step 1)
#   Environment: COMPRESSOR, NODE, EDGE_SHARED_DIR, EVAL_BATCH (default 50), QUANT_OPTIONS
#   (e.g. "per_channel=0,reduce_range=1" for a harsher setting), QAT_OPTIONS (default
#   "learn_scales=1"), QAT_MODELS (skip step 1 and run qat on these).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COMPRESSOR=${COMPRESSOR:-$ROOT/build/apps/compressor}
NODE=${NODE:-node}
SHARED=${EDGE_SHARED_DIR:-$ROOT/../shared}
EVAL_BATCH=${EVAL_BATCH:-50}
QUANT_OPTIONS=${QUANT_OPTIONS:-}
QAT_OPTIONS=${QAT_OPTIONS-learn_scales=1}
ORT_RUN=$ROOT/scripts/ort/ort_run.js
[ -x "$COMPRESSOR" ] || { echo "qat_targets: $COMPRESSOR not found (build first)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- 1. PTQ drops ------------------------------------------------------------------------------
if [ -z "${QAT_MODELS:-}" ]; then
  echo "PTQ drops (bench/quantize_targets.sh, QDQ${QUANT_OPTIONS:+, $QUANT_OPTIONS}):"
  echo
  FORMATS=qdq RECOVERY=0 QUANT_OPTIONS="$QUANT_OPTIONS" EVAL_BATCH="$EVAL_BATCH" bash "$HERE/quantize_targets.sh" "$@" |
    tee "$WORK/ptq.md"
  # The drop column is the 9th; the largest (ties kept) names the models.
  QAT_MODELS=$(python3 - "$WORK/ptq.md" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    c = [x.strip() for x in line.strip().strip("|").split("|")]
    if len(c) >= 9 and c[1] == "qdq":
        try: rows.append((float(c[8]), c[0]))
        except ValueError: pass
if rows:
    top = max(d for d, _ in rows)
    print(" ".join(n for d, n in rows if d == top))
PY
)
  echo
  echo "largest drop: $QAT_MODELS"
fi
[ -n "$QAT_MODELS" ] || { echo "qat_targets: no PTQ drop measured" >&2; exit 1; }

# model name -> "path calib eval_x eval_y scale" (as bench/quantize_targets.sh)
spec() {
  if [ "$1" = mnist-8 ]; then
    echo "$SHARED/models/mnist-8/model.onnx $ROOT/fixtures/data/mnist_calib_x.npy $ROOT/fixtures/data/mnist_eval_x.npy $ROOT/fixtures/data/mnist_eval_y.npy 1"
    return
  fi
  python3 - "$ROOT/fixtures" "$1" <<'PY'
import json, sys
root, name = sys.argv[1], sys.argv[2]
m = json.load(open(root + "/MANIFEST.json"))["models"][name]
print(root + "/" + m["file"], root + "/" + m["calib_data"], root + "/" + m["eval_data"][0], root + "/" + m["eval_data"][1], "1/255")
PY
}
top1_of() {
  "$COMPRESSOR" eval "$1" --data "$2" --labels "$3" --scale "$4" --batch "$EVAL_BATCH" --format json 2>/dev/null |
    python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])' 2>/dev/null || echo n/a
}
fidelity() {  # top-1 agreement with the float model (percent) and the logits' mean absolute error
  "$COMPRESSOR" eval "$1" --data "$2" --reference "$3" --scale "$4" --batch "$EVAL_BATCH" --format json 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.2f %% | %.4f" % (100 * j["agreement_top1"], j["mean_abs_error"]))' 2>/dev/null || echo "n/a | n/a"
}
ort_top1() {
  [ -f "$ROOT/scripts/ort/node_modules/onnxruntime-node/package.json" ] && command -v "$NODE" >/dev/null || { echo n/a; return; }
  "$NODE" "$ORT_RUN" "$1" --eval-x "$2" --eval-y "$3" --scale "$4" --batch "$EVAL_BATCH" 2>/dev/null |
    python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])' 2>/dev/null || echo n/a
}
pct() { [ "$1" = n/a ] && echo n/a || python3 -c "print('%.2f' % (100 * $1))"; }

# --- 2. QAT on the largest drop(s) ---------------------------------------------------------------
qp="quantize-static${QUANT_OPTIONS:+<$QUANT_OPTIONS>}"
qatp="qat${QAT_OPTIONS:+<$QAT_OPTIONS>}"
echo
echo "| model | pipeline | float top-1 | PTQ top-1 | QAT top-1 (ORT) | drop PTQ -> QAT (points) | recovered | agreement with float PTQ -> QAT | logits MAE PTQ -> QAT | val loss before -> after | qat seconds |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for name in $QAT_MODELS; do
  read -r model calib ex ey scale < <(spec "$name") || { echo "qat_targets: no data for $name" >&2; continue; }
  base=(--calib-data "$calib" --scale "$scale" --batch "$EVAL_BATCH" --no-calib-cache -q)
  "$COMPRESSOR" compress "$model" -o "$WORK/f.onnx" --passes "fold-constants,fuse-bn" -q >/dev/null || continue
  "$COMPRESSOR" compress "$model" -o "$WORK/q.onnx" --passes "fold-constants,fuse-bn,$qp" "${base[@]}" >/dev/null 2>&1 ||
    { echo "| $name | quantize failed |||||||||"; continue; }
  if ! "$COMPRESSOR" compress "$model" -o "$WORK/t.onnx" --passes "fold-constants,fuse-bn,$qp,$qatp" "${base[@]}" \
    --report "$WORK/t.json" >/dev/null 2>"$WORK/err"; then
    echo "| $name | qat failed: $(head -c 160 "$WORK/err") ||||||||||"
    continue
  fi
  f=$(top1_of "$WORK/f.onnx" "$ex" "$ey" "$scale")
  q=$(top1_of "$WORK/q.onnx" "$ex" "$ey" "$scale")
  t=$(top1_of "$WORK/t.onnx" "$ex" "$ey" "$scale")
  o=$(ort_top1 "$WORK/t.onnx" "$ex" "$ey" "$scale")
  read -r dq dt rec < <(python3 -c "
f, q, t = $f, $q, $t
d0, d1 = 100 * (f - q), 100 * (f - t)
print('%.2f %.2f %s' % (d0, d1, ('%.0f%%' % (100 * (d0 - d1) / d0)) if d0 > 0 else 'n/a'))")
  IFS='|' read -r fa_q fm_q < <(fidelity "$WORK/q.onnx" "$ex" "$WORK/f.onnx" "$scale")
  IFS='|' read -r fa_t fm_t < <(fidelity "$WORK/t.onnx" "$ex" "$WORK/f.onnx" "$scale")
  stage=$(python3 -c "
import json; s = [x for x in json.load(open('$WORK/t.json'))['stages'] if x['name'] == 'qat'][0]
m = s['metrics']; print('%.5g -> %.5g | %.1f' % (m['val_loss_before'], m['val_loss_best'], s['seconds']))")
  fa_q=${fa_q% } fm_q=${fm_q# } fa_t=${fa_t% } fm_t=${fm_t# }
  echo "| $name | \`$qp,$qatp\` | $(pct "$f") | $(pct "$q") | $(pct "$t") ($(pct "$o")) | $dq -> $dt | $rec | $fa_q -> $fa_t | $fm_q -> $fm_t | $stage |"
done
