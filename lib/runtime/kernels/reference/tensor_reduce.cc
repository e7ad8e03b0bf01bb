// Shared kernels for the Reduce* family and ArgMax/ArgMin; see tensor_reduce.h.
#include "runtime/kernels/reference/tensor_reduce.h"

#include <algorithm>
#include <limits>

#include "runtime/kernels/reference/broadcast.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt::tensor_util {
namespace {

// Accumulator type: double for floats, 64-bit integers for integer types.
template <typename C>
using Acc = std::conditional_t<std::is_floating_point_v<C>, double,
                               std::conditional_t<std::is_signed_v<C>, int64_t, uint64_t>>;

class ReduceKernel : public OpKernel {
 public:
  ReduceKernel(const KernelInit& init, ReduceOp op)
      : op_(op),
        keepdims_(init.attrs.get_int("keepdims", 1) != 0),
        noop_(init.attrs.get_int("noop_with_empty_axes", 0) != 0),
        attr_axes_(init.attrs.get_ints("axes")),
        axes_input_(init.opset >= 18 || (op == ReduceOp::kSum && init.opset >= 13)) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    // Axes from the attribute or (opset 18+) the optional input, read without allocating.
    const Tensor* axes_t = axes_input_ && ctx.has_input(1) ? &ctx.input(1) : nullptr;
    if (axes_t && !is_index_type(axes_t->dtype())) {
      fail(where + ": axes must be int32 or int64, got " + dtype_name(axes_t->dtype()));
    }
    const int64_t n_axes = axes_input_ ? (axes_t ? axes_t->numel() : 0) : static_cast<int64_t>(attr_axes_.size());
    auto axis_at = [&](int64_t k) -> int64_t {
      if (!axes_input_) return attr_axes_[static_cast<size_t>(k)];
      return axes_t->dtype() == DType::kInt32 ? axes_t->data<int32_t>()[k] : axes_t->data<int64_t>()[k];
    };
    const size_t r = static_cast<size_t>(x.rank());
    Shape red(r, 0);  // 1 where the dim is reduced
    if (n_axes == 0) {
      // noop_with_empty_axes: reduce over no axis, i.e. each element alone (ReduceL2 gives
      // |x|, ReduceSumSquare x^2, as ONNX's reference and ONNX Runtime do).
      if (!(noop_ && axes_input_)) {
        for (auto& v : red) v = 1;
      }
    } else {
      for (int64_t k = 0; k < n_axes; ++k) {
        const int64_t a = norm_axis(axis_at(k), x.rank(), where);
        if (static_cast<size_t>(a) >= r) continue;  // rank 0: axis 0/-1 names the scalar itself
        if (red[static_cast<size_t>(a)]) fail(where + ": axis " + std::to_string(axis_at(k)) + " is repeated");
        red[static_cast<size_t>(a)] = 1;
      }
    }
    Shape keep = x.shape(), out;
    for (size_t d = 0; d < r; ++d) {
      if (red[d]) keep[d] = 1;
      if (!red[d] || keepdims_) out.push_back(keep[d]);
    }
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    const int64_t n_out = y.numel();
    const int64_t count = n_out > 0 ? x.numel() / n_out : 0;
    bool ok = dispatch_num(x.dtype(), [&](auto tag) {
      using N = Num<decltype(tag)>;
      using C = typename N::Compute;
      if constexpr (std::is_same_v<C, bool>) {
        if ((op_ != ReduceOp::kMax && op_ != ReduceOp::kMin) || ctx.opset < 20) {
          fail_unsupported(where + ": bool input is not supported");
        }
        reduce_bool(x, y, keep);
      } else {
        run<N>(ctx, x, y, keep, count);
      }
    });
    if (!ok) fail_unsupported(where + ": input type " + dtype_name(x.dtype()) + " is not supported");
  }

