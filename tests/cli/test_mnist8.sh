#!/usr/bin/env bash
# mnist-8 from shared/: edge-run check passes on its three reference sets, fails on a wrong one.
. "$(dirname "$0")/lib.sh"
M="$EDGE_SHARED_DIR/models/mnist-8"
if [ ! -f "$M/model.onnx" ]; then echo "$M/model.onnx not found (is ../shared there?): skipped"; exit 77; fi

out=$("$EDGE_RUN" check "$M/model.onnx" "$M" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] && ok "check passes on mnist-8 reference sets" || bad "check failed (rc $rc)"
echo "$out" | grep -q "^3 passed, 0 failed" && ok "three sets checked" || bad "expected 3 passed"

mkdir -p "$WORK/wrong"
cp "$M/test_data_set_0/input_0.pb" "$WORK/wrong/input_0.pb"
cp "$M/test_data_set_1/output_0.pb" "$WORK/wrong/output_0.pb"
"$EDGE_RUN" check "$M/model.onnx" "$WORK/wrong" >/dev/null 2>&1
[ $? -eq 1 ] && ok "mismatch gives exit 1" || bad "mismatch did not give exit 1"

json=$("$COMPRESSOR" inspect "$M/model.onnx" --format json)
echo "$json" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["schema"] == "edge.inspect/1"
assert j["totals"]["params"] == 5998, j["totals"]
assert j["inputs"][0]["shape"] == ["1", "1", "28", "28"]
assert sum(j["op_histogram"].values()) == 12
conv = [l for l in j["layers"] if l["op"] == "Conv"]
assert conv[0]["macs"] == 8 * 28 * 28 * 25, conv[0]
' && ok "inspect json" || bad "inspect json"

bench=$("$EDGE_RUN" bench "$M/model.onnx" --runs 5 --warmup 1 --format json --profile)
echo "$bench" | python3 -c '
import json, sys
j = json.load(sys.stdin)
l = j["latency_ms"]
assert l["min"] <= l["median"] <= l["p90"] <= l["p99"] <= l["max"]
assert j["runs"] == 5 and j["peak_rss_mb"] > 0
assert {r["op"] for r in j["profile"]["by_op_type"]} >= {"Conv", "MaxPool", "MatMul"}
' && ok "bench json" || bad "bench json"
# Accuracy on the committed MNIST evaluation set, with mnist-8's expected scaling (raw 0..255).
F="$EDGE_SOURCE_DIR/fixtures/data"
"$COMPRESSOR" eval "$M/model.onnx" --data "$F/mnist_eval_x.npy" --labels "$F/mnist_eval_y.npy" --scale 1 --format json \
  | python3 -c 'import json, sys; j = json.load(sys.stdin); assert j["samples"] == 2000 and j["top1"] >= 0.98, j' \
  && ok "mnist-8 top-1 >= 0.98 on fixtures/data/mnist_eval (pixels 0..255)" || bad "mnist-8 accuracy"
finish
