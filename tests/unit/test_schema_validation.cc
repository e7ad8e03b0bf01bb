// Model loading is safe by design: structural validation against the op schemas
// (ir/schema_validation.h) and the rank/axis guards in front of ONNX's
// inference functions (ir/infer_guards.h, ir/safe_infer.h). Every hostile model
// must fail with one line naming the node and op; valid models must load with
// the same inferred shapes as before.
#include <catch2/catch.hpp>
#include <filesystem>

#include "ir/graph_index.h"
#include "ir/model.h"
#include "ir/text_format.h"
#include "onnx/defs/parser.h"
#include "test_util.h"

using namespace edge;

namespace {

// The error message of loading `text` ("" when it loads).
std::string load_error(const std::string& text) {
  try {
    (void)parse_model_text(text);
  } catch (const Error& e) {
    CHECK(e.code() != ErrorCode::kInternal);
    return e.what();
  }
  return "";
}

// The same model as bytes after `edit` changed its proto (for what the text
// syntax cannot write).
template <typename Edit>
std::string load_error_edited(const std::string& text, Edit edit) {
  onnx::ModelProto p;
  REQUIRE(onnx::OnnxParser::Parse(p, text.c_str()).IsOK());
  edit(p);
  std::string bytes;
  p.SerializeToString(&bytes);
  try {
    (void)load_model_from_bytes(bytes, "edited.onnx");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Shape shape_of(const Model& m, const std::string& value) {
  Shape s;
  if (!GraphIndex(m.graph()).shape(value, &s)) return {-99};
  return s;
}

const char* kHead17 = R"(<ir_version: 8, opset_import: ["" : 17]>)";

}  // namespace

TEST_CASE(
    "rank guards: a rank-0 LayerNormalization input is refused, declared "
    "or inferred") {
  // Declared rank 0 (the fuzzer's crash, with consistent element types).
  std::string e = load_error(std::string(kHead17) +
                             R"(g (float x, float[5] w) => (float y) {
      y, mean = LayerNormalization(x, w) })");
  CHECK_THAT(e, Catch::Matches(".*node 'LayerNormalization_0' "
                               "\\(LayerNormalization\\): axis -1 is out of range for "
                               "rank 0.*"));
  // Rank 0 only known after ONNX inferred the ReduceSum before it: the guard
  // sees ONNX's types.
  e = load_error(std::string(kHead17) +
                 R"(g (float[3] x, float[1] w) => (float y) {
      s = ReduceSum <keepdims = 0> (x)
      y, mean, inv = LayerNormalization(s, w) })");
  CHECK_THAT(e, Catch::Contains("(LayerNormalization): axis -1 is out of range for rank 0"));
  // An explicit axis beyond the rank.
  e = load_error(std::string(kHead17) +
                 R"(g (float[2, 3] x, float[3] w) => (float[2, 3] y) {
      y, mean = LayerNormalization <axis = 2> (x, w) })");
  CHECK_THAT(e, Catch::Contains("axis 2 is out of range for rank 2"));
}

