#!/usr/bin/env bash
# quantize-static end to end on mnist-8 (../shared), two fixtures and a synthetic model that
# uses every op quantizer:
#  - top-1 on the MNIST eval split, float vs int8 in edge-run (compressor eval): drop <= 0.1 point
#    (mnist-8), <= 0.5 point (lenet5, resnet8); both formats load and run in ONNX Runtime with
#    the same drop bound, and edge-run agrees with ONNX Runtime on >= 99.5 % of the samples (QDQ;
#    the QOperator form in edge-run is test_quantize_qoperator.sh);
#  - int8 weights and int32 biases, no float weight left, the per-layer error table in the report;
#  - the same input gives a byte-identical model with --threads 1 and 2; a rerun reads the
#    calibration cache;
#  - bad input: an already-quantized model, calibration data of the wrong shape or dtype, an
#    empty calibration set, percentile outside (0, 100], no --calib-data: exit 2, one line,
#    nothing written; a layer rule matching no layer is a warning in the report.
# ONNX Runtime checks need node and scripts/ort/node_modules; without them the rest runs and the
# test ends skipped (exit 77), or failed where EDGE_REQUIRE_ORT=1.
. "$(dirname "$0")/lib.sh"
S="$EDGE_SOURCE_DIR"
F="$S/fixtures"
M8="$EDGE_SHARED_DIR/models/mnist-8/model.onnx"
if [ ! -f "$M8" ]; then echo "EDGE-SKIP: $M8 not found (is ../shared there?)"; exit 77; fi
ORT_RUN="$S/scripts/ort/ort_run.js"
have_ort=1
{ command -v node >/dev/null && [ -f "$S/scripts/ort/node_modules/onnxruntime-node/package.json" ]; } || have_ort=0
if [ $have_ort = 0 ] && [ "${EDGE_REQUIRE_ORT:-0}" = 1 ]; then bad "onnxruntime-node not installed (EDGE_REQUIRE_ORT=1)"; fi
MX="$F/data/mnist_eval_x.npy"
MY="$F/data/mnist_eval_y.npy"
cd "$WORK"

top1() { python3 -c 'import json, sys; print(json.load(sys.stdin)["top1"])'; }
edge_top1() { "$COMPRESSOR" eval "$1" --data "$2" --labels "$3" --scale "$4" --batch 50 --format json | top1; }
ort_top1() { node "$ORT_RUN" "$1" --eval-x "$2" --eval-y "$3" --scale "$4" --batch 50 ${5:+--predictions "$5"} | top1; }
le() { python3 -c "import sys; sys.exit(0 if $1 <= $2 + 1e-9 else 1)"; }

# --- compressor passes lists every option with its default ------------------------------
"$COMPRESSOR" passes --format json | python3 -c '
import json, sys
p = {x["name"]: x for x in json.load(sys.stdin)}["quantize-static"]
o = {x["name"]: x for x in p["options"]}
want = {"format": "qdq", "per_channel": "true", "symmetric_weights": "true", "activations": "u8",
        "calibration": "mse", "percentile": "99.99", "samples": "0", "reduce_range": "false",
        "error_samples": "32", "raise_opset": "true", "recurrent": "true"}
assert {k: v["default"] for k, v in o.items()} == want, o
assert o["format"]["choices"] == ["qdq", "qoperator"] and o["activations"]["choices"] == ["u8", "s8"]
assert p["stage"] == "quantize"
' && ok "compressor passes lists the quantize-static options and defaults" || bad "compressor passes"
"$COMPRESSOR" passes | grep -q "calibration .*default mse .*(minmax|percentile|entropy|mse)" && ok "text listing shows choices" || bad "text listing"

