// Calibration cache: round trip, what changes the key, and files that are not a cache hit.
#include <catch2/catch.hpp>

#include <chrono>

#include "calib/calibrate.h"
#include "data/npy.h"
#include "ir/text_format.h"
#include "test_util.h"

using namespace edge;
using namespace edge::calib;

namespace {

Model scale_model(const std::string& w) {
  return parse_model_text(
      "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[N, 3] x) => (float[N, 3] y) "
      "<float[3] w = {" +
      w + "}> { y = Mul(x, w) }");
}

void write_samples(const std::filesystem::path& p, float first) {
  data::write_npy(p, Tensor::from_vector<float>({3, 3}, {first, 2, 3, 4, 5, 6, 7, 8, 9}));
}

Ranges sample_ranges() {
  Ranges r;
  r["a"] = TensorRange{-1.5f, 3.25f, -2.f, 3.5f, 0.001, 1000, 0};
  r["b/c:0"] = TensorRange{0.f, 1.f / 3, 0.f, 0.4f, 0.0, 7, 2};
  r[std::string("bad\xff\xfe name")] = TensorRange{-1e-30f, 6.f, -1e-30f, 6.f, 0.0, 1, 0};
  return r;
}

}  // namespace

TEST_CASE("calibration cache: round trip is exact, another key, missing and corrupt files are misses", "[calib]") {
  test::TempDir dir;
  auto file = default_cache_path(dir / "out.onnx");
  REQUIRE(file.filename() == "out.onnx.calib.json");
  REQUIRE_FALSE(load_cache(file, "k1"));  // missing
  Ranges saved = sample_ranges();
  save_cache(file, "k1", saved);
  REQUIRE(test::count_entries(dir.path()) == 1);  // no temporary file left behind
  auto loaded = load_cache(file, "k1");
  REQUIRE(loaded);
  REQUIRE(loaded->size() == saved.size());
  for (const auto& [name, r] : saved) {
    const TensorRange& l = loaded->at(name);  // names that are not UTF-8 survive too
    REQUIRE(l.min == r.min);
    REQUIRE(l.max == r.max);
    REQUIRE(l.observed_min == r.observed_min);
    REQUIRE(l.observed_max == r.observed_max);
    REQUIRE(l.clipped_fraction == r.clipped_fraction);
    REQUIRE(l.count == r.count);
    REQUIRE(l.nonfinite == r.nonfinite);
  }
  REQUIRE_FALSE(load_cache(file, "k2"));  // another key

  const std::string good = test::read_bytes(file);
  const std::vector<std::string> corrupt = {
      "",
      "not json",
      good.substr(0, good.size() / 2),
      "[]",
      R"({"format": "edge.calib-cache/1", "key": "k1"})",
      R"({"format": "edge.calib-cache/2", "key": "k1", "tensors": []})",
      R"({"format": "edge.calib-cache/1", "key": 5, "tensors": []})",
      R"({"format": "edge.calib-cache/1", "key": "k1", "tensors": {"a": 1}})",
      R"({"format": "edge.calib-cache/1", "key": "k1", "tensors": [{"name": "a"}]})",
      R"({"format": "edge.calib-cache/1", "key": "k1", "tensors": [{"name": "a", "min": 1, "max": 2,
          "observed_min": 1, "observed_max": 2, "clipped_fraction": 0, "count": 1, "nonfinite": 0}]})",
      R"({"format": "edge.calib-cache/1", "key": "k1", "tensors": [{"name": "a", "min": -1, "max": "2",
          "observed_min": -1, "observed_max": 2, "clipped_fraction": 0, "count": 1, "nonfinite": 0}]})",
      R"({"format": "edge.calib-cache/1", "key": "k1", "tensors": [{"name": "a", "min": -1, "max": 1e300,
          "observed_min": -1, "observed_max": 2, "clipped_fraction": 0, "count": 1, "nonfinite": 0}]})",
      R"({"format": "edge.calib-cache/1", "key": "k1", "tensors": [{"name": "a", "min": -1, "max": 1,
          "observed_min": -1, "observed_max": 2, "clipped_fraction": 0, "count": -4, "nonfinite": 0}]})",
      R"({"format": "edge.calib-cache/1", "key": "k1", "tensors": [{"name_hex": "zz", "min": -1, "max": 1,
          "observed_min": -1, "observed_max": 2, "clipped_fraction": 0, "count": 1, "nonfinite": 0}]})",
      std::string("\xef\xbb\xbf\x00\xff", 5),
  };
  for (size_t i = 0; i < corrupt.size(); ++i) {
    INFO("corrupt file " << i);
    test::write_bytes(file, corrupt[i]);
    std::optional<Ranges> got;
    REQUIRE_NOTHROW(got = load_cache(file, "k1"));
    REQUIRE_FALSE(got);
  }
  REQUIRE_FALSE(load_cache(dir.path(), "k1"));  // a directory
  // Saving where it cannot write throws and names the file.
  REQUIRE_THROWS_WITH(save_cache(dir / "no-such-dir" / "c.json", "k1", saved), Catch::Contains("no-such-dir"));
}

