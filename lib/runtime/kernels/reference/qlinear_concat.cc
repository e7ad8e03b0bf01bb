// QLinearConcat (com.microsoft, version 1; also the QDQ fusion's form of DQ... -> Concat -> Q):
//   inputs Y_scale, Y_zero_point, then (X_i, X_i_scale, X_i_zero_point) for every input
//   Y = concat over `axis` of saturate(round_half_even(X_i_scale * (X_i - X_i_zp) / Y_scale) + Y_zp)
// for uint8/int8 tensors of Y_zero_point's type and per-tensor parameters. An input whose
// parameters equal Y's is copied; the others are mapped through a 256-entry table.
#include <array>
#include <cstring>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/qlinear_util.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {

class QLinearConcatKernel : public OpKernel {
 public:
  explicit QLinearConcatKernel(const KernelInit& init) : axis_(init.attrs.require_int("axis")) {
    if (init.node.input_size() < 5 || (init.node.input_size() - 2) % 3 != 0) {
      fail(init.where() + ": expects Y_scale, Y_zero_point and (tensor, scale, zero point) triples, got " +
           std::to_string(init.node.input_size()) + " inputs");
    }
  }

  void compute(KernelContext& ctx) override {
    const float ys = q_scalar_scale(ctx.where(), ctx.input(0), "Y");
    const Tensor& yzp_t = ctx.input(1);
    const DType t = yzp_t.dtype();
    if (!q_is_8bit(t)) fail_unsupported(ctx.where() + ": Y_zero_point must be uint8 or int8, got " + yzp_t.describe());
    const int32_t yzp = q_scalar_zero_point(ctx.where(), &yzp_t, t, "Y");
    const int count = (ctx.num_inputs() - 2) / 3;
    const Tensor& first = ctx.input(2);
    if (first.rank() == 0) fail(ctx.where() + ": cannot concatenate scalars");
    const int64_t axis = tensor_util::norm_axis(axis_, first.rank(), ctx.where());
    const size_t ua = static_cast<size_t>(axis);
    Shape out = first.shape();
    out[ua] = 0;
    for (int k = 0; k < count; ++k) {
      const Tensor& x = ctx.input(2 + 3 * k);
      if (x.dtype() != t) fail(ctx.where() + ": input " + x.describe() + " does not have Y's type " + dtype_name(t));
      if (x.rank() != first.rank()) fail(ctx.where() + ": inputs have different ranks");
      for (size_t d = 0; d < out.size(); ++d) {
        if (d != ua && x.shape()[d] != first.shape()[d]) {
          fail(ctx.where() + ": input shapes " + shape_str(first.shape()) + " and " + shape_str(x.shape()) +
               " differ outside the concatenation axis");
        }
      }
      out[ua] += x.shape()[ua];
    }
    Tensor& y = ctx.alloc_output(0, t, out);
    if (y.numel() == 0) return;
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < ua; ++d) outer *= out[d];
    for (size_t d = ua + 1; d < out.size(); ++d) inner *= out[d];
    const int64_t out_row = out[ua] * inner;
    const int32_t base = q_min(t), lo = q_min(t), hi = q_max(t);
    int64_t col = 0;
    for (int k = 0; k < count; ++k) {
      const Tensor& x = ctx.input(2 + 3 * k);
      const float xs = q_scalar_scale(ctx.where(), ctx.input(3 + 3 * k), "input");
      const int32_t xzp =
          q_scalar_zero_point(ctx.where(), ctx.has_input(4 + 3 * k) ? &ctx.input(4 + 3 * k) : nullptr, t, "input");
      const int64_t row = x.shape()[ua] * inner;
      const auto* src = static_cast<const uint8_t*>(x.raw());
      auto* dst = static_cast<uint8_t*>(y.raw()) + col;
      if (xs == ys && xzp == yzp) {
        for (int64_t o = 0; o < outer && row > 0; ++o) {
          std::memcpy(dst + o * out_row, src + o * row, static_cast<size_t>(row));
        }
      } else {
        // Byte-level table: code c (stored as byte c - base) -> requantized byte.
        std::array<uint8_t, 256> table;
        const double m = static_cast<double>(xs) / static_cast<double>(ys);
        for (int32_t v = 0; v < 256; ++v) {
          const int32_t q = q_round_clamp(m * (v + base - xzp), yzp, lo, hi);
          table[static_cast<uint8_t>(v + base)] = static_cast<uint8_t>(q);
        }
        for (int64_t o = 0; o < outer; ++o) {
          for (int64_t i = 0; i < row; ++i) dst[o * out_row + i] = table[src[o * row + i]];
        }
      }
      col += row;
    }
  }

 private:
  int64_t axis_;
};

}  // namespace

void register_QLinearConcat(KernelRegistry& r) {
  r.add({"com.microsoft", "QLinearConcat", 1, kOpsetMax, {}, factory_of<QLinearConcatKernel>()});
  r.add({kFusedDomain, "QLinearConcat", 1, kOpsetMax, {}, factory_of<QLinearConcatKernel>()});
}

}  // namespace edge::rt
