// quantize-dynamic, quantize-weight-only and quantize-fp16 on small text models, the n-bit
// packing they share with the com.microsoft MatMulNBits kernel, and that kernel against a
// hand-computed case and a direct float computation. (ONNX Runtime loads and runs the
// results on the fixtures in tests/cli/test_quantize_{dynamic,weight_only,fp16}.sh.)
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "ir/graph_index.h"
#include "ir/packed_bits.h"
#include "ir/text_format.h"
#include "kernel_test_util.h"
#include "pass_test_util.h"
#include "passes/quantize/block_quant.h"

using namespace edge;
using namespace edge::test;

namespace {

std::string values(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::string s = "{";
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(dist(rng));
  return s + "}";
}

// Element types of the main graph's initializers.
std::map<std::string, int32_t> initializer_types(const Model& m) {
  std::map<std::string, int32_t> out;
  for (const auto& i : m.graph().initializer()) out[i.name()] = i.data_type();
  return out;
}

const std::string kMlp = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 40] x) => (float[N, 6] y)
<float[40, 24] w1 = )" + values(960, 1) + ", float[24] b1 = " + values(24, 2) +
                         ", float[6, 24] w2 = " + values(144, 3) + ", float[6] b2 = " + values(6, 4) + R"(>
{
  m1 = MatMul(x, w1)
  a1 = Add(m1, b1)
  r1 = Relu(a1)
  y = Gemm<transB = 1, alpha = 0.5, beta = 2.0>(r1, w2, b2)
}
)";

}  // namespace

TEST_CASE("packed n-bit codes: low nibble first", "[weight-quant]") {
  uint8_t row[3] = {0, 0, 0};
  set_packed_code(row, 0, 4, 0x1);
  set_packed_code(row, 1, 4, 0x2);
  set_packed_code(row, 2, 4, 0x3);
  REQUIRE(row[0] == 0x21);  // code 0 low nibble, code 1 high nibble
  REQUIRE(row[1] == 0x03);
  set_packed_code(row, 1, 4, 0xF);  // overwriting keeps the neighbour
  REQUIRE(row[0] == 0xF1);
  REQUIRE(packed_code(row, 0, 4) == 1);
  REQUIRE(packed_code(row, 1, 4) == 15);
  REQUIRE(packed_code(row, 2, 4) == 3);
  uint8_t two[1] = {0};
  for (int i = 0; i < 4; ++i) set_packed_code(two, i, 2, static_cast<uint8_t>(i));
  REQUIRE(two[0] == 0xE4);  // 0b11'10'01'00
  REQUIRE(packed_bytes(3, 4) == 2);
  REQUIRE(packed_bytes(25, 4) == 13);
  REQUIRE(packed_bytes(5, 8) == 5);
}

TEST_CASE("block quantization: per-block scales, padding dequantizes to 0, error within half a step",
          "[weight-quant]") {
  const int64_t K = 40, N = 3;
  Tensor w(DType::kFloat, {K, N});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = dist(rng);
  for (bool symmetric : {true, false}) {
    for (int bits : {4, 8}) {
      const auto q = pass::quant::quantize_blocks(w, bits, 16, symmetric);
      REQUIRE(q.k_blocks == 3);
      REQUIRE(q.codes.size() == static_cast<size_t>(N * 3 * 16 * bits / 8));
      REQUIRE(q.scales.size() == static_cast<size_t>(N * 3));
      REQUIRE(q.zero_points.size() == (symmetric ? 0u : static_cast<size_t>(N * packed_bytes(3, bits))));
      for (int64_t n = 0; n < N; ++n) {
        const int64_t last = n * 3 + 2;  // block 2 holds K 32..39, then 8 padding codes
        const int zp = symmetric ? 1 << (bits - 1)
                                 : packed_code(q.zero_points.data() + n * packed_bytes(3, bits), 2, bits);
        for (int i = 8; i < 16; ++i) REQUIRE(packed_code(q.codes.data() + last * q.blob(), i, bits) == zp);
        for (int64_t k = 0; k < K; ++k) {
          const float step = q.scales[static_cast<size_t>(n * 3 + k / 16)];
          REQUIRE(std::abs(q.dequantized[static_cast<size_t>(k * N + n)] - w.data<float>()[k * N + n]) <=
                  0.5f * step * 1.0001f);
        }
      }
    }
  }
}

