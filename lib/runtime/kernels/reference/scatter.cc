// Scatter (opset 9-10, deprecated): the same operation as ScatterElements without reduction.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {

void register_Scatter(KernelRegistry& r) {
  r.add({"", "Scatter", 9, 10, all_types(), tensor_util::scatter_elements_factory()});
}

}  // namespace edge::rt
