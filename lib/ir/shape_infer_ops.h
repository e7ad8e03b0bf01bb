// Our own type and shape inference for ai.onnx nodes of opsets 18-21 that ONNX 1.12 cannot infer
// (new ops, or new inputs/attributes that change the output shape). One rule per OpInfer value of
// opset_changes.def; each reads the node, its input types and its constant inputs, and fills in
// what it can: an output whose element type or shape cannot be known stays unset (or without a
// shape), as ONNX's own inference does.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/opset_changes.h"
#include "onnx/onnx_pb.h"

namespace edge {

struct InferNode {
  const onnx::NodeProto& node;
  int opset = 0;
  std::vector<const onnx::TypeProto*> inputs;       // per input: nullptr when absent or unknown
  std::vector<const onnx::TensorProto*> constants;  // per input: nullptr when not constant
  std::vector<onnx::TypeProto> outputs;             // per output: unset when unknown
};

// Fills `n.outputs` (resized to the node's output count) by rule `rule`. Throws Error naming the
// node when its inputs contradict the op (pads of the wrong length, split sizes that do not add up,
// ...).
void infer_node_types(OpInfer rule, InferNode& n);

// The values of a small integer (int32/int64) constant; false for other types, or more than 2^16
// elements (constants read here are axes, pads and shapes).
bool constant_ints(const onnx::TensorProto& t, std::vector<int64_t>* out);

}  // namespace edge
