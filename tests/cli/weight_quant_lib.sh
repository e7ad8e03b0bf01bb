# Helpers for test_quantize_{dynamic,weight_only,fp16}.sh (sourced after lib.sh and
# require_ort): run a pass on a fixture and measure it against the float model.
#
#   quant_fixture MODEL PASSES TAG MAX_DROP
#     MODEL is a fixture name (mlp-300-100, lenet5 and gru-tiny read MNIST, transformer-tiny
#     Fashion-MNIST). Compresses it with PASSES into TAG.onnx (report TAG.json) and checks:
#     the ONNX checker (python3 onnx) passes; ONNX Runtime loads and runs it; top-1 on the
#     labelled eval set in edge-run and in ONNX Runtime within MAX_DROP of the float model's;
#     edge-run agrees with ONNX Runtime on >= 99.5 % of the top-1 predictions; max |edge - ort|
#     over the logits of 200 eval samples within 1e-3 x max|logit|. Prints the file size ratio.
#     Sets Q_RATIO, Q_TOP1_FLOAT, Q_TOP1_EDGE, Q_TOP1_ORT, Q_AGREE, Q_MAXDIFF.
S="$EDGE_SOURCE_DIR"
F="$S/fixtures"
PYONNX=/usr/bin/python3
have_pyonnx=1
"$PYONNX" -c "import onnx" 2>/dev/null || have_pyonnx=0

top1() { python3 -c 'import json, sys; print(json.load(sys.stdin)["top1"])'; }
le() { python3 -c "import sys; sys.exit(0 if $1 <= $2 + 1e-9 else 1)"; }
fixture_data() { case $1 in transformer-tiny) echo fashion ;; *) echo mnist ;; esac; }

quant_fixture() {
  local m=$1 passes=$2 tag=$3 max_drop=$4
  local d X Y
  d=$(fixture_data "$m")
  X="$F/data/${d}_eval_x.npy"
  Y="$F/data/${d}_eval_y.npy"
  if ! "$COMPRESSOR" compress "$F/models/$m.onnx" -o "$tag.onnx" --passes "$passes" --report "$tag.json" -q; then
    bad "$tag: compress failed"
    return
  fi
  if [ $have_pyonnx = 1 ]; then
    "$PYONNX" -c "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))" "$tag.onnx" &&
      ok "$tag: python onnx.checker passes" || bad "$tag: onnx.checker"
  fi
  [ -f "float.$m.top1" ] || "$COMPRESSOR" eval "$F/models/$m.onnx" --data "$X" --labels "$Y" --scale 1/255 \
    --batch 50 --format json | top1 > "float.$m.top1"
  Q_TOP1_FLOAT=$(cat "float.$m.top1")
  Q_TOP1_EDGE=$("$COMPRESSOR" eval "$tag.onnx" --data "$X" --labels "$Y" --scale 1/255 --batch 50 --format json | top1)
  Q_TOP1_ORT=$(node "$ORT_RUN" "$tag.onnx" --eval-x "$X" --eval-y "$Y" --scale 1/255 --batch 50 \
    --predictions "$tag.ort.npy" | top1)
  Q_AGREE=$("$COMPRESSOR" eval "$tag.onnx" --data "$X" --labels "$tag.ort.npy" --scale 1/255 --batch 50 \
    --format json | top1)
  le "$Q_TOP1_FLOAT - $Q_TOP1_EDGE" "$max_drop" && ok "$tag: edge-run top-1 $Q_TOP1_FLOAT -> $Q_TOP1_EDGE" ||
    bad "$tag: edge-run top-1 $Q_TOP1_FLOAT -> $Q_TOP1_EDGE (drop > $max_drop)"
  le "$Q_TOP1_FLOAT - $Q_TOP1_ORT" "$max_drop" && ok "$tag: ONNX Runtime runs it, top-1 $Q_TOP1_ORT" ||
    bad "$tag: ONNX Runtime top-1 $Q_TOP1_ORT vs float $Q_TOP1_FLOAT"
  le 0.995 "$Q_AGREE" && ok "$tag: edge-run agrees with ONNX Runtime on $Q_AGREE of the samples" ||
    bad "$tag: edge-run / ONNX Runtime agreement $Q_AGREE"
  [ -f "x200.$d.npy" ] || node "$NPY_TOOL" prep "$X" "x200.$d.npy" --count 200 --scale 1/255 --channel-axis >/dev/null
  rm -rf "$tag.edge" "$tag.ortout"
  "$EDGE_RUN" run "$tag.onnx" --input "x200.$d.npy" -o "$tag.edge" --output-format npy >/dev/null &&
    node "$ORT_RUN" "$tag.onnx" --input "x200.$d.npy" --output-dir "$tag.ortout" >/dev/null ||
    bad "$tag: batch run failed"
  local cmp
  cmp=$(node "$NPY_TOOL" compare "$tag.ortout/output_0.npy" "$tag.edge/output_0.npy" --rtol 1e-3 --atol 1e-5)
  Q_MAXDIFF=$(printf '%s' "$cmp" | python3 -c 'import json, sys; print("%.3g" % json.load(sys.stdin)["max_abs"])')
  printf '%s' "$cmp" | python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["ok"] else 1)' &&
    ok "$tag: logits of 200 samples, max |edge-run - ONNX Runtime| = $Q_MAXDIFF" || bad "$tag: logits differ: $cmp"
  Q_RATIO=$(python3 -c "import os; print('%.3f' % (os.path.getsize('$tag.onnx') / os.path.getsize('$F/models/$m.onnx')))")
  echo "measured: $tag size ratio $Q_RATIO, top-1 float $Q_TOP1_FLOAT edge-run $Q_TOP1_EDGE ORT $Q_TOP1_ORT," \
    "agreement $Q_AGREE, max|edge-ORT| $Q_MAXDIFF"
}

# weight_bytes TAG: "dtype=bytes ..." of the initializers (compressor inspect).
weight_bytes() {
  "$COMPRESSOR" inspect "$1.onnx" --format json |
    python3 -c 'import json, sys; w = json.load(sys.stdin)["totals"]["weight_bytes_by_dtype"]; print(" ".join("%s=%d" % kv for kv in sorted(w.items())))'
}

# The quantize stage of report TAG.json as JSON on stdout, for python3 checks.
stage_json() {
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(json.dumps([s for s in r["stages"] if s["name"] == sys.argv[2]][0]))' "$1.json" "$2"
}

pyonnx_skip_note() {
  if [ $have_pyonnx = 0 ]; then
    echo "EDGE-SKIP: /usr/bin/python3 has no onnx module: the onnx.checker checks did not run"
    finish || exit 1
    exit 77
  fi
}
