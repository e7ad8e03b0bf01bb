#include <catch2/catch.hpp>

#include "data/npy.h"
#include "test_util.h"

using namespace edge;

TEST_CASE("npy round trip for several dtypes and ranks") {
  test::TempDir dir;
  Tensor f = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  data::write_npy(dir / "f.npy", f);
  Tensor back = data::read_npy(dir / "f.npy");
  REQUIRE(back.shape() == Shape{2, 3});
  REQUIRE(back.to_float_vector() == f.to_float_vector());
  Tensor v = Tensor::from_vector<int64_t>({3}, {7, -8, 9});
  data::write_npy(dir / "v.npy", v);
  REQUIRE(data::read_npy(dir / "v.npy").to_int64_vector() == std::vector<int64_t>{7, -8, 9});
  Tensor s = Tensor::scalar<uint8_t>(200);
  data::write_npy(dir / "s.npy", s);
  REQUIRE(data::read_npy(dir / "s.npy").rank() == 0);
  // Header is padded so that data starts on a 64-byte boundary, as numpy does.
  REQUIRE(data::encode_npy(f).size() % 64 == 24 % 64);
}

TEST_CASE("malformed npy files are refused with the file named") {
  test::TempDir dir;
  test::write_bytes(dir / "bad.npy", "not numpy");
  REQUIRE_THROWS_WITH(data::read_npy(dir / "bad.npy"), Catch::Contains("bad.npy") && Catch::Contains("bad magic"));
  std::string good = data::encode_npy(Tensor::from_vector<float>({4}, {1, 2, 3, 4}));
  test::write_bytes(dir / "short.npy", good.substr(0, good.size() - 3));
  REQUIRE_THROWS_WITH(data::read_npy(dir / "short.npy"), Catch::Contains("needs 16"));
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  test::write_bytes(dir / "fortran.npy", fortran);
  REQUIRE_THROWS_WITH(data::read_npy(dir / "fortran.npy"), Catch::Contains("Fortran"));
}
