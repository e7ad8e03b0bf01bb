// QDQ fusion (runtime/qdq_fusion.h): random single-pattern QDQ models run with fusion on
// (integer kernels) and off (every QuantizeLinear/DequantizeLinear and float op as written)
// must agree within one quantization step of the output, and the fused graph must hold the
// integer op; models that break a condition are left as written.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <sstream>

#include "ir/text_format.h"
#include "runtime/qdq_fusion.h"
#include "runtime/session.h"

using namespace edge;

namespace {

// Builds the text of a QDQ model: initializers and nodes, with fresh names.
class QdqText {
 public:
  explicit QdqText(std::mt19937& rng) : rng_(rng) {}

  std::string scalar(const char* type, double v) {
    const std::string n = fresh("c");
    init(std::string(type) + " " + n + " = {" + num(v) + "}");
    return n;
  }
  std::string tensor(const char* type, const Shape& shape, const std::vector<double>& v) {
    const std::string n = fresh("t");
    std::ostringstream s;
    s << type << "[" << dims(shape) << "] " << n << " = {";
    for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << num(v[i]);
    init(s.str() + "}");
    return n;
  }
  // x -> QuantizeLinear -> DequantizeLinear with per-tensor parameters; returns the DQ output.
  std::string qdq(const std::string& x, double scale, int zp, bool int8, std::string* q_out = nullptr) {
    const std::string s = scalar("float", scale), z = scalar(int8 ? "int8" : "uint8", zp);
    const std::string q = fresh("q"), d = fresh("d");
    node(q + " = QuantizeLinear(" + x + ", " + s + ", " + z + ")");
    node(d + " = DequantizeLinear(" + q + ", " + s + ", " + z + ")");
    if (q_out) *q_out = q;
    return d;
  }
  // A DequantizeLinear'd int8 weight of `shape`, per tensor or along `axis`, with real values
  // in about +-bound.
  std::string weight(const Shape& shape, int axis, bool per_channel, double bound, std::vector<float>* scales) {
    std::vector<double> q(static_cast<size_t>(shape_numel(shape)));
    for (double& v : q) v = static_cast<double>(static_cast<int>(rng_() % 255) - 127);
    const int64_t ch = per_channel ? shape[static_cast<size_t>(axis)] : 1;
    std::vector<double> s(static_cast<size_t>(ch));
    std::uniform_real_distribution<double> u(0.5, 1.5);
    scales->clear();
    for (double& v : s) {
      v = static_cast<float>(bound / 127.0 * u(rng_));
      scales->push_back(static_cast<float>(v));
    }
    const std::string w = tensor("int8", shape, q);
    const std::string sc = per_channel ? tensor("float", {ch}, s) : scalar("float", s[0]);
    const std::string d = fresh("w");
    node(d + " = DequantizeLinear<axis = " + std::to_string(axis) + ">(" + w + ", " + sc + ")");
    return d;
  }
  // An int32 bias DQ'd with scale x_scale * w_scale (exact) or another scale, or a float bias.
  std::string bias(int64_t n, float xs, const std::vector<float>& ws) {
    const int kind = static_cast<int>(rng_() % 3);
    std::vector<double> v(static_cast<size_t>(n)), s(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) {
      const double w = ws[ws.size() == 1 ? 0 : static_cast<size_t>(c)];
      s[static_cast<size_t>(c)] = kind == 0 ? static_cast<double>(xs * static_cast<float>(w)) : 0.001;
      v[static_cast<size_t>(c)] = static_cast<double>(static_cast<int>(rng_() % 401) - 200);
    }
    if (kind == 2) {
      for (double& x : v) x *= 0.001;
      return tensor("float", {n}, v);
    }
    const std::string b = tensor("int32", {n}, v), d = fresh("b");
    node(d + " = DequantizeLinear<axis = 0>(" + b + ", " + tensor("float", {n}, s) + ")");
    return d;
  }
  void node(const std::string& line) { nodes_ << "  " << line << "\n"; }
  std::string fresh(const char* base) { return std::string(base) + std::to_string(count_++); }

  // The model: inputs "x0", "x1", ... (float, given shapes) and output "y".
  std::string model(const std::vector<Shape>& inputs, const std::string& out) const {
    std::ostringstream m;
    m << "<ir_version: 8, opset_import: [\"\" : 13]>\ng (";
    for (size_t i = 0; i < inputs.size(); ++i) m << (i ? ", " : "") << "float[" << dims(inputs[i]) << "] x" << i;
    m << ") => (float y)\n<" << inits_.str() << ">\n{\n" << nodes_.str() << "  y = Identity(" << out << ")\n}\n";
    return m.str();
  }

