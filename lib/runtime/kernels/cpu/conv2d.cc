// cpu backend: float32 Conv with constant weights, prepared once per node.
//
// At preparation the weights are packed once and the algorithm is chosen from the weight
// shape: "depthwise" (one input and one output channel per group: a direct sliding-window
// loop), "direct" (2-D kernels larger than 1x1, and every 2-D kernel where the AVX-512 tile is
// there: an implicit GEMM reading the taps straight from a padded copy of the input,
// linalg/conv2d_direct.h; for mostly zero weights, its sparse rows: only nonzero taps are
// summed, when sparse_pays()), "pointwise" (1x1, unit stride, no padding: the input is the GEMM
// operand as it is) or "im2col" (other ranks and strided 1x1: the patch matrix is built in
// scratch space, then one packed GEMM per group). Bias, the residual input and the activation
// are applied as the results are written. Geometry is resolved again only when the input's
// spatial size changes.
#include <algorithm>
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/cpu/fused_activation.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/linalg/conv2d_direct.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/im2col.h"
#include "runtime/linalg/pointwise_avx512.h"
#include "runtime/thread_pool.h"

namespace edge::rt {
namespace {

bool conv_accepts(const KernelInit& init) {
  const Tensor* w = init.constant(1);
  const Tensor* b = init.constant(2);
  const bool bias_ok = init.node.input_size() < 3 || init.node.input(2).empty() || (b && b->dtype() == DType::kFloat);
  const DType x = init.input_type(0).dtype;
  return (x == DType::kFloat || x == DType::kUndefined) && w && w->dtype() == DType::kFloat && w->rank() >= 3 &&
         bias_ok;
}

using Activation = FusedActivation;

class CpuConvKernel : public OpKernel {
 public:
  explicit CpuConvKernel(const KernelInit& init)
      : attrs_(NnSpatialAttrs::parse(init)), group_(init.attrs.get_int("group", 1)), act_(Activation::parse(init)) {
    const Tensor& w = *init.constant(1);
    if (group_ <= 0) fail(init.where() + ": group must be positive");
    M_ = w.dim(0);
    Cg_ = w.dim(1);
    if (M_ % group_ != 0) fail(init.where() + ": output channels not divisible by group");
    kernel_ = Shape(w.shape().begin() + 2, w.shape().end());
    if (!attrs_.kernel.empty() && attrs_.kernel != kernel_) fail(init.where() + ": kernel_shape does not match W " + w.describe());
    if (const Tensor* b = init.constant(2)) {
      if (b->rank() != 1 || b->dim(0) != M_) fail(init.where() + ": B must have shape [" + std::to_string(M_) + "], got " + b->describe());
      bias_.assign(b->data<float>(), b->data<float>() + M_);
    }
    const int64_t Mg = M_ / group_, Kg = w.numel() / M_;
    depthwise_ = Cg_ == 1 && Mg == 1 && kernel_.size() == 2;
    // Pruned weights (mostly zeros) take the direct path's sparse rows, 1x1 kernels included.
    zeros_ = linalg::zero_share(w.data<float>(), w.numel());
    if (!depthwise_ && kernel_.size() == 2) sparse_ = sparse_pays(init);
    // 1x1 kernels with unit strides and no padding: the AVX-512 pointwise tile where there is
    // AVX-512. Other 1x1 kernels: one packed GEMM on the input as it is, unless the AVX-512
    // direct tile is there (twice as fast: bench/direct_conv_bench.cc).
    pw512_ = !depthwise_ && !sparse_ && kernel_.size() == 2 && kernel_[0] == 1 && kernel_[1] == 1 &&
             unit_strides_no_pads() && linalg::pw512::available();
    direct_ = !pw512_ && !depthwise_ && kernel_.size() == 2 &&
              (kernel_[0] * kernel_[1] > 1 || sparse_ || linalg::c16::available());
    if (pw512_) {
      for (int64_t g = 0; g < group_; ++g) pw_.push_back(linalg::pw512::pack(Mg, Kg, w.data<float>() + g * Mg * Kg));
    } else if (depthwise_) {
      weights_.assign(w.data<float>(), w.data<float>() + w.numel());
    } else if (direct_) {
      for (int64_t g = 0; g < group_; ++g) {
        direct_conv_.emplace_back(Mg, Cg_, kernel_[0], kernel_[1], w.data<float>() + g * Mg * Kg, sparse_);
      }
    } else {
      for (int64_t g = 0; g < group_; ++g) packed_.emplace_back(false, Mg, Kg, w.data<float>() + g * Mg * Kg, Kg);
    }
  }

