// Prune stage: weight selection (which initializers are prunable and why not),
// the magnitude cut (exact counts, ties, determinism), the N:M pattern along
// the reduction dim, the sensitivity allocation, the "edge.pruned" record, and
// the passes on small text models.
#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "ir/graph_edit.h"
#include "ir/text_format.h"
#include "pass/pipeline.h"
#include "pass_test_util.h"
#include "passes/prune/prune_common.h"
#include "passes/prune/prune_record.h"
#include "passes/prune/sensitivity.h"

using namespace edge;
using namespace edge::test;
using namespace edge::pass::prune;

namespace {

std::string values(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::ostringstream os;
  os << "{";
  for (int i = 0; i < n; ++i) os << (i ? ", " : "") << dist(rng);
  os << "}";
  return os.str();
}

// Conv [8,4,3,3] + bias, Gemm transB=1 [8, 32], MatMul B [8, 8] shared with a
// second MatMul, a tiny Gemm [2, 8] (below min_params 128 in the passes'
// default), a weight also read by Add.
std::string model_text(int ir = 8) {
  return "<ir_version: " + std::to_string(ir) + R"(, opset_import: ["" : 13]>
g (float[N, 4, 4, 4] x) => (float[N, 8] y, float[N, 2] z, float[N, 8] q)
<float[8, 4, 3, 3] wc = )" +
         values(288, 1) + R"(, float[8] bc = )" + values(8, 2) + R"(, float[8, 32] wg = )" + values(256, 3) +
         R"(, float[8] bg = )" + values(8, 4) + R"(, float[8, 8] wm = )" + values(64, 5) + R"(, float[2, 8] wt = )" +
         values(16, 6) + R"(, float[8] wa = )" + values(8, 7) + R"(, int64[2] shp = {-1, 32}>
{
  c = Conv<pads = [1, 1, 1, 1], strides = [2, 2]>(x, wc, bc)
  r = Relu(c)
  f = Reshape(r, shp)
  g = Gemm<transB = 1>(f, wg, bg)
  g2 = Add(g, wa)
  m1 = MatMul(g2, wm)
  m2 = MatMul(g2, wm)
  y = Add(m1, m2)
  z = Gemm<transB = 1>(y, wt)
  q = Mul(g2, wa)
}
)";
}

PruneTargets targets(const Model& m, int64_t min_params, const std::string& excluded = "") {
  return find_prune_targets(m, [&](const onnx::NodeProto& n) { return LayerPolicy{n.name() == excluded, min_params}; });
}

const PruneUnit* unit(const PruneTargets& t, const std::string& init) {
  for (const auto& u : t.units)
    if (u.initializer == init) return &u;
  return nullptr;
}

Tensor init(const Model& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return read_initializer(m, t);
  FAIL("no initializer " << name);
  return {};
}

}  // namespace

TEST_CASE("prune targets: layer weights only, shared once, skipped with reasons", "[prune]") {
  Model m = parse_model_text(model_text());
  PruneTargets t = targets(m, 0);
  REQUIRE(t.units.size() == 4);
  REQUIRE(unit(t, "wc"));
  REQUIRE(unit(t, "wg"));
  REQUIRE(unit(t, "wt"));
  const PruneUnit* wm = unit(t, "wm");
  REQUIRE(wm);
  REQUIRE(wm->layers.size() == 2);  // shared by two MatMuls: one unit
  REQUIRE(!unit(t, "bc"));          // biases never
  REQUIRE(!unit(t, "wa"));

  // min_params and exclusion.
  t = targets(m, 128, m.graph().node(0).name());
  REQUIRE(t.units.size() == 1);
  REQUIRE(t.units[0].initializer == "wg");
  REQUIRE(t.skipped.size() >= 3);

  // A weight also read as something else than a layer weight is left alone.
  Model m2 = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 8] x) => (float[N, 8] y, float[8, 8] w2)
<float[8, 8] w = )" + values(64, 9) +
                              R"(>
{
  y = MatMul(x, w)
  w2 = Relu(w)
}
)");
  t = targets(m2, 0);
  REQUIRE(t.units.empty());
  REQUIRE(t.skipped.size() == 1);
  CHECK(t.skipped[0].why.find("also read by") != std::string::npos);
}

