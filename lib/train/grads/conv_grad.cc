// Backward of Conv (N-d, grouped, strides, dilations, pads or auto_pad), matching the
// runtime's forward (runtime/kernels/reference/conv.cc): per (image n, group g), with
// col = im2col(X[n, g]) the [Cg * prod(kernel), prod(out)] patch matrix,
//   Y[n, g]  = W[g] * col (+ B)
//   dW[g]   += dY[n, g] * col^T               (sgemm, transposed B operand)
//   dcol     = W[g]^T * dY[n, g];  dX[n, g] = col2im(dcol)   (overlapping windows add up)
//   dB[m]    = sum over n and output positions of dY[n, m]
// A 1x1 kernel with unit strides and no padding reads X directly (col = X[n, g], dcol = dX[n, g]).
#include <string>
#include <vector>

#include "ir/status.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/im2col.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"
#include "train/grads/spatial_grad_util.h"

namespace edge::train {
namespace {

void conv_grad(GradContext& ctx) {
  const Tensor x = as_float(ctx.input(0));
  const Tensor w = as_float(ctx.input(1));
  const Tensor dy = as_float(*ctx.output_grad(0));
  const int64_t group = ctx.attrs->get_int("group", 1);
  if (x.rank() < 3 || w.rank() != x.rank()) {
    fail(ctx.where() + ": Conv backward needs X of rank >= 3 and W of the same rank, got " + x.describe() + " and " +
         w.describe());
  }
  const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), Cg = w.dim(1);
  if (group <= 0 || C % group != 0 || C / group != Cg || M % group != 0) {
    fail(ctx.where() + ": Conv backward: X " + x.describe() + " and W " + w.describe() + " do not fit group=" +
         std::to_string(group));
  }
  const rt::NnSpatial geom = resolve_window(ctx, Shape(x.shape().begin() + 2, x.shape().end()),
                                            Shape(w.shape().begin() + 2, w.shape().end()));
  Shape out{N, M};
  out.insert(out.end(), geom.out.begin(), geom.out.end());
  if (dy.shape() != out) fail_internal(ctx.where() + ": output gradient " + dy.describe() + " does not match the window sweep");

  const int64_t G = group, Mg = M / G, kprod = geom.kernel_numel(), Kg = Cg * kprod;
  const int64_t on = geom.out_numel(), in_n = geom.in_numel();
  bool pointwise = true;
  for (int d = 0; d < geom.rank(); ++d) {
    const size_t ud = static_cast<size_t>(d);
    pointwise = pointwise && geom.kernel[ud] == 1 && geom.stride[ud] == 1 && geom.pad_begin[ud] == 0 &&
                geom.pad_end[ud] == 0;
  }
  const bool want_x = ctx.wants_grad(0), want_w = ctx.wants_grad(1), want_b = ctx.wants_grad(2);
  float* dxp = want_x ? ctx.grad(0).data<float>() : nullptr;
  float* dwp = want_w ? ctx.grad(1).data<float>() : nullptr;
  const float* px = x.data<float>();
  const float* pw = w.data<float>();
  const float* pdy = dy.data<float>();
  if (on > 0 && Kg > 0 && Mg > 0 && (want_x || want_w)) {
    std::vector<float> col(pointwise || !want_w ? 0 : static_cast<size_t>(Kg * on));
    std::vector<float> dcol(pointwise || !want_x ? 0 : static_cast<size_t>(Kg * on));
    // 2-D patch matrices come from the row-wise im2col (whole rows copied at once).
    const bool two_d = geom.rank() == 2;
    const rt::linalg::Conv2dGeom g2 =
        two_d ? rt::linalg::Conv2dGeom{Cg,           geom.in[0],        geom.in[1],        geom.kernel[0],
                                       geom.kernel[1], geom.stride[0],  geom.stride[1],    geom.dil[0],
                                       geom.dil[1],  geom.pad_begin[0], geom.pad_begin[1], geom.out[0],
                                       geom.out[1]}
              : rt::linalg::Conv2dGeom{};
    for (int64_t g = 0; g < G; ++g) {
      const float* wg = pw + g * Mg * Kg;
      // W[g]^T is the A operand of every image's dcol product: packed once per group.
      const rt::linalg::PackedA wt = want_x ? rt::linalg::PackedA(true, Kg, Mg, wg, Kg) : rt::linalg::PackedA();
      for (int64_t n = 0; n < N; ++n) {
        const float* xg = px + (n * C + g * Cg) * in_n;
        const float* dyg = pdy + (n * M + g * Mg) * on;
        if (want_w) {
          const float* colp = xg;
          if (!pointwise) {
            if (two_d) {
              rt::linalg::im2col_2d(xg, g2, col.data());
            } else {
              rt::nn_im2col(xg, geom, 0, Kg, col.data());
            }
            colp = col.data();
          }
          rt::linalg::sgemm(false, true, Mg, Kg, on, 1.f, dyg, on, colp, on, 1.f, dwp + g * Mg * Kg, Kg, nullptr);
        }
        if (want_x) {
          float* dxg = dxp + (n * C + g * Cg) * in_n;
          rt::linalg::sgemm_packed(wt, false, on, 1.f, dyg, on, 0.f, pointwise ? dxg : dcol.data(), on, nullptr);
          if (!pointwise) rt::nn_col2im(dcol.data(), geom, 0, Kg, dxg);
        }
      }
    }
  }
  if (want_b) {
    float* db = ctx.grad(2).data<float>();
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t m = 0; m < M; ++m) {
        const float* row = pdy + (n * M + m) * on;
        float s = 0.f;
        for (int64_t o = 0; o < on; ++o) s += row[o];
        db[m] += s;
      }
    }
  }
}

}  // namespace

void register_conv_grads(GradRegistry& r) {
  r.add({"", "Conv", conv_grad, {}, false});
}

}  // namespace edge::train
