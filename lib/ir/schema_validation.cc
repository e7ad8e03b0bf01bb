#include "ir/schema_validation.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <unordered_map>

#include "ir/node_attrs.h"
#include "ir/status.h"
#include "onnx/defs/data_type_utils.h"
#include "onnx/defs/schema.h"

namespace edge {

namespace {

using onnx::AttributeProto;
using onnx::OpSchema;

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

bool known_elem_type(int32_t e) { return e != onnx::TensorProto::UNDEFINED && onnx::TensorProto_DataType_IsValid(e); }

// ONNX's interned type string ("tensor(float)") for a type, or nullptr when it
// has none we know.
onnx::DataType data_type_of(const onnx::TypeProto& t) {
  if (t.has_tensor_type()) {
    const int32_t e = t.tensor_type().elem_type();
    if (!known_elem_type(e)) return nullptr;
    static std::map<int32_t, onnx::DataType>* cache = new std::map<int32_t, onnx::DataType>();
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache->find(e);
    if (it != cache->end()) return it->second;
    onnx::DataType dt = onnx::Utils::DataTypeUtils::ToType(t);
    (*cache)[e] = dt;
    return dt;
  }
  if (t.value_case() == onnx::TypeProto::VALUE_NOT_SET) return nullptr;
  try {
    return onnx::Utils::DataTypeUtils::ToType(t);
  } catch (const std::exception&) {
    return nullptr;  // an incomplete sequence/optional/map type: unknown, not
                     // wrong
  }
}

// The element type of a tensor type that ONNX does not know (0 when it knows it
// or none is set).
int32_t unknown_elem_type(const onnx::TypeProto& t) {
  const onnx::TypeProto* cur = &t;
  for (int depth = 0; depth < 64; ++depth) {
    if (cur->has_tensor_type()) {
      int32_t e = cur->tensor_type().elem_type();
      return e == 0 || known_elem_type(e) ? 0 : e;
    }
    if (cur->has_sparse_tensor_type()) {
      int32_t e = cur->sparse_tensor_type().elem_type();
      return e == 0 || known_elem_type(e) ? 0 : e;
    }
    if (cur->has_sequence_type() && cur->sequence_type().has_elem_type()) {
      cur = &cur->sequence_type().elem_type();
    } else if (cur->has_optional_type() && cur->optional_type().has_elem_type()) {
      cur = &cur->optional_type().elem_type();
    } else {
      return 0;
    }
  }
  return 0;
}

const char* attribute_type_name(AttributeProto::AttributeType t) {
  switch (t) {
    case AttributeProto::FLOAT: return "float";
    case AttributeProto::INT: return "int";
    case AttributeProto::STRING: return "string";
    case AttributeProto::TENSOR: return "tensor";
    case AttributeProto::GRAPH: return "graph";
    case AttributeProto::SPARSE_TENSOR: return "sparse tensor";
    case AttributeProto::TYPE_PROTO: return "type";
    case AttributeProto::FLOATS: return "floats";
    case AttributeProto::INTS: return "ints";
    case AttributeProto::STRINGS: return "strings";
    case AttributeProto::TENSORS: return "tensors";
    case AttributeProto::GRAPHS: return "graphs";
    case AttributeProto::SPARSE_TENSORS: return "sparse tensors";
    case AttributeProto::TYPE_PROTOS: return "types";
    default: return "undefined";
  }
}

// The attribute's type: its `type` field, or (old models leave it unset) the
// field that holds a value.
AttributeProto::AttributeType effective_type(const AttributeProto& a) {
  if (a.type() != AttributeProto::UNDEFINED) return a.type();
  if (a.has_f()) return AttributeProto::FLOAT;
  if (a.has_i()) return AttributeProto::INT;
  if (a.has_s()) return AttributeProto::STRING;
  if (a.has_t()) return AttributeProto::TENSOR;
  if (a.has_g()) return AttributeProto::GRAPH;
  if (a.has_sparse_tensor()) return AttributeProto::SPARSE_TENSOR;
  if (a.has_tp()) return AttributeProto::TYPE_PROTO;
  if (a.floats_size()) return AttributeProto::FLOATS;
  if (a.ints_size()) return AttributeProto::INTS;
  if (a.strings_size()) return AttributeProto::STRINGS;
  if (a.tensors_size()) return AttributeProto::TENSORS;
  if (a.graphs_size()) return AttributeProto::GRAPHS;
  if (a.sparse_tensors_size()) return AttributeProto::SPARSE_TENSORS;
  if (a.type_protos_size()) return AttributeProto::TYPE_PROTOS;
  return AttributeProto::UNDEFINED;
}

// Types of the values visible in one graph (its own and its enclosing graphs').
using Scope = std::unordered_map<std::string, const onnx::TypeProto*>;

class Validator {
 public:
  Validator(const onnx::ModelProto& m, const std::string& name, const SchemaValidationOptions& opts)
      : model_(name), opts_(opts) {
    for (const auto& op : m.opset_import()) {
      if (is_default_domain(op.domain())) opset_ = static_cast<int>(op.version());
    }
  }

