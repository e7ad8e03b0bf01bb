// A node's name for messages (describe_node) and typed access to its attributes (NodeAttrs),
// with defaults and errors that name the node. Shared by the runtime's kernels and the passes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace edge {

// "node 'conv1' (Conv)", "node 'q' (com.microsoft.QGemm)"; an unnamed node is named by its
// first output: "node (Add) producing 't'".
std::string describe_node(const onnx::NodeProto& node);

class NodeAttrs {
 public:
  explicit NodeAttrs(const onnx::NodeProto& node) : node_(&node) {}

  bool has(const std::string& name) const { return find(name) != nullptr; }
  // get_* return `def` when the attribute is absent and throw when it has another type.
  int64_t get_int(const std::string& name, int64_t def) const;
  float get_float(const std::string& name, float def) const;
  std::string get_string(const std::string& name, const std::string& def) const;
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> def = {}) const;
  std::vector<float> get_floats(const std::string& name, std::vector<float> def = {}) const;
  std::vector<std::string> get_strings(const std::string& name) const;
  // Required variants throw when absent.
  int64_t require_int(const std::string& name) const;
  Tensor get_tensor(const std::string& name) const;  // throws when absent
  const onnx::GraphProto* get_graph(const std::string& name) const;  // nullptr when absent

  const onnx::AttributeProto* find(const std::string& name) const;

 private:
  const onnx::AttributeProto& expect(const std::string& name, onnx::AttributeProto::AttributeType t) const;
  const onnx::NodeProto* node_;
};

}  // namespace edge
