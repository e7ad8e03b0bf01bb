// ReduceMax: the maximum of the elements over the given axes (axes are an attribute (an input from opset 18); none = all axes);
// keepdims keeps reduced dims as size 1. Shared implementation in tensor_reduce.cc.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_reduce.h"

namespace edge::rt {

void register_ReduceMax(KernelRegistry& r) {
  r.add({"", "ReduceMax", 1, kOpsetMax, numeric_types(), tensor_util::reduce_factory(tensor_util::ReduceOp::kMax)});
  // Opset 20 adds bool inputs.
  r.add({"", "ReduceMax", 20, kOpsetMax, {DType::kBool}, tensor_util::reduce_factory(tensor_util::ReduceOp::kMax)});
}

}  // namespace edge::rt
