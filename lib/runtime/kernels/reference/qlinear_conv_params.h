// The per-run output parameters of a QLinearConv (ai.onnx, or the QDQ fusion's
// form in the runtime's private domain), shared by the reference kernel and the
// cpu backend's: scales and zero points read and checked, the bias in
// accumulator units, the per-channel multiplier x_scale * w_scale[m] / y_scale
// and the output range with the fused activation applied.
//
// Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale,
// y_zero_point[, B]; the fused form's bias may be real-valued (input 8 float32,
// or int32 with its scale as input 9 and zero point as input 10), converted to
// accumulator units once when everything it needs is constant (q_bias_to_acc).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/kernel.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {

struct QConvOutput {
  float x_scale = 1, y_scale = 1;
  int32_t x_zero_point = 0, y_zero_point = 0;
  DType y_type = DType::kUint8;
  int32_t lo = 0, hi = 255;           // output range (the activation folded in)
  const int32_t* bias = nullptr;      // M values in accumulator units, or nullptr
  const float* multiplier = nullptr;  // M values: x_scale * w_scale[m] / y_scale
};

class QConvOutputParams {
 public:
  explicit QConvOutputParams(const KernelInit& init);

  // Reads the run's parameters for M output channels; the pointers stay valid
  // until the next call.
  QConvOutput resolve(const KernelContext& ctx, int64_t M);
  const QActivation& activation() const { return act_; }

 private:
  QActivation act_;
  bool fused_;  // the QDQ fusion's form (qdq_fusion.h)
  bool bias_const_ = false, bias_ready_ = false;
  std::vector<float> ws_;  // per output channel (run state, reused)
  std::vector<float> mult_;
  std::vector<int32_t> acc_bias_;  // the fused form's bias in accumulator units
};

}  // namespace edge::rt
