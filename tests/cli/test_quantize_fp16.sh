#!/usr/bin/env bash
# quantize-fp16 end to end (weight_quant_lib.sh: checker, ONNX Runtime loads and runs the
# result, top-1 drop in edge-run and ORT, agreement and max logit difference, size ratio) on
# four fixtures with keep_io=1; keep_io=0 (float16 graph I/O) run by both runtimes on the same
# float16 input; float16 storage (file <= 0.6 of the float one: graph overhead in small
# models); every op of the pass's float16 list run alone in float16 by
# edge-run and ONNX Runtime with the same results (to one float16 step of the largest output);
# mnist-8 (IR 3, weights listed as graph inputs) loads in ONNX Runtime and agrees with edge-run.
. "$(dirname "$0")/lib.sh"
require_ort
. "$(dirname "$0")/weight_quant_lib.sh"
M8="$EDGE_SHARED_DIR/models/mnist-8/model.onnx"
if [ ! -f "$M8" ]; then echo "EDGE-SKIP: $M8 not found (is ../shared there?)"; exit 77; fi
cd "$WORK"

for spec in mlp-300-100:mlp transformer-tiny:tr lenet5:lenet gru-tiny:gru; do
  quant_fixture ${spec%%:*} quantize-fp16 ${spec##*:} 0.002
  le "$Q_RATIO" 0.6 && ok "${spec##*:}: float16 file is $Q_RATIO of the float one" || bad "size ratio $Q_RATIO"
  wb=$(weight_bytes ${spec##*:})
  case "$wb" in float16=*) [ "${wb#* }" = "$wb" ] && ok "${spec##*:}: weights $wb only" || bad "${spec##*:}: weights $wb" ;;
    *) bad "${spec##*:}: weights $wb" ;; esac
done
stage_json gru quantize-fp16 > gru.stage.json
python3 - <<'PY' && ok "report: fp16 rows with weight SQNR, no float32 node in gru-tiny, ORT note" || bad "report"
import json
s = json.load(open("gru.stage.json"))
rows = {l["name"]: l for l in s["layers"]}
assert rows["/gru/GRU"]["attrs"]["precision"] == "fp16" and rows["/gru/GRU"]["metrics"]["sqnr_db"] > 60, rows
assert s["metrics"]["float32_nodes"] == 0 and s["metrics"]["casts_added"] == 2, s["metrics"]
assert any("ONNX Runtime 1.30" in n for n in s["notes"]), s["notes"]
PY

# keep_io=0: float16 in and out, same results in both runtimes.
"$COMPRESSOR" compress "$F/models/lenet5.onnx" -o h.onnx --passes "quantize-fp16<keep_io=0>" -q || bad "keep_io=0"
node "$NPY_TOOL" prep "$F/data/mnist_eval_x.npy" x32.npy --count 20 --scale 1/255 --channel-axis >/dev/null
node -e '
const io = require(process.argv[1]);
const t = io.readNpy("x32.npy");
const h = new Uint16Array(t.data.length);
const f = new Float32Array(1), u = new Uint32Array(f.buffer);
for (let i = 0; i < h.length; ++i) {  // float32 -> float16, round to nearest even (normal range)
  f[0] = t.data[i]; const x = u[0], s = (x >>> 16) & 0x8000, e = ((x >>> 23) & 0xff) - 127 + 15;
  let m = x & 0x7fffff;
  if (e <= 0) { h[i] = s; continue; }
  let v = s | (e << 10) | (m >>> 13); const r = m & 0x1fff;
  if (r > 0x1000 || (r === 0x1000 && (v & 1))) v += 1;
  h[i] = v;
}
io.writeNpy("x16.npy", { type: "float16", dims: t.dims, data: h });
' "$S/scripts/ort/tensor_io.js"
rm -rf e16 o16
"$EDGE_RUN" run h.onnx --input x16.npy -o e16 --output-format npy >/dev/null && node "$ORT_RUN" h.onnx --input x16.npy \
  --output-dir o16 >/dev/null || bad "keep_io=0 run"
c=$(node "$NPY_TOOL" compare o16/output_0.npy e16/output_0.npy --rtol 1e-3)
printf '%s' "$c" | python3 -c 'import json, sys; j = json.load(sys.stdin); sys.exit(0 if j["ok"] else 1)' &&
  ok "keep_io=0: float16 input and output, edge-run = ONNX Runtime ($c)" || bad "keep_io=0: $c"
"$COMPRESSOR" inspect h.onnx --format json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["op_histogram"].get("Cast", 0) == 0, j["op_histogram"]
' && ok "keep_io=0: no Cast" || bad "keep_io=0: Casts left"

# A graph output that is an initializer keeps its float32 type (found by the CLI fuzzing: it was
# renamed away from its readers); its float16 reader gets a Cast.
cat > initout.txt <<'TXT'
<ir_version: 8, opset_import: ["" : 17]>
g (float[1, 4] x) => (float[1, 4] y, float[4] w)
<float[4] w = {1, 2, 3, 4}>
{
  y = Mul(x, w)
}
TXT
"$TEXT2ONNX" initout.onnx < initout.txt
rm -rf io it
if "$COMPRESSOR" compress initout.onnx -o initout16.onnx --passes quantize-fp16 -q 2>initout.err &&
   "$EDGE_RUN" run initout16.onnx --input x=value:1,1,1,1 -o io --output-format npy --save-test-data it >/dev/null &&
   node "$ORT_RUN" initout16.onnx --input x=it/test_data_set_0/input_0.pb --output-dir io-ort >/dev/null 2>>initout.err &&
   /usr/bin/python3 -c 'import numpy, sys; w = numpy.load("io/output_1.npy"); sys.exit(0 if w.dtype == numpy.float32 and list(w) == [1, 2, 3, 4] else 1)'; then
  ok "an initializer that is a graph output: quantize-fp16 keeps it float32, ONNX Runtime runs the model"
else
  bad "an initializer that is a graph output: $(head -c 300 initout.err)"
fi

# Every op of the float16 list alone, float16 in and out (flattened): edge-run = ONNX Runtime.
while IFS='|' read -r op body inits; do
  [ -z "$op" ] && continue
  # float16 literals are not in the text syntax: float32 initializers cast to float16.
  conv=$(python3 - "$body" "$inits" <<'PY'
import re, sys
body, inits = sys.argv[1], sys.argv[2]
casts = []
def f(m):
    casts.append("%s = Cast<to = 10>(%s_32)" % (m.group(2), m.group(2)))
    return "float%s %s_32 =" % (m.group(1) or "", m.group(2))
print(re.sub(r"float16(\[[^\]]*\])? (\w+) =", f, inits))
print(" ".join(casts + [body]))
PY
)
  inits=$(sed -n 1p <<< "$conv")
  body=$(sed -n 2p <<< "$conv")
  cat > op.txt <<TXT
<ir_version: 8, opset_import: ["" : 17]>
g (float16[1, 4, 8, 8] x) => (float16[M] o)
<int64[1] flat = {-1}${inits:+, $inits}>
{
  $body
  o = Reshape(y, flat)
}
TXT
  if ! "$TEXT2ONNX" op.onnx < op.txt 2>op.err; then bad "fp16 probe $op: $(head -1 op.err)"; continue; fi
  [ -f p16.npy ] || node -e '
const io = require(process.argv[1]); const n = 256; const h = new Uint16Array(n);
for (let i = 0; i < n; ++i) h[i] = 0x3000 + ((i * 37) % 0x0c00) + ((i % 3) ? 0 : 0x8000);  // +-0.125..1
io.writeNpy("p16.npy", { type: "float16", dims: [1, 4, 8, 8], data: h });' "$S/scripts/ort/tensor_io.js"
  rm -rf pe po
  if "$EDGE_RUN" run op.onnx --input p16.npy -o pe --output-format npy >/dev/null 2>pe.err &&
     node "$ORT_RUN" op.onnx --input p16.npy --output-dir po >/dev/null 2>po.err; then
    c=$(node "$NPY_TOOL" compare po/output_0.npy pe/output_0.npy --rtol 1e-3 --atol 1e-3)
    printf '%s' "$c" | python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["ok"] else 1)' &&
      ok "fp16 $op: edge-run = ONNX Runtime" || bad "fp16 $op: $c"
  else
    bad "fp16 $op: $(head -c 300 pe.err po.err)"
  fi