 private:
  // ReduceMax / ReduceMin of bool tensors (opset 20): any / all; an empty set gives false / true.
  void reduce_bool(const Tensor& x, Tensor& y, const Shape& keep) const {
    const bool is_max = op_ == ReduceOp::kMax;
    const auto* px = static_cast<const uint8_t*>(x.raw());
    auto* py = static_cast<uint8_t*>(y.raw());
    std::fill_n(py, static_cast<size_t>(y.numel()), is_max ? 0 : 1);
    for_each_broadcast<1>(x.shape(), {keep}, [&](int64_t i, const int64_t* off) {
      uint8_t& a = py[static_cast<size_t>(off[0])];
      a = is_max ? (a | (px[i] != 0)) : (a & (px[i] != 0));
    });
  }

  template <typename N>
  void run(KernelContext& ctx, const Tensor& x, Tensor& y, const Shape& keep, int64_t count) {
    using C = typename N::Compute;
    using S = typename N::Storage;
    using A = Acc<C>;
    const S* px = static_cast<const S*>(x.raw());
    S* py = static_cast<S*>(y.raw());
    const size_t n_out = static_cast<size_t>(y.numel());
    A init = 0;
    if (op_ == ReduceOp::kProd) init = 1;
    if (op_ == ReduceOp::kMax) {
      init = std::is_floating_point_v<C> ? -std::numeric_limits<A>::infinity()
                                         : static_cast<A>(std::numeric_limits<C>::lowest());
    }
    if (op_ == ReduceOp::kMin) {
      init = std::is_floating_point_v<C> ? std::numeric_limits<A>::infinity()
                                         : static_cast<A>(std::numeric_limits<C>::max());
    }
    // Accumulators live in the step's scratch buffer (LogSumExp: max and sum in double).
    void* work = ctx.scratch(n_out * std::max(sizeof(A), 2 * sizeof(double)));
    if (op_ == ReduceOp::kLogSumExp) {
      // Two passes in double: the max, then log(sum(exp(x - max))) + max.
      double* mx = static_cast<double*>(work);
      double* sum = mx + n_out;
      std::fill_n(mx, n_out, -std::numeric_limits<double>::infinity());
      std::fill_n(sum, n_out, 0.0);
      for_each_broadcast<1>(x.shape(), {keep}, [&](int64_t i, const int64_t* off) {
        const double v = static_cast<double>(N::load(px[i]));
        double& m = mx[static_cast<size_t>(off[0])];
        if (!std::isnan(m) && (v > m || std::isnan(v))) m = v;
      });
      for_each_broadcast<1>(x.shape(), {keep}, [&](int64_t i, const int64_t* off) {
        const double m = mx[static_cast<size_t>(off[0])];
        if (std::isfinite(m)) sum[static_cast<size_t>(off[0])] += std::exp(static_cast<double>(N::load(px[i])) - m);
      });
      for (size_t i = 0; i < n_out; ++i) {
        const double d = std::isfinite(mx[i]) ? mx[i] + std::log(sum[i]) : mx[i];
        store_double(y.dtype(), d, &py[i]);
      }
      return;
    }
    A* acc = static_cast<A*>(work);
    std::fill_n(acc, n_out, init);
    for_each_broadcast<1>(x.shape(), {keep}, [&](int64_t i, const int64_t* off) {
      const A v = static_cast<A>(N::load(px[i]));
      A& a = acc[static_cast<size_t>(off[0])];
      switch (op_) {
        case ReduceOp::kSum:
        case ReduceOp::kMean:
        case ReduceOp::kLogSum: a = add_wrap(a, v); break;
        case ReduceOp::kProd: a = mul_wrap(a, v); break;
        case ReduceOp::kMax:
          if (!is_nan_value(a) && (v > a || is_nan_value(v))) a = v;
          break;
        case ReduceOp::kMin:
          if (!is_nan_value(a) && (v < a || is_nan_value(v))) a = v;
          break;
        case ReduceOp::kL1:
          if constexpr (std::is_floating_point_v<A>) {
            a += std::fabs(v);
          } else if constexpr (std::is_signed_v<A>) {
            a = add_wrap(a, v < 0 ? static_cast<A>(uint64_t{0} - static_cast<uint64_t>(v)) : v);
          } else {
            a = add_wrap(a, v);
          }
          break;
        case ReduceOp::kL2:
        case ReduceOp::kSumSquare: a = add_wrap(a, mul_wrap(v, v)); break;
        case ReduceOp::kLogSumExp: break;
      }
    });
    for (size_t i = 0; i < n_out; ++i) {
      const A a = acc[i];
      double d = static_cast<double>(a);
      switch (op_) {
        case ReduceOp::kMean:
          if constexpr (std::is_floating_point_v<C>) {
            py[i] = N::store(static_cast<C>(d / static_cast<double>(count)));
          } else {
            py[i] = N::store(static_cast<C>(count > 0 ? a / static_cast<A>(count) : 0));
          }
          continue;
        case ReduceOp::kL2: d = std::sqrt(d); break;
        case ReduceOp::kLogSum: d = std::log(d); break;
        default:
          py[i] = N::store(static_cast<C>(a));
          continue;
      }
      store_double(y.dtype(), d, &py[i]);
    }
  }

