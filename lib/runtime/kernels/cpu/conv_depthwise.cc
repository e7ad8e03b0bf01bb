// cpu backend: float32 2-D depthwise Conv / FusedConv (one input and one output channel per
// group, constant weights), chosen over the general cpu Conv (priority 11).
//
// Per (image, channel) plane the input is copied once into zero-padded stride-phase planes
// (phase (a, b) holds the padded input's rows a, a + s_h, ... and columns b, b + s_w, ...), all
// of the same row width PW. Every kernel tap then reads one phase plane at a fixed offset, and
// output (oh, ow) sits at flat index oh * PW + ow of a "wide" output row. So the whole plane is
// one contiguous loop of 32-float blocks with the taps unrolled inside it (strides, pads and
// dilations included, no bounds checks), then bias, the residual and the activation are applied
// as the OW valid columns of each wide row are written out. The loop is compiled twice (AVX2+FMA
// and portable vector code) and picked once per run. Planes are split into a fixed number of
// tasks, so results do not depend on the thread count. Where the CPU has AVX-512, blocks of 16
// channels run channels-last instead (linalg/conv_depthwise_c16.h: no per-plane fixed cost).
#include <algorithm>
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/cpu/fused_activation.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/linalg/conv2d_direct_c16.h"
#include "runtime/linalg/conv_depthwise_c16.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/vmath.h"
#include "runtime/thread_pool.h"

