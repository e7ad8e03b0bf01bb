#!/usr/bin/env bash
# Bad input: one line on stderr naming the file/node/op, exit 2, no output written.
. "$(dirname "$0")/lib.sh"
cd "$WORK"

cat > good.txt <<'M'
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 4] x) => (float[1, 4] y) <float[4] b = {1.0, -2.0, 3.0, -4.0}> { t = Add(x, b)  y = Relu(t) }
M
"$TEXT2ONNX" good.onnx < good.txt || exit 1
sed 's/Relu/Frobnicate/' good.txt > unsupported.txt
"$TEXT2ONNX" --raw unsupported.onnx < unsupported.txt || exit 1
head -c 40 good.onnx > truncated.onnx
: > empty.onnx
printf '\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01garbage' > corrupt.onnx
mkdir adir.onnx

for cmd in "$EDGE_RUN run --random" "$EDGE_RUN bench --runs 1" "$COMPRESSOR inspect"; do
  tool=$(basename "${cmd%% *}")
  expect_error 2 "truncated\.onnx.*(protobuf|checker)" "$tool truncated" -- $cmd truncated.onnx
  expect_error 2 "empty\.onnx.*empty" "$tool empty file" -- $cmd empty.onnx
  expect_error 2 "corrupt\.onnx" "$tool corrupt protobuf" -- $cmd corrupt.onnx
  expect_error 2 "adir\.onnx.*directory" "$tool directory" -- $cmd adir.onnx
  expect_error 2 "missing\.onnx.*no such file" "$tool missing file" -- $cmd missing.onnx
done
expect_error 2 "Frobnicate" "unsupported op named" -- "$EDGE_RUN" run --random unsupported.onnx

# Inputs with the wrong dtype or shape.
python3 - <<'PY'
import struct
def npy(path, descr, shape, payload):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload)
npy("x_int.npy", "<i8", "(1, 4)", b"\0" * 32)
npy("x_shape.npy", "<f4", "(1, 5)", b"\0" * 20)
npy("x_ok.npy", "<f4", "(1, 4)", b"\0" * 16)
PY
expect_error 2 "input 'x'.*int64" "input with wrong dtype" -- "$EDGE_RUN" run good.onnx --input x=x_int.npy -o out1
[ ! -e out1 ] && ok "no output dir after failure" || bad "output dir created after failure"
expect_error 2 "input 'x'.*1x5" "input with wrong shape" -- "$EDGE_RUN" run good.onnx --input x=x_shape.npy
expect_error 2 "no such file" "missing input file" -- "$EDGE_RUN" run good.onnx --input x=nope.npy
expect_error 2 "--shape" "bad --shape spec" -- "$EDGE_RUN" run good.onnx --random --shape x:1xQ
expect_error 2 "." "unknown flag" -- "$EDGE_RUN" run good.onnx --frobnicate

if "$EDGE_RUN" run good.onnx --input x=x_ok.npy -o out2 >/dev/null; then ok "good run"; else bad "good run"; fi
[ -f out2/output_0.pb ] && ok "output written" || bad "output_0.pb missing"

# Typos get the nearest valid name.
expect_error 2 "unknown command 'compres' \(did you mean 'compress'\?\)" "mistyped command" -- "$COMPRESSOR" compres good.onnx
expect_error 2 "unknown option '--pases' for 'compress' \(did you mean '--passes'\?\)" "mistyped option" -- \
  "$COMPRESSOR" compress good.onnx -o t.onnx --pases fold-constants
expect_error 2 "unknown command 'bnech' \(did you mean 'bench'\?\)" "mistyped edge-run command" -- "$EDGE_RUN" bnech good.onnx
expect_error 2 "unknown option '--randon' for 'run' \(did you mean '--random'\?\)" "mistyped edge-run option" -- \
  "$EDGE_RUN" run good.onnx --randon
expect_error 2 "'--max-tensor-mb' goes before the command" "global option after the command" -- \
  "$EDGE_RUN" run good.onnx --random --max-tensor-mb 10
# A shape chain asking for more memory than the budget: each tensor is under the per-tensor cap,
# together they are not (a 64 Mi-float ConstantOfShape, then Concat doubles it).
cat > big.txt <<'M'
<ir_version: 8, opset_import: ["" : 13]>
g (float[1] x) => (float[134217728] y) <int64[1] n = {67108864}> {
  a = ConstantOfShape(n)
  b = Add(a, x)
  y = Concat<axis = 0>(a, b)
}
M
"$TEXT2ONNX" big.onnx < big.txt || exit 1
expect_error 2 "budget of 256 MiB \(--max-memory-mb\)" "total tensor memory above --max-memory-mb" -- \
  "$EDGE_RUN" --max-memory-mb 256 run big.onnx --random -o big_out
[ ! -e big_out ] && ok "no output after the memory budget stops a run" || bad "output written past the budget"
expect_error 2 "budget of 256 MiB" "compressor honours --max-memory-mb" -- \
  "$COMPRESSOR" --max-memory-mb 256 compress big.onnx -o big2.onnx --passes fold-constants
[ ! -e big2.onnx ] && ok "no model written past the budget" || bad "model written past the budget"
# Papercuts: ranges of the gates, unused data, ignored --batch, a bad --reference named as such.
python3 -c "
import struct
hdr = \"{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }\"
hdr += ' ' * (63 - (10 + len(hdr)) % 64) + '\\n'
open('x6.npy', 'wb').write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(hdr)) + hdr.encode() + struct.pack('<24f', *range(24)))
"
expect_error 2 "min-agreement.*1.5" "--min-agreement outside [0,1]" -- \
  "$COMPRESSOR" compress good.onnx -o g1.onnx --passes fold-constants --eval-data x6.npy --min-agreement 1.5
printf 'version: 1\npipeline: [fold-constants]\ngates: {min-agreement: 2}\n' > ma.yaml
expect_error 2 "gates.min-agreement must be between 0 and 1" "recipe min-agreement outside [0,1]" -- \
  "$COMPRESSOR" compress good.onnx -o g1.onnx --recipe ma.yaml
"$COMPRESSOR" compress good.onnx -o g2.onnx --passes fold-constants --calib-data x6.npy --report g2.json -q 2>g2.err &&
  grep -q "calib-data x6.npy is not used" g2.err &&
  python3 -c 'import json; assert any("is not used" in n for n in json.load(open("g2.json"))["notes"])' &&
  ok "unused --calib-data: warning and report note" || bad "unused calib data not reported: $(cat g2.err)"
"$COMPRESSOR" eval good.onnx --data x6.npy --batch 4 >/dev/null 2>b.err && grep -q "batch 4 ignored: the model's batch dim is fixed to 1" b.err &&
  ok "--batch ignored for a fixed batch says so" || bad "no --batch note: $(cat b.err)"
expect_error 2 "^compressor: error: --reference adir.onnx: is a directory" "a bad --reference is named as the reference" -- \
  "$COMPRESSOR" eval good.onnx --data x6.npy --reference adir.onnx
finish
