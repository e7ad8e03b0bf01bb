// The kernels this library registers (kernel_selection.h): every kernel of the source tree, or,
// when EDGE_KERNEL_SELECTION is defined, the list in "edge_kernel_selection.def" that CMake
// generates from -DEDGE_RUN_KERNELS. Only the functions below live here: an executable that
// links an object of its own with these symbols ahead of libedge_runtime.a never pulls this one
// (or the kernels it names) from the archive.
#include "runtime/kernel_selection.h"

#include <string>

#ifdef EDGE_KERNEL_SELECTION
#define EDGE_KERNEL_LIST "edge_kernel_selection.def"
#else
#define EDGE_KERNEL_LIST "runtime/kernels/all_kernels.def"
#endif

namespace edge::rt {

#define EDGE_KERNEL(name) void register_##name(KernelRegistry& r);
#define EDGE_CPU_KERNEL(name) void register_cpu_##name(KernelRegistry& r);
#include EDGE_KERNEL_LIST
#undef EDGE_KERNEL
#undef EDGE_CPU_KERNEL

void register_reference_kernels([[maybe_unused]] KernelRegistry& r) {
#define EDGE_KERNEL(name) register_##name(r);
#define EDGE_CPU_KERNEL(name)
#include EDGE_KERNEL_LIST
#undef EDGE_KERNEL
#undef EDGE_CPU_KERNEL
}

void register_cpu_kernels([[maybe_unused]] KernelRegistry& r) {
#define EDGE_KERNEL(name)
#define EDGE_CPU_KERNEL(name) register_cpu_##name(r);
#include EDGE_KERNEL_LIST
#undef EDGE_KERNEL
#undef EDGE_CPU_KERNEL
}

const char* kernel_selection() {
#ifdef EDGE_KERNEL_SELECTION
  static const std::string list = [] {
  // Adjacent string literals: "Conv;" "Relu;" "cpu_Conv;" ...
#define EDGE_KERNEL(name) #name ";"
#define EDGE_CPU_KERNEL(name) "cpu_" #name ";"
    std::string s = ""
#include EDGE_KERNEL_LIST
        ;
#undef EDGE_KERNEL
#undef EDGE_CPU_KERNEL
    if (!s.empty()) s.pop_back();  // the last ';'
    return s;
  }();
  return list.c_str();
#else
  return "";
#endif
}

}  // namespace edge::rt