namespace edge::rt {
namespace {

using linalg::vf8;

bool depthwise_accepts(const KernelInit& init) {
  const Tensor* w = init.constant(1);
  const Tensor* b = init.constant(2);
  const bool bias_ok = init.node.input_size() < 3 || init.node.input(2).empty() || (b && b->dtype() == DType::kFloat);
  const DType x = init.input_type(0).dtype;
  if (!(x == DType::kFloat || x == DType::kUndefined) || !w || w->dtype() != DType::kFloat || w->rank() != 4 ||
      !bias_ok) {
    return false;
  }
  const int64_t group = init.attrs.get_int("group", 1);
  const ValueType& xt = init.input_type(0);
  const bool channels_ok = !xt.has_shape || xt.shape.size() != 4 || xt.shape[1] < 0 || xt.shape[1] == group;
  return w->dim(1) == 1 && w->dim(0) == group && group > 1 && channels_ok;
}

// One plane's geometry in phase-plane terms, fixed until the input size changes.
struct DwPlan {
  int64_t H = 0, W = 0, OH = 0, OW = 0, KH = 0, KW = 0, sh = 1, sw = 1, ph = 0, pw = 0;
  int64_t PH = 0, PW = 0;        // rows and row width of one phase plane
  int64_t wide = 0;              // OH * PW rounded up to 32
  int64_t plane_floats = 0;      // sh * sw phase planes, with slack for the last vector's reads
  std::vector<int64_t> tap_off;  // per tap: phase plane start + row/column offset
  // per column phase b: the first input column iw with (iw + pw) % sw == b, and its position
  // (iw + pw) / sw in the phase plane's rows (no divisions while copying)
  std::vector<int64_t> col_first, col_at;
};

// The planes [p0, p1) of one task; plane p is channel p % C of image p / C.
struct DwTask {
  const float* x;
  float* y;
  const float* z;  // residual or null
  const float* w;  // [C][KH * KW]
  const float* bias;
  int64_t C, p0, p1;
  float* buf;  // kGroup * plan.plane_floats + plan.wide
};

constexpr int64_t kGroup = 8;  // planes copied before any is computed (no store-to-load stalls)

typedef float vf4 __attribute__((vector_size(16), aligned(4)));

// Copies of a few floats, written out so that the compiler does not turn them into memmove
// calls (their fixed cost dominates rows of 4-16 floats).
__attribute__((always_inline)) inline void copy_row(float* dst, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) linalg::vf8_store(dst + i, linalg::vf8_load(src + i));
  if (i + 4 <= n) {
    *reinterpret_cast<vf4*>(dst + i) = *reinterpret_cast<const vf4*>(src + i);
    i += 4;
  }
  if (i < n) dst[i] = src[i];
  if (i + 1 < n) dst[i + 1] = src[i + 1];
  if (i + 2 < n) dst[i + 2] = src[i + 2];
}

__attribute__((always_inline)) inline void dw_fill(const DwPlan& p, const float* x, float* phases) {
  for (int64_t i = 0; i < p.plane_floats; i += 8) linalg::vf8_store(phases + i, linalg::vf8_set(0.f));
  const int64_t phase_n = p.PH * p.PW;
  for (int64_t ih = 0, a = p.ph % p.sh, row = p.ph / p.sh; ih < p.H; ++ih) {  // padded row ih + ph = row * sh + a
    const float* src = x + ih * p.W;
    if (p.sw == 1) {
      copy_row(phases + a * phase_n + row * p.PW + p.pw, src, p.W);
    } else {
      for (int64_t b = 0; b < p.sw; ++b) {
        const int64_t iw0 = p.col_first[static_cast<size_t>(b)];
        float* dst = phases + (a * p.sw + b) * phase_n + row * p.PW + p.col_at[static_cast<size_t>(b)];
        for (int64_t iw = iw0; iw < p.W; iw += p.sw) *dst++ = src[iw];
      }
    }
    if (++a == p.sh) {
      a = 0;
      ++row;
    }
  }
}

__attribute__((always_inline)) inline void dw_compute(const DwPlan& p, const float* phases, const float* w, float bias,
                                                      const float* z, float* y, float* acc,
                                                      const FusedActivation& act) {
  const int64_t taps = p.KH * p.KW;
  const int64_t* off = p.tap_off.data();
  for (int64_t i = 0; i < p.wide; i += 32) {  // four independent sums per tap
    vf8 a0 = linalg::vf8_set(0.f), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t t = 0; t < taps; ++t) {
      if (w[t] == 0.f) continue;  // pruned tap: adds exactly +0 on finite inputs
      const vf8 wt = linalg::vf8_set(w[t]);
      const float* src = phases + off[t] + i;
      a0 += wt * linalg::vf8_load(src);
      a1 += wt * linalg::vf8_load(src + 8);
      a2 += wt * linalg::vf8_load(src + 16);
      a3 += wt * linalg::vf8_load(src + 24);
    }
    linalg::vf8_store(acc + i, a0);
    linalg::vf8_store(acc + i + 8, a1);
    linalg::vf8_store(acc + i + 16, a2);
    linalg::vf8_store(acc + i + 24, a3);
  }
  for (int64_t oh = 0; oh < p.OH; ++oh) {
    const float* src = acc + oh * p.PW;
    float* dst = y + oh * p.OW;
    if (z) {
      const float* zr = z + oh * p.OW;
      for (int64_t ow = 0; ow < p.OW; ++ow) dst[ow] = (src[ow] + bias) + zr[ow];
    } else {
      for (int64_t ow = 0; ow < p.OW; ++ow) dst[ow] = src[ow] + bias;
    }
  }
  act.apply(y, p.OH * p.OW);  // the plane is contiguous: one call, not one per row
}