 private:
  void init(const std::string& s) { inits_ << (inits_.tellp() > 0 ? ", " : "") << s; }
  static std::string dims(const Shape& s) {
    std::string r;
    for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
    return r;
  }
  static std::string num(double v) {
    std::ostringstream s;
    s.precision(9);
    s << v;
    return s.str();
  }
  std::mt19937& rng_;
  std::ostringstream inits_, nodes_;
  int count_ = 0;
};

struct Pattern {
  std::string text;
  std::vector<Shape> inputs;
  float out_scale = 0;
  std::string fused_op;  // op expected in the fused graph
};

// One random instance of a QDQ pattern; the output is quantized with scale out_scale.
Pattern make_pattern(const std::string& kind, std::mt19937& rng) {
  QdqText t(rng);
  Pattern p;
  const bool s8 = rng() % 2;
  const int zp = s8 ? 0 : 128;
  const double xs = 2.0 / 255;  // inputs are uniform in [-1, 1)
  std::vector<float> ws;
  std::string y, act;
  int act_kind = static_cast<int>(rng() % 3);
  auto activation = [&](const std::string& v) {
    if (act_kind == 1) {
      t.node("r = Relu(" + v + ")");
      return std::string("r");
    }
    if (act_kind == 2) {
      t.node("r = Clip(" + v + ", " + t.scalar("float", -0.5) + ", " + t.scalar("float", 0.75) + ")");
      return std::string("r");
    }
    return v;
  };
  p.out_scale = static_cast<float>(3.0 / 255);
  if (kind == "Conv") {
    const int64_t G = 1 + rng() % 2, C = G * (1 + rng() % 3), M = G * (1 + rng() % 3), k = 1 + rng() % 3;
    p.inputs = {{1, C, 3 + static_cast<int64_t>(rng() % 5), 3 + static_cast<int64_t>(rng() % 5)}};
    const std::string x = t.qdq("x0", xs, zp, s8);
    const std::string w =
        t.weight({M, C / G, k, k}, 0, rng() % 2, 1.0 / std::sqrt(static_cast<double>(C / G * k * k)), &ws);
    const std::string b = rng() % 2 ? ", " + t.bias(M, static_cast<float>(xs), ws) : "";
    t.node("c = Conv<group = " + std::to_string(G) + ", pads = [1, 0, 1, 1], strides = [1, " +
           std::to_string(1 + rng() % 2) + "]>(" + x + ", " + w + b + ")");
    y = activation("c");
    p.fused_op = "QLinearConv";
  } else if (kind == "MatMul" || kind == "Gemm") {
    const int64_t M = 1 + rng() % 4, K = 1 + rng() % 20, N = 1 + rng() % 6;
    const bool gemm = kind == "Gemm", trans_b = gemm && rng() % 2;
    p.inputs = {gemm ? Shape{M, K} : Shape{2, M, K}};
    const std::string a = t.qdq("x0", xs, zp, s8);
    const std::string b = t.weight(trans_b ? Shape{N, K} : Shape{K, N}, trans_b ? 0 : 1, rng() % 2,
                                   1.0 / std::sqrt(static_cast<double>(K)), &ws);
    if (gemm) {
      const std::string c = rng() % 2 ? ", " + t.bias(N, static_cast<float>(xs), ws) : "";
      t.node("c = Gemm<transB = " + std::to_string(trans_b) + ">(" + a + ", " + b + c + ")");
    } else {
      t.node("c = MatMul(" + a + ", " + b + ")");
    }
    y = activation("c");
    p.fused_op = "QLinearMatMul";
  } else if (kind == "Add" || kind == "Mul") {
    p.inputs = {{1, 3, 4, 5}, rng() % 2 ? Shape{1, 3, 1, 1} : Shape{1, 3, 4, 5}};
    const std::string a = t.qdq("x0", xs, zp, s8), b = t.qdq("x1", xs * 0.5, zp, s8);
    t.node("c = " + kind + "(" + a + ", " + b + ")");
    y = activation("c");
    p.fused_op = "QLinear" + kind;
  } else {
    y = "c";
    p.inputs = {{1, 2, 5, 6}};
    const std::string x = t.qdq("x0", xs, zp, s8);
    if (kind == "AveragePool") {
      t.node("c = AveragePool<kernel_shape = [2, 3], pads = [1, 1, 0, 1], count_include_pad = " +
             std::to_string(rng() % 2) + ">(" + x + ")");
      p.fused_op = "QLinearAveragePool";
    } else if (kind == "GlobalAveragePool") {
      t.node("c = GlobalAveragePool(" + x + ")");
      p.fused_op = "QLinearGlobalAveragePool";
    } else if (kind == "Concat") {
      p.inputs.push_back({1, 3, 5, 6});
      const std::string x1 = t.qdq("x1", xs * 0.7, s8 ? 5 : 100, s8);
      t.node("c = Concat<axis = 1>(" + x + ", " + x1 + ")");
      p.fused_op = "QLinearConcat";
    } else {
      // Pass-through ops: the output keeps the input's parameters.
      p.out_scale = static_cast<float>(xs);
      if (kind == "MaxPool") t.node("c = MaxPool<kernel_shape = [2, 2], strides = [2, 1]>(" + x + ")");
      if (kind == "Reshape") t.node("c = Reshape(" + x + ", " + t.tensor("int64", {2}, {6, 10}) + ")");
      if (kind == "Transpose") t.node("c = Transpose<perm = [0, 3, 1, 2]>(" + x + ")");
      if (kind == "Flatten") t.node("c = Flatten<axis = 2>(" + x + ")");
      if (kind == "Unsqueeze") t.node("c = Unsqueeze(" + x + ", " + t.tensor("int64", {1}, {0}) + ")");
      p.fused_op = kind;
      std::string q;
      const std::string d = t.qdq("c", xs, zp, s8, &q);
      p.text = t.model(p.inputs, d);
      return p;
    }
  }
  p.text = t.model(p.inputs, t.qdq(y, p.out_scale, zp, s8));
  return p;
}

std::vector<std::string> ops_of(rt::Session& s) {
  std::vector<std::string> ops;
  for (const auto& n : s.profile()) ops.push_back(n.op);
  return ops;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST_CASE("QDQ fusion: each pattern runs as its integer op and equals the QDQ graph within one step") {
  std::mt19937 rng(5);
  const char* kinds[] = {"Conv",   "MatMul",  "Gemm",    "Add",       "Mul",     "AveragePool", "GlobalAveragePool",
                         "Concat", "MaxPool", "Reshape", "Transpose", "Flatten", "Unsqueeze"};
  int64_t exact = 0, total = 0;
  for (const char* kind : kinds) {
    for (int trial = 0; trial < 12; ++trial) {
      const Pattern p = make_pattern(kind, rng);
      INFO(kind << " trial " << trial << "\n" << p.text);
      rt::SessionOptions on, off;
      on.profile = off.profile = true;
      off.fuse = false;
      auto fused = rt::Session::create(parse_model_text(p.text), on);
      auto plain = rt::Session::create(parse_model_text(p.text), off);
      rt::NamedTensors feeds;
      std::uniform_real_distribution<float> u(-1.f, 1.f);
      for (size_t i = 0; i < p.inputs.size(); ++i) {
        Tensor x(DType::kFloat, p.inputs[i]);
        for (int64_t j = 0; j < x.numel(); ++j) x.data<float>()[j] = u(rng);
        feeds.emplace_back("x" + std::to_string(i), x);
      }
      const Tensor a = fused->run(feeds)[0].second, b = plain->run(feeds)[0].second;
      REQUIRE(a.shape() == b.shape());
      for (int64_t i = 0; i < a.numel(); ++i) {
        const double d = std::fabs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]);
        REQUIRE(d <= p.out_scale * 1.0001);
        exact += d == 0.0;
        ++total;
      }
      const auto ops = ops_of(*fused);
      REQUIRE(has(ops, p.fused_op));
      REQUIRE(ops.size() < ops_of(*plain).size());
      // The fused op reads the quantized input: one DequantizeLinear (the output's) is left.
      REQUIRE(std::count(ops.begin(), ops.end(), "DequantizeLinear") == 1);
    }
  }
  INFO(exact << " of " << total << " exact");
  REQUIRE(exact >= total * 97 / 100);
}

