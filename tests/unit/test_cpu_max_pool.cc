// The cpu backend's 2-D MaxPool against the reference kernel (the oracle) on random geometry:
// kernel sizes, strides, dilations, asymmetric pads, auto_pad and ceil_mode, batch > 1.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <sstream>

#include "ir/text_format.h"
#include "runtime/session.h"

using namespace edge;

namespace {

Tensor random_input(const Shape& shape, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  Tensor x(DType::kFloat, shape);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
  return x;
}

// A MaxPool node with random attributes over float[N, C, H, W]; opset 12 (dilations and
// ceil_mode exist there).
std::string pool_model(std::mt19937& rng, Shape* x_shape) {
  const int64_t kh = 1 + rng() % 4, kw = 1 + rng() % 4, sh = 1 + rng() % 3, sw = 1 + rng() % 3;
  const int64_t dh = 1 + rng() % 2, dw = 1 + rng() % 2;
  const int64_t H = (kh - 1) * dh + 1 + rng() % 12, W = (kw - 1) * dw + 1 + rng() % 40;
  const int64_t N = 1 + rng() % 2, C = 1 + rng() % 5;
  *x_shape = {N, C, H, W};
  std::ostringstream a;
  a << "kernel_shape = [" << kh << ", " << kw << "], strides = [" << sh << ", " << sw << "], dilations = [" << dh
    << ", " << dw << "], ceil_mode = " << rng() % 2;
  const int pad_kind = static_cast<int>(rng() % 4);
  if (pad_kind == 1) a << ", auto_pad = \"SAME_UPPER\"";
  if (pad_kind == 2) a << ", auto_pad = \"SAME_LOWER\"";
  if (pad_kind == 3) {  // explicit pads, each smaller than the (dilated) kernel extent
    a << ", pads = [" << rng() % kh << ", " << rng() % kw << ", " << rng() % kh << ", " << rng() % kw << "]";
  }
  std::ostringstream m;
  m << "<ir_version: 8, opset_import: [\"\" : 12]>\n";
  m << "g (float[" << N << "," << C << "," << H << "," << W << "] x) => (float[n, c, oh, ow] y)\n";
  m << "{ y = MaxPool<" << a.str() << ">(x) }\n";
  return m.str();
}

}  // namespace

TEST_CASE("cpu MaxPool equals the reference MaxPool on random 2-D geometry, 1 and 2 threads") {
  std::mt19937 rng(2024);
  for (int iter = 0; iter < 300; ++iter) {
    Shape shape;
    const std::string text = pool_model(rng, &shape);
    INFO(text);
    const Model m = parse_model_text(text);
    rt::SessionOptions ref_opts;
    ref_opts.backends = {"reference"};
    auto ref = rt::Session::create(m, ref_opts);
    rt::SessionOptions so;
    so.profile = iter == 0;
    so.threads = 1 + iter % 2;
    auto fast = rt::Session::create(m, so);
    const Tensor x = random_input(shape, rng);
    const Tensor want = ref->run({{"x", x}})[0].second;
    const Tensor got = fast->run({{"x", x}})[0].second;
    REQUIRE(got.shape() == want.shape());
    REQUIRE(std::memcmp(got.raw(), want.raw(), want.nbytes()) == 0);  // a maximum is exact
    if (iter == 0) REQUIRE(fast->profile()[0].kernel == "cpu:maxpool-2d-rows");
  }
}

TEST_CASE("MaxPool with the Indices output, or of rank 3, stays on the reference kernel") {
  rt::SessionOptions so;
  so.profile = true;
  auto with_idx = rt::Session::create(parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 12]>
g (float[1, 2, 6, 6] x) => (float[1, 2, 3, 3] y, int64[1, 2, 3, 3] i)
{ y, i = MaxPool<kernel_shape = [2, 2], strides = [2, 2]>(x) })"),
                                      so);
  std::mt19937 rng(3);
  with_idx->run({{"x", random_input({1, 2, 6, 6}, rng)}});
  CHECK(with_idx->profile()[0].kernel == "reference");
  auto one_d = rt::Session::create(parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 12]>
g (float[1, 2, 9] x) => (float[1, 2, 4] y)
{ y = MaxPool<kernel_shape = [3], strides = [2]>(x) })"),
                                   so);
  one_d->run({{"x", random_input({1, 2, 9}, rng)}});
  CHECK(one_d->profile()[0].kernel == "reference");
}
