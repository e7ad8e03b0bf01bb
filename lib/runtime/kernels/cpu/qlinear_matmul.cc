// cpu backend: QLinearMatMul (ai.onnx, and the QDQ fusion's form for MatMul/Gemm in the private
// domain) on AVX-512 VNNI, bit-identical to the reference kernel.
//
// For a constant 2-D B (transposed with transB) whose zero point is 0 (int8) or 128 (uint8, taken
// as int8 b - 128), per column, and A with one constant scale and zero point: B is packed once at
// preparation (linalg/qtap_gemm.h, one tap, the columns of B as output channels); every row of A
// is read in place (or copied once, padded to a multiple of 4 and with int8 values offset to
// uint8, when it has to be) and the int32 sums, with the zero-point term
// -a_zero_point * column_sum(B) folded in, are requantized exactly as the reference does
// (q_matmul_requantize_row). Anything else, and CPUs without VNNI, use the reference kernel.
#include <algorithm>
#include <cstring>
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/qlinear_util.h"
#include "runtime/linalg/qtap_gemm.h"

namespace edge::rt {
namespace {

bool qmatmul_accepts(const KernelInit& init) {
  if (!linalg::qtap_gemm_supported()) return false;
  const Tensor* b = init.constant(3);
  if (!b || !q_is_8bit(b->dtype()) || b->rank() != 2) return false;
  const DType a = init.input_type(0).dtype;
  if (a != DType::kUndefined && !q_is_8bit(a)) return false;
  const Tensor* a_scale = init.constant(1);
  if (!a_scale || a_scale->numel() != 1) return false;
  if (init.has_input(2) && (!init.constant(2) || init.constant(2)->numel() != 1)) return false;
  if (!init.has_input(5)) return b->dtype() == DType::kInt8;
  const Tensor* zp = init.constant(5);
  if (!zp || zp->dtype() != b->dtype() || zp->rank() > 1) return false;
  for (int64_t i = 0; i < zp->numel(); ++i) {
    if (static_cast<int32_t>(zp->get_double(i)) != (b->dtype() == DType::kUint8 ? 128 : 0)) return false;
  }
  return true;
}

class CpuQLinearMatMulKernel : public OpKernel {
 public:
  explicit CpuQLinearMatMulKernel(const KernelInit& init) : act_(QActivation::parse(init)) {
    const Tensor& b = *init.constant(3);
    const bool trans = init.attrs.get_int("transB", 0) != 0;
    K_ = trans ? b.dim(1) : b.dim(0);
    N_ = trans ? b.dim(0) : b.dim(1);
    const bool u8 = b.dtype() == DType::kUint8;
    const auto* raw = static_cast<const uint8_t*>(b.raw());
    weights_ = linalg::PackedTapWeights(N_, 1, K_, [&](int64_t n, int64_t, int64_t k) {
      const uint8_t v = raw[trans ? n * K_ + k : k * N_ + n];
      return static_cast<int8_t>(u8 ? v ^ 0x80u : v);
    });
    corr_.assign(static_cast<size_t>(weights_.blocks() * linalg::PackedTapWeights::kBlock), 0);
    bias_const_ = true;
    for (int i : {1, 4, 8, 9, 10}) bias_const_ = bias_const_ && (!init.has_input(i) || init.constant(i));
  }

  std::string algorithm() const override { return "vnni-gemm" + act_.suffix(); }

