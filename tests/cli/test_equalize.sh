#!/usr/bin/env bash
# equalize and bias-correction on mobilenet-tiny (Conv -> ReLU6 -> depthwise chains):
#  - equalize keeps the float function: ONNX checker passes; on the 2,000 eval images ONNX
#    Runtime gives the same top-1 as for the un-equalized model on >= 99.9 % of them and edge-run
#    agrees with ONNX Runtime; the report lists the equalized pairs and the channels a ReLU6
#    bound held; without --calib-data the ReLU6 pairs are left alone (noted);
#  - per-tensor int8 weights (where equalization matters): the logits' mean absolute error
#    against the float model falls by >= 10 % with equalize and by >= 10 % more with
#    bias-correction, and the top-1 drop stays <= 1 point;
#  - fuse-bn,equalize,quantize-static,bias-correction: checker, ONNX Runtime loads it and agrees
#    with edge-run, int32 biases changed, report rows per corrected layer;
#  - bias-correction refuses a pipeline without quantize-static before it and the QOperator
#    form (exit 2, one line).
. "$(dirname "$0")/lib.sh"
require_ort
S="$EDGE_SOURCE_DIR"
F="$S/fixtures"
M="$F/models/mobilenet-tiny.onnx"
CAL="$F/data/fashion_calib_x.npy"
X="$F/data/fashion_eval_x.npy"
Y="$F/data/fashion_eval_y.npy"
cd "$WORK"

top1() { python3 -c 'import json, sys; print(json.load(sys.stdin)["top1"])'; }
edge_top1() { "$COMPRESSOR" eval "$1" --data "$X" --labels "$2" --scale 1/255 --batch 50 --format json | top1; }
ort_top1() { node "$ORT_RUN" "$1" --eval-x "$X" --eval-y "$2" --scale 1/255 --batch 50 ${3:+--predictions "$3"} | top1; }
le() { python3 -c "import sys; sys.exit(0 if $1 <= $2 + 1e-9 else 1)"; }
# The ONNX checker of the onnx package of the system Python (the one with onnx installed).
checker() { /usr/bin/python3 -c "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))" "$1"; }
D=(--calib-data "$CAL" --scale 1/255 --batch 50 --no-calib-cache -q)

# --- equalize keeps the float function --------------------------------------------------
"$COMPRESSOR" compress "$M" -o float.onnx --passes "fold-constants,fuse-bn" -q || bad "float baseline"
"$COMPRESSOR" compress "$M" -o eq.onnx --passes "fold-constants,fuse-bn,equalize" "${D[@]}" --report eq.json ||
  bad "equalize failed"
checker eq.onnx && ok "equalize: ONNX checker passes" || bad "equalize: checker"
ort_top1 float.onnx "$Y" float.pred.npy >/dev/null
a=$(ort_top1 eq.onnx float.pred.npy eq.pred.npy)
le 0.999 "$a" && ok "equalize: ONNX Runtime top-1 equals the float model's on $a of the images" ||
  bad "equalize changed the function: agreement $a"
a=$(edge_top1 eq.onnx eq.pred.npy)
le 0.999 "$a" && ok "equalize: edge-run agrees with ONNX Runtime on $a" || bad "equalize: edge-run vs ORT $a"
python3 - <<'PY' && ok "equalize: report lists the pairs, their range spreads and the ReLU6-held channels" || bad "equalize: report"
import json
s = [x for x in json.load(open("eq.json"))["stages"] if x["name"] == "equalize"][0]
m = s["metrics"]
assert m["equalized_pairs"] == 10, m          # 11 convolutions in a chain
assert 0 < m["blocked_channels"] < 200, m
rows = s["layers"]
assert len(rows) == 10 and all(r["op"] == "Conv+Clip" for r in rows), rows
assert sum(r["metrics"]["range_spread_after"] < r["metrics"]["range_spread_before"] for r in rows) >= 8, rows
assert any("bounded Clips" in n for n in s["notes"]), s["notes"]
PY
"$COMPRESSOR" compress "$M" -o eq0.onnx --passes "fold-constants,fuse-bn,equalize" --report eq0.json -q ||
  bad "equalize without data failed"
python3 - <<'PY' && ok "equalize without --calib-data: ReLU6 pairs left alone, noted" || bad "equalize without data: report"
import json
s = [x for x in json.load(open("eq0.json"))["stages"] if x["name"] == "equalize"][0]
assert s["metrics"]["equalized_pairs"] == 0 and s["metrics"]["skipped_bounded_pairs"] == 10, s["metrics"]
assert any("give --calib-data" in n for n in s["notes"]), s["notes"]
PY
/usr/bin/python3 - <<'PY' && ok "equalize without data: weights unchanged" || bad "equalize without data changed the weights"
import onnx, onnx.numpy_helper as nh
a = {t.name: nh.to_array(t) for t in onnx.load("float.onnx").graph.initializer}
b = {t.name: nh.to_array(t) for t in onnx.load("eq0.onnx").graph.initializer}
assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
PY

