// The cpu backend's vectorized element-wise math (Exp, Erf, Sigmoid, Tanh) and Softmax against
// the reference kernels (std:: math in float or double) on random shapes, including sizes that
// are not multiples of the vector width and saturating inputs.
#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "cpu_kernel_test_util.h"
#include "ir/text_format.h"
#include "runtime/linalg/gemm.h"
#include "runtime/session.h"

using namespace edge;

namespace {

using test::dims_text;
using test::random_tensor;

// Runs `text` (input x, output y) on the reference kernels and the default backends; checks
// that the outputs agree and that `kernel_prefix` was chosen.
void check_against_reference(const std::string& text, const Tensor& x, const std::string& kernel_prefix, double rtol,
                             double atol) {
  test::check_against_reference(text, {{"x", x}}, {rtol, atol, 1, kernel_prefix});
}

}  // namespace

TEST_CASE("cpu Exp, Erf, Sigmoid and Tanh match the reference kernels") {
  std::mt19937 rng(8);
  for (const char* op : {"Exp", "Erf", "Sigmoid", "Tanh"}) {
    for (int trial = 0; trial < 12; ++trial) {
      rt::linalg::sgemm_force_generic(trial % 3 == 2);  // the portable path, as without AVX2
      const Shape s{1 + static_cast<int64_t>(rng() % 5), 1 + static_cast<int64_t>(rng() % 2000)};
      const float range = std::string(op) == "Exp" ? 80.f : (trial % 3 == 0 ? 30.f : 4.f);
      Tensor x = random_tensor(s, rng, -range, range);
      if (x.numel() > 3) {
        x.data<float>()[0] = 0.f;
        x.data<float>()[1] = -0.f;
        x.data<float>()[2] = 1e-20f;
      }
      const std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + dims_text(s) +
                               "] x) => (float[" + dims_text(s) + "] y)\n{ y = " + op + "(x) }\n";
      // relative 2e-6 (a few float ulps), absolute 2e-7 (the polynomial's error near 0)
      check_against_reference(text, x, trial % 3 == 2 ? "cpu:vmath-generic" : "cpu:vmath", 2e-6, 2e-7);
      rt::linalg::sgemm_force_generic(false);
    }
  }
}

TEST_CASE("cpu Softmax matches the reference over the last axis (opset 13) and coerced 2-D (opset 11)") {
  std::mt19937 rng(21);
  for (int trial = 0; trial < 40; ++trial) {
    rt::linalg::sgemm_force_generic(trial % 4 == 3);
    const Shape s{1 + static_cast<int64_t>(rng() % 3), 1 + static_cast<int64_t>(rng() % 5),
                  1 + static_cast<int64_t>(rng() % 70)};
    const bool old = trial % 2;
    const int64_t axis = old ? static_cast<int64_t>(rng() % 3) : (rng() % 2 ? -1 : 2);  // [-r, r-1] per the spec
    Tensor x = random_tensor(s, rng, trial % 4 == 0 ? -60.f : -5.f, trial % 4 == 0 ? 60.f : 5.f);
    const std::string text = std::string("<ir_version: 8, opset_import: [\"\" : ") + (old ? "11" : "13") +
                             "]>\ng (float[" + dims_text(s) + "] x) => (float[" + dims_text(s) +
                             "] y)\n{ y = Softmax<axis = " + std::to_string(axis) + ">(x) }\n";
    check_against_reference(text, x, trial % 4 == 3 ? "cpu:softmax-rows-generic" : "cpu:softmax-rows", 1e-5, 1e-7);
    rt::linalg::sgemm_force_generic(false);
  }
}

TEST_CASE("Softmax over a non-last axis (opset 13) stays on the reference kernel") {
  const std::string text =
      "<ir_version: 8, opset_import: [\"\" : 13]>\n"
      "g (float[2, 3, 4] x) => (float[2, 3, 4] y)\n{ y = Softmax<axis = 1>(x) }\n";
  rt::SessionOptions so;
  so.profile = true;
  auto s = rt::Session::create(parse_model_text(text), so);
  s->run({{"x", Tensor(DType::kFloat, {2, 3, 4})}});
  REQUIRE(s->profile()[0].kernel == "reference");
}
