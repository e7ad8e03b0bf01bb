#include "runtime/kernel.h"

#include <cstring>

#include "runtime/thread_pool.h"

namespace edge::rt {

const std::string& KernelContext::where() const {
  if (node_text) return *node_text;
  thread_local std::string text;  // a kernel driven outside a graph runner
  text = describe_node(*node);
  return text;
}

const Tensor& KernelContext::input(int i) const {
  if (!has_input(i)) fail(where() + ": required input " + std::to_string(i) + " is missing");
  return *inputs[static_cast<size_t>(i)];
}

bool KernelContext::has_output(int i) const {
  return i < node->output_size() && !node->output(i).empty();
}

Tensor& KernelContext::alloc_output(int i, DType dt, const Shape& shape) {
  Tensor& t = outputs.at(static_cast<size_t>(i));
  if (storage) {
    t = Tensor(dt, shape, storage->output_buffer(i, Tensor::checked_nbytes(dt, shape)));
  } else {
    t = Tensor(dt, shape);
  }
  return t;
}

Tensor& KernelContext::alloc_output_zeroed(int i, DType dt, const Shape& shape) {
  Tensor& t = alloc_output(i, dt, shape);
  if (storage && t.nbytes() > 0) std::memset(t.raw(), 0, t.nbytes());
  return t;
}

void* KernelContext::scratch(size_t bytes) {
  if (storage) return storage->scratch(bytes);
  // Outside a graph run (a kernel driven directly): a per-thread buffer that only grows.
  thread_local Buffer buf;
  thread_local size_t cap = 0;
  if (bytes > cap || !buf) {
    buf = Tensor::allocate(bytes, false);
    cap = bytes;
  }
  return buf.get();
}

void KernelContext::parallel_for(int64_t n, RangeFn fn) const {
  if (pool) {
    pool->parallel_for(n, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

bool ValueType::is_static() const {
  if (!has_shape) return false;
  for (int64_t d : shape) {
    if (d < 0) return false;
  }
  return true;
}

namespace {
const ValueType& unknown_type() {
  static const ValueType t;
  return t;
}
}  // namespace

const Tensor* KernelInit::constant(int i) const {
  return i >= 0 && static_cast<size_t>(i) < constants.size() ? constants[static_cast<size_t>(i)] : nullptr;
}

const ValueType& KernelInit::input_type(int i) const {
  return i >= 0 && static_cast<size_t>(i) < input_types.size() ? input_types[static_cast<size_t>(i)] : unknown_type();
}

const ValueType& KernelInit::output_type(int i) const {
  return i >= 0 && static_cast<size_t>(i) < output_types.size() ? output_types[static_cast<size_t>(i)]
                                                                  : unknown_type();
}

}  // namespace edge::rt
