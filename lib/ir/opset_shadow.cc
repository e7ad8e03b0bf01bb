#include "ir/opset_shadow.h"

#include <deque>
#include <map>

#include "ir/dtype.h"
#include "ir/node_attrs.h"
#include "ir/opset_changes.h"
#include "ir/shape_infer_ops.h"

namespace edge {

namespace {

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// Types and constants visible in one graph (and, through `outer`, its enclosing graphs).
struct Scope {
  const Scope* outer = nullptr;
  std::map<std::string, const onnx::TypeProto*> types;
  std::map<std::string, const onnx::TensorProto*> consts;
  std::deque<onnx::TypeProto> owned_types;
  std::deque<onnx::TensorProto> owned_consts;

  const onnx::TypeProto* type(const std::string& n) const {
    auto it = types.find(n);
    if (it != types.end()) return it->second;
    return outer ? outer->type(n) : nullptr;
  }
  const onnx::TensorProto* constant(const std::string& n) const {
    auto it = consts.find(n);
    if (it != consts.end()) return it->second;
    return outer ? outer->constant(n) : nullptr;
  }
};

void build_scope(const onnx::GraphProto& g, int64_t ir_version, Scope& s) {
  for (const auto* list : {&g.input(), &g.value_info(), &g.output()}) {
    for (const auto& v : *list) {
      if (v.has_type()) s.types[v.name()] = &v.type();
    }
  }
  std::map<std::string, bool> inputs;
  for (const auto& v : g.input()) inputs[v.name()] = true;
  for (const auto& t : g.initializer()) {
    if (!s.types.count(t.name())) {
      auto& ty = s.owned_types.emplace_back();
      auto* tt = ty.mutable_tensor_type();
      tt->set_elem_type(t.data_type());
      auto* shape = tt->mutable_shape();
      for (int64_t d : t.dims()) shape->add_dim()->set_dim_value(d);
      s.types[t.name()] = &ty;
    }
    // An initializer that is also a graph input is only a default a caller may override.
    if (!inputs.count(t.name()) || ir_version < 4) s.consts[t.name()] = &t;
  }
  for (const auto& n : g.node()) {
    if (!is_default_domain(n.domain()) || n.op_type() != "Constant" || n.output_size() != 1) continue;
    for (const auto& a : n.attribute()) {
      if (a.name() == "value" && a.has_t()) {
        s.consts[n.output(0)] = &a.t();
      } else if (a.name() == "value_ints" || a.name() == "value_int") {
        auto& t = s.owned_consts.emplace_back();
        t.set_data_type(onnx::TensorProto::INT64);
        if (a.name() == "value_ints") {
          t.add_dims(a.ints_size());
          for (int64_t v : a.ints()) t.add_int64_data(v);
        } else {
          t.add_int64_data(a.i());
        }
        s.consts[n.output(0)] = &t;
      }
    }
  }
}

std::vector<onnx::GraphProto*> subgraphs(onnx::NodeProto& n) {
  std::vector<onnx::GraphProto*> out;
  for (auto& a : *n.mutable_attribute()) {
    if (a.has_g()) out.push_back(a.mutable_g());
    for (auto& g : *a.mutable_graphs()) out.push_back(&g);
  }
  return out;
}

// How much a type says: element type, shape, known dims.
int information(const onnx::TypeProto& t) {
  if (!t.has_tensor_type()) return t.value_case() == onnx::TypeProto::VALUE_NOT_SET ? 0 : 1;
  const auto& tt = t.tensor_type();
  int score = tt.elem_type() != 0 ? 1 : 0;
  if (tt.has_shape()) {
    score += 1;
    for (const auto& d : tt.shape().dim()) score += d.has_dim_value() || d.has_dim_param() ? 1 : 0;
  }
  return score;
}

std::string type_str(const onnx::TypeProto& t) {
  const auto& tt = t.tensor_type();
  std::string s = "type " + std::to_string(tt.elem_type());
  if (!tt.has_shape()) return s;
  s += " [";
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto& d = tt.shape().dim(i);
    s += (i ? "," : "") + (d.has_dim_value()       ? std::to_string(d.dim_value())
                           : d.dim_param().empty() ? "?"
                                                   : d.dim_param());
  }
  return s + "]";
}

// Whether two tensor types cannot describe the same value (element types or fixed dims differ).
bool contradicts(const onnx::TypeProto& a, const onnx::TypeProto& b) {
  if (!a.has_tensor_type() || !b.has_tensor_type()) return false;
  const auto &x = a.tensor_type(), &y = b.tensor_type();
  if (x.elem_type() != 0 && y.elem_type() != 0 && x.elem_type() != y.elem_type()) return true;
  if (!x.has_shape() || !y.has_shape()) return false;
  if (x.shape().dim_size() != y.shape().dim_size()) return true;
  for (int i = 0; i < x.shape().dim_size(); ++i) {
    const auto &p = x.shape().dim(i), &q = y.shape().dim(i);
    if (p.has_dim_value() && q.has_dim_value() && p.dim_value() != q.dim_value()) return true;
  }
  return false;
}

// Stores `t` as the type of `name` in graph `g` where it says more than what is there; a type that
// contradicts a declared one is an error (as in ONNX's own inference).
bool record_type(onnx::GraphProto& g, Scope& s, const std::string& name, const onnx::TypeProto& t,
                 const onnx::NodeProto& node) {
  if (name.empty() || information(t) == 0) return false;
  onnx::ValueInfoProto* slot = nullptr;
  for (auto& o : *g.mutable_output()) {
    if (o.name() == name) slot = &o;
  }
  for (auto& v : *g.mutable_value_info()) {
    if (!slot && v.name() == name) slot = &v;
  }
  if (slot && slot->has_type() && contradicts(slot->type(), t)) {
    fail(describe_node(node) + ": inferred " + type_str(t) + " for '" + name + "' contradicts the declared " +
         type_str(slot->type()));
  }
  if (slot && slot->has_type() && information(slot->type()) >= information(t)) return false;
  if (!slot) {
    slot = g.add_value_info();
    slot->set_name(name);
  }
  *slot->mutable_type() = t;
  s.types[name] = &slot->type();
  return true;
}

void check_types_of(const onnx::TypeProto& t, const std::string& what) {
  if (!t.has_tensor_type()) return;
  const std::string bad = newer_onnx_type_name(t.tensor_type().elem_type());
  if (!bad.empty()) fail_unsupported(what + ": element type " + bad + " is not supported");
}

void check_elem_types(const onnx::GraphProto& g, const std::string& model) {
  for (const auto* list : {&g.input(), &g.value_info(), &g.output()}) {
    for (const auto& v : *list) check_types_of(v.type(), model + ": value '" + v.name() + "'");
  }
  for (const auto& t : g.initializer()) {
    const std::string bad = newer_onnx_type_name(t.data_type());
    if (!bad.empty())
      fail_unsupported(model + ": initializer '" + t.name() + "': element type " + bad + " is not supported");
  }
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      std::string bad;
      if (a.has_t()) bad = newer_onnx_type_name(a.t().data_type());
      if (is_default_domain(n.domain()) && (a.name() == "to" || a.name() == "output_dtype") &&
          a.type() == onnx::AttributeProto::INT) {
        bad = newer_onnx_type_name(static_cast<int32_t>(a.i()));
      }
      if (!bad.empty())
        fail_unsupported(model + ": " + describe_node(n) + ": element type " + bad + " is not supported");
      if (a.has_g()) check_elem_types(a.g(), model);
      for (const auto& sg : a.graphs()) check_elem_types(sg, model);
    }
  }
}

