#include "passes/prune/prune_common.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "ir/op_traits.h"
#include "ir/saturating.h"

namespace edge::pass::prune {

namespace {

bool prunable_op(const onnx::NodeProto& n) {
  if (!is_onnx_op(n)) return false;
  const std::string& op = n.op_type();
  return op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "MatMul";
}

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < s.size(); ++i) p *= s[i];
  return p;
}

}  // namespace

std::optional<ReductionLayout> reduction_layout(const onnx::NodeProto& node, int weight_input, const Shape& shape) {
  const std::string& op = node.op_type();
  const size_t r = shape.size();
  ReductionLayout l;
  if (op == "Conv" && r >= 3 && weight_input == 1) {  // [M, C/g, k...]
    l = {shape[0], shape[1], product(shape, 2, r), shape[1], "C_in (axis 1)"};
  } else if (op == "ConvTranspose" && r >= 3 && weight_input == 1) {  // [C, M/g, k...]
    const int64_t group = NodeAttrs(node).get_int("group", 1);
    if (group <= 0 || shape[0] % group != 0) return std::nullopt;
    l = {1, shape[0], product(shape, 1, r), shape[0] / group, "C_in (axis 0)"};
  } else if (op == "Gemm" && r == 2 && weight_input == 1) {
    if (NodeAttrs(node).get_int("transB", 0) != 0) {
      l = {shape[0], shape[1], 1, shape[1], "K (axis 1, transB=1)"};
    } else {
      l = {1, shape[0], shape[1], shape[0], "K (axis 0)"};
    }
  } else if (op == "MatMul" && r >= 1 && weight_input == 1) {  // B [..., K, N] or [K]
    if (r == 1) {
      l = {1, shape[0], 1, shape[0], "K (axis 0)"};
    } else {
      l = {product(shape, 0, r - 2), shape[r - 2], shape[r - 1], shape[r - 2],
           "K (axis " + std::to_string(r - 2) + ")"};
    }
  } else if (op == "MatMul" && r >= 1 && weight_input == 0) {  // A [..., M, K] or [K]
    l = {product(shape, 0, r - 1), shape[r - 1], 1, shape[r - 1], "K (axis " + std::to_string(r - 1) + ", input A)"};
  } else {
    return std::nullopt;
  }
  if (l.outer <= 0 || l.k <= 0 || l.inner <= 0 || l.k_block <= 0) return std::nullopt;
  return l;
}

