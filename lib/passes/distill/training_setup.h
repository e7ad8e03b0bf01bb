// What the training stages (distill, qat) set up alike around train::Trainer, from the options
// both declare with the same names and meaning (epochs, patience, optimizer, weight_decay,
// momentum, schedule, lr, val): the trainer's options, the held-out validation samples, and
// the progress callback (one log line an epoch, the running numbers to ctx.progress), and the
// summary of the run the reports take.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pass/context.h"
#include "pass/pass.h"
#include "passes/distill/distill_data.h"
#include "passes/distill/distill_objective.h"
#include "passes/distill/training_report.h"
#include "train/trainer.h"

namespace edge::pass::distill {

// Epochs, batch, seed, patience, optimizer and learning-rate schedule; the caller adds what is
// its own (run_rows, warm-up, step decay). `who` names the stage in errors.
train::TrainerOptions trainer_options(const PassOptions& opts, int64_t batch, uint64_t seed, const std::string& who);

struct ValidationSplit {
  std::vector<int64_t> train;  // in seeded shuffled order
  std::vector<int64_t> val;    // sorted
};

// A seeded share (option `val`) of the samples [0, n) held out for validation, the rest to
// train. Throws naming `who` when no training sample is left.
ValidationSplit split_validation(int64_t n, const PassOptions& opts, uint64_t seed, const std::string& who);

// Logs "<who>: epoch 3/20: ..." (training_report.h) when an epoch is done, and passes
// "<who> 3/20 loss ... samples/s" with the step to ctx.progress (when set) in between.
std::function<void(const train::TrainProgress&)> progress_reporter(const std::string& who, PassContext& ctx, int epochs,
                                                                   const std::string& metric_name, bool labelled);

// The finished run as the reports take it.
TrainingRun training_run(const train::TrainResult& result, const ObjectiveConfig& oc, const TrainingSet& set,
                         const ValidationSplit& split, const std::string& metric_name);

}  // namespace edge::pass::distill