// Large float weights do not matter to checking or shape inference (ONNX 1.12's checker wants
// a data field, not its size; its inference reads only small constants such as shapes, axes or
// Resize scales): the shadow keeps their dims and type and one byte of data, so that a big
// model is not held twice while it is checked.
constexpr size_t kKeepWeightBytes = 64 * 1024;

void copy_initializer(const onnx::TensorProto& from, onnx::TensorProto* to) {
  const bool floating = from.data_type() == onnx::TensorProto::FLOAT || from.data_type() == onnx::TensorProto::DOUBLE ||
                        from.data_type() == onnx::TensorProto::FLOAT16 ||
                        from.data_type() == onnx::TensorProto::BFLOAT16;
  const size_t bytes = from.raw_data().size() + 4 * static_cast<size_t>(from.float_data_size()) +
                       8 * static_cast<size_t>(from.double_data_size()) +
                       4 * static_cast<size_t>(from.int32_data_size());
  if (!floating || bytes <= kKeepWeightBytes || from.data_location() == onnx::TensorProto::EXTERNAL) {
    *to = from;
    return;
  }
  to->set_name(from.name());
  to->set_data_type(from.data_type());
  *to->mutable_dims() = from.dims();
  to->set_raw_data(std::string(1, '\0'));
}

onnx::ModelProto shadow_copy(const onnx::ModelProto& m) {
  onnx::ModelProto p;
  p.set_ir_version(m.ir_version());
  *p.mutable_opset_import() = m.opset_import();
  *p.mutable_functions() = m.functions();
  const onnx::GraphProto& g = m.graph();
  onnx::GraphProto* c = p.mutable_graph();
  c->set_name(g.name());
  *c->mutable_node() = g.node();
  *c->mutable_input() = g.input();
  *c->mutable_output() = g.output();
  *c->mutable_value_info() = g.value_info();
  *c->mutable_sparse_initializer() = g.sparse_initializer();
  for (const auto& t : g.initializer()) copy_initializer(t, c->add_initializer());
  return p;
}

}  // namespace

