// check_model_structure (ir/graph_check.h), the runtime-only build's stand-in for the ONNX
// checker: it accepts every fixture the ONNX checker accepts, and each broken model below is
// refused by both (one, a graph output nobody produces, only by ours: ONNX 1.12's checker lets
// it through and the runtime would fail on it later), ours with a message naming the graph,
// node and value.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>

#include "ir/graph_check.h"
#include "ir/model.h"
#include "ir/text_format.h"
#include "onnx/checker.h"

using namespace edge;
using Catch::Matchers::Contains;

namespace {

const char* kModel = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] a, float[2] b) => (float[2] y, float[2] z)
{
  t = Relu(a)
  z = LeakyRelu <alpha = 0.5> (t)
  y = If(c) <then_branch = th () => (float[2] o1) { o1 = Add(t, b) },
              else_branch = el () => (float[2] o2) { o2 = Identity(a) }>
}
)";

onnx::ModelProto base() { return parse_model_text(kModel).proto(); }

bool onnx_accepts(const onnx::ModelProto& p) {
  try {
    onnx::checker::check_model(p);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

TEST_CASE("check_model_structure accepts what the ONNX checker accepts", "[graph_check]") {
  REQUIRE(onnx_accepts(base()));
  REQUIRE_NOTHROW(check_model_structure(base(), "m.onnx"));
  int models = 0;
  for (const char* dir : {"fixtures/models", "fixtures/quant"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(EDGE_SOURCE_DIR) / dir)) {
      if (e.path().extension() != ".onnx") continue;
      LoadOptions no_checks;
      no_checks.run_checker = false;
      no_checks.infer_shapes = false;
      Model m = load_model(e.path(), no_checks);
      INFO(e.path());
      REQUIRE(onnx_accepts(m.proto()));
      REQUIRE_NOTHROW(check_model_structure(m.proto(), m.name()));
      ++models;
    }
  }
  REQUIRE(models >= 8);
}

TEST_CASE("check_model_structure refuses what the ONNX checker refuses", "[graph_check]") {
  struct Case {
    const char* what;
    std::function<void(onnx::ModelProto&)> damage;
    const char* message;
    bool onnx_refuses = true;
  };
  const Case cases[] = {
      {"nodes out of order", [](onnx::ModelProto& p) { p.mutable_graph()->mutable_node()->SwapElements(0, 1); },
       "input 't' is not a graph input, an initializer or the output of an earlier node"},
      {"a value produced twice", [](onnx::ModelProto& p) { p.mutable_graph()->mutable_node(1)->set_output(0, "t"); },
       "'t' is defined more than once"},
      {"an input nobody defines", [](onnx::ModelProto& p) { p.mutable_graph()->mutable_node(0)->set_input(0, "nowhere"); },
       "input 'nowhere'"},
      {"an output nobody produces", [](onnx::ModelProto& p) { p.mutable_graph()->mutable_output(1)->set_name("w"); },
       "graph output 'w' is never produced", false},
      {"an attribute of the wrong type",
       [](onnx::ModelProto& p) { p.mutable_graph()->mutable_node(1)->mutable_attribute(0)->set_type(onnx::AttributeProto::INT); },
       "attribute 'alpha' holds a value of another type than its declared INT"},
      {"an attribute given twice",
       [](onnx::ModelProto& p) {
         auto* n = p.mutable_graph()->mutable_node(1);
         *n->add_attribute() = n->attribute(0);
       },
       "attribute 'alpha' is given twice"},
      {"a node without op_type", [](onnx::ModelProto& p) { p.mutable_graph()->mutable_node(0)->clear_op_type(); },
       "node without an op_type"},
      {"a subgraph reading a later value",
       [](onnx::ModelProto& p) {
         auto* g = p.mutable_graph();
         g->mutable_node()->SwapElements(1, 2);  // If now before LeakyRelu; its branch reads t (still fine) ...
         auto* branch = g->mutable_node(1)->mutable_attribute(0)->mutable_g();
         branch->mutable_node(0)->set_input(1, "z");  // ... and z, produced after the If
       },
       "input 'z'"},
      {"no ir_version", [](onnx::ModelProto& p) { p.clear_ir_version(); }, "declares no ir_version"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    onnx::ModelProto p = base();
    c.damage(p);
    REQUIRE(onnx_accepts(p) == !c.onnx_refuses);
    REQUIRE_THROWS_WITH(check_model_structure(p, "m.onnx"), Contains("m.onnx") && Contains(c.message));
  }
}