__attribute__((always_inline)) inline void dw_task_body(const DwPlan& p, const DwTask& t, const FusedActivation& act) {
  const int64_t in_n = p.H * p.W, on = p.OH * p.OW, KK = p.KH * p.KW;
  float* acc = t.buf + kGroup * p.plane_floats;
  for (int64_t g0 = t.p0; g0 < t.p1; g0 += kGroup) {
    const int64_t g1 = std::min(t.p1, g0 + kGroup);
    for (int64_t q = g0; q < g1; ++q) dw_fill(p, t.x + q * in_n, t.buf + (q - g0) * p.plane_floats);
    for (int64_t q = g0; q < g1; ++q) {
      const int64_t c = q % t.C;
      dw_compute(p, t.buf + (q - g0) * p.plane_floats, t.w + c * KK, t.bias[c], t.z ? t.z + q * on : nullptr,
                 t.y + q * on, acc, act);
    }
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) void dw_task_avx2(const DwPlan& p, const DwTask& t, const FusedActivation& a) {
  dw_task_body(p, t, a);
}
#else
void dw_task_avx2(const DwPlan& p, const DwTask& t, const FusedActivation& a) { dw_task_body(p, t, a); }
#endif
void dw_task_generic(const DwPlan& p, const DwTask& t, const FusedActivation& a) { dw_task_body(p, t, a); }

class CpuDepthwiseConvKernel : public OpKernel {
 public:
  explicit CpuDepthwiseConvKernel(const KernelInit& init)
      : attrs_(NnSpatialAttrs::parse(init)), act_(FusedActivation::parse(init)), c16_(linalg::c16::available()) {
    const Tensor& w = *init.constant(1);
    C_ = w.dim(0);
    kernel_ = {w.dim(2), w.dim(3)};
    if (!attrs_.kernel.empty() && attrs_.kernel != kernel_)
      fail(init.where() + ": kernel_shape does not match W " + w.describe());
    weights_.assign(w.data<float>(), w.data<float>() + w.numel());
    bias_.assign(static_cast<size_t>(C_), 0.f);
    if (const Tensor* b = init.constant(2)) {
      if (b->rank() != 1 || b->dim(0) != C_)
        fail(init.where() + ": B must have shape [" + std::to_string(C_) + "], got " + b->describe());
      std::copy_n(b->data<float>(), C_, bias_.begin());
    }
  }

  std::string algorithm() const override {
    if (c16_) return "conv-depthwise-c16-avx512" + act_.suffix();
    return std::string("conv-depthwise-phase") + (linalg::sgemm_uses_avx2() ? "-avx2" : "-generic") + act_.suffix();
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    nn_check_conv_inputs(ctx, x, ctx.input(1), ctx.has_input(2) ? &ctx.input(2) : nullptr);
    if (x.dtype() != DType::kFloat || x.rank() != 4 || x.dim(1) != C_) {
      fail(ctx.where() + ": X must be float32 [N, " + std::to_string(C_) + ", H, W], got " + x.describe());
    }
    if (x.dim(2) != plan_.H || x.dim(3) != plan_.W || plan_.tap_off.empty()) resolve(ctx, x);
    const int64_t N = x.dim(0), planes = N * C_;
    Tensor& y = ctx.alloc_output(0, DType::kFloat, {N, C_, plan_.OH, plan_.OW});
    if (y.numel() == 0) return;
    const Tensor* z = ctx.has_input(3) ? &ctx.input(3) : nullptr;  // FusedConv's residual
    if (z && (z->dtype() != DType::kFloat || z->shape() != y.shape())) {
      fail(ctx.where() + ": residual input Z " + z->describe() + " does not match Y " + y.describe());
    }
    if (c16_) {
      run_c16(ctx, x, y, z);
      return;
    }
    const int64_t tasks = std::min<int64_t>(planes, 16), per_task = kGroup * plan_.plane_floats + plan_.wide;
    auto* scratch = static_cast<float*>(ctx.scratch(static_cast<size_t>(tasks * per_task) * sizeof(float)));
    const bool avx2 = linalg::sgemm_uses_avx2();
    ctx.parallel_for(tasks, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const DwTask task{x.data<float>(),
                          y.data<float>(),
                          z ? z->data<float>() : nullptr,
                          weights_.data(),
                          bias_.data(),
                          C_,
                          planes * t / tasks,
                          planes * (t + 1) / tasks,
                          scratch + t * per_task};
        if (avx2) {
          dw_task_avx2(plan_, task, act_);
        } else {
          dw_task_generic(plan_, task, act_);
        }
      }
    });
  }

 private:
  // Blocks of 16 channels of one image, channels-last (linalg::dw16), in a fixed number of tasks.
  void run_c16(KernelContext& ctx, const Tensor& x, Tensor& y, const Tensor* z) const {
    const int64_t N = x.dim(0), per_image = (C_ + 15) / 16, blocks = N * per_image;
    const int64_t tasks = std::min<int64_t>(blocks, 16), per_task = linalg::dw16::scratch_floats(dw16_);
    auto* scratch = static_cast<float*>(ctx.scratch(static_cast<size_t>(tasks * per_task) * sizeof(float)));
    const int64_t in_n = C_ * plan_.H * plan_.W, on = plan_.OH * plan_.OW;
    const double macs = static_cast<double>(N * C_ * on) * static_cast<double>(plan_.KH * plan_.KW);
    float lo = 0, hi = 0;
    const bool clamped = act_.as_clamp(lo, hi);  // Relu and Clip in the write-out, others after it
    auto body = [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        for (int64_t b = blocks * t / tasks; b < blocks * (t + 1) / tasks; ++b) {
          const int64_t n = b / per_image, c0 = b % per_image * 16;
          float* yn = y.data<float>() + n * C_ * on;
          linalg::dw16::run_block(dw16_, c0, x.data<float>() + n * in_n, weights_.data(), bias_.data(),
                                  z ? z->data<float>() + n * C_ * on : nullptr, yn, scratch + t * per_task, lo, hi);
          if (!clamped) act_.apply(yn + c0 * on, (std::min(C_, c0 + 16) - c0) * on);  // the block's planes are adjacent
        }
      }
    };
    parallel_for_if(ctx.pool, macs, tasks, body);
  }

  void resolve(const KernelContext& ctx, const Tensor& x) {
    const NnSpatial g = nn_resolve_spatial(ctx.where(), attrs_, Shape(x.shape().begin() + 2, x.shape().end()), kernel_);
    DwPlan p;
    p.H = g.in[0];
    p.W = g.in[1];
    p.OH = g.out[0];
    p.OW = g.out[1];
    p.KH = g.kernel[0];
    p.KW = g.kernel[1];
    p.sh = g.stride[0];
    p.sw = g.stride[1];
    p.ph = g.pad_begin[0];
    p.pw = g.pad_begin[1];
    const int64_t dh = g.dil[0], dw = g.dil[1];
    // The padded extent that the outputs read (the end pads may be larger or smaller than it).
    const int64_t Hp = std::max(p.H + p.ph, (p.OH - 1) * p.sh + (p.KH - 1) * dh + 1);
    const int64_t Wp = std::max(p.W + p.pw, (p.OW - 1) * p.sw + (p.KW - 1) * dw + 1);
    p.PH = (Hp + p.sh - 1) / p.sh;
    p.PW = (Wp + p.sw - 1) / p.sw;
    p.wide = (p.OH * p.PW + 31) / 32 * 32;
    int64_t max_off = 0;
    for (int64_t kh = 0; kh < p.KH; ++kh) {
      for (int64_t kw = 0; kw < p.KW; ++kw) {
        const int64_t rh = kh * dh, rw = kw * dw;
        const int64_t off = ((rh % p.sh) * p.sw + rw % p.sw) * p.PH * p.PW + (rh / p.sh) * p.PW + rw / p.sw;
        p.tap_off.push_back(off);
        max_off = std::max(max_off, off);
      }
    }
    for (int64_t b = 0; b < p.sw; ++b) {
      const int64_t iw0 = ((b - p.pw) % p.sw + p.sw) % p.sw;
      p.col_first.push_back(iw0);
      p.col_at.push_back((iw0 + p.pw) / p.sw);
    }
    p.plane_floats = (std::max(p.sh * p.sw * p.PH * p.PW, max_off + p.wide) + 7) / 8 * 8;
    dw16_ = {C_, p.H, p.W, p.KH, p.KW, p.sh, p.sw, dh, dw, p.ph, p.pw, p.OH, p.OW, Hp, Wp};
    plan_ = std::move(p);
  }

  NnSpatialAttrs attrs_;
  FusedActivation act_;
  int64_t C_ = 0;
  Shape kernel_;
  std::vector<float> weights_, bias_;
  DwPlan plan_;
  bool c16_;  // AVX-512 there when prepared: the channels-last blocks
  linalg::dw16::Geometry dw16_{};
};

}  // namespace

void register_cpu_DepthwiseConv(KernelRegistry& r) {
  r.add({"",
         "Conv",
         1,
         kOpsetMax,
         {DType::kFloat},
         factory_of<CpuDepthwiseConvKernel>(),
         "cpu",
         11,
         0,
         depthwise_accepts});
  r.add({kFusedDomain,
         "FusedConv",
         1,
         kOpsetMax,
         {DType::kFloat},
         factory_of<CpuDepthwiseConvKernel>(),
         "cpu",
         11,
         0,
         depthwise_accepts});
}

}  // namespace edge::rt
