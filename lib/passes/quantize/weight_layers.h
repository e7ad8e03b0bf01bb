// What quantize-dynamic, quantize-weight-only and quantize-fp16 share: finding the layers
// whose weight is a constant initializer, rewriting a graph node by node, and the report rows.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/model.h"
#include "passes/quantize/quant_params.h"
#include "report/report.h"

namespace edge::pass::quant {

// A MatMul or Gemm with a constant 2-D weight, as Y = X x W + bias.
struct LinearLayer {
  int node = -1;
  std::string input;   // X
  std::string weight;  // the initializer B
  Tensor w_kn;         // float32 [K, N]: Gemm's transB undone and alpha folded in
  Tensor bias;         // float32 [N] (Gemm's beta * C), or undefined
  std::string bias_name;  // Gemm's C initializer, "" when none
};

// A node that reads a constant float weight and why it stays float when it does.
struct Candidate {
  LinearLayer linear;  // valid when reason is empty and the op is MatMul/Gemm
  std::string reason;  // "" when the layer can be rewritten
};

// The float32 initializer `name` of `m`, or nullptr when there is none (or it is a graph input
// a caller may override, or not float32).
const onnx::TensorProto* float_weight(const Model& m, const std::set<std::string>& fed, const std::string& name);

// A MatMul/Gemm node as a LinearLayer; `reason` says why it is not one (transA, non-constant
// or shared weight, bias of the wrong shape, B not 2-D...).
Candidate linear_layer(const Model& m, int node, const std::set<std::string>& fed);

// The layer's display name (node name, else its first output).
std::string layer_name(const onnx::NodeProto& n);

// Rewrites the main graph: every node index in `replace` is dropped and the nodes its
// function returns are put in its place (in order); other nodes are kept. Initializers that
// no node reads any more among `maybe_unused` are removed.
void rewrite_nodes(Model& m, const std::map<int, std::vector<onnx::NodeProto>>& replace,
                   const std::set<std::string>& maybe_unused);

// Node builder: op_type, inputs, outputs, optional name and domain.
onnx::NodeProto make_node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                          const std::string& name, const std::string& domain = "");

// Adds an opset import for `domain` at `version` unless present.
void ensure_opset_import(Model& m, const std::string& domain, int version);

// Error of `approx` against the float weight `ref` (same number of float32 values).
ErrorStats weight_error(const Tensor& ref, const std::vector<float>& approx);

// A report row for a converted layer: precision, weights (a description), bits, sqnr_db, mse
// of the weight, params.
report::LayerRecord converted_row(const onnx::NodeProto& n, const std::string& precision, const std::string& weights,
                                  int bits, const ErrorStats* err, int64_t params);
// A report row for a layer left float, with the reason.
report::LayerRecord float_row(const onnx::NodeProto& n, const std::string& reason);

}  // namespace edge::pass::quant

namespace edge::pass::quant {

// Weight `name` (a float32 initializer) stored as int8, symmetric, per slice of `axis` (-1:
// per tensor), behind a DequantizeLinear whose output replaces it. Adds the initializers to
// `m` (names from `taken`); the caller rewires the readers and removes the float weight.
struct DequantizedWeight {
  onnx::NodeProto node;  // the DequantizeLinear
  std::string output;    // its output (the float weight's stand-in)
  ErrorStats error;      // dequantized vs float weight
  int64_t params = 0;
  int axis = -1;
};
DequantizedWeight dequantized_weight(Model& m, std::set<std::string>& taken, const std::string& name, int axis);

}  // namespace edge::pass::quant
