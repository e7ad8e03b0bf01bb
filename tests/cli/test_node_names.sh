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
assert any("conv_typo" in n and "matches no node" in n for n in r["notes"]), r["notes"]
PY
grep -q "conv_typo.*matches no node" err.txt && ok "warning on stderr" || bad "no warning on stderr: $(cat err.txt)"
finish
