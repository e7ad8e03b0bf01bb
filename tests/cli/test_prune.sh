#!/usr/bin/env bash
# prune-magnitude, prune-nm and sensitivity end to end:
#  - mlp-300-100 at 90 % (global, layer, sensitivity scopes): the ONNX checker passes, the share
#    of zeros over the Gemm weights is 90 % (global and sensitivity) or 90 % in each (layer),
#    biases untouched, metadata "edge.pruned" lists the weights, the per-layer rows carry
#    sparsity/params/zeros/threshold; top-1 on the MNIST eval split in edge-run and ONNX
#    Runtime (same predictions); sensitivity loses less top-1 than layer at the same total;
#  - mnist-8 (IR 3, weights listed as inputs) after fold-constants at 90 %: weight sparsity >=
#    0.88 (numpy over the Conv/MatMul weights), ONNX Runtime and edge-run give the same top-1;
#  - prune-nm 2:4 on mlp-300-100 and lenet5: the pattern holds in every pruned weight along the
#    documented axis (input channels / K), ONNX Runtime agrees with edge-run;
#  - sensitivity: per-layer curves in the JSON/Markdown/HTML report, weights unchanged;
#  - layer rules (exclude, per-layer sparsity), determinism, and bad input: sparsity outside
#    [0, 1), N > M, M = 0, scope=sensitivity without data (exit 2, one line, nothing written),
#    a rule matching no layer (warning in the report), a model with nothing to prune (exit 0).
# Needs /usr/bin/python3 with onnx and numpy, mnist-8 (../shared) and onnxruntime-node: without
# them the test is skipped (exit 77, EDGE-SKIP), or fails where EDGE_REQUIRE_ORT=1.
. "$(dirname "$0")/lib.sh"
S="$EDGE_SOURCE_DIR"
F="$S/fixtures"
PY=${EDGE_FIXTURE_PYTHON:-/usr/bin/python3}
M8="$EDGE_SHARED_DIR/models/mnist-8/model.onnx"
if [ ! -f "$M8" ]; then echo "EDGE-SKIP: $M8 not found (is ../shared there?)"; exit 77; fi
if ! "$PY" -c 'import onnx, numpy' 2>/dev/null; then echo "EDGE-SKIP: $PY cannot import onnx and numpy"; exit 77; fi
require_ort
MX="$F/data/mnist_eval_x.npy"
MY="$F/data/mnist_eval_y.npy"
CAL="$F/data/mnist_calib_x.npy"
MLP="$F/models/mlp-300-100.onnx"
cd "$WORK"
# Weights as numpy arrays, dense initializers and sparse_initializers alike (the writer stores
# mostly-zero weights sparse).
cat > edge_weights.py <<'PY'
from onnx import numpy_helper
import numpy as np
def weights(m):
    out = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    for sp in m.graph.sparse_initializer:
        dense = np.zeros(int(np.prod(sp.dims)), dtype=numpy_helper.to_array(sp.values).dtype)
        idx = numpy_helper.to_array(sp.indices)
        if idx.ndim == 2:
            idx = np.ravel_multi_index(tuple(idx.T), tuple(sp.dims))
        dense[idx] = numpy_helper.to_array(sp.values)
        out[sp.values.name] = dense.reshape(tuple(sp.dims))
    return out
PY
export PYTHONPATH="$WORK${PYTHONPATH:+:$PYTHONPATH}"

top1() { python3 -c 'import json, sys; print(json.load(sys.stdin)["top1"])'; }
edge_top1() { "$COMPRESSOR" eval "$1" --data "$MX" --labels "$2" --scale "$3" --batch 50 --format json | top1; }
ort_top1() { node "$ORT_RUN" "$1" --eval-x "$MX" --eval-y "$MY" --scale "$2" --batch 50 --predictions "$3" | top1; }
le() { python3 -c "import sys; sys.exit(0 if $1 <= $2 + 1e-9 else 1)"; }

