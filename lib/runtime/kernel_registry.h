// The kernel registry: one table of kernels keyed by (domain, op, opset range, dtype).
// Reference kernels are registered explicitly from kernels/reference/kernel_list.def
// (no static initializers that a linker could drop); optimized kernels register after
// them and take precedence for the (op, opset, dtype) they cover.
#pragma once

#include <string>
#include <vector>

#include "ir/dtype.h"
#include "runtime/kernel.h"

namespace edge::rt {

constexpr int kOpsetMax = 1000;  // open-ended "until" for the newest version of an op

struct KernelDef {
  std::string domain;      // "" for ai.onnx
  std::string op;
  int since = 1;           // first opset version the kernel implements
  int until = kOpsetMax;   // last opset version (inclusive)
  std::vector<DType> dtypes;  // type of the first input it accepts; empty = any
  KernelFactory create;
  std::string provider = "reference";
};

class KernelRegistry {
 public:
  void add(KernelDef def);
  // The most recently added kernel matching domain/op/opset and, when `dtype` is not
  // kUndefined, accepting it. nullptr when none.
  const KernelDef* find(const std::string& domain, const std::string& op, int opset,
                        DType dtype = DType::kUndefined) const;
  // True if some kernel exists for the op at this opset (any dtype).
  bool supports(const std::string& domain, const std::string& op, int opset) const {
    return find(domain, op, opset) != nullptr;
  }
  const std::vector<KernelDef>& all() const { return defs_; }

  // The registry with every built-in kernel.
  static const KernelRegistry& builtin();

 private:
  std::vector<KernelDef> defs_;
};

// Type lists for KernelDef::dtypes.
std::vector<DType> float_types();          // float32, float64, float16
std::vector<DType> numeric_types();        // all numeric incl. float16 (not bool)
std::vector<DType> all_types();            // numeric + bool

void register_reference_kernels(KernelRegistry& r);

}  // namespace edge::rt
