// GraphIndex: lookup tables over one onnx::GraphProto (not its subgraphs): who produces
// and who consumes each value, initializers, value infos, and a topological order.
// The index holds pointers into the graph; rebuild it after editing the graph.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace edge {

class GraphIndex {
 public:
  explicit GraphIndex(const onnx::GraphProto& g);

  const onnx::GraphProto& graph() const { return *g_; }
  // Index of the node producing `value`, or -1 (graph input, initializer, or undefined).
  int producer(const std::string& value) const;
  // Indices of nodes reading `value` (in node order; a node reading twice appears twice).
  const std::vector<int>& consumers(const std::string& value) const;
  const onnx::TensorProto* initializer(const std::string& name) const;
  // Type/shape info from graph inputs, outputs or value_info, or nullptr.
  const onnx::ValueInfoProto* value_info(const std::string& name) const;
  bool is_graph_input(const std::string& name) const;
  bool is_graph_output(const std::string& name) const;
  // Graph inputs that are not initializers (what a caller must feed).
  std::vector<const onnx::ValueInfoProto*> runtime_inputs() const;

  // Shape of `name` from its initializer or value info, -1 for symbolic or unknown dims.
  // False when neither gives a tensor shape.
  bool shape(const std::string& name, Shape* out) const;
  // Like shape(), but true only when every dim is known.
  bool static_shape(const std::string& name, Shape* out) const;
  // onnx::TensorProto::DataType of `name` from its initializer or value info, or 0.
  int32_t elem_type(const std::string& name) const;

  // Node indices in a valid execution order. Throws Error if the graph has a cycle, a
  // value produced twice, or a node reading a value that nothing defines. `outer_scope`
  // lists names visible from an enclosing graph (for subgraphs).
  std::vector<int> topological_order(const std::vector<std::string>& outer_scope = {}) const;

 private:
  const onnx::GraphProto* g_;
  std::map<std::string, int> producer_;
  std::map<std::string, std::vector<int>> consumers_;
  std::map<std::string, const onnx::TensorProto*> init_;
  std::map<std::string, const onnx::ValueInfoProto*> vi_;
  std::map<std::string, bool> inputs_, outputs_;
  std::vector<std::string> duplicate_outputs_;
};

// Shape from a ValueInfoProto: dims with known values, -1 for symbolic/unknown dims.
// Returns false when the value has no tensor shape.
bool value_info_shape(const onnx::ValueInfoProto& vi, Shape* shape);

}  // namespace edge
