// cpu backend: float32 GRU with constant weights (gates z, r, h; default activations Sigmoid and
// Tanh; clip; forward, reverse or bidirectional; linear_before_reset 0 or 1; sequence_lens;
// initial_h; layout 0 or 1).
//
// Prepared once: R transposed per direction into k-major rows (row k holds R[:, k] for the 3H
// gate outputs, so the recurrent product is a sum of contiguous rows scaled by h[k]), and the
// biases merged: Wb + Rb for z and r, and Wb + Rb for h unless linear_before_reset (then Rbh
// is added to h·Rhᵀ before the reset gate multiplies it). Per run: the input projections of
// every time step, batch row and direction in one SGEMM (X·Wᵀ + bias, rows = seq·batch), then
// per (direction, batch row) the steps: one GEMV over R (3H columns with linear_before_reset,
// else 2H, then (r⊙h)·Rhᵀ), gates with the vectorized sigmoid/tanh of linalg/vmath.h. The step
// loop is compiled twice (AVX2+FMA and portable) and chosen once per run.
#include <algorithm>
#include <cctype>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_rnn.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/vmath.h"

namespace edge::rt {
namespace {

using linalg::vf8;
using linalg::vf8_load;
using linalg::vf8_set;
using linalg::vf8_store;

bool default_activations(const KernelInit& init) {
  if (!init.attrs.has("activations")) return true;
  auto names = init.attrs.get_strings("activations");
  for (auto& n : names) {
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (names.size() != 2 && names.size() != 4) return false;
  for (size_t i = 0; i < names.size(); i += 2) {
    if (names[i] != "sigmoid" || names[i + 1] != "tanh") return false;
  }
  return true;
}

bool gru_accepts(const KernelInit& init) {
  const Tensor* w = init.constant(1);
  const Tensor* r = init.constant(2);
  const bool has_b = init.node.input_size() > 3 && !init.node.input(3).empty();
  const Tensor* b = init.constant(3);
  const DType x = init.input_type(0).dtype;
  return (x == DType::kFloat || x == DType::kUndefined) && w && r && w->dtype() == DType::kFloat &&
         r->dtype() == DType::kFloat && w->rank() == 3 && r->rank() == 3 &&
         (!has_b || (b && b->dtype() == DType::kFloat)) && default_activations(init);
}

// One (direction, batch row) sequence: where its inputs and outputs are and how they step.
struct GruSeq {
  int64_t H = 0, len = 0, seq = 0;
  bool rev = false, lbr = false, has_clip = false;
  float clip = 0;
  const float* xw = nullptr;  // projection row of t = 0 (bias included); row t at xw + t * xw_step
  int64_t xw_step = 0;
  const float* rt = nullptr;   // [H][3H], k-major
  const float* rbh = nullptr;  // [H] (linear_before_reset)
  const float* h0 = nullptr;   // [H] or null (zeros)
  float* y = nullptr;          // Y row of t = 0 or null; row t at y + t * y_step
  int64_t y_step = 0;
  float* yh = nullptr;    // [H] or null
  float* work = nullptr;  // 5H floats
};

// acc[j] += sum_k v[k] * m[k * ld + j] for j < n.
__attribute__((always_inline)) inline void gemv_kmajor(const float* m, int64_t ld, int64_t K, int64_t n, const float* v,
                                                       float* acc) {
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    vf8 a0 = vf8_load(acc + j), a1 = vf8_load(acc + j + 8), a2 = vf8_load(acc + j + 16), a3 = vf8_load(acc + j + 24);
    for (int64_t k = 0; k < K; ++k) {
      const vf8 vk = vf8_set(v[k]);
      const float* row = m + k * ld + j;
      a0 += vk * vf8_load(row);
      a1 += vk * vf8_load(row + 8);
      a2 += vk * vf8_load(row + 16);
      a3 += vk * vf8_load(row + 24);
    }
    vf8_store(acc + j, a0);
    vf8_store(acc + j + 8, a1);
    vf8_store(acc + j + 16, a2);
    vf8_store(acc + j + 24, a3);
  }
  for (; j + 8 <= n; j += 8) {
    vf8 a0 = vf8_load(acc + j);
    for (int64_t k = 0; k < K; ++k) a0 += vf8_set(v[k]) * vf8_load(m + k * ld + j);
    vf8_store(acc + j, a0);
  }
  for (; j < n; ++j) {
    float s = acc[j];
    for (int64_t k = 0; k < K; ++k) s += v[k] * m[k * ld + j];
    acc[j] = s;
  }
}

__attribute__((always_inline)) inline void clip_inplace(float* x, int64_t n, float c) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] < -c ? -c : (x[i] > c ? c : x[i]);
}

