#include "ir/tensor.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

#include "ir/saturating.h"

namespace edge {

namespace {
std::atomic<uint64_t> g_max_tensor_bytes{uint64_t{16} << 30};  // 16 GiB default
std::atomic<uint64_t> g_max_total_bytes{0};                        // no budget
std::atomic<uint64_t> g_live_bytes{0};

struct AlignedDelete {
  size_t bytes = 0;
  void operator()(uint8_t* p) const {
    ::operator delete[](p, std::align_val_t{64});
    g_live_bytes.fetch_sub(bytes, std::memory_order_relaxed);
  }
};

std::string mib(uint64_t bytes) { return std::to_string((bytes + (uint64_t{1} << 20) - 1) >> 20) + " MiB"; }
}  // namespace

std::string bytes_str(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", b);
  return buf;
}

void set_max_tensor_bytes(uint64_t bytes) { g_max_tensor_bytes = bytes; }
uint64_t max_tensor_bytes() { return g_max_tensor_bytes; }
void set_max_total_tensor_bytes(uint64_t bytes) { g_max_total_bytes = bytes; }
uint64_t max_total_tensor_bytes() { return g_max_total_bytes; }
uint64_t live_tensor_bytes() { return g_live_bytes.load(std::memory_order_relaxed); }

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) fail("negative dimension " + std::to_string(d) + " in shape " + shape_str(s));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) {
      throw Error(ErrorCode::kResourceLimit, "shape " + shape_str(s) + " overflows int64");
    }
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& s) {
  if (s.empty()) return "scalar";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += "x";
    out += std::to_string(s[i]);
  }
  return out;
}

std::optional<Shape> parse_shape_str(const std::string& text) {
  Shape shape;
  size_t pos = 0;
  while (true) {
    const size_t x = text.find_first_of("x,", pos);
    const std::string d = text.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    if (d.empty() || d.size() > 12 || d.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    shape.push_back(std::stoll(d));
    if (x == std::string::npos) return shape;
    pos = x + 1;
  }
}

size_t Tensor::checked_nbytes(DType dtype, const Shape& shape) {
  if (!dtype_supported(dtype)) fail_unsupported("unsupported tensor element type " + dtype_name(dtype));
  const int64_t numel = shape_numel(shape);
  const uint64_t esize = dtype_size(dtype);
  if (static_cast<uint64_t>(numel) > max_tensor_bytes() / esize) {
    throw Error(ErrorCode::kResourceLimit,
                "tensor " + dtype_name(dtype) + "[" + shape_str(shape) + "] needs " +
                    bytes_str(static_cast<double>(numel) * static_cast<double>(esize)) +
                    " bytes, above the limit of " + std::to_string(max_tensor_bytes()) + " bytes");
  }
  return static_cast<size_t>(numel) * esize;
}

Buffer Tensor::allocate(size_t bytes, bool zero) {
  size_t alloc = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  const uint64_t live = g_live_bytes.fetch_add(alloc, std::memory_order_relaxed) + alloc;
  const uint64_t budget = g_max_total_bytes.load(std::memory_order_relaxed);
  if (budget != 0 && live > budget) {
    g_live_bytes.fetch_sub(alloc, std::memory_order_relaxed);
    throw Error(ErrorCode::kResourceLimit, "tensor memory would reach " + mib(live) + ", above the budget of " +
                                               mib(budget) + " (--max-memory-mb)");
  }
  uint8_t* p = nullptr;
  try {
    p = static_cast<uint8_t*>(::operator new[](alloc, std::align_val_t{64}));
  } catch (...) {
    g_live_bytes.fetch_sub(alloc, std::memory_order_relaxed);
    throw;
  }
  if (zero) std::memset(p, 0, alloc);
  return Buffer(p, AlignedDelete{alloc});
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  buf_ = allocate(checked_nbytes(dtype_, shape_), true);
  numel_ = shape_numel(shape_);
}

Tensor::Tensor(DType dtype, const Shape& shape, Buffer buffer)
    : dtype_(dtype), shape_(shape), buf_(std::move(buffer)) {
  numel_ = shape_numel(shape_);
  if (!buf_) fail_internal("tensor " + describe() + " given no storage");
}

void Tensor::check_type(DType t) const {
  if (t != dtype_) {
    fail_internal("tensor of type " + dtype_name(dtype_) + " accessed as " + dtype_name(t));
  }
}

Tensor Tensor::reshaped(const Shape& shape) const {
  if (shape_numel(shape) != numel_) {
    fail("cannot reshape " + describe() + " to " + shape_str(shape));
  }
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::clone() const {
  if (!defined()) return {};
  Tensor t(dtype_, shape_);
  if (nbytes()) std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

double Tensor::get_double(int64_t i) const {
  if (dtype_ == DType::kFloat16) return half_to_float(static_cast<const uint16_t*>(raw())[i]);
  double out = 0;
  if (!dispatch_numeric(dtype_, [&](auto tag) {
        using T = decltype(tag);
        out = static_cast<double>(static_cast<const T*>(raw())[i]);
      })) {
    fail_unsupported("cannot read elements of type " + dtype_name(dtype_));
  }
  return out;
}

int64_t Tensor::get_int64(int64_t i) const {
  if (dtype_ == DType::kFloat16) return saturating_int64(get_double(i));
  int64_t out = 0;
  if (!dispatch_numeric(dtype_, [&](auto tag) {
        using T = decltype(tag);
        const T v = static_cast<const T*>(raw())[i];
        if constexpr (std::is_floating_point_v<T>) {
          out = saturating_int64(static_cast<double>(v));
        } else {
          out = static_cast<int64_t>(v);
        }
      })) {
    fail_unsupported("cannot read elements of type " + dtype_name(dtype_));
  }
  return out;
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) v[static_cast<size_t>(i)] = get_int64(i);
  return v;
}

std::vector<float> Tensor::to_float_vector() const {
  std::vector<float> v(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) v[static_cast<size_t>(i)] = static_cast<float>(get_double(i));
  return v;
}

std::string Tensor::describe() const { return dtype_name(dtype_) + "[" + shape_str(shape_) + "]"; }

}  // namespace edge
