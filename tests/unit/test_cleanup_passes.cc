// Cleanup passes: small models in ONNX text syntax, before/after node counts, the ONNX
// checker, shape inference and outputs within 1e-4 of the original on random inputs.
#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "ir/text_format.h"
#include "pass_test_util.h"

using namespace edge;
using namespace edge::test;

namespace {

// "{v0, v1, ...}" with n seeded values in [lo, hi).
std::string values(int n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::ostringstream os;
  os << "{";
  for (int i = 0; i < n; ++i) os << (i ? ", " : "") << dist(rng);
  os << "}";
  return os.str();
}

std::string bn_params(const std::string& prefix, int c, uint32_t seed) {
  return "float[" + std::to_string(c) + "] " + prefix + "s = " + values(c, seed, 0.5f, 1.5f) + ", float[" +
         std::to_string(c) + "] " + prefix + "b = " + values(c, seed + 1) + ", float[" + std::to_string(c) + "] " +
         prefix + "m = " + values(c, seed + 2) + ", float[" + std::to_string(c) + "] " + prefix +
         "v = " + values(c, seed + 3, 0.1f, 2.f);
}

}  // namespace

TEST_CASE("fold-constants folds constant subgraphs into initializers", "[passes]") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y, float[4] k)
<float[4] a = {1.0, 2.0, 3.0, 4.0}, int64[2] shp = {2, 2}>
{
  c = Constant<value = float[4] {0.5, 0.5, 0.5, 0.5}>()
  s = Add(a, c)
  r = Reshape(s, shp)
  f = Flatten<axis = 0>(r)
  t = Mul(x, f)
  y = Relu(t)
  k = Sub(a, c)
}
)";
  Model m = parse_model_text(text);
  report::StageRecord st;
  Model out = apply(m, "fold-constants", {}, &st);
  REQUIRE(out.graph().node_size() == 2);
  REQUIRE(count_op(out, "Constant") == 0);
  REQUIRE(st.metrics.at("folded_nodes") == 4);
  REQUIRE(max_diff(m, out) < 1e-4);
  // Deterministic: the same input gives the same bytes.
  REQUIRE(apply(m, "fold-constants").proto().SerializeAsString() == out.proto().SerializeAsString());

  // Values above max_bytes stay computed by their nodes.
  Model small = apply(m, "fold-constants", {{"max_bytes", "8"}});
  REQUIRE(small.graph().node_size() > 2);
  REQUIRE(max_diff(m, small) < 1e-4);
}

TEST_CASE("fold-constants leaves random ops, graph inputs and subgraphs alone", "[passes]") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[4] x, float[4] w) => (float[4] y, float[4] z)
<float[4] w = {1.0, 2.0, 3.0, 4.0}, float[4] a = {1.0, 1.0, 1.0, 1.0}>
{
  r = RandomUniformLike(a)
  z = Add(r, w)
  y = Mul(x, a)
}
)";
  Model m = parse_model_text(text);
  Model out = apply(m, "fold-constants");
  REQUIRE(out.graph().node_size() == 3);

  // IR 3: initializers are listed as inputs; a folded graph output would have to be an
  // input too, so its node stays, while the others fold into initializer + input pairs.
  const char* ir3 = R"(
<ir_version: 3, opset_import: ["" : 8]>
g (float[4] x, float[4] a) => (float[4] y, float[4] k)
<float[4] a = {1.0, -2.0, 3.0, -4.0}>
{
  k = Neg(a)
  b = Abs(a)
  y = Add(x, b)
}
)";
  Model m3 = parse_model_text(ir3);
  Model out3 = apply(m3, "fold-constants");
  REQUIRE(out3.graph().node_size() == 2);
  REQUIRE(count_op(out3, "Abs") == 0);
  REQUIRE(out3.graph().input_size() == 3);
  REQUIRE(max_diff(m3, out3) < 1e-6);
}

TEST_CASE("fuse-bn folds BatchNormalization into Conv, ConvTranspose and Gemm", "[passes]") {
  std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 2, 6, 6] x, float[N, 6] v)
  => (float[N, 4, 6, 6] y, float[N, 2, 6, 6] d, float[N, 4, 7, 7] u, float[N, 3] p, float[N, 3] q)
