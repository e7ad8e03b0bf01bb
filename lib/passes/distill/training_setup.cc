#include "passes/distill/training_setup.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ir/status.h"

namespace edge::pass::distill {

train::TrainerOptions trainer_options(const PassOptions& opts, int64_t batch, uint64_t seed, const std::string& who) {
  train::TrainerOptions to;
  to.epochs = static_cast<int>(opts.get_int("epochs"));
  to.batch = batch;
  to.seed = seed;
  to.patience = static_cast<int>(opts.get_int("patience"));
  to.optimizer.kind = train::parse_optimizer(opts.get_string("optimizer"), who);
  to.optimizer.weight_decay = opts.get_float("weight_decay");
  to.optimizer.momentum = opts.get_float("momentum");
  to.schedule.kind = train::parse_schedule(opts.get_string("schedule"), who);
  to.schedule.lr = opts.get_float("lr");
  return to;
}

ValidationSplit split_validation(int64_t n, const PassOptions& opts, uint64_t seed, const std::string& who) {
  std::vector<int64_t> all(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) all[static_cast<size_t>(i)] = i;
  train::seeded_shuffle(all, seed);
  const auto n_val = static_cast<size_t>(std::llround(opts.get_float("val") * static_cast<double>(n)));
  ValidationSplit split;
  split.val.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n_val));
  split.train.assign(all.begin() + static_cast<std::ptrdiff_t>(n_val), all.end());
  std::sort(split.val.begin(), split.val.end());
  if (split.train.empty()) fail(who + ": val=" + opts.values().at("val") + " leaves no training sample");
  return split;
}

std::function<void(const train::TrainProgress&)> progress_reporter(const std::string& who, PassContext& ctx, int epochs,
                                                                   const std::string& metric_name, bool labelled) {
  return [who, &ctx, epochs, metric_name, labelled](const train::TrainProgress& p) {
    if (p.epoch_done && p.stats) {
      ctx.log().info("{}: {}", who, epoch_text(*p.stats, epochs, metric_name));
      return;
    }
    if (!ctx.progress) return;
    char what[128];
    std::snprintf(what, sizeof what, "%s %d/%d loss %.4g %s %.3f %.0f samples/s", who.c_str(), p.epoch, p.epochs,
                  p.loss, labelled ? "top-1" : "agree", p.val_top1.value_or(0), p.samples_per_s);
    ctx.progress(what, p.step, p.steps);
  };
}

TrainingRun training_run(const train::TrainResult& result, const ObjectiveConfig& oc, const TrainingSet& set,
                         const ValidationSplit& split, const std::string& metric_name) {
  TrainingRun run;
  run.result = &result;
  run.temperature = oc.temperature;
  run.spread = oc.teacher_spread;
  run.kl = oc.kl;
  run.samples = set.size();
  run.val_samples = static_cast<int64_t>(split.val.size());
  run.labelled = set.labels.has_value();
  run.metric_name = metric_name;
  return run;
}

}  // namespace edge::pass::distill
