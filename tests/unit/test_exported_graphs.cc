// Graph shapes that third-party exporters write and our own fixtures do not, found by running
// models exported with PyTorch's torch.onnx.export (scripts/export_torchvision.py) through
// edge-run. Each case is the smallest graph with the pattern, checked against the reference
// backend (no fusion, every node as written).
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <sstream>

#include "ir/tensor_compare.h"
#include "ir/text_format.h"
#include "pass_test_util.h"
#include "runtime/session.h"

using namespace edge;
using edge::test::apply;

namespace {

std::string floats(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::ostringstream s;
  for (int64_t i = 0; i < n; ++i) s << (i ? ", " : "") << u(rng);
  return s.str();
}

Tensor ramp(const Shape& shape) {
  Tensor x(DType::kFloat, shape);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>((i * 29) % 53) / 26.f - 1.f;
  return x;
}

// Two Conv -> Relu pairs whose biases are Identity copies of one initializer, as PyTorch's
// exporter writes a tensor it deduplicated (squeezenet's zero biases). `bias_is_input` also
// lists the initializer as a graph input (a default a caller may override).
std::string shared_bias_model(bool bias_is_input) {
  std::mt19937 rng(14);
  std::ostringstream m;
  m << "<ir_version: 8, opset_import: [\"\" : 17]>\n";
  m << "g (float[N, 3, 6, 6] x" << (bias_is_input ? ", float[4] b" : "") << ") => (float[N, 4, 6, 6] y)\n";
  m << "<float[4, 3, 3, 3] w1 = {" << floats(4 * 3 * 9, rng) << "}, float[4, 4, 1, 1] w2 = {" << floats(16, rng)
    << "}, float[4] b = {" << floats(4, rng) << "}>\n";
  m << "{\n  b1 = Identity(b)\n  b2 = Identity(b)\n";
  m << "  c1 = Conv<pads = [1, 1, 1, 1]>(x, w1, b1)\n  r1 = Relu(c1)\n";
  m << "  c2 = Conv(r1, w2, b2)\n  y = Relu(c2)\n}\n";
  return m.str();
}

double max_abs_diff(const Tensor& got, const Tensor& want) {
  const CompareResult r = compare_tensors(got, want, 0, 0);
  REQUIRE(r.shape_ok);
  return r.max_abs;
}

}  // namespace

TEST_CASE("a Conv whose bias is an Identity of an initializer runs fused on the cpu backend") {
  // Before the fix: FusedConv was made although its bias was not a constant, and no kernel
  // accepted it ("FusedConv: input type float32 is not supported").
  const Model m = parse_model_text(shared_bias_model(false));
  rt::SessionOptions ref_opts;
  ref_opts.backends = {"reference"};
  ref_opts.fuse = false;
  auto ref = rt::Session::create(m, ref_opts);
  rt::SessionOptions so;
  so.profile = true;
  auto fast = rt::Session::create(m, so);
  for (int64_t n : {1, 3}) {
    const Tensor x = ramp({n, 3, 6, 6});
    const Tensor want = ref->run({{"x", x}})[0].second;
    const Tensor got = fast->run({{"x", x}})[0].second;
    CHECK(max_abs_diff(got, want) < 1e-5);
  }
  const auto prof = fast->profile();
  REQUIRE(prof.size() == 2);  // both Identity nodes gone, both Relus fused
  for (const auto& p : prof) {
    CHECK(p.op == "FusedConv");
    CHECK(p.kernel.rfind("cpu:", 0) == 0);
  }
}

