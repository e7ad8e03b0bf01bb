#!/usr/bin/env bash
# Quantized models made by scripts/fixtures/quant_models.py (fixtures/quant): the QDQ model runs
# on integer kernels (bench --profile names them) and gives the same logits with and without the
# QDQ fusion; the QOperator model (QLinearConv, QLinearMatMul, com.microsoft QLinearAdd ...) runs
# too; both stay near the float model, and both agree with ONNX Runtime within one quantization
# step of the logits (that part is skipped, exit 77, where onnxruntime-node is not installed,
# and fails instead under EDGE_REQUIRE_ORT=1 as in CI).
. "$(dirname "$0")/lib.sh"
Q="$EDGE_SOURCE_DIR/fixtures/quant"
ORT_DIR="$EDGE_SOURCE_DIR/scripts/ort"
STEP=0.00541  # the logits' quantization scale (printed by quant_models.py)

# max_diff A.npy B.npy: the largest |a - b| of two float32 .npy files of one shape (stdlib only).
max_diff() {
  python3 - "$1" "$2" <<'EOF'
import array, ast, sys
def load(p):
    b = open(p, "rb").read()
    assert b[:6] == b"\x93NUMPY", p
    n = int.from_bytes(b[8:10], "little")
    h = ast.literal_eval(b[10:10 + n].decode())
    assert h["descr"] == "<f4" and not h["fortran_order"], h
    a = array.array("f")
    a.frombytes(b[10 + n:])
    return h["shape"], a
(sa, a), (sb, b) = load(sys.argv[1]), load(sys.argv[2])
assert sa == sb, (sa, sb)
print(max(abs(x - y) for x, y in zip(a, b)))
EOF
}
# within A B TOL DESC: ok when max |a - b| <= TOL.
within() {
  local d
  if ! d=$(max_diff "$1" "$2" 2>&1); then bad "$4: $d"; return; fi
  if awk -v d="$d" -v t="$3" 'BEGIN{exit !(d <= t)}'; then ok "$4 (max |diff| $d)"; else bad "$4: max |diff| $d > $3"; fi
}
edge_run() {  # MODEL OUT_DIR [flags...]
  "$EDGE_RUN" run "$1" --input "$Q/input.npy" --output-format npy -o "$2" "${@:3}" >"$WORK/log" 2>&1 ||
    { bad "edge-run run $(basename "$1") ${*:3}: $(tail -1 "$WORK/log")"; return 1; }
}

for m in qdq qop; do
  edge_run "$Q/cnn-$m.onnx" "$WORK/$m" && edge_run "$Q/cnn-$m.onnx" "$WORK/$m-nofuse" --no-fuse || continue
  within "$WORK/$m-nofuse/output_0.npy" "$WORK/$m/output_0.npy" "$STEP" "$m: fused equals the model as written"
  # Quantization error against the float model's logits (NumPy, committed): a few steps.
  within "$Q/float_logits.npy" "$WORK/$m/output_0.npy" 0.05 "$m: near the float model"
done

prof=$("$EDGE_RUN" bench "$Q/cnn-qdq.onnx" --runs 3 --warmup 1 --profile 2>&1)
for op in QLinearConv QLinearMatMul QLinearAdd QLinearMul QLinearConcat QLinearAveragePool QLinearGlobalAveragePool; do
  echo "$prof" | grep -q "^  $op " && ok "qdq profile shows $op" || bad "qdq profile lacks $op: $prof"
done
echo "$prof" | grep -qE "(reference:im2col-igemm|cpu:vnni-tap-gemm)\+relu" && ok "profile names the integer conv kernel" ||
  bad "no im2col-igemm+relu or vnni-tap-gemm+relu kernel in the profile"
echo "$prof" | grep -qE "^  (Conv|MatMul|Gemm|Add|Mul|Concat) " && bad "a float op is left: $prof" ||
  ok "no float Conv/MatMul/Gemm/Add/Mul/Concat left in the fused QDQ model"
nofuse=$("$EDGE_RUN" bench "$Q/cnn-qdq.onnx" --runs 3 --warmup 1 --profile --no-fuse 2>&1)
echo "$nofuse" | grep -q "^  Conv " && ! echo "$nofuse" | grep -q "QLinearConv" && ok "--no-fuse runs the QDQ graph as written" ||
  bad "--no-fuse profile: $nofuse"

if ! command -v node >/dev/null || [ ! -f "$ORT_DIR/node_modules/onnxruntime-node/package.json" ]; then
  if [ "${EDGE_REQUIRE_ORT:-0}" = 1 ]; then bad "onnxruntime-node not installed (EDGE_REQUIRE_ORT=1)"; finish; exit; fi
  echo "onnxruntime-node not installed (cd scripts/ort && npm ci --ignore-scripts): ONNX Runtime part skipped"
  finish || exit 1
  exit 77
fi
for m in float qdq qop; do
  if ! node "$ORT_DIR/ort_run.js" "$Q/cnn-$m.onnx" --input "$Q/input.npy" -o "$WORK/ort-$m" >"$WORK/log" 2>&1; then
    bad "ONNX Runtime cannot run cnn-$m: $(tail -1 "$WORK/log")"
    continue
  fi
  [ -d "$WORK/$m" ] || edge_run "$Q/cnn-$m.onnx" "$WORK/$m" || continue
  tol=$STEP
  [ $m = float ] && tol=0.0001
  within "$WORK/ort-$m/output_0.npy" "$WORK/$m/output_0.npy" "$tol" "$m: edge-run equals ONNX Runtime"
done
finish
