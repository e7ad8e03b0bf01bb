#include "passes/distill/training_stage.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ir/status.h"
#include "report/report_format.h"

namespace edge::pass::distill {

std::vector<OptionSpec> shared_training_options() {
  return {
      {"batch",
       OptionType::kInt,
       "32",
       "samples per optimizer step (a fixed-batch model accumulates runs)",
       {},
       1,
       1e6},
      {"optimizer", OptionType::kString, "adam", "adam, adamw or sgd (momentum)", {"adam", "sgd", "adamw"}},
      {"temperature",
       OptionType::kFloat,
       "0",
       "softmax temperature of loss=kl; 0 = the teacher's logit spread (std across classes, mean over samples)",
       {},
       0,
       1e12},
      {"alpha",
       OptionType::kFloat,
       "0.5",
       "with --train-labels: loss = (1-alpha)*distill + alpha*cross-entropy",
       {},
       0,
       1},
      {"patience",
       OptionType::kInt,
       "5",
       "stop after this many epochs without a lower validation loss; 0 = never",
       {},
       0,
       100000},
      {"val",
       OptionType::kFloat,
       "0.1",
       "share of the training samples held out to pick the best epoch; 0 = pick on the training samples",
       {},
       0,
       0.9},
      {"schedule",
       OptionType::kString,
       "cosine",
       "learning-rate schedule after warm-up",
       {"cosine", "constant", "step"}},
      {"weight_decay", OptionType::kFloat, "0", "L2 (sgd, adam) or decoupled (adamw) weight decay", {}, 0, 10},
      {"momentum", OptionType::kFloat, "0.9", "optimizer=sgd momentum", {}, 0, 1},
  };
}

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

std::string epoch_text(const train::EpochStats& s, int epochs, const std::string& metric_name) {
  char buf[256];
  int n = 0;
  if (s.epoch == 0) {
    n = std::snprintf(buf, sizeof buf, "before training: val loss %.5g, %s %.4f", s.val_loss, metric_name.c_str(),
                      s.val_top1);
  } else {
    n = std::snprintf(buf, sizeof buf, "epoch %d/%d: loss %.5g, val loss %.5g, %s %.4f", s.epoch, epochs, s.train_loss,
                      s.val_loss, metric_name.c_str(), s.val_top1);
  }
  std::string line(buf, static_cast<size_t>(std::clamp(n, 0, static_cast<int>(sizeof buf) - 1)));
  if (s.extra) {
    std::snprintf(buf, sizeof buf, ", eval top-1 %.4f", *s.extra);
    line += buf;
  }
  if (s.epoch > 0) {
    std::snprintf(buf, sizeof buf, ", %.0f samples/s", s.samples_per_s);
    line += buf;
  }
  return line;
}

std::string outcome_text(const train::TrainResult& r, const std::string& metric_name, const std::string& middle) {
  const int epochs_run = static_cast<int>(r.epochs.size()) - 1;
  const auto& first = r.epochs.front();
  const auto& best = r.epochs[static_cast<size_t>(r.best_epoch)];
  std::string outcome = std::to_string(epochs_run) + " epoch(s), kept epoch " + std::to_string(r.best_epoch) +
                        " (lowest val loss " + report::fmt::fixed(best.val_loss, 5) + ", " + metric_name + " " +
                        report::fmt::fixed(first.val_top1, 4) + " -> " + report::fmt::fixed(best.val_top1, 4) + ")";
  outcome += middle;
  if (r.stopped_early) outcome += "; stopped early (no better validation loss for `patience` epochs)";
  if (r.nonfinite) outcome += "; STOPPED on a non-finite value (" + r.nonfinite_detail + "), best checkpoint kept";
  return outcome;
}

void put_run_metrics(const TrainingRun& run, report::StageRecord& st) {
  const train::TrainResult& r = *run.result;
  const auto& first = r.epochs.front();
  const auto& best = r.epochs[static_cast<size_t>(r.best_epoch)];
  auto& m = st.metrics;
  m["epochs_run"] = static_cast<int>(r.epochs.size()) - 1;
  m["best_epoch"] = r.best_epoch;
  m["stopped_early"] = r.stopped_early ? 1 : 0;
  m["nonfinite_loss"] = r.nonfinite ? 1 : 0;
  m["steps"] = static_cast<double>(r.steps);
  m["samples_per_s"] = r.samples_per_s();
  m["train_seconds"] = r.train_seconds;
  m["train_samples"] = static_cast<double>(run.samples - run.val_samples);
  m["val_samples"] = static_cast<double>(run.val_samples);
  m["teacher_logit_spread"] = run.spread;
  if (run.kl) m["temperature"] = run.temperature;
  m["val_loss_before"] = first.val_loss;
  m["val_loss_best"] = best.val_loss;
  m["val_top1_before"] = first.val_top1;
  m["val_top1_best"] = best.val_top1;
  for (const auto& e : r.epochs) {
    const std::string at = "@" + std::to_string(e.epoch);
    if (e.epoch > 0) m["loss" + at] = e.train_loss;
    m["val_loss" + at] = e.val_loss;
    m["val_top1" + at] = e.val_top1;
    if (e.extra) m["eval_top1" + at] = *e.extra;
  }
}

void put_epoch_notes(const TrainingRun& run, report::StageRecord& st) {
  const train::TrainResult& r = *run.result;
  const int epochs_run = static_cast<int>(r.epochs.size()) - 1;
  for (const auto& e : r.epochs) st.notes.push_back(epoch_text(e, epochs_run, run.metric_name));
}

std::string loss_note(const TrainingRun& run) {
  std::string how =
      run.kl ? "loss KL(soft teacher || soft student)*T^2, T " + report::fmt::fixed(run.temperature, 4) +
                   " (teacher logit spread " + report::fmt::fixed(run.spread, 4) + ")"
             : "loss MSE on logits / spread^2 (teacher logit spread " + report::fmt::fixed(run.spread, 4) + ")";
  if (run.labelled) how += ", plus cross-entropy with the training labels";
  return how + "; " + std::to_string(run.samples - run.val_samples) + " training samples, " +
         std::to_string(run.val_samples) + " held out for validation";
}

}  // namespace edge::pass::distill