done <<'OPS'
Abs|y = Abs(x)|
Add|y = Add(x, x)|
AveragePool|y = AveragePool<kernel_shape = [2, 2]>(x)|
BatchNormalization|y = BatchNormalization(x, s, b, s, v)|float16[4] s = {0.5, 1, 1.5, 2}, float16[4] b = {0, 1, 0, -1}, float16[4] v = {1, 1, 2, 2}
Clip|y = Clip(x, lo, hi)|float16 lo = {-0.5}, float16 hi = {0.5}
Concat|y = Concat<axis = 1>(x, x)|
Conv|y = Conv(x, w)|float16[2, 4, 1, 1] w = {1, -1, 0.5, 0.25, 2, 1, -1, 0}
ConvTranspose|y = ConvTranspose(x, w)|float16[4, 1, 2, 2] w = {1, -1, 0.5, 0.25, 2, 1, -1, 0, 1, 1, 1, 1, 0, 0, 1, 1}
CumSum|y = CumSum(x, a)|int64 a = {3}
DepthToSpace|y = DepthToSpace<blocksize = 2>(x)|
Div|y = Div(x, x)|
Dropout|y = Dropout(x)|
Einsum|y = Einsum<equation = "bchw,bchw->bc">(x, x)|
Elu|y = Elu(x)|
Erf|y = Erf(x)|
Exp|y = Exp(x)|
Expand|y = Expand(x, s)|int64[4] s = {2, 4, 8, 8}
Flatten|y = Flatten(x)|
Floor|y = Floor(x)|
GRU|r = Reshape(x, s) y = GRU<hidden_size = 2>(r, w, rr)|int64[3] s = {16, 1, 16}, float16[1, 6, 16] w = {0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1}, float16[1, 6, 2] rr = {0.5, -0.5, 0.25, 0.1, 0.2, 0.3, 0.5, -0.5, 0.25, 0.1, 0.2, 0.3}
Gather|y = Gather<axis = 1>(x, i)|int64[2] i = {3, 0}
Gemm|f = Flatten(x) y = Gemm<transB = 1>(f, f)|
GlobalAveragePool|y = GlobalAveragePool(x)|
GlobalMaxPool|y = GlobalMaxPool(x)|
HardSigmoid|y = HardSigmoid(x)|
HardSwish|y = HardSwish(x)|
InstanceNormalization|y = InstanceNormalization(x, s, b)|float16[4] s = {0.5, 1, 1.5, 2}, float16[4] b = {0, 1, 0, -1}
LRN|y = LRN<size = 3>(x)|
LayerNormalization|y = LayerNormalization(x, s, b)|float16[8] s = {1, 1, 1, 1, 2, 2, 2, 2}, float16[8] b = {0, 0, 0, 0, 1, 1, 1, 1}
LeakyRelu|y = LeakyRelu(x)|
Log|a = Abs(x) y = Log(a)|
LogSoftmax|y = LogSoftmax(x)|
MatMul|y = MatMul(x, x)|
Max|y = Max(x, x)|
MaxPool|y = MaxPool<kernel_shape = [2, 2]>(x)|
Mean|y = Mean(x, x)|
Min|y = Min(x, x)|
Mul|y = Mul(x, x)|
Neg|y = Neg(x)|
PRelu|y = PRelu(x, s)|float16[4, 1, 1] s = {0.1, 0.2, 0.3, 0.4}
Pad|y = Pad(x, p)|int64[8] p = {0, 0, 1, 1, 0, 0, 1, 1}
Pow|a = Abs(x) y = Pow(a, x)|
RNN|r = Reshape(x, s) y = RNN<hidden_size = 2>(r, w, rr)|int64[3] s = {16, 1, 16}, float16[1, 2, 16] w = {0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1, 0.2, -0.3, 0.1, 0.2, 0.1}, float16[1, 2, 2] rr = {0.5, -0.5, 0.25, 0.1}
Reciprocal|y = Reciprocal(x)|
ReduceL2|y = ReduceL2<axes = [1]>(x)|
ReduceLogSumExp|y = ReduceLogSumExp<axes = [1]>(x)|
ReduceMax|y = ReduceMax<axes = [1]>(x)|
ReduceMean|y = ReduceMean<axes = [1]>(x)|
ReduceSum|y = ReduceSum(x, a)|int64[1] a = {1}
Relu|y = Relu(x)|
Reshape|y = Reshape(x, s)|int64[2] s = {4, 64}
Round|y = Round(x)|
Selu|y = Selu(x)|
Sigmoid|y = Sigmoid(x)|
Sign|y = Sign(x)|
Sin|y = Sin(x)|
Slice|y = Slice(x, s, e, a)|int64[1] s = {1}, int64[1] e = {3}, int64[1] a = {1}
Softmax|y = Softmax(x)|
Softplus|y = Softplus(x)|
Softsign|y = Softsign(x)|
Split|y, z = Split<axis = 1>(x)|
Sqrt|a = Abs(x) y = Sqrt(a)|
Squeeze|f = Flatten(x) y = Squeeze(f, a)|int64[1] a = {0}
Sub|y = Sub(x, x)|
Sum|y = Sum(x, x, x)|
Tanh|y = Tanh(x)|
ThresholdedRelu|y = ThresholdedRelu<alpha = 0.5>(x)|
Tile|y = Tile(x, s)|int64[4] s = {1, 1, 2, 1}
TopK|y, i = TopK(x, k)|int64[1] k = {3}
Transpose|y = Transpose<perm = [0, 2, 3, 1]>(x)|
Unsqueeze|y = Unsqueeze(x, a)|int64[1] a = {0}
Where|c = Greater(x, z) y = Where(c, x, z)|float16 z = {0}
ArgMax|a = ArgMax(x) y = Cast<to = 10>(a)|
GatherElements|i = ConstantOfShape<value = int64[1] {1}>(sh) y = GatherElements<axis = 1>(x, i)|int64[4] sh = {1, 2, 8, 8}
Greater|c = Greater(x, z) y = Cast<to = 10>(c)|float16 z = {0}
Identity|y = Identity(x)|
LSTM|r = Reshape(x, s) y = LSTM<hidden_size = 2>(r, w, rr)|int64[3] s = {16, 1, 16}, float16[1, 8, 16] w = {-0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2, 0.0, -0.2, 0.15, -0.05, -0.25, 0.1, -0.1, 0.25, 0.05, -0.15, 0.2}, float16[1, 8, 2] rr = {-0.3, 0.2, 0.0, -0.2, 0.3, 0.1, -0.1, -0.3, 0.2, 0.0, -0.2, 0.3, 0.1, -0.1, -0.3, 0.2}
Shape|s = Shape(x) y = Cast<to = 10>(s)|
Size|s = Size(x) y = Cast<to = 10>(s)|
OPS
# mnist-8 (CNTK export, IR 3: every weight also listed as a graph input, raw 0..255 pixels):
# the inputs that declare the converted weights become float16 too, so ONNX Runtime loads it.
"$COMPRESSOR" compress "$M8" -o m8.fp16.onnx --passes quantize-fp16 -q || bad "mnist-8: quantize-fp16 failed"
m8_ort=$(node "$ORT_RUN" m8.fp16.onnx --eval-x "$F/data/mnist_eval_x.npy" --eval-y "$F/data/mnist_eval_y.npy" --scale 1 \
  --batch 50 --predictions m8.ort.npy | top1)
m8_agree=$("$COMPRESSOR" eval m8.fp16.onnx --data "$F/data/mnist_eval_x.npy" --labels m8.ort.npy --batch 50 --format json | top1)
le 0.99 "$m8_ort" && le 0.995 "$m8_agree" && ok "mnist-8 (IR 3): ONNX Runtime top-1 $m8_ort, edge-run agrees on $m8_agree" ||
  bad "mnist-8 (IR 3): ORT top-1 '$m8_ort', agreement '$m8_agree'"
pyonnx_skip_note
finish
