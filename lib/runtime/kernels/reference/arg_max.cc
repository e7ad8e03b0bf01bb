// ArgMax: int64 index of the largest element along `axis` (first occurrence, or last with
// select_last_index from opset 12); keepdims keeps the axis as size 1.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_reduce.h"

namespace edge::rt {

void register_ArgMax(KernelRegistry& r) {
  r.add({"", "ArgMax", 1, kOpsetMax, numeric_types(), tensor_util::arg_factory(true)});
}

}  // namespace edge::rt
