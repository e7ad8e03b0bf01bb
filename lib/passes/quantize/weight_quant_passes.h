// Quantize passes that need no calibration (declared in lib/pass/passes.def): weights are
// converted offline, activations stay float or are quantized at run time.
#pragma once

#include "pass/context.h"
#include "pass/pass.h"

namespace edge::pass {

// quantize-dynamic: int8 weights; activations quantized at run time by DynamicQuantizeLinear
// (MatMul/Gemm -> MatMulInteger, Conv -> ConvInteger); GRU/LSTM/RNN weights int8 through
// DequantizeLinear. quantize_dynamic.cc.
class QuantizeDynamic : public Pass {
 public:
  explicit QuantizeDynamic(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  static std::string check_input(const Model& model);  // refuses an already-quantized model
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

// quantize-weight-only: MatMul/Gemm weights in 4 or 8 bits with block-wise scales
// (com.microsoft MatMulNBits), or int8 per channel through DequantizeLinear; compute stays
// float. quantize_weight_only.cc.
class QuantizeWeightOnly : public Pass {
 public:
  explicit QuantizeWeightOnly(const PassOptions& o);
  static const char* summary();
  static std::vector<OptionSpec> options();
  static std::string check_input(const Model& model);
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

// quantize-fp16: float16 weights and compute; ops without a float16 kernel stay float32
// behind Casts; graph inputs/outputs stay float32 (keep_io=1) or become float16.
// quantize_fp16.cc.
class QuantizeFp16 : public Pass {
 public:
  explicit QuantizeFp16(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  static std::string check_input(const Model& model);
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

}  // namespace edge::pass