# --- mnist-8, both formats ---------------------------------------------------------------
f8=$(edge_top1 "$M8" "$MX" "$MY" 1)
for fmt in qdq qoperator; do
  "$COMPRESSOR" compress "$M8" -o m8.$fmt.onnx --passes "fold-constants,quantize-static<format=$fmt>" \
    --calib-data "$F/data/mnist_calib_x.npy" --report m8.$fmt.json --report m8.$fmt.md --report m8.$fmt.html -q
  [ $? -eq 0 ] && [ -s m8.$fmt.onnx ] && ok "mnist-8 $fmt written" || bad "mnist-8 $fmt failed"
  [ -s m8.$fmt.onnx.calib.json ] && ok "$fmt: calibration cache beside the output" || bad "$fmt: no cache file"
  "$COMPRESSOR" inspect m8.$fmt.onnx --format json > m8.$fmt.inspect.json
  python3 - $fmt <<'PY' && ok "$fmt: ops, int8 weights, int32 biases, no float weights" || bad "$fmt: model structure"
import json, sys
fmt = sys.argv[1]
j = json.load(open(f"m8.{fmt}.inspect.json"))
ops = j["op_histogram"]
if fmt == "qdq":
    assert ops.get("QuantizeLinear") and ops.get("DequantizeLinear") and ops.get("Conv") == 2, ops
else:
    assert ops.get("QLinearConv") == 2 and "Conv" not in ops and "Relu" not in ops and ops.get("MatMulInteger") == 1, ops
assert j["opsets"]["ai.onnx"] == 13, j["opsets"]
w = j["totals"]["weight_bytes_by_dtype"]
assert w.get("float32", 0) < 0.06 * w["int8"], w    # only scales stay float
assert w.get("int8", 0) >= 5700 and w.get("int32", 0) > 0, w
PY
  python3 - $fmt <<'PY' && ok "$fmt: report has the error table and the opset note" || bad "$fmt: report"
import json, sys
fmt = sys.argv[1]
r = json.load(open(f"m8.{fmt}.json"))
s = [x for x in r["stages"] if x["name"] == "quantize-static"][0]
rows = [l for l in s["layers"] if l["attrs"]["precision"] == "int8"]
assert [l["name"] for l in rows] == ["Convolution28", "Convolution110", "Times212"], [l["name"] for l in rows]
assert rows[0]["op"] == "Conv+Add+Relu" and rows[2]["op"] == "MatMul+Add", rows
for l in rows:
    m = l["metrics"]
    assert m["sqnr_db"] > 25 and m["mse"] >= 0 and 0 <= m["clipped"] < 0.01 and m["scale"] > 0, l
    assert 0 < m["w_scale_min"] <= m["w_scale_max"], l
assert s["metrics"]["float_layers"] == 0 and s["metrics"]["quantized_layers"] == 3
assert any("opset raised from 8 to 13" in n for n in s["notes"]), s["notes"]
PY
  grep -q "| precision | scale | zero_point |" m8.$fmt.md && ok "$fmt: Markdown error table" || bad "$fmt: Markdown table"
  grep -q "Per-layer sqnr_db" m8.$fmt.html && ok "$fmt: HTML SQNR chart" || bad "$fmt: HTML chart"
  if [ $have_ort = 1 ]; then
    o=$(ort_top1 m8.$fmt.onnx "$MX" "$MY" 1 ort.$fmt.npy)
    le "$f8 - $o" 0.001 && ok "$fmt: ONNX Runtime top-1 $o vs float $f8 (drop <= 0.1 point)" || bad "$fmt: ORT top-1 $o vs $f8"
  fi
done
q8=$(edge_top1 m8.qdq.onnx "$MX" "$MY" 1)
le "$f8 - $q8" 0.001 && ok "qdq: edge-run top-1 $q8 vs float $f8 (drop <= 0.1 point)" || bad "qdq: edge-run top-1 $q8 vs $f8"
if [ $have_ort = 1 ]; then
  a=$(edge_top1 m8.qdq.onnx "$MX" ort.qdq.npy 1)
  le 0.995 "$a" && ok "qdq: edge-run agrees with ONNX Runtime on $a of the samples" || bad "qdq: agreement $a"
fi

