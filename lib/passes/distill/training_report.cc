#include "passes/distill/training_report.h"

#include <algorithm>
#include <cstdio>

#include "report/report_format.h"

namespace edge::pass::distill {

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
