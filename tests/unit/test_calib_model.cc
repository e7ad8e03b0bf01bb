// calibrate() on real models: observed tensors against running the session directly, batch
// paths, errors, thread independence and bounded memory.
#include <catch2/catch.hpp>
#include <cmath>

#include "calib/calibrate.h"
#include "calib/observer.h"
#include "data/batcher.h"
#include "data/npy.h"
#include "ir/text_format.h"
#include "pass_test_util.h"
#include "test_util.h"

using namespace edge;
using namespace edge::calib;

namespace {

std::filesystem::path fixture(const std::string& rel) { return test::source_dir() / "fixtures" / rel; }

// MNIST calibration images as the lenet5 contract wants them (x = pixel / 255).
std::unique_ptr<data::Dataset> mnist_calib() {
  data::DataOptions o;
  o.pre.scale = 1.0 / 255;
  return data::open_dataset(fixture("data/mnist_calib_x.npy"), o);
}

CalibRequest request(Method m, int64_t samples, int threads = 1) {
  CalibRequest r;
  r.options.method = m;
  r.options.samples = samples;
  r.session.threads = threads;
  return r;
}

Model relu_model(const std::string& batch_dim) {
  std::string t = "float[" + batch_dim + ", 3]";
  return parse_model_text("<ir_version: 8, opset_import: [\"\" : 13]>\ng (" + t + " x) => (" + t + " y, int64[2] s) " +
                          "<float[3] w = {1, -2, 1}> { h = Mul(x, w)\n y = Relu(h)\n s = Shape(h) }");
}

}  // namespace

TEST_CASE("calibrate lenet5: the logits' range is the min/max of running the session directly", "[calib]") {
  Model model = load_model(fixture("models/lenet5.onnx"));
  auto data = mnist_calib();
  const int64_t n = 200;
  Ranges ranges = calibrate(model, *data, request(Method::kMinMax, n));
  // Every node output and the graph input, all float.
  REQUIRE(ranges.size() == static_cast<size_t>(model.graph().node_size()) + 1);

  auto session = rt::Session::create(model);
  Tensor raw = data::read_npy(fixture("data/mnist_calib_x.npy"));
  float lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    Tensor x(DType::kFloat, {1, 1, 28, 28});
    for (int64_t k = 0; k < 784; ++k)
      x.data<float>()[k] = static_cast<float>(raw.get_double(i * 784 + k) * (1.0 / 255));
    Tensor y = session->run({{"input", x}}).at(0).second;
    for (int64_t k = 0; k < y.numel(); ++k) {
      lo = std::min(lo, y.data<float>()[k]);
      hi = std::max(hi, y.data<float>()[k]);
    }
  }
  const TensorRange& logits = ranges.at("logits");
  REQUIRE(logits.count == n * 10);
  REQUIRE(logits.observed_min == Approx(lo).margin(1e-5));
  REQUIRE(logits.observed_max == Approx(hi).margin(1e-5));
  REQUIRE(logits.min == logits.observed_min);  // minmax: the range is what was observed
  REQUIRE(logits.max == logits.observed_max);
  const TensorRange& input = ranges.at("input");
  REQUIRE(input.min == 0.f);
  REQUIRE(input.max == 1.f);  // some pixel is 255
  REQUIRE(input.count == n * 784);
  REQUIRE(ranges.at("/Relu_output_0").observed_min == 0.f);  // a Relu's output; fusion is off
  for (const auto& [name, r] : ranges) {
    INFO(name);
    REQUIRE(r.min <= 0.f);
    REQUIRE(r.max >= 0.f);
    REQUIRE(r.nonfinite == 0);
  }

  // The other methods clip some logits and keep 0 inside; the dataset's pass continues.
  data->reset();
  for (Method m : {Method::kPercentile, Method::kEntropy, Method::kMse}) {
    data->reset();
    Ranges other = calibrate(model, *data, request(m, n));
    const TensorRange& r = other.at("logits");
    INFO(method_name(m));
    REQUIRE(r.min >= logits.min);
    REQUIRE(r.max <= logits.max);
    REQUIRE(r.min < 0.f);
    REQUIRE(r.max > 0.f);
  }
}

TEST_CASE("calibrate: batches of 7 give the ranges of batches of 1, progress, position kept", "[calib]") {
  Model model = load_model(fixture("models/lenet5.onnx"));
  auto data = mnist_calib();
  Ranges one = calibrate(model, *data, request(Method::kMinMax, 50));
  REQUIRE(data->position() == 50);  // from the current position on: the next call reads 50..
  data->reset();
  CalibRequest r = request(Method::kMinMax, 50);
  r.options.batch = 7;  // lenet5's batch dim is dynamic: 7 runs of 7 and one of 1
  std::vector<std::pair<int64_t, int64_t>> calls;
  r.progress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
  Ranges seven = calibrate(model, *data, r);
  REQUIRE(calls.size() == 8);
  REQUIRE(calls.back() == std::make_pair<int64_t, int64_t>(50, 50));
  REQUIRE(seven.size() == one.size());
  for (const auto& [name, a] : one) {
    INFO(name);
    const TensorRange& b = seven.at(name);
    REQUIRE(b.count == a.count);
    REQUIRE(b.observed_min == Approx(a.observed_min).margin(1e-5));
    REQUIRE(b.observed_max == Approx(a.observed_max).margin(1e-5));
  }
}

