// Opsets 18-21: the op-version table, lowering to opset 17 for ONNX 1.12, our validation and shape
// inference of what ONNX 1.12 cannot judge (lib/ir/opset_changes.h, opset_shadow.h).
#include <catch2/catch.hpp>
#include <set>

#include "ir/graph_index.h"
#include "ir/model.h"
#include "ir/node_attrs.h"
#include "ir/opset_changes.h"
#include "ir/opset_shadow.h"
#include "ir/tensor_proto.h"
#include "ir/text_format.h"
#include "onnx/defs/parser.h"

using namespace edge;

namespace {

Shape shape_of(const Model& m, const std::string& value) {
  Shape s;
  if (!GraphIndex(m.graph()).shape(value, &s)) return {-99};
  return s;
}

int32_t type_of(const Model& m, const std::string& value) { return GraphIndex(m.graph()).elem_type(value); }

onnx::NodeProto node_from(const std::string& text) {
  onnx::NodeProto n;
  REQUIRE(onnx::OnnxParser::Parse(n, text.c_str()).IsOK());
  return n;
}

std::string error_of(const std::string& text) {
  try {
    parse_model_text(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("the opset change table parses and covers opsets 18 to 21") {
  const auto& rows = all_opset_changes();
  REQUIRE(rows.size() > 60);
  std::set<int> versions;
  for (const auto& r : rows) {
    versions.insert(r.version);
    REQUIRE((r.version >= 18 && r.version <= kMaxOnnxOpset));
    if (!r.same) REQUIRE(r.has_signature);  // nodes that may stay unlowered are validated
  }
  REQUIRE(versions == std::set<int>{18, 19, 20, 21});
  // Rows of one op come newest first; the signature row is the newest with one.
  const auto pad = opset_changes("Pad", kOnnxLibraryOpset, 21);
  REQUIRE(pad.size() == 3);
  REQUIRE(pad[0]->version == 21);
  REQUIRE(op_signature_row("Pad", 21)->version == 18);
  REQUIRE(op_signature_row("GroupNormalization", 20)->version == 18);
  REQUIRE(op_signature_row("GroupNormalization", 21)->version == 21);
  REQUIRE(op_signature_row("Relu", 21) == nullptr);
}

TEST_CASE(
    "nodes are lowered to their opset-17 form where types and shapes "
    "mean the same") {
  onnx::TensorProto axes;
  axes.set_data_type(onnx::TensorProto::INT64);
  axes.add_dims(2);
  axes.add_int64_data(1);
  axes.add_int64_data(-1);
  auto constant = [&](const std::string& v) { return v == "axes" ? &axes : nullptr; };

  auto reduce = node_from("y = ReduceMean <keepdims = 0> (x, axes)");
  REQUIRE(lower_to_opset17(reduce, 18, constant).empty());
  REQUIRE(reduce.input_size() == 1);
  REQUIRE(NodeAttrs(reduce).get_ints("axes") == std::vector<int64_t>{1, -1});

  auto dynamic = node_from("y = ReduceMax (x, runtime_axes)");
  REQUIRE_THAT(lower_to_opset17(dynamic, 18, constant), Catch::Contains("non-constant input 1"));
  REQUIRE(dynamic.input_size() == 2);  // untouched

  auto noop = node_from("y = ReduceL2 <noop_with_empty_axes = 1> (x)");
  REQUIRE_THAT(lower_to_opset17(noop, 18, constant), Catch::Contains("noop_with_empty_axes"));
  auto all = node_from("y = ReduceL2 <noop_with_empty_axes = 0> (x)");
  REQUIRE(lower_to_opset17(all, 18, constant).empty());
  REQUIRE(all.attribute_size() == 0);

  auto split = node_from("a, b = Split <axis = 1> (x)");
  REQUIRE(lower_to_opset17(split, 18, constant).empty());
  auto split_n = node_from("a, b = Split <axis = 1, num_outputs = 2> (x)");
  REQUIRE_THAT(lower_to_opset17(split_n, 18, constant), Catch::Contains("Split-18 with attribute num_outputs"));

  auto resize = node_from("y = Resize <antialias = 1, mode = \"linear\"> (x, roi, scales)");
  REQUIRE(lower_to_opset17(resize, 19, constant).empty());
  REQUIRE_FALSE(NodeAttrs(resize).has("antialias"));
  auto keep = node_from(
      "y = Resize <keep_aspect_ratio_policy = "
      "\"not_larger\"> (x, roi, scales, sizes)");
  REQUIRE_THAT(lower_to_opset17(keep, 18, constant), Catch::Contains("keep_aspect_ratio_policy"));
  auto stretch = node_from("y = Resize <keep_aspect_ratio_policy = \"stretch\"> (x, roi, scales)");
  REQUIRE(lower_to_opset17(stretch, 18, constant).empty());

  auto pad = node_from("y = Pad <mode = \"wrap\"> (x, pads)");
  REQUIRE(lower_to_opset17(pad, 21, constant).empty());
  auto pad_axes = node_from("y = Pad (x, pads, value, axes)");
  REQUIRE_THAT(lower_to_opset17(pad_axes, 21, constant), Catch::Contains("Pad-18 with input 3"));

  auto cast = node_from("y = Cast <to = 10, saturate = 0> (x)");
  REQUIRE(lower_to_opset17(cast, 21, constant).empty());
  REQUIRE(cast.attribute_size() == 1);

  auto gn = node_from("y = GroupNormalization <num_groups = 2> (x, s, b)");
  REQUIRE_THAT(lower_to_opset17(gn, 18, constant), Catch::Contains("no opset-17 form"));
  // Below the op's change nothing happens.
  auto split17 = node_from("a, b = Split <axis = 1> (x)");
  REQUIRE(lower_to_opset17(split17, 17, constant).empty());
}

TEST_CASE("opset-18 models load with every value typed and shaped") {
  Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 18]>
g (float[2, 6, 5] x, int64[1] dyn_axes) => (float[2, 1, 5] mean, float[2, 2, 5] a, float[2, 2, 5] b,
                                              float[2, 2, 5] c, float[2, 6, 5] gn, float[2, 6, 5] m)
<int64[1] ax = {1}, float[3] s = {1, 1, 1}, float[3] bias = {0, 0, 0}, int64[2] pads = {1, 2}, int64[1] pax = {-1}>
{
  mean = ReduceMean <keepdims = 1> (x, ax)
  lse = ReduceLogSumExp <keepdims = 1> (x, dyn_axes)
  a, b, c = Split <axis = 1, num_outputs = 3> (x)
  gn = GroupNormalization <num_groups = 3> (x, s, bias)
  m = Mish (gn)
  p = Pad (x, pads, , pax)
  r = Relu (p)
  big = Concat <axis = 1> (a, b)
}
)");
  REQUIRE(m.warnings().empty());
  REQUIRE(shape_of(m, "mean") == Shape{2, 1, 5});
  REQUIRE(shape_of(m, "lse") == Shape{-1, -1, -1});  // axes known only when running: rank only
  REQUIRE(shape_of(m, "a") == Shape{2, 2, 5});
  REQUIRE(shape_of(m, "c") == Shape{2, 2, 5});
  REQUIRE(shape_of(m, "gn") == Shape{2, 6, 5});
  REQUIRE(shape_of(m, "m") == Shape{2, 6, 5});
  REQUIRE(shape_of(m, "p") == Shape{2, 6, 8});
  // ONNX's own inference continues after our nodes: Relu and Concat read their outputs.
  REQUIRE(shape_of(m, "r") == Shape{2, 6, 8});
  REQUIRE(shape_of(m, "big") == Shape{2, 4, 5});
  REQUIRE(type_of(m, "big") == onnx::TensorProto::FLOAT);
  // The model itself is not edited: no node was lowered in place.
  REQUIRE(m.graph().node(0).input_size() == 2);
  REQUIRE(m.graph().node(0).domain().empty());
}

TEST_CASE("our inference runs inside subgraphs and agrees with declared outputs") {
  Model m = parse_model_text(R"(
<ir_version: 10, opset_import: ["" : 21]>
g (float[1, 4] x, bool c) => (float[1, 2] y)
<int64[1] ax = {1}>
{
  y = If (c) <
    then_branch = t () => (float[1, 2] ty) { t0, t1 = Split <axis = 1, num_outputs = 2> (x)  ty = Add (t0, t1) },
    else_branch = e () => (float[1, 2] ey) { l, h = Split <axis = 1, num_outputs = 2> (x)  ey = Sub (l, h) }
  >
}
)");
  REQUIRE(m.warnings().empty());
  const auto& then_g = m.graph().node(0).attribute(0).g();
  Shape s;
  REQUIRE(GraphIndex(then_g).shape("t0", &s));
  REQUIRE(s == Shape{1, 2});
}

TEST_CASE(
    "shape inference of new ops: Col2Im, CenterCropPad, LpPool, Resize, "
    "AffineGrid, BitwiseAnd") {
  Model m = parse_model_text(R"(
<ir_version: 9, opset_import: ["" : 20]>
g (float[1, 8, 16] cols, float[3, 5, 4] x, float[1, 2, 7, 8] img, float[2, 2, 3] theta, int32[3, 1] p, int32[4] q)
  => (float[1, 2, 5, 5] im, float[2, 3, 9] crop, float[1, 2, 3, 4] lp, float[1, 2, 4, 5] rs, float[2, 4, 5, 2] grid,
      int32[3, 4] band, float[1, 2, 5, 3] avg)
<int64[2] image = {5, 5}, int64[2] block = {2, 2}, int64[3] target = {2, 3, 9}, int64[2] sizes = {4, 7},
 int64[4] size = {2, 3, 4, 5}>
{
  im0 = Col2Im (cols, image, block)
  crop0 = CenterCropPad (x, target)
  lp0 = LpPool <kernel_shape = [3, 3], strides = [2, 2], ceil_mode = 1> (img)
  rs0 = Resize <axes = [2, 3], keep_aspect_ratio_policy = "not_larger", mode = "linear"> (img, , , sizes)
  grid0 = AffineGrid (theta, size)
  band0 = BitwiseAnd (p, q)
  avg0 = AveragePool <kernel_shape = [2, 2], dilations = [2, 2], strides = [1, 2]> (img)
  im = Identity (im0)
  crop = Identity (crop0)
  lp = Identity (lp0)
  rs = Identity (rs0)
  grid = Identity (grid0)
  band = Identity (band0)
  avg = Identity (avg0)
}
)");
  const std::string warning = m.warnings().empty() ? "" : m.warnings()[0];
  INFO(warning);
  REQUIRE(m.warnings().empty());
  REQUIRE(shape_of(m, "im0") == Shape{1, 2, 5, 5});
  REQUIRE(shape_of(m, "crop0") == Shape{2, 3, 9});
  REQUIRE(shape_of(m, "lp0") == Shape{1, 2, 3, 4});
  REQUIRE(shape_of(m, "rs0") == Shape{1, 2, 4, 5});  // one scale 4/7 for both axes: round(4.57) = 5
  REQUIRE(shape_of(m, "grid0") == Shape{2, 4, 5, 2});
  REQUIRE(shape_of(m, "band0") == Shape{3, 4});
  REQUIRE(type_of(m, "band0") == onnx::TensorProto::INT32);
  // AveragePool-19 with dilations is ours (ONNX 1.12 would ignore the dilations).
  REQUIRE(shape_of(m, "avg0") == Shape{1, 2, 5, 3});
}

TEST_CASE("declared shapes that contradict our inference are reported") {
  Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 18]>
g (float[2, 7] x) => (float[2, 3] a, float[2, 3] b, float[2, 2] c)
{
  a, b, c = Split <axis = 1, num_outputs = 3> (x)
}
)");
  // The last of 3 chunks of 7 columns has 1 column, not the 2 declared: a warning, as ONNX's own
  // inference gives for its ops.
  REQUIRE(m.warnings().size() == 1);
  REQUIRE_THAT(m.warnings()[0], Catch::Contains("inferred type 1 [2,1] for 'c' contradicts the "
                                                "declared type 1 [2,2]"));
}

