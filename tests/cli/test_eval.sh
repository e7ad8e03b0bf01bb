#!/usr/bin/env bash
# compressor eval: accuracy with labels, agreement with a reference, JSON fields, and one-line
# errors (exit 2) for a label/sample count mismatch, a wrong sample shape and unreadable data.
. "$(dirname "$0")/lib.sh"
cd "$WORK"

cat > add.txt <<'M'
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 3] x) => (float[N, 3] y) <float[3] b = {0.0, 0.0, 0.0}> { y = Add(x, b) }
M
sed 's/{0.0, 0.0, 0.0}/{0.0, 0.0, 4.0}/; s/float\[N, 3\]/float[1, 3]/g' add.txt > biased.txt
sed 's/float\[N, 3\]/float[N, 5]/g; s/float\[3\] b = {0.0, 0.0, 0.0}/float[5] b = {0.0, 0.0, 0.0, 0.0, 0.0}/' add.txt > wide.txt
for m in add biased wide; do "$TEXT2ONNX" $m.onnx < $m.txt || exit 1; done

python3 - <<'PY'
import struct
def npy(path, descr, shape, payload):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload)
x = [5, 1, 0, 0, 3, 1, 1, 0, 9, 2, 1, 1, 0, 0, 1]           # argmax 0, 1, 2, 0, 2
npy("x.npy", "<f4", "(5, 3)", struct.pack("<15f", *x))
npy("y.npy", "<i8", "(5,)", struct.pack("<5q", 0, 1, 2, 1, 2))  # 4 of 5 right
npy("y4.npy", "<i8", "(4,)", struct.pack("<4q", 0, 1, 2, 1))
# idx labels (MNIST layout): magic 0 0 8 1, count, bytes
with open("labels-idx1-ubyte", "wb") as f:
    f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 5) + bytes([0, 1, 2, 1, 2]))
PY
printf 'garbage' > bad.npy

out=$("$COMPRESSOR" eval add.onnx --data x.npy --labels y.npy --batch 2)
echo "$out" | grep -q "top-1: *80.00%" && ok "text top-1" || bad "text top-1: $out"

json=$("$COMPRESSOR" eval add.onnx --data x.npy --labels labels-idx1-ubyte --reference biased.onnx --format json)
check_json() {
  printf '%s' "$json" | python3 -c "
import json, sys
j = json.load(sys.stdin)
for k in ('samples', 'top1', 'agreement_top1', 'cosine', 'max_abs_error', 'mean_abs_error', 'throughput'):
    assert k in j, k
assert j['samples'] == 5, j['samples']
assert abs(j['top1'] - 0.8) < 1e-9, j['top1']
assert abs(j['agreement_top1'] - 0.6) < 1e-9, j['agreement_top1']
assert 0 < j['cosine'] < 1 and abs(j['max_abs_error'] - 4) < 1e-6
assert j['top5'] is None
"
}
check_json && ok "json fields" || bad "json fields: $json"

json=$("$COMPRESSOR" eval add.onnx --data x.npy --reference add.onnx --limit 3 --format json)
printf '%s' "$json" | python3 -c "
import json, sys
j = json.load(sys.stdin)
assert j['samples'] == 3 and j['top1'] is None and j['agreement_top1'] == 1.0 and abs(j['cosine'] - 1) < 1e-12
" && ok "self agreement with --limit" || bad "self agreement: $json"

expect_error 2 "y4\.npy has 4 labels.*x\.npy has 5 samples" "label/input count mismatch" -- \
  "$COMPRESSOR" eval add.onnx --data x.npy --labels y4.npy
expect_error 2 "x\.npy.*does not fit model input 'x'" "wrong sample shape" -- "$COMPRESSOR" eval wide.onnx --data x.npy
expect_error 2 "bad\.npy.*bad magic" "unreadable data file" -- "$COMPRESSOR" eval add.onnx --data bad.npy
expect_error 2 "nope\.npy.*no such" "missing data file" -- "$COMPRESSOR" eval add.onnx --data nope.npy
expect_error 2 "--data" "--data is required" -- "$COMPRESSOR" eval add.onnx
expect_error 2 "--layout 'chw'" "bad --layout" -- "$COMPRESSOR" eval add.onnx --data x.npy --layout chw
expect_error 2 "--mean has 2 values" "mean/channel mismatch" -- "$COMPRESSOR" eval add.onnx --data x.npy --mean 1,2 --layout nhwc

finish
