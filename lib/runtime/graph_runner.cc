// GraphRunner preparation: value ids, constants, kernels, lifetimes (see graph_runner.h).
#include "runtime/graph_runner.h"

#include <set>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/tensor_proto.h"
#include "runtime/graph_fusion.h"
#include "runtime/kernel_selection.h"
#include "runtime/qdq_fusion.h"
#include "runtime/thread_pool.h"

namespace edge::rt {

namespace {

ValueType type_of(const onnx::ValueInfoProto& vi) {
  ValueType t;
  if (!vi.type().has_tensor_type()) return t;
  const auto& tt = vi.type().tensor_type();
  t.dtype = dtype_from_onnx(tt.elem_type());
  if (tt.has_shape()) {
    t.has_shape = true;
    for (const auto& d : tt.shape().dim()) t.shape.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
  }
  return t;
}

}  // namespace

int GraphRunner::value_id(const std::string& name) {
  auto [it, inserted] = ids_.emplace(name, static_cast<int>(names_.size()));
  if (inserted) {
    names_.push_back(name);
    constants_.emplace_back();
    is_initializer_.push_back(0);
  }
  return it->second;
}

ValueType GraphRunner::value_type(const std::string& name) const {
  auto id = ids_.find(name);
  if (id != ids_.end()) {
    const Tensor& c = constants_[static_cast<size_t>(id->second)];
    if (c.defined() && !std::count(overridable_ids_.begin(), overridable_ids_.end(), id->second)) {
      return ValueType{c.dtype(), c.shape(), true};
    }
  }
  auto it = types_.find(name);
  return it == types_.end() ? ValueType{} : it->second;
}

GraphRunner::GraphRunner(const onnx::GraphProto& g_in, const std::vector<std::string>& outer_names,
                         const RunnerOptions& opts)
    : graph_(&g_in), opts_(opts) {
  if (opts_.depth > opts_.max_depth) {
    fail("subgraphs nested deeper than the limit of " + std::to_string(opts_.max_depth));
  }
  if (!opts_.registry) opts_.registry = &KernelRegistry::builtin();
  if (opts_.fuse && opts_.opsets.count("")) {
    const bool cpu = opts_.backends.empty() ||
                     std::find(opts_.backends.begin(), opts_.backends.end(), "cpu") != opts_.backends.end();
    const bool fused_ops = cpu && opts_.registry->supports(kFusedDomain, "FusedConv", 1);
    // QDQ patterns first: the float fusions would otherwise take their Conv -> Relu apart.
    std::unique_ptr<onnx::GraphProto> qdq = fuse_qdq(g_in, opts_.opsets.at(""), *opts_.registry);
    fused_ = fuse_graph(qdq ? *qdq : g_in, opts_.opsets.at(""), fused_ops);
    if (!fused_) fused_ = std::move(qdq);
    if (fused_) {
      graph_ = fused_.get();
      opts_.opsets[kFusedDomain] = 1;
    }
  }
  const onnx::GraphProto& g = *graph_;
  GraphIndex index(g);
  std::vector<int> order = index.topological_order(outer_names);
  for (const auto* list : {&g.input(), &g.output(), &g.value_info()}) {
    for (const auto& vi : *list) types_[vi.name()] = type_of(vi);
  }

  std::set<std::string> initializer_names;
  for (const auto& init : g.initializer()) {
    if (init.name().empty()) fail("graph '" + g.name() + "' has an initializer without a name");
    int id = value_id(init.name());
    constants_[static_cast<size_t>(id)] = tensor_from_proto(init, {}, "initializer '" + init.name() + "'");
    is_initializer_[static_cast<size_t>(id)] = 1;
    initializer_names.insert(init.name());
  }
  std::set<std::string> seen_inputs;
  for (const auto& in : g.input()) {
    if (!seen_inputs.insert(in.name()).second) fail("graph input '" + in.name() + "' is listed twice");
    if (initializer_names.count(in.name())) {
      if (opts_.initializer_inputs_are_constants && opts_.depth == 0) continue;
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
  visible_ = std::make_shared<const std::vector<std::string>>(visible);
  std::set<std::string> outer_set(outer_names.begin(), outer_names.end());
  std::set<std::string> local;  // names defined in this graph
  for (const auto& v : visible) local.insert(v);
  for (const auto& o : outer_names) local.erase(o);
  for (const auto& in : g.input()) local.insert(in.name());
  for (const auto& init : g.initializer()) local.insert(init.name());

  auto resolve = [&](const std::string& name) {
    int id = value_id(name);
    if (!local.count(name) && outer_set.count(name) &&
        std::find(outer_ids_.begin(), outer_ids_.end(), id) == outer_ids_.end()) {
      outer_ids_.push_back(id);
    }
    return id;
  };

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
    step.text = describe_node(node);
    step.opset = opset_it->second;
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
    prepare_kernel(step);
    if (domain.empty() && (node.op_type() == "Constant" || (opts_.fuse && foldable_dequantize(step)))) {
      fold_constant_node(step);  // its value becomes a constant; no step at run time
      continue;
    }
    steps_.push_back(std::move(step));
    implicit_reads_.push_back(std::move(implicit));
  }
  for (const auto& out : g.output()) {
    output_names_.push_back(out.name());
    output_ids_.push_back(resolve(out.name()));
  }
  compute_lifetimes();
  init_run_state();
}

void GraphRunner::prepare_kernel(Step& step) {
  const auto& node = *step.node;
  const std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  step.subgraphs.clear();
  RunnerOptions sub_opts = opts_;
  sub_opts.depth = opts_.depth + 1;
  Step* step_ptr = &step;
  auto visible = visible_;
  KernelInit init{node, step.opset, NodeAttrs(node),
                  [visible, sub_opts, step_ptr](const onnx::GraphProto& sg) {
                    auto r = std::make_unique<GraphRunner>(sg, *visible, sub_opts);
                    step_ptr->subgraphs.push_back(r.get());
                    return r;
                  },
                  {}, {}, {}};
  for (size_t i = 0; i < step.inputs.size(); ++i) {
    const int id = step.inputs[i];
    const bool overridable = std::count(overridable_ids_.begin(), overridable_ids_.end(), id) > 0;
    const Tensor* c = id >= 0 && !overridable && constants_[static_cast<size_t>(id)].defined()
                          ? &constants_[static_cast<size_t>(id)]
                          : nullptr;
    init.constants.push_back(c);
    init.input_types.push_back(id >= 0 ? value_type(node.input(static_cast<int>(i))) : ValueType{});
  }
  for (int o = 0; o < node.output_size(); ++o) {
    init.output_types.push_back(node.output(o).empty() ? ValueType{} : value_type(node.output(o)));
  }
  step.def = opts_.registry->select(domain, node.op_type(), step.opset, init, opts_.backends);
  if (!step.def) {
    if (!opts_.registry->find(domain, node.op_type(), step.opset)) {
      const std::string selection = kernel_selection();
      fail_unsupported(describe_node(node) + ": op " + (domain.empty() ? "" : domain + ".") + node.op_type() +
                       " (opset " + std::to_string(step.opset) + ") is not supported by " +
                       (selection.empty() ? std::string("edge-run")
                                          : "this edge-run build, which has only the kernels " + selection +
                                                " (EDGE_RUN_KERNELS; `edge-run kernels MODEL` lists what a model needs)"));
    }
    fail_unsupported(describe_node(node) + ": input type " + dtype_name(init.input_type(0).dtype) +
                     " is not supported");
  }
  step.kernel = step.def->create(init);
}

bool GraphRunner::is_constant(int id) const {
  return id >= 0 && constants_[static_cast<size_t>(id)].defined() &&
         std::count(overridable_ids_.begin(), overridable_ids_.end(), id) == 0;
}

// A DequantizeLinear of constants (the weights of a QDQ model whose consumer the QDQ fusion did
// not turn into an integer op): computed once here, so the consumer sees constant float
// weights (packed at preparation, as in the float model) instead of dequantizing every run.
bool GraphRunner::foldable_dequantize(const Step& step) const {
  if (step.node->op_type() != "DequantizeLinear") return false;
  for (int id : step.inputs) {
    if (id >= 0 && !is_constant(id)) return false;
  }
  return !step.inputs.empty() && step.inputs[0] >= 0;
}

void GraphRunner::fold_constant_node(Step& step) {
  KernelContext ctx;
  ctx.node = step.node;
  ctx.opset = step.opset;
  for (int id : step.inputs) ctx.inputs.push_back(id >= 0 ? &constants_[static_cast<size_t>(id)] : nullptr);
  ctx.outputs.assign(step.outputs.size(), Tensor());
  step.kernel->compute(ctx);
  for (size_t o = 0; o < step.outputs.size(); ++o) {
    if (step.outputs[o] < 0) continue;
    if (!ctx.outputs[o].defined()) fail_internal(describe_node(*step.node) + ": a folded node produced no value");
    constants_[static_cast<size_t>(step.outputs[o])] = std::move(ctx.outputs[o]);
  }
}

void GraphRunner::compute_lifetimes() {
  std::vector<ValueLife> lives(names_.size());
  for (size_t i = 0; i < steps_.size(); ++i) {
    const int si = static_cast<int>(i);
    for (int id : steps_[i].outputs) {
      if (id >= 0) lives[static_cast<size_t>(id)].first = si;
    }
    auto read = [&](int id) {
      if (id >= 0) lives[static_cast<size_t>(id)].last = si;
    };
    for (int id : steps_[i].inputs) read(id);
    for (int id : implicit_reads_[i]) read(id);
  }
  std::set<int> keep(output_ids_.begin(), output_ids_.end());
  for (int id : keep) lives[static_cast<size_t>(id)].persistent = true;
  for (size_t id = 0; id < lives.size(); ++id) {
    auto& life = lives[id];
    if (life.first < 0) continue;  // input, constant or outer value: not the runner's memory
    if (life.last < life.first) life.last = life.first;  // nobody reads it: freed right away
    if (keep.count(static_cast<int>(id))) continue;
    steps_[static_cast<size_t>(life.last)].release.push_back(static_cast<int>(id));
  }
  memory_.configure(std::move(lives));
}

}  // namespace edge::rt
