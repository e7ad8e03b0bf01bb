// Model::check and Model::infer_shapes in the runtime-only build (EDGE_RUNTIME_ONLY), which
// does not link libonnx: our structural validation (graph_check.h) stands in for the ONNX
// checker, and there is no ONNX shape inference. The runtime needs neither: kernels take
// types and shapes from the tensors they are given (and from whatever value_info the model
// file carries), validate them when prepared and on every run, and the memory planner sizes
// the arena from the first run. Models are expected to have been checked by the compressor,
// which keeps the full ONNX checker and shape inference (model_checks_onnx.cc).
#include "ir/graph_check.h"
#include "ir/model.h"

namespace edge {

void Model::check() const { check_model_structure(proto_, name()); }

void Model::infer_shapes() {}

}  // namespace edge
