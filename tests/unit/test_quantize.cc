// Static int8 quantization (lib/passes/quantize) with ranges computed here (min/max over
// random inputs), so the graph rewriting is tested on its own: the ONNX checker passes,
// weights are int8 with the right per-channel scales, biases int32 with scale = input scale x
// weight scale, no float weight is left, and the QDQ model's outputs stay close to the float
// model's. The QOperator form is checked for its structure (edge-run's integer kernels and
// ONNX Runtime run it in the CLI tests).
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "ir/graph_index.h"
#include "ir/tensor_proto.h"
#include "ir/text_format.h"
#include "pass_test_util.h"
#include "passes/quantize/opset_raise.h"
#include "passes/quantize/quantizer.h"
#include "test_util.h"

using namespace edge;
using namespace edge::test;
using namespace edge::pass::quant;

namespace {

std::string values(int n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::string s = "{";
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(dist(rng));
  return s + "}";
}

// Min/max of every requested value over `batches` random inputs in [-1, 1).
std::map<std::string, Range> minmax_ranges(const Model& m, const std::vector<std::string>& names, int batches = 4) {
  std::set<std::string> wanted(names.begin(), names.end());
  std::map<std::string, Range> out;
  rt::SessionOptions so;
  so.fuse = false;
  auto s = rt::Session::create(m, so);
  auto note = [&](const std::string& name, const Tensor& t) {
    if (!wanted.count(name)) return;
    Range& r = out[name];
    for (int64_t i = 0; i < t.numel(); ++i) {
      r.lo = std::min(r.lo, t.get_double(i));
      r.hi = std::max(r.hi, t.get_double(i));
    }
  };
  s->set_observer([&](const rt::NodeEvent& e) {
    for (int k = 0; k < e.node.output_size(); ++k) note(e.node.output(k), e.outputs[static_cast<size_t>(k)]);
  });
  for (int b = 0; b < batches; ++b) {
    auto feeds = random_feeds(m, 2, 100 + b);
    for (const auto& [n, t] : feeds) note(n, t);
    s->run(feeds);
  }
  return out;
}

const onnx::TensorProto* init(const Model& m, const std::string& name) {
  for (const auto& t : m.graph().initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

const onnx::NodeProto* producer_of(const Model& m, const std::string& value) {
  for (const auto& n : m.graph().node()) {
    for (const auto& o : n.output()) {
      if (o == value) return &n;
    }
  }
  return nullptr;
}

Tensor value_of(const Model& m, const std::string& name) {
  const auto* t = init(m, name);
  REQUIRE(t);
  return read_initializer(m, *t);
}

// A small CNN: Conv(+bias) -> Relu -> MaxPool -> Flatten -> Gemm(transB, +bias).
std::string cnn_text(int opset) {
  return "<ir_version: 7, opset_import: [\"\" : " + std::to_string(opset) + R"(]>
g (float[N, 2, 6, 6] x) => (float[N, 3] y)
<float[4, 2, 3, 3] w = )" +
         values(72, 1) + ", float[4] b = " + values(4, 2) + ", float[3, 16] fw = " + values(48, 3) +
         ", float[3] fb = " + values(3, 4) + R"(>
{
  c = Conv<pads = [1, 1, 1, 1]>(x, w, b)
  r = Relu(c)
  p = MaxPool<kernel_shape = [2, 2], strides = [3, 3]>(r)
  f = Flatten(p)
  y = Gemm<transB = 1>(f, fw, fb)
}
)";
}

std::unique_ptr<Quantizer> quantize(const Model& m, Format f, QuantizeConfig c = {}) {
  c.format = f;
  auto q = std::make_unique<Quantizer>(m, c);
  q->apply(minmax_ranges(q->float_model(), q->calibrated()));
  return q;
}

}  // namespace

