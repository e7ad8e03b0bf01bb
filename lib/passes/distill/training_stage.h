// What the training stages (distill, qat) share around train::Trainer.
// Setup, from the options both declare with the same names and meaning (epochs, patience,
// optimizer, weight_decay, momentum, schedule, lr, val): the trainer's options, the held-out
// validation samples, the progress callback (one log line an epoch, the running numbers to
// ctx.progress). Report: one line an epoch, the kept epoch and why training stopped, the run's
// stage metrics with its curves ("<name>@<epoch>": loss, val_loss, val_top1, eval_top1; the HTML
// report draws them), and the loss in words. Each stage adds its own rows and notes
// (distill_report.h, qat_report.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pass/context.h"
#include "pass/pass.h"
#include "passes/distill/distill_data.h"
#include "passes/distill/distill_objective.h"
#include "report/report.h"
#include "train/trainer.h"

namespace edge::pass::distill {

// --- setup ---------------------------------------------------------------------------------

// The options distill and qat both declare, with the same names, defaults and meaning: batch,
// optimizer, temperature, alpha, patience, val, schedule, weight_decay, momentum.
std::vector<OptionSpec> shared_training_options();

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

// Logs "<who>: epoch 3/20: ..." (epoch_text) when an epoch is done, and passes
// "<who> 3/20 loss ... samples/s" with the step to ctx.progress (when set) in between.
std::function<void(const train::TrainProgress&)> progress_reporter(const std::string& who, PassContext& ctx, int epochs,
                                                                   const std::string& metric_name, bool labelled);

// --- report --------------------------------------------------------------------------------

struct TrainingRun {
  const train::TrainResult* result = nullptr;
  double temperature = 0, spread = 0;  // of the objective (objective_from_teacher)
  bool kl = true;
  int64_t samples = 0, val_samples = 0;
  bool labelled = false;
  std::string metric_name;  // "val agreement" or "val top-1"
};

// "epoch 3/20: loss 0.0123, val loss 0.0150, val agreement 0.9700, eval top-1 0.9510, 850 samples/s";
// epoch 0: "before training: val loss 0.0150, val agreement 0.9700".
std::string epoch_text(const train::EpochStats& s, int epochs, const std::string& metric_name);

// "5 epoch(s), kept epoch 3 (lowest val loss 0.01234, val agreement 0.9000 -> 0.9500)", then
// `middle`, then "; stopped early (...)" and/or "; STOPPED on a non-finite value (...)".
std::string outcome_text(const train::TrainResult& r, const std::string& metric_name, const std::string& middle = "");

// The run's stage metrics: epochs_run, best_epoch, stopped_early, nonfinite_loss, steps,
// samples_per_s, train_seconds, train/val samples, teacher_logit_spread, temperature (kl),
// val loss and top-1 before and best, and the curves.
void put_run_metrics(const TrainingRun& run, report::StageRecord& st);

// One note an epoch (epoch_text).
void put_epoch_notes(const TrainingRun& run, report::StageRecord& st);

// "loss KL(soft teacher || soft student)*T^2, T 4.0000 (teacher logit spread 4.0000)[, plus
// cross-entropy with the training labels]; 900 training samples, 100 held out for validation"
std::string loss_note(const TrainingRun& run);

// The finished run as the reports take it.
TrainingRun training_run(const train::TrainResult& result, const ObjectiveConfig& oc, const TrainingSet& set,
                         const ValidationSplit& split, const std::string& metric_name);

}  // namespace edge::pass::distill