TEST_CASE("calibrate: rows that pad a fixed batch are not observed", "[calib]") {
  test::TempDir dir;
  // 10 samples for a model with a fixed batch of 4: runs of 4, 4 and 2 (+2 padding rows that
  // repeat the last sample, whose values would otherwise be counted twice).
  std::vector<float> x;
  for (int i = 0; i < 10; ++i) x.insert(x.end(), {static_cast<float>(i), 1.f, -static_cast<float>(i)});
  data::write_npy(dir / "x.npy", Tensor::from_vector<float>({10, 3}, x));
  auto data = data::open_dataset(dir / "x.npy");
  Ranges r = calibrate(relu_model("4"), *data, request(Method::kMinMax, 0));
  REQUIRE(r.at("x").count == 30);
  REQUIRE(r.at("h").count == 30);
  REQUIRE(r.at("y").count == 30);
  REQUIRE(r.count("s") == 0);  // int64: not a float tensor, left out of the default set
  REQUIRE(r.at("x").observed_max == 9.f);
  REQUIRE(r.at("h").observed_min == -9.f);  // h = [i, -2, -i] for sample i
  REQUIRE(r.at("h").observed_max == 9.f);
  REQUIRE(r.at("y").observed_min == 0.f);
  // Only the requested tensors.
  data->reset();
  CalibRequest only = request(Method::kMinMax, 0);
  only.tensors = {"y"};
  REQUIRE(calibrate(relu_model("4"), *data, only).size() == 1);
}

TEST_CASE("calibrate: errors name what is wrong", "[calib]") {
  test::TempDir dir;
  data::write_npy(dir / "x.npy", Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6}));
  data::write_npy(dir / "wide.npy", Tensor::from_vector<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}));
  Model m = relu_model("N");
  auto data = data::open_dataset(dir / "x.npy");
  CalibRequest r = request(Method::kMinMax, 0);
  // Shape mismatch: names the model input.
  auto wide = data::open_dataset(dir / "wide.npy");
  REQUIRE_THROWS_WITH(calibrate(m, *wide, r), Catch::Contains("model input 'x'"));
  // No samples: an empty file, or a pass already read.
  data::write_npy(dir / "empty.npy", Tensor(DType::kFloat, {0, 3}));
  auto empty = data::open_dataset(dir / "empty.npy");
  REQUIRE_THROWS_WITH(calibrate(m, *empty, r), Catch::Contains("empty.npy: no samples to calibrate"));
  calibrate(m, *data, r);
  REQUIRE_THROWS_WITH(calibrate(m, *data, r), Catch::Contains("no samples to calibrate"));
  data->reset();
  // Unknown, initializer and non-float tensors.
  r.tensors = {"y", "nope"};
  REQUIRE_THROWS_WITH(calibrate(m, *data, r), Catch::Contains("unknown tensor 'nope'"));
  r.tensors = {"w"};
  REQUIRE_THROWS_WITH(calibrate(m, *data, r), Catch::Contains("'w' is an initializer"));
  r.tensors = {"s"};
  REQUIRE_THROWS_WITH(calibrate(m, *data, r), Catch::Contains("'s'") && Catch::Contains("not a floating-point"));
  // Bad options: refused before anything is read.
  data->reset();
  r.tensors.clear();
  r.options.method = Method::kPercentile;
  r.options.percentile = 0;
  REQUIRE_THROWS_WITH(calibrate(m, *data, r), Catch::Contains("percentile"));
  REQUIRE(data->position() == 0);
}

TEST_CASE("calibrate: results do not depend on the thread count", "[calib]") {
  Model model = load_model(fixture("models/lenet5.onnx"));
  for (Method m : {Method::kMinMax, Method::kPercentile, Method::kEntropy, Method::kMse}) {
    INFO(method_name(m));
    auto d1 = mnist_calib(), d2 = mnist_calib();
    Ranges a = calibrate(model, *d1, request(m, 64, 1));
    Ranges b = calibrate(model, *d2, request(m, 64, 2));
    REQUIRE(a.size() == b.size());
    for (const auto& [name, ra] : a) {
      INFO(name);
      const TensorRange& rb = b.at(name);
      REQUIRE(ra.min == rb.min);  // bit for bit
      REQUIRE(ra.max == rb.max);
      REQUIRE(ra.clipped_fraction == rb.clipped_fraction);
      REQUIRE(ra.count == rb.count);
    }
  }
}

TEST_CASE("calibration memory does not grow with the number of samples", "[calib]") {
  Model model = load_model(fixture("models/lenet5.onnx"));
  auto data = mnist_calib();
  TensorObserver observer(model, {}, 2048);
  rt::SessionOptions so;
  so.fuse = false;
  auto session = rt::Session::create(model, so);
  data::Batcher batcher(*session, *data, 1);
  observer.attach(*session);
  rt::NamedTensors feeds, outputs;
  size_t after_100 = 0;
  int64_t seen = 0;
  while (batcher.next(*data, nullptr, &feeds)) {
    observer.begin_batch(feeds, 1, 1);
    session->run_into(feeds, outputs);
    observer.end_batch();
    if (++seen == 100) after_100 = observer.memory_bytes();
  }
  REQUIRE(seen == 1000);
  REQUIRE(observer.histograms().at("logits")->count() == 10000);
  REQUIRE(observer.memory_bytes() == after_100);
  // About one histogram per tensor: 13 tensors x 2048 bins x 8 bytes, plus names.
  REQUIRE(observer.memory_bytes() < 13 * (2048 * 8 + 512) + 4096 + 784 * 4);
}
