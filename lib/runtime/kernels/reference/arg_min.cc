// ArgMin: int64 index of the smallest element along `axis` (first occurrence, or last with
// select_last_index from opset 12); keepdims keeps the axis as size 1.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_reduce.h"

namespace edge::rt {

void register_ArgMin(KernelRegistry& r) {
  r.add({"", "ArgMin", 1, kOpsetMax, numeric_types(), tensor_util::arg_factory(false)});
}

}  // namespace edge::rt