TEST_CASE("MatMulNBits kernel: hand-computed 4-bit case and random cases against float", "[weight-quant]") {
  // K = 3 (one block of 16, padded), N = 2. Column 0: codes 9, 7, 8 -> (q - 8) * 0.5 =
  // 0.5, -0.5, 0; column 1: codes 15, 0, 8 -> 7, -8, 0 (scale 1). x = [2, 4, 6].
  std::vector<uint8_t> b(2 * 8, 0x88);
  b[0] = 0x79;  // codes 9 (low) and 7 (high)
  b[1] = 0x88;
  b[8] = 0x0F;  // codes 15 (low) and 0 (high)
  NodeSpec s{"com.microsoft",
             "MatMulNBits",
             1,
             {Tensor::from_vector<float>({1, 3}, {2, 4, 6}), Tensor::from_vector<uint8_t>({2, 1, 8}, b),
              Tensor::from_vector<float>({2}, {0.5f, 1.f})}};
  s.constant_inputs = true;
  s.attrs = [](onnx::NodeProto& n) {
    add_int_attr(n, "K", 3);
    add_int_attr(n, "N", 2);
    add_int_attr(n, "bits", 4);
    add_int_attr(n, "block_size", 16);
  };
  REQUIRE(values_of<float>(run_node(s)[0]) == std::vector<float>{-1.f, -18.f});
  // With zero points (packed: column 0 -> 9, column 1 -> 7) and a bias.
  s.inputs.push_back(Tensor::from_vector<uint8_t>({2}, {9, 7}));
  s.inputs.push_back(std::nullopt);  // g_idx
  s.inputs.push_back(Tensor::from_vector<float>({2}, {10.f, 20.f}));
  // Column 0: (0, -2, -1) * 0.5 -> 2 * 0 - 4 - 3 = -7 (+10); column 1: (8, -7, 1) -> 16 - 28 + 6 (+20).
  REQUIRE(values_of<float>(run_node(s)[0]) == std::vector<float>{3.f, 14.f});

  // Random: the kernel computes x times the dequantized weight the packer reports.
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (int bits : {4, 8}) {
    for (bool symmetric : {true, false}) {
      const int64_t K = 70, N = 5, M = 3;
      Tensor w(DType::kFloat, {K, N}), x(DType::kFloat, {M, K});
      for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = dist(rng);
      for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = dist(rng);
      const auto q = pass::quant::quantize_blocks(w, bits, 32, symmetric);
      NodeSpec r{"com.microsoft",
                 "MatMulNBits",
                 1,
                 {x, Tensor::from_vector<uint8_t>({N, q.k_blocks, q.blob()}, q.codes),
                  Tensor::from_vector<float>({N * q.k_blocks}, q.scales)}};
      if (!symmetric) r.inputs.push_back(Tensor::from_vector<uint8_t>({int64_t(q.zero_points.size())}, q.zero_points));
      r.constant_inputs = true;
      r.attrs = [&](onnx::NodeProto& n) {
        add_int_attr(n, "K", K);
        add_int_attr(n, "N", N);
        add_int_attr(n, "bits", bits);
        add_int_attr(n, "block_size", 32);
      };
      const Tensor y = run_node(r)[0];
      REQUIRE(y.shape() == Shape{M, N});
      for (int64_t m = 0; m < M; ++m) {
        for (int64_t n = 0; n < N; ++n) {
          double ref = 0;
          for (int64_t k = 0; k < K; ++k) ref += double(x.data<float>()[m * K + k]) * q.dequantized[size_t(k * N + n)];
          REQUIRE(y.data<float>()[m * N + n] == Approx(ref).margin(1e-4));
        }
      }
    }
  }
}

TEST_CASE("MatMulNBits kernel rejects inconsistent inputs", "[weight-quant]") {
  NodeSpec s{"com.microsoft",
             "MatMulNBits",
             1,
             {Tensor::from_vector<float>({1, 3}, {2, 4, 6}),
              Tensor::from_vector<uint8_t>({2, 1, 4}, std::vector<uint8_t>(8)),
              Tensor::from_vector<float>({2}, {0.5f, 1.f})}};
  s.constant_inputs = true;
  s.attrs = [](onnx::NodeProto& n) {
    add_int_attr(n, "K", 3);
    add_int_attr(n, "N", 2);
    add_int_attr(n, "block_size", 16);
  };
  REQUIRE_THROWS_WITH(run_node(s), Catch::Contains("B must be uint8 [2, 1, 8]"));
}