PruneTargets find_prune_targets(const Model& m, const std::function<LayerPolicy(const onnx::NodeProto&)>& policy) {
  const auto& g = m.graph();
  const GraphIndex index(g);
  const std::set<std::string> fed = fed_inputs(m);
  const std::set<std::string> sub_reads = subgraph_reads(g);
  const auto constant_init = [&](const std::string& name) -> const onnx::TensorProto* {
    return name.empty() || fed.count(name) ? nullptr : index.initializer(name);
  };
  PruneTargets out;
  // Initializer -> (reader node index, weight input) of the layers that would
  // prune it.
  std::map<std::string, std::vector<std::pair<int, int>>> claims;
  std::vector<std::string> order;  // initializers in order of their first claim
  std::set<std::string> blocked;   // initializers some reader forbids pruning
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    if (!prunable_op(n) || n.input_size() < 2) continue;
    int wi = op_traits(n).weight_input;
    if (n.op_type() == "MatMul" && !constant_init(n.input(1)) && constant_init(n.input(0))) wi = 0;
    const std::string& w = n.input(wi);
    const auto skip = [&](const std::string& why) { out.skipped.push_back({n.name(), n.op_type(), why}); };
    if (!constant_init(w)) {
      // A value computed from constants only (a Reshape of an initializer) is a
      // weight that fold-constants turns into an initializer; a MatMul of two
      // activations (attention) has no weight and is not a layer to prune.
      const int p = index.producer(w);
      bool from_constants = p >= 0 && g.node(p).input_size() > 0;
      for (int k = 0; p >= 0 && k < g.node(p).input_size(); ++k) {
        from_constants = from_constants && constant_init(g.node(p).input(k)) != nullptr;
      }
      if (index.initializer(w)) {
        skip("weight '" + w +
             "' is a graph input a caller may override (run "
             "remove-initializer-inputs first)");
      } else if (from_constants || (p >= 0 && g.node(p).op_type() == "Constant")) {
        skip("weight '" + w + "' is computed by a " + g.node(p).op_type() + " node (run fold-constants first)");
      }
      continue;
    }
    const onnx::TensorProto& t = *index.initializer(w);
    if (t.data_type() != onnx::TensorProto::FLOAT) {
      skip("weight '" + w + "' is not float32");
      blocked.insert(w);
      continue;
    }
    const LayerPolicy pol = policy(n);
    int64_t numel = 1;
    for (int64_t d : t.dims()) numel = sat_mul(numel, d);
    if (pol.excluded) {
      skip("excluded by a layer rule");
      blocked.insert(w);
    } else if (numel < pol.min_params) {
      skip(std::to_string(numel) + " params, fewer than min_params=" + std::to_string(pol.min_params));
      blocked.insert(w);
    }
    if (!claims.count(w)) order.push_back(w);
    claims[w].emplace_back(i, wi);
  }
  for (const auto& w : order) {
    const auto& readers = claims[w];
    const auto& first = g.node(readers.front().first);
    std::string why;
    if (blocked.count(w)) {
      why = readers.size() > 1 ? "shared weight '" + w + "' is left alone: another reader may not prune it" : "";
    } else if (sub_reads.count(w)) {
      why = "weight '" + w + "' is also read inside a subgraph";
    } else if (index.is_graph_output(w)) {
      why = "weight '" + w + "' is a graph output";
    } else {
      std::set<int> prunable_readers;
      for (const auto& [ni, wi] : readers) prunable_readers.insert(ni);
      for (int c : index.consumers(w)) {
        if (!prunable_readers.count(c)) {
          why = "weight '" + w + "' is also read by " + describe_node(g.node(c)) + " (not as a layer weight)";
          break;
        }
      }
      for (const auto& [ni, wi] : readers) {
        const auto& rn = g.node(ni);
        for (int k = 0; k < rn.input_size(); ++k) {
          if (k != wi && rn.input(k) == w && why.empty())
            why = "weight '" + w + "' is also another input of " + rn.name();
        }
      }
    }
    if (blocked.count(w)) {
      if (!why.empty()) {
        for (const auto& [ni, wi] : readers) {
          const auto& rn = g.node(ni);
          bool listed = false;
          for (const auto& s : out.skipped) listed = listed || s.layer == rn.name();
          if (!listed) out.skipped.push_back({rn.name(), rn.op_type(), why});
        }
      }
      continue;
    }
    if (!why.empty()) {
      for (const auto& [ni, wi] : readers) out.skipped.push_back({g.node(ni).name(), g.node(ni).op_type(), why});
      continue;
    }
    const onnx::TensorProto& t = *index.initializer(w);
    PruneUnit u;
    u.initializer = w;
    u.op = first.op_type();
    u.shape.assign(t.dims().begin(), t.dims().end());
    u.params = shape_numel(u.shape);
    for (const auto& [ni, wi] : readers) u.layers.push_back(g.node(ni).name());
    u.reduction = reduction_layout(first, readers.front().second, u.shape);
    for (const auto& [ni, wi] : readers) {
      auto l = reduction_layout(g.node(ni), wi, u.shape);
      if (!l || !u.reduction || !(*l == *u.reduction)) u.reduction.reset();
    }
    out.units.push_back(std::move(u));
  }
  return out;
}

MagnitudeCut magnitude_cut(const std::vector<const Tensor*>& weights, int64_t k) {
  std::vector<float> mags;
  for (const Tensor* w : weights) {
    const float* p = w->data<float>();
    for (int64_t e = 0; e < w->numel(); ++e) mags.push_back(rank_magnitude(p[e]));
  }
  MagnitudeCut cut;
  cut.k = std::clamp<int64_t>(k, 0, static_cast<int64_t>(mags.size()));
  if (cut.k == 0) return cut;
  auto kth = mags.begin() + (cut.k - 1);
  std::nth_element(mags.begin(), kth, mags.end());
  cut.threshold = *kth;
  int64_t below = 0;
  for (float a : mags) below += a < cut.threshold;
  cut.ties = cut.k - below;
  return cut;
}