bool needs_opset_shadow(const Model& m) {
  return m.opset("") > kOnnxLibraryOpset || m.proto().ir_version() > kOnnxLibraryIrVersion;
}

OpsetShadow::OpsetShadow(const Model& m) : proto_(shadow_copy(m.proto())), name_(m.name()), opset_(m.opset("")) {
  const int64_t ir = proto_.ir_version();
  if (ir > kOnnxLibraryIrVersion) proto_.set_ir_version(kOnnxLibraryIrVersion);
  bool has_shadow_domain = false;
  for (auto& op : *proto_.mutable_opset_import()) {
    if (is_default_domain(op.domain()) && op.version() > kOnnxLibraryOpset) op.set_version(kOnnxLibraryOpset);
    has_shadow_domain = has_shadow_domain || op.domain() == kShadowDomain;
  }
  if (!has_shadow_domain) {
    auto* op = proto_.add_opset_import();
    op->set_domain(kShadowDomain);
    op->set_version(1);
  }
  // Lowers every graph, innermost scopes seeing the constants of the enclosing ones.
  auto lower = [&](auto&& self, onnx::GraphProto& g, const Scope* outer) -> void {
    Scope s;
    s.outer = outer;
    build_scope(g, ir, s);
    for (auto& n : *g.mutable_node()) {
      if (is_default_domain(n.domain()) && opset_ > kOnnxLibraryOpset) {
        std::string why = lower_to_opset17(n, opset_, [&](const std::string& v) { return s.constant(v); });
        if (!why.empty()) {
          n.set_domain(kShadowDomain);
          opaque_.push_back({&n, &g, why});
        }
      }
      for (auto* sg : subgraphs(n)) self(self, *sg, &s);
    }
  };
  lower(lower, *proto_.mutable_graph(), nullptr);
}

void OpsetShadow::validate() const {
  check_elem_types(proto_.graph(), name_);
  for (const auto& o : opaque_) {
    onnx::NodeProto n = *o.node;
    n.set_domain("");
    try {
      validate_signature(n, opset_);
    } catch (const Error& e) {
      throw Error(e.code(), name_ + ": " + e.what());
    }
  }
}

bool OpsetShadow::infer_opaque_nodes() {
  bool learnt = false;
  const int64_t ir = proto_.ir_version();
  auto walk = [&](auto&& self, onnx::GraphProto& g, const Scope* outer) -> void {
    Scope s;
    s.outer = outer;
    build_scope(g, ir, s);
    for (auto& n : *g.mutable_node()) {
      if (n.domain() == kShadowDomain) {
        const OpsetChange* row = op_signature_row(n.op_type(), opset_);
        if (row && row->infer != OpInfer::kNone) {
          onnx::NodeProto shown = n;  // messages name the op's real domain
          shown.set_domain("");
          InferNode in{shown, opset_, {}, {}, {}};
          for (const auto& name : n.input()) {
            in.inputs.push_back(name.empty() ? nullptr : s.type(name));
            in.constants.push_back(name.empty() ? nullptr : s.constant(name));
          }
          infer_node_types(row->infer, in);
          for (int k = 0; k < n.output_size(); ++k) {
            learnt = record_type(g, s, n.output(k), in.outputs[static_cast<size_t>(k)], shown) || learnt;
          }
        }
      }
      for (auto* sg : subgraphs(n)) self(self, *sg, &s);
    }
  };
  walk(walk, *proto_.mutable_graph(), nullptr);
  return learnt;
}

void OpsetShadow::copy_types_to(Model& m) const {
  auto copy = [](auto&& self, const onnx::GraphProto& from, onnx::GraphProto& to) -> void {
    *to.mutable_value_info() = from.value_info();
    for (int i = 0; i < from.output_size() && i < to.output_size(); ++i) {
      if (from.output(i).has_type()) *to.mutable_output(i)->mutable_type() = from.output(i).type();
    }
    for (int i = 0; i < from.node_size() && i < to.node_size(); ++i) {
      for (const auto& fa : from.node(i).attribute()) {
        for (auto& ta : *to.mutable_node(i)->mutable_attribute()) {
          if (ta.name() != fa.name()) continue;
          if (fa.has_g() && ta.has_g()) self(self, fa.g(), *ta.mutable_g());
          for (int k = 0; k < fa.graphs_size() && k < ta.graphs_size(); ++k)
            self(self, fa.graphs(k), *ta.mutable_graphs(k));
        }
      }
    }
  };
  copy(copy, proto_.graph(), m.graph());
}

}  // namespace edge
