// train/gradual_mask.h: the cubic schedule at its corners and in between (monotone, the
// closed form at the midpoint), when masks are re-chosen, and the magnitude mask (exact
// count, largest kept, ties resolved the same way every time).
#include <catch2/catch.hpp>
#include <cmath>

#include "train/gradual_mask.h"

using namespace edge;
using namespace edge::train;

TEST_CASE("gradual pruning: the cubic schedule goes from the start to the final zero count") {
  const GradualTarget t{0, 100, 900};
  const GradualMaskSchedule s({t}, 1000, 10);
  CHECK(s.zeros_at(t, 0) == 100);
  CHECK(s.zeros_at(t, 1000) == 900);
  CHECK(s.zeros_at(t, 5000) == 900);
  // Halfway: final - span * (1/2)^3.
  CHECK(s.zeros_at(t, 500) == 900 - 100);
  int64_t last = 0;
  for (int64_t step = 0; step <= 1000; ++step) {
    const int64_t z = s.zeros_at(t, step);
    REQUIRE(z >= last);
    last = z;
  }
  // Most of the pruning happens early: 1 - 0.8^3 = 48.8 % of the span in the first fifth.
  CHECK(s.zeros_at(t, 200) == 100 + 390);
}

TEST_CASE("gradual pruning: masks change every `every` steps and at the end step, never after") {
  const GradualMaskSchedule s({GradualTarget{0, 0, 10}}, 25, 10);
  CHECK(s.due(0));
  CHECK_FALSE(s.due(5));
  CHECK(s.due(10));
  CHECK(s.due(20));
  CHECK(s.due(25));
  CHECK_FALSE(s.due(30));
  CHECK_FALSE(s.due(26));
  CHECK_THROWS(GradualMaskSchedule({GradualTarget{0, 5, 4}}, 10, 1));
  CHECK_THROWS(GradualMaskSchedule({}, 0, 1));
  CHECK_THROWS(GradualMaskSchedule({}, 10, 0));
}

TEST_CASE("gradual pruning: the magnitude mask drops exactly the smallest weights") {
  const Tensor w = Tensor::from_vector<float>({2, 4}, {0.5f, -0.1f, 0.3f, -0.1f, 2.f, 0.f, -0.7f, 0.1f});
  const auto m3 = magnitude_mask(w, 3);
  // 0 (element 5) goes first; of the three 0.1s the later ones (7, then 3) next.
  CHECK(m3 == std::vector<uint8_t>{1, 1, 1, 0, 1, 0, 1, 0});
  const auto m5 = magnitude_mask(w, 5);
  CHECK(m5 == std::vector<uint8_t>{1, 0, 0, 0, 1, 0, 1, 0});
  CHECK(magnitude_mask(w, 0) == std::vector<uint8_t>(8, 1));
  CHECK(magnitude_mask(w, 8) == std::vector<uint8_t>(8, 0));
  CHECK(magnitude_mask(w, 20) == std::vector<uint8_t>(8, 0));
}