# --- per-tensor int8: equalize and bias-correction shrink the error -------------------------
# Top-1 moves by a few of the 2,000 images either way (docs/quantization.md); the logits' mean
# absolute error against the float model (compressor eval --reference) shows the effect.
mae() { "$COMPRESSOR" eval "$1" --data "$X" --reference float.onnx --scale 1/255 --batch 50 --format json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["mean_abs_error"])'; }
Q="quantize-static<per_channel=0>"
"$COMPRESSOR" compress "$M" -o pt.onnx --passes "fold-constants,fuse-bn,$Q" "${D[@]}" || bad "per-tensor int8"
"$COMPRESSOR" compress "$M" -o pt_eq.onnx --passes "fold-constants,fuse-bn,equalize,$Q" "${D[@]}" ||
  bad "per-tensor int8 after equalize"
"$COMPRESSOR" compress "$M" -o pt_eq_bc.onnx --passes "fold-constants,fuse-bn,equalize,$Q,bias-correction" "${D[@]}" ||
  bad "per-tensor int8 after equalize, with bias-correction"
e0=$(mae pt.onnx); e1=$(mae pt_eq.onnx); e2=$(mae pt_eq_bc.onnx)
le "$e1" "0.9 * $e0" && ok "per-tensor int8: equalize cuts the logits' mean abs error $e0 -> $e1 (>= 10 %)" ||
  bad "equalize did not shrink the per-tensor error: $e0 -> $e1"
le "$e2" "0.9 * $e1" && ok "per-tensor int8: bias-correction cuts it further $e1 -> $e2 (>= 10 %)" ||
  bad "bias-correction did not shrink the per-tensor error: $e1 -> $e2"
f=$(edge_top1 float.onnx "$Y"); p=$(edge_top1 pt.onnx "$Y"); pe=$(edge_top1 pt_eq_bc.onnx "$Y")
le "$f - $pe" 0.01 && ok "per-tensor int8 top-1: float $f, plain $p, equalize + bias-correction $pe (drop <= 1 point)" ||
  bad "per-tensor top-1: float $f, plain $p, equalized $pe"

# --- bias-correction ----------------------------------------------------------------------
P="fold-constants,fuse-bn,equalize,quantize-static,bias-correction"
"$COMPRESSOR" compress "$M" -o bc.onnx --passes "$P" "${D[@]}" --report bc.json || bad "bias-correction pipeline failed"
checker bc.onnx && ok "bias-correction: ONNX checker passes" || bad "bias-correction: checker"
o=$(ort_top1 bc.onnx "$Y" bc.pred.npy)
a=$(edge_top1 bc.onnx bc.pred.npy)
le 0.995 "$a" && ok "bias-correction: ONNX Runtime runs it (top-1 $o), edge-run agrees on $a" ||
  bad "bias-correction: edge-run vs ORT $a"
le "$f - $o" 0.01 && ok "bias-correction: top-1 drop <= 1 point (float $f, int8 $o)" || bad "bias-correction: top-1 $o vs $f"
python3 - <<'PY' && ok "bias-correction: int32 biases changed, a report row per layer" || bad "bias-correction: report"
import json
r = json.load(open("bc.json"))
s = [x for x in r["stages"] if x["name"] == "bias-correction"][0]
m = s["metrics"]
assert m["layers"] == 12 and m["corrected_layers"] >= 6 and m["corrected_channels"] > 50, m
rows = {l["name"]: l for l in s["layers"]}
assert len(rows) == 12 and rows["/fc/Gemm"]["metrics"]["channels"] == 10, rows.keys()
assert all(l["metrics"]["shift_rms"] >= 0 for l in rows.values())
PY
"$COMPRESSOR" compress "$M" -o nobc.onnx --passes "fold-constants,fuse-bn,equalize,quantize-static" "${D[@]}" ||
  bad "quantize-static alone"
/usr/bin/python3 - <<'PY' && ok "bias-correction changes only int32 biases" || bad "bias-correction: other initializers changed"
import onnx, onnx.numpy_helper as nh
a = {t.name: nh.to_array(t) for t in onnx.load("nobc.onnx").graph.initializer}
b = {t.name: nh.to_array(t) for t in onnx.load("bc.onnx").graph.initializer}
assert a.keys() == b.keys()
changed = [k for k in a if not (a[k] == b[k]).all()]
assert changed and all(a[k].dtype.name == "int32" for k in changed), changed
PY

expect_error 2 "bias-correction must follow quantize-static" "bias-correction without quantize-static" -- \
  "$COMPRESSOR" compress "$M" -o x.onnx --passes "fuse-bn,bias-correction" "${D[@]}"
expect_error 2 "bias-correction works on the QDQ form" "bias-correction on the QOperator form" -- \
  "$COMPRESSOR" compress "$M" -o x.onnx --passes "fuse-bn,quantize-static<format=qoperator>,bias-correction" "${D[@]}"
[ ! -e x.onnx ] && ok "nothing written after bad input" || bad "output written after bad input"
finish