# check_model FILE SPARSITY MODE [NAMES]: the ONNX checker passes; MODE total: zeros over the
# listed weights are SPARSITY (+-0.002); each: every listed weight is; min: the total is >= it.
check_model() {
  "$PY" - "$@" <<'PY'
import json, sys, onnx, numpy as np
from onnx import numpy_helper
from edge_weights import weights
path, s, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
m = onnx.load(path)
onnx.checker.check_model(m)
inits = weights(m)
meta = {p.key: p.value for p in m.metadata_props}
pruned = json.loads(meta["edge.pruned"])
names = sys.argv[4].split(",") if len(sys.argv) > 4 else sorted(pruned)
assert set(names) <= set(pruned), (names, pruned)
z = sum(int((inits[n] == 0).sum()) for n in names)
total = sum(inits[n].size for n in names)
# At 90 % the large weights are stored as sparse_initializers (12 bytes a non-zero float).
if s >= 0.85: assert any(sp.values.name in names for sp in m.graph.sparse_initializer), "no sparse storage"
if mode == "total": assert abs(z / total - s) <= 0.002, (z / total, s)
if mode == "min": assert z / total >= s, (z / total, s)
if mode == "each":
    for n in names: assert abs((inits[n] == 0).mean() - s) <= 0.002, (n, (inits[n] == 0).mean())
for n, a in inits.items():
    if n.endswith("bias"): assert (a != 0).all(), n
print(f"{z / total:.4f}")
PY
}

# --- compressor passes lists the prune passes with their defaults ---------------------------
"$COMPRESSOR" passes --format json | python3 -c '
import json, sys
p = {x["name"]: x for x in json.load(sys.stdin)}
d = lambda n: {o["name"]: o["default"] for o in p[n]["options"]}
assert d("prune-magnitude")["sparsity"] == "0.5" and d("prune-magnitude")["scope"] == "global", d("prune-magnitude")
assert d("prune-magnitude")["min_params"] == "128"
assert d("prune-nm") == {"n": "2", "m": "4", "min_params": "128"}, d("prune-nm")
assert d("sensitivity")["sparsities"] == "0.5,0.7,0.9" and d("sensitivity")["samples"] == "256"
assert all(p[n]["stage"] == "prune" for n in ("prune-magnitude", "prune-nm", "sensitivity"))
' && ok "compressor passes lists prune-magnitude, prune-nm, sensitivity" || bad "compressor passes"

# --- mlp-300-100 at 90 %: global, layer, sensitivity ----------------------------------------
EV=(--eval-data "$MX" --eval-labels "$MY" --scale 1/255 --batch 50)
W=fc1.weight,fc2.weight,fc3.weight
for scope in global layer sensitivity; do
  "$COMPRESSOR" compress "$MLP" -o mlp.$scope.onnx --passes "prune-magnitude<sparsity=0.9,scope=$scope>" \
    --calib-data "$CAL" "${EV[@]}" --report mlp.$scope.json --report mlp.$scope.html -q \
    && ok "mlp $scope written" || bad "mlp $scope failed"
  mode=total; [ $scope = layer ] && mode=each
  s=$(check_model mlp.$scope.onnx 0.9 $mode $W) && ok "mlp $scope: checker passes, sparsity $s ($mode), biases kept" \
    || bad "mlp $scope: sparsity/checker"
  o=$(ort_top1 mlp.$scope.onnx 1/255 ort.$scope.npy)
  e=$(edge_top1 mlp.$scope.onnx "$MY" 1/255)
  a=$(edge_top1 mlp.$scope.onnx ort.$scope.npy 1/255)
  [ "$o" = "$e" ] && le 0.999 "$a" && ok "mlp $scope: top-1 $e in edge-run and ONNX Runtime (agreement $a)" \
    || bad "mlp $scope: edge $e vs ORT $o (agreement $a)"
  eval "top1_$scope=$e"
done
python3 - <<'PY' && ok "mlp: per-layer rows (sparsity, params, zeros, threshold), totals, metadata" || bad "mlp report rows"
import json
for scope in ("global", "layer", "sensitivity"):
    r = json.load(open(f"mlp.{scope}.json"))
    s = [x for x in r["stages"] if x["name"] == "prune-magnitude"][0]
    rows = {l["name"]: l for l in s["layers"]}
    assert set(rows) == {"/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm"}, rows.keys()
    for l in rows.values():
        m = l["metrics"]
        assert {"sparsity", "zeros", "threshold"} <= set(m) and l["params"] > 0, l
        assert abs(m["zeros"] - m["sparsity"] * l["params"]) < 1
    assert abs(s["metrics"]["sparsity"] - 0.9) < 0.002, s["metrics"]
    if scope == "global":  # one threshold
        assert len({l["metrics"]["threshold"] for l in rows.values()}) == 1
    if scope == "sensitivity":
        assert len({round(l["metrics"]["sparsity"], 3) for l in rows.values()}) > 1
        assert any(k.startswith("kl@") or k.startswith("top1@") for k in rows["/fc1/Gemm"]["metrics"])
