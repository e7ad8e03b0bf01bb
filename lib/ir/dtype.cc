#include "ir/dtype.h"

#include <iterator>

namespace edge {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat: case DType::kInt32: case DType::kUint32: return 4;
    case DType::kDouble: case DType::kInt64: case DType::kUint64: return 8;
    case DType::kUint8: case DType::kInt8: case DType::kBool: return 1;
    case DType::kUint16: case DType::kInt16: case DType::kFloat16: return 2;
    default: return 0;
  }
}

std::string dtype_name(DType t) {
  switch (t) {
    case DType::kFloat: return "float32";
    case DType::kUint8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kUint16: return "uint16";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kString: return "string";
    case DType::kBool: return "bool";
    case DType::kFloat16: return "float16";
    case DType::kDouble: return "float64";
    case DType::kUint32: return "uint32";
    case DType::kUint64: return "uint64";
    default: return "dtype(" + std::to_string(static_cast<int>(t)) + ")";
  }
}

bool dtype_supported(DType t) { return dtype_size(t) != 0; }

std::string newer_onnx_type_name(int32_t t) {
  static const char* const kNames[] = {"float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "uint4", "int4"};
  if (t >= 0 && t <= 16) return {};
  const bool named = t >= 17 && t < 17 + static_cast<int32_t>(std::size(kNames));
  return std::string(named ? kNames[t - 17] : "unknown") + " (ONNX type " + std::to_string(t) + ")";
}

DType dtype_from_onnx(int32_t onnx_type) {
  if (onnx_type < 0 || onnx_type > 13) return DType::kUndefined;
  return static_cast<DType>(onnx_type);
}

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 112) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {  // inf or nan
    return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
  }
  if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow to inf
  if (absx < 0x38800000u) {  // subnormal or zero in half
    if (absx < 0x33000000u) return static_cast<uint16_t>(sign);
    uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    int shift = 113 - static_cast<int>(absx >> 23) + 13;
    uint32_t half_mant = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_mant & 1u))) ++half_mant;
    return static_cast<uint16_t>(sign | half_mant);
  }
  uint32_t exp = ((absx >> 23) - 112) << 10;
  uint32_t mant = (absx >> 13) & 0x3ffu;
  uint32_t rem = absx & 0x1fffu;
  uint32_t h = exp | mant;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

}  // namespace edge
