// ReduceProd: the product of the elements over the given axes (axes are an attribute (an input from opset 18); none = all axes);
// keepdims keeps reduced dims as size 1. Shared implementation in tensor_reduce.cc.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_reduce.h"

namespace edge::rt {

void register_ReduceProd(KernelRegistry& r) {
  r.add({"", "ReduceProd", 1, kOpsetMax, numeric_types(), tensor_util::reduce_factory(tensor_util::ReduceOp::kProd)});
}

}  // namespace edge::rt