TEST_CASE("rank guards: axes, perms and minimum ranks of the guarded ops") {
  struct Case {
    const char* body;
    const char* expect;
  };
  const Case cases[] = {
      {"(float[2, 3] x) => (float y) { y = Softmax <axis = 2> (x) }", "(Softmax): axis 2 is out of range for rank 2"},
      {"(float x) => (float y) { y = LogSoftmax(x) }", "(LogSoftmax): axis -1 is out of range for rank 0"},
      {"(float[2, 3] x, float[2] z) => (float y) { y = Concat <axis = 0> (x, "
       "z) }",
       "(Concat): inputs of different ranks (2 and 1)"},
      {"(float x, int64[2] i) => (float y) { y = Gather(x, i) }", "(Gather): axis 0 is out of range for rank 0"},
      {"(float[2, 3] x) => (float y) { y = Flatten <axis = 3> (x) }", "(Flatten): axis 3 is out of range for rank 2"},
      {"(float[2, 3] x) => (float y) { y = Transpose <perm = [0, 0]> (x) }",
       "(Transpose): perm is not a permutation of 0..1"},
      {"(float[2, 3] x) => (float y) { y = Transpose <perm = [1, 0, 2]> (x) }", "(Transpose): perm has 3 values"},
      {"(float[2, 3] x) => (float y) { y = ReduceMean <axes = [4]> (x) }", "(ReduceMean): axes 4 is out of range"},
      {"(float[2, 3] x) => (float y) { y = ArgMax <axis = -3> (x) }", "(ArgMax): axis -3 is out of range for rank 2"},
      {"(float[2, 3] x) => (float y) { y = Split <axis = 2> (x) }", "(Split): axis 2 is out of range"},
      {"(float a, float[3] b) => (float y) { y = MatMul(a, b) }", "(MatMul): A must have rank >= 1, got 0"},
      {"(float[3] a, float[3, 4] b) => (float y) { y = Gemm(a, b) }", "(Gemm): A must have rank 2, got 1"},
      {"(float[4] x, float[1] s, float[1] b, float[1] m, float[1] v) => (float "
       "y) "
       "{ y = InstanceNormalization(x, s, b) }",
       "(InstanceNormalization): input must have rank >= 2, got 1"},
      {"(float[2, 3] x) => (float y) { y = DepthToSpace <blocksize = 2> (x) }",
       "(DepthToSpace): input must have rank 4, got 2"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    CHECK_THAT(load_error(std::string(kHead17) + "g " + c.body), Catch::Contains(c.expect));
  }
  // Inferred ranks: a rank-2 tensor made rank 0 by ReduceSum, then Gather.
  std::string e = load_error(std::string(kHead17) +
                             R"(g (float[2, 3] x, int64[1] i) => (float y) {
      s = ReduceSum <keepdims = 0> (x)
      y = Gather(s, i) })");
  CHECK_THAT(e, Catch::Contains("(Gather): axis 0 is out of range for rank 0"));
}

TEST_CASE("rank guards: a shape input's length bounds the output's rank") {
  // The fuzzer's out-of-memory case: ONNX's inference made one dim per declared value.
  CHECK_THAT(load_error(std::string(kHead17) + "g (int64[4294967296] s) => (float y) { y = ConstantOfShape(s) }"),
             Catch::Contains("(ConstantOfShape): input has 4294967296 values: the output would have rank 4294967296 "
                             "(at most 64)"));
  CHECK_THAT(load_error(std::string(kHead17) + "g (float[2] x, int64[65] s) => (float y) { y = Reshape(x, s) }"),
             Catch::Contains("(Reshape): shape has 65 values"));
  CHECK_THAT(load_error(std::string(kHead17) + "g (float[2] x, int64[1000] s) => (float y) { y = Expand(x, s) }"),
             Catch::Contains("(Expand): shape has 1000 values"));
  // Up to the limit, and lengths ONNX does not know, load.
  CHECK(load_error(std::string(kHead17) + "g (int64[64] s) => (float y) { y = ConstantOfShape(s) }").empty());
  CHECK(load_error(std::string(kHead17) + "g (float[2] x, int64[n] s) => (float y) { y = Reshape(x, s) }").empty());
}

TEST_CASE("rank guards: GatherND's index length must fit the data's rank") {
  CHECK_THAT(load_error(std::string(kHead17) + "g (float[2, 3] x, int64[4, 3] i) => (float y) { y = GatherND(x, i) }"),
             Catch::Contains("(GatherND): the last dim of indices is 3, allowed: 1 to 2"));
  // The fuzzer's SEGV inside ONNX's inference: a negative declared dim read as the index length.
  // Negative declared dims are read as unknown at load (with a warning), so none reaches ONNX.
  const std::string text =
      std::string(kHead17) + "g (float[2, 3] x, int64[4, 1] i) => (float y) { y = GatherND(x, i) }";
  onnx::ModelProto p;
  REQUIRE(onnx::OnnxParser::Parse(p, text.c_str()).IsOK());
  p.mutable_graph()
      ->mutable_input(1)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(1)
      ->set_dim_value(-1);
  std::string bytes;
  p.SerializeToString(&bytes);
  const Model m = load_model_from_bytes(bytes, "negative-dim.onnx");
  REQUIRE(m.warnings().size() == 1);
  CHECK(m.warnings()[0] == "negative-dim.onnx: 1 declared dim(s) below 0 read as unknown");
  CHECK_FALSE(m.graph().input(1).type().tensor_type().shape().dim(1).has_dim_value());
  CHECK(load_error(text).empty());
}

