// Softmax: Y = exp(X - max) / sum(exp(X - max)) along `axis` (opset >= 13) or over the
// trailing dims from `axis` of the input coerced to 2-D (opset < 13).
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_softmax.h"

namespace edge::rt {

void register_Softmax(KernelRegistry& r) {
  r.add({"", "Softmax", 1, kOpsetMax, float_types(), factory_of<NnSoftmaxKernel<false>>()});
}

}  // namespace edge::rt
