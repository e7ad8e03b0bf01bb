#!/usr/bin/env bash
# Measured targets of quantize-static (docs/quantization.md): for every fixture in
# fixtures/models and for ../shared/models/mnist-8, both formats, prints a Markdown table:
#   float size (after fold-constants,fuse-bn), int8 size, ratio, float top-1, int8 top-1 in
#   edge-run and in ONNX Runtime, drop (edge-run, else ONNX Runtime), the share of samples
#   where edge-run and ONNX Runtime give the same top-1, int8 / float layer counts.
#
# Usage: bench/quantize_targets.sh [MODEL_NAME ...]      (default: every fixture and mnist-8)
#   Environment: COMPRESSOR, NODE (default node), EDGE_SHARED_DIR (default ../shared beside
#   the repository), FORMATS (default "qdq qoperator"), QUANT_OPTIONS (extra quantize-static
#   options, e.g. "calibration=entropy"), EVAL_BATCH (default 50).
# Data per model comes from fixtures/MANIFEST.json (calib_data, eval_data, scale 1/255);
# mnist-8 takes fixtures/data/mnist_* at scale 1 (raw 0..255 pixels, as the model expects).
# A cell reads "n/a" where a runtime cannot run a model (e.g. edge-run without the
# QOperator kernels, ORT absent).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COMPRESSOR=${COMPRESSOR:-$ROOT/build/apps/compressor}
NODE=${NODE:-node}
SHARED=${EDGE_SHARED_DIR:-$ROOT/../shared}
FORMATS=${FORMATS:-qdq qoperator}
QUANT_OPTIONS=${QUANT_OPTIONS:-}
EVAL_BATCH=${EVAL_BATCH:-50}
ORT_RUN=$ROOT/scripts/ort/ort_run.js
[ -x "$COMPRESSOR" ] || { echo "quantize_targets: $COMPRESSOR not found (build first)" >&2; exit 2; }
have_ort=0
[ -f "$ROOT/scripts/ort/node_modules/onnxruntime-node/package.json" ] && command -v "$NODE" >/dev/null && have_ort=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# model name -> "path calib eval_x eval_y scale"
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

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$ROOT"/fixtures/models/*.onnx; do names+=("$(basename "$f" .onnx)"); done
  [ -f "$SHARED/models/mnist-8/model.onnx" ] && names+=(mnist-8)
fi

json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
ort_top1() {  # also writes ONNX Runtime's predictions to $5
  [ $have_ort = 1 ] || { echo n/a; return; }
  "$NODE" "$ORT_RUN" "$1" --eval-x "$2" --eval-y "$3" --scale "$4" --batch "$EVAL_BATCH" --predictions "$5" 2>/dev/null |
    python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])' 2>/dev/null || echo n/a
}
pct() { [ "$1" = n/a ] && echo n/a || python3 -c "print('%.2f' % (100 * $1))"; }

