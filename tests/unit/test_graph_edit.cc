// Graph-editing helpers (lib/ir/graph_edit.h), GraphIndex shape/type lookups, describe_node
// and NodeAttrs, on small models in ONNX text syntax.
#include <catch2/catch.hpp>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "ir/text_format.h"

using namespace edge;

namespace {

// An If whose branches read outer values; the then-branch nests another If that reads a
// value defined in the then-branch (u) and one from the main graph (t).
const char* kNested = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] a, float[2] b) => (float[2] y)
{
  t = Relu(a)
  y = If(c) <then_branch = th () => (float[2] o1) {
                 u = Neg(b)
                 o1 = If(c) <then_branch = th2 () => (float[2] p) { p = Add(u, t) },
                             else_branch = el2 () => (float[2] q) { q = Identity(u) }>
               },
               else_branch = el () => (float[2] o2) { o2 = Identity(a) }>
}
)";

const onnx::GraphProto& branch(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return a.g();
  }
  FAIL("no attribute " << name);
  return n.attribute(0).g();
}

}  // namespace

TEST_CASE("free_variables and subgraph reads follow nested scopes", "[graph_edit]") {
  Model m = parse_model_text(kNested);
  const auto& g = m.graph();
  REQUIRE(free_variables(g).empty());
  const auto& then_g = branch(g.node(1), "then_branch");
  // u is defined in the then-branch; b (Neg), c (the inner If) and t (two levels down) are not.
  REQUIRE(free_variables(then_g) == std::vector<std::string>{"b", "c", "t"});
  REQUIRE(free_variables(branch(g.node(1), "else_branch")) == std::vector<std::string>{"a"});
  REQUIRE(subgraph_reads(g) == std::set<std::string>{"a", "b", "c", "t"});
  REQUIRE(all_reads(g) == std::set<std::string>{"a", "b", "c", "t"});
  REQUIRE(has_subgraph(g.node(1)));
  REQUIRE_FALSE(has_subgraph(g.node(0)));
  REQUIRE(subgraphs_of(g.node(1)).size() == 2);
}

TEST_CASE("replace_uses renames reads in nested subgraphs but not graph outputs", "[graph_edit]") {
  Model m = parse_model_text(kNested);
  auto& g = m.graph();
  g.mutable_node(0)->set_output(0, "t2");
  replace_uses(g, "t", "t2");
  REQUIRE(free_variables(g).empty());
  const auto& then_g = branch(g.node(1), "then_branch");
  REQUIRE(free_variables(then_g) == std::vector<std::string>{"b", "c", "t2"});
  replace_uses(g, "y", "z");
  REQUIRE(g.output(0).name() == "y");
}

TEST_CASE("fresh_name and all_names avoid every name in use", "[graph_edit]") {
  Model m = parse_model_text(kNested);
  std::set<std::string> taken = all_names(m.graph());
  REQUIRE(taken.count("p"));  // two levels down
  REQUIRE(taken.count("th2") == 0);  // graph names are not value names
  REQUIRE(fresh_name(taken, "w") == "w");
  REQUIRE(fresh_name(taken, "w") == "w_1");
  REQUIRE(fresh_name(taken, "u") == "u_1");
  REQUIRE(taken.count("w_1"));
}

TEST_CASE("erase helpers drop nodes, initializers, their inputs and value infos", "[graph_edit]") {
  Model m = parse_model_text(R"(
<ir_version: 3, opset_import: ["" : 8]>
g (float[4] x, float[4] w, float[4] v) => (float[4] y)
<float[4] w = {1.0, 2.0, 3.0, 4.0}, float[4] v = {0.0, 0.0, 0.0, 0.0}>
{
  a = Add(x, w)
  b = Mul(a, v)
  y = Relu(a)
}
)");
  auto& g = m.graph();
  REQUIRE(fed_inputs(m) == std::set<std::string>{"x"});  // IR 3: initializers are inputs by rule
  REQUIRE(g.value_info_size() > 0);
  erase_nodes(g, {false, true, false});
  REQUIRE(g.node_size() == 2);
  REQUIRE(g.node(1).op_type() == "Relu");
  REQUIRE(erase_unused_initializers(g, {"w", "v"}) == 1);
  REQUIRE(g.initializer_size() == 1);
  REQUIRE(g.input_size() == 2);
  erase_value_infos(g, {"a"});
  for (const auto& vi : g.value_info()) REQUIRE(vi.name() != "a");

  add_initializer(m, Tensor::from_vector<float>({2}, {1, 2}), "k");
  REQUIRE(g.initializer_size() == 2);
  REQUIRE(g.input(g.input_size() - 1).name() == "k");  // IR < 4: also a graph input
  REQUIRE(read_initializer(m, g.initializer(1)).to_float_vector() == std::vector<float>{1, 2});
  m.proto().set_ir_version(8);
  REQUIRE(fed_inputs(m) == std::set<std::string>{"x", "w", "k"});
}

