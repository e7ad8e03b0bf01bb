#include "passes/distill/distill_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace edge::pass::distill {

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
  const train::TrainResult& r = *s.run.result;
  std::string outcome = outcome_text(r, s.run.metric_name);
  char buf[160];
  std::snprintf(buf, sizeof buf, "; %.0f samples/s", r.samples_per_s());
  outcome += buf;
  if (r.nonfinite) {
    ctx.log().warn("distill: {}", outcome);
  } else {
    ctx.log().info("distill: {}", outcome);
  }
  if (!ctx.stage) return;
  auto& st = *ctx.stage;
  put_run_metrics(s.run, st);
  st.metrics["teacher_seconds"] = s.teacher_seconds;
  st.metrics["augmented_samples"] = static_cast<double>(s.augmented);
  if (s.augmented > 0) {
    st.notes.push_back(std::to_string(s.augmented) + " augmented variants of the training samples, labelled by the teacher");
  }
  put_epoch_notes(s.run, st);
  st.notes.push_back(outcome);
  st.notes.push_back(loss_note(s.run));
  if (s.masked.size() > s.gradual.size()) {
    st.notes.push_back(std::to_string(s.masked.size() - s.gradual.size()) +
                       " pruned initializer(s) trained with their zeros kept");
  }
  st.metrics["gradual_pruned"] = static_cast<double>(s.gradual.size());
  if (!s.gradual.empty()) {
    st.notes.push_back(std::to_string(s.gradual.size()) +
                       " pruned initializer(s) restored from the input model and pruned " + "again over " +
                       std::to_string(s.gradual_epochs) + " epoch(s) (cubic schedule, " +
                       std::to_string(s.gradual_updates) + " mask updates), same zero count");
  }
  for (const auto& [name, why] : s.gradual_kept) st.notes.push_back("gradual: " + name + " kept its mask: " + why);
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