  ReduceOp op_;
  bool keepdims_;
  bool noop_;
  std::vector<int64_t> attr_axes_;
  bool axes_input_;
};

class ArgKernel : public OpKernel {
 public:
  ArgKernel(const KernelInit& init, bool is_max)
      : is_max_(is_max),
        axis_(init.attrs.get_int("axis", 0)),
        keepdims_(init.attrs.get_int("keepdims", 1) != 0),
        last_(init.attrs.get_int("select_last_index", 0) != 0) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    if (x.rank() == 0) fail(where + ": input must have rank >= 1");
    const size_t axis = static_cast<size_t>(norm_axis(axis_, x.rank(), where));
    const int64_t dim = x.shape()[axis];
    Shape out = x.shape();
    if (keepdims_) {
      out[axis] = 1;
    } else {
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(axis));
    }
    Tensor& y = ctx.alloc_output(0, DType::kInt64, out);
    if (y.numel() == 0) return;
    if (dim == 0) fail(where + ": cannot take the arg of an empty axis");
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= x.shape()[d];
    for (size_t d = axis + 1; d < x.shape().size(); ++d) inner *= x.shape()[d];
    const bool last = ctx.opset >= 12 && last_;
    int64_t* py = y.data<int64_t>();
    bool ok = dispatch_num(x.dtype(), [&](auto tag) {
      using N = Num<decltype(tag)>;
      using C = typename N::Compute;
      const auto* px = static_cast<const typename N::Storage*>(x.raw());
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t in = 0; in < inner; ++in) {
          const int64_t base = o * dim * inner + in;
          int64_t best = 0;
          C bv = N::load(px[base]);
          for (int64_t j = 1; j < dim; ++j) {
            const C v = N::load(px[base + j * inner]);
            if (is_nan_value(bv)) break;  // the first NaN wins, as in numpy
            bool better = is_nan_value(v) || (is_max_ ? v > bv : v < bv) || (last && v == bv);
            if (better) {
              best = j;
              bv = v;
            }
          }
          py[o * inner + in] = best;
        }
      }
    });
    if (!ok) fail_unsupported(where + ": input type " + dtype_name(x.dtype()) + " is not supported");
  }

 private:
  bool is_max_;
  int64_t axis_;
  bool keepdims_;
  bool last_;
};
}  // namespace

KernelFactory reduce_factory(ReduceOp op) {
  return [op](const KernelInit& init) -> std::unique_ptr<OpKernel> { return std::make_unique<ReduceKernel>(init, op); };
}

KernelFactory arg_factory(bool is_max) {
  return [is_max](const KernelInit& init) -> std::unique_ptr<OpKernel> {
    return std::make_unique<ArgKernel>(init, is_max);
  };
}

}  // namespace edge::rt::tensor_util
