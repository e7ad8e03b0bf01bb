// Conv -> QLinearConv.
//
// QDQ:                                          QOperator:
//   xd = DequantizeLinear(x_q, sx, zx)            y_q = QLinearConv(x_q, sx, zx, W_q, sw, zw,
//   Wd = DequantizeLinear(W_q, sw, zw, axis=0)                      sy, zy, B_q)
//   Bd = DequantizeLinear(B_q, sx*sw, 0)
//   y  = Conv(xd, Wd, Bd)
//   y_q = QuantizeLinear(y, sy, zy)
// W_q int8 per output channel (axis 0), B_q int32 with scale sx*sw[c]. A Conv without bias
// followed by Add(y, constant [C, 1, 1]) (exporters that keep the bias apart, mnist-8) takes
// the constant as its bias (the plan folds the Add).
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

class ConvQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    NodeQuant q = analyze_weighted(node, g);
    if (q.kind == NodeQuant::kCompute && q.bias < 0) q.bias_axis = 1;  // a following Add may be its bias
    return q;
  }

  bool has_qoperator_form(const onnx::NodeProto&) const override { return true; }

  void emit_qoperator(QOpEmitter& e) const override {
    const auto& n = e.node();
    const QName &x = e.input(0), &w = e.input(1), &y = e.output();
    std::vector<std::string> in{x.q, x.scale, x.zero_point, w.q, w.scale, w.zero_point, y.scale, y.zero_point};
    if (!e.bias().empty()) in.push_back(e.bias().q);
    auto q = make_node("QLinearConv", "", in, {y.q}, n);
    copy_attributes(n, q, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    e.add_node(std::move(q));
  }
};

}  // namespace

void register_conv_quantizer(QuantizerRegistry& r) { r.add("Conv", std::make_shared<ConvQuantizer>()); }

}  // namespace edge::pass::quant
