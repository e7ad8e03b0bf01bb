#!/usr/bin/env bash
# qat end to end on the lenet5 fixture:
#  - "fold-constants,fuse-bn,quantize-static,qat<...learn_scales=1>" with calibration data only
#    (qat says it trains on it): exit 0, per-epoch log lines, the report's before/after numbers,
#    a lower validation loss, changed int8 weights and scales;
#  - the result is a valid QDQ model with the quantize-only output's nodes (ONNX checker; same
#    op/input/output lists), initializer types and shapes, zero points, int8 weights in
#    [-127, 127], and every bias scale = input scale * weight scale (float32) from the learned
#    scales; ONNX Runtime loads it and agrees with edge-run on >= 99.5 % of the eval digits;
#  - a QDQ file given to compress with teacher=PATH, byte-identical when run again; bad input: a float model (no Q/DQ), no
#    data (exit 2, one line).
# Needs /usr/bin/python3 with onnx and numpy and onnxruntime-node: without them the test is
# skipped (exit 77, EDGE-SKIP), or fails where EDGE_REQUIRE_ORT=1.
. "$(dirname "$0")/lib.sh"
S="$EDGE_SOURCE_DIR"
F="$S/fixtures"
PY=${EDGE_FIXTURE_PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import onnx, numpy' 2>/dev/null; then echo "EDGE-SKIP: $PY cannot import onnx and numpy"; exit 77; fi
require_ort
M="$F/models/lenet5.onnx"
MX="$F/data/mnist_eval_x.npy"
MY="$F/data/mnist_eval_y.npy"
CAL="$F/data/mnist_calib_x.npy"
D=(--scale 1/255 --batch 50 --no-calib-cache)
cd "$WORK"
top1() { "$PY" -c 'import json, sys; print(json.load(sys.stdin)["top1"])'; }

# --- quantize-static then qat, calibration data only -----------------------------------------
t0=$(date +%s)
"$COMPRESSOR" compress "$M" -o q.onnx --passes "fold-constants,fuse-bn,quantize-static" --calib-data "$CAL" "${D[@]}" \
  -q 2>/dev/null || bad "quantize-static only"
"$COMPRESSOR" compress "$M" -o t.onnx \
  --passes "fold-constants,fuse-bn,quantize-static,qat<epochs=2,learn_scales=1>" \
  --calib-data "$CAL" --eval-data "$MX" --eval-labels "$MY" "${D[@]}" --report r.json 2> t.log >/dev/null \
  && ok "lenet5 quantize-static + qat written (exit 0) in $(( $(date +%s) - t0 )) s" || bad "qat failed: $(tail -3 t.log)"
grep -q "qat: no training data given: trained on the calibration data" t.log && grep -qE "qat: epoch 2/2: loss [0-9.e+]+" t.log \
  && ok "log: calibration data used for training, per-epoch lines" || bad "log: $(head -20 t.log)"
"$PY" - <<'PY' && ok "report: eval top-1 before/after, lower val loss, int8 weights and scales changed" || bad "report"
import json
r = json.load(open("r.json"))
s = [x for x in r["stages"] if x["name"] == "qat"][0]
m = s["metrics"]
print("qat on lenet5: eval top-1 %.4f -> %.4f, val loss %.5f -> %.5f, %d int8 values and %d scales changed" % (
    m["eval_top1_before"], m["eval_top1_after"], m["val_loss_before"], m["val_loss_best"],
    m["weight_values_changed"], m["scales_changed"]))
assert m["epochs_run"] == 2 and m["best_epoch"] >= 1 and m["learn_scales"] == 1, m
for k in ("loss@1", "loss@2", "val_loss@0", "eval_top1@0", "eval_top1@2"): assert k in m, k
assert m["val_loss_best"] < m["val_loss_before"], m
assert m["weight_values_changed"] > 0 and m["scales_changed"] > 0, m
assert m["eval_top1_after"] >= m["eval_top1_before"] - 0.005, m
assert any(l["op"] == "Conv" and l["metrics"]["int8_changed"] > 0 for l in s["layers"]), s["layers"]
assert any(n.startswith("no training data given") for n in s["notes"]), s["notes"]
PY
"$PY" - <<'PY' && ok "valid QDQ: same nodes, types, shapes, zero points; int8 grid; bias scale = s_in * s_w" || bad "QDQ rules"
import onnx, numpy as np
from onnx import numpy_helper
q, t = onnx.load("q.onnx"), onnx.load("t.onnx")
onnx.checker.check_model(t)
sig = lambda m: [(n.op_type, list(n.input), list(n.output)) for n in m.graph.node]
assert sig(q) == sig(t)
qi = {i.name: numpy_helper.to_array(i) for i in q.graph.initializer}
ti = {i.name: numpy_helper.to_array(i) for i in t.graph.initializer}
assert qi.keys() == ti.keys()
for k in qi: assert qi[k].dtype == ti[k].dtype and qi[k].shape == ti[k].shape, k
prod = {o: n for n in t.graph.node for o in n.output}
changed_scales = biases = 0
for n in t.graph.node:
    if n.op_type == "DequantizeLinear" and n.input[0] in ti:
        if len(n.input) > 2: assert (qi[n.input[2]] == ti[n.input[2]]).all(), n.input[2]  # zero points
        if ti[n.input[0]].dtype == np.int8: assert np.abs(ti[n.input[0]].astype(int)).max() <= 127
        changed_scales += int(not (qi[n.input[1]] == ti[n.input[1]]).all())
    if n.op_type in ("Conv", "Gemm") and len(n.input) > 2:
        a, w, b = (prod[x] for x in n.input[:3])
        assert a.op_type == w.op_type == b.op_type == "DequantizeLinear"
        sa, sw, sb = ti[a.input[1]], ti[w.input[1]], ti[b.input[1]]
        assert (sb == (sa * sw).astype(np.float32)).all(), n.name
        assert ti[b.input[0]].dtype == np.int32
        biases += 1
assert biases == 5 and changed_scales > 0, (biases, changed_scales)
PY
node "$ORT_RUN" t.onnx --eval-x "$MX" --eval-y "$MY" --scale 1/255 --batch 50 --predictions ort.npy > ort.json \
  || bad "ONNX Runtime cannot run t.onnx"
o=$(top1 < ort.json)
e=$("$COMPRESSOR" eval t.onnx --data "$MX" --labels "$MY" --scale 1/255 --batch 50 --format json | top1)
a=$("$COMPRESSOR" eval t.onnx --data "$MX" --labels ort.npy --scale 1/255 --batch 50 --format json | top1)
"$PY" -c "import sys; sys.exit(0 if $a >= 0.995 else 1)" \
  && ok "ONNX Runtime loads the result: top-1 $o (edge-run $e), same top-1 on $a of the digits" \
  || bad "edge-run $e vs ORT $o: agreement $a < 0.995"

# --- a QDQ file given to compress, teacher=PATH -------------------------------------------------
"$COMPRESSOR" compress "$M" -o f.onnx --passes "fold-constants,fuse-bn" -q 2>/dev/null || bad "float baseline"
"$PY" -c "import numpy as np; np.save('small.npy', np.load('$CAL')[:200])"
"$COMPRESSOR" compress q.onnx -o u.onnx --passes "qat<teacher=f.onnx,epochs=1>" --train-data small.npy "${D[@]}" \
  --report u.json -q 2>u.log && "$PY" -c '
import json; m = [s for s in json.load(open("u.json"))["stages"] if s["name"] == "qat"][0]["metrics"]
assert m["epochs_run"] == 1 and m["train_samples"] == 180, m' && ok "QDQ file + teacher=PATH on --train-data" \
  || bad "QDQ file + teacher: $(cat u.log)"
"$COMPRESSOR" compress q.onnx -o u2.onnx --passes "qat<teacher=f.onnx,epochs=1>" --train-data small.npy "${D[@]}" \
  -q 2>/dev/null && cmp -s u.onnx u2.onnx && ok "same seed: byte-identical output" || bad "two runs differ"

# --- bad input -----------------------------------------------------------------------------------
expect_error 2 "qat: .*has no QuantizeLinear/DequantizeLinear.*quantize-static" "float model refused" -- \
  "$COMPRESSOR" compress "$M" -o x.onnx --passes qat --calib-data "$CAL" --scale 1/255 -q
expect_error 2 "qat needs training data: give --train-data" "no data" -- \
  "$COMPRESSOR" compress q.onnx -o x.onnx --passes qat -q
[ ! -e x.onnx ] && ok "nothing written on bad input" || bad "x.onnx written"
finish
