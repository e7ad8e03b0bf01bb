// Concat -> com.microsoft QLinearConcat. Every input is an activation with its own
// parameters; the output gets its own, and the kernel requantizes each input onto them.
//
// QDQ: Concat(DequantizeLinear(X1_q), DequantizeLinear(X2_q), ...) -> QuantizeLinear.
// QOperator: Y_q = QLinearConcat(sY, zY, X1_q, s1, z1, X2_q, s2, z2, ...)   (com.microsoft)
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

class ConcatQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    return analyze_all_activations(node, g);
  }

  bool has_qoperator_form(const onnx::NodeProto&) const override { return true; }

  void emit_qoperator(QOpEmitter& e) const override {
    const auto& n = e.node();
    std::vector<std::string> in{e.output().scale, e.output().zero_point};
    for (int i = 0; i < n.input_size(); ++i) {
      const QName& x = e.input(i);
      in.insert(in.end(), {x.q, x.scale, x.zero_point});
    }
    auto q = make_node("QLinearConcat", kMsDomain, in, {e.output().q}, n);
    copy_attributes(n, q, {"axis"});
    e.add_node(std::move(q));
  }
};

}  // namespace

void register_concat_quantizer(QuantizerRegistry& r) { r.add("Concat", std::make_shared<ConcatQuantizer>()); }

}  // namespace edge::pass::quant
