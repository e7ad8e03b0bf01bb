#include "runtime/kernel_registry.h"

#include <algorithm>

namespace edge::rt {

void KernelRegistry::add(KernelDef def) {
  if (def.domain == "ai.onnx") def.domain.clear();
  defs_.push_back(std::move(def));
}

const KernelDef* KernelRegistry::find(const std::string& domain_in, const std::string& op, int opset,
                                      DType dtype) const {
  std::string domain = domain_in == "ai.onnx" ? std::string() : domain_in;
  for (auto it = defs_.rbegin(); it != defs_.rend(); ++it) {
    if (it->domain != domain || it->op != op || opset < it->since || opset > it->until) continue;
    if (dtype != DType::kUndefined && !it->dtypes.empty() &&
        std::find(it->dtypes.begin(), it->dtypes.end(), dtype) == it->dtypes.end()) {
      continue;
    }
    return &*it;
  }
  return nullptr;
}

const KernelRegistry& KernelRegistry::builtin() {
  static const KernelRegistry reg = [] {
    KernelRegistry r;
    register_reference_kernels(r);
    return r;
  }();
  return reg;
}

std::vector<DType> float_types() { return {DType::kFloat, DType::kDouble, DType::kFloat16}; }

std::vector<DType> numeric_types() {
  return {DType::kFloat, DType::kDouble, DType::kFloat16, DType::kInt8,  DType::kUint8,
          DType::kInt16, DType::kUint16, DType::kInt32,   DType::kUint32, DType::kInt64,
          DType::kUint64};
}

std::vector<DType> all_types() {
  auto v = numeric_types();
  v.push_back(DType::kBool);
  return v;
}

// Each reference kernel file defines register_<Name>(KernelRegistry&).
#define EDGE_KERNEL(name) void register_##name(KernelRegistry& r);
#include "runtime/kernels/reference/kernel_list.def"
#undef EDGE_KERNEL

void register_reference_kernels(KernelRegistry& r) {
#define EDGE_KERNEL(name) register_##name(r);
#include "runtime/kernels/reference/kernel_list.def"
#undef EDGE_KERNEL
}

}  // namespace edge::rt
