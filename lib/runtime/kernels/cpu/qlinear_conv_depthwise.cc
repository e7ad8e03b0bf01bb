// cpu backend: depthwise QLinearConv (ai.onnx, and the QDQ fusion's form in the private domain):
// one input and one output channel per group, 2-D, constant weights and zero points. A direct
// sliding window per channel plane instead of the reference's patch matrix: the plane is
// widened once to int16 x - x_zero_point inside a zero border (a real 0, as the reference reads
// padding), each kernel tap adds w * x along whole output rows into int32 sums (wrapping like
// the reference's), and the sums are requantized as the reference does (q_requantize_row), so
// the results are bit-identical to it. With 8 or more channels the image is copied channels-last
// instead and each output position sums its taps across all channels at once (vectorized over
// channels), which suits the small maps of late layers. The loops (qdepthwise_rows.h) are
// compiled for AVX2 (chosen at run time) and the baseline ISA; with AVX-512 the channels-last
// rows are linalg/qdepthwise_avx512.h's register tiles.
#include <algorithm>
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/cpu/qdepthwise_rows.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/kernels/reference/qlinear_conv_params.h"
#include "runtime/linalg/nhwc_copy.h"
#include "runtime/linalg/qdepthwise_avx512.h"
#include "runtime/linalg/qdepthwise_planes.h"
#include "runtime/thread_pool.h"

namespace edge::rt {
namespace {

bool depthwise_accepts(const KernelInit& init) {
  const Tensor* w = init.constant(3);
  if (!w || !q_is_8bit(w->dtype()) || w->rank() != 4 || w->dim(1) != 1) return false;
  if (init.attrs.get_int("group", 1) != w->dim(0)) return false;
  const DType x = init.input_type(0).dtype;
  if (x != DType::kUndefined && !q_is_8bit(x)) return false;
  const bool zp_given = init.node.input_size() > 5 && !init.node.input(5).empty();
  return !zp_given || init.constant(5);
}

class CpuQLinearDepthwiseKernel : public OpKernel {
 public:
  explicit CpuQLinearDepthwiseKernel(const KernelInit& init) : attrs_(NnSpatialAttrs::parse(init)), params_(init) {
    const Tensor& w = *init.constant(3);
    C_ = w.dim(0);
    kernel_ = {w.dim(2), w.dim(3)};
    if (!attrs_.kernel.empty() && attrs_.kernel != kernel_) {
      fail(init.where() + ": kernel_shape does not match W " + w.describe());
    }
    const bool zp_given = init.node.input_size() > 5 && !init.node.input(5).empty();
    std::vector<int32_t> zp;
    q_channel_zero_points(init.where(), zp_given ? init.constant(5) : nullptr, w.dtype(), C_, "W", zp);
    const int64_t T = kernel_[0] * kernel_[1];
    w16_.resize(static_cast<size_t>(C_ * T));
    for (int64_t i = 0; i < C_ * T; ++i) {
      const int32_t v = w.dtype() == DType::kUint8 ? w.data<uint8_t>()[i] : w.data<int8_t>()[i];
      w16_[static_cast<size_t>(i)] = static_cast<int16_t>(v - zp[static_cast<size_t>(i / T)]);
    }
    wt_.resize(w16_.size());
    for (int64_t c = 0; c < C_; ++c) {
      for (int64_t t = 0; t < T; ++t) wt_[static_cast<size_t>(t * C_ + c)] = w16_[static_cast<size_t>(c * T + t)];
    }
    if (qdw::has_avx2() && C_ % 16 == 0) {
      wpair_.resize(static_cast<size_t>(qdw::interleaved_size(T, C_)));
      qdw::interleaved_weights(wt_.data(), T, C_, wpair_.data());
    }
    if (linalg::qdw512::supported() && C_ >= kNhwcMinChannels) {
      w512_ = linalg::qdw512::PackedWeights(wt_.data(), T, C_);
      lane_bias_.resize(static_cast<size_t>(w512_.blocks() * 32));
      lane_mult_.resize(lane_bias_.size());
    }
    // Weights that fit int8 run four taps per vpdpbusd on the planes.
    if (linalg::qdwp::vnni_supported() &&
        std::all_of(w16_.begin(), w16_.end(), [](int16_t v) { return v >= -128 && v <= 127; })) {
      w8_.assign(w16_.begin(), w16_.end());
      wsum_.assign(static_cast<size_t>(C_), 0);
      for (int64_t i = 0; i < C_ * T; ++i) wsum_[static_cast<size_t>(i / T)] += w8_[static_cast<size_t>(i)];
    }
    // The path the declared input size will take (resolve() decides again from the real one).
    const ValueType& xt = init.input_type(0);
    if (xt.has_shape && xt.shape.size() == 4 && xt.shape[2] > 0 && xt.shape[3] > 0) {
      try {
        const NnSpatial g = nn_resolve_spatial(init.where(), attrs_, Shape{xt.shape[2], xt.shape[3]}, kernel_);
        planes_ = planes_suit(g.stride[1], g.dil[1], g.out[1]);
      } catch (const Error&) {  // a bad declared size: reported by the run, with the real one
      }
    }
  }