TEST_CASE("prune targets: overridable graph inputs are not pruned, IR 3 listed weights are", "[prune]") {
  std::string text = model_text();
  // IR 8: a weight listed as a graph input is an overridable default.
  Model m = parse_model_text(text);
  auto* in = m.graph().add_input();
  in->set_name("wg");
  in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  PruneTargets t = targets(m, 0);
  REQUIRE(!unit(t, "wg"));
  bool said = false;
  for (const auto& s : t.skipped) said = said || s.why.find("graph input") != std::string::npos;
  REQUIRE(said);
  // IR 3 lists every initializer as an input and means constants.
  m.proto().set_ir_version(3);
  REQUIRE(unit(targets(m, 0), "wg"));
}

TEST_CASE("reduction layouts follow the input-channel / K dimension", "[prune]") {
  onnx::NodeProto conv, gemm, gemm_t, matmul, convt;
  conv.set_op_type("Conv");
  auto l = reduction_layout(conv, 1, Shape{8, 4, 3, 3});
  REQUIRE(l);
  CHECK((l->outer == 8 && l->k == 4 && l->inner == 9 && l->k_block == 4));
  gemm.set_op_type("Gemm");
  l = reduction_layout(gemm, 1, Shape{32, 6});  // [K, N]
  CHECK((l->outer == 1 && l->k == 32 && l->inner == 6));
  gemm_t = gemm;
  auto* a = gemm_t.add_attribute();
  a->set_name("transB");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(1);
  l = reduction_layout(gemm_t, 1, Shape{6, 32});  // [N, K]
  CHECK((l->outer == 6 && l->k == 32 && l->inner == 1));
  matmul.set_op_type("MatMul");
  l = reduction_layout(matmul, 1, Shape{2, 16, 5});  // B [batch, K, N]
  CHECK((l->outer == 2 && l->k == 16 && l->inner == 5));
  l = reduction_layout(matmul, 0, Shape{5, 16});  // constant A [M, K]
  CHECK((l->outer == 5 && l->k == 16 && l->inner == 1));
  convt.set_op_type("ConvTranspose");
  auto* g = convt.add_attribute();
  g->set_name("group");
  g->set_type(onnx::AttributeProto::INT);
  g->set_i(2);
  l = reduction_layout(convt, 1, Shape{8, 3, 2, 2});  // [C, M/g, k, k]
  CHECK((l->outer == 1 && l->k == 8 && l->inner == 12 && l->k_block == 4));
}

TEST_CASE("magnitude cut: exact count, ties in order, NaN kept", "[prune]") {
  Tensor a = Tensor::from_vector<float>({6}, {0.5f, -0.1f, 0.3f, 0.1f, -0.3f, 2.f});
  Tensor b = Tensor::from_vector<float>({4}, {0.1f, std::nanf(""), -0.05f, 1.f});
  MagnitudeCut cut = magnitude_cut({&a, &b}, 4);  // 0.05, then three of the four 0.1/0.3 ... in order
  CHECK(cut.threshold == Approx(0.1f));
  CHECK(cut.ties == 3);
  REQUIRE(apply_cut({&a, &b}, cut) == 4);
  CHECK(a.data<float>()[1] == 0.f);
  CHECK(a.data<float>()[3] == 0.f);
  CHECK(b.data<float>()[0] == 0.f);
  CHECK(b.data<float>()[2] == 0.f);
  CHECK(std::isnan(b.data<float>()[1]));
  // Ties: only the first of equal magnitudes go.
  Tensor c = Tensor::from_vector<float>({4}, {1.f, -1.f, 1.f, 1.f});
  prune_to_sparsity(c, 0.5);
  CHECK((c.data<float>()[0] == 0.f && c.data<float>()[1] == 0.f && c.data<float>()[2] == 1.f));
  // sparsity 0 changes nothing; rounding of k.
  Tensor d = Tensor::from_vector<float>({3}, {1.f, 2.f, 3.f});
  prune_to_sparsity(d, 0.0);
  CHECK(count_zeros(d) == 0);
  prune_to_sparsity(d, 0.5);  // round(1.5) = 2
  CHECK(count_zeros(d) == 2);
}

