#include "passes/quantize/opset_raise.h"

#include <map>
#include <set>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "onnx/defs/schema.h"

namespace edge::pass::quant {
namespace {

// Ops whose schema changed up to opset 13 only by adding types or optional inputs/outputs
// with defaults that keep the old meaning: the oldest schema version that raises safely.
const std::map<std::string, int>& compatible_since() {
  static const std::map<std::string, int> k = {
      {"Abs", 6},
      {"Add", 7},
      {"And", 7},
      {"ArgMax", 1},
      {"ArgMin", 1},
      {"AveragePool", 1},
      {"Cast", 6},
      {"Ceil", 6},
      {"Concat", 4},
      {"Constant", 1},
      {"ConstantOfShape", 9},
      {"Conv", 1},
      {"ConvTranspose", 1},
      {"CumSum", 11},
      {"DepthToSpace", 1},
      {"Div", 7},
      {"Einsum", 12},
      {"Elu", 6},
      {"Equal", 7},
      {"Erf", 9},
      {"Exp", 6},
      {"Expand", 8},
      {"Flatten", 1},
      {"Floor", 6},
      {"Gather", 1},
      {"GatherElements", 11},
      {"GatherND", 11},
      {"Gemm", 7},
      {"GlobalAveragePool", 1},
      {"GlobalMaxPool", 1},
      {"Greater", 7},
      {"HardSigmoid", 6},
      {"Identity", 1},
      {"InstanceNormalization", 6},
      {"IsNaN", 9},
      {"LeakyRelu", 6},
      {"Less", 7},
      {"Log", 6},
      {"LRN", 1},
      {"MatMul", 1},
      {"Max", 6},
      {"MaxPool", 1},
      {"Mean", 6},
      {"Min", 6},
      {"Mul", 7},
      {"Neg", 6},
      {"NonZero", 9},
      {"Not", 1},
      {"OneHot", 9},
      {"Or", 7},
      {"Pow", 7},
      {"PRelu", 7},
      {"Range", 11},
      {"Reciprocal", 6},
      {"ReduceL1", 1},
      {"ReduceL2", 1},
      {"ReduceLogSum", 1},
      {"ReduceLogSumExp", 1},
      {"ReduceMax", 1},
      {"ReduceMean", 1},
      {"ReduceMin", 1},
      {"ReduceProd", 1},
      {"ReduceSumSquare", 1},
      {"Relu", 6},
      {"Reshape", 5},
      {"Selu", 6},
      {"Shape", 1},
      {"Sigmoid", 6},
      {"Sign", 9},
      {"Size", 1},
      {"Softplus", 1},
      {"Softsign", 1},
      {"SpaceToDepth", 1},
      {"Sqrt", 6},
      {"Sub", 7},
      {"Sum", 6},
      {"Tanh", 6},
      {"Tile", 6},
      {"Transpose", 1},
      {"Where", 9},
      {"Xor", 7},
  };
  return k;
}

int since(const std::string& op, int opset) {
  const auto* s = onnx::OpSchemaRegistry::Schema(op, opset, "");
  return s ? s->SinceVersion() : -1;
}

// Rank of a value when known.
int rank_of(const GraphIndex& index, const std::string& name) {
  Shape s;
  return index.shape(name, &s) ? static_cast<int>(s.size()) : -1;
}

std::string node_blocker(const onnx::NodeProto& n, int from, int target, const GraphIndex& index) {
  if (!is_onnx_op(n)) return "";
  if (has_subgraph(n)) return describe_node(n) + ": has a subgraph";
  const std::string& op = n.op_type();
  const int old_v = since(op, from), new_v = since(op, target);
  if (old_v < 0 || new_v < 0)
    return describe_node(n) + ": no schema at opset " + std::to_string(old_v < 0 ? from : target);
  if (old_v == new_v) return "";
  const NodeAttrs a(n);
  if (op == "Clip" || op == "Squeeze" || op == "Unsqueeze") return "";  // rewritten by raise_opset
  if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") {
    // Before 13 these flatten to 2-D at `axis`; from 13 they work along `axis` alone: the
    // same only when `axis` is the last dimension.
    const int r = rank_of(index, n.input(0));
    int64_t axis = a.get_int("axis", 1);
    if (r > 0 && axis < 0) axis += r;
    if (r > 0 && axis == r - 1) return "";
    return describe_node(n) + ": works along a flattened axis before opset 13";
  }
  if (op == "BatchNormalization" && old_v >= 6 && a.get_int("spatial", 1) == 1) return "";
  if (op == "Dropout" && old_v >= 7 && !a.has("ratio")) return "";
  auto it = compatible_since().find(op);
  if (it != compatible_since().end() && old_v >= it->second) return "";
  return describe_node(n) + ": version " + std::to_string(old_v) + " changes meaning at opset " + std::to_string(new_v);
}

// Moves list attribute `attr` (ints, or one float for Clip) into a new constant input.
void attr_to_input(Model& m, onnx::NodeProto& n, const std::string& attr, std::set<std::string>& taken) {
  const NodeAttrs a(n);
  if (!a.has(attr)) {
    if (n.op_type() == "Clip") n.add_input("");
    return;
  }
  Tensor t = n.op_type() == "Clip"
                 ? Tensor::scalar<float>(a.get_float(attr, 0.f))
                 : Tensor::from_vector<int64_t>({static_cast<int64_t>(a.get_ints(attr).size())}, a.get_ints(attr));
  const std::string name = fresh_name(taken, (n.name().empty() ? n.output(0) : n.name()) + "_" + attr);
  add_initializer(m, t, name);
  n.add_input(name);
  auto* attrs = n.mutable_attribute();
  for (int i = 0; i < attrs->size(); ++i) {
    if (attrs->Get(i).name() == attr) {
      attrs->DeleteSubrange(i, 1);
      break;
    }
  }
}

}  // namespace

std::string opset_raise_blocker(const Model& m, int target) {
  const int from = m.opset();
  if (from >= target) return "";
  const GraphIndex index(m.graph());
  for (const auto& n : m.graph().node()) {
    if (auto why = node_blocker(n, from, target, index); !why.empty()) return why;
  }
  return "";
}

void raise_opset(Model& m, int target) {
  const int from = m.opset();
  if (from >= target) return;
  auto& g = m.graph();
  if (m.proto().ir_version() < 4) {  // initializers were inputs by rule only
    std::set<std::string> inits;
    for (const auto& t : g.initializer()) inits.insert(t.name());
    auto* inputs = g.mutable_input();
    for (int i = inputs->size() - 1; i >= 0; --i) {
      if (inits.count(inputs->Get(i).name())) inputs->DeleteSubrange(i, 1);
    }
  }
  if (m.proto().ir_version() < 7) m.proto().set_ir_version(7);
  std::set<std::string> taken = all_names(g);
  for (auto& n : *g.mutable_node()) {
    if (!is_onnx_op(n)) continue;
    if (n.op_type() == "Clip" && since("Clip", from) < 11) {
      attr_to_input(m, n, "min", taken);
      attr_to_input(m, n, "max", taken);
      while (n.input_size() > 1 && n.input(n.input_size() - 1).empty()) n.mutable_input()->RemoveLast();
    } else if ((n.op_type() == "Squeeze" || n.op_type() == "Unsqueeze") && since(n.op_type(), from) < 13) {
      attr_to_input(m, n, "axes", taken);
    }
  }
  for (auto& op : *m.proto().mutable_opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") op.set_version(target);
  }
}

}  // namespace edge::pass::quant
