// The "cpu" backend: our own optimized float32 kernels, chosen over the reference kernels
// (priority 10) for the nodes their `accepts` checks admit. Each file registers one op.
#include "runtime/kernel_registry.h"

namespace edge::rt {

void register_cpu_Conv(KernelRegistry& r);

void register_cpu_kernels(KernelRegistry& r) { register_cpu_Conv(r); }

}  // namespace edge::rt