<float[4, 2, 3, 3] W = )" + values(72, 1) + R"(, float[4] B = )" + values(4, 2) + R"(,
 float[2, 1, 3, 3] D = )" + values(18, 3) + R"(, float[2, 2, 2, 2] T = )" + values(16, 4) + R"(,
 float[3, 6] G = )" + values(18, 5) + R"(, float[6, 3] H = )" + values(18, 6) + R"(, float[3] C = )" +
                     values(3, 7) + R"(,
 )" + bn_params("a", 4, 10) + ", " + bn_params("d", 2, 20) + ", " + bn_params("t", 4, 30) + ", " +
                     bn_params("g", 3, 40) + ", " + bn_params("h", 3, 50) + R"(>
{
  c = Conv<pads = [1, 1, 1, 1]>(x, W, B)
  y = BatchNormalization<epsilon = 0.001>(c, as, ab, am, av)
  e = Conv<pads = [1, 1, 1, 1], group = 2>(x, D)
  d = BatchNormalization(e, ds, db, dm, dv)
  t = ConvTranspose<group = 2>(x, T)
  u = BatchNormalization(t, ts, tb, tm, tv)
  k = Gemm<transB = 1, alpha = 0.5, beta = 2.0>(v, G, C)
  p = BatchNormalization(k, gs, gb, gm, gv)
  l = Gemm(v, H)
  q = BatchNormalization(l, hs, hb, hm, hv)
}
)";
  Model m = parse_model_text(text);
  report::StageRecord st;
  Model out = apply(m, "fuse-bn", {}, &st);
  REQUIRE(count_op(out, "BatchNormalization") == 0);
  REQUIRE(out.graph().node_size() == 5);
  REQUIRE(st.layers.size() == 5);
  REQUIRE(st.layers[0].metrics.at("fused_bn") == 1);
  for (const auto& init : out.graph().initializer()) REQUIRE((init.name() != "as" && init.name() != "av"));
  REQUIRE(max_diff(m, out) < 1e-4);
}

TEST_CASE("fuse-bn copies shared weights and skips convs with other readers", "[passes]") {
  std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 2, 5, 5] x) => (float[1, 2, 5, 5] y, float[1, 2, 5, 5] z, float[1, 2, 5, 5] w)
<float[2, 2, 1, 1] W = )" + values(4, 1) + ", " + bn_params("a", 2, 10) + ", " + bn_params("b", 2, 20) + R"(>
{
  c1 = Conv(x, W)
  y = BatchNormalization(c1, as, ab, am, av)
  c2 = Conv(x, W)
  z = BatchNormalization(c2, bs, bb, bm, bv)
  c3 = Conv(x, W)
  n = BatchNormalization(c3, as, ab, am, av)
  w = Add(n, c3)
}
)";
  Model m = parse_model_text(text);
  Model out = apply(m, "fuse-bn");
  REQUIRE(count_op(out, "BatchNormalization") == 1);  // c3 has a second reader
  REQUIRE(max_diff(m, out) < 1e-4);
}

TEST_CASE("remove-identity rewires readers and keeps graph outputs valid", "[passes]") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y, float[N, 4] x2, float[N, 4] m2, float[N, 4] o)
<float[4] b = {1.0, -2.0, 3.0, -4.0}>
{
  a = Add(x, b)
  i1 = Identity(a)
  d = Dropout(i1)
  y = Relu(d)
  x2 = Identity(x)
  m = Mul(x, b)
  m2 = Identity(m)
  p = Sub(m2, a)
  q = Dropout(p)
  o = Identity(q)
}
)";
  Model m = parse_model_text(text);
  report::StageRecord st;
  Model out = apply(m, "remove-identity", {}, &st);
  REQUIRE(count_op(out, "Identity") == 1);  // x2 = Identity(x): input is a graph input
  REQUIRE(count_op(out, "Dropout") == 0);
  REQUIRE(out.graph().node_size() == 5);
  REQUIRE(max_diff(m, out) < 1e-4);

  // A Dropout whose mask is read stays.
  const char* mask = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[4] x) => (float[4] y, bool[4] k) {
  a = Relu(x)
  y, k = Dropout(a)
})";
  REQUIRE(count_op(apply(parse_model_text(mask), "remove-identity"), "Dropout") == 1);
}

