#include "calib/histogram.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "ir/status.h"

namespace edge::calib {

namespace {

// Global bin index of x for bins of width 2^e (exact: scaling a float by a power of two in
// double precision does not round).
double global_index(double x, int e) { return std::floor(std::ldexp(x, -e)); }

int64_t shift_floor(int64_t j, int k) {
  if (k <= 0) return j;
  if (k >= 63) return j < 0 ? -1 : 0;
  return j >> k;  // arithmetic shift: floor division by 2^k, also for negative j (C++20)
}

}  // namespace

Histogram::Histogram(int bins) {
  if (bins < kMinBins || bins > kMaxBins) {
    fail("calibration histogram: " + std::to_string(bins) + " bins requested; expected " + std::to_string(kMinBins) +
         " to " + std::to_string(kMaxBins));
  }
  counts_.assign(static_cast<size_t>(bins), 0);
}

double Histogram::width() const { return has_width_ ? std::ldexp(1.0, exp_) : 0.0; }

double Histogram::edge(int i) const { return has_width_ ? std::ldexp(static_cast<double>(first_ + i), exp_) : 0.0; }

bool Histogram::fits(int e, double lo, double hi) const {
  return global_index(hi, e) - global_index(lo, e) + 1 <= static_cast<double>(counts_.size());
}

void Histogram::cover(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  if (lo == 0 && hi == 0) return;  // only zeros so far: they sit in global bin 0
  int e = exp_;
  if (!has_width_) {
    // Too fine to fit (the span is at least 2 * bins bins): step up to the first that fits.
    double amax = std::max(-lo, hi);
    e = std::ilogb(amax) - std::ilogb(static_cast<double>(counts_.size())) - 2;
  }
  while (!fits(e, lo, hi)) ++e;
  auto first = static_cast<int64_t>(global_index(lo, e));
  if (has_width_ && e == exp_ && first == first_) return;
  relayout(e, first);
}

void Histogram::relayout(int e, int64_t first) {
  const int k = has_width_ ? e - exp_ : 0;  // without a width every count is in global bin 0
  std::vector<int64_t> moved(counts_.size(), 0);
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    int64_t j = shift_floor(first_ + static_cast<int64_t>(i), k) - first;
    if (j < 0 || j >= static_cast<int64_t>(moved.size())) {
      fail_internal("calibration histogram: re-binning left bin " + std::to_string(j) + " outside the window");
    }
    moved[static_cast<size_t>(j)] += counts_[i];
  }
  counts_.swap(moved);
  exp_ = e;
  first_ = first;
  has_width_ = true;
}

void Histogram::add(const float* values, int64_t n) {
  float lo = 0, hi = 0;
  int64_t finite = 0, zeros = 0;
  for (int64_t i = 0; i < n; ++i) {
    float x = values[i];
    if (!std::isfinite(x)) continue;
    zeros += x == 0.f;
    if (finite++ == 0) {
      lo = hi = x;
    } else {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  }
  nonfinite_ += n - finite;
  if (finite == 0) return;
  double new_min = count_ ? std::min<double>(min_, lo) : lo;
  double new_max = count_ ? std::max<double>(max_, hi) : hi;
  cover(new_min, new_max);
  min_ = new_min;
  max_ = new_max;
  count_ += finite;
  zeros_ += zeros;
  if (!has_width_) {  // every value so far is 0
    counts_[static_cast<size_t>(-first_)] += finite;
    return;
  }
  const double inv = std::ldexp(1.0, -exp_);
  int64_t* c = counts_.data() - first_;  // indexed by global bin
  c[0] += zeros;                         // counted at once: ReLU outputs are often half zeros
  for (int64_t i = 0; i < n; ++i) {
    float x = values[i];
    if (x == 0.f || !std::isfinite(x)) continue;
    // floor without a libm call: truncate, then step down for negative non-integers.
    double t = static_cast<double>(x) * inv;
    auto g = static_cast<int64_t>(t);
    g -= static_cast<double>(g) > t;
    ++c[g];
  }
}

void Histogram::merge(const Histogram& other) {
  if (other.counts_.size() != counts_.size()) {
    fail_internal("calibration histogram: merging " + std::to_string(other.counts_.size()) + " bins into " +
                  std::to_string(counts_.size()));
  }
  nonfinite_ += other.nonfinite_;
  if (other.count_ == 0) return;
  double new_min = count_ ? std::min(min_, other.min_) : other.min_;
  double new_max = count_ ? std::max(max_, other.max_) : other.max_;
  cover(new_min, new_max);
  // The union needs at least the other's exponent (it is the smallest that fits a subset).
  const int k = other.has_width_ ? exp_ - other.exp_ : 0;
  for (size_t i = 0; i < other.counts_.size(); ++i) {
    if (other.counts_[i] == 0) continue;
    int64_t j = shift_floor(other.first_ + static_cast<int64_t>(i), k) - first_;
    if (j < 0 || j >= static_cast<int64_t>(counts_.size())) {
      fail_internal("calibration histogram: merged bin " + std::to_string(j) + " outside the window");
    }
    counts_[static_cast<size_t>(j)] += other.counts_[i];
  }
  min_ = new_min;
  max_ = new_max;
  count_ += other.count_;
  zeros_ += other.zeros_;
}

}  // namespace edge::calib