TEST_CASE("calibration cache key: changes with the model, the data and the options that change ranges", "[calib]") {
  test::TempDir dir;
  write_samples(dir / "x.npy", 1);
  write_samples(dir / "y.npy", 1);
  auto data = data::open_dataset(dir / "x.npy");
  Model model = scale_model("1, 2, 3");
  CalibOptions o;
  const std::string key = cache_key(model, *data, o);
  REQUIRE(key.size() == 64);
  REQUIRE(cache_key(model, *data, o) == key);                                                // stable
  REQUIRE(cache_key(scale_model("1, 2, 3"), *data::open_dataset(dir / "x.npy"), o) == key);  // same inputs, new objects
  REQUIRE(cache_key(scale_model("1, 2, 4"), *data, o) != key);                               // a weight

  // Data: another file with the same bytes, other preprocessing, another order or count,
  // an edited file.
  REQUIRE(cache_key(model, *data::open_dataset(dir / "y.npy"), o) != key);
  data::DataOptions scaled;
  scaled.pre.scale = 1.0 / 255;
  REQUIRE(cache_key(model, *data::open_dataset(dir / "x.npy", scaled), o) != key);
  data->shuffle(7);
  REQUIRE(cache_key(model, *data, o) != key);
  data->set_limit(0);  // unshuffle is not possible: open again
  auto fresh = data::open_dataset(dir / "x.npy");
  fresh->set_limit(2);
  REQUIRE(cache_key(model, *fresh, o) != key);
  fresh->set_limit(0);
  REQUIRE(cache_key(model, *fresh, o) == key);
  (void)fresh->next_indices(1);  // calibration starts from the current position
  REQUIRE(cache_key(model, *fresh, o) != key);
  write_samples(dir / "x.npy", 100);  // same size, other bytes and mtime
  std::filesystem::last_write_time(dir / "x.npy",
                                   std::filesystem::last_write_time(dir / "x.npy") + std::chrono::seconds(5));
  REQUIRE(cache_key(model, *data::open_dataset(dir / "x.npy"), o) != key);
  write_samples(dir / "x.npy", 1);
  auto restored = data::open_dataset(dir / "x.npy");
  const std::string key2 = cache_key(model, *restored, o);

  // Options: those that change ranges do, the others do not.
  auto with = [&](auto edit) {
    CalibOptions c;
    edit(c);
    return cache_key(model, *restored, c);
  };
  REQUIRE(with([](CalibOptions& c) { c.method = Method::kEntropy; }) != key2);
  REQUIRE(with([](CalibOptions& c) { c.samples = 2; }) != key2);
  REQUIRE(with([](CalibOptions& c) { c.bins = 1024; }) != key2);
  REQUIRE(with([](CalibOptions& c) { c.batch = 2; }) != key2);
  REQUIRE(with([](CalibOptions& c) { c.percentile = 99.9; }) == key2);  // minmax ignores it
  auto pct = [](double p) {
    return [p](CalibOptions& c) {
      c.method = Method::kPercentile;
      c.percentile = p;
    };
  };
  REQUIRE(with(pct(99.9)) != with(pct(99.99)));
  REQUIRE(with([](CalibOptions& c) { c.bits = 4; }) == key2);  // minmax ignores the grid
  auto mse = [](int bits, bool u) {
    return [bits, u](CalibOptions& c) {
      c.method = Method::kMse;
      c.bits = bits;
      c.unsigned_grid = u;
    };
  };
  REQUIRE(with(mse(8, true)) != with(mse(4, true)));
  REQUIRE(with(mse(8, true)) != with(mse(8, false)));
}
