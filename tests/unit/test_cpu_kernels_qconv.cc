// The cpu backend's QLinearConv (vnni-tap-gemm, and depthwise-direct for one channel per group) against the reference
// QLinearConv on random geometry, types, zero points, scales, biases and fused
// activations: the outputs must be bit-identical, with one and two threads. On
// a CPU without AVX-512 VNNI the registry must pick the reference kernel
// instead (never an illegal instruction).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>

#include "kernel_test_util.h"
#include "runtime/graph_fusion.h"
#include "runtime/linalg/qdepthwise_avx512.h"
#include "runtime/linalg/qdepthwise_planes.h"
#include "runtime/linalg/qtap_gemm.h"

using namespace edge;
using test::NodeSpec;
using test::run_node;

namespace {

struct Case {
  NodeSpec spec{"", "QLinearConv", 10, {}};
  bool expect_cpu = true;
  std::string cpu_kernel = "cpu:vnni-";  // tap-gemm, tap-gemm-rows or pointwise
};

// One random QLinearConv (or the fused form with an activation and a float bias); `depthwise`:
// one input and one output channel per group, any weight zero points. `channels` (0: a random
// small count) and `max_hw` (the largest input height and width) size it; `max_k` the kernel.
// `pointwise`: a 1x1 kernel with unit strides and no padding (explicit zeros or SAME).
Case random_case(std::mt19937& rng, bool fused, bool depthwise, int64_t channels = 0, int max_hw = 12,
                 int max_k = 3, bool pointwise = false) {
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)); };
  const int64_t N = pick(1, 2), C = channels ? channels : std::vector<int>{1, 3, 4, 5, 8, 16, 32, 33}[rng() % 8];
  const int64_t M = depthwise ? C : std::vector<int>{1, 7, 16, 17, 32, 40}[rng() % 6];
  const int64_t KH = pointwise ? 1 : pick(1, max_k), KW = pointwise ? 1 : pick(1, max_k), H = pick(KH, max_hw),
                W = pick(KW, max_hw);
  const DType xt = rng() % 2 ? DType::kUint8 : DType::kInt8, wt = rng() % 3 ? DType::kInt8 : DType::kUint8;
  const DType yt = rng() % 2 ? DType::kUint8 : DType::kInt8;
  const bool per_channel = rng() % 2;
  const float xs = 0.02f;
  Tensor ws = test::random_floats(per_channel ? Shape{M} : Shape{}, 0.002f, 0.01f, rng);
  const float ys = static_cast<float>(5500.0 * std::sqrt(static_cast<double>(C * KH * KW)) * xs * 0.006 / 40.0);
  Tensor wzp(wt, per_channel ? Shape{M} : Shape{});
  auto* wz = static_cast<uint8_t*>(wzp.raw());
  for (int64_t i = 0; i < wzp.numel(); ++i) wz[i] = wt == DType::kUint8 ? 128 : 0;
  Case c;
  c.spec.inputs = {test::random_bytes(xt, {N, C, H, W}, rng),
                   Tensor::scalar(xs),
                   test::scalar_byte(xt, pick(0, 255) - (xt == DType::kInt8 ? 128 : 0)),
                   test::random_bytes(wt, {M, depthwise ? 1 : C, KH, KW}, rng),
                   ws,
                   wzp,
                   Tensor::scalar(ys),
                   test::scalar_byte(yt, pick(0, 255) - (yt == DType::kInt8 ? 128 : 0))};
  if (depthwise) {
    for (int64_t i = 0; i < wzp.numel(); ++i) wz[i] = static_cast<uint8_t>(rng() % 256);
    c.cpu_kernel = "cpu:depthwise-direct";
  } else if (rng() % 4 == 0 && wt == DType::kInt8) {  // asymmetric weights: the reference runs them
    wz[0] = 3;
    c.expect_cpu = false;
  }
  if (fused) {
    c.spec.domain = rt::kFusedDomain;
    c.spec.opset = 1;
    c.spec.inputs.push_back(test::random_floats({M}, -0.5f, 0.5f, rng));
  } else if (rng() % 2) {
    Tensor b(DType::kInt32, {M});
    for (int64_t m = 0; m < M; ++m) b.data<int32_t>()[m] = static_cast<int32_t>(rng() % 20001) - 10000;
    c.spec.inputs.push_back(b);
  }
  const int64_t sh = pointwise ? 1 : pick(1, 3), sw = pointwise ? 1 : pick(1, 2), dh = pick(1, 2), dw = pick(1, 2);
  const int pad_kind = pointwise ? pick(0, 1) : pick(0, 2);
  const int64_t pt = pick(0, 2), pl = pick(0, 2), pb = pick(0, 2), pr = pick(0, 2);
  const int act = fused ? pick(0, 2) : 0;
  c.spec.attrs = [=](onnx::NodeProto& n) {
    if (depthwise) test::add_int_attr(n, "group", C);
    test::add_ints_attr(n, "strides", {sh, sw});
    if (pad_kind == 1) {
      test::add_string_attr(n, "auto_pad", "SAME_UPPER");
    } else {
      test::add_ints_attr(n, "dilations", {dh, dw});
      if (pad_kind == 2) test::add_ints_attr(n, "pads", {pt, pl, pb, pr});
    }
    if (act == 1) test::add_string_attr(n, "activation", "Relu");
    if (act == 2) {
      test::add_string_attr(n, "activation", "Clip");
      test::add_floats_attr(n, "activation_params", {-0.3f, 0.4f});
    }
  };
  // Dilated windows must fit: shrink the dilation where the input is too small.
  const int64_t eh = (KH - 1) * dh + 1, ew = (KW - 1) * dw + 1;
  if (pad_kind != 1 && (eh > H + (pad_kind == 2 ? pt + pb : 0) || ew > W + (pad_kind == 2 ? pl + pr : 0))) {
    c.spec.attrs = [=](onnx::NodeProto& n) {
      if (depthwise) test::add_int_attr(n, "group", C);
      test::add_ints_attr(n, "strides", {sh, sw});
    };
  }
  c.spec.constant_inputs = true;
  return c;
}

}  // namespace

