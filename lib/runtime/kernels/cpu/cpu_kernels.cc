// The "cpu" backend: our own optimized float32 and integer kernels, chosen over the reference kernels
// (priority 10) for the nodes their `accepts` checks admit. Each file registers one op.
#include "runtime/kernel_registry.h"

namespace edge::rt {

void register_cpu_Conv(KernelRegistry& r);
void register_cpu_GRU(KernelRegistry& r);
void register_cpu_DepthwiseConv(KernelRegistry& r);
void register_cpu_UnaryMath(KernelRegistry& r);
void register_cpu_Softmax(KernelRegistry& r);
void register_cpu_QLinearConv(KernelRegistry& r);
void register_cpu_QLinearDepthwiseConv(KernelRegistry& r);
void register_cpu_QLinearMatMul(KernelRegistry& r);
void register_cpu_QuantizeDequantize(KernelRegistry& r);
void register_cpu_QLinearBinaryPairs(KernelRegistry& r);
void register_cpu_MaxPool(KernelRegistry& r);

void register_cpu_kernels(KernelRegistry& r) {
  register_cpu_Conv(r);
  register_cpu_GRU(r);
  register_cpu_DepthwiseConv(r);
  register_cpu_UnaryMath(r);
  register_cpu_Softmax(r);
  register_cpu_QLinearConv(r);
  register_cpu_QLinearDepthwiseConv(r);
  register_cpu_QLinearMatMul(r);
  register_cpu_QuantizeDequantize(r);
  register_cpu_QLinearBinaryPairs(r);
  register_cpu_MaxPool(r);
}

}  // namespace edge::rt
