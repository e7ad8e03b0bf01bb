#!/usr/bin/env bash
# Unnamed nodes get stable generated names at load: inspect, profiles, layer rules and reports
# all use them; a layer rule that matches no node is a warning in the report.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
w=$(python3 -c "print(', '.join(str((i % 5) / 10 - 0.2) for i in range(36)))")
cat > m.txt <<TXT
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 2, 6, 6] x) => (float[1, 2, 6, 6] y)
<float[2, 2, 3, 3] w1 = {$w}, float[2, 2, 3, 3] w2 = {$w}, float[2] s = {1, 2}, float[2] b = {0.5, -0.5},
 float[2] mu = {0.1, 0.2}, float[2] var = {1, 2}>
{
  c1 = Conv<pads = [1, 1, 1, 1]>(x, w1)
  n1 = BatchNormalization(c1, s, b, mu, var)
  c2 = Conv<pads = [1, 1, 1, 1]>(n1, w2)
  y = BatchNormalization(c2, s, b, mu, var)
}
TXT
"$TEXT2ONNX" m.onnx < m.txt || exit 1
"$COMPRESSOR" inspect m.onnx | grep -q "^Conv_0 " && "$COMPRESSOR" inspect m.onnx | grep -q "^BatchNormalization_3 " &&
  ok "inspect shows generated names" || bad "inspect names: $("$COMPRESSOR" inspect m.onnx | head -20)"
"$EDGE_RUN" bench m.onnx --runs 3 --profile --no-fuse | grep -q "Conv_2 " && ok "profile shows generated names" ||
  bad "profile names"
cat > r.yaml <<'YAML'
version: 1
pipeline: [fuse-bn]
layers:
  - {match: Conv_0, exclude: true}
  - {match: conv_typo, exclude: true}
YAML
"$COMPRESSOR" compress m.onnx -o a.onnx --recipe r.yaml --report a.json -q 2>err.txt
[ $? -eq 0 ] && ok "recipe with generated names exits 0" || bad "exit: $(cat err.txt)"
python3 - <<'PY' && ok "rule on Conv_0 keeps its BatchNormalization; the typo rule is reported" || bad "report: $(head -c 1500 a.json)"
import json
r = json.load(open("a.json"))
assert r["stages"][0]["metrics"]["fused_bn"] == 1, r["stages"][0]
assert [l["name"] for l in r["stages"][0]["layers"]] == ["Conv_2"], r["stages"][0]["layers"]
assert any("conv_typo" in n and "matches no layer" in n for n in r["notes"]), r["notes"]
PY
grep -q "conv_typo.*matches no layer" err.txt && ok "warning on stderr" || bad "no warning on stderr: $(cat err.txt)"

# Weights inside If branches: inspect counts their params and MACs and lists them per branch.
cat > sub.txt <<'TXT'
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 3] x, bool c) => (float[1, 2] y)
{
  y = If(c) <then_branch = t () => (float[1, 2] r) <float[3, 2] wt = {1, 2, 3, 4, 5, 6}> { r = MatMul(x, wt) },
             else_branch = e () => (float[1, 2] r) <float[3, 2] we = {6, 5, 4, 3, 2, 1}, float[2] be = {1, 1}>
               { m = MatMul(x, we)  r = Add(m, be) }>
}
TXT
"$TEXT2ONNX" sub.onnx < sub.txt || exit 1
"$COMPRESSOR" inspect sub.onnx --format json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["totals"]["params"] == 14, j["totals"]
assert j["totals"]["initializers"] == 3, j["totals"]
names = {l["name"]: l for l in j["layers"]}
assert names["If_0/then_branch/MatMul_0"]["params"] == 6 and names["If_0/then_branch/MatMul_0"]["macs"] == 6, names
assert names["If_0/else_branch/MatMul_0"]["graph"] == "If_0/else_branch", names
assert any("If/Loop/Scan bodies" in n for n in j["notes"]), j["notes"]
' && ok "inspect counts weights and MACs inside If branches, per branch" || bad "subgraph weights: $("$COMPRESSOR" inspect sub.onnx)"
"$COMPRESSOR" inspect "$EDGE_SOURCE_DIR/fixtures/models/resnet8.onnx" | grep -q "^/layer2/shortcut/shortcut.1/BatchNormalization " &&
  ok "inspect does not cut long layer names" || bad "long layer names cut"
finish
