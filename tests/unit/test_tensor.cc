#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "ir/tensor.h"
#include "ir/tensor_compare.h"
#include "ir/tensor_proto.h"

using namespace edge;

TEST_CASE("tensor allocation, shape and typed access") {
  Tensor t(DType::kFloat, {2, 3});
  REQUIRE(t.numel() == 6);
  REQUIRE(t.nbytes() == 24);
  REQUIRE(t.data<float>()[5] == 0.f);
  REQUIRE(reinterpret_cast<uintptr_t>(t.raw()) % 64 == 0);
  REQUIRE_THROWS_AS(t.data<int32_t>(), Error);
  Tensor r = t.reshaped({3, 2});
  REQUIRE(r.shares_buffer_with(t));
  REQUIRE_THROWS_AS(t.reshaped({4, 2}), Error);
  Tensor c = t.clone();
  REQUIRE_FALSE(c.shares_buffer_with(t));
  REQUIRE(Tensor::scalar<int64_t>(7).rank() == 0);
}

TEST_CASE("negative and overflowing dims are refused") {
  REQUIRE_THROWS_AS(Tensor(DType::kFloat, {-1, 3}), Error);
  REQUIRE_THROWS_AS(shape_numel({int64_t{1} << 40, int64_t{1} << 40}), Error);
  try {
    Tensor big(DType::kFloat, {int64_t{1} << 40, int64_t{1} << 20});
    FAIL("expected an error");
  } catch (const Error& e) {
    REQUIRE(e.code() == ErrorCode::kResourceLimit);
  }
}

TEST_CASE("allocation cap is configurable") {
  uint64_t old = max_tensor_bytes();
  set_max_tensor_bytes(1000);
  REQUIRE_THROWS_AS(Tensor(DType::kFloat, {251}), Error);
  REQUIRE_NOTHROW(Tensor(DType::kFloat, {250}));
  set_max_tensor_bytes(old);
}

TEST_CASE("float16 conversion round-trips and rounds to nearest even") {
  for (float f : {0.f, 1.f, -2.5f, 65504.f, 6.1035156e-05f, 5.9604645e-08f, 0.333251953125f}) {
    REQUIRE(half_to_float(float_to_half(f)) == f);
  }
  REQUIRE(std::isinf(half_to_float(float_to_half(1e6f))));
  REQUIRE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
  REQUIRE(float_to_half(1.f) == 0x3c00);
  // 1 + 2^-11 is halfway between 1 and the next half: rounds to even (1.0).
  REQUIRE(float_to_half(1.f + 1.f / 2048.f) == 0x3c00);
}

TEST_CASE("TensorProto round trip: raw_data and typed fields") {
  Tensor t = Tensor::from_vector<float>({2, 2}, {1.f, -2.f, 3.5f, 0.f});
  onnx::TensorProto p = tensor_to_proto(t, "w");
  Tensor back = tensor_from_proto(p, {}, "w");
  REQUIRE(compare_tensors(back, t, 0, 0).passed());

  onnx::TensorProto typed;
  typed.set_data_type(onnx::TensorProto::INT64);
  typed.add_dims(3);
  for (int64_t v : {4, -5, 6}) typed.add_int64_data(v);
  REQUIRE(tensor_from_proto(typed, {}, "t").to_int64_vector() == std::vector<int64_t>{4, -5, 6});

  onnx::TensorProto half;
  half.set_data_type(onnx::TensorProto::FLOAT16);
  half.add_dims(1);
  half.add_int32_data(0x3c00);
  REQUIRE(tensor_from_proto(half, {}, "h").get_double(0) == 1.0);

  onnx::TensorProto bad = p;
  bad.mutable_raw_data()->resize(7);
  REQUIRE_THROWS_WITH(tensor_from_proto(bad, {}, "initializer 'w'"), Catch::Contains("raw_data has 7 bytes"));
  onnx::TensorProto short_typed = typed;
  short_typed.add_dims(2);
  REQUIRE_THROWS_WITH(tensor_from_proto(short_typed, {}, "t"), Catch::Contains("has 3 values"));
}

TEST_CASE("compare_tensors follows allclose semantics") {
  Tensor a = Tensor::from_vector<float>({3}, {1.f, 100.f, std::nanf("")});
  Tensor b = Tensor::from_vector<float>({3}, {1.0005f, 100.05f, std::nanf("")});
  REQUIRE(compare_tensors(a, b, 1e-3, 0).passed());
  REQUIRE_FALSE(compare_tensors(a, b, 1e-5, 0).passed());
  Tensor c = Tensor::from_vector<float>({1, 3}, {1.f, 100.f, 0.f});
  REQUIRE_FALSE(compare_tensors(a, c, 1, 1).shape_ok);
}

TEST_CASE("get_int64 of floating values saturates instead of overflowing") {
  const Tensor f = Tensor::from_vector<float>({5}, {6.97672e22f, -1e30f, NAN, 2.9f, -2.9f});
  CHECK(f.get_int64(0) == std::numeric_limits<int64_t>::max());
  CHECK(f.get_int64(1) == std::numeric_limits<int64_t>::min());
  CHECK(f.get_int64(2) == 0);
  CHECK(f.get_int64(3) == 2);
  CHECK(f.get_int64(4) == -2);
  const Tensor d = Tensor::from_vector<double>({1}, {1e300});
  CHECK(d.get_int64(0) == std::numeric_limits<int64_t>::max());
}
