#include "pass/context.h"

namespace edge::pass {

std::unique_ptr<data::Dataset> PassContext::open(const DataSpec& spec) const {
  if (spec.empty()) return nullptr;
  auto d = data::open_dataset(spec.path, spec.options);
  if (spec.limit > 0) d->set_limit(spec.limit);
  return d;
}

std::optional<data::Labels> PassContext::labels(const DataSpec& spec) const {
  if (spec.labels.empty()) return std::nullopt;
  return data::open_labels(spec.labels);
}

std::unique_ptr<rt::Session> PassContext::make_session(const Model& m) const {
  return rt::Session::create(as_loaded(m), session_options);
}

void PassContext::run_pass(const PassInfo& info, const PassOptions& options, Model& model) {
  auto pass = info.create(options);
  // Restores the outer pass's options on exit (a pass may run another one).
  struct Running {
    const PassOptions*& slot;
    const PassOptions* outer;
    ~Running() { slot = outer; }
  } running{running_, running_};
  running_ = &options;
  pass->run(model, *this);
}

LayerOptions PassContext::for_layer(const std::string& node_name) const {
  if (!running_) fail_internal("PassContext::for_layer('" + node_name + "') called outside run_pass");
  return layer_rules.for_layer(node_name, *running_);
}

}  // namespace edge::pass
