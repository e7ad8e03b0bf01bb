#include "passes/distill/distill_report.h"

#include <cmath>
#include <cstdio>

#include "report/report_format.h"

namespace edge::pass::distill {

std::string epoch_line(const train::EpochStats& s, int epochs, const std::string& metric_name) {
  char buf[256];
  int n = 0;
  if (s.epoch == 0) {
    n = std::snprintf(buf, sizeof buf, "distill: before training: val loss %.5g, %s %.4f", s.val_loss,
                      metric_name.c_str(), s.val_top1);
  } else {
    n = std::snprintf(buf, sizeof buf, "distill: epoch %d/%d: loss %.5g, val loss %.5g, %s %.4f", s.epoch, epochs,
                      s.train_loss, s.val_loss, metric_name.c_str(), s.val_top1);
  }
  std::string line(buf, static_cast<size_t>(std::max(0, n)));
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

namespace {

// The first node reading `init`: the layer a row is named after.
const onnx::NodeProto* reader_of(const Model& m, const std::string& init) {
  for (const auto& n : m.graph().node()) {
    for (const auto& in : n.input()) {
      if (in == init) return &n;
    }
  }
  return nullptr;
}

double norm(const Tensor& t) {
  double s = 0;
  for (int64_t i = 0; i < t.numel(); ++i) s += static_cast<double>(t.data<float>()[i]) * t.data<float>()[i];
  return std::sqrt(s);
}

}  // namespace

void report_distill(const Model& model, const train::TrainGraph& graph, const std::vector<Tensor>& initial,
                    const DistillSummary& s, PassContext& ctx) {
  const train::TrainResult& r = *s.result;
  const int epochs_run = static_cast<int>(r.epochs.size()) - 1;
  const auto& first = r.epochs.front();
  const auto& best = r.epochs[static_cast<size_t>(r.best_epoch)];
  std::string outcome = "distill: " + std::to_string(epochs_run) + " epoch(s), kept epoch " +
                        std::to_string(r.best_epoch) + " (lowest val loss " + report::fmt::fixed(best.val_loss, 5) +
                        ", " + s.metric_name + " " + report::fmt::fixed(first.val_top1, 4) + " -> " +
                        report::fmt::fixed(best.val_top1, 4) + ")";
  if (r.stopped_early) outcome += "; stopped early (no better validation loss for `patience` epochs)";
  if (r.nonfinite) outcome += "; STOPPED on a non-finite value (" + r.nonfinite_detail + "), best checkpoint kept";
  char buf[160];
  std::snprintf(buf, sizeof buf, "; %.0f samples/s", r.samples_per_s());
  outcome += buf;
  if (r.nonfinite) {
    ctx.log().warn("{}", outcome);
  } else {
    ctx.log().info("{}", outcome);
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
  m["teacher_seconds"] = s.teacher_seconds;
  m["train_samples"] = static_cast<double>(s.samples - s.val_samples);
  m["val_samples"] = static_cast<double>(s.val_samples);
  m["teacher_logit_spread"] = s.spread;
  if (s.kl) m["temperature"] = s.temperature;
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
    st.notes.push_back(epoch_line(e, epochs_run, s.metric_name).substr(9));  // without "distill: "
  }
  st.notes.push_back(outcome.substr(9));
  std::string how = s.kl ? "loss KL(soft teacher || soft student)*T^2, T " + report::fmt::fixed(s.temperature, 4) +
                               " (teacher logit spread " + report::fmt::fixed(s.spread, 4) + ")"
                         : "loss MSE on logits / spread^2 (teacher logit spread " + report::fmt::fixed(s.spread, 4) + ")";
  if (s.labelled) how += ", plus cross-entropy with the training labels";
  st.notes.push_back(how + "; " + std::to_string(s.samples - s.val_samples) + " training samples, " +
                     std::to_string(s.val_samples) + " held out for validation");
  if (!s.masked.empty()) {
    st.notes.push_back(std::to_string(s.masked.size()) + " pruned initializer(s) trained with their zeros kept");
  }
  for (const auto& [name, why] : s.frozen) st.notes.push_back("frozen: " + name + ": " + why);
  st.columns = {"change", "sparsity", "initializer", "masked"};
  for (size_t k = 0; k < graph.param_names().size(); ++k) {
    const std::string& name = graph.param_names()[k];
    const Tensor& w = graph.params()[k];
    report::LayerRecord row;
    const onnx::NodeProto* n = reader_of(model, name);
    row.name = n ? (n->name().empty() ? name : n->name()) : name;
    row.op = n ? n->op_type() : "";
    row.params = w.numel();
    int64_t zeros = 0;
    double diff = 0;
    for (int64_t i = 0; i < w.numel(); ++i) {
      const float v = w.data<float>()[i];
      zeros += v == 0.f ? 1 : 0;
      const double d = static_cast<double>(v) - initial[k].data<float>()[i];
      diff += d * d;
    }
    const double base = norm(initial[k]);
    row.metrics["change"] = base > 0 ? std::sqrt(diff) / base : std::sqrt(diff);
    row.metrics["sparsity"] = w.numel() > 0 ? static_cast<double>(zeros) / static_cast<double>(w.numel()) : 0;
    row.attrs["initializer"] = name;
    row.attrs["masked"] = std::find(s.masked.begin(), s.masked.end(), name) != s.masked.end() ? "yes" : "no";
    st.layers.push_back(std::move(row));
  }
}

}  // namespace edge::pass::distill