  void graph(const onnx::GraphProto& g, const Scope& outer, bool main) {
    Scope scope = outer;
    declare_initializers(g, scope);
    // ONNX's own precedence: a graph output's declared type over an input's
    // over value_info's.
    for (const auto* list : {&g.value_info(), &g.input(), &g.output()}) {
      const char* kind = list == &g.input() ? "graph input" : list == &g.output() ? "graph output" : "value_info";
      for (const auto& v : *list) {
        if (int32_t e = unknown_elem_type(v.type())) {
          fail(model_ + ": " + kind + " '" + v.name() + "': unknown element type " + std::to_string(e));
        }
        if (main && list != &g.value_info()) require_typed(v, kind);
        if (v.has_type() && v.type().value_case() != onnx::TypeProto::VALUE_NOT_SET) scope[v.name()] = &v.type();
      }
    }
    for (const auto& n : g.node()) {
      node(n, scope);
      for (const auto& a : n.attribute()) {
        if (a.has_g()) graph(a.g(), scope, false);
        for (const auto& sg : a.graphs()) graph(sg, scope, false);
      }
    }
  }

 private:
  void declare_initializers(const onnx::GraphProto& g, Scope& scope) {
    for (const auto& t : g.initializer()) {
      if (!known_elem_type(t.data_type())) {
        fail(model_ + ": initializer '" + t.name() + "': unknown data_type " + std::to_string(t.data_type()));
      }
      onnx::TypeProto& type = owned_.emplace_back();
      type.mutable_tensor_type()->set_elem_type(t.data_type());
      scope.emplace(t.name(),
                    &type);  // a graph input of the same name (declared below) wins
    }
  }

  void require_typed(const onnx::ValueInfoProto& v, const char* kind) const {
    const auto& t = v.type();
    if (!v.has_type() || t.value_case() == onnx::TypeProto::VALUE_NOT_SET) {
      fail(model_ + ": " + kind + " '" + v.name() + "' has no type");
    }
    if (t.has_tensor_type() && t.tensor_type().elem_type() == onnx::TensorProto::UNDEFINED) {
      fail(model_ + ": " + kind + " '" + v.name() + "' has no element type");
    }
  }

  void node(const onnx::NodeProto& n, const Scope& scope) {
    if (!is_default_domain(n.domain()) || opset_ < 1) return;
    const OpSchema* schema = onnx::OpSchemaRegistry::Schema(n.op_type(), opset_, "");
    if (!schema || schema->Deprecated()) return;  // the unsupported-op errors name it
    const std::string where = model_ + ": " + describe_node(n) + ": ";
    const std::string sig = " (" + n.op_type() + "-" + std::to_string(schema->since_version()) + " takes ";
    auto range = [](int lo, int hi) {
      return hi == std::numeric_limits<int>::max() ? std::to_string(lo) + " or more"
             : lo == hi                            ? std::to_string(lo)
                                                   : std::to_string(lo) + " to " + std::to_string(hi);
    };
    if (n.input_size() < schema->min_input() || n.input_size() > schema->max_input()) {
      fail(where + std::to_string(n.input_size()) + " inputs" + sig + range(schema->min_input(), schema->max_input()) +
           ")");
    }
    if (n.output_size() < schema->min_output() || n.output_size() > schema->max_output()) {
      fail(where + std::to_string(n.output_size()) + " outputs" + sig +
           range(schema->min_output(), schema->max_output()) + ")");
    }
    check_named(n.output(), schema->outputs(), where, "output");
    check_named(n.input(), schema->inputs(), where, "input");
    attributes(n, *schema, where);
    input_types(n, *schema, scope, where);
  }

