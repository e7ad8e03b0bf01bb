// MatMul -> QLinearMatMul. With a constant 2-D B, B is an int8 weight per output column
// (axis 1); a constant B of higher rank is quantized per tensor. With two computed inputs
// (attention scores, A x B^T) both are activations quantized per tensor.
//
// QDQ: MatMul(DequantizeLinear(A_q), DequantizeLinear(B_q[, axis=1])) -> QuantizeLinear.
// QOperator: Y_q = QLinearMatMul(A_q, sA, zA, B_q, sB, zB, sY, zY).
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
      if (shape && shape->size() == 2) return analyze_weighted(node, g);
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

  void emit_qoperator(QOpEmitter& e) const override {
    const QName &a = e.input(0), &b = e.input(1), &y = e.output();
    e.add_node(make_node("QLinearMatMul", "",
                         {a.q, a.scale, a.zero_point, b.q, b.scale, b.zero_point, y.scale, y.zero_point}, {y.q},
                         e.node()));
  }
};

}  // namespace

void register_matmul_quantizer(QuantizerRegistry& r) { r.add("MatMul", std::make_shared<MatMulQuantizer>()); }

}  // namespace edge::pass::quant
