// Tensor: a dense, row-major, owning (shared) buffer with an element type and a shape.
// Conversions to and from onnx::TensorProto live in tensor_proto.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/dtype.h"
#include "ir/shape.h"
#include "ir/status.h"

namespace edge {

// Number of elements of a shape; throws on negative dims or int64 overflow.
int64_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s);  // "1x3x224x224", "scalar" for rank 0
// "1x3x224x224" or "1,3,224,224" (non-negative dims) -> the shape; nullopt when malformed.
std::optional<Shape> parse_shape_str(const std::string& text);

// Cap on the bytes of a single tensor; allocations above it fail with kResourceLimit.
void set_max_tensor_bytes(uint64_t bytes);
uint64_t max_tensor_bytes();
// Budget for all tensor storage alive at once in this process (weights, activations,
// arenas, scratch allocated through Tensor::allocate); 0 = no budget (the default). An
// allocation that would exceed it fails with kResourceLimit naming the budget.
void set_max_total_tensor_bytes(uint64_t bytes);
uint64_t max_total_tensor_bytes();
uint64_t live_tensor_bytes();  // tensor storage allocated and not yet freed

// A tensor's storage: 64-byte aligned, shared between tensors that view it.
using Buffer = std::shared_ptr<uint8_t[]>;

class Tensor {
 public:
  Tensor() = default;
  // Allocates a zero-filled tensor.
  Tensor(DType dtype, Shape shape);
  // A tensor over existing storage (not cleared): `buffer` must hold at least
  // checked_nbytes(dtype, shape) bytes. An arena slice is passed as an aliasing shared_ptr.
  Tensor(DType dtype, const Shape& shape, Buffer buffer);
  // Bytes a dtype x shape tensor needs; throws (kResourceLimit) above max_tensor_bytes() or
  // on int64 overflow, and for element types that cannot be stored.
  static size_t checked_nbytes(DType dtype, const Shape& shape);
  // New 64-byte aligned storage of at least `bytes` bytes, zero-filled when `zero`.
  static Buffer allocate(size_t bytes, bool zero);

  template <typename T>
  static Tensor from_vector(const Shape& shape, const std::vector<T>& values);
  template <typename T>
  static Tensor scalar(T v) {
    return from_vector<T>({}, {v});
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i < 0 ? i + rank() : i)]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }
  bool defined() const { return dtype_ != DType::kUndefined; }

  void* raw() { return buf_.get(); }
  const void* raw() const { return buf_.get(); }

  template <typename T>
  T* data() {
    check_type(DTypeOf<T>::value);
    return static_cast<T*>(raw());
  }
  template <typename T>
  const T* data() const {
    check_type(DTypeOf<T>::value);
    return static_cast<const T*>(raw());
  }

  // Same buffer, different shape (element count must match).
  Tensor reshaped(const Shape& shape) const;
  // Deep copy.
  Tensor clone() const;
  // True when both tensors share one buffer.
  bool shares_buffer_with(const Tensor& o) const { return buf_ == o.buf_; }

  // Reads element i (any numeric dtype, float16 included) converted to double / int64.
  double get_double(int64_t i) const;
  int64_t get_int64(int64_t i) const;
  // Reads every element as int64 (for shape/index inputs).
  std::vector<int64_t> to_int64_vector() const;
  std::vector<float> to_float_vector() const;

  std::string describe() const;  // "float32[1x3x224x224]"

 private:
  void check_type(DType t) const;

  DType dtype_ = DType::kUndefined;
  Shape shape_;
  int64_t numel_ = 0;
  Buffer buf_;
};

template <typename T>
Tensor Tensor::from_vector(const Shape& shape, const std::vector<T>& values) {
  Tensor t(DTypeOf<T>::value, shape);
  if (static_cast<int64_t>(values.size()) != t.numel()) {
    fail("tensor of shape " + shape_str(shape) + " given " + std::to_string(values.size()) +
         " values");
  }
  T* d = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) d[i] = values[i];
  return t;
}

}  // namespace edge