namespace {

// DQ(x) -> Conv(DQ(w)) -> Q -> DQ -> y, with `extra` lines added to the body and `scale` as the
// input DequantizeLinear's scale name (an initializer "xs" or the graph input "s").
std::string conv_model(const std::string& extra, const std::string& x_dq_attrs = "", const std::string& scale = "xs",
                       const std::string& more_inputs = "", const std::string& outputs = "float y") {
  return R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 2, 3, 3] x)" +
         more_inputs + ") => (" + outputs + R"()
<float xs = {0.02}, uint8 xz = {128}, int8[2, 2, 1, 1] wq = {10, -20, 30, 40}, float ws = {0.01},
 float ys = {0.05}, uint8 yz = {100}, float[2] cs = {0.02, 0.03}, uint8[2] cz = {128, 120}>
{
  xq = QuantizeLinear(x, xs, xz)
  xd = DequantizeLinear)" +
         x_dq_attrs + "(xq, " + scale + R"(, xz)
  wd = DequantizeLinear(wq, ws)
  c = Conv(xd, wd)
  yq = QuantizeLinear(c, ys, yz)
  y = DequantizeLinear(yq, ys, yz)
)" + extra +
         "}\n";
}

int count_op(rt::Session& s, const std::string& op) {
  const auto ops = ops_of(s);
  return static_cast<int>(std::count(ops.begin(), ops.end(), op));
}

