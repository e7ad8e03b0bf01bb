// ReduceSum: the sum of the elements over the given axes (axes are an attribute before opset 13 and an optional input from opset 13; none = all axes);
// keepdims keeps reduced dims as size 1. Shared implementation in tensor_reduce.cc.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_reduce.h"

namespace edge::rt {

void register_ReduceSum(KernelRegistry& r) {
  r.add({"", "ReduceSum", 1, kOpsetMax, numeric_types(), tensor_util::reduce_factory(tensor_util::ReduceOp::kSum)});
}

}  // namespace edge::rt