__attribute__((always_inline)) inline void gru_sequence_body(const GruSeq& s) {
  const int64_t H = s.H;
  float* h = s.work;
  float* acc = h + H;         // [3H]: z, r pre-activations, then h·Rhᵀ + Rbh or r⊙h
  float* cand = acc + 3 * H;  // [H]
  if (s.h0) {
    std::copy_n(s.h0, H, h);
  } else {
    std::fill_n(h, H, 0.f);
  }
  for (int64_t step = 0; step < s.len; ++step) {
    const int64_t t = s.rev ? s.len - 1 - step : step;
    const float* xr = s.xw + t * s.xw_step;
    std::copy_n(xr, 2 * H, acc);
    if (s.lbr) std::copy_n(s.rbh, H, acc + 2 * H);
    gemv_kmajor(s.rt, 3 * H, H, s.lbr ? 3 * H : 2 * H, h, acc);
    if (s.has_clip) clip_inplace(acc, 2 * H, s.clip);
    linalg::vmap_inplace(acc, 2 * H, linalg::VSigmoid{});
    const float* z = acc;
    const float* r = acc + H;
    float* hh = acc + 2 * H;
    if (s.lbr) {
      for (int64_t j = 0; j < H; ++j) cand[j] = xr[2 * H + j] + r[j] * hh[j];
    } else {
      for (int64_t j = 0; j < H; ++j) hh[j] = r[j] * h[j];
      std::copy_n(xr + 2 * H, H, cand);
      gemv_kmajor(s.rt + 2 * H, 3 * H, H, H, hh, cand);
    }
    if (s.has_clip) clip_inplace(cand, H, s.clip);
    linalg::vmap_inplace(cand, H, linalg::VTanh{});
    for (int64_t j = 0; j < H; ++j) h[j] = (1.f - z[j]) * cand[j] + z[j] * h[j];
    if (s.y) std::copy_n(h, H, s.y + t * s.y_step);
  }
  if (s.y) {
    for (int64_t t = s.len; t < s.seq; ++t) std::fill_n(s.y + t * s.y_step, H, 0.f);
  }
  if (s.yh) std::copy_n(h, H, s.yh);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) void gru_sequence_avx2(const GruSeq& s) { gru_sequence_body(s); }
#else
void gru_sequence_avx2(const GruSeq& s) { gru_sequence_body(s); }
#endif
void gru_sequence_generic(const GruSeq& s) { gru_sequence_body(s); }

class CpuGruKernel : public OpKernel {
 public:
  explicit CpuGruKernel(const KernelInit& init)
      : spec_(init, 3, {"Sigmoid", "Tanh"}), lbr_(init.attrs.get_int("linear_before_reset", 0) != 0) {
    const Tensor& w = *init.constant(1);
    const Tensor& r = *init.constant(2);
    dirs_ = spec_.dirs;
    H_ = r.dim(2);
    in_ = w.dim(2);
    if (spec_.hidden_attr >= 0 && spec_.hidden_attr != H_) {
      fail(init.where() + ": hidden_size " + std::to_string(spec_.hidden_attr) + " does not match R " + r.describe());
    }
    if (w.shape() != Shape{dirs_, 3 * H_, in_})
      fail(init.where() + ": W " + w.describe() + " does not match R " + r.describe());
    if (r.shape() != Shape{dirs_, 3 * H_, H_})
      fail(init.where() + ": R has shape " + r.describe() + ", expected [" + std::to_string(dirs_) + "," +
           std::to_string(3 * H_) + "," + std::to_string(H_) + "]");
    w_.assign(w.data<float>(), w.data<float>() + w.numel());
    const int64_t G = 3 * H_;
    rt_.resize(static_cast<size_t>(dirs_ * H_ * G));
    for (int64_t d = 0; d < dirs_; ++d) {
      const float* rd = r.data<float>() + d * G * H_;
      for (int64_t j = 0; j < G; ++j) {
        for (int64_t k = 0; k < H_; ++k) rt_[static_cast<size_t>((d * H_ + k) * G + j)] = rd[j * H_ + k];
      }
    }
    bias_x_.assign(static_cast<size_t>(dirs_ * G), 0.f);
    rbh_.assign(static_cast<size_t>(dirs_ * H_), 0.f);
    if (const Tensor* b = init.constant(3)) {
      if (b->shape() != Shape{dirs_, 2 * G})
        fail(init.where() + ": B has shape " + b->describe() + ", expected [" + std::to_string(dirs_) + "," +
             std::to_string(2 * G) + "]");
      for (int64_t d = 0; d < dirs_; ++d) {
        const float* wb = b->data<float>() + d * 2 * G;
        const float* rb = wb + G;
        for (int64_t j = 0; j < G; ++j) {
          const bool rb_separate = lbr_ && j >= 2 * H_;
          bias_x_[static_cast<size_t>(d * G + j)] = rb_separate ? wb[j] : wb[j] + rb[j];
          if (rb_separate) rbh_[static_cast<size_t>(d * H_ + j - 2 * H_)] = rb[j];
        }
      }
    }
  }

