// ONNX 1.12's whole-graph shape inference, with a guard in front of every op's
// own inference function. ONNX is given a schema registry
// (GuardedSchemaRegistry) that returns, for the ai.onnx ops of infer_guards.h,
// a copy of ONNX's schema whose inference function first runs our rank and axis
// rules on exactly the input types ONNX holds for the node at that moment
// (after everything before it was inferred, subgraphs and function bodies
// included, since ONNX hands the same registry down), and calls ONNX's function
// only when they hold. Ops with a data-propagation function get it called only
// when all their inputs are typed. A refused node is skipped by ONNX (as any
// node whose inference fails) and reported afterwards as an Error naming it.
#pragma once

#include <string>

#include "onnx/onnx_pb.h"

namespace edge {

// Runs ONNX's shape inference on `model` in place (data propagation on, errors
// of single nodes ignored, as Model::infer_shapes always did). Throws Error
// "<model_name>: node 'n' (Op): why" when a guard refused a node. Returns the
// one-line text of an exception that stopped ONNX's inference early, "" when it
// ran to the end.
std::string safe_infer_shapes(onnx::ModelProto& model, const std::string& model_name);

}  // namespace edge
