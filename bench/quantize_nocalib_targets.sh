#!/usr/bin/env bash
# Measured targets of the calibration-free quantize passes (docs/quantization.md): for every
# fixture in fixtures/models (or the names given) and every pass in PASSES, prints a Markdown
# table: file size ratio to the float model, float top-1, top-1 in edge-run and in ONNX
# Runtime, drop (points, edge-run), the share of samples where edge-run and ONNX Runtime give
# the same top-1, quantized / float layers from the report.
#
# Usage: bench/quantize_nocalib_targets.sh [MODEL_NAME ...]
#   Environment: COMPRESSOR, NODE (default node), EVAL_BATCH (default 50), PASSES (default
#   "quantize-dynamic quantize-weight-only quantize-weight-only<bits=8> quantize-fp16").
# Data per model comes from fixtures/MANIFEST.json (eval_data, scale 1/255).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COMPRESSOR=${COMPRESSOR:-$ROOT/build/apps/compressor}
NODE=${NODE:-node}
EVAL_BATCH=${EVAL_BATCH:-50}
PASSES=${PASSES:-quantize-dynamic quantize-weight-only quantize-weight-only<bits=8> quantize-fp16}
ORT_RUN=$ROOT/scripts/ort/ort_run.js
[ -x "$COMPRESSOR" ] || { echo "quantize_nocalib_targets: $COMPRESSOR not found (build first)" >&2; exit 2; }
have_ort=0
[ -f "$ROOT/scripts/ort/node_modules/onnxruntime-node/package.json" ] && command -v "$NODE" >/dev/null && have_ort=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

spec() {  # model name -> "path eval_x eval_y"
  python3 - "$ROOT/fixtures" "$1" <<'PY'
import json, sys
root, name = sys.argv[1], sys.argv[2]
m = json.load(open(root + "/MANIFEST.json"))["models"][name]
print(root + "/" + m["file"], root + "/" + m["eval_data"][0], root + "/" + m["eval_data"][1])
PY
}
top1() { python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])' 2>/dev/null || echo n/a; }
pct() { [ "$1" = n/a ] && echo n/a || python3 -c "print('%.2f' % (100 * $1))"; }

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$ROOT"/fixtures/models/*.onnx; do names+=("$(basename "$f" .onnx)"); done
fi
echo "| model | pass | ratio | float top-1 | top-1 edge-run | top-1 ORT | drop (points) | edge-run = ORT | quantized layers | float layers |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for name in "${names[@]}"; do
  read -r model ex ey < <(spec "$name") || { echo "quantize_nocalib_targets: no data for $name" >&2; continue; }
  ev=(--data "$ex" --scale 1/255 --batch "$EVAL_BATCH" --format json)
  float_top1=$("$COMPRESSOR" eval "$model" "${ev[@]}" --labels "$ey" 2>/dev/null | top1)
  for p in $PASSES; do
    out="$WORK/$name.onnx"
    if ! "$COMPRESSOR" compress "$model" -o "$out" --passes "$p" --report "$WORK/r.json" -q 2>"$WORK/err"; then
      echo "| $name | \`$p\` | failed: $(head -c 160 "$WORK/err") |||||||"
      continue
    fi
    ratio=$(python3 -c "import os; print('%.3f' % (os.path.getsize('$out') / os.path.getsize('$model')))")
    edge=$("$COMPRESSOR" eval "$out" "${ev[@]}" --labels "$ey" 2>/dev/null | top1)
    ort=n/a agree=n/a
    if [ $have_ort = 1 ]; then
      rm -f "$WORK/pred.npy"
      ort=$("$NODE" "$ORT_RUN" "$out" --eval-x "$ex" --eval-y "$ey" --scale 1/255 --batch "$EVAL_BATCH" \
        --predictions "$WORK/pred.npy" 2>/dev/null | top1)
      [ -f "$WORK/pred.npy" ] && agree=$("$COMPRESSOR" eval "$out" "${ev[@]}" --labels "$WORK/pred.npy" 2>/dev/null | top1)
    fi
    drop=$([ "$edge" = n/a ] && echo n/a || python3 -c "print('%.2f' % (100 * ($float_top1 - $edge)))")
    layers=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["stages"][0]["metrics"]
print(int(s.get("quantized_layers", s.get("fp16_nodes", 0))), int(s.get("float_layers", s.get("float32_nodes", 0))))' "$WORK/r.json")
    echo "| $name | \`$p\` | $ratio | $(pct "$float_top1") | $(pct "$edge") | $(pct "$ort") | $drop | $(pct "$agree") % | ${layers% *} | ${layers#* } |"
  done
done