  std::string algorithm() const override {
    if (planes_)
      return (w8_.empty() ? "depthwise-planes-avx512" : "depthwise-planes-vnni") + params_.activation().suffix();
    const bool nhwc = C_ >= kNhwcMinChannels;
    return std::string(nhwc ? "depthwise-direct-nhwc" : "depthwise-direct") +
           (nhwc && use_avx512() ? "-avx512"
            : qdw::has_avx2()    ? ""
                                 : "-generic") +
           params_.activation().suffix();
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    q_require_8bit(ctx.where(), x, "X");
    if (x.rank() != 4 || x.dim(1) != C_) {
      fail(ctx.where() + ": X " + x.describe() + " does not match W's " + std::to_string(C_) + " channels");
    }
    if (!has_geom_ || x.dim(2) != geom_.in[0] || x.dim(3) != geom_.in[1]) resolve(ctx, x);
    const QConvOutput o = params_.resolve(ctx, C_);
    const int64_t N = x.dim(0), on = g_.OH * g_.OW;
    Tensor& y = ctx.alloc_output(0, o.y_type, {N, C_, g_.OH, g_.OW});
    if (y.numel() == 0) return;
    if (planes_) {
      run_planes(ctx, x, o, y);
      return;
    }
    if (C_ >= kNhwcMinChannels) {
      run_nhwc(ctx, x, o, y);
      return;
    }
    const auto sums = qdw::has_avx2() ? qdw::plane_sums_avx2 : qdw::plane_sums_generic;
    nn_parallel_for(ctx, N * C_, on * g_.KH * g_.KW * 2, [&](int64_t p0, int64_t p1) {
      thread_local std::vector<int16_t> xp;
      thread_local std::vector<uint32_t> acc;
      if (xp.size() < static_cast<size_t>(g_.Hp * g_.Wp)) xp.resize(static_cast<size_t>(g_.Hp * g_.Wp));
      if (acc.size() < static_cast<size_t>(on)) acc.resize(static_cast<size_t>(on));
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t c = p % C_;
        std::fill(xp.begin(), xp.begin() + g_.Hp * g_.Wp, int16_t{0});
        for (int64_t ih = 0; ih < g_.H; ++ih) {
          int16_t* dst = xp.data() + (ih + g_.pt) * g_.Wp + g_.pl;
          const int64_t off = (p * g_.H + ih) * g_.W;
          if (x.dtype() == DType::kUint8) {
            const uint8_t* src = x.data<uint8_t>() + off;
            for (int64_t iw = 0; iw < g_.W; ++iw) dst[iw] = static_cast<int16_t>(src[iw] - o.x_zero_point);
          } else {
            const int8_t* src = x.data<int8_t>() + off;
            for (int64_t iw = 0; iw < g_.W; ++iw) dst[iw] = static_cast<int16_t>(src[iw] - o.x_zero_point);
          }
        }
        sums(g_, xp.data(), w16_.data() + c * g_.KH * g_.KW, acc.data());
        const auto* a = reinterpret_cast<const int32_t*>(acc.data());
        const int32_t b = o.bias ? o.bias[c] : 0;
        if (o.y_type == DType::kUint8) {
          q_requantize_row(a, on, b, o.multiplier[c], o.y_zero_point, o.lo, o.hi, y.data<uint8_t>() + p * on);
        } else {
          q_requantize_row(a, on, b, o.multiplier[c], o.y_zero_point, o.lo, o.hi, y.data<int8_t>() + p * on);
        }
      }
    });
  }

 private:
  // Channels-last: enough channels to fill the vectors, and small maps need no per-plane pass.
  static constexpr int64_t kNhwcMinChannels = 8;

  bool use_avx512() const { return !w512_.empty() && !linalg::qdw512::forced_off(); }

  // Positions on the lanes, a plane at a time, from outputs this wide on (narrower maps leave
  // too many lanes empty; the channels-last rows fill them with channels instead).
  static constexpr int64_t kPlanesMinWidth = 24;

