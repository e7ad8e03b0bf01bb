#include "passes/distill/qat_report.h"

#include <cstdio>

#include "report/report_format.h"

namespace edge::pass::qat {

void report_qat(const QatSummary& s, const QatNotes& notes, PassContext& ctx) {
  const train::TrainResult& r = *s.run.result;
  const WriteBackStats& w = *s.stats;
  const QatPlan& plan = *s.plan;
  const auto& first = r.epochs.front();
  const auto& best = r.epochs[static_cast<size_t>(r.best_epoch)];
  std::string eval_change;
  if (first.extra && best.extra) {
    eval_change = "; eval top-1 of the QDQ model " + report::fmt::fixed(*first.extra, 4) + " -> " +
                  report::fmt::fixed(*best.extra, 4);
  }
  const std::string outcome = distill::outcome_text(r, s.run.metric_name, eval_change);
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
  distill::put_run_metrics(s.run, st);
  m["learn_scales"] = s.learn_scales ? 1 : 0;
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
  for (const auto& n : notes.lines) st.notes.push_back(n);
  distill::put_epoch_notes(s.run, st);
  st.notes.push_back(outcome);
  st.notes.push_back(changes);
  st.notes.push_back(distill::loss_note(s.run));
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