  std::string algorithm() const override {
    if (sparse_) {  // e.g. conv-direct-sparse(90%): the share of zero weights
      return "conv-direct-sparse(" + std::to_string(static_cast<int>(zeros_ * 100.0 + 0.5)) + "%)" + act_.suffix();
    }
    if (pw512_) return "conv-pointwise-avx512" + act_.suffix();
    if (direct_) return std::string("conv-direct-") + direct_conv_[0].tile_name() + act_.suffix();
    return std::string(depthwise_ ? "conv-depthwise" : pointwise_ ? "conv-pointwise-packed" : "conv-im2col-packed") +
           act_.suffix();
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    nn_check_conv_inputs(ctx, x, ctx.input(1), ctx.has_input(2) ? &ctx.input(2) : nullptr);
    if (x.dtype() != DType::kFloat || x.rank() != static_cast<int>(kernel_.size()) + 2) {
      fail(ctx.where() + ": X must be float32 of rank " + std::to_string(kernel_.size() + 2) + ", got " + x.describe());
    }
    const int64_t N = x.dim(0), C = x.dim(1);
    if (C != Cg_ * group_) {
      fail(ctx.where() + ": X has " + std::to_string(C) + " channels, W expects " + std::to_string(Cg_) +
           " per group with group=" + std::to_string(group_));
    }
    if (!std::equal(x.shape().begin() + 2, x.shape().end(), geom_.in.begin(), geom_.in.end())) resolve(ctx, x);
    Shape out{N, M_};
    out.insert(out.end(), geom_.out.begin(), geom_.out.end());
    Tensor& y = ctx.alloc_output(0, DType::kFloat, out);
    if (y.numel() == 0) return;
    const int64_t on = geom_.out_numel(), in_n = geom_.in_numel(), Mg = M_ / group_;
    const float* px = x.data<float>();
    float* py = y.data<float>();
    const Tensor* z = ctx.has_input(3) ? &ctx.input(3) : nullptr;  // FusedConv's residual
    if (z && (z->dtype() != DType::kFloat || z->shape() != y.shape())) {
      fail(ctx.where() + ": residual input Z " + z->describe() + " does not match Y " + y.describe());
    }
    if (pw512_) {
      run_pointwise_avx512(ctx, px, py, z ? z->data<float>() : nullptr, N);
      return;
    }
    if (direct_) {
      run_direct(ctx, px, py, z ? z->data<float>() : nullptr, N);
      return;
    }
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t m = 0; m < M_; ++m) {
        float* row = py + (n * M_ + m) * on;
        std::fill(row, row + on, bias_.empty() ? 0.f : bias_[static_cast<size_t>(m)]);
      }
    }
    if (depthwise_) {
      run_depthwise(ctx, px, py, N * C);
      if (z) add_residual(py, z->data<float>(), y.numel());
      act_.apply(py, y.numel());
      return;
    }
    const int64_t Kg = packed_[0].depth();
    // 2-D: the patch matrix is written straight into the GEMM's packed-B layout.
    const bool direct = !pointwise_ && geom_.rank() == 2;
    const size_t col_floats =
        pointwise_ ? 0
                   : static_cast<size_t>(direct ? linalg::packed_b_size(packed_[0], on) + on : Kg * on);
    float* col = col_floats ? static_cast<float*>(ctx.scratch(col_floats * sizeof(float))) : nullptr;
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < group_; ++g) {
        const float* xg = px + (n * C + g * Cg_) * in_n;
        float* yg = py + (n * M_ + g * Mg) * on;
        const auto& pa = packed_[static_cast<size_t>(g)];
        if (direct) {
          linalg::im2col_2d_packed(xg, g2_, pa, col, col + linalg::packed_b_size(pa, on));
          linalg::sgemm_packed_ab(pa, col, on, 1.f, 1.f, yg, on, ctx.pool);
        } else {
          const float* b = xg;
          if (!pointwise_) {
            nn_im2col(xg, geom_, 0, Kg, col);
            b = col;
          }
          linalg::sgemm_packed(pa, false, on, 1.f, b, on, 1.f, yg, on, ctx.pool);
        }
        if (z) add_residual(yg, z->data<float>() + (yg - py), Mg * on);
        act_.apply(yg, Mg * on);
      }
    }
  }

 private:
  void resolve(const KernelContext& ctx, const Tensor& x) {
    geom_ = nn_resolve_spatial(ctx.where(), attrs_, Shape(x.shape().begin() + 2, x.shape().end()), kernel_);
    if (geom_.rank() == 2) {
      g2_ = {Cg_,           geom_.in[0],   geom_.in[1],       geom_.kernel[0],    geom_.kernel[1],
             geom_.stride[0], geom_.stride[1], geom_.dil[0],    geom_.dil[1],       geom_.pad_begin[0],
             geom_.pad_begin[1], geom_.out[0], geom_.out[1]};
    }
    pointwise_ = true;
    for (int d = 0; d < geom_.rank(); ++d) {
      const size_t u = static_cast<size_t>(d);
      pointwise_ = pointwise_ && geom_.kernel[u] == 1 && geom_.stride[u] == 1 && geom_.pad_begin[u] == 0 &&
                   geom_.pad_end[u] == 0;
    }
  }

  // Strides 1 and no padding, whatever the input size (auto_pad SAME pads a 1x1 kernel by 0).
  bool unit_strides_no_pads() const {
    const auto one = [](int64_t v) { return v == 1; };
    const auto zero = [](int64_t v) { return v == 0; };
    return std::all_of(attrs_.strides.begin(), attrs_.strides.end(), one) &&
           (attrs_.auto_pad != "NOTSET" || std::all_of(attrs_.pads.begin(), attrs_.pads.end(), zero));
  }

  // 1x1, unit strides, no padding, AVX-512: per image and group, straight from X into Y.
  void run_pointwise_avx512(KernelContext& ctx, const float* px, float* py, const float* pz, int64_t N) const {
    if (!pointwise_) fail_internal(ctx.where() + ": the pointwise tile was chosen for a strided or padded Conv");
    const int64_t C = Cg_ * group_, Mg = M_ / group_, on = geom_.out_numel();
    float lo = 0, hi = 0;
    const bool clamped = act_.as_clamp(lo, hi);  // Relu and Clip as the tile writes, others after
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < group_; ++g) {
        const int64_t y0 = (n * M_ + g * Mg) * on;
        linalg::pw512::run(pw_[static_cast<size_t>(g)], px + (n * C + g * Cg_) * on, on,
                           bias_.empty() ? nullptr : bias_.data() + g * Mg, pz ? pz + y0 : nullptr, py + y0, ctx.pool,
                           lo, hi);
        if (!clamped) act_.apply(py + y0, Mg * on);
      }
    }
  }

  // The implicit-GEMM path: per image and group, the wide result is written out with bias,
  // residual and activation.
  void run_direct(KernelContext& ctx, const float* px, float* py, const float* pz, int64_t N) const {
    const int64_t C = Cg_ * group_, Mg = M_ / group_, in_n = geom_.in_numel(), OH = g2_.OH, OW = g2_.OW;
    size_t floats = 0;  // per group: sparse groups differ in their number of nonzero taps
    for (const auto& d : direct_conv_) floats = std::max(floats, d.scratch_floats(g2_));
    auto* scratch = static_cast<float*>(ctx.scratch(floats * sizeof(float)));
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < group_; ++g) {
        const int64_t base = (n * M_ + g * Mg) * OH * OW, on = OH * OW;
        // Relu and Clip are applied in the AVX-512 tile's write-out; other activations after it.
        float lo = 0, hi = 0;
        const bool clamped = act_.as_clamp(lo, hi);
        // The AVX-512 tile reports blocks of finished outputs: written out (transposed, bias,
        // residual, activation) by the thread that computed them, while they are in cache.
        auto write_out = [&](const float* src, int64_t src_stride, int64_t first_vec, int64_t vecs, int64_t y_pos,
                             int64_t count) {
          const int64_t m0 = first_vec * 16, mc = std::min(Mg - m0, vecs * 16);
          if (mc <= 0) return;
          float* y = py + base + m0 * on + y_pos;
          linalg::c16::write_channels_first(src, src_stride, count, 1, count, mc,
                                            bias_.empty() ? nullptr : bias_.data() + g * Mg + m0,
                                            pz ? pz + base + m0 * on + y_pos : nullptr, y, lo, hi, on);
          for (int64_t m = 0; !clamped && m < mc; ++m) act_.apply(y + m * on, count);
        };
        const linalg::c16::Finished finished = write_out;
        const auto wide =
            direct_conv_[static_cast<size_t>(g)].run(px + (n * C + g * Cg_) * in_n, g2_, scratch, ctx.pool, &finished);
        if (wide.reported) continue;
        for (int64_t m = 0; m < Mg; ++m) {  // the AVX2 and sparse tiles: channels-first already
          const int64_t ch = g * Mg + m, plane = base + m * on;
          const float bias = bias_.empty() ? 0.f : bias_[static_cast<size_t>(ch)];
          for (int64_t oh = 0; oh < OH; ++oh) {
            const float* src = wide.out + m * wide.ld + oh * wide.row_stride;
            float* dst = py + plane + oh * OW;
            if (pz) {
              const float* zr = pz + plane + oh * OW;
              for (int64_t ow = 0; ow < OW; ++ow) dst[ow] = (src[ow] + bias) + zr[ow];
            } else {
              for (int64_t ow = 0; ow < OW; ++ow) dst[ow] = src[ow] + bias;
            }
          }
          act_.apply(py + plane, on);  // the channel's plane is contiguous: one call
        }
      }
    }
  }

  // The measured rule (linalg::DirectConv2d::sparse_pays), for a 2-D, not depthwise Conv; the
  // output positions from the input's declared size and the strides (0 when not declared).
  bool sparse_pays(const KernelInit& init) const {
    const bool unit_strides =
        std::all_of(attrs_.strides.begin(), attrs_.strides.end(), [](int64_t v) { return v == 1; });
    const ValueType& x = init.input_type(0);
    int64_t positions = 0;
    if (x.has_shape && x.shape.size() == 4 && x.shape[2] > 0 && x.shape[3] > 0) {
      // Clamped: a hostile declared size or stride must not overflow (the rule needs "at least 100").
      constexpr int64_t kCap = int64_t{1} << 30;
      auto clamp = [&](int64_t v) { return std::clamp<int64_t>(v, 1, kCap); };
      const int64_t sh = attrs_.strides.size() == 2 ? clamp(attrs_.strides[0]) : 1;
      const int64_t sw = attrs_.strides.size() == 2 ? clamp(attrs_.strides[1]) : 1;
      positions = ((clamp(x.shape[2]) + sh - 1) / sh) * ((clamp(x.shape[3]) + sw - 1) / sw);
    }
    return linalg::DirectConv2d::sparse_pays(zeros_, kernel_[0] * kernel_[1], Cg_, positions, unit_strides);
  }

  static void add_residual(float* y, const float* z, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += z[i];
  }

  // One channel per plane: y[p] += sum over the window of w[p % C] * x[p] (2-D).
  void run_depthwise(KernelContext& ctx, const float* px, float* py, int64_t planes) const {
    const int64_t H = geom_.in[0], W = geom_.in[1], OH = geom_.out[0], OW = geom_.out[1];
    const int64_t KH = geom_.kernel[0], KW = geom_.kernel[1], sh = geom_.stride[0], sw = geom_.stride[1];
    const int64_t dh = geom_.dil[0], dw = geom_.dil[1], ph = geom_.pad_begin[0], pw = geom_.pad_begin[1];
    const int64_t C = M_;
    ctx.parallel_for(planes, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const float* x = px + p * H * W;
        const float* w = weights_.data() + (p % C) * KH * KW;
        float* y = py + p * OH * OW;
        for (int64_t kw = 0; kw < KW; ++kw) {
          const int64_t base = kw * dw - pw;  // iw = ow * sw + base
          int64_t lo = base >= 0 ? 0 : (-base + sw - 1) / sw;
          int64_t hi = W - 1 - base < 0 ? 0 : (W - 1 - base) / sw + 1;
          lo = std::min(lo, OW);
          hi = std::clamp(hi, lo, OW);
          for (int64_t oh = 0; oh < OH; ++oh) {
            float* yr = y + oh * OW;
            for (int64_t kh = 0; kh < KH; ++kh) {
              const int64_t ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              const float wv = w[kh * KW + kw];
              const float* xr = x + ih * W + base;
              if (sw == 1) {
                for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow];
              } else {
                for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow * sw];
              }
            }
          }
        }
      }
    });
  }

  NnSpatialAttrs attrs_;
  int64_t group_, M_ = 0, Cg_ = 0;
  Activation act_;
  Shape kernel_;
  std::vector<float> bias_, weights_;
  std::vector<linalg::PackedA> packed_;
  std::vector<linalg::DirectConv2d> direct_conv_;
  std::vector<linalg::pw512::Packed> pw_;  // per group, when pw512_
  bool depthwise_ = false, direct_ = false, pointwise_ = false, sparse_ = false, pw512_ = false;
  double zeros_ = 0.0;  // share of zero weights
  NnSpatial geom_;
  linalg::Conv2dGeom g2_{};
};

}  // namespace

void register_cpu_Conv(KernelRegistry& r) {
  r.add({"", "Conv", 1, kOpsetMax, {DType::kFloat}, factory_of<CpuConvKernel>(), "cpu", 10, 0, conv_accepts});
  // Conv with a fused activation (graph_fusion.h); only this backend implements it.
  r.add({kFusedDomain, "FusedConv", 1, kOpsetMax, {DType::kFloat}, factory_of<CpuConvKernel>(), "cpu", 10, 0,
         conv_accepts});
}

}  // namespace edge::rt