TEST_CASE("quantize QDQ: int8 weights per channel, int32 bias, folded Relu, pass-through MaxPool", "[quantize]") {
  Model m = parse_model_text(cnn_text(13));
  auto qp = quantize(m, Format::kQdq);
  auto& q = *qp;
  const Model& out = q.result();
  out.check();
  // Conv and Gemm are quantized; Relu folds into Conv; MaxPool and Flatten pass through.
  REQUIRE(q.plan().count(NodeQuant::kCompute) == 2);
  REQUIRE(q.plan().count(NodeQuant::kActivation) == 1);
  REQUIRE(q.plan().count(NodeQuant::kPassThrough) == 2);
  REQUIRE(q.plan().count(NodeQuant::kFloat) == 0);
  // No float weight left; weights int8, biases int32.
  REQUIRE_FALSE(init(out, "w"));
  REQUIRE_FALSE(init(out, "fw"));
  REQUIRE_FALSE(init(out, "b"));
  const Tensor wq = value_of(out, "w_q"), ws = value_of(out, "w_s");
  REQUIRE(wq.dtype() == DType::kInt8);
  REQUIRE(ws.shape() == Shape{4});
  const Tensor bq = value_of(out, "b_q"), bs = value_of(out, "b_s");
  REQUIRE(bq.dtype() == DType::kInt32);
  // Symmetric per channel: scale = max|w_c| / 127, and q reproduces w within half a step.
  const Tensor w = value_of(m, "w");
  const Tensor xs = value_of(out, "x_s");
  for (int64_t c = 0; c < 4; ++c) {
    double mx = 0;
    for (int64_t e = 0; e < 18; ++e) mx = std::max(mx, std::fabs(w.get_double(c * 18 + e)));
    REQUIRE(ws.get_double(c) == Approx(mx / 127).epsilon(1e-6));
    for (int64_t e = 0; e < 18; ++e) {
      REQUIRE(std::fabs(wq.get_double(c * 18 + e) * ws.get_double(c) - w.get_double(c * 18 + e)) <=
              ws.get_double(c) / 2 + 1e-7);
    }
    REQUIRE(bs.get_double(c) == Approx(xs.get_double(0) * ws.get_double(c)).epsilon(1e-6));
  }
  // Relu folded: the Conv output range starts at 0, so its zero point is 0 (u8).
  REQUIRE(producer_of(out, "r_q")->input(2) == "zero_point_u8_0");
  REQUIRE(value_of(out, "zero_point_u8_0").get_double(0) == 0);
  REQUIRE(producer_of(out, "r")->op_type() == "DequantizeLinear");
  // ... and the Relu node goes: its clamp is the QuantizeLinear's saturation.
  REQUIRE(count_op(out, "Relu") == 0);
  REQUIRE(producer_of(out, producer_of(out, "r_q")->input(0))->op_type() == "Conv");
  // MaxPool and Flatten reuse the Relu output's scale and zero point.
  REQUIRE(producer_of(out, "p_q")->input(1) == "r_s");
  REQUIRE(producer_of(out, "f_q")->input(1) == "r_s");
  // Gemm (transB = 1): weight per row of B (axis 0).
  REQUIRE(value_of(out, "fw_s").shape() == Shape{3});
  // Outputs close to the float model's.
  auto feeds = random_feeds(m, 2, 555);
  auto ref = rt::Session::create(m)->run(feeds)[0].second;
  auto got = rt::Session::create(out)->run(feeds)[0].second;
  ErrorStats e;
  e.add(ref.data<float>(), got.data<float>(), ref.numel());
  REQUIRE(e.sqnr_db() > 25);
  // Deterministic.
  REQUIRE(quantize(m, Format::kQdq)->result().proto().SerializeAsString() == out.proto().SerializeAsString());
}