  std::string algorithm() const override {
    return std::string("gru-sgemm") + (lbr_ ? "-lbr" : "") + (linalg::sgemm_uses_avx2() ? "-avx2" : "-generic");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat || x.rank() != 3)
      fail(ctx.where() + ": X must be float32 of rank 3, got " + x.describe());
    const bool bl = spec_.layout == 1;
    const int64_t T = bl ? x.dim(1) : x.dim(0), B = bl ? x.dim(0) : x.dim(1), D = dirs_, H = H_, G = 3 * H_;
    if (x.dim(2) != in_)
      fail(ctx.where() + ": X " + x.describe() + " does not match W's input size " + std::to_string(in_));
    read_lens(ctx, T, B);
    const float* h0 = nullptr;
    const Shape state_shape = bl ? Shape{B, D, H} : Shape{D, B, H};
    if (ctx.has_input(5)) {
      const Tensor& ih = ctx.input(5);
      if (ih.dtype() != DType::kFloat || ih.shape() != state_shape) {
        fail(ctx.where() + ": initial_h " + ih.describe() + " should be float32 of shape " + shape_str(state_shape));
      }
      h0 = ih.data<float>();
    }
    float* y = ctx.has_output(0)
                   ? ctx.alloc_output(0, DType::kFloat, bl ? Shape{B, T, D, H} : Shape{T, D, B, H}).data<float>()
                   : nullptr;
    float* yh = ctx.has_output(1) ? ctx.alloc_output(1, DType::kFloat, state_shape).data<float>() : nullptr;
    if (T * B == 0) {
      if (yh && h0) std::copy_n(h0, D * B * H, yh);
      if (yh && !h0) std::fill_n(yh, D * B * H, 0.f);
      return;
    }
    const int64_t rows = T * B, ldxw = D * G;
    auto* xw = static_cast<float*>(ctx.scratch(static_cast<size_t>(rows * ldxw + D * B * 5 * H) * sizeof(float)));
    float* work = xw + rows * ldxw;
    for (int64_t i = 0; i < rows; ++i) std::copy_n(bias_x_.data(), ldxw, xw + i * ldxw);
    linalg::sgemm(false, true, rows, ldxw, in_, 1.f, x.data<float>(), in_, w_.data(), in_, 1.f, xw, ldxw, ctx.pool);
    const bool avx2 = linalg::sgemm_uses_avx2();
    ctx.parallel_for(D * B, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t d = i / B, b = i % B;
        GruSeq s;
        s.H = H;
        s.len = lens_[static_cast<size_t>(b)];
        s.seq = T;
        s.rev = spec_.reversed(d);
        s.lbr = lbr_;
        s.has_clip = spec_.has_clip;
        s.clip = static_cast<float>(spec_.clip);
        s.xw = xw + (bl ? b * T * ldxw : b * ldxw) + d * G;
        s.xw_step = bl ? ldxw : B * ldxw;
        s.rt = rt_.data() + d * H * G;
        s.rbh = rbh_.data() + d * H;
        const int64_t state = bl ? (b * D + d) * H : (d * B + b) * H;
        s.h0 = h0 ? h0 + state : nullptr;
        s.y = y ? y + (bl ? (b * T * D + d) * H : (d * B + b) * H) : nullptr;
        s.y_step = bl ? D * H : D * B * H;
        s.yh = yh ? yh + state : nullptr;
        s.work = work + i * 5 * H;
        if (avx2) {
          gru_sequence_avx2(s);
        } else {
          gru_sequence_generic(s);
        }
      }
    });
  }

 private:
  void read_lens(const KernelContext& ctx, int64_t T, int64_t B) {
    lens_.assign(static_cast<size_t>(B), T);
    if (!ctx.has_input(4)) return;
    const Tensor& sl = ctx.input(4);
    if ((sl.dtype() != DType::kInt32 && sl.dtype() != DType::kInt64) || sl.shape() != Shape{B}) {
      fail(ctx.where() + ": sequence_lens must be int32 of shape [" + std::to_string(B) + "], got " + sl.describe());
    }
    for (int64_t b = 0; b < B; ++b) {
      const int64_t v = sl.dtype() == DType::kInt32 ? sl.data<int32_t>()[b] : sl.data<int64_t>()[b];
      if (v < 0 || v > T) {
        fail(ctx.where() + ": sequence_lens value " + std::to_string(v) + " is outside [0, " + std::to_string(T) + "]");
      }
      lens_[static_cast<size_t>(b)] = v;
    }
  }

  RnnSpec spec_;
  bool lbr_;
  int64_t dirs_ = 1, H_ = 0, in_ = 0;
  std::vector<float> w_, rt_, bias_x_, rbh_;
  std::vector<int64_t> lens_;  // reused across runs
};

}  // namespace

void register_cpu_GRU(KernelRegistry& r) {
  r.add({"", "GRU", 1, kOpsetMax, {DType::kFloat}, factory_of<CpuGruKernel>(), "cpu", 10, 0, gru_accepts});
}

}  // namespace edge::rt
