// Gradual magnitude pruning during training: a weight's share of zeros rises from its
// starting share to a final one along the cubic schedule of Zhu & Gupta ("To prune, or not
// to prune", 2017),
//   zeros(t) = final - (final - start) * (1 - t / end)^3   for 0 <= t <= end, final after,
// re-chosen by magnitude every `every` steps, so the network adapts while it loses weights
// instead of losing them all at once before fine-tuning.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/tensor.h"

namespace edge::train {

struct GradualTarget {
  size_t param = 0;         // index into TrainGraph::params()
  int64_t start_zeros = 0;  // zeros at step 0
  int64_t final_zeros = 0;  // zeros from `end_step` on
};

class GradualMaskSchedule {
 public:
  // `end_step` >= 1: the step from which every target holds its final zero count.
  // `every` >= 1: steps between two mask updates (the last update is at `end_step`).
  GradualMaskSchedule(std::vector<GradualTarget> targets, int64_t end_step, int64_t every);

  const std::vector<GradualTarget>& targets() const { return targets_; }
  int64_t end_step() const { return end_step_; }
  // Whether the masks are re-chosen before update `step` (0-based).
  bool due(int64_t step) const;
  // The zero count of `t` at update `step`.
  int64_t zeros_at(const GradualTarget& t, int64_t step) const;

 private:
  std::vector<GradualTarget> targets_;
  int64_t end_step_ = 1;
  int64_t every_ = 1;
};

// 1 for the weights of `w` (float32) kept, 0 for the `zeros` of smallest magnitude (ties:
// the later element is dropped first, so the choice is deterministic).
std::vector<uint8_t> magnitude_mask(const Tensor& w, int64_t zeros);

}  // namespace edge::train
