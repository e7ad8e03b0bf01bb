#include "passes/prune/prune_stage.h"

#include "ir/graph_edit.h"
#include "ir/tensor_proto.h"

namespace edge::pass::prune {

PruneTargets targets_for(const Model& m, PassContext& ctx) {
  return find_prune_targets(m, [&ctx](const onnx::NodeProto& n) {
    const LayerOptions lo = ctx.for_layer(n);
    return LayerPolicy{lo.excluded, lo.get_int("min_params")};
  });
}

Tensor read_weight(const Model& m, const std::string& initializer) {
  for (const auto& t : m.graph().initializer()) {
    if (t.name() == initializer) return read_initializer(m, t);
  }
  fail_internal("no initializer '" + initializer + "'");
}

void write_weight(Model& m, const std::string& initializer, const Tensor& w) {
  for (auto& t : *m.graph().mutable_initializer()) {
    if (t.name() != initializer) continue;
    onnx::TensorProto p = tensor_to_proto(w, initializer);
    if (t.has_doc_string()) p.set_doc_string(t.doc_string());
    t = std::move(p);
    return;
  }
  fail_internal("no initializer '" + initializer + "'");
}

report::LayerRecord pruned_row(const PruneUnit& u, const Tensor& w) {
  report::LayerRecord row;
  row.name = u.layers.front();
  row.op = u.op;
  row.params = u.params;
  const int64_t zeros = count_zeros(w);
  row.metrics["sparsity"] = u.params ? static_cast<double>(zeros) / static_cast<double>(u.params) : 0.0;
  row.metrics["zeros"] = static_cast<double>(zeros);
  row.attrs["initializer"] = u.initializer;
  if (u.layers.size() > 1) {
    std::string others;
    for (size_t i = 1; i < u.layers.size(); ++i) others += (others.empty() ? "" : ", ") + u.layers[i];
    row.attrs["shared_with"] = others;
  }
  return row;
}

void report_skipped(const PruneTargets& t, const std::string& pass, PassContext& ctx) {
  for (const auto& s : t.skipped) {
    const std::string note = "not pruned: " + s.layer + " (" + s.op + "): " + s.why;
    ctx.log().info("{}: {}", pass, note);
    if (ctx.stage) ctx.stage->notes.push_back(note);
  }
  if (ctx.stage) ctx.stage->metrics["layers_skipped"] = static_cast<double>(t.skipped.size());
}

void report_nothing_to_prune(const PruneTargets& t, const std::string& pass, PassContext& ctx) {
  const std::string note =
      "nothing to prune: the model has no prunable "
      "Conv/ConvTranspose/Gemm/MatMul weight" +
      std::string(t.skipped.empty() ? "" : " (see the notes on skipped layers)") + "; the model is unchanged";
  ctx.log().warn("{}: {}", pass, note);
  if (ctx.stage) {
    ctx.stage->notes.push_back(note);
    ctx.stage->metrics["layers_pruned"] = 0;
  }
}

void warn_layer_overrides(const std::set<std::string>& ignored, const std::string& pass, const std::string& allowed,
                          PassContext& ctx) {
  for (const auto& o : ignored) {
    const std::string w = "warning: layer rules override '" + o + "', which applies to the whole pass; only " +
                          allowed + " can differ per layer";
    ctx.log().warn("{}: {}", pass, w);
    if (ctx.stage) ctx.stage->notes.push_back(w);
  }
}

}  // namespace edge::pass::prune
