// The quantization plan: for every node of the float graph, whether it runs in int8 and how
// (from its OpQuantizer), and for every value that becomes 8-bit where its scale and zero
// point come from. Nothing is written here; qdq_writer and qoperator_writer turn a plan
// and its parameters into a graph.
//
// Rules (one walk in topological order):
//  - a node with a quantizer whose analyze() says kCompute is quantized: its activation
//    inputs become 8-bit tensors, its output too; a layer without bias whose only reader is
//    an Add of a constant per-channel vector takes it as its int32 bias (kBias); when the
//    only reader of the result is a Relu/Clip/LeakyRelu (kActivation) the quantized output
//    is the activation's output instead (folding);
//  - a pass-through node (Reshape, MaxPool, ...) is quantized when its input 0 comes from a
//    quantized node, or feeds (maybe through more pass-through nodes) a quantized layer (its
//    input is quantized then); its output shares the input's parameters;
//  - everything else stays float, with the reason recorded.
#pragma once

#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "passes/quantize/op_quantizer.h"
#include "passes/quantize/quant_graph.h"

namespace edge::pass::quant {

// What the layer rules say about one node.
struct LayerChoice {
  bool excluded = false;
  std::string reason;  // why it is excluded ("" = "excluded by a layer rule")
  WeightOptions weights;
};

struct PlanOptions {
  Format format = Format::kQdq;
  bool per_axis_allowed = true;  // DequantizeLinear's axis needs opset 13
  // Per node (default: not excluded, default WeightOptions).
  std::function<LayerChoice(const onnx::NodeProto&)> layer;
};

struct NodePlan {
  NodeQuant q;  // kind as planned: kFloat (with reason), kCompute, kPassThrough, kActivation (folded)
  const OpQuantizer* quantizer = nullptr;
  int folded = -1;       // kCompute: node index of the activation folded into it
  int bias_add = -1;     // kCompute: node index of the Add folded in as its bias
  int folded_into = -1;  // kActivation, kBias: node index of the layer it folds into
  int bias_input = -1;   // kBias: the Add's input holding the constant bias
  Shape bias_shape;      // kBias: shape the int32 bias takes in the QDQ form ([C, 1, 1], [N])
  std::string output;    // kCompute/kPassThrough: the 8-bit output value (float name)
  WeightOptions weights;
};

struct TensorPlan {
  std::string source;     // the value whose range gives the parameters (itself unless passed through)
  bool constant = false;  // a constant operand, quantized from its own values
  int producer = -1;      // index of the quantized node producing it; -1: a float producer, input or constant
  double lo = -std::numeric_limits<double>::infinity();  // clamp of the range (folded activation)
  double hi = std::numeric_limits<double>::infinity();
};

struct QuantPlan {
  Format format = Format::kQdq;
  std::vector<NodePlan> nodes;  // parallel to graph().node()
  std::vector<int> order;       // topological order of the nodes
  std::map<std::string, TensorPlan> tensors;
  // Values whose calibrated ranges the parameters need (sorted).
  std::vector<std::string> calibrated() const;
  int count(NodeQuant::Kind kind) const;
};

QuantPlan plan_quantization(const QuantGraph& g, const PlanOptions& o,
                            const QuantizerRegistry& registry = QuantizerRegistry::builtin());

// A calibrated range: [lo, hi] observed (or chosen by a calibration method).
struct Range {
  double lo = 0, hi = 0;
};

// Parameters of every planned 8-bit value: calibrated ranges (`ranges`, by value name; every
// name of plan.calibrated() must be there) clamped to folded activation bounds, constants from
// their values, passed-through values from their source. Activations use `type`.
std::map<std::string, QParams> plan_params(const QuantPlan& plan, const QuantGraph& g,
                                           const std::map<std::string, Range>& ranges, QType type);

}  // namespace edge::pass::quant