  void compute(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    q_require_8bit(ctx.where(), a, "A");
    if (a.rank() == 0 || a.dim(-1) != K_) {
      fail(ctx.where() + ": inner dimensions differ (" + a.describe() + " x B with " + std::to_string(K_) + " rows)");
    }
    for (int i : {1, 4, 6}) {
      if (ctx.input(i).dtype() != DType::kFloat) {
        fail(ctx.where() + ": scales must be float32, got " + ctx.input(i).describe());
      }
    }
    const Tensor& bs = ctx.input(4);
    if (bs.numel() != 1 && !(bs.rank() >= 1 && bs.numel() == N_ && bs.dim(-1) == N_)) {
      fail(ctx.where() + ": b_scale " + bs.describe() + " must have one value or one per column of B");
    }
    const float as = q_scalar_scale(ctx.where(), ctx.input(1), "a");
    const int32_t azp = q_scalar_zero_point(ctx.where(), ctx.has_input(2) ? &ctx.input(2) : nullptr, a.dtype(), "a");
    const float ys = q_scalar_scale(ctx.where(), ctx.input(6), "y");
    const Tensor* y_zp = ctx.has_input(7) ? &ctx.input(7) : nullptr;
    const DType yt = y_zp ? y_zp->dtype() : DType::kUint8;
    if (!q_is_8bit(yt)) fail_unsupported(ctx.where() + ": y_zero_point must be uint8 or int8, got " + y_zp->describe());
    const int32_t yzp = q_scalar_zero_point(ctx.where(), y_zp, yt, "y");
    col_mult_.resize(static_cast<size_t>(N_));
    for (int64_t n = 0; n < N_; ++n) {
      col_mult_[static_cast<size_t>(n)] = bs.get_double(bs.numel() == 1 ? 0 : n) / static_cast<double>(ys);
    }
    const int32_t* pb = nullptr;
    if (ctx.has_input(8)) {  // the fused form's bias, converted to accumulator units (once when constant)
      if (!bias_ready_) {
        q_channel_scales(ctx.where(), bs, N_, "b", bs_);
        q_bias_to_acc(ctx.where(), ctx.input(8), ctx.has_input(9) ? &ctx.input(9) : nullptr,
                      ctx.has_input(10) ? &ctx.input(10) : nullptr, as, bs_, N_, acc_bias_);
        bias_ready_ = bias_const_;
      }
      pb = acc_bias_.data();
    }
    int32_t lo, hi;
    act_.range(ys, yzp, yt, &lo, &hi);
    Shape out(a.shape().begin(), a.shape().end() - 1);
    out.push_back(N_);
    Tensor& y = ctx.alloc_output(0, yt, out);
    if (y.numel() == 0) return;

    const int64_t rows = a.numel() / K_, Kp = weights_.channel_quads() * 4;
    const bool s8 = a.dtype() == DType::kInt8;
    const int32_t zx = azp + (s8 ? 128 : 0);
    for (int64_t n = 0; n < N_; ++n) {
      corr_[static_cast<size_t>(n)] =
          static_cast<int32_t>(0u - static_cast<uint32_t>(zx) * static_cast<uint32_t>(weights_.row_sum(n)));
    }
    const size_t acc_bytes = static_cast<size_t>(rows * N_) * sizeof(int32_t);
    const bool copy = s8 || Kp != K_;
    char* scratch = static_cast<char*>(ctx.scratch(acc_bytes + (copy ? static_cast<size_t>(rows * Kp) : 0)));
    auto* acc = reinterpret_cast<int32_t*>(scratch);
    const auto* x = static_cast<const uint8_t*>(a.raw());
    if (copy) {  // rows padded to Kp (the padding meets zero weights), int8 offset to uint8
      auto* xc = reinterpret_cast<uint8_t*>(scratch + acc_bytes);
      const uint8_t flip = s8 ? 0x80 : 0;
      for (int64_t r = 0; r < rows; ++r) {
        uint8_t* dst = xc + r * Kp;
        for (int64_t k = 0; k < K_; ++k) dst[k] = x[r * K_ + k] ^ flip;
        std::fill(dst + K_, dst + Kp, uint8_t{0});
      }
      x = xc;
    }
    if (static_cast<int64_t>(pos_.size()) != rows || pos_kp_ != Kp) {
      pos_.resize(static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r) pos_[static_cast<size_t>(r)] = r * Kp;
      pos_kp_ = Kp;
    }
    linalg::QTapOutput o;
    o.bias = corr_.data();
    o.acc = acc;
    o.acc_stride = N_;
    const int64_t tap = 0;
    linalg::qtap_gemm(weights_, x, pos_.data(), rows, &tap, o, ctx.pool);
    for (int64_t r = 0; r < rows; ++r) {
      if (yt == DType::kUint8) {
        q_matmul_requantize_row(acc + r * N_, N_, pb, as, col_mult_.data(), yzp, lo, hi, y.data<uint8_t>() + r * N_);
      } else {
        q_matmul_requantize_row(acc + r * N_, N_, pb, as, col_mult_.data(), yzp, lo, hi, y.data<int8_t>() + r * N_);
      }
    }
  }

 private:
  QActivation act_;
  int64_t K_ = 0, N_ = 0;
  linalg::PackedTapWeights weights_;
  std::vector<int32_t> corr_;  // per column: -a_zero_point * column_sum(B) (run state)
  std::vector<double> col_mult_;
  std::vector<float> bs_;
  std::vector<int64_t> pos_;  // byte offset of each row of A
  int64_t pos_kp_ = 0;
  bool bias_const_ = false, bias_ready_ = false;
  std::vector<int32_t> acc_bias_;
};

}  // namespace

void register_cpu_QLinearMatMul(KernelRegistry& r) {
  for (const char* domain : {"", kFusedDomain}) {
    r.add({domain,
           "QLinearMatMul",
           domain[0] ? 1 : 10,
           kOpsetMax,
           {DType::kUint8, DType::kInt8},
           factory_of<CpuQLinearMatMulKernel>(),
           "cpu",
           10,
           kCpuAvx512f | kCpuAvx512Vnni,
           qmatmul_accepts});
  }
}

}  // namespace edge::rt
