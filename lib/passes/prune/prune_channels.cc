// prune-channels: removes a share of the output channels of each prunable Conv/Gemm layer
// (its filters), and the matching input channels of every consumer.
//
//   1. shape inference, then the channel groups (prune_channels_groups.h): producers that
//      must lose the same channels (residual Add, Concat, depthwise chains), what each
//      removal edits downstream, and why a group cannot be pruned;
//   2. per group: ratio and criterion from the layer rules of its producers (the smallest
//      ratio of the group's producers; a rule excluding any node the group edits keeps it
//      whole), round(ratio x channels) channels removed, at least one kept;
//   3. scores (prune_channels_scores.h): filter norms (l1, l2) or the measured output change
//      on the calibration data (sensitivity); the lowest go;
//   4. surgery (prune_channels_apply.cc), shape inference, the checker; a report row per
//      edited layer (channels, weight shape, params and MACs before/after) and a note per
//      group left whole, with the reason.
// A model with nothing to prune is returned unchanged, with a warning saying why.
#include "passes/prune/prune_channels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "ir/op_traits.h"
#include "ir/saturating.h"
#include "passes/prune/prune_channels_groups.h"
#include "passes/prune/prune_channels_scores.h"

namespace edge::pass {

using prune::ChannelAnalysis;

const char* PruneChannels::summary() {
  return "structured pruning: remove output channels of Conv/Gemm (and consumers' input channels) by l1, l2 or "
         "measured sensitivity";
}

std::vector<OptionSpec> PruneChannels::options() {
  return {
      {"ratio", OptionType::kFloat, "0.3", "share of each layer's output channels to remove, in [0, 1)", {}, 0, 1},
      {"criterion",
       OptionType::kString,
       "l1",
       "l1/l2: smallest filter norms go; sensitivity: smallest measured output change on --calib-data",
       {"l1", "l2", "sensitivity"}},
      {"samples", OptionType::kInt, "32", "criterion=sensitivity: calibration samples per measurement", {}, 1, 1e6},
  };
}

PruneChannels::PruneChannels(const PassOptions& o) : opts_(o) {
  if (opts_.info() && opts_.get_float("ratio") >= 1.0) {
    fail("prune-channels: ratio must be in [0, 1) (at least one channel stays), got " + opts_.values().at("ratio"));
  }
}

namespace {

struct LayerStats {
  Shape weight;
  int64_t params = 0, macs = -1;
};

// Weight shape, constant parameters and MACs of node `n`.
LayerStats layer_stats(const Model& m, const GraphIndex& index, int n) {
  const auto& node = m.graph().node(n);
  LayerStats s;
  const int wi = op_traits(node).weight_input;
  for (int i = 0; i < node.input_size(); ++i) {
    const auto* t = index.initializer(node.input(i));
    if (!t) continue;
    int64_t numel = 1;
    for (int64_t d : t->dims()) numel = sat_mul(numel, d);
    if (node.op_type() != "Reshape") s.params += numel;
    if (i == wi || (wi < 0 && i == 1)) s.weight = Shape(t->dims().begin(), t->dims().end());
  }
  s.macs = node_macs(node, index);
  return s;
}

std::string ratio_text(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", r);
  return buf;
}

std::string names_of(const Model& m, const std::vector<int>& nodes) {
  std::string s;
  for (size_t k = 0; k < nodes.size() && k < 3; ++k) s += (k ? ", " : "") + m.graph().node(nodes[k]).name();
  if (nodes.size() > 3) s += " and " + std::to_string(nodes.size() - 3) + " more";
  return s;
}

}  // namespace

void PruneChannels::run(Model& model, PassContext& ctx) {
  const Model original = model;
  model.infer_shapes();
  const ChannelAnalysis a =
      prune::analyze_channels(model, [&ctx](const onnx::NodeProto& n) { return ctx.for_layer(n).excluded; });

  // Ratio and criterion per group, from its producers' layer options.
  std::map<int, std::vector<int64_t>> kept;
  std::map<int, std::vector<double>> scores;
  std::map<int, std::string> criterion;
  std::map<int, int64_t> removing;
  std::vector<std::string> notes;
  std::vector<int> sensitive;
  for (int gi = 0; gi < static_cast<int>(a.groups.size()); ++gi) {
    const auto& grp = a.groups[static_cast<size_t>(gi)];
    if (!grp.blocked.empty()) {
      notes.push_back("not pruned: " + names_of(model, grp.producers) + ": " + grp.blocked);
      continue;
    }
    double ratio = 1.0;
    for (int p : grp.producers) {
      const LayerOptions lo = ctx.for_layer(model.graph().node(p));
      const double r = lo.get_float("ratio");
      if (r >= 1.0) {
        fail("prune-channels: ratio must be in [0, 1) (at least one channel stays), got " + std::to_string(r) +
             " for layer '" + model.graph().node(p).name() + "'");
      }
      ratio = std::min(ratio, r);
      if (!criterion.count(gi)) criterion[gi] = lo.get_string("criterion");
    }
    const int64_t remove = std::min<int64_t>(std::llround(ratio * static_cast<double>(grp.channels)), grp.channels - 1);
    if (remove <= 0) {
      notes.push_back("not pruned: " + names_of(model, grp.producers) + ": ratio " + ratio_text(ratio) +
                      " of " + std::to_string(grp.channels) + " channels removes none");
      continue;
    }
    removing[gi] = remove;
    if (criterion[gi] == "sensitivity") {
      sensitive.push_back(gi);
    } else {
      scores[gi] = prune::norm_scores(model, a, gi, criterion[gi] == "l2");
    }
  }
  if (!sensitive.empty()) {
    if (ctx.calib.empty()) {
      fail("prune-channels: criterion=sensitivity measures on calibration data: give --calib-data (or data.calib)");
    }
    for (auto& [gi, s] : prune::sensitivity_scores(model, a, sensitive, opts_.get_int("samples"), ctx)) {
      scores[gi] = std::move(s);
    }
  }
  for (const auto& [gi, remove] : removing) kept[gi] = prune::channels_to_keep(scores.at(gi), remove);

  if (ctx.stage) {
    ctx.stage->metrics["groups"] = static_cast<double>(a.groups.size());
    ctx.stage->metrics["pruned_groups"] = static_cast<double>(kept.size());
    ctx.stage->notes.insert(ctx.stage->notes.end(), notes.begin(), notes.end());
  }
  for (const auto& n : notes) ctx.log().debug("prune-channels: {}", n);
  if (kept.empty()) {
    model = original;
    const std::string why = a.groups.empty() ? "no Conv/Gemm layer whose output channels can be removed"
                                             : std::to_string(a.groups.size()) + " channel groups, none prunable (" +
                                                   (notes.empty() ? std::string("?") : notes.front()) + ")";
    const std::string w = "no prunable layers: " + why + "; nothing changed";
    ctx.log().warn("prune-channels: {}", w);
    if (ctx.stage) ctx.stage->notes.push_back(w);
    return;
  }

  // Layers whose weights change, with their numbers before the surgery.
  std::map<int, int> role;  // node -> group
  for (const auto& [gi, k] : kept) {
    for (int p : a.groups[static_cast<size_t>(gi)].producers) role[p] = gi;
    for (int p : a.groups[static_cast<size_t>(gi)].members) role.emplace(p, gi);
  }
  std::map<int, LayerStats> before;
  {
    const GraphIndex index(model.graph());
    for (const auto& [n, gi] : role) before[n] = layer_stats(model, index, n);
  }
  prune::apply_kept_channels(model, a, kept);
  model.infer_shapes();
  model.check();

  int64_t channels_before = 0, channels_after = 0;
  for (const auto& [gi, k] : kept) {
    channels_before += a.groups[static_cast<size_t>(gi)].channels;
    channels_after += static_cast<int64_t>(k.size());
  }
  ctx.log().info("prune-channels: {} of {} channel groups pruned, {} -> {} channels", kept.size(), a.groups.size(),
                 channels_before, channels_after);
  if (!ctx.stage) return;
  ctx.stage->metrics["channels_before"] = static_cast<double>(channels_before);
  ctx.stage->metrics["channels_after"] = static_cast<double>(channels_after);
  ctx.stage->columns = {"channels_before", "channels_after", "params_before", "macs_before", "macs_after"};
  const GraphIndex index(model.graph());
  for (const auto& [n, gi] : role) {
    const auto& node = model.graph().node(n);
    const auto& grp = a.groups[static_cast<size_t>(gi)];
    const LayerStats after = layer_stats(model, index, n);
    report::LayerRecord rec;
    rec.name = node.name();
    rec.op = node.op_type();
    rec.params = after.params;
    const bool producer = std::count(grp.producers.begin(), grp.producers.end(), n) > 0;
    if (producer) {
      rec.metrics["channels_before"] = static_cast<double>(grp.channels);
      rec.metrics["channels_after"] = static_cast<double>(kept.at(gi).size());
      rec.attrs["criterion"] = criterion.at(gi);
    }
    rec.metrics["params_before"] = static_cast<double>(before[n].params);
    if (before[n].macs >= 0) rec.metrics["macs_before"] = static_cast<double>(before[n].macs);
    if (after.macs >= 0) rec.metrics["macs_after"] = static_cast<double>(after.macs);
    rec.attrs["group"] = "g" + std::to_string(gi);
    rec.attrs["role"] = producer ? "producer" : "follower";
    if (!before[n].weight.empty()) rec.attrs["weight"] = shape_str(before[n].weight) + " -> " + shape_str(after.weight);
    ctx.stage->layers.push_back(std::move(rec));
  }
}

}  // namespace edge::pass
