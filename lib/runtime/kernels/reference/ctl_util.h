// Shared helpers of the control-flow / sequence / resampling kernels (group "control"):
// float tensors read into and written from double buffers.
#pragma once

#include <string>
#include <vector>

#include "ir/tensor.h"

namespace edge::rt {

// True for float32, float64 and float16.
bool ctl_is_float(DType t);
// Every element of a numeric tensor (float16 included) as double.
std::vector<double> ctl_read_doubles(const Tensor& t);
// The same into `out` (resized; reuses its capacity, so steady-state calls do not allocate).
void ctl_read_doubles(const Tensor& t, std::vector<double>& out);
// Stores `v` (numel values) into `t`, converting to its element type; integer types are
// rounded to nearest and saturated.
void ctl_write_doubles(Tensor& t, const std::vector<double>& v);
// Layout of QuantizeLinear/DequantizeLinear parameters: element i of x uses scale and
// zero point number (i / inner) % channels (channels == 1, inner == 1: per tensor).
struct CtlQuantLayout {
  int64_t channels = 1;
  int64_t inner = 1;
  size_t param(int64_t i) const { return static_cast<size_t>((i / inner) % channels); }
};
// Validates scale and (optional) zero point against x for attribute `axis` (opset >= 13
// allows 1-D per-axis parameters) and returns their layout.
CtlQuantLayout ctl_quant_layout(const std::string& where, const Tensor& x, const Tensor& scale, const Tensor* zp,
                                int64_t axis, int opset);

// Throws kResourceLimit when a working buffer of `n` doubles would exceed the tensor cap.
void ctl_check_buffer(const std::string& where, int64_t n);

}  // namespace edge::rt