TEST_CASE("quantize-weight-only: MatMulNBits layers, no float weight left, outputs close", "[weight-quant]") {
  const Model m = parse_model_text(kMlp);
  for (const char* bits : {"4", "8"}) {
    report::StageRecord st;
    const Model q = apply(m, "quantize-weight-only", {{"bits", bits}}, &st);
    REQUIRE(count_op(q, "MatMulNBits") == 2);
    REQUIRE(count_op(q, "Gemm") == 0);
    const auto types = initializer_types(q);
    REQUIRE_FALSE(types.count("w1"));
    REQUIRE_FALSE(types.count("w2"));
    REQUIRE(st.layers.size() == 2);
    REQUIRE(st.layers[0].metrics.at("sqnr_db") > (bits[0] == '4' ? 15 : 35));
    const double d = max_diff(m, q);
    INFO("bits " << bits << " max diff " << d);
    REQUIRE(d < (bits[0] == '4' ? 0.5 : 0.05));
    REQUIRE(d > 0);
  }
  report::StageRecord st;
  const Model q = apply(m, "quantize-weight-only", {{"bits", "8"}, {"format", "qdq"}}, &st);
  REQUIRE(count_op(q, "DequantizeLinear") == 2);
  REQUIRE(count_op(q, "Gemm") == 1);
  REQUIRE(initializer_types(q).at("w1_q") == onnx::TensorProto::INT8);
  REQUIRE(max_diff(m, q) < 0.05);
}

TEST_CASE("quantize-dynamic: MatMulInteger with the scale per column and the bias after it", "[weight-quant]") {
  const Model m = parse_model_text(kMlp);
  report::StageRecord st;
  const Model q = apply(m, "quantize-dynamic", {}, &st);
  REQUIRE(count_op(q, "MatMulInteger") == 2);
  REQUIRE(count_op(q, "DynamicQuantizeLinear") == 2);
  REQUIRE(count_op(q, "MatMul") == 0);
  REQUIRE(count_op(q, "Gemm") == 0);
  const auto types = initializer_types(q);
  REQUIRE_FALSE(types.count("w1"));
  REQUIRE_FALSE(types.count("w2"));
  REQUIRE(st.layers.size() == 2);
  const double d = max_diff(m, q);
  INFO("max diff " << d);
  REQUIRE(d < 0.1);
  REQUIRE(d > 0);
}

TEST_CASE("quantize-dynamic: ConvInteger, GRU and LSTM weights through DequantizeLinear", "[weight-quant]") {
  const Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 2, 6, 6] x, float[3, 1, 4] s) => (float[1, 3, 6, 6] y, float[3, 1, 1, 5] h, float[3, 1, 1, 2] l)
<float[3, 2, 3, 3] wc = )" + values(54, 5) + ", float[3] bc = " + values(3, 6) +
                                   ", float[1, 15, 4] wg = " + values(60, 7) + ", float[1, 15, 5] rg = " +
                                   values(75, 8) + ", float[1, 30] bg = " + values(30, 9) +
                                   ", float[1, 8, 4] wl = " + values(32, 10) + ", float[1, 8, 2] rl = " +
                                   values(16, 11) + R"(>
{
  y = Conv<pads = [1, 1, 1, 1]>(x, wc, bc)
  h, hl = GRU<hidden_size = 5>(s, wg, rg, bg)
  l = LSTM<hidden_size = 2>(s, wl, rl)
}
)");
  report::StageRecord st;
  const Model q = apply(m, "quantize-dynamic", {}, &st);
  REQUIRE(count_op(q, "ConvInteger") == 1);
  REQUIRE(count_op(q, "DequantizeLinear") == 4);
  REQUIRE(count_op(q, "GRU") == 1);
  REQUIRE(count_op(q, "LSTM") == 1);
  REQUIRE_FALSE(initializer_types(q).count("wg"));
  REQUIRE_FALSE(initializer_types(q).count("rl"));
  REQUIRE(st.layers.size() == 3);
  REQUIRE(max_diff(m, q) < 0.05);
}