TEST_CASE("N:M keeps the n largest of every m along the reduction dim", "[prune]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  ReductionLayout l{3, 8, 5, 8, "K"};
  Tensor w(DType::kFloat, Shape{3, 8, 5});
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = dist(rng);
  const Tensor before = w.clone();
  REQUIRE(prune_nm(w, l, 2, 4) == w.numel() / 2);
  REQUIRE(satisfies_nm(w, l, 2, 4));
  REQUIRE(!satisfies_nm(before, l, 2, 4));
  // The kept ones are the two largest of each group.
  for (int64_t o = 0; o < 3; ++o)
    for (int64_t k0 = 0; k0 < 8; k0 += 4)
      for (int64_t in = 0; in < 5; ++in) {
        float min_kept = 10, max_dropped = -1;
        for (int j = 0; j < 4; ++j) {
          const int64_t e = (o * 8 + k0 + j) * 5 + in;
          const float a = std::fabs(before.data<float>()[e]);
          if (w.data<float>()[e] != 0.f)
            min_kept = std::min(min_kept, a);
          else
            max_dropped = std::max(max_dropped, a);
        }
        CHECK(min_kept >= max_dropped);
      }
  ReductionLayout bad{1, 6, 1, 6, "K"};
  Tensor v(DType::kFloat, Shape{6});
  REQUIRE_THROWS(prune_nm(v, bad, 2, 4));
  REQUIRE_THROWS(prune_nm(w, l, 5, 4));
}

TEST_CASE("sensitivity allocation prunes the flat curves first and meets the total", "[prune]") {
  SensitivityTable t;
  t.has_labels = true;
  t.dense.loss = 1.0;
  t.levels = {0.5, 0.9};
  SensitivityCurve flat{"a", "a", "Gemm", 1000, {}}, steep{"b", "b", "Gemm", 1000, {}};
  flat.points = {{0.5, 1.01, 0, 0, 0}, {0.9, 1.02, 0, 0, 0}};
  steep.points = {{0.5, 1.5, 0, 0, 0}, {0.9, 3.0, 0, 0, 0}};
  t.curves = {flat, steep};
  auto s = allocate_sparsity(t, 1000);  // 50 % in all
  CHECK(s[0] == Approx(0.9));
  CHECK(s[1] == Approx(0.1));
  CHECK((s[0] + s[1]) * 1000 == Approx(1000));
  s = allocate_sparsity(t, 0);
  CHECK((s[0] == 0 && s[1] == 0));
}

TEST_CASE("edge.pruned metadata merges and reads back", "[prune]") {
  Model m = parse_model_text(model_text());
  REQUIRE(read_pruned(m).empty());
  record_pruned(m, {});
  REQUIRE(m.proto().metadata_props_size() == 0);  // nothing pruned, nothing recorded
  record_pruned(m, {{"wc", "magnitude"}});
  record_pruned(m, {{"wg", nm_method(2, 4)}});
  auto r = read_pruned(m);
  REQUIRE(r.size() == 2);
  CHECK(r["wc"] == "magnitude");
  CHECK(r["wg"] == "nm:2:4");
  auto* p = m.proto().add_metadata_props();
  p->set_key("other");
  m.proto().mutable_metadata_props(0)->set_value("[1]");
  REQUIRE_THROWS(read_pruned(m));
}

TEST_CASE("parse_levels refuses values outside 0 to 1 (1 excluded)", "[prune]") {
  CHECK(parse_levels("0.9,0.5,0.5", "x") == std::vector<double>{0.5, 0.9});
  REQUIRE_THROWS(parse_levels("0.5,1", "x"));
  REQUIRE_THROWS(parse_levels("0.5,,0.7", "x"));
  REQUIRE_THROWS(parse_levels("-0.1", "x"));
}

