// Histogram: a fixed number of equal bins over the values of one tensor, grown without
// keeping any value (memory is O(bins) whatever the number of samples).
//
// Layout: bin edges are multiples of a power-of-two width w = 2^e, so every value maps to the
// global bin index floor(x / w) exactly, and 0 is always an edge. The histogram holds a
// window of `bins` consecutive global indices starting at `first`; the window always covers
// both 0 and every value seen. When a new batch does not fit, the window first moves (the
// counts keep their bins), and when the span is too wide the width doubles (e grows by k:
// global bin j goes to j >> k, i.e. 2^k old bins merge into one new bin). No bin is ever split,
// so counts are conserved exactly, and adding data in any order or merging histograms gives
// the same bins as adding everything at once: e is always the smallest exponent whose window
// fits [min(0, min), max(0, max)], and first = floor(min(0, min) / w).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edge::calib {

class Histogram {
 public:
  static constexpr int kMinBins = 16;
  static constexpr int kMaxBins = 1 << 20;

  // Throws edge::Error when bins is outside [kMinBins, kMaxBins].
  explicit Histogram(int bins = 2048);

  // Adds n values; NaN and infinities are counted in nonfinite() and otherwise ignored.
  void add(const float* values, int64_t n);
  // Adds the counts of `other` (same number of bins, else edge::Error).
  void merge(const Histogram& other);

  int bins() const { return static_cast<int>(counts_.size()); }
  int64_t count() const { return count_; }  // finite values added
  // Values exactly 0 (+0 or -0), counted in the bin holding 0 too. Zero is exact on every
  // grid a range containing 0 is used for, so the methods treat these apart.
  int64_t zeros() const { return zeros_; }
  int64_t nonfinite() const { return nonfinite_; }
  // Exact observed extremes of the finite values (0 when none were added).
  double min() const { return min_; }
  double max() const { return max_; }
  // Bin width: 0 while every value seen is 0 (the bins have no scale yet; all counts are then
  // in the bin holding 0).
  double width() const;
  int exponent() const { return exp_; }  // width = 2^exponent() once has_width()
  bool has_width() const { return has_width_; }
  int64_t first_index() const { return first_; }  // global index of bin 0
  // Lower edge of window bin i (i in [0, bins()]); bin i is [edge(i), edge(i+1)).
  double edge(int i) const;
  const std::vector<int64_t>& counts() const { return counts_; }
  // Bytes this histogram holds (for the bounded-memory check): constant for a given bins.
  size_t memory_bytes() const { return sizeof(*this) + counts_.capacity() * sizeof(int64_t); }

 private:
  // True when window bins of width 2^e starting at floor(lo / 2^e) cover [lo, hi].
  bool fits(int e, double lo, double hi) const;
  // Makes the window cover [min(0, lo), max(0, hi)] (lo <= hi), moving and merging bins.
  void cover(double lo, double hi);
  // Moves the counts into a window of width 2^e starting at global index `first` (e >= exp_).
  void relayout(int e, int64_t first);

  std::vector<int64_t> counts_;
  int64_t first_ = 0;
  int exp_ = 0;
  bool has_width_ = false;
  int64_t count_ = 0, nonfinite_ = 0, zeros_ = 0;
  double min_ = 0, max_ = 0;
};

}  // namespace edge::calib
