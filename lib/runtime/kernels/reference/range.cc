// Range: the 1-D sequence start, start + delta, ... stopping before `limit`
// (count = max(ceil((limit - start) / delta), 0)); all three inputs are scalars of one type.
#include <cmath>
#include <cstdint>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  const std::string& where = ctx.where();
  const Tensor& s = ctx.input(0);
  const Tensor& l = ctx.input(1);
  const Tensor& d = ctx.input(2);
  if (l.dtype() != s.dtype() || d.dtype() != s.dtype()) fail(where + ": inputs must have the same type");
  if (s.numel() != 1 || l.numel() != 1 || d.numel() != 1) fail(where + ": inputs must be scalars");
  const DType t = s.dtype();
  if (t == DType::kFloat || t == DType::kDouble || t == DType::kFloat16) {
    const double start = s.get_double(0), limit = l.get_double(0), delta = d.get_double(0);
    if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta)) {
      fail(where + ": start, limit and delta must be finite and delta non-zero");
    }
    double n = std::ceil((limit - start) / delta);
    if (n < 0) n = 0;
    if (n > 9.0e15) fail(where + ": the range has too many elements");
    Tensor& y = ctx.alloc_output(0, t, {static_cast<int64_t>(n)});
    auto* p = static_cast<uint8_t*>(y.raw());
    const size_t es = dtype_size(t);
    if (t == DType::kFloat) {
      // Accumulate in float32 like the reference definition (start + i * delta).
      const float fs = static_cast<float>(start), fd = static_cast<float>(delta);
      for (int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = fs + static_cast<float>(i) * fd;
    } else {
      for (int64_t i = 0; i < y.numel(); ++i) {
        tensor_util::store_double(t, start + static_cast<double>(i) * delta, p + static_cast<size_t>(i) * es);
      }
    }
    return;
  }
  if (t != DType::kInt16 && t != DType::kInt32 && t != DType::kInt64) {
    fail_unsupported(where + ": input type " + dtype_name(t) + " is not supported");
  }
  const int64_t start = s.get_int64(0), limit = l.get_int64(0), delta = d.get_int64(0);
  if (delta == 0) fail(where + ": delta must not be 0");
  // Count with unsigned arithmetic so that spans beyond int64 do not overflow.
  uint64_t n = 0;
  if ((delta > 0 && limit > start) || (delta < 0 && limit < start)) {
    const uint64_t span = delta > 0 ? static_cast<uint64_t>(limit) - static_cast<uint64_t>(start)
                                    : static_cast<uint64_t>(start) - static_cast<uint64_t>(limit);
    const uint64_t step = delta > 0 ? static_cast<uint64_t>(delta) : uint64_t{0} - static_cast<uint64_t>(delta);
    n = span / step + (span % step != 0 ? 1 : 0);
    if (n > (uint64_t{1} << 53)) fail(where + ": the range has too many elements");
  }
  Tensor& y = ctx.alloc_output(0, t, {static_cast<int64_t>(n)});
  tensor_util::dispatch_num(t, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      T* p = y.data<T>();
      for (int64_t i = 0; i < y.numel(); ++i) {
        p[i] = static_cast<T>(static_cast<uint64_t>(start) + static_cast<uint64_t>(i) * static_cast<uint64_t>(delta));
      }
    }
  });
}
}  // namespace

void register_Range(KernelRegistry& r) {
  r.add({"", "Range", 11, kOpsetMax, numeric_types(), function_kernel(compute)});
}

}  // namespace edge::rt