# --- gru-tiny: GRU compute stays float, its W and R are stored int8 (DequantizeLinear) -----
"$COMPRESSOR" compress "$F/models/gru-tiny.onnx" -o gru.f.onnx --passes "fold-constants,fuse-bn" -q
"$COMPRESSOR" compress "$F/models/gru-tiny.onnx" -o gru.q.onnx --passes "fold-constants,fuse-bn,quantize-static" \
  --calib-data "$F/data/mnist_calib_x.npy" --scale 1/255 --batch 50 --report gru.q.json -q || bad "gru-tiny: quantize failed"
gf=$(edge_top1 gru.f.onnx "$MX" "$MY" 1/255)
gq=$(edge_top1 gru.q.onnx "$MX" "$MY" 1/255)
le "$gf - $gq" 0.005 && ok "gru-tiny: top-1 $gf -> $gq (drop <= 0.5 point)" || bad "gru-tiny: top-1 $gf -> $gq"
python3 - <<'PY' && ok "gru-tiny: GRU weights int8 behind DequantizeLinear, row in the report, file < 0.35x" || bad "gru-tiny: GRU weights"
import json, os
r = json.load(open("gru.q.json"))
s = [x for x in r["stages"] if x["name"] == "quantize-static"][0]
g = [l for l in s["layers"] if l["op"] == "GRU"]
assert len(g) == 1 and g[0]["attrs"]["precision"] == "int8 weights, float compute" and g[0]["metrics"]["sqnr_db"] > 30, g
assert s["metrics"]["int8_weight_only_layers"] == 1, s["metrics"]
assert os.path.getsize("gru.q.onnx") < 0.35 * os.path.getsize("gru.f.onnx")
PY
if [ $have_ort = 1 ]; then
  o=$(ort_top1 gru.q.onnx "$MX" "$MY" 1/255 ort.gru.npy)
  a=$(edge_top1 gru.q.onnx "$MX" ort.gru.npy 1/255)
  le 0.995 "$a" && ok "gru-tiny: ONNX Runtime runs it (top-1 $o), edge-run agrees on $a" || bad "gru-tiny: ORT $o, agreement $a"
fi

