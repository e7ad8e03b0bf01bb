#include "runtime/session.h"

#include <algorithm>
#include <random>

#include "runtime/thread_pool.h"

namespace edge::rt {

ValueDesc describe_value(const onnx::ValueInfoProto& vi) {
  ValueDesc d;
  d.name = vi.name();
  if (vi.type().has_tensor_type()) {
    const auto& tt = vi.type().tensor_type();
    d.dtype = dtype_from_onnx(tt.elem_type());
    if (tt.has_shape()) {
      d.has_shape = true;
      for (const auto& dim : tt.shape().dim()) {
        d.shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
        d.dim_params.push_back(dim.has_dim_param() ? dim.dim_param() : "");
      }
    }
  }
  return d;
}

namespace {

void apply_input_shapes(Model& model, const std::map<std::string, Shape>& shapes) {
  for (const auto& [name, shape] : shapes) {
    onnx::ValueInfoProto* vi = nullptr;
    for (auto& in : *model.graph().mutable_input()) {
      if (in.name() == name) vi = &in;
    }
    if (!vi) fail("--shape: model has no input named '" + name + "'");
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    if (tt->has_shape() && tt->shape().dim_size() != static_cast<int>(shape.size())) {
      fail("--shape " + name + ": rank " + std::to_string(shape.size()) + " given, the model declares rank " +
           std::to_string(tt->shape().dim_size()));
    }
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] < 0) fail("--shape " + name + ": negative dimension");
      if (tt->has_shape()) {
        const auto& d = tt->shape().dim(static_cast<int>(i));
        if (d.has_dim_value() && d.dim_value() != shape[i]) {
          fail("--shape " + name + ": dimension " + std::to_string(i) + " is fixed to " +
               std::to_string(d.dim_value()) + " by the model, " + std::to_string(shape[i]) + " given");
        }
      }
    }
    auto* s = tt->mutable_shape();
    s->clear_dim();
    for (int64_t v : shape) s->add_dim()->set_dim_value(v);
  }
  if (!shapes.empty()) {
    // Drop stale inferred shapes and infer again with the fixed dims.
    model.graph().clear_value_info();
    model.infer_shapes();
  }
}

}  // namespace

std::unique_ptr<Session> Session::create(Model model, const SessionOptions& opts) {
  std::unique_ptr<Session> s(new Session());
  apply_input_shapes(model, opts.input_shapes);
  s->model_ = std::move(model);
  s->threads_ = std::max(1, opts.threads);
  if (s->threads_ > 1) s->pool_ = std::make_unique<ThreadPool>(s->threads_);
  RunnerOptions ro;
  ro.registry = opts.registry ? opts.registry : &KernelRegistry::builtin();
  for (const auto& op : s->model_.proto().opset_import()) {
    ro.opsets[op.domain() == "ai.onnx" ? "" : op.domain()] = static_cast<int>(op.version());
  }
  if (!ro.opsets.count("")) ro.opsets[""] = 1;
  if (ro.opsets[""] > kMaxOnnxOpset) {
    fail_unsupported(s->model_.name() + ": ai.onnx opset " + std::to_string(ro.opsets[""]) +
                     " is not supported (the highest is " + std::to_string(kMaxOnnxOpset) + ")");
  }
  ro.pool = s->pool_.get();
  ro.max_depth = opts.max_subgraph_depth;
  ro.profile = opts.profile;
  ro.backends = opts.backends;
  ro.fuse = opts.fuse;
  ro.initializer_inputs_are_constants = s->model_.proto().ir_version() < 4;
  ro.observer = &s->observer_;
  for (const auto& b : opts.backends) {
    const auto known = ro.registry->backends();
    if (std::find(known.begin(), known.end(), b) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      fail("unknown backend '" + b + "' (available: " + list + ")");
    }
  }
  try {
    s->runner_ = std::make_unique<GraphRunner>(s->model_.graph(), std::vector<std::string>{}, ro);
  } catch (const Error& e) {
    throw Error(e.code(), s->model_.name() + ": " + e.what());
  }
  const auto& g = s->model_.graph();
  for (const auto& name : s->runner_->input_names()) {
    for (const auto& in : g.input()) {
      if (in.name() == name) s->inputs_.push_back(describe_value(in));
    }
  }
  for (const auto& out : g.output()) s->outputs_.push_back(describe_value(out));
  return s;
}

Expected<std::unique_ptr<Session>> Session::try_create(Model model, const SessionOptions& opts) {
  return capture([&] { return create(std::move(model), opts); });
}

Session::~Session() = default;

