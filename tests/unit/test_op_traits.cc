// Op traits (lib/ir/op_traits.def): the table itself, MAC formulas on known shapes, weight
// channel layouts, and saturating MAC/parameter/byte totals in the model summary.
#include <catch2/catch.hpp>
#include <limits>
#include <set>

#include "ir/graph_index.h"
#include "ir/model_summary.h"
#include "ir/op_traits.h"
#include "ir/saturating.h"
#include "ir/text_format.h"

using namespace edge;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

onnx::NodeProto node(const std::string& op, std::vector<std::pair<std::string, int64_t>> attrs = {}) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(op);
  for (const auto& [name, v] : attrs) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  return n;
}

// MACs of the single computing node of a one-node model in text syntax (shapes inferred).
int64_t model_macs(const std::string& text) {
  Model m = parse_model_text(text);
  GraphIndex idx(m.graph());
  return node_macs(m.graph().node(m.graph().node_size() - 1), idx);
}

}  // namespace

TEST_CASE("op traits table: one row per op, weights where expected", "[op_traits]") {
  std::set<std::string> seen;
  for (const auto& t : all_op_traits()) {
    INFO(t.op_type);
    REQUIRE(seen.insert(t.op_type).second);
    // A MAC rule needs a weight; a channel axis needs a weight.
    if (t.mac_rule != MacRule::kNone || t.channel_axis != ChannelAxis::kNone) REQUIRE(t.weight_input >= 0);
    if (t.has(kShapeOnly)) REQUIRE(t.has(kQuantPassThrough));
  }
  REQUIRE(op_traits("Conv").weight_input == 1);
  REQUIRE(op_traits("Conv").bias_input == 2);
  REQUIRE(op_traits("QLinearConv").weight_input == 3);
  REQUIRE(op_traits("QLinearConv").bias_input == 8);
  REQUIRE(op_traits("MatMul").bias_input == -1);
  REQUIRE(op_traits("Relu").has(kElementwiseUnary));
  REQUIRE(op_traits("Clip").elementwise());
  REQUIRE(op_traits("Add").has(kElementwiseBinary));
  REQUIRE(op_traits("Reshape").has(kShapeOnly));
  REQUIRE_FALSE(op_traits("Relu").has(kShapeOnly));
  REQUIRE(op_traits("MaxPool").has(kQuantPassThrough));
  REQUIRE_FALSE(op_traits("MaxPool").has(kShapeOnly));
  const OpTraits& none = op_traits("Frobnicate");
  REQUIRE(none.weight_input == -1);
  REQUIRE(none.flags == 0);
  onnx::NodeProto custom = node("Conv");
  custom.set_domain("com.acme");
  REQUIRE(op_traits(custom).weight_input == -1);
}

TEST_CASE("MACs of Conv count groups", "[op_traits]") {
  // 16 output channels, 2 groups of 4 input channels each, 3x3, same padding: every output
  // element sums 4 * 3 * 3 products.
  REQUIRE(model_macs(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 8, 10, 10] x, float[16, 4, 3, 3] w) => (float[1, 16, 10, 10] y)
{ y = Conv<group = 2, pads = [1, 1, 1, 1]>(x, w) }
)") == 16 * 10 * 10 * 4 * 3 * 3);
  // Dynamic batch counts as 1.
  REQUIRE(model_macs(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 3, 8, 8] x, float[6, 3, 3, 3] w) => (float[N, 6, 6, 6] y)
{ y = Conv(x, w) }
)") == 6 * 6 * 6 * 3 * 3 * 3);
  // Output shape unknown: not counted.
  NodeShapes s{{Shape{1, 3, 8, 8}, Shape{6, 3, 3, 3}}, {std::nullopt}};
  REQUIRE(node_macs(node("Conv"), s) == -1);
}

TEST_CASE("MACs of ConvTranspose, Gemm (transA/transB) and MatMul", "[op_traits]") {
  // ConvTranspose: every input element scatters into (M/group) * k*k outputs.
  NodeShapes ct{{Shape{1, 4, 5, 5}, Shape{4, 2, 3, 3}}, {Shape{1, 2, 7, 7}}};
  REQUIRE(node_macs(node("ConvTranspose"), ct) == 100 * 2 * 9);
  NodeShapes ctg{{Shape{1, 4, 5, 5}, Shape{4, 1, 3, 3}}, {Shape{1, 2, 7, 7}}};
  REQUIRE(node_macs(node("ConvTranspose", {{"group", 2}}), ctg) == 100 * 9);

  REQUIRE(model_macs(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[4, 32] a, float[10, 32] b) => (float[4, 10] y)
{ y = Gemm<transB = 1>(a, b) }
)") == 4 * 10 * 32);
  // transA: A is [K, M], so K is its first dim.
  NodeShapes ta{{Shape{32, 4}, Shape{32, 10}}, {Shape{4, 10}}};
  REQUIRE(node_macs(node("Gemm", {{"transA", 1}}), ta) == 4 * 10 * 32);
  REQUIRE(node_macs(node("Gemm"), ta) == 4 * 10 * 4);

  REQUIRE(model_macs(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2, 3, 5, 7] a, float[7, 4] b) => (float[2, 3, 5, 4] y)
{ y = MatMul(a, b) }
)") == 2 * 3 * 5 * 4 * 7);
  REQUIRE(node_macs(node("Relu"), NodeShapes{{Shape{4}}, {Shape{4}}}) == -1);
}

