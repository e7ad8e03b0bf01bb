// The integer convolution shared by QLinearConv (and its fused form) and ConvInteger:
//   acc[n, m, o] = sum over the window of (x - x_zero_point) * (w - w_zero_point[m])
// in int32, for 8-bit x and w of either signedness, N-d, grouped, with strides, dilations,
// explicit pads or auto_pad. Padding reads the zero point, i.e. a real 0, as the ONNX
// integer ops define. Computed per (image, group) from the patch matrix of x - x_zero_point
// as int16 (2-D: linalg::im2col_2d_s16 straight from the 8-bit image; N-d: widened, then
// im2col; 1x1 unit-stride unpadded kernels: the widened image itself) times the weights,
// which are widened once at preparation when they and their zero points are constant:
// linalg::igemm_s16, or for one output channel per group (depthwise) a dot product per row.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/kernel.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/linalg/gemm.h"

namespace edge::rt {

class IntConvCore {
 public:
  // `w_input` / `w_zp_input`: the node's inputs holding W and its zero point.
  IntConvCore(const KernelInit& init, int w_input, int w_zp_input);

  // Checks X and W against each other and the attributes, widens W when it was not constant
  // at preparation, resolves the geometry for X's spatial size and returns Y's shape
  // [N, M, out...]. Call once per run before run_group.
  Shape begin_run(const KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* w_zp);

  int64_t out_channels() const { return M_; }
  int64_t groups() const { return group_; }
  int64_t out_numel() const { return geom_.out_numel(); }  // output positions per channel
  // int16 elements of work space that run_group needs.
  int64_t work_elems() const;
  // acc[Mg x out_numel()] (row stride out_numel()) for image n and group g.
  void run_group(const KernelContext& ctx, const Tensor& x, int32_t x_zero_point, int64_t n, int64_t g, int16_t* work,
                 int32_t* acc) const;
  // "im2col-igemm", "pointwise-igemm" or "depthwise-dot" ("igemm" before the first run).
  std::string algorithm() const;

 private:
  void widen_weights(const std::string& where, const Tensor& w, const Tensor* w_zp);

  NnSpatialAttrs attrs_;
  int64_t group_ = 1;
  int64_t M_ = 0, Cg_ = 0, Kg_ = 0;
  Shape kernel_;
  bool weights_const_ = false;
  std::vector<int16_t> w16_;  // [M, Kg]: w - w_zero_point[m]
  std::vector<int32_t> zp_;   // per output channel (work vector of widen_weights)
  NnSpatial geom_;
  linalg::Conv2dGeom g2_{};  // geom_ of one group, for 2-D convolutions
  Shape geom_in_;
  bool has_geom_ = false, pointwise_ = false;
};

}  // namespace edge::rt