TEST_CASE("eliminate-dead removes unused nodes and initializers", "[passes]") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[4] x, bool c) => (float[4] y)
<float[4] w = {1.0, 2.0, 3.0, 4.0}, float[4] unused = {0.0, 0.0, 0.0, 0.0}, float[4] v = {1.0, 1.0, 1.0, 1.0}>
{
  a = Add(x, w)
  dead = Mul(a, unused)
  dead2 = Relu(dead)
  outer = Mul(x, v)
  y = If(c) <then_branch = t () => (float[4] r) { r = Add(a, outer) },
             else_branch = e () => (float[4] r2) { k = Relu(x)  r2 = Neg(a) }>
}
)";
  Model m = parse_model_text(text);
  Model out = apply(m, "eliminate-dead");
  REQUIRE(out.graph().node_size() == 3);
  REQUIRE(out.graph().initializer_size() == 2);
  REQUIRE(out.graph().node(2).attribute_size() == 2);
  for (const auto& a : out.graph().node(2).attribute()) REQUIRE(a.g().node_size() == 1);
  Tensor x = Tensor::from_vector<float>({4}, {1, -2, 3, -4});
  for (bool c : {true, false}) {
    rt::NamedTensors feeds = {{"x", x}, {"c", Tensor::scalar<bool>(c)}};
    REQUIRE(max_diff(m, out, feeds) < 1e-6);
  }
}

TEST_CASE("eliminate-dead drops graph.input entries of unused initializers in IR 3", "[passes]") {
  const char* text = R"(
<ir_version: 3, opset_import: ["" : 8]>
g (float[4] x, float[4] w, float[4] unused) => (float[4] y)
<float[4] w = {1.0, 2.0, 3.0, 4.0}, float[4] unused = {0.0, 0.0, 0.0, 0.0}>
{
  y = Add(x, w)
}
)";
  Model m = parse_model_text(text);
  Model out = apply(m, "eliminate-dead");
  REQUIRE(out.graph().initializer_size() == 1);
  REQUIRE(out.graph().input_size() == 2);
  REQUIRE(max_diff(m, out) < 1e-6);
}

TEST_CASE("dedupe-initializers merges identical initializers", "[passes]") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[4] x, bool c) => (float[4] y)
<float[4] a = {1.0, 2.0, 3.0, 4.0}, float[4] b = {1.0, 2.0, 3.0, 4.0}, float[2, 2] s = {1.0, 2.0, 3.0, 4.0},
 float[4] d = {1.0, 2.0, 3.0, 5.0}, float[4] e = {1.0, 2.0, 3.0, 4.0}>
{
  p = Add(x, a)
  q = Mul(p, b)
  r = Sub(q, d)
  y = If(c) <then_branch = t () => (float[4] o) { o = Add(r, e) },
             else_branch = f () => (float[4] o2) { o2 = Mul(r, b) }>
}
)";
  Model m = parse_model_text(text);
  report::StageRecord st;
  Model out = apply(m, "dedupe-initializers", {}, &st);
  REQUIRE(out.graph().initializer_size() == 3);  // a, s (other shape), d (other bytes)
  REQUIRE(st.metrics.at("merged_initializers") == 2);
  REQUIRE(out.graph().node(1).input(1) == "a");
  Tensor x = Tensor::from_vector<float>({4}, {1, -2, 3, -4});
  for (bool c : {true, false}) {
    REQUIRE(max_diff(m, out, {{"x", x}, {"c", Tensor::scalar<bool>(c)}}) < 1e-6);
  }
}

