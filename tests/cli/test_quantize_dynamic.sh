#!/usr/bin/env bash
# quantize-dynamic end to end on four fixtures (weight_quant_lib.sh: checker, ONNX Runtime
# loads and runs the result, top-1 drop on the labelled eval data in edge-run and ORT,
# edge-run/ORT agreement and max logit difference, file size ratio):
#  - mlp-300-100 and transformer-tiny: MatMul/Gemm -> DynamicQuantizeLinear + MatMulInteger;
#    lenet5 also Conv -> ConvInteger; gru-tiny: GRU weights int8 through DequantizeLinear;
#  - no float weight left (int8 storage), report rows with weight SQNR, reasons for float layers;
#  - per_channel=0 and conv=0 change what they say; an already-quantized model is refused.
. "$(dirname "$0")/lib.sh"
require_ort
. "$(dirname "$0")/weight_quant_lib.sh"
cd "$WORK"

quant_fixture mlp-300-100 quantize-dynamic mlp 0.005
quant_fixture transformer-tiny quantize-dynamic tr 0.01
quant_fixture lenet5 quantize-dynamic lenet 0.005
quant_fixture gru-tiny quantize-dynamic gru 0.005

for t in mlp tr lenet gru; do
  "$COMPRESSOR" inspect $t.onnx --format json > $t.inspect.json
done
python3 - <<'PY' && ok "ops: MatMulInteger/ConvInteger/DequantizeLinear as planned, int8 weights, no float weight" || bad "model structure"
import json
def load(t): return json.load(open(t + ".inspect.json"))
for t, want, gone in [("mlp", {"MatMulInteger": 3, "DynamicQuantizeLinear": 3}, ["Gemm"]),
                      ("tr", {"MatMulInteger": 9, "DynamicQuantizeLinear": 10, "ConvInteger": 1, "MatMul": 4}, ["Gemm"]),
                      ("lenet", {"MatMulInteger": 3, "ConvInteger": 2, "DynamicQuantizeLinear": 5}, ["Gemm", "Conv"]),
                      ("gru", {"MatMulInteger": 1, "DequantizeLinear": 2, "GRU": 1}, ["Gemm"])]:
    j = load(t)
    h = j["op_histogram"]
    for op, n in want.items():
        assert h.get(op) == n, (t, op, h)
    for op in gone:
        assert op not in h, (t, op, h)
    w = j["totals"]["weight_bytes_by_dtype"]
    # float32 left: biases, scales and LayerNorm/positional parameters only
    assert w["int8"] > 3 * w.get("float32", 0) or t == "tr", (t, w)
    assert w["int8"] > 0.3 * (w["int8"] + w.get("float32", 0)), (t, w)
PY
stage_json gru quantize-dynamic > gru.stage.json
stage_json tr quantize-dynamic > tr.stage.json
python3 - <<'PY' && ok "report: rows per layer with weight SQNR/MSE, notes on activations and GRU" || bad "report rows"
import json
s = json.load(open("gru.stage.json"))
rows = {l["name"]: l for l in s["layers"]}
g = rows["/gru/GRU"]
assert g["attrs"]["precision"] == "int8 weights, float compute" and g["metrics"]["sqnr_db"] > 30, g
fc = rows["/fc/Gemm"]
assert fc["attrs"]["precision"] == "int8 dynamic" and fc["attrs"]["weights"] == "s8 per-channel symmetric", fc
assert fc["metrics"]["sqnr_db"] > 30 and fc["metrics"]["mse"] > 0, fc
assert any("DynamicQuantizeLSTM" in n for n in s["notes"]), s["notes"]
t = json.load(open("tr.stage.json"))
assert t["metrics"]["quantized_layers"] == 10 and t["metrics"]["float_layers"] == 4, t["metrics"]
# the attention products (both operands computed) stay float, with the reason
att = [l for l in t["layers"] if l["attrs"]["precision"] == "float"]
assert len(att) == 4 and all("not a constant" in l["attrs"]["reason"] for l in att), att
PY

# Options: per-tensor weights, Conv left float.
"$COMPRESSOR" compress "$F/models/lenet5.onnx" -o opt.onnx --passes "quantize-dynamic<per_channel=0,conv=0>" \
  --report opt.json -q || bad "options run"
stage_json opt quantize-dynamic > opt.stage.json
python3 - <<'PY' && ok "per_channel=0: per-tensor weights; conv=0: Conv float with the reason" || bad "options"
import json
s = json.load(open("opt.stage.json"))
rows = {l["name"]: l for l in s["layers"]}
assert rows["/conv1/Conv"]["attrs"] == {"precision": "float", "reason": "conv=false"}, rows["/conv1/Conv"]
assert rows["/fc1/Gemm"]["attrs"]["weights"] == "s8 per-tensor symmetric", rows["/fc1/Gemm"]
PY

# An already-quantized model is refused, nothing written.
expect_error 2 "already quantized .*quantize-dynamic takes a float model" "an already-quantized model is refused" -- \
  "$COMPRESSOR" compress mlp.onnx -o x.onnx --passes quantize-dynamic
[ ! -e x.onnx ] && ok "nothing written" || bad "output written after refusal"
pyonnx_skip_note
finish
