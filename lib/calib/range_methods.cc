#include "calib/range_methods.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "ir/status.h"

namespace edge::calib {

namespace {

// One occupied bin, trimmed to the observed [min, max]: values spread evenly over [a, b]
// (a point mass when a == b). Exact zeros are a point mass of their own (`zero`): they are
// exactly representable, so they carry no rounding error.
struct BinSpan {
  double a, b, c;
  bool zero = false;
};

std::vector<BinSpan> occupied(const Histogram& h) {
  std::vector<BinSpan> out;
  const auto& counts = h.counts();
  for (int i = 0; i < h.bins(); ++i) {
    auto c = static_cast<double>(counts[static_cast<size_t>(i)]);
    if (h.first_index() + i == 0 && h.zeros() > 0) {  // the bin [0, w) holds the zeros
      out.push_back({0.0, 0.0, static_cast<double>(h.zeros()), true});
      c -= static_cast<double>(h.zeros());
    }
    if (c == 0) continue;
    double a = std::max(h.edge(i), h.min()), b = std::min(h.edge(i + 1), h.max());
    out.push_back({a, std::max(a, b), c});
  }
  return out;
}

double cube(double x) { return x * x * x; }

// Share of a bin's values below x.
double share_below(const BinSpan& s, double x) {
  if (s.b == s.a) return s.a < x ? 1.0 : 0.0;
  return std::clamp((x - s.a) / (s.b - s.a), 0.0, 1.0);
}

double share_above(const BinSpan& s, double x) {
  if (s.b == s.a) return s.a > x ? 1.0 : 0.0;
  return std::clamp((s.b - x) / (s.b - s.a), 0.0, 1.0);
}

TensorRange with_zero(const Histogram& h, double lo, double hi) {
  TensorRange r;
  r.min = static_cast<float>(std::min(lo, 0.0));
  r.max = static_cast<float>(std::max(hi, 0.0));
  r.observed_min = static_cast<float>(h.min());
  r.observed_max = static_cast<float>(h.max());
  r.count = h.count();
  r.nonfinite = h.nonfinite();
  r.clipped_fraction = clipped_fraction(h, r.min, r.max);
  return r;
}

// Candidate k of the threshold family (see range_methods.h): T = k * width.
struct Candidate {
  double lo, hi;
};

Candidate candidate(const Histogram& h, int64_t k) {
  double t = std::ldexp(static_cast<double>(k), h.exponent());
  return {std::min(0.0, std::max(-t, h.min())), std::max(0.0, std::min(t, h.max()))};
}

// Thresholds k = 1 .. last(h) reach from one bin to past the largest |value|.
int64_t last_candidate(const Histogram& h) {
  double amax = std::max(-h.min(), h.max());
  return static_cast<int64_t>(std::ceil(std::ldexp(amax, -h.exponent())));
}

// The expected_mse of every candidate in O(1) each: candidate bounds +-T are bin edges, so
// every span lies wholly inside or outside, and a tail's clipping error is
// sum c (x - t)^2 = S2 - 2 t S1 + t^2 S0 over prefix sums of the spans' moments.
TensorRange search_mse(const Histogram& h, const Grid& grid) {
  const std::vector<BinSpan> spans = occupied(h);
  std::vector<double> s0(spans.size() + 1, 0.0), s1 = s0, s2 = s0, starts(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    const BinSpan& s = spans[i];
    s0[i + 1] = s0[i] + s.c;
    s1[i + 1] = s1[i] + s.c * (s.a + s.b) / 2;
    s2[i + 1] = s2[i] + s.c * (s.a * s.a + s.a * s.b + s.b * s.b) / 3;
    starts[i] = s.a;
  }
  auto sum = [](const std::vector<double>& v, size_t from, size_t to) { return v[to] - v[from]; };
  const size_t n = spans.size();
  const double total = s0[n], exact_zeros = static_cast<double>(h.zeros());
  Candidate best{h.min(), h.max()};
  double best_err = std::numeric_limits<double>::infinity();
  for (int64_t k = 1, last = last_candidate(h); k <= last; ++k) {
    const Candidate c = candidate(h, k);
    // Spans [0, below) lie under lo, [above, n) over hi (none when that side is not clipped).
    const size_t below =
        c.lo > h.min() ? static_cast<size_t>(std::lower_bound(starts.begin(), starts.end(), c.lo) - starts.begin()) : 0;
    const size_t above =
        c.hi < h.max() ? static_cast<size_t>(std::lower_bound(starts.begin(), starts.end(), c.hi) - starts.begin()) : n;
    double clip = sum(s2, 0, below) - 2 * c.lo * sum(s1, 0, below) + c.lo * c.lo * sum(s0, 0, below);
    clip += sum(s2, above, n) - 2 * c.hi * sum(s1, above, n) + c.hi * c.hi * sum(s0, above, n);
    const double inside = total - sum(s0, 0, below) - sum(s0, above, n) - exact_zeros;
    const double step = grid.step(c.lo, c.hi);
    const double err = std::max(clip, 0.0) + std::max(inside, 0.0) * step * step / 12.0;
    if (err < best_err) {
      best_err = err;
      best = c;
    }
  }
  return with_zero(h, best.lo, best.hi);
}

// KL(P || Q) for the range of candidate k (see docs/calibration.md): P is the histogram over
// the range's bins with the clipped counts added to the edge bins; Q is the histogram inside
// the range quantized onto the grid: each level's count spread evenly over the bins of that
// level where P is non-zero (at least half a count where P is non-zero). NaN when the grid is
// finer than the bins (no search possible there).
double kl_divergence(const Histogram& h, const Grid& grid, int64_t k) {
  const Candidate c = candidate(h, k);
  const double w = h.width(), step = grid.step(c.lo, c.hi);
  if (!(step >= w)) return std::numeric_limits<double>::quiet_NaN();
  const auto& counts = h.counts();
  const int64_t first = h.first_index();
  // Exact zeros are left out of the bins: zero is a level of every grid, so they keep their
  // place exactly in Q (their term is added at the end).
  const auto zeros = static_cast<double>(h.zeros());
  auto count_at = [&](int64_t g) {
    int64_t i = g - first;
    if (i < 0 || i >= h.bins()) return 0.0;
    return static_cast<double>(counts[static_cast<size_t>(i)]) - (g == 0 ? zeros : 0.0);
  };
  // Global bin indices of the range: clipped sides end at +-T, unclipped ones hold the extremes.
  const int64_t g_lo = h.min() < -std::ldexp(static_cast<double>(k), h.exponent())
                           ? -k
                           : static_cast<int64_t>(std::floor(std::min(h.min(), 0.0) / w));
  const int64_t g_hi = h.max() > std::ldexp(static_cast<double>(k), h.exponent())
                           ? k - 1
                           : static_cast<int64_t>(std::floor(std::max(h.max(), 0.0) / w));
  double below = 0, above = 0, inside = 0;
  for (int i = 0; i < h.bins(); ++i) {
    int64_t g = first + i;
    double n = static_cast<double>(counts[static_cast<size_t>(i)]);
    (g < g_lo ? below : g > g_hi ? above : inside) += n;
  }
  if (inside == 0) return std::numeric_limits<double>::infinity();
  const double total = below + above + inside;
  auto level = [&](int64_t g) {
    double x = (static_cast<double>(g) + 0.5) * w;
    return static_cast<int64_t>(std::llround(grid.unsigned_grid ? (x - c.lo) / step : x / step));
  };
  auto p_at = [&](int64_t g) { return count_at(g) + (g == g_lo ? below : 0) + (g == g_hi ? above : 0); };
  double kl = 0;
  for (int64_t run = g_lo; run <= g_hi;) {
    const int64_t lv = level(run);
    int64_t end = run;
    double q_mass = 0, nonzero = 0;
    for (; end <= g_hi && level(end) == lv; ++end) {
      q_mass += count_at(end);
      nonzero += p_at(end) > 0;
    }
    for (int64_t g = run; g < end; ++g) {
      double p = p_at(g);
      if (p == 0) continue;
      // A level that holds only clipped values gets half a value's worth in Q (finite cost,
      // growing with the clipped count).
      double pn = p / total, qn = std::max(q_mass / nonzero, 0.5) / inside;
      kl += pn * std::log(pn / qn);
    }
    run = end;
  }
  if (zeros > 0) kl += zeros / total * std::log(inside / total);
  return kl;
}

TensorRange search_entropy(const Histogram& h, const Grid& grid) {
  Candidate best{h.min(), h.max()};
  double best_kl = std::numeric_limits<double>::infinity();
  for (int64_t k = 1, n = last_candidate(h); k <= n; ++k) {
    double kl = kl_divergence(h, grid, k);
    if (kl < best_kl) {  // NaN (grid finer than the bins) and infinity never win
      best_kl = kl;
      best = candidate(h, k);
    }
  }
  return with_zero(h, best.lo, best.hi);
}

TensorRange percentile_range(const Histogram& h, double percentile) {
  const double q = percentile / 100.0;
  if (h.min() >= 0) return with_zero(h, 0.0, histogram_quantile(h, q));
  if (h.max() <= 0) return with_zero(h, histogram_quantile(h, 1.0 - q), 0.0);
  return with_zero(h, histogram_quantile(h, 1.0 - q), histogram_quantile(h, q));
}

}  // namespace

double Grid::step(double lo, double hi) const {
  if (unsigned_grid) return (hi - lo) / (std::ldexp(1.0, bits) - 1.0);
  return std::max(-lo, hi) / (std::ldexp(1.0, bits - 1) - 1.0);
}

void check_options(const CalibOptions& o) {
  if (!(o.percentile > 0 && o.percentile <= 100)) {
    fail("calibration: percentile " + std::to_string(o.percentile) + " is outside (0, 100]");
  }
  if (o.bits < 2 || o.bits > 16) fail("calibration: bits " + std::to_string(o.bits) + " is outside [2, 16]");
  if (o.bins < Histogram::kMinBins || o.bins > Histogram::kMaxBins) {
    fail("calibration: " + std::to_string(o.bins) + " histogram bins; expected " + std::to_string(Histogram::kMinBins) +
         " to " + std::to_string(Histogram::kMaxBins));
  }
  // The entropy search needs bins finer than the grid's steps over most of the range, and
  // costs O(bins^2) per tensor.
  if (o.method == Method::kEntropy && o.bins < (2 << o.bits)) {
    fail("calibration: entropy for a " + std::to_string(o.bits) + "-bit grid needs at least " +
         std::to_string(2 << o.bits) + " histogram bins, got " + std::to_string(o.bins));
  }
  if (o.method == Method::kEntropy && o.bins > kMaxEntropyBins) {
    fail("calibration: entropy searches at most " + std::to_string(kMaxEntropyBins) + " histogram bins, got " +
         std::to_string(o.bins));
  }
  if (o.samples < 0) fail("calibration: negative sample count " + std::to_string(o.samples));
  if (o.batch < 1) fail("calibration: batch " + std::to_string(o.batch) + " is below 1");
}

TensorRange choose_range(const Histogram& h, const CalibOptions& o) {
  check_options(o);
  if (h.count() == 0 || !h.has_width()) return with_zero(h, 0.0, 0.0);  // nothing or only zeros
  const Grid grid{o.bits, o.unsigned_grid};
  switch (o.method) {
    case Method::kMinMax:
      return with_zero(h, h.min(), h.max());
    case Method::kPercentile:
      return percentile_range(h, o.percentile);
    case Method::kEntropy:
      return search_entropy(h, grid);
    case Method::kMse:
      return search_mse(h, grid);
  }
  fail_internal("calibration: unknown method");
}

double histogram_quantile(const Histogram& h, double q) {
  if (h.count() == 0) return 0.0;
  if (q <= 0) return h.min();
  if (q >= 1) return h.max();
  const double target = q * static_cast<double>(h.count());
  double cum = 0;
  for (const BinSpan& s : occupied(h)) {
    if (cum + s.c >= target) return s.a + (target - cum) / s.c * (s.b - s.a);
    cum += s.c;
  }
  return h.max();
}

double clipped_fraction(const Histogram& h, double lo, double hi) {
  if (h.count() == 0) return 0.0;
  double out = 0;
  for (const BinSpan& s : occupied(h)) out += s.c * (share_below(s, lo) + share_above(s, hi));
  return out / static_cast<double>(h.count());
}

double expected_mse(const Histogram& h, const Grid& grid, double lo, double hi) {
  if (h.count() == 0) return 0.0;
  const double step = grid.step(lo, hi), noise = step * step / 12.0;
  double err = 0;
  for (const BinSpan& s : occupied(h)) {
    if (s.zero) continue;  // 0 is on the grid
    if (s.b == s.a) {
      double d = s.a < lo ? s.a - lo : s.a > hi ? s.a - hi : 0.0;
      err += s.c * (d != 0 ? d * d : noise);
      continue;
    }
    const double density = s.c / (s.b - s.a);
    if (s.a < lo) {  // integral of (x - lo)^2 over [a, min(b, lo)]
      double e = std::min(s.b, lo);
      err += density * (cube(lo - s.a) - cube(lo - e)) / 3.0;
    }
    if (s.b > hi) {  // integral of (x - hi)^2 over [max(a, hi), b]
      double e = std::max(s.a, hi);
      err += density * (cube(s.b - hi) - cube(e - hi)) / 3.0;
    }
    double in = std::min(s.b, hi) - std::max(s.a, lo);
    if (in > 0) err += density * in * noise;
  }
  return err / static_cast<double>(h.count());
}

}  // namespace edge::calib