echo "| model | format | float size | int8 size | ratio | float top-1 | int8 top-1 edge-run | int8 top-1 ORT | drop (points) | edge-run = ORT | int8 layers | float layers |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for name in "${names[@]}"; do
  read -r model calib ex ey scale < <(spec "$name") || { echo "quantize_targets: no data for $name" >&2; continue; }
  [ -f "$model" ] || { echo "quantize_targets: $model not found" >&2; continue; }
  base=(--calib-data "$calib" --scale "$scale" --batch "$EVAL_BATCH" --no-calib-cache -q)
  "$COMPRESSOR" compress "$model" -o "$WORK/$name.float.onnx" --passes "fold-constants,fuse-bn" -q >/dev/null ||
    { echo "quantize_targets: $name: float baseline failed" >&2; continue; }
  float_bytes=$(stat -c %s "$WORK/$name.float.onnx")
  float_top1=$("$COMPRESSOR" eval "$WORK/$name.float.onnx" --data "$ex" --labels "$ey" --scale "$scale" \
    --batch "$EVAL_BATCH" --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["top1"])')
  for fmt in $FORMATS; do
    opts="format=$fmt${QUANT_OPTIONS:+,$QUANT_OPTIONS}"
    out="$WORK/$name.$fmt.onnx"
    if ! "$COMPRESSOR" compress "$model" -o "$out" --passes "fold-constants,fuse-bn,quantize-static<$opts>" \
      "${base[@]}" --report "$WORK/$name.$fmt.json" >/dev/null 2>"$WORK/err"; then
      echo "| $name | $fmt | quantize failed: $(head -c 160 "$WORK/err") ||||||||||"
      continue
    fi
    bytes=$(stat -c %s "$out")
    edge=$("$COMPRESSOR" eval "$out" --data "$ex" --labels "$ey" --scale "$scale" --batch "$EVAL_BATCH" --format json \
      2>/dev/null | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])' 2>/dev/null || echo n/a)
    rm -f "$WORK/pred.npy"
    ort=$(ort_top1 "$out" "$ex" "$ey" "$scale" "$WORK/pred.npy")
    agree=n/a
    if [ "$edge" != n/a ] && [ -f "$WORK/pred.npy" ]; then
      agree=$("$COMPRESSOR" eval "$out" --data "$ex" --labels "$WORK/pred.npy" --scale "$scale" --batch "$EVAL_BATCH" \
        --format json 2>/dev/null | python3 -c 'import json,sys; print("%.2f %%" % (100 * json.load(sys.stdin)["top1"]))')
    fi
    q=$([ "$edge" != n/a ] && echo "$edge" || echo "$ort")
    drop=$([ "$q" = n/a ] && echo n/a || python3 -c "print('%.2f' % (100 * ($float_top1 - $q)))")
    stage='[s for s in j["stages"] if s["name"] == "quantize-static"][0]["metrics"]'
    int8_layers=$(json_get "$WORK/$name.$fmt.json" "int(${stage}['quantized_layers'])")
    float_layers=$(json_get "$WORK/$name.$fmt.json" "int(${stage}['float_layers'])")
    ratio=$(python3 -c "print('%.3f' % ($bytes / $float_bytes))")
    echo "| $name | $fmt | $float_bytes | $bytes | $ratio | $(pct "$float_top1") | $(pct "$edge") | $(pct "$ort") | $drop | $agree | $int8_layers | $float_layers |"
  done
done

# --- Accuracy recovery (equalize, bias-correction) and quantize-auto ---------------------------
# RECOVERY=0 skips both tables. The first: mobilenet-tiny int8 (QDQ) top-1 drop with and
# without equalize and bias-correction, per-channel (default) and per-tensor weights, with the
# top-1 agreement and the logits' mean absolute error against the float model (eval split). The
# second: quantize-auto with labelled eval data (metric accuracy) at max_drop 0.01 and 0.0005, and
# without labels (metric agreement with the float model on the calibration data) at 0.01 and
# 0.003: float layers left, drop, size. Drops are measured again here with edge-run on the
# 2,000-image eval split.
[ "${RECOVERY:-1}" = 1 ] || exit 0
top1_of() {
  "$COMPRESSOR" eval "$1" --data "$2" --labels "$3" --scale "$4" --batch "$EVAL_BATCH" --format json 2>/dev/null |
    python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])' 2>/dev/null || echo n/a
}
echo
fidelity() {  # top-1 agreement with the float model (percent) and the logits' mean absolute error
  "$COMPRESSOR" eval "$1" --data "$2" --reference "$3" --scale "$4" --batch "$EVAL_BATCH" --format json 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.2f %% | %.4f" % (100 * j["agreement_top1"], j["mean_abs_error"]))' 2>/dev/null || echo "n/a | n/a"
}
echo "| model | weights | pipeline | int8 top-1 | drop (points) | agreement with float | logits mean abs error | size |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
for name in mobilenet-tiny; do
  read -r model calib ex ey scale < <(spec "$name") || continue
  base=(--calib-data "$calib" --scale "$scale" --batch "$EVAL_BATCH" --no-calib-cache -q)
  "$COMPRESSOR" compress "$model" -o "$WORK/r.float.onnx" --passes "fold-constants,fuse-bn" -q >/dev/null || continue
  float_top1=$(top1_of "$WORK/r.float.onnx" "$ex" "$ey" "$scale")
  echo "| $name | - | fold-constants,fuse-bn (float) | $(pct "$float_top1") | 0.00 | 100.00 % | 0 | $(stat -c %s "$WORK/r.float.onnx") |"
  for pc in 1 0; do
    for pre in "" "equalize,"; do
      for post in "" ",bias-correction"; do
        p="fold-constants,fuse-bn,${pre}quantize-static<per_channel=$pc>$post"
        if ! "$COMPRESSOR" compress "$model" -o "$WORK/r.onnx" --passes "$p" "${base[@]}" >/dev/null 2>"$WORK/err"; then
          echo "| $name | | $p | failed: $(head -c 120 "$WORK/err") | | | | |"
          continue
        fi
        q=$(top1_of "$WORK/r.onnx" "$ex" "$ey" "$scale")
        drop=$(python3 -c "print('%.2f' % (100 * ($float_top1 - $q)))")
        echo "| $name | $([ $pc = 1 ] && echo per-channel || echo per-tensor) | \`$p\` | $(pct "$q") | $drop | $(fidelity "$WORK/r.onnx" "$ex" "$WORK/r.float.onnx" "$scale") | $(stat -c %s "$WORK/r.onnx") |"
      done
    done
  done