# --- fixtures: lenet5 (MNIST) and resnet8 (Fashion) after fuse-bn --------------------------
for spec in lenet5:mnist resnet8:fashion; do
  m=${spec%%:*}; d=${spec##*:}
  X="$F/data/${d}_eval_x.npy"; Y="$F/data/${d}_eval_y.npy"
  "$COMPRESSOR" compress "$F/models/$m.onnx" -o $m.f.onnx --passes "fold-constants,fuse-bn" -q
  "$COMPRESSOR" compress "$F/models/$m.onnx" -o $m.q.onnx --passes "fold-constants,fuse-bn,quantize-static" \
    --calib-data "$F/data/${d}_calib_x.npy" --scale 1/255 --batch 50 -q || bad "$m: quantize failed"
  ff=$(edge_top1 $m.f.onnx "$X" "$Y" 1/255)
  fq=$(edge_top1 $m.q.onnx "$X" "$Y" 1/255)
  le "$ff - $fq" 0.005 && ok "$m: top-1 $ff -> $fq (drop <= 0.5 point)" || bad "$m: top-1 $ff -> $fq"
  ratio=$(python3 -c "import os; print(os.path.getsize('$m.q.onnx') / os.path.getsize('$m.f.onnx'))")
  le "$ratio" 0.301 && ok "$m: int8 file is $ratio of the float one" || bad "$m: size ratio $ratio"
  if [ $have_ort = 1 ]; then
    o=$(ort_top1 $m.q.onnx "$X" "$Y" 1/255 $m.ort.npy)
    le "$ff - $o" 0.005 && ok "$m: ONNX Runtime top-1 $o" || bad "$m: ORT top-1 $o vs $ff"
    a=$(edge_top1 $m.q.onnx "$X" $m.ort.npy 1/255)
    le 0.995 "$a" && ok "$m: edge-run agrees with ONNX Runtime on $a" || bad "$m: agreement $a"
  fi
done

# --- every op quantizer: a synthetic model (random weights, random inputs) ------------------
python3 - <<'PY'
import random, struct
random.seed(5)
def vals(n): return "{" + ", ".join("%.4f" % random.uniform(-1, 1) for _ in range(n)) + "}"
open("allops.txt", "w").write(f"""<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 3, 8, 8] x) => (float[N, 5] y)
<float[4, 3, 3, 3] w1 = {vals(108)}, float[4] b1 = {vals(4)}, float[4, 2, 2, 2] wt = {vals(32)},
 float[2] bt = {vals(2)}, float[2, 4, 1, 1] w2 = {vals(8)}, float lo = {{0.0}}, float hi = {{6.0}},
 float sc = {{0.5}}, float[6, 5] wm = {vals(30)}, float[5] bm = {vals(5)}, int64[1] st = {{0}},
 int64[1] en = {{5}}, int64[1] ax = {{1}}, int64[2] sqa = {{2, 3}}, int64[5] perm = {{4, 2, 0, 1, 3}}>
{{
  c1 = Conv<pads = [1, 1, 1, 1]>(x, w1, b1)
  l1 = LeakyRelu<alpha = 0.1>(c1)
  t1 = ConvTranspose<strides = [2, 2]>(l1, wt, bt)
  a1 = AveragePool<kernel_shape = [2, 2], strides = [2, 2]>(t1)
  c2 = Conv(l1, w2)
  r2 = Add(c2, a1)
  k2 = Clip(r2, lo, hi)
  tr = Transpose<perm = [0, 1, 3, 2]>(k2)
  cat = Concat<axis = 1>(tr, l1)
  m = Mul(cat, sc)
  mp = MaxPool<kernel_shape = [2, 2], strides = [2, 2]>(m)
  gp = GlobalAveragePool(mp)
  sq = Squeeze(gp, sqa)
  us = Unsqueeze(sq, ax)
  fl = Flatten(us)
  sl = Slice(fl, st, en, ax)
  ga = Gather<axis = 1>(fl, perm)
  sg = Sigmoid(sl)
  mm = MatMul(fl, wm)
  ab = Add(mm, bm)
  s = Add(ab, ga)
  z = Mul(s, sg)
  y = Softmax(z)
}}
""")
def npy(path, descr, shape, data):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, str(tuple(shape)))
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data)
n = 3 * 8 * 8
pack = lambda k: struct.pack("<%df" % (k * n), *[random.uniform(0, 1) for _ in range(k * n)])
npy("allops_calib.npy", "<f4", (64, 3, 8, 8), pack(64))
npy("allops_eval.npy", "<f4", (200, 3, 8, 8), pack(200))
npy("allops_zeros.npy", "<i8", (200,), b"\0" * 1600)
PY
"$TEXT2ONNX" allops.onnx < allops.txt || bad "allops model"
for fmt in qdq qoperator; do
  "$COMPRESSOR" compress allops.onnx -o allops.$fmt.onnx --passes "quantize-static<format=$fmt>" \
    --calib-data allops_calib.npy --batch 16 --report allops.$fmt.json -q 2>/dev/null || bad "allops $fmt failed"
  "$COMPRESSOR" inspect allops.$fmt.onnx --format json > allops.$fmt.inspect.json
  python3 - $fmt <<'PY' && ok "allops $fmt: every quantizer used, float layers with reasons" || bad "allops $fmt: plan"
import json, sys
fmt = sys.argv[1]
s = [x for x in json.load(open(f"allops.{fmt}.json"))["stages"] if x["name"] == "quantize-static"][0]
ops = {l["name"]: l["op"] for l in s["layers"] if l["attrs"]["precision"] == "int8"}
float_ops = {l["op"]: l["attrs"]["reason"] for l in s["layers"] if l["attrs"]["precision"] == "float"}
# Layer names are the ones generated at load for unnamed nodes: op and index in the graph.
want = {"ConvTranspose_2": "ConvTranspose", "AveragePool_3": "AveragePool", "Conv_4": "Conv", "Add_5": "Add+Clip",
        "Concat_8": "Concat", "Mul_9": "Mul", "GlobalAveragePool_11": "GlobalAveragePool", "MatMul_18": "MatMul+Add",
        "Add_20": "Add", "Mul_21": "Mul"}
