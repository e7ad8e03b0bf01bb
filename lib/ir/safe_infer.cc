#include "ir/safe_infer.h"

#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "ir/infer_guards.h"
#include "ir/node_attrs.h"
#include "ir/status.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

namespace edge {

namespace {

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

std::string one_line(std::string msg) {
  for (char& c : msg) {
    if (c == '\n') c = ' ';
  }
  while (!msg.empty() && msg.back() == ' ') msg.pop_back();
  return msg;
}

int rank_of(const onnx::TypeProto* t) {
  if (!t) return -1;
  if (t->has_tensor_type()) return t->tensor_type().has_shape() ? t->tensor_type().shape().dim_size() : -1;
  if (t->has_sparse_tensor_type()) {
    return t->sparse_tensor_type().has_shape() ? t->sparse_tensor_type().shape().dim_size() : -1;
  }
  return -1;
}

std::optional<int64_t> dim_of(const onnx::TypeProto* t, int d) {
  if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return std::nullopt;
  const auto& shape = t->tensor_type().shape();
  if (d < 0 || d >= shape.dim_size() || !shape.dim(d).has_dim_value()) return std::nullopt;
  return shape.dim(d).dim_value();
}

// What ONNX's InferenceContext shows of a node, for the guards.
class ContextView final : public GuardView {
 public:
  explicit ContextView(onnx::InferenceContext& ctx) : ctx_(ctx) {}
  size_t num_inputs() const override { return ctx_.getNumInputs(); }
  int rank(size_t i) const override { return rank_of(ctx_.getInputType(i)); }
  const onnx::AttributeProto* attribute(const std::string& name) const override { return ctx_.getAttribute(name); }
  const onnx::TensorProto* constant(size_t i) const override { return ctx_.getInputData(i); }
  std::optional<int64_t> dim(size_t i, int d) const override { return dim_of(ctx_.getInputType(i), d); }

 private:
  onnx::InferenceContext& ctx_;
};

struct Refusal {
  std::string op;
  int since = 0;
  std::string why;
};

// The refusals of the safe_infer_shapes call running on this thread.
thread_local std::vector<Refusal>* t_refusals = nullptr;

// Ops whose ONNX 1.12 inference function copies input 0's shape without checking that input 0
// has a type (propagateShapeFromInputToOutput after taking the element type from `dtype`): a
// null dereference when it has none (EyeLike, found by fuzz_model_struct). For them inference is
// skipped while input 0 is untyped: the outputs stay untyped, as for any op ONNX cannot infer.
bool copies_untyped_input_shape(const std::string& op) {
  return op == "EyeLike" || op == "RandomUniformLike" || op == "RandomNormalLike" || op == "Bernoulli";
}

std::unique_ptr<onnx::OpSchema> guarded_copy(const onnx::OpSchema& s) {
  auto copy = std::make_unique<onnx::OpSchema>(s);
  const std::string op = s.Name();
  const int since = s.since_version();
  if ((has_inference_guard(op) || copies_untyped_input_shape(op)) && s.has_type_and_shape_inference_function()) {
    copy->TypeAndShapeInferenceFunction(
        [original = s.GetTypeAndShapeInferenceFunction(), op, since](onnx::InferenceContext& ctx) {
          if (copies_untyped_input_shape(op) && (ctx.getNumInputs() == 0 || !ctx.getInputType(0))) return;
          std::string why = inference_guard(op, since, ContextView(ctx));
          if (!why.empty()) {
            if (t_refusals) t_refusals->push_back({op, since, why});
            throw onnx::InferenceError("[ShapeInferenceError] refused by edge's guard: " + why);
          }
          original(ctx);
        });
  }
  if (s.has_data_propagation_function()) {
    copy->PartialDataPropagationFunction(
        [original = s.GetDataPropagationFunction()](onnx::DataPropagationContext& ctx) {
          for (size_t i = 0; i < ctx.getNumInputs(); ++i) {
            if (!ctx.getInputType(i)) return;  // ONNX's propagators read input types unchecked
          }
          original(ctx);
        });
  }
  return copy;
}

// ONNX's registry, with the guarded copies in place of the ai.onnx schemas that
// need them.
class GuardedSchemaRegistry final : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& key, const int max_version,
                                  const std::string& domain) const override {
    const onnx::OpSchema* s = onnx::OpSchemaRegistry::Instance()->GetSchema(key, max_version, domain);
    if (!s || !is_default_domain(domain)) return s;
    if (!has_inference_guard(key) && !copies_untyped_input_shape(key) && !s->has_data_propagation_function()) return s;
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = copies_[s];
    if (!slot) slot = guarded_copy(*s);
    return slot.get();
  }

