// Passes that recover int8 accuracy around quantize-static (declared in lib/pass/passes.def):
// equalize (before it), bias-correction (after it) and quantize-auto (quantize-static with an
// accuracy gate and per-layer float fallback). docs/quantization.md describes them.
#pragma once

#include "pass/context.h"
#include "pass/pass.h"

namespace edge::pass {

// equalize: cross-layer equalization of Conv -> Relu/Clip -> Conv chains (equalize.cc).
class Equalize : public Pass {
 public:
  explicit Equalize(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

// bias-correction: after quantize-static (QDQ form), folds the mean per-channel error of each
// quantized layer's output into its int32 bias (bias_correction.cc).
class BiasCorrection : public Pass {
 public:
  explicit BiasCorrection(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  static bool needs_calibration_data() { return true; }
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

// quantize-auto: quantize-static, then the layers that cost the most accuracy go back to float, one
// at a time, until the accuracy drop is within max_drop (quantize_auto.cc).
class QuantizeAuto : public Pass {
 public:
  explicit QuantizeAuto(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  static bool needs_calibration_data() { return true; }
  static std::string check_input(const Model& model);
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

}  // namespace edge::pass
