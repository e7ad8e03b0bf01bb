// The cpu backend's QuantizeLinear / DequantizeLinear (per tensor) against the reference kernels:
// bit-identical on random values, exact ties (k + 0.5 steps), values far outside the range,
// infinities and NaN, for uint8 and int8, with and without a zero point, at opsets 10, 13 and 21.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "kernel_test_util.h"

using namespace edge;
using test::NodeSpec;
using test::run_node;

namespace {

void require_same(const Tensor& a, const Tensor& b) {
  REQUIRE(a.dtype() == b.dtype());
  REQUIRE(a.shape() == b.shape());
  REQUIRE(std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}

}  // namespace

TEST_CASE("cpu QuantizeLinear and DequantizeLinear are bit-identical to the reference") {
  std::mt19937 rng(77);
  int on_cpu = 0;
  for (int i = 0; i < 120; ++i) {
    const DType qt = i % 2 ? DType::kUint8 : DType::kInt8;
    const int opset = std::vector<int>{10, 13, 21}[i % 3];
    const int64_t n = 1 + static_cast<int64_t>(rng() % 5000);
    const float scale = std::uniform_real_distribution<float>(0.001f, 0.5f)(rng);
    const bool with_zp = i % 5 != 0;
    const int zp_byte = static_cast<int>(rng() % 256);
    Tensor x(DType::kFloat, {n});
    std::uniform_real_distribution<float> u(-300.f * scale, 300.f * scale);
    for (int64_t e = 0; e < n; ++e) {
      float v = u(rng);
      switch (rng() % 10) {
        case 0:  // an exact tie between two steps
          v = (std::floor(v / scale) + 0.5f) * scale;
          break;
        case 1:
          v = std::numeric_limits<float>::infinity() * (rng() % 2 ? 1.f : -1.f);
          break;
        case 2:
          v = std::numeric_limits<float>::quiet_NaN();
          break;
        case 3:
          v *= 1e6f;
          break;
        default:
          break;
      }
      x.data<float>()[e] = v;
    }
    const DType zt = with_zp ? qt : DType::kUint8;
    NodeSpec q("", "QuantizeLinear", opset, {x, Tensor::scalar(scale)});
    if (with_zp) q.inputs.push_back(test::scalar_byte(qt, zp_byte));
    q.constant_inputs = true;
    const Tensor want_q = run_node(q)[0];
    std::string chosen;
    q.backends = {"cpu"};
    q.chosen = &chosen;
    const Tensor got_q = run_node(q)[0];
    REQUIRE(chosen.rfind("cpu:per-tensor", 0) == 0);
    require_same(got_q, want_q);

    // Without a zero point, DequantizeLinear reads either type (its input's).
    const DType dt = with_zp ? zt : (rng() % 2 ? DType::kInt8 : DType::kUint8);
    Tensor dq_in(dt, want_q.shape());
    std::memcpy(dq_in.raw(), want_q.raw(), want_q.nbytes());
    NodeSpec dq("", "DequantizeLinear", opset, {dq_in, Tensor::scalar(scale)});
    if (with_zp) dq.inputs.push_back(test::scalar_byte(zt, zp_byte));
    dq.constant_inputs = true;
    const Tensor want_dq = run_node(dq)[0];
    dq.backends = {"cpu"};
    dq.chosen = &chosen;
    const Tensor got_dq = run_node(dq)[0];
    REQUIRE(chosen.rfind("cpu:per-tensor", 0) == 0);
    require_same(got_dq, want_dq);
    on_cpu += 2;
  }
  REQUIRE(on_cpu == 240);
}

TEST_CASE("cpu QuantizeLinear leaves per-axis parameters to the reference") {
  Tensor x(DType::kFloat, {2, 3});
  for (int64_t i = 0; i < 6; ++i) x.data<float>()[i] = static_cast<float>(i) - 2.5f;
  Tensor s(DType::kFloat, {3});
  for (int64_t i = 0; i < 3; ++i) s.data<float>()[i] = 0.1f * static_cast<float>(i + 1);
  NodeSpec q("", "QuantizeLinear", 13, {x, s});
  q.constant_inputs = true;
  q.backends = {"cpu"};
  std::string chosen;
  q.chosen = &chosen;
  run_node(q);
  REQUIRE(chosen.rfind("reference", 0) == 0);
}
