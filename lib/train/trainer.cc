#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "ir/status.h"
#include "train/grad_util.h"
#include "train/params.h"

namespace edge::train {
namespace {
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

bool all_finite(const std::vector<Tensor>& grads) {
  for (const auto& g : grads) {
    if (!g.defined()) continue;
    const float* p = g.data<float>();
    for (int64_t i = 0; i < g.numel(); ++i) {
      if (!std::isfinite(p[i])) return false;
    }
  }
  return true;
}

std::string fmt_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

void seeded_shuffle(std::vector<int64_t>& v, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

Trainer::Trainer(TrainGraph& graph, TrainerOptions options) : graph_(graph), options_(std::move(options)) {
  if (options_.epochs < 0) fail("training: epochs must be >= 0");
  if (options_.batch < 1) fail("training: batch must be >= 1");
  masks_.resize(graph_.params().size());
}

void Trainer::set_mask(const std::string& param, std::vector<uint8_t> mask) {
  const auto& names = graph_.param_names();
  for (size_t k = 0; k < names.size(); ++k) {
    if (names[k] != param) continue;
    if (static_cast<int64_t>(mask.size()) != graph_.params()[k].numel()) {
      fail_internal("mask for '" + param + "' has " + std::to_string(mask.size()) + " elements");
    }
    masks_[k] = std::move(mask);
    return;
  }
  fail_internal("mask for '" + param + "', which is not trained");
}

void Trainer::apply_masks() {
  for (size_t k = 0; k < masks_.size(); ++k) {
    if (!masks_[k].empty()) apply_mask(graph_.params()[k], masks_[k]);
  }
}

std::vector<std::vector<int64_t>> Trainer::runs_of(const std::vector<int64_t>& batch) const {
  std::vector<std::vector<int64_t>> runs;
  const auto per_run = options_.run_rows > 0 ? static_cast<size_t>(options_.run_rows) : batch.size();
  for (size_t i = 0; i < batch.size(); i += per_run) {
    runs.emplace_back(batch.begin() + static_cast<std::ptrdiff_t>(i),
                      batch.begin() + static_cast<std::ptrdiff_t>(std::min(batch.size(), i + per_run)));
  }
  return runs;
}

std::pair<double, double> Trainer::evaluate(const std::vector<int64_t>& idx, const FeedFn& feeds,
                                            Objective& objective) const {
  if (idx.empty()) return {0, 0};
  double loss = 0;
  int64_t right = 0;
  // Evaluation runs in chunks of the mini-batch size (dynamic batch) or the fixed batch.
  const auto chunk = static_cast<size_t>(options_.run_rows > 0 ? options_.run_rows : options_.batch);
  Tape tape;
  for (size_t i = 0; i < idx.size(); i += chunk) {
    const std::vector<int64_t> run(idx.begin() + static_cast<std::ptrdiff_t>(i),
                                   idx.begin() + static_cast<std::ptrdiff_t>(std::min(idx.size(), i + chunk)));
    graph_.forward(feeds(run), tape);
    loss += objective.loss(graph_, tape, run, nullptr);
    right += objective.correct(graph_, tape, run);
  }
  const auto n = static_cast<double>(idx.size());
  return {loss / n, static_cast<double>(right) / n};
}

TrainResult Trainer::fit(const std::vector<int64_t>& train, const std::vector<int64_t>& val, const FeedFn& feeds,
                         Objective& objective) {
  if (train.empty()) fail("training: no training samples");
  const std::vector<int64_t>& check = val.empty() ? train : val;
  auto& params = graph_.params();
  const auto steps_per_epoch = static_cast<int64_t>((train.size() + static_cast<size_t>(options_.batch) - 1) /
                                                    static_cast<size_t>(options_.batch));
  ScheduleOptions sched = options_.schedule;
  sched.total_steps = std::max<int64_t>(1, steps_per_epoch * options_.epochs);
  sched.warmup_steps = std::min(sched.total_steps, options_.warmup_epochs * steps_per_epoch);
  Optimizer opt(options_.optimizer, params);
  apply_masks();

  TrainResult res;
  const auto record_epoch = [&](EpochStats s) {
    std::tie(s.val_loss, s.val_top1) = evaluate(check, feeds, objective);
    if (epoch_metric) s.extra = epoch_metric(graph_);
    res.epochs.push_back(s);
    if (on_progress) {
      TrainProgress p;
      p.epoch = s.epoch;
      p.epochs = options_.epochs;
      p.step = p.steps = steps_per_epoch;
      p.loss = s.epoch == 0 ? s.val_loss : s.train_loss;
      p.val_top1 = s.val_top1;
      p.samples_per_s = s.samples_per_s;
      p.epoch_done = true;
      p.stats = &res.epochs.back();
      on_progress(p);
    }
    return res.epochs.back();
  };
  const EpochStats initial = record_epoch(EpochStats{});
  const bool initial_selectable = options_.first_selectable_epoch <= 0;
  double best_loss = initial_selectable ? initial.val_loss : std::numeric_limits<double>::infinity();
  std::vector<Tensor> best;
  for (const auto& p : params) best.push_back(p.clone());
  if (!std::isfinite(initial.val_loss)) {
    res.nonfinite = true;
    res.nonfinite_detail = "the loss before training is " + fmt_double(best_loss);
    return res;
  }
  int bad_epochs = 0;
  std::vector<int64_t> order = train;
  std::vector<Tensor> grads;
  Tape tape;
  Seeds seeds;
  for (int epoch = 1; epoch <= options_.epochs && !res.nonfinite; ++epoch) {
    seeded_shuffle(order, options_.seed + static_cast<uint64_t>(epoch));
    EpochStats stats;
    stats.epoch = epoch;
    double epoch_loss = 0, epoch_seconds = 0;
    int64_t epoch_samples = 0;
    for (int64_t step = 0; step < steps_per_epoch; ++step) {
      const auto t0 = Clock::now();
      const auto begin = static_cast<size_t>(step * options_.batch);
      const std::vector<int64_t> batch(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                       order.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                           order.size(), begin + static_cast<size_t>(options_.batch))));
      if (before_step) {
        before_step(res.steps, sched.total_steps);
        apply_masks();
      }
      for (auto& g : grads) {
        if (g.defined()) std::fill_n(g.data<float>(), g.numel(), 0.f);
      }
      double batch_loss = 0;
      for (const auto& run : runs_of(batch)) {
        graph_.forward(feeds(run), tape);
        seeds.clear();
        batch_loss += objective.loss(graph_, tape, run, &seeds);
        graph_.backward(tape, seeds, grads);
      }
      const auto n = static_cast<float>(batch.size());
      for (auto& g : grads) {
        if (!g.defined()) continue;
        float* p = g.data<float>();
        for (int64_t i = 0; i < g.numel(); ++i) p[i] /= n;
      }
      if (!std::isfinite(batch_loss) || !all_finite(grads)) {
        res.nonfinite = true;
        res.nonfinite_detail = "epoch " + std::to_string(epoch) + " step " + std::to_string(step + 1) + ": " +
                               (std::isfinite(batch_loss) ? std::string("a gradient is not finite")
                                                          : "loss " + fmt_double(batch_loss));
        break;
      }
      stats.lr = learning_rate(sched, res.steps);
      opt.step(params, grads, stats.lr);
      apply_masks();
      ++res.steps;
      epoch_loss += batch_loss;
      epoch_samples += static_cast<int64_t>(batch.size());
      epoch_seconds += seconds_since(t0);
      if (on_progress) {
        TrainProgress p;
        p.epoch = epoch;
        p.epochs = options_.epochs;
        p.step = step + 1;
        p.steps = steps_per_epoch;
        p.loss = epoch_loss / static_cast<double>(epoch_samples);
        p.val_top1 = res.epochs.back().val_top1;
        p.samples_per_s = epoch_seconds > 0 ? static_cast<double>(epoch_samples) / epoch_seconds : 0;
        on_progress(p);
      }
    }
    res.samples += epoch_samples;
    res.train_seconds += epoch_seconds;
    if (res.nonfinite) break;
    stats.train_loss = epoch_loss / static_cast<double>(epoch_samples);
    stats.samples_per_s = epoch_seconds > 0 ? static_cast<double>(epoch_samples) / epoch_seconds : 0;
    const EpochStats done = record_epoch(stats);
    if (!std::isfinite(done.val_loss)) {
      res.nonfinite = true;
      res.nonfinite_detail = "epoch " + std::to_string(epoch) + ": validation loss " + fmt_double(done.val_loss);
      break;
    }
    if (epoch < options_.first_selectable_epoch) continue;
    if (!std::isfinite(best_loss) || done.val_loss < best_loss - options_.min_delta * std::abs(best_loss)) {
      best_loss = done.val_loss;
      res.best_epoch = epoch;
      for (size_t k = 0; k < params.size(); ++k) best[k] = params[k].clone();
      bad_epochs = 0;
    } else if (options_.patience > 0 && ++bad_epochs >= options_.patience) {
      res.stopped_early = epoch < options_.epochs;
      break;
    }
  }
  // Back to the best checkpoint (in place: the tape and the caller see the same tensors).
  for (size_t k = 0; k < params.size(); ++k) {
    std::copy_n(best[k].data<float>(), best[k].numel(), params[k].data<float>());
  }
  return res;
}

}  // namespace edge::train
