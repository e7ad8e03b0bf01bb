// Keeps ONNX 1.12's shape inference from crashing on Shape nodes whose input has no type. Its data
// propagation for Shape dereferences the input's type without checking that one exists, which
// happens after any node ONNX cannot infer (an op of another domain, a node of a newer opset that
// our shadow hides, an inference error in a broken model). Before inference every such Shape input
// gets an empty tensor type (which inference fills in as usual); afterwards the ones still empty
// are removed again.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "onnx/onnx_pb.h"

namespace edge {

class ShapeInputPlaceholders {
 public:
  // Adds the placeholders in `g` and its subgraphs.
  explicit ShapeInputPlaceholders(onnx::GraphProto& g);
  // Removes the placeholders that inference left empty.
  void remove();
  size_t size() const { return value_infos_.size() + inputs_.size(); }

 private:
  std::vector<std::pair<onnx::GraphProto*, std::string>> value_infos_;  // added value_info entries
  std::vector<onnx::ValueInfoProto*> inputs_;                           // graph inputs given a type
};

}  // namespace edge
