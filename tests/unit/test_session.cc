#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "ir/tensor_compare.h"
#include "ir/tensor_proto.h"
#include "ir/text_format.h"
#include "runtime/kernel_registry.h"
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
  // Celu is built in: x above 0, e^x - 1 below (alpha 1).
  Tensor x = Tensor::from_vector<float>({1, 4}, {0, -1, -4, 5});  // + b = {1, -3, -1, 1}
  auto out = rt::Session::create(parse_model_text(text))->run({{"x", x}});
  auto y = out[0].second.to_float_vector();
  REQUIRE(y.size() == 4);
  REQUIRE(y[0] == Approx(1.0));
  REQUIRE(y[1] == Approx(std::exp(-3.0) - 1));
  REQUIRE(y[2] == Approx(std::exp(-1.0) - 1));
  REQUIRE(y[3] == Approx(1.0));
  // Without a Celu kernel, creating the session fails naming the op.
  rt::KernelRegistry no_celu;
  for (const auto& def : rt::KernelRegistry::builtin().all()) {
    if (def.op != "Celu") no_celu.add(def);
  }
  rt::SessionOptions so;
  so.registry = &no_celu;
  try {
    rt::Session::create(parse_model_text(text), so);
    FAIL("a model with an op the registry lacks was accepted");
  } catch (const Error& e) {
    REQUIRE(e.code() == ErrorCode::kUnsupported);
    REQUIRE_THAT(e.what(), Catch::Contains("op Celu") && Catch::Contains("not supported"));
  }
  const char* custom = R"(
<ir_version: 8, opset_import: ["" : 13, "com.acme" : 1]>
g (float[2] x) => (float[2] y) {
  y = com.acme.Frobnicate(x)
})";
  REQUIRE_THROWS_WITH(rt::Session::create(parse_model_text(custom, {false, false})),
                      Catch::Contains("com.acme.Frobnicate"));
}

namespace {
// Which values a probe node sees as still held when it runs (through the scope that
// subgraph kernels read enclosing values from).
struct LiveValues {
  bool t = false, u = false, b = false;
};
LiveValues g_live;

void probe_live_values(rt::KernelContext& ctx) {
  g_live.t = ctx.scope->find("t") != nullptr;
  g_live.u = ctx.scope->find("u") != nullptr;
  g_live.b = ctx.scope->find("b") != nullptr;
  ctx.outputs[0] = *ctx.inputs[0];
}
}  // namespace

TEST_CASE("intermediate values are released after their last reader") {
  // t's last reader is Relu: by the time the probe runs, t is gone; u (the probe's input)
  // and the initializer b are still held.
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13, "edge.test" : 1]>
g (float[1, 4] x) => (float[1, 4] y)
<float[4] b = {1.0, -2.0, 3.0, -4.0}>
{
  t = Add(x, b)
  u = Relu(t)
  y = edge.test.Probe(u)
})";
  rt::KernelRegistry reg = rt::KernelRegistry::builtin();
  rt::KernelDef probe;
  probe.domain = "edge.test";
  probe.op = "Probe";
  probe.create = rt::function_kernel(probe_live_values);
  reg.add(probe);
  rt::SessionOptions so;
  so.registry = &reg;
  g_live = {true, false, false};
  auto out = rt::Session::create(parse_model_text(text, {false, false}), so)
                 ->run({{"x", Tensor::from_vector<float>({1, 4}, {-1, 2, -3, 4})}});
  REQUIRE(out[0].second.to_float_vector() == std::vector<float>{0, 0, 0, 0});
  REQUIRE_FALSE(g_live.t);
  REQUIRE(g_live.u);
  REQUIRE(g_live.b);
}

TEST_CASE("results do not depend on the thread count") {
  const int64_t rows = 4096;
  std::vector<float> v(static_cast<size_t>(rows * 4));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(static_cast<int64_t>(i % 13) - 6) * 0.37f;
  Tensor x = Tensor::from_vector<float>({rows, 4}, v);
  rt::SessionOptions one, two;
  two.threads = 2;
  auto a = rt::Session::create(parse_model_text(kAddRelu), one)->run({{"x", x}});
  auto b = rt::Session::create(parse_model_text(kAddRelu), two)->run({{"x", x}});
  REQUIRE(compare_tensors(a[0].second, b[0].second, 0, 0).passed());
  auto y = a[0].second.to_float_vector();
  REQUIRE(std::count_if(y.begin(), y.end(), [](float f) { return f > 0; }) > rows);  // not trivially zero
}

TEST_CASE("mnist-8 reference outputs", "[shared]") {
  auto dir = test::shared_dir() / "models" / "mnist-8";
  EDGE_SKIP_UNLESS_EXISTS(dir / "model.onnx");
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
