// QuantGraph: read-only questions the quantizers ask about the float graph being quantized:
// which values are float32, which are constants (initializers a caller cannot override,
// Constant node outputs), who produces and reads a value.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "ir/graph_index.h"
#include "ir/model.h"
#include "ir/tensor.h"

namespace edge::pass::quant {

class QuantGraph {
 public:
  // `model` must outlive this object and have inferred shapes (value_info) for the types.
  explicit QuantGraph(const Model& model);

  const Model& model() const { return *model_; }
  const onnx::GraphProto& graph() const { return model_->graph(); }
  const GraphIndex& index() const { return index_; }
  int opset() const { return opset_; }

  // The initializer `name` when a caller cannot override it (not a fed graph input), else
  // nullptr.
  const onnx::TensorProto* initializer(const std::string& name) const;
  // The value of a constant: such an initializer or the output of a Constant node with a
  // `value` tensor; nullopt otherwise.
  std::optional<Tensor> constant(const std::string& name) const;
  bool is_constant(const std::string& name) const { return constant_kind(name) != 0; }
  // True when `name` is a float32 tensor (declared type or initializer type).
  bool is_float(const std::string& name) const;
  // Static shape when known.
  std::optional<Shape> shape(const std::string& name) const;

  bool is_graph_output(const std::string& name) const { return outputs_.count(name) != 0; }
  bool is_graph_input(const std::string& name) const { return fed_.count(name) != 0; }
  // Read by a subgraph of some node (If/Loop bodies).
  bool read_by_subgraph(const std::string& name) const { return sub_reads_.count(name) != 0; }

 private:
  int constant_kind(const std::string& name) const;  // 0 none, 1 initializer, 2 Constant node

  const Model* model_;
  GraphIndex index_;
  int opset_;
  std::set<std::string> fed_, outputs_, sub_reads_;
};

}  // namespace edge::pass::quant
