// The cpu backend's QLinearAdd / QLinearMul (pair-table) against the reference kernels on random
// shapes (same shape, a scalar on either side, general broadcasting), types, scales, zero points
// and fused activations: bit-identical. Run-time (non-constant) scales use the reference kernel.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "kernel_test_util.h"
#include "runtime/graph_fusion.h"

using namespace edge;
using test::NodeSpec;
using test::run_node;

TEST_CASE("cpu QLinearAdd and QLinearMul are bit-identical to the reference") {
  std::mt19937 rng(515);
  int on_cpu = 0;
  const std::vector<std::pair<Shape, Shape>> shapes = {{{2, 3, 5}, {2, 3, 5}}, {{7, 9}, {}},     {{}, {4, 6}},
                                                       {{2, 1, 5}, {3, 1}},    {{1, 8}, {6, 1}}, {{65, 64}, {65, 64}}};
  for (int i = 0; i < 96; ++i) {
    const bool mul = i % 2, fused = i % 3 == 2;
    const DType t = (i / 2) % 2 ? DType::kUint8 : DType::kInt8;
    const auto& [sa, sb] = shapes[static_cast<size_t>(i) % shapes.size()];
    const bool with_zp = i % 5 != 0;
    auto zp = [&]() -> std::optional<Tensor> {
      if (!with_zp) return std::nullopt;
      return test::random_bytes(t, {}, rng);
    };
    NodeSpec s(fused ? rt::kFusedDomain : "com.microsoft", mul ? "QLinearMul" : "QLinearAdd", 1,
               {test::random_bytes(t, sa, rng), test::random_floats({}, 0.01f, 0.1f, rng), zp(),
                test::random_bytes(t, sb, rng), test::random_floats({}, 0.01f, 0.1f, rng), zp(),
                test::random_floats({}, mul ? 0.05f : 0.01f, mul ? 0.5f : 0.1f, rng), zp()});
    const int act = fused ? static_cast<int>(rng() % 3) : 0;
    s.attrs = [act](onnx::NodeProto& n) {
      if (act == 1) test::add_string_attr(n, "activation", "Relu");
      if (act == 2) {
        test::add_string_attr(n, "activation", "Clip");
        test::add_floats_attr(n, "activation_params", {-0.5f, 1.0f});
      }
    };
    s.constant_inputs = true;
    const Tensor want = run_node(s)[0];
    std::string chosen;
    s.backends = {"cpu"};
    s.chosen = &chosen;
    const Tensor got = run_node(s)[0];
    INFO("case " << i << " " << s.op << " " << sa.size() << "-d x " << sb.size() << "-d");
    REQUIRE(chosen.rfind("cpu:pair-table", 0) == 0);
    REQUIRE(got.dtype() == want.dtype());
    REQUIRE(got.shape() == want.shape());
    REQUIRE(std::memcmp(got.raw(), want.raw(), got.nbytes()) == 0);
    ++on_cpu;
  }
  REQUIRE(on_cpu == 96);

  // Scales known only at run time: the reference kernel runs.
  NodeSpec s("com.microsoft", "QLinearAdd", 1,
             {test::random_bytes(DType::kUint8, {4}, rng), test::random_floats({}, 0.01f, 0.1f, rng), std::nullopt,
              test::random_bytes(DType::kUint8, {4}, rng), test::random_floats({}, 0.01f, 0.1f, rng), std::nullopt,
              test::random_floats({}, 0.01f, 0.1f, rng), std::nullopt});
  std::string chosen;
  s.backends = {"cpu"};
  s.chosen = &chosen;
  run_node(s);
  REQUIRE(chosen.rfind("reference:", 0) == 0);
}