PY
base=$(edge_top1 "$MLP" "$MY" 1/255)
echo "mlp-300-100 top-1: dense $base, global $top1_global, layer $top1_layer, sensitivity $top1_sensitivity"
python3 -c "import sys; sys.exit(0 if $top1_sensitivity > $top1_layer else 1)" \
  && ok "sensitivity top-1 $top1_sensitivity > layer $top1_layer at 90 % total (dense $base)" \
  || bad "sensitivity top-1 $top1_sensitivity not above layer $top1_layer"
grep -q "Sensitivity: " mlp.sensitivity.html && grep -q "Per-layer sparsity" mlp.sensitivity.html \
  && ok "HTML: per-layer sparsity chart and sensitivity curves" || bad "HTML charts"

# --- mnist-8 (IR 3) at 90 % after fold-constants --------------------------------------------
"$COMPRESSOR" compress "$M8" -o m8.onnx --passes "fold-constants,prune-magnitude<sparsity=0.9>" --report m8.json -q \
  && ok "mnist-8 pruned" || bad "mnist-8 failed"
s=$(check_model m8.onnx 0.88 min) && ok "mnist-8: checker passes, weight sparsity $s >= 0.88" || bad "mnist-8 sparsity"
python3 -c '
import json; r = json.load(open("m8.json"))
assert r["result"]["sparsity"] >= 0.88, r["result"]
rows = [l["name"] for l in r["stages"][1]["layers"]]
assert rows == ["Convolution28", "Convolution110", "Times212"], rows
' && ok "mnist-8: the report measures the sparsity, three layers pruned" || bad "mnist-8 report"
o=$(ort_top1 m8.onnx 1 ort.m8.npy)
e=$(edge_top1 m8.onnx "$MY" 1)
a=$(edge_top1 m8.onnx ort.m8.npy 1)
[ "$o" = "$e" ] && le 0.999 "$a" && ok "mnist-8: top-1 $e in edge-run and ONNX Runtime (agreement $a)" \
  || bad "mnist-8: edge $e vs ORT $o (agreement $a)"

# --- prune-nm 2:4 ----------------------------------------------------------------------------
"$COMPRESSOR" compress "$MLP" -o mlp.nm.onnx --passes "prune-nm" --report mlp.nm.json -q || bad "mlp nm failed"
"$COMPRESSOR" compress "$F/models/lenet5.onnx" -o lenet.nm.onnx --passes "prune-nm<n=1,m=2>" --report lenet.nm.json -q \
  || bad "lenet nm failed"
"$PY" - <<'PY' && ok "N:M pattern holds in every pruned weight (Gemm K, Conv input channels)" || bad "N:M pattern"
import json, onnx, numpy as np
from onnx import numpy_helper
from edge_weights import weights
for path, n, m in (("mlp.nm.onnx", 2, 4), ("lenet.nm.onnx", 1, 2)):
    g = onnx.load(path)
    onnx.checker.check_model(g)
    inits = weights(g)
    pruned = json.loads({p.key: p.value for p in g.metadata_props}["edge.pruned"])
    assert pruned and set(pruned.values()) == {f"nm:{n}:{m}"}, pruned
    for node in g.graph.node:
        if len(node.input) < 2 or node.input[1] not in pruned: continue
        w = inits[node.input[1]]
        if node.op_type == "Conv":    # [M, C, kh, kw]: groups along C
            v = np.moveaxis(w, 1, -1)
        else:                         # Gemm transB=1 [N, K]: groups along K
            assert node.op_type == "Gemm" and any(a.name == "transB" and a.i == 1 for a in node.attribute)
            v = w
        groups = v.reshape(-1, m)
        assert ((groups != 0).sum(axis=1) <= n).all(), node.name
        assert abs((w == 0).mean() - (1 - n / m)) < 0.01, (node.name, (w == 0).mean())
    if path.startswith("lenet"):  # conv1 has one input channel: left dense
        assert "conv1.weight" not in pruned and "conv2.weight" in pruned, pruned
PY
grep -q "not a multiple of m=2" lenet.nm.json && ok "lenet5 conv1 (1 input channel) left dense with a note" || bad "conv1 note"
for m in mlp.nm lenet.nm; do
  o=$(ort_top1 $m.onnx 1/255 ort.$m.npy)
  a=$(edge_top1 $m.onnx ort.$m.npy 1/255)
  le 0.999 "$a" && ok "$m: ONNX Runtime agrees with edge-run on $a (ORT top-1 $o)" || bad "$m: agreement $a"
done

# --- sensitivity: analysis only ---------------------------------------------------------------
"$COMPRESSOR" compress "$MLP" -o mlp.sens.onnx --passes "sensitivity<sparsities=0.5,0.7,0.9,samples=200>" "${EV[@]}" \
  --report sens.json --report sens.md --report sens.html -q || bad "sensitivity failed"