TEST_CASE("quantize QDQ: a folded activation stays only where saturation is not the same clamp", "[quantize]") {
  // Clip(0, 6) and Relu are the saturation of their output's grid; Clip(0.25, 6) clamps
  // inside the grid (the range widens to contain 0) and LeakyRelu clamps nothing.
  for (const std::string act :
       {"Clip(c, zero, six)", "Relu(c)", "Clip(c, quarter, six)", "LeakyRelu<alpha = 0.1>(c)"}) {
    const std::string text = R"(
<ir_version: 7, opset_import: ["" : 13]>
g (float[N, 2, 6, 6] x) => (float[N, 4, 6, 6] y)
<float[4, 2, 3, 3] w = )" + values(72, 1) +
                             ", float[4] b = " + values(4, 2) +
                             R"(, float zero = {0.0}, float quarter = {0.25}, float six = {6.0}>
{
  c = Conv<pads = [1, 1, 1, 1]>(x, w, b)
  r = )" + act + R"(
  y = Identity(r)
}
)";
    INFO(act);
    Model m = parse_model_text(text);
    auto q = quantize(m, Format::kQdq);
    const Model& out = q->result();
    out.check();
    REQUIRE(q->plan().count(NodeQuant::kActivation) == 1);
    const bool implied = act.find("quarter") == std::string::npos && act.find("Leaky") == std::string::npos;
    const std::string op = act.substr(0, act.find_first_of("(<"));
    REQUIRE(count_op(out, op) == (implied ? 0 : 1));
    REQUIRE(count_op(out, "Conv") == 1);
    // Same outputs as the unfused QDQ graph: the activation then Q/DQ, computed here from c.
    auto feeds = random_feeds(m, 2, 7);
    auto ref = rt::Session::create(m)->run(feeds)[0].second;
    auto got = rt::Session::create(out)->run(feeds)[0].second;
    const QParams p{static_cast<float>(value_of(out, "r_s").get_double(0)),
                    static_cast<int32_t>(value_of(out, producer_of(out, "r_q")->input(2)).get_double(0)),
                    QType::kUint8};
    for (int64_t i = 0; i < ref.numel(); ++i) {
      REQUIRE(std::fabs(got.get_double(i) - ref.get_double(i)) <= p.scale * 1.5);  // weights and input steps too
    }
    if (op == "Relu" || implied) REQUIRE(p.zero_point == 0);
  }
}

TEST_CASE("quantize QOperator: QLinearConv, MaxPool on uint8, Gemm as MatMulInteger + int32 bias", "[quantize]") {
  Model m = parse_model_text(cnn_text(13));
  auto qp = quantize(m, Format::kQOperator);
  auto& q = *qp;
  const Model& out = q.result();
  out.check();
  REQUIRE(count_op(out, "QLinearConv") == 1);
  REQUIRE(count_op(out, "Conv") == 0);
  REQUIRE(count_op(out, "Relu") == 0);  // folded into the output range
  REQUIRE(count_op(out, "MatMulInteger") == 1);
  REQUIRE(count_op(out, "QuantizeLinear") == 2);    // input x, and the Gemm's requantization
  REQUIRE(count_op(out, "DequantizeLinear") == 2);  // Gemm accumulator, and the output y
  // MaxPool and Flatten run on the uint8 tensor.
  const auto* mp = producer_of(out, "p_q");
  REQUIRE(mp->op_type() == "MaxPool");
  REQUIRE(producer_of(out, "f_q")->op_type() == "Flatten");
  // B stored transposed for MatMulInteger ([K, N]).
  const auto* mm = producer_of(out, producer_of(out, producer_of(out, "y_q")->input(0))->input(0));
  REQUIRE(mm->op_type() == "Add");
  Model inferred = out;
  inferred.infer_shapes();
  GraphIndex idx(inferred.graph());
  REQUIRE(idx.elem_type("r_q") == onnx::TensorProto::UINT8);
  REQUIRE(idx.elem_type("y") == onnx::TensorProto::FLOAT);
}

TEST_CASE("quantize keeps float what it cannot or must not quantize, with reasons", "[quantize]") {
  const std::string text = R"(
<ir_version: 7, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y)
<float[4, 4] w1 = )" + values(16, 5) +
                           ", float[4, 4] w2 = " + values(16, 6) + R"(>
{
  a = MatMul(x, w1)
  s = Softmax(a)
  t = MatMul(s, w2)
  y = Sigmoid(t)
}
)";
  Model m = parse_model_text(text);
  QuantizeConfig c;
  c.layer = [](const onnx::NodeProto& n) {
    LayerChoice ch;
    ch.excluded = n.output(0) == "t";
    return ch;
  };
  auto qp = quantize(m, Format::kQdq, c);
  auto& q = *qp;
  const auto& nodes = q.plan().nodes;
  REQUIRE(nodes[0].q.kind == NodeQuant::kCompute);
  REQUIRE(nodes[1].q.reason == "no int8 quantizer for Softmax");
  REQUIRE(nodes[2].q.reason == "excluded by a layer rule");
  REQUIRE(init(q.result(), "w2"));  // the excluded layer keeps its float weight
  REQUIRE_FALSE(init(q.result(), "w1"));
  q.result().check();
}

