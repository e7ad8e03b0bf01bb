// GraphRunner execution: persistent value slots, planned output storage, observers and
// profiles (see graph_runner.h).
#include <algorithm>

#include "runtime/graph_runner.h"
#include "runtime/thread_pool.h"

namespace edge::rt {

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

void GraphRunner::init_run_state() {
  values_ = constants_;
  storage_ = std::make_unique<StepStorage>(memory_);
}

GraphRunner::~GraphRunner() = default;

std::vector<Tensor> GraphRunner::run(const std::vector<const Tensor*>& inputs, const ValueScope* outer,
                                     const std::vector<const Tensor*>& overrides) {
  std::vector<Tensor> outs;
  run_into(inputs, outer, overrides, outs);
  return outs;
}

void GraphRunner::clear_run_values() {
  for (size_t id = 0; id < values_.size(); ++id) {
    if (constants_[id].defined()) {
      if (!values_[id].shares_buffer_with(constants_[id])) values_[id] = constants_[id];  // undo an override
    } else if (values_[id].defined()) {
      values_[id] = Tensor();
    }
  }
}

void GraphRunner::run_into(const std::vector<const Tensor*>& inputs, const ValueScope* outer,
                           const std::vector<const Tensor*>& overrides, std::vector<Tensor>& outputs) {
  std::lock_guard<std::mutex> lock(run_mu_);
  if (inputs.size() != input_ids_.size()) {
    fail_internal("graph '" + graph_->name() + "' expects " + std::to_string(input_ids_.size()) +
                  " inputs, got " + std::to_string(inputs.size()));
  }
  for (auto& t : outputs) t = Tensor();  // the caller's previous results no longer pin their buffers
  try {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i]) fail("missing graph input '" + input_names_[i] + "'");
      values_[static_cast<size_t>(input_ids_[i])] = *inputs[i];
    }
    for (size_t i = 0; i < overrides.size() && i < overridable_ids_.size(); ++i) {
      if (overrides[i]) values_[static_cast<size_t>(overridable_ids_[i])] = *overrides[i];
    }
    for (int id : outer_ids_) {
      const Tensor* t = outer ? outer->find(names_[static_cast<size_t>(id)]) : nullptr;
      if (!t) fail("value '" + names_[static_cast<size_t>(id)] + "' from the enclosing graph is not available");
      values_[static_cast<size_t>(id)] = *t;
    }
    RunScope scope(*this, values_, outer);
    ctx_.scope = &scope;
    ctx_.pool = opts_.pool;
    ctx_.storage = storage_.get();
    for (auto& s : steps_) run_step(s);
    ctx_.scope = nullptr;
    outputs.resize(output_ids_.size());
    for (size_t i = 0; i < output_ids_.size(); ++i) {
      const Tensor& t = values_[static_cast<size_t>(output_ids_[i])];
      if (!t.defined()) fail("graph output '" + output_names_[i] + "' was not computed");
      outputs[i] = t;
    }
  } catch (...) {
    ctx_.scope = nullptr;
    clear_run_values();
    memory_.finish_run();
    throw;
  }
  clear_run_values();
  memory_.finish_run();
}

void GraphRunner::run_step(Step& s) {
  KernelContext& ctx = ctx_;
  ctx.node = s.node;
  ctx.node_text = &s.text;
  ctx.opset = s.opset;
  ctx.inputs.resize(s.inputs.size());
  for (size_t i = 0; i < s.inputs.size(); ++i) {
    const int id = s.inputs[i];
    ctx.inputs[i] = nullptr;
    if (id < 0) continue;
    const Tensor& t = values_[static_cast<size_t>(id)];
    if (!t.defined()) {
      fail(describe_node(*s.node) + ": input '" + names_[static_cast<size_t>(id)] + "' has no value");
    }
    ctx.inputs[i] = &t;
  }
  if (!s.def->dtypes.empty() && !ctx.inputs.empty() && ctx.inputs[0]) {
    const DType dt = ctx.inputs[0]->dtype();
    if (std::find(s.def->dtypes.begin(), s.def->dtypes.end(), dt) == s.def->dtypes.end()) {
      fail_unsupported(describe_node(*s.node) + ": input type " + dtype_name(dt) + " is not supported");
    }
  }
  ctx.outputs.resize(s.outputs.size());
  for (auto& t : ctx.outputs) t = Tensor();
  storage_->begin(s.outputs);
  const auto t0 = opts_.profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
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
    const int v = s.outputs[o];
    if (v < 0) continue;
    Tensor& t = ctx.outputs[o];
    if (!t.defined()) {
      fail_internal(describe_node(*s.node) + ": kernel produced no value for output " + std::to_string(o));
    }
    // A view of an input (Reshape, Identity, ...): the viewed buffer must live as long as it.
    bool unplanned = false;
    if (t.nbytes() > 0) {
      for (size_t i = 0; i < s.inputs.size(); ++i) {
        if (s.inputs[i] >= 0 && ctx.inputs[i]->nbytes() > 0 && ctx.inputs[i]->raw() == t.raw()) {
          unplanned = memory_.note_alias(v, s.inputs[i]) || unplanned;
        }
      }
      if (memory_.in_arena(t.raw()) && (unplanned || memory_.persistent(v))) t = t.clone();
    }
  }
  if (opts_.observer && *opts_.observer) (*opts_.observer)(NodeEvent{*s.node, opts_.depth, ctx.outputs});
  for (size_t o = 0; o < s.outputs.size(); ++o) {
    if (s.outputs[o] >= 0) values_[static_cast<size_t>(s.outputs[o])] = std::move(ctx.outputs[o]);
  }
  for (int id : s.release) values_[static_cast<size_t>(id)] = Tensor();
}

void GraphRunner::set_initializer(const std::string& name, const Tensor& value) {
  std::lock_guard<std::mutex> lock(run_mu_);
  auto it = ids_.find(name);
  if (it == ids_.end() || !is_initializer_[static_cast<size_t>(it->second)]) {
    fail("graph '" + graph_->name() + "' has no initializer named '" + name + "'");
  }
  const size_t id = static_cast<size_t>(it->second);
  const Tensor& old = constants_[id];
  if (old.dtype() != value.dtype() || old.shape() != value.shape()) {
    fail("initializer '" + name + "' is " + old.describe() + ", cannot replace it with " + value.describe());
  }
  constants_[id] = value.clone();
  values_[id] = constants_[id];
  for (auto& s : steps_) {
    if (std::find(s.inputs.begin(), s.inputs.end(), static_cast<int>(id)) != s.inputs.end()) prepare_kernel(s);
  }
}

std::vector<NodeProfile> GraphRunner::profile() const {
  std::vector<NodeProfile> out;
  for (const auto& s : steps_) {
    std::string kernel = s.def->backend;
    const std::string alg = s.kernel->algorithm();
    if (!alg.empty()) kernel += ":" + alg;
    out.push_back({s.node->name(), s.node->op_type(), kernel, s.calls,
                   std::chrono::duration<double, std::milli>(s.time).count(), opts_.depth});
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
