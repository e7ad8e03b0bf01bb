// Op traits: what passes and reports need to know about an op type without special-casing
// it: which input is the weight and which the bias, which weight axis indexes output
// channels, how many multiply-accumulates a node does, and whether it is element-wise,
// shape-only or transparent to quantization. The table is op_traits.def (one row per op);
// `compressor inspect` (model_summary), fuse-bn, prune and quantize read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph_index.h"
#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace edge {

enum OpFlag : uint32_t {
  kElementwiseUnary = 1u << 0,
  kElementwiseBinary = 1u << 1,
  kShapeOnly = 1u << 2,
  kQuantPassThrough = 1u << 3,
  kPerChannel = 1u << 4,
};

// The weight axis that indexes output channels (see op_traits.def).
enum class ChannelAxis : uint8_t { kNone, kAxis0, kAxis1PerGroup, kGemmB, kLast };
// How a node's multiply-accumulates are counted (see op_traits.def).
enum class MacRule : uint8_t { kNone, kConv, kConvTranspose, kGemm, kMatMul };

struct OpTraits {
  const char* op_type = "";
  int weight_input = -1;  // input index of the weight, -1 when none
  int bias_input = -1;    // input index of the bias, -1 when none
  ChannelAxis channel_axis = ChannelAxis::kNone;
  MacRule mac_rule = MacRule::kNone;
  uint32_t flags = 0;

  bool has(OpFlag f) const { return (flags & f) != 0; }
  bool elementwise() const { return has(kElementwiseUnary) || has(kElementwiseBinary); }
};

// Traits of an ai.onnx op type; an empty record (no weight, no MAC rule, no flags) for op
// types without a row.
const OpTraits& op_traits(const std::string& op_type);
// Traits of a node: its op type's when the node is in the ai.onnx domain, else empty.
const OpTraits& op_traits(const onnx::NodeProto& node);
// Every row of op_traits.def, in table order.
const std::vector<OpTraits>& all_op_traits();

// How the elements of a node's weight map to its output channels.
struct WeightChannels {
  int axis = -1;        // weight axis indexing output channels (within a group)
  int64_t groups = 1;   // blocks along the leading axes, each owning shape[axis] channels
  int64_t channels = 0; // output channels in all
  Shape weight_shape;

  // Output channel of the weight's flat (row-major) element `e`.
  int64_t channel_of(int64_t e) const;
};

// The channel layout of `node`'s weight of shape `weight_shape`; nullopt when the op has no
// channel axis or the shape does not fit it (rank too low, groups not dividing the dims).
std::optional<WeightChannels> weight_channels(const onnx::NodeProto& node, const Shape& weight_shape);

// Shapes of a node's inputs and outputs, by position; nullopt where absent or unknown.
struct NodeShapes {
  std::vector<std::optional<Shape>> inputs, outputs;
};

// Multiply-accumulates of one run of `node` by its op's MAC rule: -1 when the op has no
// rule or a shape the rule needs is unknown or has negative dims. Saturates at INT64_MAX
// (see saturating.h) instead of overflowing on huge shapes.
int64_t node_macs(const onnx::NodeProto& node, const NodeShapes& shapes);
// The same with shapes from `index`; dynamic dims count as 1 (MACs per sample). A value
// without a known shape that a DequantizeLinear produces takes its input's shape (int8
// weights of quantized models).
int64_t node_macs(const onnx::NodeProto& node, const GraphIndex& index);

}  // namespace edge
