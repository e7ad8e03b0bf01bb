// prune-channels on small hand-built graphs. The channels meant to go are made dead in the
// original (zero filters, zero BatchNormalization mean and shift, zero depthwise bias), so
// removing them must leave every output the same: a surgery that slices the wrong entries
// (a consumer's input channels, a Concat offset, a Flatten block, a depthwise group) changes
// the outputs. Blocked cases must leave the model byte for byte unchanged and say why.
#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "data/npy.h"
#include "ir/graph_edit.h"
#include "ir/text_format.h"
#include "pass_test_util.h"
#include "passes/prune/prune_channels_groups.h"
#include "test_util.h"

using namespace edge;
using namespace edge::test;

namespace {

// "float[d0,d1,...] name = {...}": seeded values in [-1, 1), zero where dead(index along axis 0) says.
std::string weight(const std::string& name, const std::vector<int>& dims, uint32_t seed,
                   const std::vector<int>& dead = {}, int axis_len_inner = -1) {
  int n = 1;
  for (int d : dims) n *= d;
  const int per = axis_len_inner > 0 ? axis_len_inner : n / dims[0];
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::ostringstream os;
  os << "float[";
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? "," : "") << dims[i];
  os << "] " << name << " = {";
  for (int i = 0; i < n; ++i) {
    float v = dist(rng);
    const int ch = (i / per) % dims[0];
    for (int d : dead) v = ch == d ? 0.f : v;
    os << (i ? ", " : "") << v;
  }
  os << "}";
  return os.str();
}

// BatchNormalization parameters over c channels; dead channels get mean 0 and shift 0.
std::string bn(const std::string& p, int c, uint32_t seed, const std::vector<int>& dead) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.5f, 1.5f);
  std::ostringstream s, b, m, v;
  for (int i = 0; i < c; ++i) {
    const bool d = std::find(dead.begin(), dead.end(), i) != dead.end();
    const char* sep = i ? ", " : "";
    s << sep << dist(rng);
    b << sep << (d ? 0.f : dist(rng) - 1.f);
    m << sep << (d ? 0.f : dist(rng) - 1.f);
    v << sep << dist(rng);
  }
  const std::string n = std::to_string(c);
  return "float[" + n + "] " + p + "s = {" + s.str() + "}, float[" + n + "] " + p + "b = {" + b.str() + "}, float[" +
         n + "] " + p + "m = {" + m.str() + "}, float[" + n + "] " + p + "v = {" + v.str() + "}";
}

const onnx::TensorProto& init(const Model& m, const std::string& node_name, int input) {
  for (const auto& n : m.graph().node()) {
    if (n.name() != node_name) continue;
    for (const auto& t : m.graph().initializer()) {
      if (t.name() == n.input(input)) return t;
    }
  }
  FAIL("no initializer for " << node_name << " input " << input);
  throw 0;
}

std::vector<int64_t> dims(const onnx::TensorProto& t) { return {t.dims().begin(), t.dims().end()}; }

}  // namespace

TEST_CASE("prune-channels: residual Add keeps one channel set across both branches", "[passes][prune]") {
  const std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 2, 6, 6] x) => (float[N, 3, 6, 6] y)
<)" + weight("wa", {4, 2, 3, 3}, 1, {1, 3}) + ", " + bn("n", 4, 2, {1, 3}) + ", " +
                           weight("wb", {4, 2, 1, 1}, 3, {1, 3}) + ", " + weight("wc", {3, 4, 3, 3}, 4) + R"(>
{
  a = Conv <pads = [1, 1, 1, 1]> (x, wa)
  an = BatchNormalization (a, ns, nb, nm, nv)
  ar = Relu (an)
  b = Conv (x, wb)
  s = Add (ar, b)
  sr = Relu (s)
  y = Conv <pads = [1, 1, 1, 1]> (sr, wc)
}
)";
  Model m = parse_model_text(text);
  m.infer_shapes();
  const auto an = pass::prune::analyze_channels(m, [](const onnx::NodeProto&) { return false; });
  // ca and cb form one group (the Add); cc's output is a graph output, so its group is blocked.
  REQUIRE(an.groups.size() == 2);
  REQUIRE(an.groups[0].producers.size() == 2);
  REQUIRE(an.groups[0].blocked.empty());
  REQUIRE_THAT(an.groups[1].blocked, Catch::Contains("graph output"));

  report::StageRecord st;
  Model out = apply(m, "prune-channels", {{"ratio", "0.5"}}, &st);
  REQUIRE(dims(init(out, "Conv_0", 1)) == std::vector<int64_t>{2, 2, 3, 3});
  REQUIRE(dims(init(out, "Conv_3", 1)) == std::vector<int64_t>{2, 2, 1, 1});
  REQUIRE(dims(init(out, "BatchNormalization_1", 1)) == std::vector<int64_t>{2});
  REQUIRE(dims(init(out, "Conv_6", 1)) == std::vector<int64_t>{3, 2, 3, 3});
  REQUIRE(max_diff(m, out) < 1e-5);
  REQUIRE(st.metrics.at("pruned_groups") == 1);
  REQUIRE(st.metrics.at("channels_after") == 2);
  bool noted = false;
  for (const auto& n : st.notes) noted = noted || n.find("Conv_6") != std::string::npos;
  REQUIRE(noted);
  // l2 picks the same dead channels; the result is deterministic.
  REQUIRE(max_diff(m, apply(m, "prune-channels", {{"ratio", "0.5"}, {"criterion", "l2"}})) < 1e-5);
  REQUIRE(apply(m, "prune-channels", {{"ratio", "0.5"}}).proto().SerializeAsString() == out.proto().SerializeAsString());
  // At least one channel stays.
  Model most = apply(m, "prune-channels", {{"ratio", "0.99"}});
  REQUIRE(dims(init(most, "Conv_0", 1))[0] == 1);
}