TEST_CASE("quantize refuses an already-quantized model", "[quantize]") {
  Model m = parse_model_text(R"(
<ir_version: 7, opset_import: ["" : 13]>
g (float[4] x) => (float[4] y)
<float s = {0.1}, uint8 z = {0}>
{
  q = QuantizeLinear(x, s, z)
  y = DequantizeLinear(q, s, z)
}
)");
  REQUIRE_THROWS_WITH(Quantizer(m, {}), Catch::Contains("already quantized") && Catch::Contains("QuantizeLinear"));
}

TEST_CASE("opset raise: old Clip/Unsqueeze are rewritten, Softmax on a flattened axis blocks", "[quantize]") {
  Model m = parse_model_text(R"(
<ir_version: 3, opset_import: ["" : 8]>
g (float[1, 4] x) => (float[1, 1, 4] y)
{
  c = Clip<min = 0.0, max = 6.0>(x)
  y = Unsqueeze<axes = [0]>(c)
}
)");
  REQUIRE(opset_raise_blocker(m, 13).empty());
  Model raised = m;
  raise_opset(raised, 13);
  raised.check();
  REQUIRE(raised.opset() == 13);
  REQUIRE(raised.graph().node(0).input_size() == 3);
  REQUIRE(max_diff(m, raised, 1) == 0);

  Model soft = parse_model_text(R"(
<ir_version: 7, opset_import: ["" : 11]>
g (float[2, 3, 4] x) => (float[2, 3, 4] y) { y = Softmax<axis = 1>(x) }
)");
  REQUIRE(opset_raise_blocker(soft, 13).find("Softmax") != std::string::npos);
  // Not raised: weights per tensor, and the note says why.
  Model cnn = parse_model_text(cnn_text(11));
  QuantizeConfig keep;
  keep.raise_opset = false;
  auto qp = quantize(cnn, Format::kQdq, keep);
  auto& q = *qp;
  REQUIRE(q.per_axis() == false);
  q.result().check();
  REQUIRE(value_of(q.result(), "w_s").rank() == 0);
}