  static const GuardedSchemaRegistry& instance() {
    static const auto* r = new GuardedSchemaRegistry();
    return *r;
  }

 private:
  mutable std::mutex mu_;
  mutable std::map<const onnx::OpSchema*, std::unique_ptr<onnx::OpSchema>> copies_;
};

// What the model holds for a node after inference: ranks from the types ONNX
// keeps (a graph output's declared type over an input's over value_info's;
// initializers otherwise) and the constants.
struct ScopeInfo {
  std::unordered_map<std::string, int> ranks;
  std::unordered_map<std::string, const onnx::TypeProto*> types;  // declared types (not initializers)
  std::unordered_map<std::string, const onnx::TensorProto*> constants;
};

class NodeView final : public GuardView {
 public:
  NodeView(const onnx::NodeProto& n, const ScopeInfo& s) : n_(n), s_(s) {}
  size_t num_inputs() const override { return static_cast<size_t>(n_.input_size()); }
  int rank(size_t i) const override {
    auto it = s_.ranks.find(n_.input(static_cast<int>(i)));
    return it == s_.ranks.end() ? -1 : it->second;
  }
  const onnx::AttributeProto* attribute(const std::string& name) const override {
    for (const auto& a : n_.attribute()) {
      if (a.name() == name) return &a;
    }
    return nullptr;
  }
  const onnx::TensorProto* constant(size_t i) const override {
    auto it = s_.constants.find(n_.input(static_cast<int>(i)));
    return it == s_.constants.end() ? nullptr : it->second;
  }
  std::optional<int64_t> dim(size_t i, int d) const override {
    auto it = s_.types.find(n_.input(static_cast<int>(i)));
    return it == s_.types.end() ? std::nullopt : dim_of(it->second, d);
  }

 private:
  const onnx::NodeProto& n_;
  const ScopeInfo& s_;
};

// The node a refusal came from (the first one the same rule refuses on the
// inferred model).
const onnx::NodeProto* find_refused(const onnx::GraphProto& g, ScopeInfo scope, const Refusal& r, std::string* why) {
  for (const auto& t : g.initializer()) {
    scope.ranks.emplace(t.name(), t.dims_size());
    scope.constants[t.name()] = &t;
  }
  for (const auto* list : {&g.value_info(), &g.input(), &g.output()}) {
    for (const auto& v : *list) {
      const int rk = rank_of(&v.type());
      if (rk >= 0) {
        scope.ranks[v.name()] = rk;
        scope.types[v.name()] = &v.type();
      }
    }
  }
  for (const auto& n : g.node()) {
    if (n.op_type() == "Constant" && n.output_size() == 1) {
      for (const auto& a : n.attribute()) {
        if (a.name() == "value" && a.has_t()) scope.constants[n.output(0)] = &a.t();
      }
    }
  }
  for (const auto& n : g.node()) {
    if (is_default_domain(n.domain()) && n.op_type() == r.op) {
      std::string w = inference_guard(r.op, r.since, NodeView(n, scope));
      if (!w.empty()) {
        *why = w;
        return &n;
      }
    }
    for (const auto& a : n.attribute()) {
      if (a.has_g()) {
        if (const auto* found = find_refused(a.g(), scope, r, why)) return found;
      }
      for (const auto& sg : a.graphs()) {
        if (const auto* found = find_refused(sg, scope, r, why)) return found;
      }
    }
  }
  return nullptr;
}

}  // namespace

std::string safe_infer_shapes(onnx::ModelProto& model, const std::string& model_name) {
  std::vector<Refusal> refusals;
  std::string stopped;
  {
    struct Sink {  // this call's refusals, restored on every exit
      std::vector<Refusal>* saved;
      explicit Sink(std::vector<Refusal>* mine) : saved(t_refusals) { t_refusals = mine; }
      ~Sink() { t_refusals = saved; }
    } sink(&refusals);
    try {
      onnx::ShapeInferenceOptions options(false, 0, true);
      onnx::shape_inference::InferShapes(model, &GuardedSchemaRegistry::instance(), options);
    } catch (const std::exception& e) {
      stopped = one_line(e.what());
    }
  }
  if (refusals.empty()) return stopped;
  const Refusal& first = refusals.front();
  std::string why;
  if (const auto* n = find_refused(model.graph(), {}, first, &why))
    fail(model_name + ": " + describe_node(*n) + ": " + why);
  fail(model_name + ": a " + first.op + " node (in a subgraph or function body): " + first.why);
}

}  // namespace edge