TEST_CASE("prune-channels: depthwise chain, Concat and Flatten -> Gemm", "[passes][prune]") {
  // p (3 channels, channel 1 dead) -> Relu -> depthwise (bias 0 on channel 1); q (2 channels,
  // channel 0 dead); Concat -> [N,5,4,4] -> Flatten -> Gemm over 80 rows.
  const std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 2, 4, 4] x) => (float[N, 4] y)
<)" + weight("wp", {3, 2, 3, 3}, 5, {1}) + ", " + weight("wd", {3, 1, 3, 3}, 6) + ", float[3] bd = {0.5, 0.0, -0.25}, " +
                           weight("wq", {2, 2, 1, 1}, 7, {0}) + ", " + weight("wg", {80, 4}, 8) +
                           ", float[4] bg = {0.1, 0.2, 0.3, 0.4}" + R"(>
{
  p = Conv <pads = [1, 1, 1, 1]> (x, wp)
  pr = Relu (p)
  d = Conv <group = 3, pads = [1, 1, 1, 1]> (pr, wd, bd)
  q = Conv (x, wq)
  c = Concat <axis = 1> (d, q)
  f = Flatten (c)
  y = Gemm (f, wg, bg)
}
)";
  Model m = parse_model_text(text);
  report::StageRecord st;
  Model out = apply(m, "prune-channels", {{"ratio", "0.3"}}, &st);
  REQUIRE(dims(init(out, "Conv_0", 1)) == std::vector<int64_t>{2, 2, 3, 3});
  REQUIRE(dims(init(out, "Conv_2", 1)) == std::vector<int64_t>{2, 1, 3, 3});
  REQUIRE(dims(init(out, "Conv_2", 2)) == std::vector<int64_t>{2});
  REQUIRE(dims(init(out, "Conv_3", 1)) == std::vector<int64_t>{1, 2, 1, 1});
  REQUIRE(dims(init(out, "Gemm_6", 1)) == std::vector<int64_t>{48, 4});
  for (const auto& n : out.graph().node()) {
    if (n.name() == "Conv_2") REQUIRE(n.attribute(0).i() == 2);
  }
  REQUIRE(max_diff(m, out) < 1e-5);
  REQUIRE(st.metrics.at("pruned_groups") == 2);
}

TEST_CASE("prune-channels: Gemm chain (MLP) prunes hidden units", "[passes][prune]") {
  const std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 5] x) => (float[N, 3] y)
<)" + weight("w1", {6, 5}, 9, {2, 4}) + ", float[6] b1 = {0.1, 0.2, 0.0, 0.3, 0.0, 0.4}, " + weight("w2", {3, 6}, 10) + R"(>
{
  h = Gemm <transB = 1> (x, w1, b1)
  hr = Relu (h)
  y = Gemm <transB = 1> (hr, w2)
}
)";
  Model m = parse_model_text(text);
  Model out = apply(m, "prune-channels", {{"ratio", "0.34"}});
  REQUIRE(dims(init(out, "Gemm_0", 1)) == std::vector<int64_t>{4, 5});
  REQUIRE(dims(init(out, "Gemm_0", 2)) == std::vector<int64_t>{4});
  REQUIRE(dims(init(out, "Gemm_2", 1)) == std::vector<int64_t>{3, 4});
  REQUIRE(max_diff(m, out) < 1e-5);
}

TEST_CASE("prune-channels: blocked groups leave the model unchanged and say why", "[passes][prune]") {
  // The only prunable-looking Conv feeds a Transpose: not understood, so nothing changes.
  const std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 2, 4, 4] x) => (float[N, 4, 4, 3] y)
