// Calibration histograms and range methods on synthetic distributions with known answers.
// (Calibration of real models: test_calib_model.cc; the cache: test_calib_cache.cc.)
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "calib/histogram.h"
#include "calib/range_methods.h"

using namespace edge;
using namespace edge::calib;

namespace {

std::vector<float> uniform(size_t n, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// N(0, 1) with `outliers` values at +40 and as many at -30.
std::vector<float> gaussian_with_outliers(size_t n, size_t outliers, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  for (size_t i = 0; i < outliers; ++i) {
    v[i * 7] = 40.f;
    v[i * 7 + 3] = -30.f;
  }
  return v;
}

Histogram histogram_of(const std::vector<float>& v, int bins = 2048) {
  Histogram h(bins);
  h.add(v.data(), static_cast<int64_t>(v.size()));
  return h;
}

CalibOptions with_method(Method m) {
  CalibOptions o;
  o.method = m;
  return o;
}

// The squared error per value of fake-quantizing `v` onto the affine 8-bit grid over [lo, hi].
double empirical_mse(const std::vector<float>& v, double lo, double hi) {
  const double step = (hi - lo) / 255.0;
  double err = 0;
  for (float x : v) {
    double q = lo + std::round((std::clamp<double>(x, lo, hi) - lo) / step) * step;
    err += (x - q) * (x - q);
  }
  return err / static_cast<double>(v.size());
}

}  // namespace

TEST_CASE("histogram: growing the range re-bins exactly (counts conserved, same bins as one pass)", "[calib]") {
  // Batches whose range grows on both sides, with a zeros-only batch first.
  std::vector<std::vector<float>> batches = {std::vector<float>(100, 0.f),  uniform(5000, 0.f, 0.01f, 1),
                                             uniform(5000, -0.5f, 0.2f, 2), uniform(5000, -3.f, 70.f, 3),
                                             uniform(5000, -1e4f, 1.f, 4),  {0.25f, -0.f, 1e-30f}};
  std::vector<float> all;
  Histogram grown(256);
  for (const auto& b : batches) {
    grown.add(b.data(), static_cast<int64_t>(b.size()));
    all.insert(all.end(), b.begin(), b.end());
    int64_t sum = 0;
    for (int64_t c : grown.counts()) sum += c;
    REQUIRE(sum == grown.count());  // conserved after every re-binning
  }
  REQUIRE(grown.count() == static_cast<int64_t>(all.size()));
  Histogram once = histogram_of(all, 256);
  REQUIRE(grown.exponent() == once.exponent());
  REQUIRE(grown.first_index() == once.first_index());
  REQUIRE(grown.counts() == once.counts());
  REQUIRE(grown.min() == *std::min_element(all.begin(), all.end()));  // exact extremes, whatever the bins
  REQUIRE(grown.max() == *std::max_element(all.begin(), all.end()));
  // Every value lies in its bin: [edge(i), edge(i+1)).
  for (float x : {all[7], all[5123], all[19000]}) {
    auto i = static_cast<int>(std::floor(x / once.width()) - static_cast<double>(once.first_index()));
    REQUIRE(once.edge(i) <= x);
    REQUIRE(x < once.edge(i + 1));
    REQUIRE(once.counts()[static_cast<size_t>(i)] > 0);
  }
  // 0 is an edge and the window holds it.
  REQUIRE(once.first_index() <= 0);
  REQUIRE(once.first_index() + once.bins() > 0);

  // Merging two halves gives the same histogram as well.
  size_t half = all.size() / 2;
  Histogram a(256), b(256);
  a.add(all.data(), static_cast<int64_t>(half));
  b.add(all.data() + half, static_cast<int64_t>(all.size() - half));
  a.merge(b);
  REQUIRE(a.counts() == once.counts());
  REQUIRE(a.exponent() == once.exponent());
  REQUIRE(a.min() == once.min());
  REQUIRE(a.max() == once.max());
  REQUIRE(a.count() == once.count());
}

TEST_CASE("histogram: non-finite values are counted apart, zeros only, bin limits", "[calib]") {
  std::vector<float> v = {1.f, NAN, INFINITY, -INFINITY, -2.f};
  Histogram h = histogram_of(v, 64);
  REQUIRE(h.count() == 2);
  REQUIRE(h.nonfinite() == 3);
  REQUIRE(h.min() == -2.0);
  REQUIRE(h.max() == 1.0);
  TensorRange r = choose_range(h, with_method(Method::kMinMax));
  REQUIRE(r.nonfinite == 3);
  REQUIRE(r.min == -2.f);

  Histogram zeros = histogram_of(std::vector<float>(10, 0.f), 64);
  REQUIRE_FALSE(zeros.has_width());
  for (Method m : {Method::kMinMax, Method::kPercentile, Method::kEntropy, Method::kMse}) {
    CalibOptions o = with_method(m);
    o.bins = 2048;
    TensorRange z = choose_range(zeros, o);
    REQUIRE(z.min == 0.f);
    REQUIRE(z.max == 0.f);
    REQUIRE(z.count == 10);
  }
  REQUIRE_THROWS_WITH(Histogram(8), Catch::Contains("8 bins"));
  REQUIRE_THROWS(Histogram(Histogram::kMaxBins + 1));
}

TEST_CASE("histogram: memory is O(bins), independent of the number of values", "[calib]") {
  Histogram h(2048);
  std::vector<float> batch = uniform(784, -1.f, 1.f, 5);
  size_t after_100 = 0;
  for (int i = 1; i <= 1000; ++i) {
    for (auto& x : batch) x *= 1.001f;  // the range keeps growing: re-binning every few batches
    h.add(batch.data(), static_cast<int64_t>(batch.size()));
    if (i == 100) after_100 = h.memory_bytes();
  }
  REQUIRE(h.count() == 784000);
  REQUIRE(h.memory_bytes() == after_100);
  REQUIRE(h.memory_bytes() < sizeof(Histogram) + 2048 * sizeof(int64_t) + 64);
}

TEST_CASE("quantiles from the histogram match the sorted data", "[calib]") {
  std::vector<float> v = gaussian_with_outliers(200000, 0, 11);
  Histogram h = histogram_of(v);
  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (double q : {0.0001, 0.01, 0.25, 0.5, 0.9, 0.999, 0.9999}) {
    INFO("q = " << q);
    // Between the neighbours of the exact order statistic, give or take a bin.
    auto k = static_cast<size_t>(q * static_cast<double>(sorted.size()));
    double est = histogram_quantile(h, q);
    REQUIRE(est >= sorted[k - 3] - h.width());
    REQUIRE(est <= sorted[k + 3] + h.width());
    if (q >= 0.01 && q <= 0.99) REQUIRE(est == Approx(sorted[k]).margin(h.width()));
  }
  REQUIRE(histogram_quantile(h, 0.0) == sorted.front());
  REQUIRE(histogram_quantile(h, 1.0) == sorted.back());
  // The clipped share of [q01, q99] is about 2 %.
  REQUIRE(clipped_fraction(h, histogram_quantile(h, 0.01), histogram_quantile(h, 0.99)) == Approx(0.02).margin(1e-4));
  REQUIRE(clipped_fraction(h, h.min(), h.max()) == 0.0);
}

TEST_CASE("ranges of uniform 0..1: nothing to clip", "[calib]") {
  std::vector<float> v = uniform(500000, 0.f, 1.f, 21);
  Histogram h = histogram_of(v);
  const float vmax = *std::max_element(v.begin(), v.end());
  TensorRange mm = choose_range(h, with_method(Method::kMinMax));
  REQUIRE(mm.min == 0.f);  // non-negative data: the range starts at 0 (which it must contain)
  REQUIRE(mm.max == vmax);
  REQUIRE(mm.clipped_fraction == 0.0);
  REQUIRE(mm.count == 500000);

  CalibOptions po = with_method(Method::kPercentile);
  po.percentile = 99.0;  // upper tail only for non-negative data
  TensorRange pc = choose_range(h, po);
  REQUIRE(pc.min == 0.f);
  REQUIRE(pc.max == Approx(0.99).margin(2e-3));
  REQUIRE(pc.clipped_fraction == Approx(0.01).margin(1e-3));

  // MSE: the optimum of T^3 / (12 * 255^2) + (1 - T)^3 / 3 is at T = 0.998.
  TensorRange mse = choose_range(h, with_method(Method::kMse));
  REQUIRE(mse.min == 0.f);
  REQUIRE(mse.max == Approx(0.998).margin(2e-3));
  TensorRange kl = choose_range(h, with_method(Method::kEntropy));
  REQUIRE(kl.min == 0.f);
  REQUIRE(kl.max > 0.95f);
  REQUIRE(kl.max <= vmax);
}

TEST_CASE("ranges of a gaussian with outliers: percentile, entropy and mse clip them, minmax does not", "[calib]") {
  // One value at +40 and one at -30 among a million N(0, 1) values: rare enough that clipping
  // them costs less squared error than the coarser steps of a grid stretched over them.
  const size_t n = 1000000;
  std::vector<float> v = gaussian_with_outliers(n, 1, 31);
  Histogram h = histogram_of(v);
  TensorRange mm = choose_range(h, with_method(Method::kMinMax));
  REQUIRE(mm.min == -30.f);
  REQUIRE(mm.max == 40.f);
  REQUIRE(mm.clipped_fraction == 0.0);

  CalibOptions po = with_method(Method::kPercentile);
  po.percentile = 99.99;  // each tail for signed data: N(0,1) quantile 0.9999 = 3.719
  TensorRange pc = choose_range(h, po);
  REQUIRE(pc.max == Approx(3.719).margin(0.15));
  REQUIRE(pc.min == Approx(-3.719).margin(0.15));
  REQUIRE(pc.clipped_fraction == Approx(2e-4).margin(2e-5));

  for (Method m : {Method::kEntropy, Method::kMse}) {
    INFO(method_name(m));
    TensorRange r = choose_range(h, with_method(m));
    REQUIRE(r.max > 3.f);
    REQUIRE(r.max < 20.f);
    REQUIRE(r.min < -3.f);
    REQUIRE(r.min > -20.f);
    REQUIRE(r.clipped_fraction >= 2.0 / n);  // at least the outliers
    REQUIRE(r.clipped_fraction < 1e-3);
    REQUIRE(r.observed_max == 40.f);
  }
  // The mse search does minimize: the chosen range beats every threshold on a coarse scan
  // by the histogram's estimate, and minmax and percentile on the data itself.
  Grid grid;
  TensorRange best = choose_range(h, with_method(Method::kMse));
  // d/dT of (2T/255)^2/12 + ((40-T)^2 + (30-T)^2)/1e6 vanishes at T = 9.9.
  REQUIRE(best.max == Approx(9.9).margin(0.5));
  double best_est = expected_mse(h, grid, best.min, best.max);
  for (double t = 0.5; t < 41; t += 0.25) {
    REQUIRE(best_est <= expected_mse(h, grid, std::max(-t, -30.0), std::min(t, 40.0)) + 1e-12);
  }
  REQUIRE(empirical_mse(v, best.min, best.max) < empirical_mse(v, mm.min, mm.max) / 2);
  REQUIRE(empirical_mse(v, best.min, best.max) < empirical_mse(v, pc.min, pc.max));
  // The histogram's estimate is the error that quantizing the data really gives.
  for (const TensorRange* r : {&best, &mm, &pc}) {
    REQUIRE(expected_mse(h, grid, r->min, r->max) == Approx(empirical_mse(v, r->min, r->max)).epsilon(0.05));
  }
}

TEST_CASE("the mse search finds the threshold that a brute-force scan of expected_mse finds", "[calib]") {
  // Signed, rectified (many exact zeros), one-sided negative and skewed data.
  std::vector<std::vector<float>> sets = {gaussian_with_outliers(50000, 3, 61), gaussian_with_outliers(50000, 0, 62),
                                          uniform(50000, -5.f, 0.5f, 63), uniform(50000, -0.2f, 9.f, 64)};
  for (auto& x : sets[1]) x = std::max(x, 0.f);
  for (const auto& v : sets) {
    Histogram h = histogram_of(v);
    Grid grid;
    double brute = expected_mse(h, grid, h.min(), h.max());
    const double amax = std::max(-h.min(), h.max());
    for (int64_t k = 1; static_cast<double>(k - 1) * h.width() < amax; ++k) {
      double t = static_cast<double>(k) * h.width();
      brute = std::min(
          brute, expected_mse(h, grid, std::min(0.0, std::max(-t, h.min())), std::max(0.0, std::min(t, h.max()))));
    }
    TensorRange r = choose_range(h, with_method(Method::kMse));
    REQUIRE(expected_mse(h, grid, r.min, r.max) == Approx(brute).epsilon(1e-9));
  }
}

TEST_CASE("every range contains 0, percentile of the lower tail for non-positive data", "[calib]") {
  std::vector<float> pos = uniform(10000, 3.f, 4.f, 41), neg = uniform(10000, -4.f, -3.f, 42);
  for (Method m : {Method::kMinMax, Method::kPercentile, Method::kEntropy, Method::kMse}) {
    INFO(method_name(m));
    TensorRange p = choose_range(histogram_of(pos), with_method(m));
    REQUIRE(p.min == 0.f);
    REQUIRE(p.max >= 3.f);
    TensorRange n = choose_range(histogram_of(neg), with_method(m));
    REQUIRE(n.max == 0.f);
    REQUIRE(n.min <= -3.f);
  }
  CalibOptions po = with_method(Method::kPercentile);
  po.percentile = 90;
  REQUIRE(choose_range(histogram_of(neg), po).min == Approx(-3.9).margin(0.01));
  REQUIRE(choose_range(histogram_of(neg), po).clipped_fraction == Approx(0.1).margin(0.01));
}

TEST_CASE("the grid shapes the searches: a symmetric signed grid has coarser steps", "[calib]") {
  Grid affine{8, true}, symmetric{8, false};
  REQUIRE(affine.step(-1, 3) == Approx(4.0 / 255));
  REQUIRE(symmetric.step(-1, 3) == Approx(3.0 / 127));
  REQUIRE(Grid{4, true}.step(0, 15) == Approx(1.0));
  // Fewer levels make clipping pay more: 4-bit mse clips a gaussian harder than 8-bit.
  Histogram h = histogram_of(gaussian_with_outliers(100000, 0, 51));
  CalibOptions o8 = with_method(Method::kMse), o4 = o8;
  o4.bits = 4;
  REQUIRE(choose_range(h, o4).max < choose_range(h, o8).max - 0.5f);
}

TEST_CASE("calibration options are checked", "[calib]") {
  CalibOptions o = with_method(Method::kPercentile);
  for (double p : {0.0, -1.0, 100.5, std::nan("")}) {
    o.percentile = p;
    REQUIRE_THROWS_WITH(check_options(o), Catch::Contains("percentile"));
  }
  o.percentile = 100;
  REQUIRE_NOTHROW(check_options(o));
  o = with_method(Method::kEntropy);
  o.bins = 256;
  REQUIRE_THROWS_WITH(check_options(o), Catch::Contains("at least 512 histogram bins"));
  o.bins = kMaxEntropyBins + 1;
  REQUIRE_THROWS_WITH(check_options(o), Catch::Contains("at most 16384 histogram bins"));
  o.method = Method::kMse;  // O(bins) per tensor: any histogram size
  REQUIRE_NOTHROW(check_options(o));
  o = CalibOptions{};
  o.bits = 1;
  REQUIRE_THROWS_WITH(check_options(o), Catch::Contains("bits"));
  o = CalibOptions{};
  o.batch = 0;
  REQUIRE_THROWS_WITH(check_options(o), Catch::Contains("batch"));
  REQUIRE(parse_method("entropy") == Method::kEntropy);
  REQUIRE(std::string(method_name(parse_method("mse"))) == "mse");
  REQUIRE_THROWS_WITH(parse_method("kl"), Catch::Contains("unknown calibration method 'kl'"));
}
