// Checking and shape inference for models newer than what ONNX 1.12 knows (ai.onnx opset 18-21, IR
// version 9-10), keeping ONNX's checker and shape inference for everything they can still judge:
//
// 1. A shadow copy of the model is made with its ai.onnx opset lowered to 17 and its IR version to
//    8. Every node whose op changed after opset 17 is rewritten to its opset-17 form where that
//    form has the same meaning for types and shapes (opset_changes.def: drop an attribute that only
//    matters for values, turn a constant `axes` input into the attribute, ...). A node that cannot
//    be lowered (a new op such as GroupNormalization, Split with num_outputs, Pad with axes) moves
//    to a private domain in the shadow: ONNX's checker then still checks its place in the graph
//    (inputs defined before use, names) but not its signature, and ONNX's shape inference passes
//    over it.
// 2. Checking = ONNX's checker on the shadow + our validation of those opaque nodes against the
//    table's signature (input/output counts, attribute names, types, required ones) + a refusal of
//    element types we cannot hold (float8, int4: opset 19/21).
// 3. Shape inference alternates ONNX's inference on the shadow with our own rules for the opaque
//    nodes (shape_infer_ops.h), whose results enter the shadow as value_info that ONNX reads for
//    the nodes after them, until nothing new is learnt; the inferred types are then copied back to
//    the model, whose nodes are never edited.
#pragma once

#include <string>
#include <vector>

#include "ir/model.h"
#include "onnx/onnx_pb.h"

namespace edge {

// The private domain that hides opaque nodes from ONNX 1.12 in the shadow.
inline constexpr const char* kShadowDomain = "ai.edge.opset_shadow";

// True when ONNX 1.12 cannot judge the model directly (ai.onnx opset > 17 or IR version > 8).
bool needs_opset_shadow(const Model& m);

struct OpaqueNode {
  onnx::NodeProto* node = nullptr;    // in the shadow (domain kShadowDomain, op and attributes kept)
  onnx::GraphProto* graph = nullptr;  // the shadow graph holding it
  std::string reason;                 // why it was not lowered
};

class OpsetShadow {
 public:
  explicit OpsetShadow(const Model& m);
  OpsetShadow(const OpsetShadow&) = delete;
  OpsetShadow& operator=(const OpsetShadow&) = delete;

  onnx::ModelProto& proto() { return proto_; }
  const std::vector<OpaqueNode>& opaque() const { return opaque_; }
  int opset() const { return opset_; }

  // Our checks of what ONNX's checker does not see (opaque nodes, new element types). Throws Error
  // naming the model and node.
  void validate() const;
  // Runs our inference rules on the opaque nodes with the types known in the shadow now, and
  // records what they give in the shadow's value_info. True when anything new was learnt.
  bool infer_opaque_nodes();
  // Copies the shadow's value_info and graph output types into `m` (same graph structure).
  void copy_types_to(Model& m) const;

 private:
  onnx::ModelProto proto_;
  std::string name_;
  int opset_ = 0;
  std::vector<OpaqueNode> opaque_;
};

}  // namespace edge