<)" + weight("w", {3, 2, 1, 1}, 11) + R"(>
{
  a = Conv (x, w)
  y = Transpose <perm = [0, 2, 3, 1]> (a)
}
)";
  Model m = parse_model_text(text);
  report::StageRecord st;
  Model out = apply(m, "prune-channels", {{"ratio", "0.5"}}, &st);
  REQUIRE(out.proto().SerializeAsString() == m.proto().SerializeAsString());
  std::string notes;
  for (const auto& n : st.notes) notes += n + "\n";
  REQUIRE_THAT(notes, Catch::Contains("Transpose"));
  REQUIRE_THAT(notes, Catch::Contains("nothing changed"));
  // Ratio outside [0, 1) is refused.
  REQUIRE_THROWS_WITH(apply(m, "prune-channels", {{"ratio", "1"}}), Catch::Contains("[0, 1)"));
  REQUIRE_THROWS(apply(m, "prune-channels", {{"ratio", "-0.1"}}));
}

TEST_CASE("prune-channels: sensitivity measures the dead channels as harmless", "[passes][prune]") {
  const std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 2, 4, 4] x) => (float[N, 3, 4, 4] y)
<)" + weight("wa", {4, 2, 3, 3}, 12, {0, 2}) + ", " + weight("wc", {3, 4, 1, 1}, 13) + R"(>
{
  a = Conv <pads = [1, 1, 1, 1]> (x, wa)
  ar = Relu (a)
  y = Conv (ar, wc)
}
)";
  // Large weights on live channels would not fool it: channel 0 and 2 are dead, the others not.
  Model m = parse_model_text(text);
  TempDir dir;
  std::vector<float> xs(8 * 2 * 4 * 4);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (auto& v : xs) v = dist(rng);
  data::write_npy(dir / "calib.npy", Tensor::from_vector<float>({8, 2, 4, 4}, xs));
  const auto& info = pass::find_pass("prune-channels");
  pass::PassContext ctx(std::make_shared<spdlog::logger>("test"), 1);
  report::StageRecord st;
  ctx.stage = &st;
  Model out = m;
  REQUIRE_THROWS_WITH(ctx.run_pass(info, pass::make_options(info, {{"ratio", "0.5"}, {"criterion", "sensitivity"}}), out),
                      Catch::Contains("--calib-data"));
  ctx.calib.path = dir / "calib.npy";
  ctx.calib.batch = 4;
  out = m;
  ctx.run_pass(info, pass::make_options(info, {{"ratio", "0.5"}, {"criterion", "sensitivity"}, {"samples", "8"}}), out);
  out.check();
  REQUIRE(dims(init(out, "Conv_0", 1)) == std::vector<int64_t>{2, 2, 3, 3});
  REQUIRE(max_diff(m, out) < 1e-5);
}

TEST_CASE("prune-channels: a layer rule excluding a consumer keeps its group whole", "[passes][prune]") {
  const std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 2, 4, 4] x) => (float[N, 3, 4, 4] y)
<)" + weight("wa", {4, 2, 1, 1}, 14, {1}) + ", " + weight("wc", {3, 4, 1, 1}, 15) + R"(>
{
  a = Conv (x, wa)
  y = Conv (a, wc)
}
)";
  Model m = parse_model_text(text);
  const auto& info = pass::find_pass("prune-channels");
  pass::PassContext ctx(std::make_shared<spdlog::logger>("test"), 1);
  report::StageRecord st;
  ctx.stage = &st;
  ctx.layer_rules = pass::LayerRules({{"Conv_1", true, false, {}}}, pass::parse_pipeline("prune-channels"), "r.yaml");
  Model out = m;
  ctx.run_pass(info, pass::make_options(info, {{"ratio", "0.5"}}), out);
  REQUIRE(out.proto().SerializeAsString() == m.proto().SerializeAsString());
  std::string notes;
  for (const auto& n : st.notes) notes += n + "\n";
  REQUIRE_THAT(notes, Catch::Contains("layer rule excludes"));
}

TEST_CASE("prune-channels: MaxPool, a flattening Reshape with the size spelled out, MatMul", "[passes][prune]") {
  const std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 2, 4, 4] x) => (float[N, 4] y)
<)" + weight("wa", {3, 2, 3, 3}, 16, {1}) + ", int64[2] shp = {-1, 12}, " + weight("wm", {12, 4}, 17) + R"(>
{
  a = Conv <pads = [1, 1, 1, 1]> (x, wa)
  p = MaxPool <kernel_shape = [2, 2], strides = [2, 2]> (a)
  r = Reshape (p, shp)
  y = MatMul (r, wm)
}
)";
  Model m = parse_model_text(text);
  Model out = apply(m, "prune-channels", {{"ratio", "0.3"}});
  REQUIRE(dims(init(out, "Conv_0", 1)) == std::vector<int64_t>{2, 2, 3, 3});
  REQUIRE(dims(init(out, "MatMul_3", 1)) == std::vector<int64_t>{8, 4});
  const onnx::TensorProto& shp = init(out, "Reshape_2", 1);
  REQUIRE(read_initializer(out, shp).to_int64_vector() == std::vector<int64_t>{-1, 8});
  REQUIRE(max_diff(m, out) < 1e-5);
}
