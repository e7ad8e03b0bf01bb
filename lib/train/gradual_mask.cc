#include "train/gradual_mask.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ir/status.h"

namespace edge::train {

GradualMaskSchedule::GradualMaskSchedule(std::vector<GradualTarget> targets, int64_t end_step, int64_t every)
    : targets_(std::move(targets)), end_step_(end_step), every_(every) {
  if (end_step_ < 1) fail_internal("gradual pruning: end step " + std::to_string(end_step_) + " < 1");
  if (every_ < 1) fail_internal("gradual pruning: update interval " + std::to_string(every_) + " < 1");
  for (const auto& t : targets_) {
    if (t.start_zeros < 0 || t.final_zeros < t.start_zeros) {
      fail_internal("gradual pruning: zero counts " + std::to_string(t.start_zeros) + " -> " +
                    std::to_string(t.final_zeros));
    }
  }
}

bool GradualMaskSchedule::due(int64_t step) const {
  if (step > end_step_) return false;
  return step % every_ == 0 || step == end_step_;
}

int64_t GradualMaskSchedule::zeros_at(const GradualTarget& t, int64_t step) const {
  if (step >= end_step_) return t.final_zeros;
  const double left = 1.0 - static_cast<double>(std::max<int64_t>(step, 0)) / static_cast<double>(end_step_);
  const double span = static_cast<double>(t.final_zeros - t.start_zeros);
  const auto zeros = t.final_zeros - static_cast<int64_t>(std::llround(span * left * left * left));
  return std::clamp(zeros, t.start_zeros, t.final_zeros);
}

std::vector<uint8_t> magnitude_mask(const Tensor& w, int64_t zeros) {
  const int64_t n = w.numel();
  std::vector<uint8_t> mask(static_cast<size_t>(n), 1);
  zeros = std::clamp<int64_t>(zeros, 0, n);
  if (zeros == 0) return mask;
  const float* p = w.data<float>();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  // Smallest magnitude first; among equals the later element first.
  const auto before = [p](int64_t a, int64_t b) {
    const float ma = std::fabs(p[a]), mb = std::fabs(p[b]);
    return ma < mb || (ma == mb && a > b);
  };
  std::nth_element(order.begin(), order.begin() + (zeros - 1), order.end(), before);
  for (int64_t i = 0; i < zeros; ++i) mask[static_cast<size_t>(order[static_cast<size_t>(i)])] = 0;
  return mask;
}

}  // namespace edge::train