TEST_CASE(
    "cpu QLinearConv is bit-identical to the reference on random cases, "
    "1 and 2 threads") {
  std::mt19937 rng(20261130);
  rt::ThreadPool pool2(2);
  int on_cpu = 0, sizable = 0, flat = 0, nhwc = 0, rows = 0;
  for (int i = 0; i < 400; ++i) {
    Case c = random_case(rng, i % 3 == 2, i % 4 == 3);
    std::string chosen_ref, chosen_cpu;
    c.spec.chosen = &chosen_ref;
    const std::vector<Tensor> want = run_node(c.spec);
    REQUIRE(chosen_ref.rfind("reference:", 0) == 0);
    for (rt::ThreadPool* pool : {static_cast<rt::ThreadPool*>(nullptr), &pool2}) {
      c.spec.backends = {"cpu"};
      c.spec.chosen = &chosen_cpu;
      c.spec.pool = pool;
      const std::vector<Tensor> got = run_node(c.spec);
      INFO("case " << i << " kernel " << chosen_cpu << " X " << c.spec.inputs[0]->describe() << " W "
                   << c.spec.inputs[3]->describe());
      const bool depthwise = c.cpu_kernel == "cpu:depthwise-direct";
      // One input and one output channel is depthwise too: either cpu kernel may take it, and the
      // depthwise one takes any weight zero point.
      const bool one_channel = c.spec.inputs[3]->dim(0) == 1 && c.spec.inputs[3]->dim(1) == 1;
      const bool cpu = one_channel || ((depthwise || rt::linalg::qtap_gemm_supported()) && c.expect_cpu);
      const std::string prefix = !cpu ? "reference:" : one_channel ? "cpu:" : c.cpu_kernel;
      if (depthwise) nhwc += chosen_cpu.find("-nhwc") != std::string::npos;
      rows += chosen_cpu.find("-rows") != std::string::npos;
      REQUIRE(chosen_cpu.rfind(prefix, 0) == 0);
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
  REQUIRE(on_cpu > (rt::linalg::qtap_gemm_supported() ? 300 : 100));
  // The cases exercise the rounding, not only outputs all clamped to one value.
  REQUIRE(sizable > 300);
  REQUIRE(nhwc > 20);                                        // both depthwise layouts ran
  if (rt::linalg::qtap_gemm_supported()) REQUIRE(rows > 5);  // one-channel inputs as kernel rows
  REQUIRE(flat * 20 < sizable);
}

TEST_CASE(
    "cpu depthwise QLinearConv: the AVX-512 planes, the AVX-512 channels-last tiles and the AVX2 rows are "
    "bit-identical to the reference on many channels and wide maps") {
  namespace linalg = rt::linalg;
  std::mt19937 rng(20261201);
  rt::ThreadPool pool2(2);
  int avx512 = 0, tails = 0, planes = 0, vnni = 0;
  for (int i = 0; i < 120; ++i) {
    // Every channel count the 32-channel blocks treat differently: a partial 16 or 8, odd, many;
    // maps up to 70 wide (the planes take outputs 24 wide and more).
    const int64_t C = std::vector<int>{8, 9, 16, 24, 31, 32, 33, 48, 96, 144}[rng() % 10];
    Case c = random_case(rng, i % 3 == 2, true, C, i % 2 ? 70 : 30, 5);
    if (i % 4 < 2) {  // symmetric weights (zero point 0 / 128): they fit int8, the planes use VNNI
      Tensor& wzp = *c.spec.inputs[5];
      const bool u8 = wzp.dtype() == DType::kUint8;
      for (int64_t e = 0; e < wzp.numel(); ++e) static_cast<uint8_t*>(wzp.raw())[e] = u8 ? 128 : 0;
    }
    std::string chosen_ref;
    c.spec.chosen = &chosen_ref;
    const std::vector<Tensor> want = run_node(c.spec);
    REQUIRE(chosen_ref.rfind("reference:", 0) == 0);
    for (int mode = 0; mode < 3; ++mode) {  // everything on; planes off; planes and tiles off
      linalg::qdwp::force_off(mode >= 1);
      linalg::qdw512::force_off(mode >= 2);
      for (rt::ThreadPool* pool : {static_cast<rt::ThreadPool*>(nullptr), &pool2}) {
        std::string chosen;
        c.spec.backends = {"cpu"};
        c.spec.chosen = &chosen;
        c.spec.pool = pool;
        const std::vector<Tensor> got = run_node(c.spec);
        INFO("case " << i << " mode " << mode << " kernel " << chosen << " X " << c.spec.inputs[0]->describe());
        const bool plane = chosen.rfind("cpu:depthwise-planes-", 0) == 0;
        vnni += chosen.rfind("cpu:depthwise-planes-vnni", 0) == 0;
        REQUIRE((plane || chosen.rfind("cpu:depthwise-direct-nhwc", 0) == 0));
        REQUIRE((!plane || (mode == 0 && got[0].dim(3) >= 24)));
        const bool tile = chosen.find("-nhwc-avx512") != std::string::npos;
        REQUIRE((tile || plane) == (mode < 2 && linalg::qdw512::supported()));
        avx512 += tile;
        planes += plane;
        tails += (tile && got[0].dim(3) % 8 != 0) || (plane && got[0].dim(3) % 32 != 0);
        REQUIRE(got[0].shape() == want[0].shape());
        REQUIRE(std::memcmp(got[0].raw(), want[0].raw(), static_cast<size_t>(got[0].numel())) == 0);
      }
    }
    linalg::qdwp::force_off(false);
    linalg::qdw512::force_off(false);
  }
  if (linalg::qdw512::supported()) {
    REQUIRE(avx512 >= 240);
    REQUIRE(planes > 20);
    if (rt::linalg::qdwp::vnni_supported()) REQUIRE((vnni > 10 && vnni < planes));
    REQUIRE(tails > 20);
  }
}

TEST_CASE("cpu 1x1 QLinearConv: the VNNI pointwise tiles are bit-identical to the reference, 1 and 2 threads") {
  if (!rt::linalg::qtap_gemm_supported()) WARN("no AVX-512 VNNI: the reference kernel runs on both sides");
  std::mt19937 rng(20261202);
  rt::ThreadPool pool2(2);
  int pointwise = 0;
  for (int i = 0; i < 80; ++i) {
    // Channel counts around the quads, output counts around the 6-channel tiles, maps around the
    // 16-position vectors and 64-position tiles.
    const int64_t C = std::vector<int>{1, 3, 4, 5, 8, 13, 32, 96}[rng() % 8];
    Case c = random_case(rng, i % 3 == 2, false, C, i % 4 == 0 ? 40 : 12, 1, true);
    std::string chosen_ref;
    c.spec.chosen = &chosen_ref;
    const std::vector<Tensor> want = run_node(c.spec);
    for (rt::ThreadPool* pool : {static_cast<rt::ThreadPool*>(nullptr), &pool2}) {
      std::string chosen;
      c.spec.backends = {"cpu"};
      c.spec.chosen = &chosen;
      c.spec.pool = pool;
      const std::vector<Tensor> got = run_node(c.spec);
      INFO("case " << i << " kernel " << chosen << " X " << c.spec.inputs[0]->describe() << " W "
                   << c.spec.inputs[3]->describe());
      pointwise += chosen.find("vnni-pointwise") != std::string::npos;
      REQUIRE(got[0].shape() == want[0].shape());
      REQUIRE(std::memcmp(got[0].raw(), want[0].raw(), static_cast<size_t>(got[0].numel())) == 0);
    }
  }
  // Asymmetric weights (a case in four) and single-channel inputs and outputs go elsewhere.
  if (rt::linalg::qtap_gemm_supported()) REQUIRE(pointwise > 80);
}
