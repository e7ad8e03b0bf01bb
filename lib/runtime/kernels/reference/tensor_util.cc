// Shared helpers for the tensor-group kernels; see tensor_util.h.
#include "runtime/kernels/reference/tensor_util.h"

#include <cstring>

#include <limits>

namespace edge::rt::tensor_util {

int64_t norm_axis(int64_t axis, int64_t rank, const std::string& where, const char* what) {
  if (axis < -rank || axis >= rank) {
    fail(where + ": " + what + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> norm_axes(const std::vector<int64_t>& axes, int64_t rank, const std::string& where) {
  std::vector<int64_t> out;
  std::vector<bool> seen(static_cast<size_t>(rank > 0 ? rank : 0), false);
  for (int64_t a : axes) {
    int64_t n = norm_axis(a, rank, where);
    if (seen[static_cast<size_t>(n)]) fail(where + ": axis " + std::to_string(a) + " is repeated");
    seen[static_cast<size_t>(n)] = true;
    out.push_back(n);
  }
  return out;
}

void index_error(int64_t idx, int64_t n, const std::string& where) {
  fail(where + ": index " + std::to_string(idx) + " is out of range for a dimension of size " + std::to_string(n));
}

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

std::vector<int64_t> read_ints(const Tensor& t, const std::string& where, const char* what) {
  if (t.dtype() == DType::kInt64) {
    const int64_t* p = t.data<int64_t>();
    return std::vector<int64_t>(p, p + t.numel());
  }
  if (t.dtype() == DType::kInt32) {
    const int32_t* p = t.data<int32_t>();
    return std::vector<int64_t>(p, p + t.numel());
  }
  fail(where + ": " + what + " must be int32 or int64, got " + dtype_name(t.dtype()));
}

int64_t read_scalar_int(const Tensor& t, const std::string& where, const char* what) {
  if (t.numel() != 1) fail(where + ": " + what + " must have exactly one element, got " + t.describe());
  if (t.dtype() == DType::kInt64) return t.data<int64_t>()[0];
  if (t.dtype() == DType::kInt32) return t.data<int32_t>()[0];
  fail(where + ": " + what + " must be int32 or int64, got " + dtype_name(t.dtype()));
}

Shape to_shape(const std::vector<int64_t>& dims, const std::string& where, const char* what) {
  for (int64_t d : dims) {
    if (d < 0) fail(where + ": " + what + " has a negative dimension " + std::to_string(d));
  }
  Shape s(dims.begin(), dims.end());
  shape_numel(s);  // throws on overflow
  return s;
}

namespace {
template <typename U>
void copy_mapped_t(const U* in, U* out, const Shape& shape, const std::vector<std::vector<int64_t>>& offs,
                   const void* fill_bytes) {
  U fill{};
  if (fill_bytes) std::memcpy(&fill, fill_bytes, sizeof(U));
  const size_t rank = shape.size();
  if (rank == 0) {
    out[0] = in[0];
    return;
  }
  // pre[d]: sum of offsets of dims < d for the current index (-1 when a fill dim is hit).
  std::vector<int64_t> idx(rank, 0), pre(rank, 0);
  auto recompute = [&](size_t from) {
    for (size_t d = from; d + 1 < rank; ++d) {
      int64_t o = offs[d][static_cast<size_t>(idx[d])];
      pre[d + 1] = (pre[d] < 0 || o < 0) ? -1 : pre[d] + o;
    }
  };
  recompute(0);
  const std::vector<int64_t>& last = offs[rank - 1];
  const int64_t n_last = shape[rank - 1];
  const int64_t rows = shape_numel(shape) / n_last;
  U* dst = out;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t base = pre[rank - 1];
    if (base < 0) {
      for (int64_t i = 0; i < n_last; ++i) dst[i] = fill;
    } else {
      for (int64_t i = 0; i < n_last; ++i) {
        int64_t o = last[static_cast<size_t>(i)];
        dst[i] = o < 0 ? fill : in[base + o];
      }
    }
    dst += n_last;
    // Advance the index over dims [0, rank-1).
    for (size_t d = rank - 1; d-- > 0;) {
      if (++idx[d] < shape[d]) {
        recompute(d);
        break;
      }
      idx[d] = 0;
    }
  }
}
}  // namespace

void copy_mapped(const Tensor& in, Tensor& out, const std::vector<std::vector<int64_t>>& offs, const void* fill) {
  if (out.numel() == 0) return;
  if (offs.size() != out.shape().size()) fail_internal("copy_mapped: offset tables do not match the output rank");
  static const uint64_t zero = 0;
  if (!fill) fill = &zero;
  const Shape& s = out.shape();
  switch (dtype_size(out.dtype())) {
    case 1: copy_mapped_t(static_cast<const uint8_t*>(in.raw()), static_cast<uint8_t*>(out.raw()), s, offs, fill); break;
    case 2: copy_mapped_t(static_cast<const uint16_t*>(in.raw()), static_cast<uint16_t*>(out.raw()), s, offs, fill); break;
    case 4: copy_mapped_t(static_cast<const uint32_t*>(in.raw()), static_cast<uint32_t*>(out.raw()), s, offs, fill); break;
    case 8: copy_mapped_t(static_cast<const uint64_t*>(in.raw()), static_cast<uint64_t*>(out.raw()), s, offs, fill); break;
    default: fail_internal("copy_mapped: unsupported element size");
  }
}

namespace {
template <typename E>
void permute_runs(const E* src, E* dst, const Shape& os, const Shape& ps, int64_t total) {
  const size_t r = os.size();
  const int64_t inner = os[r - 1], istride = ps[r - 1];
  Shape idx(r, 0);
  int64_t off = 0;
  for (int64_t i = 0; i < total; i += inner) {
    const E* s = src + off;
    E* d = dst + i;
    if (istride == 1) {
      std::memcpy(d, s, static_cast<size_t>(inner) * sizeof(E));
    } else {
      for (int64_t j = 0; j < inner; ++j) d[j] = s[j * istride];
    }
    for (size_t k = r - 1; k-- > 0;) {
      if (++idx[k] < os[k]) {
        off += ps[k];
        break;
      }
      off -= ps[k] * (os[k] - 1);
      idx[k] = 0;
    }
  }
}
struct Bytes16 {
  uint8_t b[16];
};
}  // namespace

// Odometer over the output in row-major order, the innermost dim copied as one strided run;
// no allocation (shapes live inline).
void permute_copy(const Tensor& in, const Shape& in_shape, const Shape& perm, Tensor& out) {
  const size_t r = perm.size();
  const int64_t total = shape_numel(in_shape);
  const size_t es = dtype_size(in.dtype());
  if (total == 0) return;
  if (r == 0) {
    std::memcpy(out.raw(), in.raw(), es);
    return;
  }
  Shape st(r, 1), os(r), ps(r);
  for (size_t d = r - 1; d-- > 0;) st[d] = st[d + 1] * in_shape[d + 1];
  for (size_t d = 0; d < r; ++d) {
    os[d] = in_shape[static_cast<size_t>(perm[d])];
    ps[d] = st[static_cast<size_t>(perm[d])];
  }
  switch (es) {
    case 1: return permute_runs(static_cast<const uint8_t*>(in.raw()), static_cast<uint8_t*>(out.raw()), os, ps, total);
    case 2: return permute_runs(static_cast<const uint16_t*>(in.raw()), static_cast<uint16_t*>(out.raw()), os, ps, total);
    case 4: return permute_runs(static_cast<const uint32_t*>(in.raw()), static_cast<uint32_t*>(out.raw()), os, ps, total);
    case 8: return permute_runs(static_cast<const uint64_t*>(in.raw()), static_cast<uint64_t*>(out.raw()), os, ps, total);
    case 16: return permute_runs(static_cast<const Bytes16*>(in.raw()), static_cast<Bytes16*>(out.raw()), os, ps, total);
    default: fail_unsupported("transpose of " + dtype_name(in.dtype()) + " elements is not supported");
  }
}

void store_double(DType t, double v, void* dst) {
  if (t == DType::kFloat16) {
    uint16_t h = float_to_half(static_cast<float>(v));
    std::memcpy(dst, &h, 2);
    return;
  }
  bool ok = dispatch_numeric(t, [&](auto tag) {
    using T = decltype(tag);
    T x;
    if constexpr (std::is_same_v<T, bool>) {
      x = v != 0;
    } else if constexpr (std::is_integral_v<T>) {
      // Saturate instead of invoking undefined behaviour on out-of-range values.
      if (std::isnan(v)) {
        x = 0;
      } else if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) {
        x = std::numeric_limits<T>::lowest();
      } else if (v >= static_cast<double>(std::numeric_limits<T>::max())) {
        x = std::numeric_limits<T>::max();
      } else {
        x = static_cast<T>(v);
      }
    } else {
      x = static_cast<T>(v);
    }
    std::memcpy(dst, &x, sizeof(T));
  });
  if (!ok) fail_unsupported("cannot store a value of type " + dtype_name(t));
}

ScatterReduce parse_scatter_reduction(const std::string& s, const std::string& where) {
  if (s == "none") return ScatterReduce::kNone;
  if (s == "add") return ScatterReduce::kAdd;
  if (s == "mul") return ScatterReduce::kMul;
  if (s == "max") return ScatterReduce::kMax;
  if (s == "min") return ScatterReduce::kMin;
  fail(where + ": unknown reduction '" + s + "'");
}

void scatter_combine(DType t, ScatterReduce op, void* dst, const void* src, int64_t n) {
  if (op == ScatterReduce::kNone) {
    std::memcpy(dst, src, static_cast<size_t>(n) * dtype_size(t));
    return;
  }
  bool ok = dispatch_num(t, [&](auto tag) {
    using N = Num<decltype(tag)>;
    using S = typename N::Storage;
    using C = typename N::Compute;
    S* d = static_cast<S*>(dst);
    const S* s = static_cast<const S*>(src);
    for (int64_t i = 0; i < n; ++i) {
      C a = N::load(d[i]), b = N::load(s[i]);
      C r = a;
      switch (op) {
        case ScatterReduce::kAdd: r = add_wrap(a, b); break;
        case ScatterReduce::kMul: r = mul_wrap(a, b); break;
        case ScatterReduce::kMax: r = (b > a || is_nan_value(b)) && !is_nan_value(a) ? b : a; break;
        case ScatterReduce::kMin: r = (b < a || is_nan_value(b)) && !is_nan_value(a) ? b : a; break;
        case ScatterReduce::kNone: r = b; break;
      }
      d[i] = N::store(r);
    }
  });
  if (!ok) fail_unsupported("scatter reduction on type " + dtype_name(t) + " is not supported");
}

}  // namespace edge::rt::tensor_util
