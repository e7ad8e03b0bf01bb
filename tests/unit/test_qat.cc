// The qat pass on lenet5 (Conv and Gemm, per-channel int8 weights, int32 biases) quantized by
// quantize-static: the training copy computes exactly what the QDQ model computes; writing
// back untrained values gives the same bytes; a few epochs lower the distillation loss and
// write a QDQ model with the same nodes, int8 weights in their grid, biases with scale
// s_in * s_w from the learned scales and unchanged zero points; bad input is refused.
#include <catch2/catch.hpp>
#include <cmath>

#include "data/dataset.h"
#include "ir/graph_index.h"
#include "ir/tensor_proto.h"
#include "pass_test_util.h"
#include "passes/distill/qat_model.h"
#include "test_util.h"

using namespace edge;
namespace qat = edge::pass::qat;

namespace {

const std::filesystem::path kFixtures = test::source_dir() / "fixtures";

pass::DataSpec mnist(const std::string& file, int64_t limit) {
  pass::DataSpec d;
  d.path = kFixtures / "data" / file;
  d.options.pre.scale = 1.0 / 255;
  d.limit = limit;
  d.batch = 16;
  return d;
}

// lenet5 through quantize-static (calibrated on 64 digits) with `opts`.
Model quantized_lenet5(const Model& fp, const std::map<std::string, std::string>& opts = {}) {
  const auto& info = pass::find_pass("quantize-static");
  pass::PassContext ctx(std::make_shared<spdlog::logger>("test"), 1);
  ctx.original = &fp;
  ctx.calib = mnist("mnist_calib_x.npy", 64);
  Model q = fp;
  ctx.run_pass(info, pass::make_options(info, opts), q);
  return q;
}

Model run_qat(const Model& qdq, const Model& teacher, const std::map<std::string, std::string>& opts,
              report::StageRecord* stage, bool with_data = true) {
  const auto& info = pass::find_pass("qat");
  pass::PassContext ctx(std::make_shared<spdlog::logger>("test"), 1);
  ctx.original = &teacher;
  if (with_data) ctx.train = mnist("mnist_calib_x.npy", 320);
  ctx.stage = stage;
  Model out = qdq;
  ctx.run_pass(info, pass::make_options(info, opts), out);
  out.check();
  return out;
}

std::map<std::string, Tensor> initializers(const Model& m) {
  std::map<std::string, Tensor> w;
  for (const auto& t : m.graph().initializer()) w[t.name()] = tensor_from_proto(t, ".", t.name());
  return w;
}

std::string structure(const Model& m) {
  std::string s;
  for (const auto& n : m.graph().node()) {
    s += n.op_type() + " " + n.name() + "(";
    for (const auto& i : n.input()) s += i + ",";
    s += ")->";
    for (const auto& o : n.output()) s += o + ",";
    s += "\n";
  }
  return s;
}

rt::NamedTensors digits(int64_t n) {
  auto d = data::open_dataset(kFixtures / "data/mnist_eval_x.npy", data::DataOptions{});
  Tensor x(DType::kFloat, {n, 1, 28, 28});
  for (int64_t i = 0; i < n; ++i) {
    const Tensor s = d->read(i).front();  // raw 0..255
    for (int64_t k = 0; k < 784; ++k) x.data<float>()[i * 784 + k] = static_cast<float>(s.get_double(k) / 255);
  }
  return {{"input", x}};
}

}  // namespace

TEST_CASE("qat: the training copy computes the QDQ model; untrained write-back is byte-identical", "[qat]") {
  const Model fp = load_model(kFixtures / "models/lenet5.onnx");
  const Model qdq = quantized_lenet5(fp);
  const qat::QatPlan plan = qat::analyze_qdq(qdq);
  CHECK(plan.weights.size() == 5);
  CHECK(plan.biases.size() == 5);
  for (const auto& b : plan.biases) CHECK_FALSE(b.in_scale.empty());  // every bias scale is s_in * s_w
  for (bool learn : {false, true}) {
    const qat::TrainingCopy copy = qat::make_training_copy(qdq, plan, learn, 10);
    CHECK(copy.params.size() == 10 + (learn ? plan.weight_scales.size() + plan.activation_scales.size() : 0));
    rt::SessionOptions so;
    so.fuse = false;  // QuantizeLinear/DequantizeLinear as written, in float
    const auto feeds = digits(8);
    const auto a = rt::Session::create(qdq, so)->run(feeds);
    const auto b = rt::Session::create(copy.model, so)->run(feeds);
    REQUIRE(a.size() == b.size());
    const CompareResult c = compare_tensors(a[0].second, b[0].second, 0, 0);
    CHECK(c.shape_ok);
    CHECK(c.max_abs == 0);
    // Untrained values (the copy's initializers) written back: the same bytes.
    std::map<std::string, Tensor> values;
    for (const auto& t : copy.model.graph().initializer()) values[t.name()] = tensor_from_proto(t, ".", t.name());
    Model back = qdq;
    const auto st = qat::write_back(back, plan, copy, values);
    CHECK(st.weight_values_changed == 0);
    CHECK(st.scales_changed == 0);
    CHECK(back.proto().SerializeAsString() == qdq.proto().SerializeAsString());
  }
}

