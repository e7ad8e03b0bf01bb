// prune-nm: N:M structured sparsity along the reduction (input-channel)
// dimension.
//
// Before: Gemm<transB=1>(x, W[N, K])    After: the same Gemm; in W every group
// of M consecutive
//                                       elements along K keeps its N largest
//                                       |w|, the rest are 0
//
// The groups run along the dimension a dot product sums over, for each output
// position:
//   Conv [M, C/g, kh, kw]          along C/g (input channels) at each (out
//   channel, kh, kw) ConvTranspose [C, M/g, k...]   along C (input channels,
//   within a group) at each other index Gemm B                         along K:
//   axis 1 with transB=1, axis 0 without MatMul B [..., K, N]           along K
//   (axis -2); A [..., M, K] (constant A) along axis -1
// This is the layout 2:4 sparse tensor cores and their kernels expect (input
// channels contiguous in groups of 4). A layer whose run of input channels is
// not a multiple of M (e.g. a first convolution with one input channel) is left
// dense and named in the notes. `n` and `m` may differ per layer (layer rules);
// ties keep the element with the lower index.
#include "passes/prune/prune_passes.h"
#include "passes/prune/prune_record.h"
#include "passes/prune/prune_stage.h"

namespace edge::pass {

using namespace prune;

namespace {
void check_nm(int64_t n, int64_t m, const std::string& where) {
  if (m <= 0) fail("prune-nm" + where + ": M must be positive, got m=" + std::to_string(m));
  if (n > m)
    fail("prune-nm" + where + ": N must not exceed M, got n=" + std::to_string(n) + ", m=" + std::to_string(m));
}
}  // namespace

PruneNM::PruneNM(const PassOptions& o) : opts_(o) { check_nm(o.get_int("n"), o.get_int("m"), ""); }

const char* PruneNM::summary() {
  return "N:M structured sparsity (keep N of every M weights) along the "
         "input-channel/reduction dimension of "
         "Conv/ConvTranspose/Gemm/MatMul weights";
}

std::vector<OptionSpec> PruneNM::options() {
  return {
      {"n", OptionType::kInt, "2", "weights kept (non-zero) in each group, 1..m", {}, 1, 64},
      {"m", OptionType::kInt, "4", "group size along the reduction dimension, 1..64", {}, 1, 64},
      {"min_params", OptionType::kInt, "128", "layers with fewer weight elements are never pruned", {}, 0, 1e15},
  };
}

void PruneNM::run(Model& model, PassContext& ctx) {
  PruneTargets targets = targets_for(model, ctx);
  std::map<std::string, std::string> record;
  std::set<std::string> ignored;
  std::vector<report::LayerRecord> rows;
  int64_t params = 0, zeros = 0;
  for (const auto& u : targets.units) {
    const LayerOptions lo = ctx.for_layer(u.layers.front());
    for (const auto& o : lo.overridden) {
      if (o != "n" && o != "m" && o != "min_params") ignored.insert(o);
    }
    const int n = static_cast<int>(lo.get_int("n")), m = static_cast<int>(lo.get_int("m"));
    check_nm(n, m, " (layer " + u.layers.front() + ")");
    if (!u.reduction) {
      targets.skipped.push_back(
          {u.layers.front(), u.op, "its readers group weight '" + u.initializer + "' along different reduction axes"});
      continue;
    }
    if (u.reduction->k_block % m != 0) {
      targets.skipped.push_back({u.layers.front(), u.op,
                                 "reduction dim " + u.reduction->axis + " has " + std::to_string(u.reduction->k_block) +
                                     " elements per group, not a multiple of m=" + std::to_string(m)});
      continue;
    }
    Tensor w = read_weight(model, u.initializer);
    const int64_t z = prune_nm(w, *u.reduction, n, m);
    if (!satisfies_nm(w, *u.reduction, n, m)) fail_internal("prune-nm: " + u.initializer + " breaks the N:M pattern");
    write_weight(model, u.initializer, w);
    record[u.initializer] = nm_method(n, m);
    params += u.params;
    zeros += z;
    report::LayerRecord row = pruned_row(u, w);
    row.attrs["pattern"] = std::to_string(n) + ":" + std::to_string(m);
    row.attrs["axis"] = u.reduction->axis;
    rows.push_back(std::move(row));
  }
  warn_layer_overrides(ignored, "prune-nm", "n, m and min_params", ctx);
  report_skipped(targets, "prune-nm", ctx);
  if (rows.empty()) return report_nothing_to_prune(targets, "prune-nm", ctx);
  record_pruned(model, record);
  const double total = static_cast<double>(zeros) / static_cast<double>(params);
  if (ctx.stage) {
    auto& st = *ctx.stage;
    st.layers = std::move(rows);
    st.columns = {"sparsity", "zeros", "pattern", "axis", "initializer", "shared_with"};
    st.metrics["sparsity"] = total;
    st.metrics["prunable_params"] = static_cast<double>(params);
    st.metrics["zeros"] = static_cast<double>(zeros);
    st.metrics["layers_pruned"] = static_cast<double>(record.size());
  }
  ctx.log().info("prune-nm: {} layers, {} of {} weights zero ({:.2f}%)", record.size(), zeros, params, 100.0 * total);
}

}  // namespace edge::pass
