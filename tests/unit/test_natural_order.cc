// Natural order (lib/ir/natural_order.h) and the two readers of ONNX test-data folders that
// use it: edge-run check / conformance (rt::find_test_data_sets) and the pb dataset.
#include <algorithm>
#include <catch2/catch.hpp>

#include "data/dataset.h"
#include "ir/natural_order.h"
#include "ir/tensor_proto.h"
#include "runtime/test_data_set.h"
#include "test_util.h"

using namespace edge;
namespace fs = std::filesystem;

TEST_CASE("natural_less counts numbers by value", "[natural_order]") {
  REQUIRE(natural_less("input_2", "input_10"));
  REQUIRE_FALSE(natural_less("input_10", "input_2"));
  REQUIRE(natural_less("test_data_set_9", "test_data_set_10"));
  REQUIRE(natural_less("a", "a0"));
  REQUIRE(natural_less("input_1", "output_0"));
  // Equal values with different leading zeros still have a fixed order, both ways consistent.
  REQUIRE(natural_less("a01", "a1") != natural_less("a1", "a01"));
  REQUIRE_FALSE(natural_less("a1", "a1"));
  // Digit runs longer than any integer type.
  REQUIRE(natural_less("x99999999999999999999999999", "x100000000000000000000000000"));

  std::vector<std::string> names = {"input_10", "input_1", "input_0", "input_2", "input_11", "input_9"};
  std::sort(names.begin(), names.end(), natural_less);
  REQUIRE(names == std::vector<std::string>{"input_0", "input_1", "input_2", "input_9", "input_10", "input_11"});

  std::vector<fs::path> paths = {"d/test_data_set_10", "d/test_data_set_2", "d/test_data_set_0"};
  sort_natural(paths);
  REQUIRE(paths == std::vector<fs::path>{"d/test_data_set_0", "d/test_data_set_2", "d/test_data_set_10"});
}

TEST_CASE("both test-data readers list test_data_set_N in natural order", "[natural_order]") {
  test::TempDir dir;
  for (int i = 0; i <= 11; ++i) {
    fs::path set = dir / ("test_data_set_" + std::to_string(i));
    fs::create_directories(set);
    write_tensor_pb(set / "input_0.pb", Tensor::from_vector<float>({1}, {static_cast<float>(i)}), "x");
  }
  fs::create_directories(dir / "no_inputs_here");

  std::vector<fs::path> sets = rt::find_test_data_sets(dir.path());
  REQUIRE(sets.size() == 12);
  for (size_t i = 0; i < sets.size(); ++i) {
    REQUIRE(sets[i].filename() == "test_data_set_" + std::to_string(i));
  }
  auto d = data::open_dataset(dir.path());
  REQUIRE(d->size() == 12);
  for (int64_t i = 0; i < d->size(); ++i) REQUIRE(d->read(i)[0].get_double(0) == static_cast<double>(i));

  // A folder that is itself a set is the only set.
  REQUIRE(rt::find_test_data_sets(dir / "test_data_set_3") == std::vector<fs::path>{dir / "test_data_set_3"});
  REQUIRE(rt::find_test_data_sets(dir / "no_inputs_here").empty());
}