std::unique_ptr<rt::Session> session(const std::string& text, bool fuse = true, int threads = 1) {
  rt::SessionOptions so;
  so.profile = true;
  so.fuse = fuse;
  so.threads = threads;
  auto s = rt::Session::create(parse_model_text(text), so);
  rt::NamedTensors feeds;
  for (const auto& in : s->inputs()) {
    Tensor t(in.dtype, in.shape);
    for (int64_t i = 0; i < t.numel(); ++i)
      t.data<float>()[i] = in.name == "s" ? 0.02f : 0.1f * static_cast<float>(i % 7) - 0.3f;
    feeds.emplace_back(in.name, t);
  }
  s->run(feeds);
  return s;
}

}  // namespace

TEST_CASE("QDQ fusion leaves patterns whose conditions fail as written") {
  // The plain pattern fuses.
  REQUIRE(count_op(*session(conv_model("")), "QLinearConv") == 1);
  // A scale that the caller feeds is not a constant.
  auto fed = session(conv_model("", "", "s", ", float s"));
  REQUIRE(count_op(*fed, "QLinearConv") == 0);
  REQUIRE(count_op(*fed, "Conv") == 1);
  // The float Conv output is also a graph output.
  REQUIRE(count_op(*session(conv_model("", "", "xs", "", "float y, float c")), "QLinearConv") == 0);
  // Per-axis activation parameters.
  auto per_axis = conv_model("", "<axis = 1>", "cs", "");
  per_axis.replace(per_axis.find("(xq, cs, xz)"), 12, "(xq, cs, cz)");
  REQUIRE(count_op(*session(per_axis), "QLinearConv") == 0);
  // The input's DequantizeLinear has another reader: the Conv fuses, the DQ stays for it.
  auto shared = session(conv_model("  z = Relu(xd)\n", "", "xs", "", "float y, float z"));
  REQUIRE(count_op(*shared, "QLinearConv") == 1);
  REQUIRE(count_op(*shared, "DequantizeLinear") == 2);  // xd (for z) and y
  // Gemm with alpha != 1 is not fused; with alpha = 1 it is.
  const std::string gemm = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2, 3] x) => (float y)
<float s = {0.02}, uint8 z = {128}, int8[3, 2] wq = {1, 2, 3, 4, 5, 6}, float ws = {0.01}>
{
  xq = QuantizeLinear(x, s, z)
  xd = DequantizeLinear(xq, s, z)
  wd = DequantizeLinear(wq, ws)
  c = Gemm<alpha = ALPHA>(xd, wd)
  yq = QuantizeLinear(c, s, z)
  y = DequantizeLinear(yq, s, z)
}
)";
  auto with_alpha = [&](const char* a) {
    std::string t = gemm;
    t.replace(t.find("ALPHA"), 5, a);
    return t;
  };
  REQUIRE(count_op(*session(with_alpha("2.0")), "QLinearMatMul") == 0);
  REQUIRE(count_op(*session(with_alpha("1.0")), "QLinearMatMul") == 1);
  // Fusion off: nothing changes.
  REQUIRE(count_op(*session(conv_model(""), false), "QLinearConv") == 0);
}

