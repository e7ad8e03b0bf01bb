// The distill stage's report section: the run as every training stage reports it
// (training_stage.h: per-epoch metrics "<name>@<epoch>" and notes, the outcome, the loss),
// samples/s, the teacher's time, masks and frozen initializers, and one row per trained
// initializer.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pass/context.h"
#include "passes/distill/training_stage.h"
#include "train/autodiff.h"

namespace edge::pass::distill {

struct DistillSummary {
  TrainingRun run;
  double teacher_seconds = 0;
  int64_t augmented = 0;  // variants added to the training samples (augment=K)
  std::vector<std::pair<std::string, std::string>> frozen;
  std::vector<std::string> masked;
  int64_t gradual_epochs = 0;                                     // gradual=E when some weight used it
  std::vector<std::string> gradual;                               // pruned gradually
  std::vector<std::pair<std::string, std::string>> gradual_kept;  // masked from the start, and why
  int64_t gradual_updates = 0;
};

// Fills ctx.stage (when set) and logs the outcome. `initial`: the parameters before training.
void report_distill(const Model& model, const train::TrainGraph& graph, const std::vector<Tensor>& initial,
                    const DistillSummary& s, PassContext& ctx);

}  // namespace edge::pass::distill
