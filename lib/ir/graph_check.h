// Structural validation of a model without libonnx: what the runtime-only build
// (EDGE_RUNTIME_ONLY) checks in place of the ONNX checker. Names must be in single static
// assignment form, nodes topologically sorted (subgraphs may read enclosing values), every
// node input and graph output defined, attributes named once per node with a value of their
// declared type, and the model must import an opset and declare an IR version. Op schemas
// (input counts, attribute types per op, type constraints) are not checked here: the
// runtime's kernels validate what they read when they are prepared and run.
#pragma once

#include "onnx/onnx_pb.h"

namespace edge {

// Throws Error naming `model_name`, the graph and the node on the first violation.
void check_model_structure(const onnx::ModelProto& model, const std::string& model_name);

}  // namespace edge
