// Cleanup passes on the fixture models (skipped when a fixture is missing): fuse-bn must
// remove every BatchNormalization of the CNNs with outputs within 1e-4 on real samples.
#include <catch2/catch.hpp>
#include <filesystem>

#include "data/npy.h"
#include "pass_test_util.h"
#include "test_util.h"

using namespace edge;
using namespace edge::test;

namespace {

// 16 Fashion-MNIST samples as float [16, 1, 28, 28] in [0, 1], or an empty tensor.
Tensor fashion_samples() {
  auto path = source_dir() / "fixtures/data/fashion_eval_x.npy";
  if (!std::filesystem::exists(path)) return {};
  Tensor raw = data::read_npy(path);
  const int64_t n = std::min<int64_t>(16, raw.dim(0));
  Tensor x(DType::kFloat, {n, 1, 28, 28});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(raw.get_double(i) / 255.0);
  return x;
}

}  // namespace

TEST_CASE("fuse-bn removes every BatchNormalization of the fixture CNNs", "[passes]") {
  Tensor x = fashion_samples();
  for (const char* name : {"resnet8", "mobilenet-tiny"}) {
    auto path = source_dir() / "fixtures/models" / (std::string(name) + ".onnx");
    if (!std::filesystem::exists(path) || !x.defined()) {
      WARN("skipping " << name << ": fixture not found");
      continue;
    }
    INFO(name);
    Model m = load_model(path);
    const int bns = count_op(m, "BatchNormalization");
    REQUIRE(bns > 0);
    report::StageRecord st;
    Model out = apply(m, "fuse-bn", {}, &st);
    REQUIRE(count_op(out, "BatchNormalization") == 0);
    REQUIRE(static_cast<int>(st.layers.size()) == bns);
    REQUIRE(out.graph().node_size() == m.graph().node_size() - bns);
    const std::string input = m.graph().input(0).name();
    REQUIRE(max_diff(m, out, {{input, x}}) < 1e-4);
    // The whole cleanup chain keeps the outputs too.
    Model all = out;
    for (const char* p : {"fold-constants", "remove-identity", "simplify-shapes", "fold-constants",
                          "dedupe-initializers", "eliminate-dead"}) {
      all = apply(all, p);
    }
    REQUIRE(count_op(all, "Constant") == 0);
    REQUIRE(max_diff(m, all, {{input, x}}) < 1e-4);
  }
}

TEST_CASE("cleanup passes keep mnist-8 valid and equivalent", "[passes]") {
  auto path = test::shared_dir() / "models" / "mnist-8" / "model.onnx";
  EDGE_SKIP_UNLESS_EXISTS(path);
  Model m = load_model(path);
  Model all = m;
  for (const char* p : {"fold-constants", "remove-identity", "simplify-shapes", "fuse-bn", "dedupe-initializers",
                        "eliminate-dead"}) {
    all = apply(all, p);
  }
  REQUIRE(count_op(all, "Reshape") == 1);  // the weight reshape is folded
  REQUIRE(count_op(all, "Add") == 1);      // both Conv bias Adds fold into the Convs (fuse-bn); MatMul's stays
  REQUIRE(all.graph().node_size() == m.graph().node_size() - 3);
  REQUIRE(max_diff(m, all, 1) < 1e-4);
}