TEST_CASE(
    "prune-magnitude global: one threshold, exact total, recorded, "
    "deterministic",
    "[prune]") {
  Model m = parse_model_text(model_text());
  report::StageRecord st;
  Model out = apply(m, "prune-magnitude", {{"sparsity", "0.8"}, {"min_params", "0"}}, &st);
  const std::vector<std::string> names{"wc", "wg", "wm", "wt"};
  int64_t zeros = 0, params = 0;
  float max_zeroed = 0, min_kept = 1e9f;
  for (const auto& n : names) {
    const Tensor a = init(m, n), b = init(out, n);
    params += a.numel();
    zeros += count_zeros(b);
    for (int64_t i = 0; i < a.numel(); ++i) {
      if (b.data<float>()[i] == 0.f)
        max_zeroed = std::max(max_zeroed, std::fabs(a.data<float>()[i]));
      else {
        min_kept = std::min(min_kept, std::fabs(a.data<float>()[i]));
        CHECK(b.data<float>()[i] == a.data<float>()[i]);
      }
    }
  }
  CHECK(zeros == std::llround(0.8 * params));
  CHECK(max_zeroed <= min_kept);
  CHECK(count_zeros(init(out, "bc")) == 0);  // biases untouched
  CHECK(st.metrics.at("sparsity") == Approx(0.8).margin(1e-3));
  REQUIRE(st.layers.size() == 4);
  CHECK(read_pruned(out).size() == 4);
  CHECK(apply(m, "prune-magnitude", {{"sparsity", "0.8"}, {"min_params", "0"}}).proto().SerializeAsString() ==
        out.proto().SerializeAsString());
}

TEST_CASE("prune-magnitude layer scope: every layer at the sparsity", "[prune]") {
  Model m = parse_model_text(model_text());
  Model out = apply(m, "prune-magnitude", {{"sparsity", "0.5"}, {"scope", "layer"}, {"min_params", "0"}});
  for (const char* n : {"wc", "wg", "wm", "wt"}) {
    const Tensor w = init(out, n);
    CHECK(count_zeros(w) == std::llround(0.5 * static_cast<double>(w.numel())));
  }
}

TEST_CASE("prune-nm: the pattern holds in every pruned weight, short K is left dense", "[prune]") {
  Model m = parse_model_text(model_text());
  report::StageRecord st;
  Model out = apply(m, "prune-nm", {{"min_params", "0"}}, &st);
  const PruneTargets t = targets(out, 0);
  int pruned = 0;
  for (const auto& u : t.units) {
    const Tensor w = init(out, u.initializer);
    REQUIRE(u.reduction);
    REQUIRE(satisfies_nm(w, *u.reduction, 2, 4));
    pruned += count_zeros(w) > 0;
  }
  CHECK(pruned == 4);
  CHECK(read_pruned(out).at("wg") == "nm:2:4");
  REQUIRE_THROWS(apply(m, "prune-nm", {{"n", "5"}, {"m", "4"}}));
}

TEST_CASE("a model without prunable layers is left unchanged with a note", "[prune]") {
  Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y)
<float[4] b = {1.0, 2.0, 3.0, 4.0}>
{
  y = Add(x, b)
}
)");
  report::StageRecord st;
  Model out = apply(m, "prune-magnitude", {}, &st);
  CHECK(out.proto().SerializeAsString() == m.proto().SerializeAsString());
  bool noted = false;
  for (const auto& n : st.notes) noted = noted || n.find("nothing to prune") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("a list option takes the comma items after it in --passes", "[prune]") {
  auto p = pass::parse_pipeline("sensitivity<sparsities=0.3,0.6,samples=8>,prune-nm<n=1,m=2>");
  REQUIRE(p.size() == 2);
  CHECK(p[0].options.get_string("sparsities") == "0.3,0.6");
  CHECK(p[0].options.get_int("samples") == 8);
  CHECK(pass::canonical_pipeline(pass::parse_pipeline(pass::canonical_pipeline(p))) == pass::canonical_pipeline(p));
  REQUIRE_THROWS_WITH(pass::parse_pipeline("prune-nm<n=1,2>"), Catch::Contains("needs a value"));
}
