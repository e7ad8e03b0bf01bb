#!/usr/bin/env bash
# quantize-weight-only end to end (weight_quant_lib.sh: checker, ONNX Runtime loads and runs
# the result, top-1 drop in edge-run and ORT, agreement and max logit difference, size ratio):
#  - bits=4 (default) and bits=8 as com.microsoft MatMulNBits, block 32; format=qdq (int8
#    per channel through DequantizeLinear, standard ONNX) on mlp-300-100;
#  - 4-bit packed storage (uint8 codes, no float weight left), the report's rows and notes;
#  - bad options and an already-quantized model: exit 2, one line.
. "$(dirname "$0")/lib.sh"
require_ort
. "$(dirname "$0")/weight_quant_lib.sh"
cd "$WORK"

quant_fixture mlp-300-100 quantize-weight-only mlp4 0.005
r4=$Q_RATIO
quant_fixture mlp-300-100 "quantize-weight-only<bits=8>" mlp8 0.003
quant_fixture mlp-300-100 "quantize-weight-only<bits=8,format=qdq>" mlpq 0.003
quant_fixture mlp-300-100 "quantize-weight-only<symmetric=0>" mlpa 0.005
quant_fixture transformer-tiny quantize-weight-only tr4 0.01
quant_fixture lenet5 quantize-weight-only lenet4 0.005
quant_fixture gru-tiny "quantize-weight-only<block=16>" gru4 0.005
le "$r4" 0.35 && ok "mlp-300-100 4-bit file is $r4 of the float one" || bad "4-bit size ratio $r4"

wb=$(weight_bytes mlp4)
python3 - "$wb" <<'PY' && ok "4-bit codes: uint8 $wb" || bad "4-bit storage: $wb"
import sys
w = dict(kv.split("=") for kv in sys.argv[1].split())
w = {k: int(v) for k, v in w.items()}
# 266200 weights at 4 bits = 133100 bytes (plus block padding of fc1: 784 -> 800 per row)
assert 133100 <= w["uint8"] <= 137000, w
# float32: one scale per 32 weights (4 bytes) + the biases (410 values)
assert w["float32"] < 0.3 * w["uint8"], w
PY
stage_json mlp4 quantize-weight-only > mlp4.stage.json
stage_json mlpa quantize-weight-only > mlpa.stage.json
python3 - <<'PY' && ok "report: int4 rows with block, weight SQNR/MSE; asymmetric rows" || bad "report"
import json
s = json.load(open("mlp4.stage.json"))
assert [l["name"] for l in s["layers"]] == ["/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm"], s["layers"]
for l in s["layers"]:
    assert l["attrs"]["precision"] == "int4" and l["metrics"]["bits"] == 4 and l["metrics"]["block"] == 32, l
    assert 15 < l["metrics"]["sqnr_db"] < 40 and l["metrics"]["mse"] > 0, l
assert s["metrics"]["quantized_layers"] == 3 and s["metrics"]["float_layers"] == 0
assert any("MatMulNBits" in n for n in s["notes"]), s["notes"]
a = json.load(open("mlpa.stage.json"))
assert "zero point per block" in a["layers"][0]["attrs"]["weights"], a["layers"][0]
# a zero point per block fits the range better than symmetric
assert a["layers"][0]["metrics"]["sqnr_db"] > s["layers"][0]["metrics"]["sqnr_db"], (a["layers"][0], s["layers"][0])
PY

M="$F/models/mlp-300-100.onnx"
expect_error 2 "bits.*must be one of" "bits=6 refused" -- "$COMPRESSOR" compress "$M" -o x.onnx --passes "quantize-weight-only<bits=6>"
expect_error 2 "block.*must be one of" "block=48 refused" -- "$COMPRESSOR" compress "$M" -o x.onnx --passes "quantize-weight-only<block=48>"
expect_error 2 "format=qdq .* needs bits=8" "format=qdq with 4 bits refused" -- "$COMPRESSOR" compress "$M" -o x.onnx -q --passes "quantize-weight-only<format=qdq>"
expect_error 2 "already quantized .*quantize-weight-only takes a float model" "an already-quantized model is refused" -- \
  "$COMPRESSOR" compress mlp4.onnx -o x.onnx --passes quantize-weight-only
[ ! -e x.onnx ] && ok "nothing written after bad input" || bad "output written after bad input"
pyonnx_skip_note
finish