for k, v in want.items():
    assert ops.get(k) == v, (k, ops)
assert ops["Conv_0"] == ("Conv+LeakyRelu" if fmt == "qdq" else "Conv"), ops
assert float_ops.get("Softmax") == "no int8 quantizer for Softmax", float_ops
assert float_ops.get("Sigmoid") == "no int8 quantizer for Sigmoid", float_ops
assert s["metrics"]["pass_through_nodes"] == 7, s["metrics"]
h = json.load(open(f"allops.{fmt}.inspect.json"))["op_histogram"]
if fmt == "qoperator":
    for op in ["QLinearConv", "QLinearAdd", "QLinearMul", "QLinearConcat", "QLinearAveragePool",
               "QLinearGlobalAveragePool", "MatMulInteger", "ConvTranspose", "MaxPool"]:
        assert h.get(op), (op, h)
    assert "Clip" not in h and "Conv" not in h, h
PY
  if [ $have_ort = 1 ]; then
    [ -f allops_float.npy ] || node "$ORT_RUN" allops.onnx --eval-x allops_eval.npy --eval-y allops_zeros.npy \
      --batch 20 --predictions allops_float.npy >/dev/null
    o=$(node "$ORT_RUN" allops.$fmt.onnx --eval-x allops_eval.npy --eval-y allops_float.npy --batch 20 \
      --predictions allops_ort.$fmt.npy | top1)
    le 0.95 "$o" && ok "allops $fmt: ONNX Runtime runs it, top-1 as float on $o" || bad "allops $fmt: agreement $o"
  fi
done
if [ $have_ort = 1 ]; then
  a=$("$COMPRESSOR" eval allops.qdq.onnx --data allops_eval.npy --labels allops_ort.qdq.npy --batch 20 --format json | top1)
  le 0.995 "$a" && ok "allops qdq: edge-run agrees with ONNX Runtime on $a" || bad "allops qdq: edge-run/ORT $a"
fi

# --- determinism and the calibration cache -----------------------------------------------
Q=(--passes "fold-constants,quantize-static" --calib-data "$F/data/mnist_calib_x.npy" -q)
"$COMPRESSOR" compress "$M8" -o t1.onnx "${Q[@]}" --threads 1 --no-calib-cache
"$COMPRESSOR" compress "$M8" -o t2.onnx "${Q[@]}" --threads 2 --no-calib-cache
cmp -s t1.onnx t2.onnx && ok "byte-identical with --threads 1 and 2" || bad "threads change the model"
[ ! -e t1.onnx.calib.json ] && ok "--no-calib-cache writes no cache" || bad "cache written despite --no-calib-cache"
cmp -s t1.onnx m8.qdq.onnx && ok "same as the first run (and its cache-writing path)" || bad "differs from the first run"
"$COMPRESSOR" compress "$M8" -o m8.qdq.onnx --passes "fold-constants,quantize-static<format=qdq>" \
  --calib-data "$F/data/mnist_calib_x.npy" 2>rerun.log >/dev/null
grep -q "calibration cache .* (calibration skipped)" rerun.log && ok "rerun reads the calibration cache" || bad "rerun did not use the cache: $(cat rerun.log)"
cmp -s t1.onnx m8.qdq.onnx && ok "rerun from the cache gives the same bytes" || bad "cached rerun differs"

# --- bad input ---------------------------------------------------------------------------
python3 - <<'PY'
import struct
def npy(path, descr, shape, data=b""):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, str(tuple(shape)))
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data)
npy("empty.npy", "|u1", (0, 28, 28))
npy("complex.npy", "<c8", (2, 28, 28), b"\0" * (8 * 2 * 784))
PY
QS=(--passes "fold-constants,quantize-static")
CAL=(--calib-data "$F/data/mnist_calib_x.npy")
expect_error 2 "already quantized \\(node .*QuantizeLinear.*takes a float model" "an already-quantized model is refused" -- \
  "$COMPRESSOR" compress m8.qdq.onnx -o x.onnx "${QS[@]}" "${CAL[@]}"
