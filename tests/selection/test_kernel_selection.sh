#!/usr/bin/env bash
# A build for given models (-DEDGE_RUN_KERNELS, docs/deploy.md). `edge-run kernels` lists what a
# model needs (subgraphs and the runtime's fusions included); edge-run-lenet5 (tests/CMakeLists.txt)
# is edge-run linked with the list it prints for lenet5: it carries that list and no other kernel,
# gives lenet5 the full build's outputs bit for bit, and refuses other models with one line
# naming the missing op and the selection.
. "$EDGE_SOURCE_DIR/tests/cli/lib.sh"
: "${EDGE_RUN_SELECTED:?}" "${TEXT2ONNX:?}"
M=$EDGE_SOURCE_DIR/fixtures/models
cd "$WORK"

# What `edge-run kernels` lists.
want=$("$EDGE_RUN" kernels "$M/lenet5.onnx")
[ "$want" = "Conv;Flatten;Gemm;MaxPool;Relu;cpu_Conv;cpu_DepthwiseConv;cpu_MaxPool;cpu_SparseGemm" ] && ok "kernels for lenet5: $want" ||
  bad "kernels for lenet5: '$want'"
[ "$("$EDGE_RUN" kernels "$M/lenet5.onnx" --lines | grep -c '')" -eq 9 ] && ok "--lines: one per line" || bad "--lines"
both=$("$EDGE_RUN" kernels "$M/lenet5.onnx" "$M/gru-tiny.onnx")
[ "$both" = "Constant;Conv;Flatten;GRU;Gather;Gemm;MaxPool;Relu;Reshape;Transpose;cpu_Conv;cpu_DepthwiseConv;cpu_GRU;cpu_MaxPool;cpu_SparseGemm" ] &&
  ok "two models: the union" || bad "two models: '$both'"
# Ops inside If branches are listed; so are the forms a QDQ model is fused into.
cat > sub.txt <<'TXT'
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 3] x, bool c) => (float[1, 3] y)
{
  y = If(c) <then_branch = t () => (float[1, 3] r) { r = Softmax(x) },
             else_branch = e () => (float[1, 3] r) { r = Sigmoid(x) }>
}
TXT
"$TEXT2ONNX" sub.onnx < sub.txt || exit 1
sub=$("$EDGE_RUN" kernels sub.onnx)
[ "$sub" = "If;Sigmoid;Softmax;cpu_Softmax;cpu_UnaryMath" ] && ok "subgraph ops: $sub" || bad "subgraph ops: '$sub'"
qdq=$("$EDGE_RUN" kernels "$EDGE_SOURCE_DIR/fixtures/quant/cnn-qdq.onnx" --lines)
for k in QuantizeLinear DequantizeLinear QLinearConv QLinearMatMul cpu_QLinearConv cpu_QuantizeDequantize; do
  grep -qx "$k" <<<"$qdq" || bad "cnn-qdq: $k missing from the list"
done
ok "cnn-qdq: Q/DQ and the fused QLinear kernels listed"
expect_error 2 "no such file" "kernels: missing model" -- "$EDGE_RUN" kernels missing.onnx
printf 'not a model' > junk.onnx
expect_error 2 "junk.onnx" "kernels: corrupt model" -- "$EDGE_RUN" kernels junk.onnx

# The selective edge-run carries exactly that list, and only it.
got=$("$EDGE_RUN_SELECTED" info | sed -n 's/^kernel selection (EDGE_RUN_KERNELS): //p')
[ "$got" = "$want" ] && ok "edge-run-lenet5 info: $got" || bad "edge-run-lenet5 info: '$got' (want '$want')"
"$EDGE_RUN" info | grep -q "kernel selection" && bad "full edge-run reports a selection" || ok "full edge-run: no selection"
# (nm: binutils, which the compiler needs anyway)
nm -C "$EDGE_RUN_SELECTED" | grep -q "register_Softmax(" && bad "Softmax's kernel linked into edge-run-lenet5" ||
  ok "Softmax's kernel not linked"
nm -C "$EDGE_RUN_SELECTED" | grep -q "register_MaxPool(" && ok "MaxPool's kernel linked" || bad "MaxPool's kernel missing"
nm -C "$EDGE_RUN" | grep -q "register_Softmax(" && ok "full edge-run has Softmax" || bad "full edge-run lacks Softmax"
full_size=$(stat -c %s "$EDGE_RUN") sel_size=$(stat -c %s "$EDGE_RUN_SELECTED")
[ "$sel_size" -lt $((full_size * 3 / 4)) ] && ok "edge-run-lenet5 $sel_size bytes < 3/4 of edge-run's $full_size" ||
  bad "edge-run-lenet5 $sel_size bytes, edge-run $full_size"

# Same outputs as the full build, bit for bit, on 1 and 2 threads.
for t in 1 2; do
  "$EDGE_RUN" run "$M/lenet5.onnx" --random --seed 3 --threads $t -o full$t >/dev/null 2>&1 || bad "full run ($t threads)"
  "$EDGE_RUN_SELECTED" run "$M/lenet5.onnx" --random --seed 3 --threads $t -o sel$t >/dev/null 2>sel.err ||
    bad "selective run ($t threads): $(cat sel.err)"
  cmp -s full$t/output_0.pb sel$t/output_0.pb && ok "lenet5 output identical ($t threads)" ||
    bad "lenet5 output differs ($t threads)"
done
"$EDGE_RUN_SELECTED" check "$M/lenet5.onnx" full1 >/dev/null 2>&1 || true  # (not a test set; run above is the check)

# Anything else: one line, exit 2, naming the op and the selection.
expect_error 2 "op Constant .*not supported by this edge-run build, which has only the kernels Conv;.*cpu_SparseGemm \\(EDGE_RUN_KERNELS" "transformer-tiny refused" -- \
  "$EDGE_RUN_SELECTED" run "$M/transformer-tiny.onnx" --random
expect_error 2 "needs a build without EDGE_RUN_KERNELS" "kernels: refused in a selective build" -- \
  "$EDGE_RUN_SELECTED" kernels "$M/lenet5.onnx"
finish