TEST_CASE("rank guards: auto_pad SAME with a stride refuses spatial dims ONNX would step through") {
  // The fuzzer's timeout: ONNX 1.12 finds the SAME padding by subtracting the stride from the
  // dim in a loop (2^39 steps for a declared 2^40, minutes).
  CHECK_THAT(load_error(std::string(kHead17) +
                        "g (float[1, 1, 1099511627776, 3] x) => (float y) "
                        "{ y = MaxPool<auto_pad = \"SAME_UPPER\", kernel_shape = [3, 3], strides = [2, 2]>(x) }"),
             Catch::Contains("(MaxPool): X's spatial dim 1099511627776 with auto_pad SAME_UPPER and stride 2 is over "
                             "the limit of 16777216"));
  CHECK_THAT(load_error(std::string(kHead17) + "g (float[1, 1, 8, 16777217] x, float[1, 1, 3, 3] w) => (float y) "
                                               "{ y = Conv<auto_pad = \"SAME_LOWER\", strides = [1, 2]>(x, w) }"),
             Catch::Contains("(Conv): X's spatial dim 16777217"));
  // At the limit, with stride 1, with explicit pads or VALID: ONNX's loop is short or not run.
  for (const char* attrs : {R"(auto_pad = "SAME_UPPER", kernel_shape = [3, 3], strides = [2, 2])",
                            R"(auto_pad = "SAME_UPPER", kernel_shape = [3, 3])",
                            R"(auto_pad = "VALID", kernel_shape = [3, 3], strides = [2, 2])",
                            R"(pads = [1, 1, 1, 1], kernel_shape = [3, 3], strides = [2, 2])"}) {
    INFO(attrs);
    const std::string dim = std::string(attrs).find("pads") == std::string::npos &&
                                    std::string(attrs).find("SAME") != std::string::npos &&
                                    std::string(attrs).find("strides") != std::string::npos
                                ? "16777216"
                                : "1099511627776";
    CHECK(load_error(std::string(kHead17) + "g (float[1, 1, " + dim + ", 3] x) => (float y) { y = MaxPool<" + attrs +
                     ">(x) }")
              .empty());
  }
}

TEST_CASE("EyeLike of an untyped input loads (ONNX's inference would dereference its null type)") {
  // The input comes from an op of another domain, which ONNX cannot type; the fuzzer's SEGV.
  const std::string text = R"(<ir_version: 8, opset_import: ["" : 17, "custom.domain" : 1]>
g (float[2, 2] x) => (float y) {
  t = custom.domain.Foo(x)
  y = EyeLike <dtype = 1> (t) })";
  CHECK(load_error(text).empty());
}