TEST_CASE("qat: training lowers the loss and writes back a valid QDQ model", "[qat]") {
  const Model fp = load_model(kFixtures / "models/lenet5.onnx");
  const Model qdq = quantized_lenet5(fp);
  const qat::QatPlan plan = qat::analyze_qdq(qdq);
  report::StageRecord stage;
  const Model out = run_qat(
      qdq, fp, {{"epochs", "2"}, {"learn_scales", "1"}, {"lr", "0.001"}, {"patience", "0"}, {"loss", "kl"}}, &stage);
  CHECK(structure(out) == structure(qdq));
  const auto& m = stage.metrics;
  CHECK(m.at("epochs_run") == 2);
  CHECK(m.at("val_loss@2") < m.at("val_loss@0"));
  CHECK(m.at("best_epoch") >= 1);
  CHECK(m.at("weight_values_changed") > 0);
  CHECK(m.at("scales_changed") > 0);
  const auto before = initializers(qdq), after = initializers(out);
  REQUIRE(before.size() == after.size());
  for (const auto& [name, t] : before) {
    INFO(name);
    REQUIRE(after.count(name));
    CHECK(after.at(name).dtype() == t.dtype());
    CHECK(after.at(name).shape() == t.shape());
  }
  for (const auto& w : plan.weights) {
    const Tensor& q = after.at(w.q);
    for (int64_t i = 0; i < q.numel(); ++i) REQUIRE(std::abs(q.get_int64(i)) <= 127);
    if (!w.zero_point.empty())
      CHECK(after.at(w.zero_point).to_int64_vector() == before.at(w.zero_point).to_int64_vector());
  }
  int scales_moved = 0;
  for (const auto& b : plan.biases) {
    INFO(b.q);
    const Tensor& sb = after.at(b.scale);
    const Tensor& sa = after.at(b.in_scale);
    const Tensor& sw = after.at(b.weight_scale);
    for (int64_t c = 0; c < sb.numel(); ++c) {
      REQUIRE(sb.data<float>()[c] == sa.data<float>()[0] * sw.data<float>()[c % sw.numel()]);
    }
    scales_moved += sb.to_float_vector() != before.at(b.scale).to_float_vector() ? 1 : 0;
  }
  CHECK(scales_moved > 0);
  // The written model runs (integer kernels) and still classifies like its teacher.
  const auto feeds = digits(32);
  const auto y = rt::Session::create(out)->run(feeds).front().second;
  const auto t = rt::Session::create(fp)->run(feeds).front().second;
  int agree = 0;
  for (int64_t r = 0; r < 32; ++r) {
    const float* a = y.data<float>() + r * 10;
    const float* b = t.data<float>() + r * 10;
    agree += std::max_element(a, a + 10) - a == std::max_element(b, b + 10) - b ? 1 : 0;
  }
  CHECK(agree >= 30);
}

TEST_CASE("qat: reduce_range weights stay in [-63, 63]; scales kept without learn_scales", "[qat]") {
  const Model fp = load_model(kFixtures / "models/lenet5.onnx");
  const Model qdq = quantized_lenet5(fp, {{"reduce_range", "true"}, {"per_channel", "false"}});
  const qat::QatPlan plan = qat::analyze_qdq(qdq);
  for (const auto& w : plan.weights) CHECK(w.hi == 63);
  report::StageRecord stage;
  const Model out = run_qat(qdq, fp, {{"epochs", "2"}, {"lr", "0.001"}, {"patience", "0"}, {"loss", "kl"}}, &stage);
  const auto before = initializers(qdq), after = initializers(out);
  for (const auto& w : plan.weights) {
    const Tensor& q = after.at(w.q);
    for (int64_t i = 0; i < q.numel(); ++i) REQUIRE(std::abs(q.get_int64(i)) <= 63);
    CHECK(after.at(w.scale).to_float_vector() == before.at(w.scale).to_float_vector());
  }
  for (const auto& s : plan.activation_scales) CHECK(after.at(s).to_float_vector() == before.at(s).to_float_vector());
  std::string notes;
  for (const auto& n : stage.notes) notes += n + "\n";
  INFO(notes);
  CHECK(stage.metrics.at("best_epoch") >= 1);
  CHECK(stage.metrics.at("weight_values_changed") > 0);
}

TEST_CASE("qat: bad input", "[qat]") {
  const Model fp = load_model(kFixtures / "models/lenet5.onnx");
  report::StageRecord stage;
  REQUIRE_THROWS_WITH(run_qat(fp, fp, {}, &stage),
                      Catch::Contains("no QuantizeLinear/DequantizeLinear") && Catch::Contains("quantize-static"));
  const Model qdq = quantized_lenet5(fp);
  REQUIRE_THROWS_WITH(run_qat(qdq, fp, {}, &stage, false), Catch::Contains("qat needs training data"));
}
