#!/usr/bin/env bash
# Dynamic input dims: the check after every stage runs with --shape (or recipe shapes:, or the
# shapes of the given data); a model that fails that check before any stage is bad input
# (exit 2, naming the problem), not a stage's fault; --dry-run runs the check too.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
w=$(python3 -c "print(', '.join(str((i % 7) / 10 - 0.3) for i in range(40)))")
cat > dyn.txt <<TXT
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 1, n] audio) => (float[1, 8, m] y)
<float[8, 1, 5] w = {$w}>
{
  c = Conv(audio, w)
  y = Relu(c)
}
TXT
"$TEXT2ONNX" dyn.onnx < dyn.txt || exit 1
CLEAN="fold-constants,eliminate-dead"

expect_error 2 "dyn.onnx: fails the check run after every stage .*--shape NAME:DIMS" \
  "dynamic dims as 1 do not fit: bad input, not a stage's fault" -- "$COMPRESSOR" compress dyn.onnx -o a.onnx -q --passes "$CLEAN"
[ ! -e a.onnx ] && ok "nothing written" || bad "a.onnx written"
expect_error 2 "fails the check run after every stage" "--dry-run runs the check" -- \
  "$COMPRESSOR" compress dyn.onnx -o a.onnx -q --passes "$CLEAN" --dry-run
"$COMPRESSOR" compress dyn.onnx -o b.onnx -q --passes "$CLEAN" --shape audio:1x1x64 && [ -s b.onnx ] &&
  ok "--shape audio:1x1x64: compress exits 0" || bad "--shape"
"$COMPRESSOR" compress dyn.onnx -o b2.onnx -q --passes "$CLEAN" --shape audio:1x1x64 --dry-run &&
  ok "--dry-run with --shape exits 0" || bad "dry run with --shape"
cat > r.yaml <<'YAML'
version: 1
pipeline: [fold-constants, eliminate-dead]
shapes: {audio: 1x1x32}
YAML
"$COMPRESSOR" compress dyn.onnx -o c.onnx -q --recipe r.yaml && ok "recipe shapes:" || bad "recipe shapes:"
printf 'version: 1\npipeline: [fold-constants]\nshapes: {audio: [1, 1, 32]}\n' > r2.yaml
"$COMPRESSOR" compress dyn.onnx -o c2.onnx -q --recipe r2.yaml && ok "recipe shapes: as a list" || bad "recipe list shape"
printf 'version: 1\npipeline: [fold-constants]\nshapes: {audio: 1xq}\n' > bad.yaml
expect_error 2 "shapes.audio: '1xq' is not a shape" "bad recipe shape" -- "$COMPRESSOR" compress dyn.onnx -o d.onnx -q --recipe bad.yaml
expect_error 2 "given twice" "duplicate --shape" -- \
  "$COMPRESSOR" compress dyn.onnx -o d.onnx -q --passes "$CLEAN" --shape audio:1x1x8 --shape audio:1x1x9
# With data, the check runs on the data's shapes: no --shape needed.
python3 - <<'PY'
import struct
n, length = 4, 48
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 1, %d), }" % (n, length)
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
with open("x.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    f.write(struct.pack("<%df" % (n * length), *[(i % 13) / 13.0 for i in range(n * length)]))
PY
"$COMPRESSOR" compress dyn.onnx -o e.onnx -q --passes "$CLEAN" --eval-data x.npy && ok "data shapes used for the check" ||
  bad "check with data shapes"
"$COMPRESSOR" eval e.onnx --data x.npy --reference dyn.onnx --shape audio:1x1x48 -f json > ev.json &&
  python3 -c 'import json; j=json.load(open("ev.json")); assert j["agreement_top1"] == 1.0, j' &&
  ok "eval --shape" || bad "eval --shape: $(head -c 400 ev.json)"
# Image folders are preprocessed by compress as by eval: 32x32 PGMs resized to lenet5's 28x28.
python3 - <<'PY'
import os
for cls in ["a", "b"]:
    os.makedirs(f"imgs/{cls}", exist_ok=True)
    for k in range(3):
        data = bytes(((x * 7 + y * 3 + k * 11 + (0 if cls == "a" else 100)) % 256) for y in range(32) for x in range(32))
        open(f"imgs/{cls}/{k}.pgm", "wb").write(b"P5\n32 32\n255\n" + data)
PY
"$COMPRESSOR" compress "$EDGE_SOURCE_DIR/fixtures/models/lenet5.onnx" -o l5.onnx -q --passes fold-constants \
  --eval-data imgs --scale 1/255 --report l5.json 2>l5.err &&
  python3 -c 'import json; r=json.load(open("l5.json")); assert r["original"]["top1"] is not None' &&
  ok "compress resizes image folders to the model input like eval" || bad "image folder in compress: $(cat l5.err)"
finish
