#include "passes/quantize/block_quant.h"

#include <algorithm>
#include <cmath>

#include "ir/packed_bits.h"

namespace edge::pass::quant {

BlockQuantized quantize_blocks(const Tensor& w_kn, int bits, int block, bool symmetric) {
  if (w_kn.dtype() != DType::kFloat || w_kn.rank() != 2) fail_internal("quantize_blocks: float32 [K, N] expected");
  BlockQuantized q;
  q.bits = bits;
  q.block = block;
  q.k = w_kn.dim(0);
  q.n = w_kn.dim(1);
  q.k_blocks = (q.k + block - 1) / block;
  const int64_t blob = q.blob();
  const int64_t zp_row = packed_bytes(q.k_blocks, bits);
  const int top = (1 << bits) - 1;
  const int mid = 1 << (bits - 1);
  q.codes.assign(static_cast<size_t>(q.n * q.k_blocks * blob), 0);
  q.scales.assign(static_cast<size_t>(q.n * q.k_blocks), 1.f);
  if (!symmetric) q.zero_points.assign(static_cast<size_t>(q.n * zp_row), 0);
  q.dequantized.assign(static_cast<size_t>(q.k * q.n), 0.f);
  const float* w = w_kn.data<float>();
  for (int64_t n = 0; n < q.n; ++n) {
    for (int64_t b = 0; b < q.k_blocks; ++b) {
      const int64_t k0 = b * block, k1 = std::min(q.k, k0 + block);
      double lo = 0, hi = 0;
      for (int64_t k = k0; k < k1; ++k) {
        lo = std::min(lo, static_cast<double>(w[k * q.n + n]));
        hi = std::max(hi, static_cast<double>(w[k * q.n + n]));
      }
      float scale = 1.f;
      int zp = mid;
      if (symmetric) {
        const double m = std::max(-lo, hi);
        if (m > 0) scale = static_cast<float>(m / (mid - 1));
      } else if (hi - lo > 0) {
        scale = static_cast<float>((hi - lo) / top);
        zp = static_cast<int>(std::clamp(std::nearbyint(-lo / scale), 0.0, static_cast<double>(top)));
      }
      q.scales[static_cast<size_t>(n * q.k_blocks + b)] = scale;
      if (!symmetric) set_packed_code(q.zero_points.data() + n * zp_row, b, bits, static_cast<uint8_t>(zp));
      uint8_t* row = q.codes.data() + (n * q.k_blocks + b) * blob;
      for (int64_t i = 0; i < block; ++i) {
        const int64_t k = k0 + i;
        int code = zp;  // padding past K dequantizes to 0
        if (k < q.k) {
          const double v = std::nearbyint(static_cast<double>(w[k * q.n + n] / scale)) + zp;
          code = static_cast<int>(std::clamp(v, 0.0, static_cast<double>(top)));
          q.dequantized[static_cast<size_t>(k * q.n + n)] = static_cast<float>(code - zp) * scale;
        }
        set_packed_code(row, i, bits, static_cast<uint8_t>(code));
      }
    }
  }
  return q;
}

}  // namespace edge::pass::quant
