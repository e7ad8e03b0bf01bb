// What changed in the ai.onnx operators after opset 17, the newest opset that Debian's ONNX 1.12
// (our checker and shape inference) knows: one table (opset_changes.def) with, per op version of
// opsets 18-21, how a node of that version can be shown to ONNX 1.12 as an older version (lowered),
// the op's signature (input/output counts, attributes) for our own validation of nodes that cannot
// be lowered, and which of our shape-inference rules applies to them (shape_infer_ops.h).
// opset_shadow.h puts it to use.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace edge {

// The newest ai.onnx opset and IR version that the ONNX library we link (1.12) knows.
constexpr int kOnnxLibraryOpset = 17;
constexpr int kOnnxLibraryIrVersion = 8;

// Our own type/shape inference rules (shape_infer_ops.h), named in the table's last column.
enum class OpInfer {
  kNone,
  kBroadcast,
  kSameAsInput,
  kCenterCropPad,
  kCol2Im,
  kPool,
  kPad,
  kReduce,
  kResize,
  kSplit,
  kDeformConv,
  kQuantizeLinear,
  kDequantizeLinear,
  kAffineGrid,
};

struct AttrSpec {
  std::string name;
  onnx::AttributeProto::AttributeType type = onnx::AttributeProto::UNDEFINED;
  bool required = false;
};

// One step of lowering a node to the op's previous version (see opset_changes.def).
struct LowerRule {
  enum Kind { kDrop, kDropIfDefault, kAbsent, kNoInput, kInputToAttr } kind = kDrop;
  std::string attr;   // attribute named by the rule
  std::string value;  // kDropIfDefault: the value that changes nothing
  int input = -1;     // kNoInput, kInputToAttr
};

struct OpsetChange {
  std::string op;
  int version = 0;
  bool same = false;   // lowered as written
  bool never = false;  // never lowered
  std::vector<LowerRule> rules;
  bool has_signature = false;  // false on rows that only widen types
  int min_inputs = 0, max_inputs = 0, min_outputs = 0,
      max_outputs = 0;  // max -1: no bound
  std::vector<AttrSpec> attrs;
  OpInfer infer = OpInfer::kNone;
};

// Every row of opset_changes.def, in table order.
const std::vector<OpsetChange>& all_opset_changes();
// Rows of ai.onnx `op` with from < version <= to, newest first.
std::vector<const OpsetChange*> opset_changes(const std::string& op, int from, int to);
// The newest row of `op` at or below `opset` (and above 17) that gives a signature, or nullptr.
const OpsetChange* op_signature_row(const std::string& op, int opset);

// The value feeding a node input when it is constant (an initializer or a Constant node's tensor),
// else nullptr.
using ConstantLookup = std::function<const onnx::TensorProto*(const std::string& value)>;

// Rewrites `node`, an ai.onnx node of a model importing `opset` (> 17), into the form ONNX 1.12
// checks and infers at opset 17, by applying the rules of every row of its op in (17, opset],
// newest first. Returns "" when the node was lowered (edited in place; it may be unchanged), else
// why not ("Split-18 with attribute num_outputs"), leaving it untouched.
std::string lower_to_opset17(onnx::NodeProto& node, int opset, const ConstantLookup& constant);

// Checks a node that cannot be lowered against its signature row: input and output counts,
// attribute names and types, required attributes. Throws Error naming the node.
void validate_signature(const onnx::NodeProto& node, int opset);

// "int", "ints", ... as in the table.
std::string attr_type_name(onnx::AttributeProto::AttributeType t);

}  // namespace edge
