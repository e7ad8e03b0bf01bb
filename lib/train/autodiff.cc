#include "train/autodiff.h"

#include <algorithm>
#include <set>

#include "ir/status.h"
#include "ir/tensor_proto.h"
#include "runtime/graph_runner.h"
#include "train/grad_util.h"

namespace edge::train {

struct TrainGraph::Step {
  explicit Step(const onnx::NodeProto& n) : node(&n), attrs(n) {}
  const onnx::NodeProto* node = nullptr;
  int opset = 0;
  NodeAttrs attrs;
  std::vector<int> inputs, outputs;  // value ids; -1 where omitted
  std::unique_ptr<rt::OpKernel> kernel;
  const GradDef* grad = nullptr;
  bool on_path = false;  // some differentiable input requires a gradient
  std::string where;
};

// Tape values as the enclosing scope of subgraphs (If/Loop bodies read outer values).
class TrainGraph::TapeScope : public rt::ValueScope {
 public:
  TapeScope(const TrainGraph& g, const Tape& t) : g_(g), t_(t) {}
  const Tensor* find(const std::string& name) const override {
    const int id = g_.id_of(name);
    if (id < 0) return nullptr;
    const Tensor& v = t_.values[static_cast<size_t>(id)];
    return v.defined() ? &v : nullptr;
  }