  void run_planes(KernelContext& ctx, const Tensor& x, const QConvOutput& o, Tensor& y) const {
    const int64_t planes = x.dim(0) * C_, on = g_.OH * g_.OW, in_n = g_.H * g_.W, T = g_.KH * g_.KW;
    const bool vnni = !w8_.empty(), s8 = x.dtype() == DType::kInt8;
    const int64_t bytes = vnni ? linalg::qdwp::vnni_scratch_bytes(pg_)
                               : linalg::qdwp::scratch_values(pg_) * static_cast<int64_t>(sizeof(int16_t));
    const int64_t tasks = std::min<int64_t>(planes, 16), per_task = (bytes + 63) / 64 * 64;
    auto* scratch = static_cast<uint8_t*>(ctx.scratch(static_cast<size_t>(tasks * per_task)));
    const int32_t zx = o.x_zero_point + (s8 ? 128 : 0);  // the bytes' zero point, int8 read as uint8
    auto body = [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        for (int64_t p = planes * t / tasks; p < planes * (t + 1) / tasks; ++p) {
          const int64_t c = p % C_;
          const auto* xp = static_cast<const uint8_t*>(x.raw()) + p * in_n;
          auto* yp = static_cast<uint8_t*>(y.raw()) + p * on;
          const int32_t bias = o.bias ? o.bias[c] : 0;
          if (vnni) {
            const uint32_t folded = static_cast<uint32_t>(bias) -
                                    static_cast<uint32_t>(zx) * static_cast<uint32_t>(wsum_[static_cast<size_t>(c)]);
            const linalg::qdwp::PlaneVnni plane{xp,
                                                static_cast<uint8_t>(s8 ? 0x80 : 0),
                                                zx,
                                                w8_.data() + c * T,
                                                static_cast<int32_t>(folded),
                                                o.multiplier[c],
                                                o.y_zero_point,
                                                o.lo,
                                                o.hi,
                                                yp};
            linalg::qdwp::run_plane_vnni(pg_, plane, scratch + t * per_task);
            continue;
          }
          const linalg::qdwp::Plane plane{
              xp, s8, o.x_zero_point, w16_.data() + c * T, bias, o.multiplier[c], o.y_zero_point, o.lo, o.hi, yp};
          linalg::qdwp::run_plane(pg_, plane, reinterpret_cast<int16_t*>(scratch + t * per_task));
        }
      }
    };
    parallel_for_if(ctx.pool, static_cast<double>(planes * on * T), tasks, body);
  }

  // Zeroes the padding around the image in the channels-last copy (the image itself is
  // overwritten by each copy).
  void zero_border(int16_t* xs) const {
    const int64_t C = C_, row = g_.Wp * C;
    std::fill(xs, xs + g_.pt * row, int16_t{0});
    std::fill(xs + (g_.pt + g_.H) * row, xs + g_.Hp * row, int16_t{0});
    for (int64_t h = g_.pt; h < g_.pt + g_.H; ++h) {
      std::fill(xs + h * row, xs + h * row + g_.pl * C, int16_t{0});
      std::fill(xs + h * row + (g_.pl + g_.W) * C, xs + (h + 1) * row, int16_t{0});
    }
  }

  void run_nhwc(KernelContext& ctx, const Tensor& x, const QConvOutput& o, Tensor& y) {
    const int64_t N = x.dim(0), C = C_, on = g_.OH * g_.OW, plane = g_.Hp * g_.Wp * C;
    auto* xs = static_cast<int16_t*>(ctx.scratch(static_cast<size_t>(plane) * sizeof(int16_t)));
    const auto rows = qdw::has_avx2() ? qdw::nhwc_rows_avx2 : qdw::nhwc_rows_generic;
    const bool avx512 = use_avx512();
    if (avx512) linalg::qdw512::lane_order(w512_, o.bias, o.multiplier, lane_bias_.data(), lane_mult_.data());
    zero_border(xs);
    for (int64_t n = 0; n < N; ++n) {
      linalg::nchw_to_nhwc_s16(static_cast<const uint8_t*>(x.raw()) + n * C * g_.H * g_.W, x.dtype() == DType::kInt8,
                               o.x_zero_point, C, g_.H, g_.W, xs + (g_.pt * g_.Wp + g_.pl) * C, g_.Wp, C);
      const int64_t cost = g_.OW * C * g_.KH * g_.KW * 2;
      if (avx512) {
        const linalg::qdw512::RowsArgs args{&w512_,
                                            xs,
                                            taps_.data(),
                                            g_.Wp,
                                            g_.OW,
                                            g_.sh,
                                            g_.sw,
                                            on,
                                            lane_bias_.data(),
                                            lane_mult_.data(),
                                            o.y_zero_point,
                                            o.lo,
                                            o.hi,
                                            static_cast<uint8_t*>(y.raw()) + n * C * on};
        nn_parallel_for(ctx, g_.OH, cost, [&](int64_t r0, int64_t r1) { linalg::qdw512::run_rows(args, r0, r1); });
        continue;
      }
      const bool s8 = o.y_type == DType::kInt8;
      qdw::RowsJob job{&g_,
                       C,
                       xs,
                       wt_.data(),
                       taps_.data(),
                       wpair_.empty() ? nullptr : wpair_.data(),
                       &o,
                       static_cast<char*>(y.raw()) + n * C * on,
                       s8};
      nn_parallel_for(ctx, g_.OH, cost, [&](int64_t r0, int64_t r1) {
        thread_local std::vector<uint32_t> acc;
        if (acc.size() < static_cast<size_t>(2 * g_.OW * C)) acc.resize(static_cast<size_t>(2 * g_.OW * C));
        rows(job, r0, r1, acc.data());
      });
    }
  }

