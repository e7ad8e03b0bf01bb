// TopK: the k largest (or smallest, largest=0) elements along `axis` and their int64
// indices, sorted; equal values keep the lower index first. k is an attribute in opset
// 1 and a 1-element int64 input from opset 10; largest/sorted appear in opset 11.
#include <algorithm>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class TopKKernel : public OpKernel {
 public:
  explicit TopKKernel(const KernelInit& init)
      : axis_(init.attrs.get_int("axis", -1)), k_attr_(init.attrs.get_int("k", -1)),
        largest_(init.attrs.get_int("largest", 1) != 0) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    if (x.rank() == 0) fail(where + ": input must have rank >= 1");
    const size_t axis = static_cast<size_t>(tensor_util::norm_axis(axis_, x.rank(), where));
    const int64_t k = ctx.opset >= 10 ? tensor_util::read_scalar_int(ctx.input(1), where, "k") : k_attr_;
    const int64_t dim = x.shape()[axis];
    if (k < 0 || k > dim) {
      fail(where + ": k = " + std::to_string(k) + " is out of range for an axis of size " + std::to_string(dim));
    }
    Shape os = x.shape();
    os[axis] = k;
    Tensor& vals = ctx.alloc_output(0, x.dtype(), os);
    Tensor& inds = ctx.alloc_output(1, DType::kInt64, os);
    if (vals.numel() == 0) return;
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= x.shape()[d];
    for (size_t d = axis + 1; d < x.shape().size(); ++d) inner *= x.shape()[d];
    const bool largest = ctx.opset >= 11 ? largest_ : true;
    bool ok = tensor_util::dispatch_num(x.dtype(), [&](auto tag) {
      using N = tensor_util::Num<decltype(tag)>;
      using C = typename N::Compute;
      using S = typename N::Storage;
      const S* px = static_cast<const S*>(x.raw());
      S* pv = static_cast<S*>(vals.raw());
      int64_t* pi = inds.data<int64_t>();
      std::vector<C> row(static_cast<size_t>(dim));
      std::vector<int64_t> order(static_cast<size_t>(dim));
      // A strict total order: NaN ranks above every number; ties go to the lower index.
      auto before = [&](int64_t a, int64_t b) {
        const C va = row[static_cast<size_t>(a)], vb = row[static_cast<size_t>(b)];
        const bool na = tensor_util::is_nan_value(va), nb = tensor_util::is_nan_value(vb);
        if (na != nb) return largest ? na : nb;
        if (!na && va != vb) return largest ? va > vb : va < vb;
        return a < b;
      };
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t in = 0; in < inner; ++in) {
          const int64_t base = o * dim * inner + in;
          for (int64_t i = 0; i < dim; ++i) {
            row[static_cast<size_t>(i)] = N::load(px[base + i * inner]);
            order[static_cast<size_t>(i)] = i;
          }
          std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
          const int64_t obase = o * k * inner + in;
          for (int64_t i = 0; i < k; ++i) {
            const int64_t src = order[static_cast<size_t>(i)];
            pv[obase + i * inner] = px[base + src * inner];
            pi[obase + i * inner] = src;
          }
        }
      }
    });
    if (!ok) fail_unsupported(where + ": input type " + dtype_name(x.dtype()) + " is not supported");
  }

 private:
  int64_t axis_;
  int64_t k_attr_;
  bool largest_;
};
}  // namespace

void register_TopK(KernelRegistry& r) {
  r.add({"", "TopK", 1, kOpsetMax, numeric_types(), factory_of<TopKKernel>()});
}

}  // namespace edge::rt