 private:
  const TrainGraph& g_;
  const Tape& t_;
};

namespace {

bool is_float(DType t) { return t == DType::kFloat || t == DType::kDouble || t == DType::kFloat16; }

// Calls fn(name) for every value that a node's subgraphs (If/Loop/Scan bodies, nested) read.
template <typename Fn>
void for_each_subgraph_read(const onnx::NodeProto& node, Fn&& fn) {
  for (const auto& a : node.attribute()) {
    std::vector<const onnx::GraphProto*> gs;
    if (a.has_g()) gs.push_back(&a.g());
    for (const auto& sg : a.graphs()) gs.push_back(&sg);
    for (const auto* sg : gs) {
      for (const auto& n : sg->node()) {
        for (const auto& in : n.input()) fn(in);
        for_each_subgraph_read(n, fn);
      }
    }
  }
}

}  // namespace

TrainGraph::~TrainGraph() = default;

int TrainGraph::id_of(const std::string& name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? -1 : it->second;
}

TrainGraph::TrainGraph(const Model& model, const std::vector<std::string>& params, TrainGraphOptions opts)
    : model_(&model), opts_(std::move(opts)) {
  if (!opts_.registry) opts_.registry = &rt::KernelRegistry::builtin();
  if (!opts_.grads) opts_.grads = &GradRegistry::builtin();
  const auto& g = model.graph();
  auto intern = [&](const std::string& name) {
    auto [it, added] = ids_.emplace(name, static_cast<int>(names_.size()));
    if (added) {
      names_.push_back(name);
      constants_.emplace_back();
    }
    return it->second;
  };
  const auto base = model.path().empty() ? std::filesystem::path(".") : model.path().parent_path();
  for (const auto& init : g.initializer()) {
    const int id = intern(init.name());
    constants_[static_cast<size_t>(id)] = tensor_from_proto(init, base, "initializer '" + init.name() + "'");
  }
  for (const auto& p : params) {
    const int id = id_of(p);
    if (id < 0 || !constants_[static_cast<size_t>(id)].defined()) {
      fail(model.name() + ": trainable parameter '" + p + "' is not an initializer");
    }
    const Tensor& c = constants_[static_cast<size_t>(id)];
    if (!is_float(c.dtype())) fail(model.name() + ": trainable parameter '" + p + "' is " + c.describe() + ", not float");
    param_ids_.push_back(id);
    param_names_.push_back(p);
    params_.push_back(as_float(c).clone());
  }
  std::set<std::string> init_names;
  for (const auto& init : g.initializer()) init_names.insert(init.name());
  for (const auto& in : g.input()) {
    if (init_names.count(in.name())) continue;  // IR < 4: weights listed as inputs
    input_names_.push_back(in.name());
    input_ids_.push_back(intern(in.name()));
  }
  requires_grad_.assign(names_.size(), false);
  for (int id : param_ids_) requires_grad_[static_cast<size_t>(id)] = true;

  std::map<std::string, int> opsets;
  for (const auto& o : model.proto().opset_import()) opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = static_cast<int>(o.version());
  for (const auto& node : g.node()) {
    auto step = std::make_unique<Step>(node);
    step->where = describe_node(node);
    const std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    step->opset = opsets.count(domain) ? opsets[domain] : 1;
    for (const auto& in : node.input()) step->inputs.push_back(in.empty() ? -1 : intern(in));
    for (const auto& out : node.output()) step->outputs.push_back(out.empty() ? -1 : intern(out));
    requires_grad_.resize(names_.size(), false);
    rt::RunnerOptions sub_opts;
    sub_opts.registry = opts_.registry;
    sub_opts.backends = opts_.backends;
    sub_opts.opsets = opsets;
    sub_opts.depth = 1;
    sub_opts.fuse = false;
    // Subgraphs (If/Loop bodies) run forward only and read outer values from the tape.
    rt::KernelInit init{node, step->opset, NodeAttrs(node),
                        [outer = names_, sub_opts](const onnx::GraphProto& sg) {
                          return std::make_unique<rt::GraphRunner>(sg, outer, sub_opts);
                        },
                        {}, {}, {}};
    for (int id : step->inputs) {
      const bool trainable = id >= 0 && std::count(param_ids_.begin(), param_ids_.end(), id) > 0;
      const Tensor* c = id >= 0 && !trainable && constants_[static_cast<size_t>(id)].defined()
                            ? &constants_[static_cast<size_t>(id)]
                            : nullptr;
      init.constants.push_back(c);
      rt::ValueType vt;
      if (c) {
        vt.dtype = c->dtype();
        vt.shape = c->shape();
        vt.has_shape = true;
      }
      init.input_types.push_back(vt);
    }
    init.output_types.assign(step->outputs.size(), rt::ValueType{});
    const auto* def = opts_.registry->select(domain, node.op_type(), step->opset, init, opts_.backends);
    if (!def) {
      fail_unsupported(step->where + ": op " + (domain.empty() ? "" : domain + ".") + node.op_type() + " (opset " +
                       std::to_string(step->opset) + ") is not supported by edge-run");
    }
    step->kernel = def->create(init);
    step->grad = opts_.grads->find(domain, node.op_type());
    for (size_t i = 0; i < step->inputs.size(); ++i) {
      const int id = step->inputs[i];
      if (id >= 0 && requires_grad_[static_cast<size_t>(id)] &&
          (!step->grad || step->grad->is_differentiable(static_cast<int>(i)))) {
        step->on_path = true;
      }
    }
    for_each_subgraph_read(node, [&](const std::string& name) {
      const int id = id_of(name);
      if (id >= 0 && requires_grad_[static_cast<size_t>(id)]) {
        fail_unsupported(step->where + ": its subgraph reads '" + name +
                         "', which depends on a trainable parameter; training through If/Loop/Scan bodies is not "
                         "supported (freeze the parameters before it)");
      }
    });
    if (step->on_path) {
      for (int id : step->outputs) {
        if (id >= 0) requires_grad_[static_cast<size_t>(id)] = true;
      }
    }
    steps_.push_back(std::move(step));
  }
  requires_grad_.resize(names_.size(), false);
  for (const auto& out : g.output()) {
    output_names_.push_back(out.name());
    if (id_of(out.name()) < 0) fail(model.name() + ": graph output '" + out.name() + "' is never produced");
  }
  std::vector<int> seeds;
  for (const auto& n : output_names_) seeds.push_back(id_of(n));
  for (const auto& n : opts_.extra_seeds) {
    const int id = id_of(n);
    if (id < 0) fail(model.name() + ": hint tensor '" + n + "' is not a value of the graph");
    seeds.push_back(id);
  }
  check_trainable_path(seeds);
}

// Every node that a gradient must pass through, from a seed back to a parameter, needs a
// backward kernel. Values whose dtype is not float carry no gradient.
void TrainGraph::check_trainable_path(const std::vector<int>& seed_ids) const {
  std::vector<bool> needed(names_.size(), false);
  for (int id : seed_ids) needed[static_cast<size_t>(id)] = true;
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
    const Step& s = **it;
    if (!s.on_path) continue;
    bool reaches = false;
    for (int id : s.outputs) reaches |= id >= 0 && needed[static_cast<size_t>(id)];
    if (!reaches) continue;
    if (!s.grad) {
      fail_unsupported(s.where + ": no backward kernel for op " + s.node->op_type() +
                       ", which lies between a trainable parameter and the loss (freeze the parameters before "
                       "it or train without it)");
    }
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      const int id = s.inputs[i];
      if (id >= 0 && requires_grad_[static_cast<size_t>(id)] && s.grad->is_differentiable(static_cast<int>(i))) {
        needed[static_cast<size_t>(id)] = true;
      }
    }
  }
}

