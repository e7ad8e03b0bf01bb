// The distill stage's report section: per-epoch numbers (stage metrics "<name>@<epoch>" for
// JSON readers, and one note a line), the outcome (epochs run, best epoch, early stop,
// non-finite loss, samples/s) and one row per trained initializer.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pass/context.h"
#include "train/autodiff.h"
#include "train/trainer.h"

namespace edge::pass::distill {

struct DistillSummary {
  const train::TrainResult* result = nullptr;
  double temperature = 0, spread = 0;
  bool kl = true;
  int64_t samples = 0, val_samples = 0;
  bool labelled = false;
  double teacher_seconds = 0;
  std::string metric_name;  // "val agreement" or "val top-1"
  std::vector<std::pair<std::string, std::string>> frozen;
  std::vector<std::string> masked;
};

// "epoch 3/20: loss 0.0123, val loss 0.0150, val agreement 0.970, eval top-1 0.951, 850 samples/s"
std::string epoch_line(const train::EpochStats& s, int epochs, const std::string& metric_name);

// Fills ctx.stage (when set) and logs the outcome. `initial`: the parameters before training.
void report_distill(const Model& model, const train::TrainGraph& graph, const std::vector<Tensor>& initial,
                    const DistillSummary& s, PassContext& ctx);

}  // namespace edge::pass::distill
