// The qat stage's report section: the run as every training stage reports it
// (training_stage.h: per-epoch metrics "<name>@<epoch>" and notes, the outcome, the loss),
// top-1 of the QDQ model before and after, how many quantized values and
// scales changed, and one row per quantized weight (and per activation scale when learned).
#pragma once

#include <string>
#include <vector>

#include "pass/context.h"
#include "passes/distill/qat_model.h"
#include "passes/distill/training_stage.h"

namespace edge::pass::qat {

struct QatSummary {
  distill::TrainingRun run;
  const QatPlan* plan = nullptr;
  const WriteBackStats* stats = nullptr;
  bool learn_scales = false;
};

struct QatNotes {
  std::vector<std::string> lines;  // said before the summary (data source, teacher warnings)
};

// Fills ctx.stage (when set) and logs the outcome.
void report_qat(const QatSummary& s, const QatNotes& notes, PassContext& ctx);

}  // namespace edge::pass::qat
