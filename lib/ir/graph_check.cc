#include "ir/graph_check.h"

#include <set>
#include <string>
#include <vector>

#include "ir/node_attrs.h"
#include "ir/status.h"

namespace edge {
namespace {

using Attr = onnx::AttributeProto;

// Which value fields an attribute holds, one bit per AttributeType.
uint32_t fields_set(const Attr& a) {
  uint32_t bits = 0;
  auto set = [&](bool present, Attr::AttributeType t) {
    if (present) bits |= 1u << t;
  };
  set(a.has_f(), Attr::FLOAT);
  set(a.has_i(), Attr::INT);
  set(a.has_s(), Attr::STRING);
  set(a.has_t(), Attr::TENSOR);
  set(a.has_g(), Attr::GRAPH);
  set(a.has_sparse_tensor(), Attr::SPARSE_TENSOR);
  set(a.has_tp(), Attr::TYPE_PROTO);
  set(a.floats_size() > 0, Attr::FLOATS);
  set(a.ints_size() > 0, Attr::INTS);
  set(a.strings_size() > 0, Attr::STRINGS);
  set(a.tensors_size() > 0, Attr::TENSORS);
  set(a.graphs_size() > 0, Attr::GRAPHS);
  set(a.sparse_tensors_size() > 0, Attr::SPARSE_TENSORS);
  set(a.type_protos_size() > 0, Attr::TYPE_PROTOS);
  return bits;
}

class StructureChecker {
 public:
  StructureChecker(const onnx::ModelProto& m, std::string model_name)
      : ir_version_(m.ir_version()), model_(std::move(model_name)) {}

  // `outer`: names visible from enclosing graphs (empty for the main graph).
  void check_graph(const onnx::GraphProto& g, const std::set<std::string>& outer, int depth) {
    const std::string where = model_ + ": graph '" + g.name() + "'";
    if (depth > kMaxDepth) fail(where + ": subgraphs nested deeper than " + std::to_string(kMaxDepth));
    std::set<std::string> defined;  // this graph's own names
    auto define = [&](const std::string& name, const std::string& what) {
      if (name.empty()) fail(where + ": " + what + " without a name");
      if (!defined.insert(name).second) {
        fail(where + ": '" + name + "' is defined more than once (" + what +
             "); a graph must be in single static assignment form");
      }
    };
    std::set<std::string> initializers;
    for (const auto& init : g.initializer()) {
      define(init.name(), "initializer");
      initializers.insert(init.name());
    }
    for (const auto& in : g.input()) {
      if (in.name().empty()) fail(where + ": graph input without a name");
      if (!initializers.count(in.name())) define(in.name(), "graph input");  // IR < 4: weights listed as inputs
    }
    for (const auto& s : g.sparse_initializer()) {
      if (s.values().name().empty()) fail(where + ": sparse initializer without a name");
    }
    auto visible = [&](const std::string& name) { return defined.count(name) || outer.count(name); };
    for (const auto& node : g.node()) {
      const std::string at = where + ": " + describe_node(node);
      if (node.op_type().empty()) fail(at + ": node without an op_type");
      for (const auto& in : node.input()) {
        if (!in.empty() && !visible(in)) {
          fail(at + ": input '" + in +
               "' is not a graph input, an initializer or the output of an earlier node (nodes must be "
               "topologically sorted)");
        }
      }
      check_attributes(node, at, defined, outer, depth);
      for (const auto& out : node.output()) {
        if (!out.empty()) define(out, "output of " + describe_node(node));
      }
    }
    for (const auto& out : g.output()) {
      if (out.name().empty()) fail(where + ": graph output without a name");
      if (!visible(out.name())) fail(where + ": graph output '" + out.name() + "' is never produced");
    }
  }

 private:
  static constexpr int kMaxDepth = 64;

  void check_attributes(const onnx::NodeProto& node, const std::string& at, const std::set<std::string>& defined,
                        const std::set<std::string>& outer, int depth) {
    std::set<std::string> names;
    for (const auto& a : node.attribute()) {
      if (a.name().empty()) fail(at + ": attribute without a name");
      if (!names.insert(a.name()).second) fail(at + ": attribute '" + a.name() + "' is given twice");
      if (!a.ref_attr_name().empty()) continue;  // inside a function body: bound by the caller
      const uint32_t bits = fields_set(a);
      if (a.type() == Attr::UNDEFINED) {
        if (ir_version_ >= 2) fail(at + ": attribute '" + a.name() + "' has no type");
      } else if (!Attr::AttributeType_IsValid(a.type())) {
        fail(at + ": attribute '" + a.name() + "' has unknown type " + std::to_string(a.type()));
      } else if ((bits & ~(1u << a.type())) != 0) {
        fail(at + ": attribute '" + a.name() + "' holds a value of another type than its declared " +
             Attr::AttributeType_Name(a.type()));
      }
      if (a.has_g() || a.graphs_size() > 0) {
        std::set<std::string> scope = outer;
        scope.insert(defined.begin(), defined.end());
        if (a.has_g()) check_graph(a.g(), scope, depth + 1);
        for (const auto& sg : a.graphs()) check_graph(sg, scope, depth + 1);
      }
    }
  }

  int64_t ir_version_;
  std::string model_;
};

}  // namespace

void check_model_structure(const onnx::ModelProto& model, const std::string& model_name) {
  if (!model.has_ir_version()) fail(model_name + ": the model declares no ir_version");
  if (!model.has_graph()) fail(model_name + ": model has no graph");
  std::set<std::pair<std::string, int64_t>> imports;
  for (const auto& op : model.opset_import()) {
    const std::string domain = op.domain() == "ai.onnx" ? "" : op.domain();
    for (const auto& [d, v] : imports) {
      if (d == domain) fail(model_name + ": opset domain '" + op.domain() + "' is imported twice");
    }
    imports.insert({domain, op.version()});
  }
  StructureChecker(model, model_name).check_graph(model.graph(), {}, 0);
}

}  // namespace edge