  void resolve(const KernelContext& ctx, const Tensor& x) {
    geom_ = nn_resolve_spatial(ctx.where(), attrs_, Shape{x.dim(2), x.dim(3)}, kernel_);
    has_geom_ = true;
    g_ = {geom_.in[0],
          geom_.in[1],
          geom_.pad_begin[0] + geom_.in[0] + geom_.pad_end[0],
          geom_.pad_begin[1] + geom_.in[1] + geom_.pad_end[1],
          geom_.out[0],
          geom_.out[1],
          kernel_[0],
          kernel_[1],
          geom_.stride[0],
          geom_.stride[1],
          geom_.dil[0],
          geom_.dil[1],
          geom_.pad_begin[0],
          geom_.pad_begin[1]};
    taps_.resize(static_cast<size_t>(g_.KH * g_.KW));
    for (int64_t kh = 0; kh < g_.KH; ++kh) {
      for (int64_t kw = 0; kw < g_.KW; ++kw) {
        taps_[static_cast<size_t>(kh * g_.KW + kw)] = (kh * g_.dh * g_.Wp + kw * g_.dw) * C_;
      }
    }
    pg_ = {g_.H, g_.W, g_.OH, g_.OW, g_.KH, g_.KW, g_.sh, g_.sw, g_.dh, g_.pt, g_.pl};
    planes_ = planes_suit(g_.sw, g_.dw, g_.OW);
  }

  bool planes_suit(int64_t sw, int64_t dw, int64_t OW) const {
    return linalg::qdwp::supported() && !linalg::qdwp::forced_off() && linalg::qdwp::accepts(sw, dw) &&
           OW >= kPlanesMinWidth;
  }

  NnSpatialAttrs attrs_;
  QConvOutputParams params_;
  int64_t C_ = 0;
  Shape kernel_;
  std::vector<int16_t> w16_;            // [C][KH * KW]: w - w_zero_point[c]
  std::vector<int16_t> wt_;             // [KH * KW][C]: the same, channels-last
  std::vector<int16_t> wpair_;          // wt_ interleaved by tap pairs for vpmaddwd (AVX2, C % 16 == 0)
  std::vector<int64_t> taps_;           // element offsets of the kernel taps in the channels-last copy
  linalg::qdw512::PackedWeights w512_;  // AVX-512 hosts, channels-last layout
  std::vector<int32_t> lane_bias_;      // the run's bias and multipliers in w512_'s lane order
  std::vector<float> lane_mult_;
  NnSpatial geom_;
  qdw::PlaneGeom g_{};
  linalg::qdwp::Geometry pg_{};
  std::vector<int8_t> w8_;     // w16_ as int8 where it fits and there is VNNI (the planes' vpdpbusd)
  std::vector<int32_t> wsum_;  // per channel: the sum of w8_ (for the folded zero point)
  bool planes_ = false;  // the AVX-512 planes (run_planes) for this geometry
  bool has_geom_ = false;
};

}  // namespace

void register_cpu_QLinearDepthwiseConv(KernelRegistry& r) {
  for (const char* domain : {"", kFusedDomain}) {
    r.add({domain,
           "QLinearConv",
           domain[0] ? 1 : 10,
           kOpsetMax,
           {DType::kUint8, DType::kInt8},
           factory_of<CpuQLinearDepthwiseKernel>(),
           "cpu",
           10,
           0,
           depthwise_accepts});
  }
}

}  // namespace edge::rt
