// qat: quantization-aware training of a QDQ model (the pipeline's current model after
// quantize-static, or a QDQ file). Weights train as float32 through QuantizeLinear ->
// DequantizeLinear with their own scales (straight-through estimator), scales optionally
// learned (LSQ), against the float model with the distill objective; the result is written
// back as the same QDQ graph with new int8 weights, int32 biases and scales. docs/qat.md.
#pragma once

#include "pass/context.h"
#include "pass/pass.h"

namespace edge::pass {

class Qat : public Pass {
 public:
  explicit Qat(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

}  // namespace edge::pass
