#include "runtime/kernel.h"

#include "runtime/thread_pool.h"

namespace edge::rt {

const Tensor& KernelContext::input(int i) const {
  if (!has_input(i)) fail(where() + ": required input " + std::to_string(i) + " is missing");
  return *inputs[static_cast<size_t>(i)];
}

bool KernelContext::has_output(int i) const {
  return i < node->output_size() && !node->output(i).empty();
}

Tensor& KernelContext::alloc_output(int i, DType dt, const Shape& shape) {
  Tensor& t = outputs.at(static_cast<size_t>(i));
  t = Tensor(dt, shape);
  return t;
}

void KernelContext::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) const {
  if (pool) {
    pool->parallel_for(n, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

}  // namespace edge::rt