TEST_CASE("quantize folds a bias Add after Conv and MatMul into an int32 bias", "[quantize]") {
  // mnist-8 keeps Conv biases in separate Adds ([C, 1, 1]); Linear layers export MatMul + Add.
  const std::string text = R"(
<ir_version: 7, opset_import: ["" : 13]>
g (float[N, 2, 5, 5] x) => (float[N, 25, 3] y)
<float[4, 2, 3, 3] w = )" + values(72, 11) +
                           ", float[4, 1, 1] cb = " + values(4, 12) + ", float[4, 3] mw = " + values(12, 13) +
                           ", float[3] mb = " + values(3, 14) + R"(, int64[3] shp = {0, 4, 25}>
{
  c = Conv<pads = [1, 1, 1, 1]>(x, w)
  a = Add(c, cb)
  r = Relu(a)
  s = Reshape(r, shp)
  t = Transpose<perm = [0, 2, 1]>(s)
  m = MatMul(t, mw)
  y = Add(mb, m)
}
)";
  Model m = parse_model_text(text);
  for (Format f : {Format::kQdq, Format::kQOperator}) {
    auto qp = quantize(m, f);
    const Model& out = qp->result();
    out.check();
    REQUIRE(qp->plan().count(NodeQuant::kBias) == 2);
    REQUIRE(qp->plan().count(NodeQuant::kCompute) == 2);
    REQUIRE_FALSE(init(out, "cb"));
    REQUIRE_FALSE(init(out, "mb"));
    const Tensor xs = value_of(out, "x_s"), ws = value_of(out, "w_s"), cb = value_of(m, "cb");
    const Tensor bq = value_of(out, "cb_q");
    REQUIRE(bq.dtype() == DType::kInt32);
    for (int64_t c = 0; c < 4; ++c) {
      const double s = xs.get_double(0) * ws.get_double(c);
      REQUIRE(bq.get_double(c) == std::nearbyint(cb.get_double(c) / s));
    }
    if (f == Format::kQdq) {
      const Tensor bs = value_of(out, "cb_s");
      for (int64_t c = 0; c < 4; ++c) REQUIRE(bs.get_double(c) == Approx(xs.get_double(0) * ws.get_double(c)));
      // The Add stays and reads the int32 bias, dequantized in its own [C, 1, 1] shape.
      REQUIRE(bq.shape() == Shape({4, 1, 1}));
      auto feeds = random_feeds(m, 2, 9);
      auto ref = rt::Session::create(m)->run(feeds)[0].second;
      auto got = rt::Session::create(out)->run(feeds)[0].second;
      ErrorStats e;
      e.add(ref.data<float>(), got.data<float>(), ref.numel());
      REQUIRE(e.sqnr_db() > 25);
    } else {
      // QLinearConv takes the bias (9th input, [C]); MatMul + bias is MatMulInteger + int32 Add.
      const auto* conv = producer_of(out, "r_q");
      REQUIRE(conv->op_type() == "QLinearConv");
      REQUIRE(conv->input_size() == 9);
      REQUIRE(value_of(out, conv->input(8)).shape() == Shape{4});
      REQUIRE(count_op(out, "MatMulInteger") == 1);
      REQUIRE(count_op(out, "Relu") == 0);
      REQUIRE(count_op(out, "Add") == 1);  // the int32 bias add
    }
  }
}

TEST_CASE("fold-constants keeps a quantized model's int8 weights", "[quantize]") {
  Model m = parse_model_text(cnn_text(13));
  auto qp = quantize(m, Format::kQdq);
  const Model& q = qp->result();
  Model folded = apply(q, "fold-constants");
  REQUIRE(count_op(folded, "DequantizeLinear") == count_op(q, "DequantizeLinear"));
  REQUIRE(value_of(folded, "w_q").dtype() == DType::kInt8);
  REQUIRE_FALSE(init(folded, "w"));
}

TEST_CASE("quantize: a pass-through node on a graph input or a constant reads its QDQ pair", "[quantize]") {
  const std::string text = R"(
<ir_version: 7, opset_import: ["" : 13]>
g (float[N, 2, 3] x, int64[N] ids) => (float[N, 4] y, float[N, 4] z)
<float[6, 4] w = )" + values(24, 21) +
                           ", float[5, 6] table = " + values(30, 22) + R"(>
{
  f = Flatten(x)
  y = MatMul(f, w)
  e = Gather(table, ids)
  z = MatMul(e, w)
}
)";
  Model m = parse_model_text(text);
  for (Format fmt : {Format::kQdq, Format::kQOperator}) {
    QuantizeConfig c;
    c.format = fmt;
    Quantizer q(m, c);
    std::map<std::string, Range> ranges;
    for (const auto& v : q.calibrated()) ranges[v] = {-4, 4};
    REQUIRE(ranges.count("x"));
    q.apply(ranges);
    const Model& out = q.result();
    out.check();
    REQUIRE(q.plan().count(NodeQuant::kPassThrough) == 2);
    // Every node's outputs are read: no dangling QuantizeLinear/DequantizeLinear.
    GraphIndex idx(out.graph());
    for (const auto& n : out.graph().node()) {
      INFO(n.op_type() << " -> " << n.output(0));
      REQUIRE((!idx.consumers(n.output(0)).empty() || idx.is_graph_output(n.output(0))));
    }
    REQUIRE_FALSE(init(out, "table"));  // the embedding table is stored as 8-bit
    REQUIRE(value_of(out, "table_q").dtype() == DType::kUint8);
  }
}
