// Pooling.
//  - AveragePool -> com.microsoft QLinearAveragePool, GlobalAveragePool -> com.microsoft
//    QLinearGlobalAveragePool: averages get their own output parameters (the mean of a
//    channel has a narrower range than its elements).
//      QDQ: AveragePool(DequantizeLinear(X_q)) -> QuantizeLinear
//      QOperator: Y_q = QLinearAveragePool(X_q, sX, zX, sY, zY)   (same attributes)
//  - MaxPool passes quantization through: the maximum of quantized values is one of them,
//    so the output keeps the input's scale and zero point and the QOperator form runs
//    MaxPool on the 8-bit tensor (ai.onnx MaxPool takes int8/uint8 from opset 12).
#include "ir/node_attrs.h"
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

class AveragePoolQuantizer : public OpQuantizer {
 public:
  explicit AveragePoolQuantizer(bool global) : global_(global) {}

  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    return analyze_all_activations(node, g);
  }

  bool has_qoperator_form(const onnx::NodeProto&) const override { return true; }

  void emit_qoperator(QOpEmitter& e) const override {
    const auto& n = e.node();
    const QName &x = e.input(0), &y = e.output();
    auto q = make_node(global_ ? "QLinearGlobalAveragePool" : "QLinearAveragePool", kMsDomain,
                       {x.q, x.scale, x.zero_point, y.scale, y.zero_point}, {y.q}, n);
    if (!global_)
      copy_attributes(n, q, {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"});
    set_int_attribute(q, "channels_last", 0);
    e.add_node(std::move(q));
  }

 private:
  bool global_;
};

class MaxPoolQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format format) const override {
    if (auto why = float_input_problem(node, 0, g); !why.empty()) return NodeQuant::float_op(why);
    if (node.output_size() > 1 && !node.output(1).empty()) return NodeQuant::float_op("its Indices output is used");
    if (format == Format::kQOperator && g.opset() < 12) {
      return NodeQuant::float_op("MaxPool takes 8-bit tensors from opset 12 (model: " + std::to_string(g.opset()) +
                                 ")");
    }
    NodeQuant q;
    q.kind = NodeQuant::kPassThrough;
    return q;
  }
};

}  // namespace

void register_pool_quantizers(QuantizerRegistry& r) {
  r.add("AveragePool", std::make_shared<AveragePoolQuantizer>(false));
  r.add("GlobalAveragePool", std::make_shared<AveragePoolQuantizer>(true));
  r.add("MaxPool", std::make_shared<MaxPoolQuantizer>());
}

}  // namespace edge::pass::quant
