// Range methods: turn one tensor's histogram into the range a quantizer maps onto its grid.
// Every range contains 0. The algorithms are described in docs/calibration.md.
//
// The searching methods (entropy, mse) look at one family of candidate ranges, indexed by a
// threshold T on a bin edge (T = k * bin width, k = 1 .. up to the largest |value|):
//   range(T) = [min(0, max(-T, observed_min)), max(0, min(T, observed_max))]
// so non-negative data is clipped at the top only, signed data on whichever side reaches past
// T, and the last candidate is the observed range itself.
#pragma once

#include "calib/calibrate.h"
#include "calib/histogram.h"

namespace edge::calib {

// The integer grid a range will be used for: the step between adjacent levels.
struct Grid {
  int bits = 8;
  bool unsigned_grid = true;  // true: affine, 2^bits levels over [lo, hi]; false: symmetric
  double step(double lo, double hi) const;
};

// The entropy search costs O(bins^2) per tensor: it takes at most this many bins.
constexpr int kMaxEntropyBins = 16384;

// Throws edge::Error naming the option when `o` is out of range (percentile outside (0, 100],
// bits outside [2, 16], bins outside the histogram's limits, or for an entropy search fewer
// than 2^(bits+1) or more than kMaxEntropyBins, negative samples, batch < 1).
void check_options(const CalibOptions& o);

// The chosen range of one tensor, with what was observed and the clipped share.
TensorRange choose_range(const Histogram& h, const CalibOptions& o);

// Histogram estimates (values taken as spread evenly over each bin, bins trimmed to the
// observed min/max):
// the q-quantile, q in [0, 1] (0 -> observed min, 1 -> observed max);
double histogram_quantile(const Histogram& h, double q);
// the share of values below lo or above hi (0 when the histogram is empty).
double clipped_fraction(const Histogram& h, double lo, double hi);
// the expected squared error per value of quantizing onto `grid` with range [lo, hi]:
// uniform rounding noise step^2 / 12 inside, (x - bound)^2 outside.
double expected_mse(const Histogram& h, const Grid& grid, double lo, double hi);

}  // namespace edge::calib
