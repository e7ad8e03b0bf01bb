// The training loop over a TrainGraph: epochs of seeded-shuffled mini-batches, gradient
// accumulation over the runs of a batch (a model with a fixed batch of 1 runs sample by
// sample; a dynamic batch dim takes the whole mini-batch in one run), an optimizer step
// with a scheduled learning rate, masks re-applied after every step, an evaluation after
// every epoch (and before the first) with early stopping and the best checkpoint kept, and
// a stop on a non-finite loss or gradient. Single-threaded and in a fixed order: the same
// seed gives the same bytes. Progress goes through a callback; nothing is printed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/session.h"
#include "train/autodiff.h"
#include "train/optimizer.h"
#include "train/schedule.h"

namespace edge::train {

using Seeds = std::vector<std::pair<std::string, Tensor>>;

// What is trained for: the loss of some samples given the student's values on a tape.
class Objective {
 public:
  virtual ~Objective() = default;
  // The loss summed over the samples `idx`, whose results are rows 0..idx.size()-1 of the
  // tape's outputs. With `seeds`, also appends dLoss/dValue for the outputs (and hint
  // values) it reads.
  virtual double loss(const TrainGraph& g, const Tape& tape, const std::vector<int64_t>& idx, Seeds* seeds) = 0;
  // How many of the samples `idx` the student gets right (top-1 against the teacher or the
  // labels).
  virtual int64_t correct(const TrainGraph& g, const Tape& tape, const std::vector<int64_t>& idx) = 0;
};

struct TrainerOptions {
  int epochs = 20;
  int64_t batch = 32;          // samples per optimizer step
  int64_t run_rows = 0;        // samples per forward run: the model's fixed batch, 0 = dynamic
  uint64_t seed = 0;           // shuffling
  int patience = 0;            // stop after this many epochs without a better validation loss; 0 = never
  double min_delta = 0;        // relative improvement that counts as better
  OptimizerOptions optimizer;
  ScheduleOptions schedule;    // total_steps is filled in by fit()
  int64_t warmup_epochs = 0;   // converted into schedule.warmup_steps
  // Epochs before this one are neither kept as the best checkpoint nor counted for early
  // stopping (e.g. while masks still change); 0 = every epoch, the initial parameters included.
  int first_selectable_epoch = 0;
};

struct EpochStats {
  int epoch = 0;                     // 0: before training
  double train_loss = 0;             // mean per sample over the epoch (0 for epoch 0)
  double val_loss = 0;               // mean per sample on the validation samples
  double val_top1 = 0;               // share right on the validation samples
  std::optional<double> extra;       // the caller's per-epoch metric (e.g. top-1 on eval data)
  double samples_per_s = 0;          // training samples per second (forward + backward + step)
  double lr = 0;                     // learning rate at the epoch's last step
};

struct TrainProgress {
  int epoch = 0, epochs = 0;
  int64_t step = 0, steps = 0;  // within the epoch
  double loss = 0;              // running mean per sample in this epoch
  std::optional<double> val_top1;  // of the last finished epoch
  double samples_per_s = 0;
  bool epoch_done = false;      // sent once per epoch after its evaluation
  const EpochStats* stats = nullptr;  // with epoch_done
};

struct TrainResult {
  std::vector<EpochStats> epochs;  // [0] = before training
  int best_epoch = 0;              // epoch whose parameters were kept (0: the initial ones)
  bool stopped_early = false;
  bool nonfinite = false;          // stopped on a NaN/inf loss or gradient
  std::string nonfinite_detail;    // "epoch 3 step 7: loss nan"
  int64_t steps = 0;
  int64_t samples = 0;             // training samples processed
  double train_seconds = 0;        // forward + backward + updates, evaluations excluded
  double samples_per_s() const { return train_seconds > 0 ? static_cast<double>(samples) / train_seconds : 0; }
};

// Builds the feeds of one forward run over the samples `idx` (at most run_rows of them, or
// a whole mini-batch when the batch is dynamic).
using FeedFn = std::function<rt::NamedTensors(const std::vector<int64_t>& idx)>;

class Trainer {
 public:
  Trainer(TrainGraph& graph, TrainerOptions options);

  // Masks (train/params.h zero_mask) for some parameters, by name; re-applied after every
  // step and once before training.
  void set_mask(const std::string& param, std::vector<uint8_t> mask);
  std::function<void(const TrainProgress&)> on_progress;
  // Called after every epoch's evaluation (and before training) with the current
  // parameters; its value is EpochStats::extra.
  std::function<std::optional<double>(const TrainGraph&)> epoch_metric;
  // Called before every optimizer update with its 0-based index and the total; may change the
  // masks (set_mask), which are applied before the update's forward run.
  std::function<void(int64_t step, int64_t total_steps)> before_step;

  // Trains on the samples `train` and selects the checkpoint on `val` (when empty: on
  // `train`). On return the graph's parameters are the best checkpoint's.
  TrainResult fit(const std::vector<int64_t>& train, const std::vector<int64_t>& val, const FeedFn& feeds,
                  Objective& objective);

 private:
  // Mean loss and top-1 share over `idx`, forward only.
  std::pair<double, double> evaluate(const std::vector<int64_t>& idx, const FeedFn& feeds, Objective& objective) const;
  std::vector<std::vector<int64_t>> runs_of(const std::vector<int64_t>& batch) const;
  void apply_masks();

  TrainGraph& graph_;
  TrainerOptions options_;
  std::vector<std::vector<uint8_t>> masks_;  // parallel to graph_.params(); empty = none
};

// Fisher-Yates over a seeded mt19937_64 with a plain modulo draw, so the order is the same
// with every standard library.
void seeded_shuffle(std::vector<int64_t>& v, uint64_t seed);

}  // namespace edge::train