done

echo
echo "| model | metric | max_drop | float layers left (fell back) | all-int8 drop | kept drop (metric) | top-1 drop edge-run (points) | size | ratio | trials | seconds |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for name in mobilenet-tiny transformer-tiny; do
  read -r model calib ex ey scale < <(spec "$name") || continue
  base=(--calib-data "$calib" --scale "$scale" --batch "$EVAL_BATCH" --no-calib-cache -q)
  "$COMPRESSOR" compress "$model" -o "$WORK/a.float.onnx" --passes "fold-constants,fuse-bn" -q >/dev/null || continue
  float_top1=$(top1_of "$WORK/a.float.onnx" "$ex" "$ey" "$scale")
  float_bytes=$(stat -c %s "$WORK/a.float.onnx")
  for cfg in accuracy:0.01 accuracy:0.0005 agreement:0.01 agreement:0.003; do
    metric=${cfg%%:*}; md=${cfg##*:}
    extra=()
    [ "$metric" = accuracy ] && extra=(--eval-data "$ex" --eval-labels "$ey")
    start=$(date +%s.%N)
    if ! "$COMPRESSOR" compress "$model" -o "$WORK/a.onnx" --passes "fold-constants,fuse-bn,quantize-auto<max_drop=$md,max_trials=30>" \
      "${base[@]}" "${extra[@]}" --report "$WORK/a.json" >/dev/null 2>"$WORK/err"; then
      echo "| $name | $metric | $md | failed: $(head -c 120 "$WORK/err") ||||||||"
      continue
    fi
    secs=$(python3 -c "import time; print('%.1f' % ($(date +%s.%N) - $start))")
    q=$(top1_of "$WORK/a.onnx" "$ex" "$ey" "$scale")
    drop=$(python3 -c "print('%.2f' % (100 * ($float_top1 - $q)))")
    bytes=$(stat -c %s "$WORK/a.onnx")
    row=$(python3 - "$WORK/a.json" <<'PY'
import json, sys
s = [x for x in json.load(open(sys.argv[1]))["stages"] if x["name"] == "quantize-auto"][0]
m = s["metrics"]
fb = [l["name"] for l in s["layers"] if l["attrs"].get("fallback") == "true"]
print("%d (%d%s) | %.4f | %.4f%s | %d" % (m["float_layers"], len(fb), (": " + ", ".join(fb)) if fb else "",
      m["all_int8_drop"], m["drop"], "" if m["gate_met"] else " (gate not met)", m["trials"]))
PY
)
    IFS='|' read -r left alldrop kept trials <<<"$row"
    echo "| $name | $metric | $md | $left | $alldrop | $kept | $drop | $bytes | $(python3 -c "print('%.3f' % ($bytes / $float_bytes))") | $trials | $secs |"
  done
done