TEST_CASE("schema validation: arity, names, attributes and element types") {
  struct Case {
    const char* body;
    const char* expect;
  };
  const Case cases[] = {
      {"(float[2] x) => (float[2] y) { y = Relu <alpha = 1.0> (x) }", "(Relu): unknown attribute 'alpha'"},
      {"(float[2, 3] x) => (float y) { y = Softmax <axis = 1.0> (x) }",
       "(Softmax): attribute 'axis' is float, expected int"},
      {"(float[2] a, float[2] b) => (float y) { y = Concat(a, b) }", "(Concat): missing required attribute 'axis'"},
      {"(float[2] a, int64[2] b) => (float y) { y = Add(a, b) }",
       "(Add): input types differ: input 1 'b' is tensor(int64) but input 0 "
       "'a' is tensor(float) (both T)"},
      {"(int64[2] a) => (int64 y) { y = Sqrt(a) }",
       "(Sqrt): input 0 'a' is tensor(int64), which X (T) does not accept"},
      {"(float[2] a) => (float y) { y = Cast <to = 99> (a) }", "(Cast): attribute 'to' is 99, not an element type"},
      {"(float[2] a, float[2] b) => (float y) { y = Relu(a, b) }", "(Relu): 2 inputs (Relu-14 takes 1)"},
      {"(float[16] x, float[5] w, uint64[5] b) => (float y) { y = "
       "LayerNormalization(x, w, b) }",
       "(LayerNormalization): input 2 'b' is tensor(uint64), which B (T) does "
       "not accept"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    CHECK_THAT(load_error(std::string(kHead17) + "g " + c.body), Catch::Contains(c.expect));
  }
  const std::string gemm = std::string(kHead17) + "g (float[2, 2] a, float[2, 2] b) => (float y) { y = Gemm(a, b) }";
  CHECK_THAT(load_error_edited(gemm, [](onnx::ModelProto& p) { p.mutable_graph()->mutable_node(0)->set_input(1, ""); }),
             Catch::Contains(": node 'Gemm_0' (Gemm): required input 1 ('B') has no name"));
  CHECK_THAT(load_error_edited(gemm, [](onnx::ModelProto& p) { p.mutable_graph()->mutable_input(0)->clear_type(); }),
             Catch::Contains(": graph input 'a' has no type"));
  CHECK_THAT(
      load_error_edited(gemm,
                        [](onnx::ModelProto& p) {
                          p.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(77);
                        }),
      Catch::Contains(": graph input 'a': unknown element type 77"));
}

TEST_CASE("subgraphs are validated and guarded too") {
  std::string e = load_error(std::string(kHead17) +
                             R"(g (bool c, float x, float[5] w) => (float y) {
      y = If (c) <then_branch = t () => (float a) { a, m = LayerNormalization(x, w) },
                  else_branch = f () => (float b) { b = Identity(x) }>
  })");
  CHECK_THAT(e, Catch::Contains("(LayerNormalization): axis -1 is out of range for rank 0"));
  e = load_error(std::string(kHead17) + R"(g (bool c, float[2] x) => (float y) {
      y = If (c) <then_branch = t () => (float a) { a = Relu <alpha = 2.0> (x) },
                  else_branch = f () => (float b) { b = Identity(x) }>
  })");
  CHECK_THAT(e, Catch::Contains("(Relu): unknown attribute 'alpha'"));
}

TEST_CASE("valid models keep their inferred shapes") {
  Model m = parse_model_text(std::string(kHead17) +
                             R"(g (float[2, 3, 4] x, float[4] w, int64[1] i) => (float[4, 2, 1] y) {
      n = LayerNormalization(x, w)
      s = Softmax <axis = 1> (n)
      t = Transpose <perm = [2, 0, 1]> (s)
      y = Gather <axis = 2> (t, i) })");
  CHECK(m.warnings().empty());
  CHECK(shape_of(m, "t") == Shape{4, 2, 3});
  CHECK(shape_of(m, "y") == Shape{4, 2, 1});
  // Unknown ranks (after an op of another domain) are not refused: ONNX's
  // functions return early on them as before.
  Model u = parse_model_text(
      R"(<ir_version: 8, opset_import: ["" : 17, "com.acme" : 1]>
      g (float[2, 4] x, float[4] w) => (float[2, 4] y) { a = com.acme.Foo(x)  y, mean = LayerNormalization(a, w) })");
  CHECK(u.graph().node_size() == 2);
}

TEST_CASE("the fuzzer's reproducers fail with one line and no crash") {
  const auto dir = std::filesystem::path(EDGE_SOURCE_DIR) / "tests/fuzz/regressions/fuzz_model_load";
  const auto repro = dir / "layernorm-rank0-fp16-uint64-crash.onnx";
  REQUIRE(std::filesystem::exists(repro));
  try {
    (void)load_model(repro);
    FAIL("loaded");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);
    CHECK_THAT(msg, Catch::Contains("(LayerNormalization)"));
  }
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != ".onnx" || f.path().filename().string().rfind("guard-", 0) != 0) continue;
    INFO(f.path().filename().string());
    CHECK_THROWS_AS(load_model(f.path()), Error);
  }
}

TEST_CASE("mnist-8 loads without warnings and keeps its output shape") {
  const auto path = test::shared_dir() / "models/mnist-8/model.onnx";
  EDGE_SKIP_UNLESS_EXISTS(path);
  Model m = load_model(path);
  CHECK(m.warnings().empty());
  CHECK(shape_of(m, m.graph().output(0).name()) == Shape{1, 10});
}