"$PY" - <<'PY' && ok "sensitivity: curves per layer (top1/dloss/agree at 0.5, 0.7, 0.9), weights unchanged" || bad "sensitivity report"
import json, onnx
from onnx import numpy_helper
from edge_weights import weights
r = json.load(open("sens.json"))
s = r["stages"][0]
assert len(s["layers"]) == 3 and s["metrics"]["sensitivity_samples"] == 200, s["metrics"]
for l in s["layers"]:
    for x in ("0.5", "0.7", "0.9"):
        assert {f"top1@{x}", f"dloss@{x}", f"agree@{x}"} <= set(l["metrics"]), l
    assert l["metrics"]["top1@0.9"] <= l["metrics"]["top1@0.5"] + 0.02, l
a = weights(onnx.load("mlp.sens.onnx"))
assert all((v != 0).all() for k, v in a.items() if k.endswith("weight")), "weights changed"
PY
grep -q "top1@0.5" sens.md && grep -q "Sensitivity: top1" sens.html && ok "sensitivity table in Markdown, curves in HTML" \
  || bad "sensitivity Markdown/HTML"

# --- layer rules, determinism -----------------------------------------------------------------
cat > r.yaml <<YAML
pipeline:
  - prune-magnitude: {sparsity: 0.8}
layers:
  - {match: /fc3/Gemm, exclude: true}
  - {match: /fc2/Gemm, sparsity: 0.5}
  - {match: nothing-matches-this, exclude: true}
YAML
"$COMPRESSOR" compress "$MLP" -o rules.onnx --recipe r.yaml --report rules.json -q || bad "recipe failed"
"$PY" - <<'PY' && ok "rules: fc3 excluded, fc2 at 0.5, total 0.8 over fc1+fc2; unmatched rule warned" || bad "layer rules"
import json, onnx, numpy as np
from onnx import numpy_helper
from edge_weights import weights
i = weights(onnx.load("rules.onnx"))
assert (i["fc3.weight"] != 0).all()
assert abs((i["fc2.weight"] == 0).mean() - 0.5) < 0.001
z = (i["fc1.weight"] == 0).sum() + (i["fc2.weight"] == 0).sum()
assert abs(z / (i["fc1.weight"].size + i["fc2.weight"].size) - 0.8) < 0.001
r = json.load(open("rules.json"))
assert any("nothing-matches-this" in n and "matches no layer" in n for n in r["notes"]), r["notes"]
assert any("excluded by a layer rule" in n for n in r["stages"][0]["notes"])
PY
"$COMPRESSOR" compress "$MLP" -o again.onnx --recipe r.yaml -q && cmp -s rules.onnx again.onnx \
  && ok "same recipe, same bytes" || bad "not deterministic"

# --- bad input ---------------------------------------------------------------------------------
for opt in "sparsity=1" "sparsity=-0.1" "sparsity=1.5"; do
  expect_error 2 "sparsity.*\[0, 1\)" "prune-magnitude<$opt> refused" -- \
    "$COMPRESSOR" compress "$MLP" -o bad.onnx --passes "prune-magnitude<$opt>"
done
expect_error 2 "N must not exceed M" "prune-nm<n=5,m=4> refused" -- "$COMPRESSOR" compress "$MLP" -o bad.onnx --passes "prune-nm<n=5,m=4>" -q
expect_error 2 "option 'm'.*\[1, 64\]" "prune-nm<m=0> refused" -- "$COMPRESSOR" compress "$MLP" -o bad.onnx --passes "prune-nm<m=0>"
expect_error 2 "needs data" "scope=sensitivity without data refused" -- \
  "$COMPRESSOR" compress "$MLP" -o bad.onnx --passes "prune-magnitude<scope=sensitivity>" -q
expect_error 2 "not a sparsity in \[0, 1\)" "sensitivity<sparsities=0.5,1> refused" -- \
  "$COMPRESSOR" compress "$MLP" -o bad.onnx --passes "sensitivity<sparsities=0.5,1>" --calib-data "$CAL" --scale 1/255 -q
[ ! -e bad.onnx ] && ok "nothing written on bad input" || bad "bad.onnx written"
cat > add.txt <<'TXT'
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y)
<float[4] b = {1.0, 2.0, 3.0, 4.0}>
{
  y = Add(x, b)
}
TXT
"$TEXT2ONNX" add.onnx < add.txt
"$COMPRESSOR" compress add.onnx -o add.out.onnx --passes prune-magnitude --report add.json -q \
  && grep -q "nothing to prune" add.json && ok "no prunable layer: exit 0, note in the report" || bad "no prunable layer"
finish
