// Quantize passes (declared in lib/pass/passes.def).
#pragma once

#include "pass/context.h"
#include "pass/pass.h"

namespace edge::pass {

// quantize-static: int8 weights and activations calibrated on the PassContext's calibration
// data, written as QDQ or QOperator, with a per-layer error table in the report.
// quantize_static.cc; the rewriting is lib/passes/quantize/quantizer.h.
class QuantizeStatic : public Pass {
 public:
  explicit QuantizeStatic(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  static bool needs_calibration_data() { return true; }
  // Refuses an already-quantized model (quantizer.h: quantized_node).
  static std::string check_input(const Model& model);
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

}  // namespace edge::pass