void Session::validate_input(const ValueDesc& d, const Tensor& t) const {
  auto expected = [&] {
    std::string s = dtype_name(d.dtype) + "[";
    for (size_t i = 0; i < d.shape.size(); ++i) {
      if (i) s += "x";
      s += d.shape[i] < 0 ? (d.dim_params[i].empty() ? "?" : d.dim_params[i]) : std::to_string(d.shape[i]);
    }
    return s + "]";
  };
  if (d.dtype != DType::kUndefined && t.dtype() != d.dtype) {
    fail("input '" + d.name + "': expected " + expected() + ", got " + t.describe());
  }
  if (!d.has_shape) return;
  if (static_cast<int>(d.shape.size()) != t.rank()) {
    fail("input '" + d.name + "': expected " + expected() + ", got " + t.describe());
  }
  for (size_t i = 0; i < d.shape.size(); ++i) {
    if (d.shape[i] >= 0 && d.shape[i] != t.shape()[i]) {
      fail("input '" + d.name + "': expected " + expected() + ", got " + t.describe());
    }
  }
}

NamedTensors Session::run(const NamedTensors& feeds) {
  NamedTensors result;
  run_into(feeds, result);
  return result;
}

void Session::run_into(const NamedTensors& feeds, NamedTensors& result) {
  std::lock_guard<std::mutex> lock(run_mu_);
  feed_ptrs_.assign(inputs_.size(), nullptr);
  const auto& over_names = runner_->overridable_names();
  override_ptrs_.assign(over_names.size(), nullptr);
  for (const auto& [name, t] : feeds) {
    bool found = false;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (inputs_[i].name == name) {
        validate_input(inputs_[i], t);
        feed_ptrs_[i] = &t;
        found = true;
      }
    }
    for (size_t i = 0; i < over_names.size(); ++i) {
      if (over_names[i] == name) {
        override_ptrs_[i] = &t;
        found = true;
      }
    }
    if (!found) fail("model has no input named '" + name + "'");
  }
  for (size_t i = 0; i < feed_ptrs_.size(); ++i) {
    if (!feed_ptrs_[i]) fail("input '" + inputs_[i].name + "' was not given");
  }
  for (auto& [name, t] : result) t = Tensor();  // let the runner reuse the previous results' buffers
  try {
    runner_->run_into(feed_ptrs_, nullptr, override_ptrs_, out_tensors_);
  } catch (const Error& e) {
    throw Error(e.code(), model_.name() + ": " + e.what());
  }
  if (result.size() != out_tensors_.size()) {
    result.clear();
    for (size_t i = 0; i < out_tensors_.size(); ++i) result.emplace_back(outputs_[i].name, Tensor());
  }
  for (size_t i = 0; i < out_tensors_.size(); ++i) {
    if (result[i].first != outputs_[i].name) result[i].first = outputs_[i].name;
    result[i].second = std::move(out_tensors_[i]);
  }
}

void Session::set_weight(const std::string& name, const Tensor& value) {
  try {
    runner_->set_initializer(name, value);
  } catch (const Error& e) {
    throw Error(e.code(), model_.name() + ": " + e.what());
  }
}

NamedTensors random_feeds(const Session& s, uint64_t seed, const std::set<std::string>& skip) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uni(0.f, 1.f);
  NamedTensors feeds;
  for (const auto& in : s.inputs()) {
    if (skip.count(in.name)) continue;
    if (!in.has_shape) fail("input '" + in.name + "' has no declared shape: give it with --shape or --input");
    Shape shape = in.shape;
    for (auto& d : shape) {
      if (d < 0) d = 1;
    }
    Tensor t;
    try {
      t = Tensor(in.dtype == DType::kUndefined ? DType::kFloat : in.dtype, shape);
    } catch (const Error& e) {
      throw Error(e.code(), s.model().name() + ": input '" + in.name + "': " + e.what());
    }
    if (t.dtype() == DType::kFloat) {
      float* p = t.data<float>();
      for (int64_t i = 0; i < t.numel(); ++i) p[i] = uni(rng);
    } else if (t.dtype() == DType::kDouble) {
      double* p = t.data<double>();
      for (int64_t i = 0; i < t.numel(); ++i) p[i] = uni(rng);
    } else if (t.dtype() == DType::kFloat16) {
      auto* p = static_cast<uint16_t*>(t.raw());
      for (int64_t i = 0; i < t.numel(); ++i) p[i] = float_to_half(uni(rng));
    }
    feeds.emplace_back(in.name, std::move(t));
  }
  return feeds;
}

Expected<NamedTensors> Session::try_run(const NamedTensors& feeds) {
  return capture([&] { return run(feeds); });
}

}  // namespace edge::rt