TEST_CASE("an Identity of an overridable initializer (also a graph input) is not treated as a constant") {
  const Model m = parse_model_text(shared_bias_model(true));
  rt::SessionOptions ref_opts;
  ref_opts.backends = {"reference"};
  ref_opts.fuse = false;
  auto ref = rt::Session::create(m, ref_opts);
  auto fast = rt::Session::create(m);
  const Tensor x = ramp({2, 3, 6, 6});
  const Tensor b = Tensor::from_vector<float>({4}, {0.5f, -2.f, 1.f, 3.f});
  const Tensor want = ref->run({{"x", x}, {"b", b}})[0].second;
  const Tensor dflt = ref->run({{"x", x}})[0].second;
  REQUIRE(max_abs_diff(want, dflt) > 0.1);  // the override matters
  CHECK(max_abs_diff(fast->run({{"x", x}, {"b", b}})[0].second, want) < 1e-5);
  CHECK(max_abs_diff(fast->run({{"x", x}})[0].second, dflt) < 1e-5);
}

TEST_CASE("remove-initializer-inputs leaves a model without initializer inputs as it was", "[passes]") {
  // Before the fix the pass moved every input out of the graph before finding that none was
  // to be removed, and returned with nameless, typeless inputs (a current exporter's model:
  // weights are not listed as inputs).
  const Model m = parse_model_text(shared_bias_model(false));
  report::StageRecord st;
  const Model out = apply(m, "remove-initializer-inputs", {}, &st);
  REQUIRE(out.graph().input_size() == 1);
  CHECK(out.graph().input(0).SerializeAsString() == m.graph().input(0).SerializeAsString());
  CHECK(out.proto().SerializeAsString() == m.proto().SerializeAsString());
  CHECK(edge::test::max_diff(m, out) == 0);
  // With one listed (the bias), only that one goes, and the data input keeps its type.
  const Model listed = parse_model_text(shared_bias_model(true));
  const Model out2 = apply(listed, "remove-initializer-inputs");
  REQUIRE(out2.graph().input_size() == 1);
  CHECK(out2.graph().input(0).SerializeAsString() == listed.graph().input(0).SerializeAsString());
}

TEST_CASE("a residual Add whose second addend is the Conv (x + conv(x)) fuses into the Conv", "[runtime]") {
  // torchvision's MobileNetV2 writes Add(block_input, projection_conv); the fusion used to
  // take only Add(conv, other), leaving 10 Adds of that model unfused.
  std::mt19937 rng(11);
  std::ostringstream m;
  m << "<ir_version: 8, opset_import: [\"\" : 17]>\n";
  m << "g (float[N, 4, 5, 5] x) => (float[N, 4, 5, 5] y, float[N, 4, 5, 5] z)\n";
  m << "<float[4, 4, 1, 1] w = {" << floats(16, rng) << "}, float[4] b = {" << floats(4, rng) << "}, ";
  m << "float[4, 4, 3, 3] w2 = {" << floats(4 * 4 * 9, rng) << "}>\n";
  m << "{\n  c = Conv(x, w, b)\n  y = Add(x, c)\n";            // conv second, no activation
  m << "  c2 = Conv<pads = [1, 1, 1, 1]>(y, w2)\n  s = Add(y, c2)\n  z = Relu(s)\n}\n";  // then Relu
  const Model model = parse_model_text(m.str());
  rt::SessionOptions ref_opts;
  ref_opts.backends = {"reference"};
  ref_opts.fuse = false;
  auto ref = rt::Session::create(model, ref_opts);
  rt::SessionOptions so;
  so.profile = true;
  auto fast = rt::Session::create(model, so);
  const Tensor x = ramp({2, 4, 5, 5});
  const auto want = ref->run({{"x", x}});
  const auto got = fast->run({{"x", x}});
  for (size_t i = 0; i < 2; ++i) CHECK(max_abs_diff(got[i].second, want[i].second) < 1e-5);
  const auto prof = fast->profile();
  REQUIRE(prof.size() == 2);  // y is a graph output but is written by the fused node itself
  CHECK(prof[0].op == "FusedConv");
  CHECK(prof[1].op == "FusedConv");
  CHECK(prof[1].kernel.find("+relu") != std::string::npos);
}
