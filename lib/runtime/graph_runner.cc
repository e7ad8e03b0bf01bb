#include "runtime/graph_runner.h"

#include <set>

#include "ir/graph_index.h"
#include "ir/tensor_proto.h"
#include "runtime/thread_pool.h"

namespace edge::rt {

namespace {

void collect_free(const onnx::GraphProto& g, std::set<std::string>& defined_outer,
                  std::set<std::string>& free) {
  std::set<std::string> defined = defined_outer;
  for (const auto& v : g.input()) defined.insert(v.name());
  for (const auto& i : g.initializer()) defined.insert(i.name());
  for (const auto& n : g.node()) {
    for (const auto& o : n.output()) defined.insert(o);
  }
  for (const auto& n : g.node()) {
    for (const auto& i : n.input()) {
      if (!i.empty() && !defined.count(i)) free.insert(i);
    }
    for (const auto& a : n.attribute()) {
      if (a.has_g()) collect_free(a.g(), defined, free);
      for (const auto& sg : a.graphs()) collect_free(sg, defined, free);
    }
  }
  for (const auto& o : g.output()) {
    if (!defined.count(o.name())) free.insert(o.name());
  }
}

}  // namespace

std::vector<std::string> free_variables(const onnx::GraphProto& g) {
  std::set<std::string> defined, free;
  collect_free(g, defined, free);
  return {free.begin(), free.end()};
}

int GraphRunner::value_id(const std::string& name) {
  auto [it, inserted] = ids_.emplace(name, static_cast<int>(names_.size()));
  if (inserted) {
    names_.push_back(name);
    constants_.emplace_back();
  }
  return it->second;
}

GraphRunner::GraphRunner(const onnx::GraphProto& g, const std::vector<std::string>& outer_names,
                         const RunnerOptions& opts)
    : graph_(&g), opts_(opts) {
  if (opts_.depth > opts_.max_depth) {
    fail("subgraphs nested deeper than the limit of " + std::to_string(opts_.max_depth));
  }
  const KernelRegistry& registry = opts_.registry ? *opts_.registry : KernelRegistry::builtin();
  GraphIndex index(g);
  std::vector<int> order = index.topological_order(outer_names);

  std::set<std::string> initializer_names;
  for (const auto& init : g.initializer()) {
    if (init.name().empty()) fail("graph '" + g.name() + "' has an initializer without a name");
    int id = value_id(init.name());
    constants_[static_cast<size_t>(id)] = tensor_from_proto(init, {}, "initializer '" + init.name() + "'");
    initializer_names.insert(init.name());
  }
  std::set<std::string> seen_inputs;
  for (const auto& in : g.input()) {
    if (!seen_inputs.insert(in.name()).second) fail("graph input '" + in.name() + "' is listed twice");
    if (initializer_names.count(in.name())) {
      overridable_names_.push_back(in.name());
      overridable_ids_.push_back(value_id(in.name()));
    } else {
      input_names_.push_back(in.name());
      input_ids_.push_back(value_id(in.name()));
    }
  }
  // Everything visible to subgraphs of this graph.
  std::vector<std::string> visible = outer_names;
  for (const auto& in : g.input()) visible.push_back(in.name());
  for (const auto& init : g.initializer()) visible.push_back(init.name());
  for (const auto& n : g.node()) {
    for (const auto& o : n.output()) {
      if (!o.empty()) visible.push_back(o);
    }
  }
  auto visible_ptr = std::make_shared<const std::vector<std::string>>(visible);
  std::set<std::string> outer_set(outer_names.begin(), outer_names.end());
  std::set<std::string> local;  // names defined in this graph
  for (const auto& v : visible) local.insert(v);
  for (const auto& o : outer_names) local.erase(o);
  for (const auto& in : g.input()) local.insert(in.name());
  for (const auto& init : g.initializer()) local.insert(init.name());

  auto resolve = [&](const std::string& name) {
    int id = value_id(name);
    if (!local.count(name) && outer_set.count(name)) outer_ids_.push_back(id);
    return id;
  };

  std::vector<int> last_use;
  steps_.reserve(order.size());
  for (int n : order) {
    const auto& node = g.node(n);
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto opset_it = opts_.opsets.find(domain);
    if (opset_it == opts_.opsets.end()) {
      fail_unsupported(describe_node(node) + ": domain '" + node.domain() +
                       "' is not imported by the model or not supported");
    }
    Step step;
    step.node = &node;
    step.opset = opset_it->second;
    DType in0 = DType::kUndefined;
    if (node.input_size() > 0 && !node.input(0).empty()) {
      if (const auto* init = index.initializer(node.input(0))) {
        in0 = dtype_from_onnx(init->data_type());
      } else if (const auto* vi = index.value_info(node.input(0))) {
        if (vi->type().has_tensor_type()) in0 = dtype_from_onnx(vi->type().tensor_type().elem_type());
      }
    }
    step.def = registry.find(domain, node.op_type(), step.opset);
    if (!step.def) {
      fail_unsupported(describe_node(node) + ": op " + (domain.empty() ? "" : domain + ".") + node.op_type() +
                       " (opset " + std::to_string(step.opset) + ") is not supported by edge-run");
    }
    if (in0 != DType::kUndefined) {
      const KernelDef* typed = registry.find(domain, node.op_type(), step.opset, in0);
      if (!typed) {
        fail_unsupported(describe_node(node) + ": input type " + dtype_name(in0) + " is not supported");
      }
      step.def = typed;
    }
    for (const auto& in : node.input()) step.inputs.push_back(in.empty() ? -1 : resolve(in));
    for (const auto& out : node.output()) step.outputs.push_back(out.empty() ? -1 : value_id(out));
    // Subgraph free variables are read by this node for lifetime purposes.
    std::vector<int> implicit;
    for (const auto& a : node.attribute()) {
      std::vector<const onnx::GraphProto*> subs;
      if (a.has_g()) subs.push_back(&a.g());
      for (const auto& sg : a.graphs()) subs.push_back(&sg);
      for (const auto* sg : subs) {
        for (const auto& fv : free_variables(*sg)) {
          if (ids_.count(fv) || outer_set.count(fv) || local.count(fv)) implicit.push_back(resolve(fv));
        }
      }
    }
    Step* step_ptr = &steps_.emplace_back(std::move(step));
    RunnerOptions sub_opts = opts_;
    sub_opts.depth = opts_.depth + 1;
    KernelInit init{node, step_ptr->opset, NodeAttrs(node),
                    [visible_ptr, sub_opts, step_ptr](const onnx::GraphProto& sg) {
                      auto r = std::make_unique<GraphRunner>(sg, *visible_ptr, sub_opts);
                      step_ptr->subgraphs.push_back(r.get());
                      return r;
                    }};
    step_ptr->kernel = step_ptr->def->create(init);
    int step_index = static_cast<int>(steps_.size()) - 1;
    auto note_use = [&](int id) {
      if (id < 0) return;
      if (last_use.size() <= static_cast<size_t>(id)) last_use.resize(static_cast<size_t>(id) + 1, -1);
      last_use[static_cast<size_t>(id)] = step_index;
    };
    for (int id : step_ptr->inputs) note_use(id);
    for (int id : implicit) note_use(id);
  }
  for (const auto& out : g.output()) {
    output_names_.push_back(out.name());
    int id = resolve(out.name());
    output_ids_.push_back(id);
  }
  std::set<int> keep(output_ids_.begin(), output_ids_.end());
  for (size_t id = 0; id < last_use.size(); ++id) {
    if (last_use[id] < 0 || keep.count(static_cast<int>(id))) continue;
    if (constants_[id].defined()) continue;
    steps_[static_cast<size_t>(last_use[id])].release.push_back(static_cast<int>(id));
  }
  // Node outputs nobody reads are freed right after the node runs.
  for (auto& s : steps_) {
    for (int id : s.outputs) {
      if (id >= 0 && !keep.count(id) && (static_cast<size_t>(id) >= last_use.size() || last_use[static_cast<size_t>(id)] < 0)) {
        s.release.push_back(id);
      }
    }
  }
}

class GraphRunner::RunScope : public ValueScope {
 public:
  RunScope(const GraphRunner& r, const std::vector<Tensor>& values, const ValueScope* outer)
      : r_(r), values_(values), outer_(outer) {}
  const Tensor* find(const std::string& name) const override {
    auto it = r_.ids_.find(name);
    if (it != r_.ids_.end() && values_[static_cast<size_t>(it->second)].defined()) {
      return &values_[static_cast<size_t>(it->second)];
    }
    return outer_ ? outer_->find(name) : nullptr;
  }

