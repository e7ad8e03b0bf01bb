// Add -> com.microsoft QLinearAdd, Mul -> com.microsoft QLinearMul (ai.onnx has no integer
// Add or Mul). Both inputs are activations with their own parameters (a constant operand is
// quantized per tensor from its values); broadcasting as in the float op. A following
// Relu/Clip folds into the output range (residual Add -> Relu in ResNets); a constant scalar
// Mul operand (attention scaling) costs no precision: it sits on the top of its grid.
//
// QDQ: Add(DequantizeLinear(A_q), DequantizeLinear(B_q)) -> QuantizeLinear (Mul alike).
// QOperator: C_q = QLinearAdd(A_q, sA, zA, B_q, sB, zB, sC, zC)   (domain com.microsoft)
#include <string>

#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

class BinaryQuantizer : public OpQuantizer {
 public:
  explicit BinaryQuantizer(std::string qlinear_op) : qlinear_op_(std::move(qlinear_op)) {}

  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    if (node.input_size() != 2) return NodeQuant::float_op("expects two inputs");
    return analyze_all_activations(node, g);
  }

  bool has_qoperator_form(const onnx::NodeProto&) const override { return true; }

  void emit_qoperator(QOpEmitter& e) const override {
    const QName &a = e.input(0), &b = e.input(1), &c = e.output();
    e.add_node(make_node(qlinear_op_, kMsDomain,
                         {a.q, a.scale, a.zero_point, b.q, b.scale, b.zero_point, c.scale, c.zero_point}, {c.q},
                         e.node()));
  }

 private:
  std::string qlinear_op_;
};

}  // namespace

void register_add_quantizer(QuantizerRegistry& r) { r.add("Add", std::make_shared<BinaryQuantizer>("QLinearAdd")); }
void register_mul_quantizer(QuantizerRegistry& r) { r.add("Mul", std::make_shared<BinaryQuantizer>("QLinearMul")); }

}  // namespace edge::pass::quant
