// Relu, Clip and LeakyRelu after a quantized layer fold into that layer's output range: the
// layer's quantized output is the activation's output (quantized after the activation, never
// between), with the calibrated range clamped to the activation's bounds.
//
// QDQ keeps the node:         y = Conv(...); r = Relu(y); r_q = QuantizeLinear(r, s, z)
// QOperator drops it:         r_q = QLinearConv(..., s, z)   with the range [0, hi]: z is the
//                             grid's lowest value, so saturation is the Relu (Clip: the same
//                             with [lo, hi] inside the Clip bounds).
// LeakyRelu has no clamp to express, and a Clip whose bounds exclude 0 cannot be a range
// (ranges contain 0): in the QOperator form they stay float between DequantizeLinear and
// QuantizeLinear.
#include <limits>

#include "ir/node_attrs.h"
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

class ReluQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    if (auto why = float_input_problem(node, 0, g); !why.empty()) return NodeQuant::float_op(why);
    NodeQuant q;
    q.kind = NodeQuant::kActivation;
    q.lo = 0;
    q.hi = kInf;
    return q;
  }
};

class ClipQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format format) const override {
    if (auto why = float_input_problem(node, 0, g); !why.empty()) return NodeQuant::float_op(why);
    NodeQuant q;
    q.kind = NodeQuant::kActivation;
    if (g.opset() < 11) {
      const NodeAttrs a(node);
      q.lo = a.get_float("min", -std::numeric_limits<float>::max());
      q.hi = a.get_float("max", std::numeric_limits<float>::max());
    } else {
      for (int i = 1; i <= 2; ++i) {
        if (node.input_size() <= i || node.input(i).empty()) continue;
        auto v = g.constant(node.input(i));
        if (!v || v->numel() != 1) return NodeQuant::float_op("Clip bounds are not constant scalars");
        (i == 1 ? q.lo : q.hi) = v->get_double(0);
      }
    }
    if (format == Format::kQOperator && (q.lo > 0 || q.hi < 0)) {
      return NodeQuant::float_op("Clip bounds exclude 0, so no quantized range expresses them");
    }
    return q;
  }
};

class LeakyReluQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format format) const override {
    if (auto why = float_input_problem(node, 0, g); !why.empty()) return NodeQuant::float_op(why);
    if (format == Format::kQOperator) {
      return NodeQuant::float_op(
          "LeakyRelu has no int8 form in ai.onnx; it runs in float between Dequantize and Quantize");
    }
    NodeQuant q;
    q.kind = NodeQuant::kActivation;
    q.lo = -kInf;
    q.hi = kInf;
    return q;
  }
};

}  // namespace

void register_activation_quantizers(QuantizerRegistry& r) {
  r.add("Relu", std::make_shared<ReluQuantizer>());
  r.add("Clip", std::make_shared<ClipQuantizer>());
  r.add("LeakyRelu", std::make_shared<LeakyReluQuantizer>());
}

}  // namespace edge::pass::quant
