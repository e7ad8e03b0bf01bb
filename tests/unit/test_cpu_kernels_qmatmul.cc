// The cpu backend's QLinearMatMul (vnni-gemm) against the reference QLinearMatMul on random
// shapes, types, zero points, scales, and the fused form (transB, bias, activation): the outputs
// must be bit-identical, with one and two threads. On a CPU without AVX-512 VNNI the registry
// must pick the reference kernel instead.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "kernel_test_util.h"
#include "runtime/graph_fusion.h"
#include "runtime/linalg/qtap_gemm.h"

using namespace edge;
using test::NodeSpec;
using test::run_node;

namespace {

struct Case {
  NodeSpec spec{"", "QLinearMatMul", 10, {}};
  bool expect_cpu = true;
};

Case random_case(std::mt19937& rng, bool fused) {
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)); };
  const int64_t K = std::vector<int>{1, 3, 4, 7, 16, 33, 100}[rng() % 7];
  const int64_t N = std::vector<int>{1, 5, 16, 17, 40}[rng() % 5];
  const int rank = pick(1, 3);
  Shape a_shape;
  if (rank == 3) a_shape.push_back(pick(1, 3));
  if (rank >= 2) a_shape.push_back(pick(1, 9));
  a_shape.push_back(K);
  const DType at = rng() % 2 ? DType::kUint8 : DType::kInt8, bt = rng() % 3 ? DType::kInt8 : DType::kUint8;
  const DType yt = rng() % 2 ? DType::kUint8 : DType::kInt8;
  const bool per_column = rng() % 2, trans = fused && rng() % 2;
  Tensor bs = test::random_floats(per_column ? Shape{N} : Shape{}, 0.002f, 0.01f, rng);
  Tensor bzp(bt, per_column ? Shape{N} : Shape{});
  auto* bz = static_cast<uint8_t*>(bzp.raw());
  for (int64_t i = 0; i < bzp.numel(); ++i) bz[i] = bt == DType::kUint8 ? 128 : 0;
  Case c;
  if (rng() % 5 == 0 && bt == DType::kInt8) {  // asymmetric B: the reference runs it
    bz[0] = 5;
    c.expect_cpu = false;
  }
  const float as = 0.02f;
  const float ys = static_cast<float>(5500.0 * std::sqrt(static_cast<double>(K)) * as * 0.006 / 40.0);
  c.spec.inputs = {test::random_bytes(at, a_shape, rng),
                   Tensor::scalar(as),
                   test::scalar_byte(at, pick(0, 255)),
                   test::random_bytes(bt, trans ? Shape{N, K} : Shape{K, N}, rng),
                   bs,
                   bzp,
                   Tensor::scalar(ys),
                   test::scalar_byte(yt, pick(0, 255))};
  const int act = fused ? pick(0, 2) : 0;
  if (fused) {
    c.spec.domain = rt::kFusedDomain;
    c.spec.opset = 1;
    Tensor bias(DType::kFloat, {N});
    std::uniform_real_distribution<float> ub(-0.5f, 0.5f);
    for (int64_t n = 0; n < N; ++n) bias.data<float>()[n] = ub(rng);
    c.spec.inputs.push_back(bias);
    c.spec.attrs = [=](onnx::NodeProto& n) {
      if (trans) test::add_int_attr(n, "transB", 1);
      if (act == 1) test::add_string_attr(n, "activation", "Relu");
      if (act == 2) {
        test::add_string_attr(n, "activation", "Clip");
        test::add_floats_attr(n, "activation_params", {-0.3f, 0.4f});
      }
    };
  }
  c.spec.constant_inputs = true;
  return c;
}

}  // namespace

TEST_CASE("cpu QLinearMatMul is bit-identical to the reference on random cases, 1 and 2 threads") {
  std::mt19937 rng(3011);
  rt::ThreadPool pool2(2);
  int on_cpu = 0, sizable = 0, flat = 0;
  for (int i = 0; i < 300; ++i) {
    Case c = random_case(rng, i % 2 == 1);
    std::string chosen_ref, chosen_cpu;
    c.spec.chosen = &chosen_ref;
    const std::vector<Tensor> want = run_node(c.spec);
    REQUIRE(chosen_ref.rfind("reference:", 0) == 0);
    for (rt::ThreadPool* pool : {static_cast<rt::ThreadPool*>(nullptr), &pool2}) {
      c.spec.backends = {"cpu"};
      c.spec.chosen = &chosen_cpu;
      c.spec.pool = pool;
      const std::vector<Tensor> got = run_node(c.spec);
      INFO("case " << i << " kernel " << chosen_cpu << " A " << c.spec.inputs[0]->describe() << " B "
                   << c.spec.inputs[3]->describe());
      const bool cpu = rt::linalg::qtap_gemm_supported() && c.expect_cpu;
      REQUIRE(chosen_cpu.rfind(cpu ? "cpu:vnni-gemm" : "reference:", 0) == 0);
      on_cpu += cpu;
      REQUIRE(got[0].dtype() == want[0].dtype());
      REQUIRE(got[0].shape() == want[0].shape());
      const auto* g = static_cast<const uint8_t*>(got[0].raw());
      const auto* w = static_cast<const uint8_t*>(want[0].raw());
      int64_t differ = 0, varied = 0;
      for (int64_t e = 0; e < got[0].numel(); ++e) {
        differ += g[e] != w[e];
        varied += w[e] != w[0];
      }
      REQUIRE(differ == 0);
      if (got[0].numel() > 16) {
        ++sizable;
        flat += varied == 0;
      }
    }
  }
  if (rt::linalg::qtap_gemm_supported()) REQUIRE(on_cpu > 300);
  REQUIRE(sizable > 200);
  REQUIRE(flat * 20 < sizable);  // the cases exercise the rounding, not only clamped outputs
}
