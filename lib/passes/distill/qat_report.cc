#include "passes/distill/qat_report.h"

#include <cstdio>

#include "passes/distill/distill_report.h"
#include "report/report_format.h"

namespace edge::pass::qat {

std::string qat_epoch_line(const train::EpochStats& s, int epochs, const std::string& metric_name) {
  std::string line = distill::epoch_line(s, epochs, metric_name);
  const std::string prefix = "distill: ";
  if (line.rfind(prefix, 0) == 0) line = line.substr(prefix.size());
  return "qat: " + line;
}

void report_qat(const QatSummary& s, const QatNotes& notes, PassContext& ctx) {
  const train::TrainResult& r = *s.result;
  const WriteBackStats& w = *s.stats;
  const QatPlan& plan = *s.plan;
  const int epochs_run = static_cast<int>(r.epochs.size()) - 1;
  const auto& first = r.epochs.front();
  const auto& best = r.epochs[static_cast<size_t>(r.best_epoch)];
  std::string outcome = std::to_string(epochs_run) + " epoch(s), kept epoch " + std::to_string(r.best_epoch) +
                        " (lowest val loss " + report::fmt::fixed(best.val_loss, 5) + ", " + s.metric_name + " " +
                        report::fmt::fixed(first.val_top1, 4) + " -> " + report::fmt::fixed(best.val_top1, 4) + ")";
  if (first.extra && best.extra) {
    outcome += "; eval top-1 of the QDQ model " + report::fmt::fixed(*first.extra, 4) + " -> " +
               report::fmt::fixed(*best.extra, 4);
  }
  if (r.stopped_early) outcome += "; stopped early (no better validation loss for `patience` epochs)";
  if (r.nonfinite) outcome += "; STOPPED on a non-finite value (" + r.nonfinite_detail + "), best checkpoint kept";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%lld of %lld int8 weight values changed, %d of %d learned scales changed (largest %.3g %%)",
                static_cast<long long>(w.weight_values_changed), static_cast<long long>(w.weight_values),
                w.scales_changed, w.scales_total, 100 * w.max_scale_change);
  const std::string changes = buf;
  if (r.nonfinite) {
    ctx.log().warn("qat: {}; {}", outcome, changes);
  } else {
    ctx.log().info("qat: {}; {}", outcome, changes);
  }
  if (!ctx.stage) return;
  auto& st = *ctx.stage;
  auto& m = st.metrics;
  m["epochs_run"] = epochs_run;
  m["best_epoch"] = r.best_epoch;
  m["stopped_early"] = r.stopped_early ? 1 : 0;
  m["nonfinite_loss"] = r.nonfinite ? 1 : 0;
  m["steps"] = static_cast<double>(r.steps);
  m["samples_per_s"] = r.samples_per_s();
  m["train_seconds"] = r.train_seconds;
  m["train_samples"] = static_cast<double>(s.samples - s.val_samples);
  m["val_samples"] = static_cast<double>(s.val_samples);
  m["teacher_logit_spread"] = s.spread;
  if (s.kl) m["temperature"] = s.temperature;
  m["learn_scales"] = s.learn_scales ? 1 : 0;
  m["val_loss_before"] = first.val_loss;
  m["val_loss_best"] = best.val_loss;
  m["val_top1_before"] = first.val_top1;
  m["val_top1_best"] = best.val_top1;
  if (first.extra) m["eval_top1_before"] = *first.extra;
  if (best.extra) m["eval_top1_after"] = *best.extra;
  m["weights"] = static_cast<double>(plan.weights.size());
  m["biases"] = static_cast<double>(plan.biases.size());
  m["activation_scales"] = static_cast<double>(plan.activation_scales.size());
  m["weight_values_changed"] = static_cast<double>(w.weight_values_changed);
  m["weight_values_clamped"] = static_cast<double>(w.weight_values_clamped);
  m["bias_values_saturated"] = static_cast<double>(w.bias_values_saturated);
  m["scales_changed"] = w.scales_changed;
  m["max_scale_change"] = w.max_scale_change;
  for (const auto& e : r.epochs) {
    const std::string at = "@" + std::to_string(e.epoch);
    if (e.epoch > 0) m["loss" + at] = e.train_loss;
    m["val_loss" + at] = e.val_loss;
    m["val_top1" + at] = e.val_top1;
    if (e.extra) m["eval_top1" + at] = *e.extra;
  }
  for (const auto& n : notes.lines) st.notes.push_back(n);
  for (const auto& e : r.epochs) st.notes.push_back(qat_epoch_line(e, epochs_run, s.metric_name).substr(5));
  st.notes.push_back(outcome);
  st.notes.push_back(changes);
  std::string how =
      s.kl ? "loss KL(soft teacher || soft student)*T^2, T " + report::fmt::fixed(s.temperature, 4) +
                 " (teacher logit spread " + report::fmt::fixed(s.spread, 4) + ")"
           : "loss MSE on logits / spread^2 (teacher logit spread " + report::fmt::fixed(s.spread, 4) + ")";
  if (s.labelled) how += ", plus cross-entropy with the training labels";
  st.notes.push_back(how + "; " + std::to_string(s.samples - s.val_samples) + " training samples, " +
                     std::to_string(s.val_samples) + " held out for validation");
  if (w.weight_values_clamped > 0) {
    st.notes.push_back(std::to_string(w.weight_values_clamped) +
                       " weight value(s) clamped into their original grid when written back");
  }
  if (w.bias_values_saturated > 0)
    st.notes.push_back(std::to_string(w.bias_values_saturated) + " bias value(s) saturated int32");
  if (w.biases_scale_kept > 0) {
    st.notes.push_back(std::to_string(w.biases_scale_kept) +
                       " bias(es) kept their scale: their layer's input and weight scales were not found");
  }
  st.columns = {"int8_changed", "scale_change", "scale_before", "scale_after", "quantized"};
  for (size_t k = 0; k < plan.weights.size() && k < w.weight_changed_share.size(); ++k) {
    const QatWeight& q = plan.weights[k];
    report::LayerRecord row;
    row.name = q.layer;
    row.op = q.layer_op;
    row.metrics["int8_changed"] = w.weight_changed_share[k];
    row.metrics["scale_change"] = w.weight_scale_change[k];
    row.attrs["quantized"] = q.q;
    st.layers.push_back(std::move(row));
  }
  if (!s.learn_scales) return;
  for (size_t k = 0; k < plan.activation_scales.size() && k < w.activation_scale.size(); ++k) {
    report::LayerRecord row;
    row.name = plan.activation_scales[k];
    row.op = "QuantizeLinear";
    row.metrics["scale_before"] = w.activation_scale[k].first;
    row.metrics["scale_after"] = w.activation_scale[k].second;
    row.metrics["scale_change"] =
        w.activation_scale[k].first > 0 ? w.activation_scale[k].second / w.activation_scale[k].first - 1 : 0;
    st.layers.push_back(std::move(row));
  }
}

}  // namespace edge::pass::qat