 private:
  const GraphRunner& r_;
  const std::vector<Tensor>& values_;
  const ValueScope* outer_;
};

std::vector<Tensor> GraphRunner::run(const std::vector<const Tensor*>& inputs, const ValueScope* outer,
                                     const std::vector<const Tensor*>& overrides) {
  if (inputs.size() != input_ids_.size()) {
    fail_internal("graph '" + graph_->name() + "' expects " + std::to_string(input_ids_.size()) +
                  " inputs, got " + std::to_string(inputs.size()));
  }
  std::vector<Tensor> values = constants_;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) fail("missing graph input '" + input_names_[i] + "'");
    values[static_cast<size_t>(input_ids_[i])] = *inputs[i];
  }
  for (size_t i = 0; i < overrides.size() && i < overridable_ids_.size(); ++i) {
    if (overrides[i]) values[static_cast<size_t>(overridable_ids_[i])] = *overrides[i];
  }
  for (int id : outer_ids_) {
    const Tensor* t = outer ? outer->find(names_[static_cast<size_t>(id)]) : nullptr;
    if (!t) fail("value '" + names_[static_cast<size_t>(id)] + "' from the enclosing graph is not available");
    values[static_cast<size_t>(id)] = *t;
  }
  RunScope scope(*this, values, outer);
  KernelContext ctx;
  ctx.scope = &scope;
  ctx.pool = opts_.pool;
  for (auto& s : steps_) {
    ctx.node = s.node;
    ctx.opset = s.opset;
    ctx.inputs.assign(s.inputs.size(), nullptr);
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      int id = s.inputs[i];
      if (id < 0) continue;
      const Tensor& t = values[static_cast<size_t>(id)];
      if (!t.defined()) {
        fail(describe_node(*s.node) + ": input '" + names_[static_cast<size_t>(id)] + "' has no value");
      }
      ctx.inputs[i] = &t;
    }
    if (!s.def->dtypes.empty() && !ctx.inputs.empty() && ctx.inputs[0]) {
      DType dt = ctx.inputs[0]->dtype();
      bool ok = false;
      for (DType d : s.def->dtypes) ok = ok || d == dt;
      if (!ok) fail_unsupported(describe_node(*s.node) + ": input type " + dtype_name(dt) + " is not supported");
    }
    ctx.outputs.assign(s.outputs.size(), Tensor());
    auto t0 = std::chrono::steady_clock::now();
    try {
      s.kernel->compute(ctx);
    } catch (const Error& e) {
      // Errors from shared code (e.g. an allocation above the limit) get the node named.
      std::string where = describe_node(*s.node);
      if (std::string(e.what()).find(where) != std::string::npos) throw;
      throw Error(e.code(), where + ": " + e.what());
    }
    if (opts_.profile) {
      s.time += std::chrono::steady_clock::now() - t0;
      ++s.calls;
    }
    for (size_t o = 0; o < s.outputs.size(); ++o) {
      if (s.outputs[o] < 0) continue;
      if (!ctx.outputs[o].defined()) {
        fail_internal(describe_node(*s.node) + ": kernel produced no value for output " + std::to_string(o));
      }
      values[static_cast<size_t>(s.outputs[o])] = std::move(ctx.outputs[o]);
    }
    for (int id : s.release) values[static_cast<size_t>(id)] = Tensor();
  }
  std::vector<Tensor> outs;
  outs.reserve(output_ids_.size());
  for (size_t i = 0; i < output_ids_.size(); ++i) {
    const Tensor& t = values[static_cast<size_t>(output_ids_[i])];
    if (!t.defined()) fail("graph output '" + output_names_[i] + "' was not computed");
    outs.push_back(t);
  }
  return outs;
}

std::vector<NodeProfile> GraphRunner::profile() const {
  std::vector<NodeProfile> out;
  for (const auto& s : steps_) {
    out.push_back({s.node->name(), s.node->op_type(), s.calls,
                   std::chrono::duration<double, std::milli>(s.time).count()});
    for (const auto* sub : s.subgraphs) {
      for (auto& p : sub->profile()) out.push_back(std::move(p));
    }
  }
  return out;
}

void GraphRunner::reset_profile() {
  for (auto& s : steps_) {
    s.calls = 0;
    s.time = {};
    for (auto* sub : s.subgraphs) sub->reset_profile();
  }
}

}  // namespace edge::rt
