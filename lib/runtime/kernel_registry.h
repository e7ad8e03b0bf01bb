// The kernel registry: kernels keyed by (domain, op, opset range), each from a backend
// ("reference" always; optimized ones such as "cpu" beside it), with a priority, the CPU
// features it needs and an optional per-node check of everything known at preparation
// (input types and shapes, constant weights, attributes). For each node the session picks
// the matching kernel with the highest priority among the enabled backends whose features
// this CPU has; the reference backend is always enabled, so every op keeps a fallback and
// the reference kernels stay the oracle that the optimized ones are tested against.
// Kernels are registered explicitly (no static initializers that a linker could drop).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ir/dtype.h"
#include "runtime/kernel.h"

namespace edge::rt {

constexpr int kOpsetMax = 1000;  // open-ended "until" for the newest version of an op

// CPU features a kernel can require (bit flags).
enum CpuFeature : uint32_t {
  kCpuAvx2Fma = 1u << 0,
  kCpuAvx512f = 1u << 1,
  kCpuAvx512Vnni = 1u << 2,
  kCpuNeon = 1u << 3,
};
uint32_t host_cpu_features();
std::string cpu_features_str(uint32_t features);  // "avx2+fma, avx512f"

struct KernelDef {
  std::string domain;      // "" for ai.onnx
  std::string op;
  int since = 1;           // first opset version the kernel implements
  int until = kOpsetMax;   // last opset version (inclusive)
  std::vector<DType> dtypes;  // accepted types of the first input; empty = any
  KernelFactory create;
  std::string backend = "reference";
  int priority = 0;           // higher wins; reference kernels use 0
  uint32_t cpu_features = 0;  // all must be present on the host
  // Optional: whether this kernel handles this particular node (types, shapes, constants).
  std::function<bool(const KernelInit&)> accepts{};
};

class KernelRegistry {
 public:
  void add(KernelDef def);
  // The best kernel for a node: matching domain/op/opset, the first input's type (when
  // known), `accepts`, CPU features, and a backend in `backends` (empty = every backend;
  // "reference" is always allowed). Highest priority wins; among equals the one added last.
  // nullptr when none.
  const KernelDef* select(const std::string& domain, const std::string& op, int opset, const KernelInit& init,
                          const std::vector<std::string>& backends = {}) const;
  // The most recently added kernel matching domain/op/opset and, when `dtype` is not
  // kUndefined, accepting it (ignores priorities and per-node checks). nullptr when none.
  const KernelDef* find(const std::string& domain, const std::string& op, int opset,
                        DType dtype = DType::kUndefined) const;
  // True if some kernel exists for the op at this opset (any dtype).
  bool supports(const std::string& domain, const std::string& op, int opset) const {
    return find(domain, op, opset) != nullptr;
  }
  const std::vector<KernelDef>& all() const { return defs_; }
  // Backend names, in registration order.
  std::vector<std::string> backends() const;

  // The registry with every built-in kernel (reference and optimized backends).
  static const KernelRegistry& builtin();

 private:
  std::vector<KernelDef> defs_;
};

// Type lists for KernelDef::dtypes.
const std::vector<DType>& float_types();    // float32, float64, float16
const std::vector<DType>& numeric_types();  // all numeric incl. float16 (not bool)
const std::vector<DType>& all_types();      // numeric + bool

void register_reference_kernels(KernelRegistry& r);
// The "cpu" backend: our own optimized float32 kernels (kernels/cpu/).
void register_cpu_kernels(KernelRegistry& r);

}  // namespace edge::rt
