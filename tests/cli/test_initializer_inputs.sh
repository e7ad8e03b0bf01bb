#!/usr/bin/env bash
# Weights listed as graph inputs (older exporters, keep_initializers_as_inputs): fuse-bn and
# fold-constants say why they leave such nodes; remove-initializer-inputs makes the weights
# constants, after which every BatchNormalization folds and the result matches the original
# in edge-run and ONNX Runtime.
. "$(dirname "$0")/lib.sh"
require_ort
cd "$WORK"

w() { python3 -c "import random; random.seed($1); print(', '.join(f'{random.uniform(-1, 1):.4f}' for _ in range($2)))"; }
v() { python3 -c "import random; random.seed($1); print(', '.join(f'{random.uniform(0.5, 1.5):.4f}' for _ in range($2)))"; }
cat > m.txt <<TXT
<ir_version: 7, opset_import: ["" : 13]>
g (float[1, 2, 8, 8] x, float[4, 2, 3, 3] c1_w, float[4] bn1_s, float[4] bn1_b, float[4] bn1_m, float[4] bn1_v,
   float[4, 4, 3, 3] c2_w, float[4] c2_b, float[4] bn2_s, float[4] bn2_b, float[4] bn2_m, float[4] bn2_v,
   float[2] shape_src) => (float[1, 4, 8, 8] y)
<float[4, 2, 3, 3] c1_w = {$(w 1 72)}, float[4] bn1_s = {$(v 2 4)}, float[4] bn1_b = {$(w 3 4)},
 float[4] bn1_m = {$(w 4 4)}, float[4] bn1_v = {$(v 5 4)}, float[4, 4, 3, 3] c2_w = {$(w 6 144)},
 float[4] c2_b = {$(w 7 4)}, float[4] bn2_s = {$(v 8 4)}, float[4] bn2_b = {$(w 9 4)}, float[4] bn2_m = {$(w 10 4)},
 float[4] bn2_v = {$(v 11 4)}, float[2] shape_src = {1, 2}>
{
  a = Conv<pads = [1, 1, 1, 1]>(x, c1_w)
  b = BatchNormalization(a, bn1_s, bn1_b, bn1_m, bn1_v)
  c = Relu(b)
  d = Conv<pads = [1, 1, 1, 1]>(c, c2_w, c2_b)
  e = BatchNormalization(d, bn2_s, bn2_b, bn2_m, bn2_v)
  k = ReduceSum<keepdims = 0>(shape_src)
  y = Add(e, k)
}
TXT
"$TEXT2ONNX" m.onnx < m.txt || exit 1
"$EDGE_RUN" run m.onnx --random --seed 1 --save-test-data ref >/dev/null || exit 1

"$COMPRESSOR" compress m.onnx -o a.onnx --passes fold-constants,fuse-bn --report a.json -q 2>a.err
[ $? -eq 0 ] && ok "cleanup on weights-as-inputs exits 0" || bad "cleanup exit ($(cat a.err))"
python3 - <<'PY' && ok "fuse-bn and fold-constants say why they left nodes" || bad "no reason in the report: $(cat a.json | head -c 2000)"
import json
r = json.load(open("a.json"))
st = {s["name"]: s for s in r["stages"]}
assert st["fuse-bn"]["metrics"]["fused_bn"] == 0
assert any("remove-initializer-inputs" in n and "2 BatchNormalization" in n for n in st["fuse-bn"]["notes"]), st["fuse-bn"]["notes"]
assert any("remove-initializer-inputs" in n for n in st["fold-constants"]["notes"]), st["fold-constants"]["notes"]
PY

"$COMPRESSOR" compress m.onnx -o b.onnx --passes remove-initializer-inputs,fold-constants,fuse-bn,eliminate-dead \
  --report b.json -q 2>b.err
[ $? -eq 0 ] && ok "remove-initializer-inputs pipeline exits 0" || bad "pipeline exit ($(cat b.err))"
python3 - <<'PY' && ok "every BatchNormalization folded, ReduceSum folded, one graph input left" || bad "b.json: $(head -c 1500 b.json)"
import json
r = json.load(open("b.json"))
st = {s["name"]: s for s in r["stages"]}
assert st["remove-initializer-inputs"]["metrics"]["removed_inputs"] == 12, st["remove-initializer-inputs"]
assert st["fuse-bn"]["metrics"]["fused_bn"] == 2
assert st["fold-constants"]["metrics"]["folded_nodes"] == 1
PY
"$COMPRESSOR" inspect b.onnx --format json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert [i["name"] for i in j["inputs"]] == ["x"], j["inputs"]
assert "BatchNormalization" not in j["op_histogram"]' && ok "inspect: inputs [x], no BatchNormalization" || bad "inspect b.onnx"
"$EDGE_RUN" check b.onnx ref/test_data_set_0 >check.log 2>&1 && ok "edge-run: folded model matches the original" ||
  bad "edge-run check: $(tail -2 check.log)"
node "$ORT_RUN" b.onnx --input ref/test_data_set_0/input_0.pb -o ort >ort.log 2>&1 || bad "ORT cannot run b.onnx: $(tail -1 ort.log)"
node "$NPY_TOOL" compare ref/test_data_set_0/output_0.pb ort/output_0.npy --rtol 1e-4 --atol 1e-5 >/dev/null &&
  ok "ONNX Runtime: folded model matches the original" || bad "ORT output differs"

# IR 3 (every initializer must be listed as an input): the model is raised to IR 4.
sed 's/ir_version: 7/ir_version: 3/; s/opset_import: \["" : 13\]/opset_import: ["" : 8]/' m.txt |
  sed 's/ReduceSum<keepdims = 0>(shape_src)/ReduceSum<keepdims = 0, axes = [0]>(shape_src)/' > m3.txt
"$TEXT2ONNX" m3.onnx < m3.txt && "$COMPRESSOR" compress m3.onnx -o c.onnx --passes remove-initializer-inputs -q &&
  "$COMPRESSOR" inspect c.onnx | grep -q "IR version: 4" && ok "IR 3 model raised to IR 4 without listed initializers" ||
  bad "IR 3 model"
expect_error 2 "keep= needs IR version >= 4" "keep= on an IR 3 model" -- \
  "$COMPRESSOR" compress m3.onnx -o d.onnx -q --passes "remove-initializer-inputs<keep=c1_w>"
"$COMPRESSOR" compress m.onnx -o e.onnx --passes "remove-initializer-inputs<keep=c1_w>" --report e.json -q &&
  python3 -c 'import json; r=json.load(open("e.json")); assert r["stages"][0]["metrics"]["removed_inputs"] == 11' &&
  ok "keep= leaves the named input overridable" || bad "keep="
finish