TEST_CASE("bypass_nodes rewires readers, renames producers of graph outputs, keeps the rest", "[graph_edit]") {
  Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[4] x) => (float[4] y, float[4] z)
{
  a = Relu(x)
  b = Identity(a)
  c = Neg(b)
  y = Identity(c)
  z = Identity(x)
}
)");
  auto& g = m.graph();
  REQUIRE(bypass_nodes(g, {false, true, false, true, true}) == 2);  // z = Identity(x) must stay
  REQUIRE(g.node_size() == 3);
  REQUIRE(g.node(1).input(0) == "a");
  REQUIRE(g.node(1).output(0) == "y");
  REQUIRE(g.node(2).op_type() == "Identity");
}

TEST_CASE("GraphIndex gives shapes, static shapes and element types", "[graph_edit]") {
  Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x, int64[2] s) => (float[N, 4] y)
<float[4] w = {1.0, 2.0, 3.0, 4.0}>
{
  y = Add(x, w)
}
)");
  GraphIndex idx(m.graph());
  Shape s;
  REQUIRE(idx.shape("x", &s));
  REQUIRE(s == Shape{-1, 4});
  REQUIRE_FALSE(idx.static_shape("x", &s));
  REQUIRE(idx.static_shape("w", &s));
  REQUIRE(s == Shape{4});
  REQUIRE(idx.static_shape("s", &s));
  REQUIRE_FALSE(idx.shape("nowhere", &s));
  REQUIRE(idx.elem_type("w") == onnx::TensorProto::FLOAT);
  REQUIRE(idx.elem_type("s") == onnx::TensorProto::INT64);
  REQUIRE(idx.elem_type("nowhere") == 0);
}

TEST_CASE("describe_node and NodeAttrs name the node", "[graph_edit]") {
  onnx::NodeProto n;
  n.set_op_type("Conv");
  n.add_output("t");
  REQUIRE(describe_node(n) == "node (Conv) producing 't'");
  n.set_name("conv1");
  REQUIRE(describe_node(n) == "node 'conv1' (Conv)");
  n.set_domain("com.acme");
  REQUIRE(describe_node(n) == "node 'conv1' (com.acme.Conv)");
  REQUIRE_FALSE(is_onnx_op(n));
  n.set_domain("");
  REQUIRE(is_onnx_op(n));

  auto* a = n.add_attribute();
  a->set_name("group");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(2);
  auto* f = n.add_attribute();
  f->set_name("alpha");
  f->set_type(onnx::AttributeProto::FLOAT);
  f->set_f(0.5f);
  NodeAttrs attrs(n);
  REQUIRE(attrs.get_int("group", 1) == 2);
  REQUIRE(attrs.get_int("missing", 7) == 7);
  REQUIRE(attrs.get_float("alpha", 1.f) == 0.5f);
  REQUIRE(attrs.has("alpha"));
  REQUIRE_THROWS_WITH(attrs.get_int("alpha", 0), Catch::Contains("node 'conv1' (Conv)") && Catch::Contains("wrong type"));
  REQUIRE_THROWS_WITH(attrs.require_int("strides"), Catch::Contains("missing required attribute 'strides'"));
}

TEST_CASE("unnamed nodes get stable names at load, in subgraphs too, without clashing") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x, bool c) => (float[2] y)
{
  a = Relu(x)
  Add_2 = Neg(a)
  b = Abs(Add_2)
  y = If(c) <then_branch = t () => (float[2] r) { r = Neg(b) },
             else_branch = e () => (float[2] r) { r = Relu(b) }>
}
)";
  Model m = parse_model_text(text);
  const auto& g = m.graph();
  REQUIRE(g.node(0).name() == "Relu_0");
  REQUIRE(g.node(1).name() == "Neg_1");
  REQUIRE(g.node(2).name() == "Abs_2");
  REQUIRE(g.node(3).name() == "If_3");
  const auto subs = subgraphs_of(g.node(3));
  REQUIRE(subs.size() == 2);
  REQUIRE(subs[0]->node(0).name() == "If_3/then_branch/Neg_0");
  REQUIRE(subs[1]->node(0).name() == "If_3/else_branch/Relu_0");
  // A generated name never takes one a node already has.
  onnx::GraphProto clash;
  clash.add_node()->set_op_type("Relu");
  auto* named = clash.add_node();
  named->set_op_type("Neg");
  named->set_name("Relu_0");
  REQUIRE(name_unnamed_nodes(clash) == 1);
  REQUIRE(clash.node(0).name() == "Relu_0_1");
  // Loading twice gives the same names (reports and layer rules can rely on them).
  Model again = parse_model_text(text);
  REQUIRE(again.graph().node(2).name() == "Abs_2");
}