TEST_CASE("MACs saturate instead of overflowing", "[op_traits]") {
  const int64_t big = int64_t{1} << 31;
  NodeShapes s{{Shape{big, big}, Shape{big, big}}, {Shape{big, big}}};
  REQUIRE(node_macs(node("MatMul"), s) == kMax);
  NodeShapes neg{{Shape{-1, 4}, Shape{4, 4}}, {Shape{-1, 4}}};
  REQUIRE(node_macs(node("MatMul"), neg) == -1);
  REQUIRE(sat_add(kMax - 1, int64_t{5}) == kMax);
  REQUIRE(sat_mul(uint64_t{1} << 40, uint64_t{1} << 40) == std::numeric_limits<uint64_t>::max());
}

TEST_CASE("weight channel layouts follow the op's channel axis", "[op_traits]") {
  auto conv = weight_channels(node("Conv"), Shape{6, 3, 2, 2});
  REQUIRE(conv);
  REQUIRE(conv->axis == 0);
  REQUIRE(conv->channels == 6);
  REQUIRE(conv->channel_of(0) == 0);
  REQUIRE(conv->channel_of(12) == 1);
  REQUIRE(conv->channel_of(71) == 5);

  // ConvTranspose [C=4, M/group=3, 1, 1] with 2 groups: input channels 0-1 feed outputs 0-2,
  // input channels 2-3 feed outputs 3-5.
  auto ct = weight_channels(node("ConvTranspose", {{"group", 2}}), Shape{4, 3, 1, 1});
  REQUIRE(ct);
  REQUIRE(ct->axis == 1);
  REQUIRE(ct->channels == 6);
  std::vector<int64_t> got;
  for (int64_t e = 0; e < 12; ++e) got.push_back(ct->channel_of(e));
  REQUIRE(got == std::vector<int64_t>{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
  REQUIRE_FALSE(weight_channels(node("ConvTranspose", {{"group", 3}}), Shape{4, 3, 1, 1}));

  auto gemm = weight_channels(node("Gemm"), Shape{5, 3});  // [K, N]
  REQUIRE(gemm->axis == 1);
  REQUIRE(gemm->channels == 3);
  REQUIRE(gemm->channel_of(4) == 1);
  auto gemm_t = weight_channels(node("Gemm", {{"transB", 1}}), Shape{3, 5});  // [N, K]
  REQUIRE(gemm_t->axis == 0);
  REQUIRE(gemm_t->channel_of(7) == 1);

  auto mm = weight_channels(node("MatMul"), Shape{2, 5, 4});
  REQUIRE(mm->axis == 2);
  REQUIRE(mm->channels == 4);
  REQUIRE(mm->channel_of(23) == 3);
  REQUIRE_FALSE(weight_channels(node("MatMul"), Shape{5}));
  REQUIRE_FALSE(weight_channels(node("Relu"), Shape{5}));
}

TEST_CASE("model summary saturates huge parameter, byte and MAC totals with a note", "[op_traits]") {
  // Initializers with huge dims and no data: never loaded, only counted.
  onnx::ModelProto p;
  p.set_ir_version(8);
  p.add_opset_import()->set_version(13);
  auto* g = p.mutable_graph();
  const int64_t big = int64_t{1} << 31;
  for (const char* name : {"h1", "h2", "h3"}) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(big);
    t->add_dims(big);
  }
  for (const char* name : {"a", "b", "y"}) {
    auto* vi = std::string(name) == "y" ? g->add_output() : g->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(big);
    tt->mutable_shape()->add_dim()->set_dim_value(big);
  }
  auto* mm = g->add_node();
  mm->set_op_type("MatMul");
  mm->set_name("mm");
  mm->add_input("a");
  mm->add_input("b");
  mm->add_output("y");
  ModelSummary s = summarize_model(Model(p));
  REQUIRE(s.total_params == kMax);
  REQUIRE(s.weight_bytes == std::numeric_limits<uint64_t>::max());
  REQUIRE(s.total_macs == kMax);
  REQUIRE(s.layers.size() == 1);
  REQUIRE(s.layers[0].macs == kMax);
  int saturation_notes = 0;
  for (const auto& n : s.notes) saturation_notes += n.find("saturated") != std::string::npos;
  REQUIRE(saturation_notes >= 3);
}