void TrainGraph::forward(const rt::NamedTensors& feeds, Tape& tape) const {
  tape.values.assign(names_.size(), Tensor());
  for (size_t i = 0; i < constants_.size(); ++i) tape.values[i] = constants_[i];
  for (size_t k = 0; k < param_ids_.size(); ++k) tape.values[static_cast<size_t>(param_ids_[k])] = params_[k];
  for (const auto& [name, t] : feeds) {
    const int id = id_of(name);
    if (id < 0 || std::find(input_ids_.begin(), input_ids_.end(), id) == input_ids_.end()) {
      fail(model_->name() + ": '" + name + "' is not an input of the model");
    }
    tape.values[static_cast<size_t>(id)] = t;
  }
  for (size_t i = 0; i < input_ids_.size(); ++i) {
    if (!tape.values[static_cast<size_t>(input_ids_[i])].defined()) {
      fail(model_->name() + ": input '" + input_names_[i] + "' is not given");
    }
  }
  TapeScope scope(*this, tape);
  rt::KernelContext ctx;
  for (const auto& sp : steps_) {
    const Step& s = *sp;
    ctx.node = s.node;
    ctx.opset = s.opset;
    ctx.node_text = &s.where;
    ctx.scope = &scope;
    ctx.inputs.clear();
    for (int id : s.inputs) {
      const Tensor* t = id >= 0 ? &tape.values[static_cast<size_t>(id)] : nullptr;
      if (t && !t->defined()) fail(s.where + ": input '" + names_[static_cast<size_t>(id)] + "' has no value");
      ctx.inputs.push_back(t);
    }
    ctx.outputs.assign(s.outputs.size(), Tensor());
    if (opts_.bn_training && s.grad && s.grad->train_forward) {
      // An op whose training forward differs from inference (BatchNormalization).
      GradContext tc;
      tc.node = s.node;
      tc.opset = s.opset;
      tc.attrs = &s.attrs;
      tc.bn_training = true;
      tc.inputs = ctx.inputs;
      s.grad->train_forward(tc, ctx.outputs);
    } else {
      s.kernel->compute(ctx);
    }
    for (size_t o = 0; o < s.outputs.size(); ++o) {
      if (s.outputs[o] >= 0) tape.values[static_cast<size_t>(s.outputs[o])] = std::move(ctx.outputs[o]);
    }
  }
}

const Tensor& TrainGraph::value(const Tape& tape, const std::string& name) const {
  const int id = id_of(name);
  if (id < 0) fail(model_->name() + ": no value named '" + name + "'");
  const Tensor& v = tape.values.at(static_cast<size_t>(id));
  if (!v.defined()) fail(model_->name() + ": value '" + name + "' was not computed");
  return v;
}

void TrainGraph::backward(const Tape& tape, const std::vector<std::pair<std::string, Tensor>>& seeds,
                          std::vector<Tensor>& grads) const {
  std::vector<Tensor> g(names_.size());
  std::vector<bool> owned(names_.size(), false);
  auto accumulate = [&](int id, Tensor t) {
    Tensor& dst = g[static_cast<size_t>(id)];
    if (!dst.defined()) {
      dst = std::move(t);
      owned[static_cast<size_t>(id)] = false;  // may share storage with another gradient
      return;
    }
    if (!owned[static_cast<size_t>(id)]) {
      dst = dst.clone();
      owned[static_cast<size_t>(id)] = true;
    }
    const Tensor src = as_float(t);
    add_into(dst.data<float>(), src.data<float>(), dst.numel());
  };
  for (const auto& [name, t] : seeds) {
    const int id = id_of(name);
    const Tensor& v = value(tape, name);
    if (t.shape() != v.shape()) fail(model_->name() + ": gradient for '" + name + "' is " + t.describe() + ", value is " + v.describe());
    accumulate(id, as_float(t));
  }
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
    const Step& s = **it;
    if (!s.on_path) continue;
    bool any = false;
    for (int id : s.outputs) any |= id >= 0 && g[static_cast<size_t>(id)].defined();
    if (!any) continue;
    if (!s.grad) fail_internal(s.where + ": gradient reached a node without a backward kernel");
    GradContext ctx;
    ctx.node = s.node;
    ctx.opset = s.opset;
    ctx.attrs = &s.attrs;
    ctx.bn_training = opts_.bn_training;
    for (int id : s.inputs) {
      ctx.inputs.push_back(id >= 0 ? &tape.values[static_cast<size_t>(id)] : nullptr);
      ctx.wants.push_back(id >= 0 && requires_grad_[static_cast<size_t>(id)] &&
                          s.grad->is_differentiable(static_cast<int>(ctx.wants.size())));
    }
    for (int id : s.outputs) {
      ctx.outputs.push_back(id >= 0 ? &tape.values[static_cast<size_t>(id)] : nullptr);
      ctx.output_grads.push_back(id >= 0 && g[static_cast<size_t>(id)].defined() ? &g[static_cast<size_t>(id)] : nullptr);
    }
    ctx.input_grads.resize(ctx.inputs.size());
    s.grad->fn(ctx);
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      if (!ctx.wants[i]) continue;
      if (!ctx.input_grads[i].defined()) fail_internal(s.where + ": backward produced no gradient for input " + std::to_string(i));
      accumulate(s.inputs[i], std::move(ctx.input_grads[i]));
    }
    // Output gradients are consumed (a value is produced by one node only).
    for (int id : s.outputs) {
      if (id >= 0) g[static_cast<size_t>(id)] = Tensor();
    }
  }
  grads.resize(params_.size());
  for (size_t k = 0; k < param_ids_.size(); ++k) {
    const Tensor& pg = g[static_cast<size_t>(param_ids_[k])];
    if (!pg.defined()) continue;
    if (!grads[k].defined()) grads[k] = zeros_f32(params_[k].shape());
    add_into(grads[k].data<float>(), pg.data<float>(), pg.numel());
  }
}

}  // namespace edge::train
