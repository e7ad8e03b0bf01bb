// Models written in ONNX's textual syntax (onnx/defs/parser.h), for tests and tools:
//   <ir_version: 8, opset_import: ["" : 13]>
//   agraph (float[N, 4] x) => (float[N, 4] y) { y = Relu(x) }
#pragma once

#include <string>

#include "ir/model.h"

namespace edge {

// Parses, checks and shape-infers a model; throws Error on syntax errors.
Model parse_model_text(const std::string& text, const LoadOptions& opts = {});

}  // namespace edge