int64_t apply_cut(const std::vector<Tensor*>& weights, const MagnitudeCut& cut) {
  int64_t ties = cut.ties, zeros = 0;
  for (Tensor* w : weights) {
    float* p = w->data<float>();
    for (int64_t e = 0; e < w->numel(); ++e) {
      if (cut.k == 0) {
        zeros += p[e] == 0.f;
        continue;
      }
      const float a = rank_magnitude(p[e]);
      if (a < cut.threshold || (a == cut.threshold && ties > 0)) {
        if (a == cut.threshold) --ties;
        p[e] = 0.f;
      }
      zeros += p[e] == 0.f;
    }
  }
  return zeros;
}

MagnitudeCut prune_to_sparsity(Tensor& w, double sparsity) {
  const auto k = static_cast<int64_t>(std::llround(sparsity * static_cast<double>(w.numel())));
  MagnitudeCut cut = magnitude_cut({&w}, k);
  apply_cut({&w}, cut);
  return cut;
}

int64_t prune_nm(Tensor& w, const ReductionLayout& l, int n, int m) {
  if (m <= 0 || n < 0 || n > m)
    fail("N:M needs 0 <= N <= M and M > 0, got " + std::to_string(n) + ":" + std::to_string(m));
  if (l.k_block % m != 0)
    fail("N:M: the reduction run " + std::to_string(l.k_block) + " is not a multiple of M=" + std::to_string(m));
  if (l.outer * l.k * l.inner != w.numel()) fail_internal("N:M layout does not cover the weight " + w.describe());
  float* p = w.data<float>();
  std::vector<int64_t> idx(static_cast<size_t>(m));
  for (int64_t o = 0; o < l.outer; ++o) {
    for (int64_t k0 = 0; k0 < l.k; k0 += m) {
      for (int64_t in = 0; in < l.inner; ++in) {
        for (int j = 0; j < m; ++j) idx[static_cast<size_t>(j)] = (o * l.k + k0 + j) * l.inner + in;
        // Largest magnitudes first; ties keep the lower k (stable sort on k
        // order).
        std::stable_sort(idx.begin(), idx.end(),
                         [p](int64_t a, int64_t b) { return rank_magnitude(p[a]) > rank_magnitude(p[b]); });
        for (int j = n; j < m; ++j) p[idx[static_cast<size_t>(j)]] = 0.f;
      }
    }
  }
  return count_zeros(w);
}

bool satisfies_nm(const Tensor& w, const ReductionLayout& l, int n, int m) {
  if (m <= 0 || l.k_block % m != 0 || l.outer * l.k * l.inner != w.numel()) return false;
  const float* p = w.data<float>();
  for (int64_t o = 0; o < l.outer; ++o) {
    for (int64_t k0 = 0; k0 < l.k; k0 += m) {
      for (int64_t in = 0; in < l.inner; ++in) {
        int nonzero = 0;
        for (int j = 0; j < m; ++j) nonzero += p[(o * l.k + k0 + j) * l.inner + in] != 0.f;
        if (nonzero > n) return false;
      }
    }
  }
  return true;
}

int64_t count_zeros(const Tensor& w) {
  int64_t z = 0;
  const float* p = w.data<float>();
  for (int64_t e = 0; e < w.numel(); ++e) z += p[e] == 0.f;
  return z;
}

std::vector<double> parse_levels(const std::string& text, const std::string& what) {
  std::vector<double> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    char* stop = nullptr;
    const double v = std::strtod(item.c_str(), &stop);
    if (item.empty() || *stop != '\0' || !std::isfinite(v) || v < 0 || v >= 1) {
      fail(what + ": '" + item +
           "' is not a sparsity in [0, 1) (give a comma-separated list like "
           "0.5,0.7,0.9)");
    }
    out.push_back(v);
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace edge::pass::prune
