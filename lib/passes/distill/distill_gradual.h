// distill<gradual=E>: instead of fine-tuning a pruned weight with the prune stage's mask
// fixed from the first step, start it again from the input model's dense values and take
// it back to the same number of zeros over the first E epochs (train/gradual_mask.h: cubic
// schedule, smallest magnitudes), so the student adapts while it loses weights. After that
// the mask is fixed and fine-tuning goes on as without the option; the result has exactly
// the zeros the prune stage chose the count of (not necessarily the same positions).
//
// Only for weights pruned element by element ("magnitude" in the prune record) whose kept
// values are the input model's initializer of the same name and shape at the same places
// (no stage between changed the weight); N:M patterns, channel pruning and weights a
// later stage rewrote keep their mask from the start, with the reason in the report.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/model.h"
#include "train/autodiff.h"
#include "train/gradual_mask.h"
#include "train/trainer.h"

namespace edge::pass::distill {

struct GradualPlan {
  std::unique_ptr<train::GradualMaskSchedule> schedule;   // null: nothing is pruned gradually
  std::vector<std::string> restored;                      // params pruned gradually
  std::vector<std::pair<std::string, std::string>> kept;  // params with their mask fixed, and why
  int64_t updates = 0;                                    // mask updates made
};

// Restores the eligible params of `graph` (masked ones listed in `pruned`) from `original`
// and plans their schedule to end at update `end_step`.
GradualPlan plan_gradual(const Model& original, const std::map<std::string, std::string>& pruned,
                         train::TrainGraph& graph, int64_t end_step);

// Makes `trainer` re-choose the planned masks before its updates.
void attach_gradual(GradualPlan& plan, train::Trainer& trainer, train::TrainGraph& graph);

// After training: every planned param holds exactly its final zero count (the kept
// checkpoint is past the schedule unless training stopped early on a non-finite loss).
void finish_gradual(const GradualPlan& plan, train::TrainGraph& graph);

}  // namespace edge::pass::distill
