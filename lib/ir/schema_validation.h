// Structural validation of a model against the ONNX operator schemas, run on
// every graph (subgraphs too) before ONNX's checker and shape inference see the
// model. ONNX 1.12's shape inference trusts what its checker does not verify
// (element types, type-variable bindings, empty names of required inputs) and
// crashes on hostile graphs; this pass refuses them first, with one line naming
// the model, node and op.
//
// Checked for every ai.onnx node that has a schema (other domains and unknown
// ops are left to the unsupported-op errors of the checker and the runtime):
//   - input and output counts within the schema's min/max (variadic included);
//   - required (single, non-optional) inputs and outputs present and named;
//   - attribute names known to the schema (LayerNormalization-17 allows others,
//   as in ONNX),
//     attribute types as declared, required attributes present;
//   - element types of the values a node reads (graph inputs, initializers,
//   value_info, outputs):
//     known to ONNX and, with `check_allowed_types`, allowed by the formal
//     parameter's type constraint; one type variable bound to one type across a
//     node's inputs where both are known.
// For every graph: value_info / inputs / outputs with an element type ONNX does
// not know are refused, and the main graph's inputs and outputs must be typed.
#pragma once

#include <string>

#include "onnx/onnx_pb.h"

namespace edge {

struct SchemaValidationOptions {
  // Element types against the type constraints of the schema ONNX 1.12 knows.
  // Off for models of opsets above 17 (validated through the opset-17 shadow,
  // whose type lists are older).
  bool check_allowed_types = true;
};

// Throws Error "<model>: node '<name>' (<op>): <what>" (or "<model>: graph
// input 'x': ...") on the first problem found.
void validate_against_schemas(const onnx::ModelProto& model, const std::string& model_name,
                              const SchemaValidationOptions& opts = {});

}  // namespace edge