# A stage that fails after an earlier one calibrated: no model, and no cache this run created.
rm -f late.onnx late.onnx.calib.json
expect_error 2 "already quantized" "a second quantize-static fails after the first calibrated" -- \
  "$COMPRESSOR" compress "$M8" -o late.onnx --passes "quantize-static,quantize-static" "${CAL[@]}" -q
[ ! -e late.onnx ] && [ ! -e late.onnx.calib.json ] && ok "a failed run leaves neither model nor calibration cache" \
  || bad "files left after a failed run: $(ls late.onnx* 2>/dev/null)"
expect_error 2 "does not fit model input" "calibration data of the wrong shape" -- \
  "$COMPRESSOR" compress "$M8" -o x.onnx "${QS[@]}" --calib-data "$S/tests/hostile/recipes/images-32x32.npy"
expect_error 2 "unsupported .npy dtype" "calibration data of the wrong dtype" -- \
  "$COMPRESSOR" compress "$M8" -o x.onnx "${QS[@]}" --calib-data complex.npy
expect_error 2 "holds no samples" "an empty calibration set" -- \
  "$COMPRESSOR" compress "$M8" -o x.onnx "${QS[@]}" --calib-data empty.npy
expect_error 2 "percentile.*must be in \(0, 100\]" "percentile 0" -- \
  "$COMPRESSOR" compress "$M8" -o x.onnx --passes "quantize-static<percentile=0>" "${CAL[@]}"
expect_error 2 "percentile.*must be in \(0, 100\]" "percentile 100.5" -- \
  "$COMPRESSOR" compress "$M8" -o x.onnx --passes "quantize-static<percentile=100.5>" "${CAL[@]}"
expect_error 2 "needs calibration data: give --calib-data" "no calibration data" -- \
  "$COMPRESSOR" compress "$M8" -o x.onnx "${QS[@]}"
[ ! -e x.onnx ] && [ ! -e x.onnx.calib.json ] && ok "nothing written after bad input" || bad "output written after bad input"

# Layer rules: one excludes a layer (float, with the reason), one matches nothing (warning).
cat > r.yaml <<EOF
version: 1
pipeline: [fold-constants, quantize-static]
data: {calib: {path: $F/data/mnist_calib_x.npy}}
layers:
  - {match: Convolution110, exclude: true}
  - {match: "re:no_such_layer.*", per_channel: false}
  - {match: Times212, per_channel: false}
EOF
"$COMPRESSOR" compress "$M8" -o rules.onnx --recipe r.yaml --report rules.json -q 2>rules.err
python3 - <<'PY' && ok "layer rules: excluded layer float with its reason, per-layer per_channel, unmatched rule warned" || bad "layer rules: $(cat rules.err)"
import json
r = json.load(open("rules.json"))
s = [x for x in r["stages"] if x["name"] == "quantize-static"][0]
row = [l for l in s["layers"] if l["name"] == "Convolution110"][0]
assert row["attrs"] == {"precision": "float", "reason": "excluded by a layer rule"}, row
fc = [l for l in s["layers"] if l["name"] == "Times212"][0]
assert fc["attrs"]["weights"] == "s8 per-tensor symmetric", fc
assert fc["metrics"]["w_scale_min"] == fc["metrics"]["w_scale_max"], fc
assert any("re:no_such_layer.*" in n and "matches no layer" in n for n in r["notes"]), r["notes"]
PY
grep -q "matches no layer" rules.err && ok "unmatched rule warned on stderr" || bad "no warning on stderr"

if [ $have_ort = 0 ]; then
  echo "EDGE-SKIP: onnxruntime-node not installed (cd scripts/ort && npm ci --ignore-scripts): ONNX Runtime checks not run"
  finish || exit 1
  exit 77
fi
finish
