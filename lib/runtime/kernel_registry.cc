#include "runtime/kernel_registry.h"

#include <algorithm>

namespace edge::rt {

uint32_t host_cpu_features() {
  static const uint32_t f = [] {
    uint32_t v = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) v |= kCpuAvx2Fma;
    if (__builtin_cpu_supports("avx512f")) v |= kCpuAvx512f;
    if (__builtin_cpu_supports("avx512vnni")) v |= kCpuAvx512Vnni;
#elif defined(__aarch64__)
    v |= kCpuNeon;
#endif
    return v;
  }();
  return f;
}

std::string cpu_features_str(uint32_t features) {
  std::string s;
  auto add = [&](uint32_t bit, const char* name) {
    if (!(features & bit)) return;
    if (!s.empty()) s += ", ";
    s += name;
  };
  add(kCpuAvx2Fma, "avx2+fma");
  add(kCpuAvx512f, "avx512f");
  add(kCpuAvx512Vnni, "avx512vnni");
  add(kCpuNeon, "neon");
  return s.empty() ? "none" : s;
}

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

const KernelDef* KernelRegistry::select(const std::string& domain_in, const std::string& op, int opset,
                                        const KernelInit& init, const std::vector<std::string>& backends) const {
  const std::string domain = domain_in == "ai.onnx" ? std::string() : domain_in;
  const DType in0 = init.input_type(0).dtype;
  const uint32_t host = host_cpu_features();
  const KernelDef* best = nullptr;
  for (const auto& d : defs_) {
    if (d.domain != domain || d.op != op || opset < d.since || opset > d.until) continue;
    if (in0 != DType::kUndefined && !d.dtypes.empty() &&
        std::find(d.dtypes.begin(), d.dtypes.end(), in0) == d.dtypes.end()) {
      continue;
    }
    if ((d.cpu_features & host) != d.cpu_features) continue;
    if (!backends.empty() && d.backend != "reference" &&
        std::find(backends.begin(), backends.end(), d.backend) == backends.end()) {
      continue;
    }
    if (d.accepts && !d.accepts(init)) continue;
    if (!best || d.priority >= best->priority) best = &d;
  }
  return best;
}

std::vector<std::string> KernelRegistry::backends() const {
  std::vector<std::string> out;
  for (const auto& d : defs_) {
    if (std::find(out.begin(), out.end(), d.backend) == out.end()) out.push_back(d.backend);
  }
  return out;
}

const KernelRegistry& KernelRegistry::builtin() {
  static const KernelRegistry reg = [] {
    KernelRegistry r;
    register_reference_kernels(r);
    register_cpu_kernels(r);
    return r;
  }();
  return reg;
}

// Static lists: kernels check input types against them on every run without allocating.
const std::vector<DType>& float_types() {
  static const std::vector<DType> v = {DType::kFloat, DType::kDouble, DType::kFloat16};
  return v;
}

const std::vector<DType>& numeric_types() {
  static const std::vector<DType> v = {DType::kFloat, DType::kDouble, DType::kFloat16, DType::kInt8,
                                       DType::kUint8, DType::kInt16,  DType::kUint16,  DType::kInt32,
                                       DType::kUint32, DType::kInt64, DType::kUint64};
  return v;
}

const std::vector<DType>& all_types() {
  static const std::vector<DType> v = [] {
    auto t = numeric_types();
    t.push_back(DType::kBool);
    return t;
  }();
  return v;
}

}  // namespace edge::rt
