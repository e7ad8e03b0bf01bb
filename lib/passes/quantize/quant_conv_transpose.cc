// ConvTranspose: int8 weights per output channel (weight axis 1, [C, M/group, k...]; with
// groups the M/group scales are shared by the groups), int32 bias, quantized input and output.
// ai.onnx has no integer ConvTranspose, so the QOperator form keeps the QDQ form of this node:
//   y = ConvTranspose(DequantizeLinear(x_q), DequantizeLinear(W_q, axis=1), DequantizeLinear(B_q))
//   y_q = QuantizeLinear(y)
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

class ConvTransposeQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    return analyze_weighted(node, g);
  }
};

}  // namespace

void register_conv_transpose_quantizer(QuantizerRegistry& r) {
  r.add("ConvTranspose", std::make_shared<ConvTransposeQuantizer>());
}

}  // namespace edge::pass::quant