TEST_CASE("simplify-shapes turns static shapes into constants and removes no-ops", "[passes]") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 15]>
g (float[2, 8] x) => (float[2, 8] y, int64[1] tail)
{
  s = Shape(x)
  r = Reshape(x, s)
  c = Cast<to = 1>(r)
  e = Expand(c, s)
  y = Relu(e)
  tail = Shape<start = -1>(x)
  z = Cast<to = 7>(x)
}
)";
  Model m = parse_model_text(text);
  report::StageRecord st;
  Model out = apply(m, "simplify-shapes", {}, &st);
  REQUIRE(count_op(out, "Shape") == 0);
  REQUIRE(count_op(out, "Reshape") == 0);
  REQUIRE(count_op(out, "Expand") == 0);
  REQUIRE(out.graph().node_size() == 2);  // Relu, and the Cast to int64 (not a no-op)
  REQUIRE(st.metrics.at("shape_constants") == 2);
  REQUIRE(max_diff(m, out) < 1e-6);
  Model cleaned = apply(out, "eliminate-dead");
  REQUIRE(cleaned.graph().node_size() == 1);
}

TEST_CASE("fuse-bn folds BatchNormalization inside If branches with the branch's own weights", "[passes]") {
  const std::string then_branch = R"(then_branch = g1 () => (float[1, 2, 5, 5] r1)
      <float[2, 2, 1, 1] W1 = )" + values(4, 1) + ", " + bn_params("a", 2, 10) + R"(>
      { c1 = Conv(x, W1)
        r1 = BatchNormalization(c1, as, ab, am, av) })";
  const std::string else_branch = R"(else_branch = g2 () => (float[1, 2, 5, 5] r2)
      <float[2, 2, 1, 1] W2 = )" + values(4, 2) + ", " + bn_params("b", 2, 20) + R"(>
      { c2 = Conv(x, W2)
        r2 = BatchNormalization(c2, bs, bb, bm, bv) })";
  std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[1, 2, 5, 5] x) => (float[1, 2, 5, 5] y)
{
  y = If<)" + then_branch + ", " + else_branch + R"(>(c)
}
)";
  Model m = parse_model_text(text);
  report::StageRecord st;
  Model out = apply(m, "fuse-bn", {}, &st);
  REQUIRE(st.metrics.at("fused_bn") == 2);
  REQUIRE(st.metrics.at("fused_bn_in_subgraphs") == 2);
  for (const auto& branch : out.graph().node(0).attribute()) {
    REQUIRE(branch.g().node_size() == 1);  // Conv only
    REQUIRE(branch.g().node(0).op_type() == "Conv");
    REQUIRE(branch.g().initializer_size() == 2);  // folded weight and bias; BN parameters gone
  }
  for (bool cond : {true, false}) {
    rt::NamedTensors feeds = random_feeds(parse_model_text(
        "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[1, 2, 5, 5] x) => (float[1, 2, 5, 5] y) { y = Relu(x) }"), 1, 3);
    feeds.insert(feeds.begin(), {"c", Tensor::from_vector<bool>({}, {cond})});
    REQUIRE(max_diff(m, out, feeds) < 1e-4);
  }
}

TEST_CASE("fuse-bn folds a per-channel constant bias Add into the Conv's bias", "[passes]") {
  std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 2, 6, 6] x) => (float[N, 4, 6, 6] y, float[N, 4, 6, 6] z, float[N, 4, 6, 6] s, float[N, 4, 6, 6] w)
<float[4, 2, 3, 3] W = )" + values(72, 1) + R"(, float[4] B = )" + values(4, 2) + R"(,
 float[4, 1, 1] A = )" + values(4, 3) + R"(, float[1, 4, 1, 1] A2 = )" + values(4, 4) + R"(,
 float[1] k = {0.25}, float[6, 6] P = )" + values(36, 5) + R"(>
{
  c1 = Conv<pads = [1, 1, 1, 1]>(x, W)
  y = Add(c1, A)
  c2 = Conv<pads = [1, 1, 1, 1]>(x, W, B)
  z = Add(A2, c2)
  c3 = Conv<pads = [1, 1, 1, 1]>(x, W, B)
  s = Add(c3, k)
  c4 = Conv<pads = [1, 1, 1, 1]>(x, W)
  w = Add(c4, P)
}
)";
  Model m = parse_model_text(text);
  report::StageRecord st;
  Model out = apply(m, "fuse-bn", {}, &st);
  REQUIRE(count_op(out, "Add") == 1);  // the [6, 6] addend varies within a channel: kept
  REQUIRE(count_op(out, "Conv") == 4);
  REQUIRE(st.metrics.at("fused_bias_add") == 3);
  REQUIRE(max_diff(m, out) < 1e-4);
}
