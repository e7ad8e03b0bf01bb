// MatMul -> QLinearMatMul. With a constant 2-D B, B is an int8 weight per output column
// (axis 1); a constant B of higher rank is quantized per tensor. With two computed inputs
// (attention scores, A x B^T) both are activations quantized per tensor.
//
// QDQ: MatMul(DequantizeLinear(A_q), DequantizeLinear(B_q[, axis=1])) -> QuantizeLinear.
// QOperator: Y_q = QLinearMatMul(A_q, sA, zA, B_q, sB, zB, sY, zY).
// With a 2-D constant B, a following Add(Y, constant [N]) (a Linear layer's bias) folds in as
// an int32 bias: QDQ dequantizes it by sA x sB[n]; QOperator writes MatMulInteger + int32 Add
// (see emit_integer_matmul).
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

class MatMulQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    for (int i = 0; i < 2; ++i) {
      if (auto why = float_input_problem(node, i, g); !why.empty()) return NodeQuant::float_op(why);
    }
    const bool a_const = g.is_constant(node.input(0)), b_const = g.initializer(node.input(1)) != nullptr;
    if (a_const && b_const) return NodeQuant::float_op("both inputs are constants (fold-constants folds it)");
    if (b_const) {
      const auto shape = g.shape(node.input(1));
      if (shape && shape->size() == 2) {
        NodeQuant q = analyze_weighted(node, g);
        if (q.kind == NodeQuant::kCompute) q.bias_axis = -1;  // a following Add of [N] may be its bias
        return q;
      }
      NodeQuant q;
      q.kind = NodeQuant::kCompute;
      q.activations = {0};
      q.weight = 1;  // per tensor: an N-D weight has no single output-channel axis
      return q;
    }
    NodeQuant q;
    q.kind = NodeQuant::kCompute;
    q.activations = {0, 1};
    return q;
  }

  bool has_qoperator_form(const onnx::NodeProto&) const override { return true; }

  void emit_qoperator(QOpEmitter& e) const override { emit_integer_matmul(e, e.input(0), e.input(1)); }
};

}  // namespace

void register_matmul_quantizer(QuantizerRegistry& r) { r.add("MatMul", std::make_shared<MatMulQuantizer>()); }

}  // namespace edge::pass::quant