  template <typename Names>
  void check_named(const Names& names, const std::vector<OpSchema::FormalParameter>& formals, const std::string& where,
                   const char* kind) const {
    if (formals.empty()) return;
    for (int i = 0; i < names.size(); ++i) {
      const auto& f = formals[std::min<size_t>(static_cast<size_t>(i), formals.size() - 1)];
      if (f.GetOption() == OpSchema::Single && names.Get(i).empty()) {
        fail(where + "required " + kind + " " + std::to_string(i) + " ('" + f.GetName() + "') has no name");
      }
    }
  }

  void attributes(const onnx::NodeProto& n, const OpSchema& schema, const std::string& where) const {
    const auto& declared = schema.attributes();
    const bool unchecked = n.op_type() == "LayerNormalization";  // ONNX 1.12 allows unchecked attributes there
    for (const auto& a : n.attribute()) {
      if (a.has_ref_attr_name()) continue;  // function-body reference, resolved by the caller
      auto it = declared.find(a.name());
      if (it == declared.end()) {
        if (unchecked) continue;
        fail(where + "unknown attribute '" + a.name() + "'");
      }
      const auto type = effective_type(a);
      if (type != AttributeProto::UNDEFINED && type != it->second.type) {
        fail(where + "attribute '" + a.name() + "' is " + attribute_type_name(type) + ", expected " +
             attribute_type_name(it->second.type));
      }
      // Element types given as attributes: ONNX's inference copies them into
      // types unchecked.
      const bool dtype_attr = a.name() == "to" || a.name() == "dtype" || a.name() == "stash_type";
      if (dtype_attr && type == AttributeProto::INT && !known_elem_type(static_cast<int32_t>(a.i()))) {
        fail(where + "attribute '" + a.name() + "' is " + std::to_string(a.i()) + ", not an element type");
      }
    }
    for (const auto& [name, attr] : declared) {
      if (!attr.required) continue;
      bool present = false;
      for (const auto& a : n.attribute()) present = present || a.name() == name;
      if (!present) fail(where + "missing required attribute '" + name + "'");
    }
  }

  void input_types(const onnx::NodeProto& n, const OpSchema& schema, const Scope& scope, const std::string& where) {
    const auto& formals = schema.inputs();
    if (formals.empty()) return;
    std::map<std::string, std::pair<onnx::DataType, int>> bound;  // type variable -> (type, input index)
    for (int i = 0; i < n.input_size(); ++i) {
      if (n.input(i).empty()) continue;
      auto it = scope.find(n.input(i));
      if (it == scope.end()) continue;
      onnx::DataType dt = data_type_of(*it->second);
      if (!dt) continue;
      const auto& f = formals[std::min<size_t>(static_cast<size_t>(i), formals.size() - 1)];
      const std::string label = "input " + std::to_string(i) + " '" + n.input(i) + "' is " + *dt;
      if (opts_.check_allowed_types && !f.GetTypes().empty() && !f.GetTypes().count(dt)) {
        fail(where + label + ", which " + f.GetName() + " (" + f.GetTypeStr() + ") does not accept");
      }
      bool variable = false;
      for (const auto& tc : schema.typeConstraintParams()) variable = variable || tc.type_param_str == f.GetTypeStr();
      const bool heterogeneous = f.GetOption() == OpSchema::Variadic && !f.GetIsHomogeneous();
      if (!variable || heterogeneous) continue;
      auto [b, fresh] = bound.emplace(f.GetTypeStr(), std::make_pair(dt, i));
      if (!fresh && b->second.first != dt) {
        fail(where + "input types differ: " + label + " but input " + std::to_string(b->second.second) + " '" +
             n.input(b->second.second) + "' is " + *b->second.first + " (both " + f.GetTypeStr() + ")");
      }
    }
  }

  std::string model_;
  SchemaValidationOptions opts_;
  int opset_ = 0;
  std::deque<onnx::TypeProto> owned_;  // initializer types
};

}  // namespace

void validate_against_schemas(const onnx::ModelProto& model, const std::string& model_name,
                              const SchemaValidationOptions& opts) {
  if (!model.has_graph()) return;
  Validator v(model, model_name, opts);
  v.graph(model.graph(), {}, true);
}

}  // namespace edge
