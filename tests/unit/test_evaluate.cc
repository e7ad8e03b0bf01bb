#include <catch2/catch.hpp>

#include "data/evaluate.h"
#include "data/npy.h"
#include "ir/text_format.h"
#include "test_util.h"

using namespace edge;

namespace {
std::unique_ptr<rt::Session> add_model(const std::string& shape, const std::string& bias) {
  int64_t n = static_cast<int64_t>(std::count(bias.begin(), bias.end(), ',')) + 1;
  std::string t = "float[" + shape + ", " + std::to_string(n) + "]";
  return rt::Session::create(parse_model_text("<ir_version: 8, opset_import: [\"\" : 13]>\ng (" + t + " x) => (" + t +
                                              " y) <float[" + std::to_string(n) + "] b = {" + bias + "}> { y = Add(x, b) }"));
}
}  // namespace

TEST_CASE("evaluate: top-1 against labels, batch fixed to 1 and dynamic", "[data]") {
  test::TempDir dir;
  // argmax per sample: 0, 1, 2, 0, 2
  data::write_npy(dir / "x.npy", Tensor::from_vector<float>({5, 3}, {5, 1, 0, 0, 3, 1, 1, 0, 9, 2, 1, 1, 0, 0, 1}));
  data::write_npy(dir / "y.npy", Tensor::from_vector<int64_t>({5}, {0, 1, 2, 1, 2}));
  auto data = data::open_dataset(dir / "x.npy");
  data::Labels labels = data::open_labels(dir / "y.npy");
  for (const char* batch_dim : {"1", "N"}) {
    auto model = add_model(batch_dim, "0, 0, 0");
    data::EvalOptions o;
    o.batch = 2;
    data::EvalResult r = data::evaluate(*model, *data, &labels, nullptr, o);
    REQUIRE(r.samples == 5);
    REQUIRE(r.batch == (std::string(batch_dim) == "1" ? 1 : 2));
    REQUIRE(r.has_labels);
    REQUIRE(r.top1 == Approx(0.8));
    REQUIRE_FALSE(r.has_top5);  // 3 classes
    REQUIRE_FALSE(r.has_reference);
    REQUIRE(r.classes == 3);
    REQUIRE(r.output == "y");
    REQUIRE(r.throughput > 0);
  }
  // --limit: the first 3 samples are all right.
  auto model = add_model("N", "0, 0, 0");
  data::EvalOptions o;
  o.limit = 3;
  REQUIRE(data::evaluate(*model, *data, &labels, nullptr, o).top1 == Approx(1.0));
  REQUIRE(data::evaluate(*model, *data, &labels, nullptr, o).samples == 3);
}

TEST_CASE("evaluate: reference agreement, cosine and errors", "[data]") {
  test::TempDir dir;
  data::write_npy(dir / "x.npy", Tensor::from_vector<float>({4, 3}, {5, 1, 0, 0, 3, 1, 1, 0, 9, 2, 1, 1}));
  auto data = data::open_dataset(dir / "x.npy");
  auto model = add_model("N", "0, 0, 0");
  auto self = add_model("N", "0, 0, 0");
  data::EvalOptions o;
  o.batch = 3;
  data::EvalResult same = data::evaluate(*model, *data, nullptr, self.get(), o);
  REQUIRE(same.has_reference);
  REQUIRE_FALSE(same.has_labels);
  REQUIRE(same.agreement_top1 == Approx(1.0));
  REQUIRE(same.cosine == Approx(1.0));
  REQUIRE(same.max_abs_error == 0.0);
  REQUIRE(same.mean_abs_error == 0.0);
  // A model that adds 4 to class 2 predicts 0, 2, 2, 2 where the reference predicts
  // 0, 1, 2, 0 (agreement 2/4); the abs error is 4 on one value in three.
  auto biased = add_model("1", "0, 0, 4");
  data::EvalResult diff = data::evaluate(*biased, *data, nullptr, model.get(), o);
  REQUIRE(diff.agreement_top1 == Approx(0.5));
  REQUIRE(diff.max_abs_error == Approx(4.0));
  REQUIRE(diff.mean_abs_error == Approx(4.0 / 3));
  REQUIRE(diff.cosine < 1.0);
  REQUIRE(diff.cosine > 0.0);
  // A reference whose output has another size is refused.
  auto wide = add_model("N", "0, 0, 0, 0");
  REQUIRE_THROWS_WITH(data::evaluate(*model, *data, nullptr, wide.get(), o), Catch::Contains("does not fit"));
}

