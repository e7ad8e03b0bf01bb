// Weight selection shared by prune-magnitude, prune-nm and sensitivity: which
// initializers may be pruned (PruneUnit), how their elements group along the
// reduction dimension (for N:M), and the pure selection rules (magnitude cut,
// N:M pattern) that unit tests check.
//
// A weight is prunable when it is a float32 initializer a caller cannot
// override (not a fed graph input: IR >= 4 lists overridable defaults as
// inputs; IR < 4 lists every initializer and means constants, see fed_inputs),
// read as the weight of a Conv, ConvTranspose, Gemm (B) or MatMul (B, or A when
// only A is constant) node of the main graph, by no other node and no subgraph,
// by no excluded layer, and holding at least `min_params` elements. Biases,
// norms and every other initializer are never pruned.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"

namespace edge::pass::prune {

// A weight viewed as [outer, k, inner]: k is the reduction (input-channel)
// dimension that N:M groups run along, for each (outer, inner) position.
// `k_block` is the run of k inside which a group must stay (a convolution
// group's input channels; k when there are none).
struct ReductionLayout {
  int64_t outer = 1, k = 1, inner = 1, k_block = 1;
  std::string axis;  // "C_in (axis 1)", "K (axis 0)", ...
  bool operator==(const ReductionLayout& o) const {
    return outer == o.outer && k == o.k && inner == o.inner && k_block == o.k_block;
  }
};

// One prunable weight initializer and the layers reading it as their weight.
struct PruneUnit {
  std::string initializer;
  std::vector<std::string> layers;  // reader node names, graph order; layers[0] names the report row
  std::string op;                   // op type of layers[0]
  Shape shape;
  int64_t params = 0;
  std::optional<ReductionLayout> reduction;  // nullopt when readers disagree
};

struct SkippedLayer {
  std::string layer, op, why;
};

struct PruneTargets {
  std::vector<PruneUnit> units;       // graph order of their first reader
  std::vector<SkippedLayer> skipped;  // weighted layers left alone, with the reason
};

// Per-layer decisions the pass takes from its context (layer rules).
struct LayerPolicy {
  bool excluded = false;
  int64_t min_params = 0;
};

// The prunable weights of `m`'s main graph. `policy` is asked once per weighted
// node.
PruneTargets find_prune_targets(const Model& m, const std::function<LayerPolicy(const onnx::NodeProto&)>& policy);

// The reduction layout of `node`'s weight (input `weight_input`) of shape
// `shape`; nullopt when the op or rank does not fit.
std::optional<ReductionLayout> reduction_layout(const onnx::NodeProto& node, int weight_input, const Shape& shape);

// Magnitude of a weight for ranking: |w|, NaN ranked above everything (never
// pruned first).
inline float rank_magnitude(float w) {
  const float a = w < 0 ? -w : w;
  return a == a ? a : std::numeric_limits<float>::infinity();
}

// The cut that zeros exactly `k` of the given weights (all tensors ranked
// together): every element with magnitude < threshold, then `ties` elements
// equal to it, first in tensor then element order. k is clamped to the element
// count.
struct MagnitudeCut {
  float threshold = 0;
  int64_t ties = 0;
  int64_t k = 0;
};
MagnitudeCut magnitude_cut(const std::vector<const Tensor*>& weights, int64_t k);
// Applies `cut` to the weights (same list, same order). Returns the zeros it
// set or kept.
int64_t apply_cut(const std::vector<Tensor*>& weights, const MagnitudeCut& cut);
// One tensor to `sparsity` (k = round(sparsity * numel)). Returns the cut used.
MagnitudeCut prune_to_sparsity(Tensor& w, double sparsity);

// N:M along the reduction dim: in every group of m consecutive k positions (for
// each outer and inner position) keep the n largest magnitudes (ties: the lower
// k), zero the rest. Needs k_block % m == 0. Returns the number of zeros in the
// result.
int64_t prune_nm(Tensor& w, const ReductionLayout& layout, int n, int m);
// True when every group of m holds at most n non-zeros (the invariant prune_nm
// makes).
bool satisfies_nm(const Tensor& w, const ReductionLayout& layout, int n, int m);

int64_t count_zeros(const Tensor& w);

// "0.5,0.7,0.9" -> {0.5, 0.7, 0.9}: each in [0, 1), sorted, duplicates removed.
// Throws Error naming `what` on a bad list.
std::vector<double> parse_levels(const std::string& text, const std::string& what);

}  // namespace edge::pass::prune
