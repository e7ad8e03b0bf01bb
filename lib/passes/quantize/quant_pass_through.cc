// Ops that move or select elements without arithmetic (lib/ir op_traits flag
// kQuantPassThrough): Reshape, Transpose, Flatten, Squeeze, Unsqueeze, Slice, Gather,
// Identity. When their data input (input 0) is quantized, the output keeps its scale and zero
// point: the QDQ form gets a QuantizeLinear/DequantizeLinear pair with the same parameters
// after the node (exact: the values are already on that grid), and the QOperator form runs
// the node itself on the 8-bit tensor. The other inputs (shapes, indices, axes) are untouched.
#include "ir/op_traits.h"
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

class PassThroughQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    if (!op_traits(node).has(kQuantPassThrough)) fail_internal(node.op_type() + " is not a pass-through op");
    if (auto why = float_input_problem(node, 0, g); !why.empty()) return NodeQuant::float_op(why);
    if (node.output_size() != 1) return NodeQuant::float_op("expects one output");
    NodeQuant q;
    q.kind = NodeQuant::kPassThrough;
    return q;
  }
};

}  // namespace

void register_pass_through_quantizers(QuantizerRegistry& r) {
  auto q = std::make_shared<PassThroughQuantizer>();
  for (const char* op : {"Flatten", "Gather", "Identity", "Reshape", "Slice", "Squeeze", "Transpose", "Unsqueeze"}) {
    r.add(op, q);
  }
}

}  // namespace edge::pass::quant