TEST_CASE("evaluate: top-5, label errors", "[data]") {
  test::TempDir dir;
  std::vector<float> x(2 * 6, 0.f);
  for (int i = 0; i < 6; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i);      // ranks: 5 4 3 2 1 0
  for (int i = 0; i < 6; ++i) x[static_cast<size_t>(6 + i)] = static_cast<float>(5 - i);
  data::write_npy(dir / "x.npy", Tensor::from_vector<float>({2, 6}, x));
  data::write_npy(dir / "y.npy", Tensor::from_vector<int64_t>({2}, {1, 5}));  // 5th best, last
  auto data = data::open_dataset(dir / "x.npy");
  auto labels = data::open_labels(dir / "y.npy");
  auto model = add_model("N", "0, 0, 0, 0, 0, 0");
  data::EvalResult r = data::evaluate(*model, *data, &labels, nullptr, {});
  REQUIRE(r.has_top5);
  REQUIRE(r.top1 == 0.0);
  REQUIRE(r.top5 == Approx(0.5));
  data::write_npy(dir / "big.npy", Tensor::from_vector<int64_t>({2}, {1, 6}));
  auto big = data::open_labels(dir / "big.npy");
  REQUIRE_THROWS_WITH(data::evaluate(*model, *data, &big, nullptr, {}), Catch::Contains("big.npy") && Catch::Contains("outside"));
  data::write_npy(dir / "three.npy", Tensor::from_vector<int64_t>({3}, {1, 2, 3}));
  auto three = data::open_labels(dir / "three.npy");
  REQUIRE_THROWS_WITH(data::evaluate(*model, *data, &three, nullptr, {}),
                      Catch::Contains("three.npy has 3 labels") && Catch::Contains("x.npy has 2 samples"));
}

TEST_CASE("evaluate: per-position outputs agree per row; wrong output names list the outputs", "[data]") {
  test::TempDir dir;
  // Two samples of 4 positions x 3 scores, all distinct within a row.
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7) % 11);
  data::write_npy(dir / "x.npy", Tensor::from_vector<float>({2, 4, 3}, x));
  auto data = data::open_dataset(dir / "x.npy");
  auto scaled = [](const std::string& row0) {
    return rt::Session::create(parse_model_text(
        "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[N, 4, 3] x) => (float[N, 4, 3] y, float[N, 4, 3] z) "
        "<float[4, 1] c = {" + row0 + ", 1, 1, 1}> { y = Mul(x, c)\n z = Identity(x) }"));
  };
  auto model = scaled("1");
  auto flipped = scaled("-1");  // position 0 of every sample gets its argmin: 1 row in 4 differs
  data::EvalResult r = data::evaluate(*flipped, *data, nullptr, model.get(), {});
  REQUIRE(r.positions == 4);
  REQUIRE(r.classes == 3);
  REQUIRE(r.agreement_top1 == Approx(0.75));
  // Labels score one row per sample.
  data::write_npy(dir / "y.npy", Tensor::from_vector<int64_t>({2}, {0, 1}));
  data::Labels labels = data::open_labels(dir / "y.npy");
  REQUIRE_THROWS_WITH(data::evaluate(*model, *data, &labels, nullptr, {}), Catch::Contains("4 rows of 3 scores"));
  data::EvalOptions o;
  o.output = "scores";
  REQUIRE_THROWS_WITH(data::evaluate(*model, *data, nullptr, nullptr, o),
                      Catch::Contains("no output named 'scores'") && Catch::Contains("'y', 'z'"));
}
