#include <catch2/catch.hpp>
#include <filesystem>

#include "ir/tensor_compare.h"
#include "ir/tensor_proto.h"
#include "ir/text_format.h"
#include "runtime/session.h"
#include "test_util.h"

using namespace edge;

namespace {
const char* kAddRelu = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y)
<float[4] b = {1.0, -2.0, 3.0, -4.0}>
{
  t = Add(x, b)
  y = Relu(t)
}
)";
}  // namespace

TEST_CASE("session runs a model and validates inputs") {
  auto s = rt::Session::create(parse_model_text(kAddRelu));
  REQUIRE(s->inputs().size() == 1);
  REQUIRE(s->inputs()[0].shape == Shape{-1, 4});
  REQUIRE(s->inputs()[0].dim_params[0] == "N");
  Tensor x = Tensor::from_vector<float>({2, 4}, {0, 0, 0, 0, 1, 1, 1, 1});
  auto out = s->run({{"x", x}});
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].first == "y");
  REQUIRE(out[0].second.to_float_vector() == std::vector<float>{1, 0, 3, 0, 2, 0, 4, 0});

  REQUIRE_THROWS_WITH(s->run({{"x", Tensor(DType::kInt64, {2, 4})}}), Catch::Contains("expected float32[Nx4]"));
  REQUIRE_THROWS_WITH(s->run({{"x", Tensor(DType::kFloat, {2, 5})}}), Catch::Contains("got float32[2x5]"));
  REQUIRE_THROWS_WITH(s->run({}), Catch::Contains("'x' was not given"));
  REQUIRE_THROWS_WITH(s->run({{"x", x}, {"z", x}}), Catch::Contains("no input named 'z'"));
  auto bad = s->try_run({});
  REQUIRE_FALSE(bad.has_value());
}

TEST_CASE("fixed input shapes are applied and checked") {
  rt::SessionOptions so;
  so.input_shapes["x"] = {3, 4};
  auto s = rt::Session::create(parse_model_text(kAddRelu), so);
  REQUIRE(s->inputs()[0].shape == Shape{3, 4});
  REQUIRE_THROWS(s->run({{"x", Tensor(DType::kFloat, {2, 4})}}));
  so.input_shapes["x"] = {3, 5};
  REQUIRE_THROWS_WITH(rt::Session::create(parse_model_text(kAddRelu), so), Catch::Contains("fixed to 4"));
  so.input_shapes.clear();
  so.input_shapes["nope"] = {1};
  REQUIRE_THROWS_WITH(rt::Session::create(parse_model_text(kAddRelu), so), Catch::Contains("no input named 'nope'"));
}

TEST_CASE("unsupported ops and domains are named at prepare time") {
  std::string text = kAddRelu;
  text.replace(text.find("Relu"), 4, "Celu");
  try {
    rt::Session::create(parse_model_text(text));
  } catch (const Error& e) {
    // Celu may be registered by now; if not the error must name node and op.
    REQUIRE(e.code() == ErrorCode::kUnsupported);
    REQUIRE(std::string(e.what()).find("Celu") != std::string::npos);
  }
  const char* custom = R"(
<ir_version: 8, opset_import: ["" : 13, "com.acme" : 1]>
g (float[2] x) => (float[2] y) {
  y = com.acme.Frobnicate(x)
})";
  REQUIRE_THROWS_WITH(rt::Session::create(parse_model_text(custom, {false, false})),
                      Catch::Contains("com.acme.Frobnicate"));
}

TEST_CASE("intermediate values are released and results do not depend on threads") {
  Tensor x = Tensor::from_vector<float>({1, 4}, {-1, 2, -3, 4});
  rt::SessionOptions one, two;
  two.threads = 2;
  auto a = rt::Session::create(parse_model_text(kAddRelu), one)->run({{"x", x}});
  auto b = rt::Session::create(parse_model_text(kAddRelu), two)->run({{"x", x}});
  REQUIRE(compare_tensors(a[0].second, b[0].second, 0, 0).passed());
}

TEST_CASE("mnist-8 reference outputs", "[shared]") {
  auto dir = test::shared_dir() / "models" / "mnist-8";
  if (!std::filesystem::exists(dir / "model.onnx")) {
    WARN("shared/models/mnist-8 not found; skipped");
    return;
  }
  auto s = rt::Session::create(load_model(dir / "model.onnx"));
  for (int i = 0; i < 3; ++i) {
    auto set = dir / ("test_data_set_" + std::to_string(i));
    Tensor in = read_tensor_pb(set / "input_0.pb");
    Tensor want = read_tensor_pb(set / "output_0.pb");
    auto out = s->run({{s->inputs()[0].name, in}});
    CompareResult r = compare_tensors(out[0].second, want, 1e-4, 1e-3);
    INFO("set " << i << " max abs " << r.max_abs);
    REQUIRE(r.passed());
  }
}