TEST_CASE("nodes ONNX 1.12 cannot check are validated against the table") {
  const std::string head =
      "<ir_version: 8, opset_import: [\"\" : 18]>\ng "
      "(float[2, 6, 5] x) => (float[2, 6, 5] y)\n"
      "<float[3] s = {1, 1, 1}>\n{\n";
  REQUIRE_THAT(error_of(head + "y = GroupNormalization (x, s, s)\n}"),
               Catch::Contains("missing required attribute 'num_groups'"));
  REQUIRE_THAT(error_of(head + "y = GroupNormalization <num_groups = 3, eps = 1.0> (x, s, s)\n}"),
               Catch::Contains("unknown attribute 'eps'"));
  REQUIRE_THAT(error_of(head + "y = GroupNormalization <num_groups = 3.5> (x, s, s)\n}"),
               Catch::Contains("attribute 'num_groups' must be int, got float"));
  REQUIRE_THAT(error_of(head + "y = GroupNormalization <num_groups = 3> (x, s)\n}"),
               Catch::Contains("has 2 inputs, expected 3"));
  REQUIRE_THAT(error_of(head + "y, z = Mish (x)\n}"), Catch::Contains("has 2 outputs, expected 1"));
  // The checker still sees unlowered nodes' place in the graph.
  REQUIRE_THAT(error_of(head + "y = Mish (later)\nlater = Relu (x)\n}"), Catch::Contains("topologically sorted"));
  // Messages name the node and the op version.
  REQUIRE_THAT(error_of(head + "y = GroupNormalization (x, s, s)\n}"), Catch::Contains("(GroupNormalization-18)"));
}