TEST_CASE("QDQ fusion of a chain: stats, threads and agreement with the QDQ graph") {
  std::mt19937 rng(3);
  QdqText t(rng);
  std::vector<float> ws;
  const double s = 4.0 / 255;
  std::string v = t.qdq("x0", 2.0 / 255, 128, false);
  for (int layer = 0; layer < 3; ++layer) {  // Conv -> Relu, 8 channels, 3x3
    const std::string w = t.weight({8, layer == 0 ? 3 : 8, 3, 3}, 0, true, 0.2, &ws);
    const std::string b = t.bias(8, static_cast<float>(layer == 0 ? 2.0 / 255 : s), ws);
    const std::string c = t.fresh("conv"), r = t.fresh("relu");
    t.node(c + " = Conv<pads = [1, 1, 1, 1]>(" + v + ", " + w + ", " + b + ")");
    t.node(r + " = Relu(" + c + ")");
    v = t.qdq(r, s, 0, false);
  }
  t.node("p = MaxPool<kernel_shape = [2, 2], strides = [2, 2]>(" + v + ")");
  v = t.qdq("p", s, 0, false);
  t.node("g = GlobalAveragePool(" + v + ")");
  v = t.qdq("g", s, 0, false);
  t.node("f = Flatten(" + v + ")");
  v = t.qdq("f", s, 0, false);
  const std::string w = t.weight({10, 8}, 0, true, 0.3, &ws);
  t.node("o = Gemm<transB = 1>(" + v + ", " + w + ", " + t.bias(10, static_cast<float>(s), ws) + ")");
  const std::string text = t.model({{2, 3, 8, 8}}, t.qdq("o", 8.0 / 255, 128, false));
  INFO(text);
  rt::QdqFusionStats st;
  Model m = parse_model_text(text);
  auto fused_graph = rt::fuse_qdq(m.graph(), 13, rt::KernelRegistry::builtin(), &st);
  REQUIRE(fused_graph);
  CHECK(st.conv == 3);
  CHECK(st.activations == 3);
  CHECK(st.pass_through == 2);  // MaxPool, Flatten
  CHECK(st.pool == 1);
  CHECK(st.gemm == 1);
  Tensor x(DType::kFloat, {2, 3, 8, 8});
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
  rt::SessionOptions one, two, off;
  two.threads = 2;
  off.fuse = false;
  const Tensor a = rt::Session::create(parse_model_text(text), one)->run({{"x0", x}})[0].second;
  const Tensor b = rt::Session::create(parse_model_text(text), two)->run({{"x0", x}})[0].second;
  const Tensor c = rt::Session::create(parse_model_text(text), off)->run({{"x0", x}})[0].second;
  int64_t exact = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    REQUIRE(a.data<float>()[i] == b.data<float>()[i]);  // integer results do not depend on threads
    // Through five quantized layers a one-step difference can grow; it stays small.
    const double d = std::fabs(static_cast<double>(a.data<float>()[i]) - c.data<float>()[i]) / (8.0 / 255);
    REQUIRE(d <= 3.0001);
    exact += d < 1e-6;
  }
  REQUIRE(exact * 10 >= a.numel() * 8);
}

TEST_CASE("QDQ fusion: a replaced bias (Session::set_weight) takes effect in the fused kernel") {
  const std::string text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 2, 3, 3] x) => (float y)
<float xs = {0.02}, uint8 xz = {128}, int8[2, 2, 1, 1] wq = {10, -20, 30, 40}, float[2] ws = {0.01, 0.02},
 int32[2] bq = {100, -300}, float[2] bs = {0.0002, 0.0004}, float ys = {0.05}, uint8 yz = {100}>
{
  xq = QuantizeLinear(x, xs, xz)
  xd = DequantizeLinear(xq, xs, xz)
  wd = DequantizeLinear<axis = 0>(wq, ws)
  bd = DequantizeLinear<axis = 0>(bq, bs)
  c = Conv(xd, wd, bd)
  yq = QuantizeLinear(c, ys, yz)
  y = DequantizeLinear(yq, ys, yz)
}
)";
  rt::SessionOptions on, off;
  on.profile = true;
  off.fuse = false;
  auto fused = rt::Session::create(parse_model_text(text), on);
  auto plain = rt::Session::create(parse_model_text(text), off);
  Tensor x(DType::kFloat, {1, 2, 3, 3});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 0.3f * static_cast<float>(i % 5) - 0.6f;
  auto check = [&]() {
    const Tensor a = fused->run({{"x", x}})[0].second, b = plain->run({{"x", x}})[0].second;
    for (int64_t i = 0; i < a.numel(); ++i) REQUIRE(std::fabs(a.data<float>()[i] - b.data<float>()[i]) <= 0.0501f);
    return a;
  };
  const Tensor before = check();
  REQUIRE(count_op(*fused, "QLinearConv") == 1);
  const Tensor nb = Tensor::from_vector<int32_t>({2}, {5000, -9000});  // +1 and -3.6 in real units
  fused->set_weight("bq", nb);
  plain->set_weight("bq", nb);
  const Tensor after = check();
  REQUIRE(after.data<float>()[0] > before.data<float>()[0] + 0.5f);
}
