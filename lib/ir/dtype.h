// Element types, numbered as onnx::TensorProto::DataType so that conversions are a cast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace edge {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
};

// Size in bytes of one element; 0 for types without a fixed-size representation.
size_t dtype_size(DType t);
// Lower-case ONNX-style name: "float32", "int8", ...
std::string dtype_name(DType t);
// True for the element types the runtime can store in a Tensor.
bool dtype_supported(DType t);
DType dtype_from_onnx(int32_t onnx_type);
// "float8e4m3fn (ONNX type 17)" for ONNX element types newer than ONNX 1.12 (bfloat16 and
// earlier are known to it), "" for the others.
std::string newer_onnx_type_name(int32_t onnx_type);

// IEEE half <-> float, round-to-nearest-even.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

// Compile-time mapping from C++ type to DType.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kDouble; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUint8; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kUint16; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kUint32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kUint64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

// Calls f(T{}) with T the C++ type of `t` for the numeric types (not float16/string).
// Usage: dispatch_numeric(t, [&](auto tag) { using T = decltype(tag); ... });
template <typename F>
bool dispatch_numeric(DType t, F&& f) {
  switch (t) {
    case DType::kFloat: f(float{}); return true;
    case DType::kDouble: f(double{}); return true;
    case DType::kUint8: f(uint8_t{}); return true;
    case DType::kInt8: f(int8_t{}); return true;
    case DType::kUint16: f(uint16_t{}); return true;
    case DType::kInt16: f(int16_t{}); return true;
    case DType::kInt32: f(int32_t{}); return true;
    case DType::kInt64: f(int64_t{}); return true;
    case DType::kUint32: f(uint32_t{}); return true;
    case DType::kUint64: f(uint64_t{}); return true;
    case DType::kBool: f(bool{}); return true;
    default: return false;
  }
}

}  // namespace edge