TEST_CASE("element types newer than ONNX 1.12 are refused clearly") {
  REQUIRE_THAT(error_of(R"(
<ir_version: 9, opset_import: ["" : 19]>
g (float[2] x) => (float[2] y) { f = Cast <to = 17> (x)  y = Cast <to = 1> (f) }
)"),
               Catch::Contains("float8e4m3fn (ONNX type 17) is not supported"));
  try {
    parse_model_text(
        "<ir_version: 11, opset_import: [\"\" : 21]>\ng (float[2] "
        "x) => (float[2] y) { y = Relu (x) }");
    FAIL("expected an error");
  } catch (const Error& e) {
    REQUIRE(e.code() == ErrorCode::kUnsupported);
    REQUIRE_THAT(e.what(), Catch::Contains("IR version 11"));
  }
}

TEST_CASE("Shape of a value ONNX cannot type does not crash ONNX 1.12's inference") {
  // ONNX 1.12's data propagation for Shape dereferences its input's type unchecked; an op of
  // another domain leaves that type unset (regression: segfault in InferShapes).
  Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>
g (float[2, 3] x) => (float[2, 3] y)
{
  a = com.example.Foo (x)
  s = Shape (a)
  y = Reshape (x, s)
}
)");
  REQUIRE(shape_of(m, "s") == Shape{-1});
  // No placeholder type is left behind for 'a'.
  for (const auto& vi : m.graph().value_info()) REQUIRE(vi.name() != "a");
}

TEST_CASE("the shadow does not hold a second copy of large weights") {
  Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 18]>
g (float[1, 200] x) => (float[1, 200] y) { y = MatMul (x, w) }
)",
                             LoadOptions{false, false});
  Tensor w(DType::kFloat, {200, 200});  // 160 KB
  for (int64_t i = 0; i < 200; ++i) w.data<float>()[i * 200 + i] = 2;
  *m.graph().add_initializer() = tensor_to_proto(w, "w");
  m.check();
  m.infer_shapes();
  REQUIRE(m.warnings().empty());
  OpsetShadow shadow(m);
  REQUIRE(shadow.proto().graph().initializer(0).raw_data().size() == 1);
  REQUIRE(shadow.proto().graph().initializer(0).dims_size() == 2);
  REQUIRE(m.graph().initializer(0).raw_data().size() == 200 * 200 * 4);  // the model keeps its data
}
