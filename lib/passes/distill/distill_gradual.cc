#include "passes/distill/distill_gradual.h"

#include <algorithm>

#include "ir/graph_index.h"
#include "passes/prune/prune_common.h"
#include "passes/prune/prune_stage.h"
#include "train/params.h"

namespace edge::pass::distill {

namespace {

// Why `dense` (the input model's weight) cannot stand for `pruned`'s origin; empty when it can.
std::string mismatch(const Tensor& dense, const Tensor& pruned) {
  if (dense.dtype() != DType::kFloat) return "the input model's weight is not float32";
  if (dense.shape() != pruned.shape()) return "its shape differs from the input model's";
  const float* d = dense.data<float>();
  const float* p = pruned.data<float>();
  for (int64_t i = 0; i < pruned.numel(); ++i) {
    if (p[i] != 0.f && p[i] != d[i]) return "a stage before the prune stage changed it";
  }
  return {};
}

}  // namespace

GradualPlan plan_gradual(const Model& original, const std::map<std::string, std::string>& pruned,
                         train::TrainGraph& graph, int64_t end_step) {
  GradualPlan plan;
  const GraphIndex index(original.graph());
  std::vector<train::GradualTarget> targets;
  for (size_t k = 0; k < graph.param_names().size(); ++k) {
    const std::string& name = graph.param_names()[k];
    const auto rec = pruned.find(name);
    if (rec == pruned.end()) continue;
    if (rec->second != "magnitude") {
      plan.kept.emplace_back(name, "pruned with pattern " + rec->second);
      continue;
    }
    if (!index.initializer(name)) {
      plan.kept.emplace_back(name, "the input model has no initializer of that name");
      continue;
    }
    const Tensor dense = prune::read_weight(original, name);
    Tensor& w = graph.params()[k];
    if (const std::string why = mismatch(dense, w); !why.empty()) {
      plan.kept.emplace_back(name, why);
      continue;
    }
    train::GradualTarget t;
    t.param = k;
    t.start_zeros = prune::count_zeros(dense);
    t.final_zeros = prune::count_zeros(w);
    std::copy_n(dense.data<float>(), dense.numel(), w.data<float>());
    targets.push_back(t);
    plan.restored.push_back(name);
  }
  if (targets.empty()) return plan;
  // About a hundred updates over the schedule (one per step for short ones).
  const int64_t every = std::max<int64_t>(1, end_step / 100);
  plan.schedule =
      std::make_unique<train::GradualMaskSchedule>(std::move(targets), std::max<int64_t>(1, end_step), every);
  return plan;
}

void attach_gradual(GradualPlan& plan, train::Trainer& trainer, train::TrainGraph& graph) {
  if (!plan.schedule) return;
  // The masks of step 0 are set now, so the trainer's first apply (before training) uses them.
  const auto update = [&plan, &trainer, &graph](int64_t step) {
    for (const auto& t : plan.schedule->targets()) {
      trainer.set_mask(graph.param_names()[t.param],
                       train::magnitude_mask(graph.params()[t.param], plan.schedule->zeros_at(t, step)));
    }
    ++plan.updates;
  };
  update(0);
  trainer.before_step = [&plan, update](int64_t step, int64_t) {
    if (step > 0 && plan.schedule->due(step)) update(step);
  };
}

void finish_gradual(const GradualPlan& plan, train::TrainGraph& graph) {
  if (!plan.schedule) return;
  for (const auto& t : plan.schedule->targets()) {
    Tensor& w = graph.params()[t.param];
    if (prune::count_zeros(w) != t.final_zeros) train::apply_mask(w, train::magnitude_mask(w, t.final_zeros));
  }
}

}  // namespace edge::pass::distill
