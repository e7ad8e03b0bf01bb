// The qat stage's report section: per-epoch numbers (stage metrics "<name>@<epoch>" and one
// note a line), top-1 of the QDQ model before and after, how many quantized values and
// scales changed, and one row per quantized weight (and per activation scale when learned).
#pragma once

#include <string>
#include <vector>

#include "pass/context.h"
#include "passes/distill/qat_model.h"
#include "train/trainer.h"

namespace edge::pass::qat {

struct QatSummary {
  const train::TrainResult* result = nullptr;
  const QatPlan* plan = nullptr;
  const WriteBackStats* stats = nullptr;
  bool learn_scales = false;
  double temperature = 0, spread = 0;
  bool kl = true;
  int64_t samples = 0, val_samples = 0;
  bool labelled = false;
  std::string metric_name;  // "val agreement" or "val top-1"
};

struct QatNotes {
  std::vector<std::string> lines;  // said before the summary (data source, teacher warnings)
};

// "qat: epoch 3/5: loss 0.0123, val loss 0.0150, val agreement 0.970, eval top-1 0.951, 850 samples/s"
std::string qat_epoch_line(const train::EpochStats& s, int epochs, const std::string& metric_name);

// Fills ctx.stage (when set) and logs the outcome.
void report_qat(const QatSummary& s, const QatNotes& notes, PassContext& ctx);

}  // namespace edge::pass::qat