TEST_CASE("quantize-fp16: float16 weights and compute, Casts at the boundary or float16 I/O", "[weight-quant]") {
  const Model m = parse_model_text(kMlp);
  report::StageRecord st;
  const Model q = apply(m, "quantize-fp16", {}, &st);
  for (const auto& [name, type] : initializer_types(q)) REQUIRE(type == onnx::TensorProto::FLOAT16);
  REQUIRE(count_op(q, "Cast") == 2);  // input to float16, output to float32
  REQUIRE(q.graph().input(0).type().tensor_type().elem_type() == onnx::TensorProto::FLOAT);
  REQUIRE(q.graph().output(0).type().tensor_type().elem_type() == onnx::TensorProto::FLOAT);
  const double d = max_diff(m, q);
  INFO("max diff " << d);
  REQUIRE(d < 0.05);
  REQUIRE(d > 0);
  const Model h = apply(m, "quantize-fp16", {{"keep_io", "false"}});
  REQUIRE(count_op(h, "Cast") == 0);
  REQUIRE(h.graph().input(0).type().tensor_type().elem_type() == onnx::TensorProto::FLOAT16);
  REQUIRE(h.graph().output(0).type().tensor_type().elem_type() == onnx::TensorProto::FLOAT16);
}

TEST_CASE("quantize-fp16: an op without float16 support stays float32 between Casts", "[weight-quant]") {
  const Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2, 4] x) => (float[2, 4] y)
<float[4, 4] w = )" + values(16, 11) + R"(>
{
  a = MatMul(x, w)
  c = Celu(a)
  y = Relu(c)
}
)");
  report::StageRecord st;
  const Model q = apply(m, "quantize-fp16", {}, &st);
  REQUIRE(count_op(q, "Cast") == 4);  // x -> 16, a -> 32, c -> 16, y_fp16 -> 32
  bool found = false;
  for (const auto& l : st.layers) {
    if (l.op == "Celu") {
      found = true;
      REQUIRE(l.attrs.at("precision") == "float");
      REQUIRE(l.attrs.at("reason").find("no float16 kernel") != std::string::npos);
    }
  }
  REQUIRE(found);
  REQUIRE(max_diff(m, q) < 0.05);
}

TEST_CASE("quantize-fp16: values an If body reads stay float32", "[weight-quant]") {
  const Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2, 4] x, bool c) => (float[2, 4] y)
<float[4, 4] w = )" + values(16, 12) + R"(>
{
  a = MatMul(x, w)
  r = Relu(a)
  y = If(c) <then_branch = t () => (float[2, 4] o) { o = Sigmoid(a) },
             else_branch = e () => (float[2, 4] o) { o = Neg(r) }>
}
)");
  report::StageRecord st;
  const Model q = apply(m, "quantize-fp16", {}, &st);
  std::map<std::string, std::string> why;
  for (const auto& l : st.layers) {
    if (l.attrs.count("reason")) why[l.op] = l.attrs.at("reason");
  }
  REQUIRE(why["MatMul"] == "an output is read inside a subgraph");
  REQUIRE(why["Relu"] == "an output is read inside a subgraph");
  REQUIRE(why["If"] == "has a subgraph (not converted)");
  REQUIRE(initializer_types(q).at("w") == onnx::TensorProto::FLOAT16);  // read by the float32 MatMul through a Cast
  rt::NamedTensors feeds = {{"x", Tensor::from_vector<float>({2, 4}, {1, 2, 3, 4, -1, -2, -3, -4})},
                            {"c", Tensor::scalar<bool>(true)}};
  REQUIRE(max_diff(m, q, feeds) < 0.01);
}

TEST_CASE("weight passes refuse an already-quantized model", "[weight-quant]") {
  const Model m = parse_model_text(R"(
<ir_version: 7, opset_import: ["" : 13]>
g (float[4] x) => (float[4] y)
<float s = {0.1}, uint8 z = {0}>
{
  q = QuantizeLinear(x, s, z)
  y = DequantizeLinear(q, s, z)
}
)");
  for (const char* p : {"quantize-dynamic", "quantize-weight-only", "quantize-fp16"}) {
    const auto& info = pass::find_pass(p);
    REQUIRE(info.check_input);
    REQUIRE_THAT(info.check_input(m), Catch::Contains("already quantized"));
  }
}
