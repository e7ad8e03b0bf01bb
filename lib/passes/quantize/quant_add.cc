// Add -> com.microsoft QLinearAdd (ai.onnx has no integer Add). Both inputs are
// activations with their own parameters (a constant operand is quantized per tensor from its
// values); broadcasting as in Add. A following Relu/Clip folds into the output range
// (residual Add -> Relu in ResNets).
//
// QDQ: Add(DequantizeLinear(A_q), DequantizeLinear(B_q)) -> QuantizeLinear.
// QOperator: C_q = QLinearAdd(A_q, sA, zA, B_q, sB, zB, sC, zC)   (domain com.microsoft)
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

class AddQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    if (node.input_size() != 2) return NodeQuant::float_op("expects two inputs");
    return analyze_all_activations(node, g);
  }

  bool has_qoperator_form(const onnx::NodeProto&) const override { return true; }

  void emit_qoperator(QOpEmitter& e) const override {
    const QName &a = e.input(0), &b = e.input(1), &c = e.output();
    e.add_node(make_node("QLinearAdd", kMsDomain,
                         {a.q, a.scale, a.zero_point, b.q, b.scale, b.zero_point, c.scale, c.zero_point}, {c.q},
                         e.node()));
  }
};

}  // namespace

void register_add_quantizer(QuantizerRegistry& r) { r.add("Add", std::make_shared<AddQuantizer>()); }

}  // namespace edge::pass::quant
