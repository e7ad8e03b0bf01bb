// AffineGrid (opset 20): sampling grids from a batch of affine matrices. theta [N, 2, 3] and
// size (N, C, H, W) give grid [N, H, W, 2]; theta [N, 3, 4] and size (N, C, D, H, W) give
// [N, D, H, W, 3]. Each output holds theta[n] applied to the homogeneous position
// (x, y[, z], 1) of the base grid, whose coordinates run over [-1, 1]: pixel centres i of an
// axis of length L sit at -1 + 2i / (L - 1) with align_corners = 1, at (2i + 1) / L - 1
// without.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {

double base_coord(int64_t i, int64_t len, bool align_corners) {
  const double x = static_cast<double>(i), l = static_cast<double>(len);
  if (align_corners) return len == 1 ? -1.0 : -1.0 + 2.0 * x / (l - 1.0);
  return (2.0 * x + 1.0) / l - 1.0;
}

class AffineGridKernel : public OpKernel {
 public:
  explicit AffineGridKernel(const KernelInit& init) : align_(init.attrs.get_int("align_corners", 0) != 0) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& theta = ctx.input(0);
    if (nn_is_f16(theta)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    nn_require_float(ctx, theta);
    const std::vector<int64_t> size = tensor_util::read_ints(ctx.input(1), where, "size");
    if (size.size() != 4 && size.size() != 5) fail(where + ": size must hold 4 (2-D) or 5 (3-D) values");
    const int64_t dims = static_cast<int64_t>(size.size()) - 2;  // 2 or 3 spatial axes
    const int64_t N = size[0];
    if (theta.rank() != 3 || theta.dim(0) != N || theta.dim(1) != dims || theta.dim(2) != dims + 1) {
      fail(where + ": theta must be [" + std::to_string(N) + ", " + std::to_string(dims) + ", " +
           std::to_string(dims + 1) + "], got " + theta.describe());
    }
    Shape out{N};
    for (size_t i = 2; i < size.size(); ++i) {
      if (size[i] < 0) fail(where + ": negative size " + std::to_string(size[i]));
      out.push_back(size[i]);
    }
    out.push_back(dims);
    Tensor& y = ctx.alloc_output(0, theta.dtype(), out);
    if (y.numel() == 0) return;
    // Spatial lengths in (x, y, z) order: W, H[, D].
    const int64_t W = size.back(), H = size[size.size() - 2], D = dims == 3 ? size[2] : 1;
    auto run = [&](auto tag) {
      using T = decltype(tag);
      const T* pt = theta.data<T>();
      T* py = y.data<T>();
      for (int64_t n = 0; n < N; ++n) {
        const T* m = pt + n * dims * (dims + 1);
        for (int64_t d = 0; d < D; ++d) {
          for (int64_t h = 0; h < H; ++h) {
            for (int64_t w = 0; w < W; ++w) {
              const double pos[4] = {base_coord(w, W, align_), base_coord(h, H, align_),
                                     dims == 3 ? base_coord(d, D, align_) : 1.0, 1.0};
              for (int64_t r = 0; r < dims; ++r) {
                double acc = 0;
                for (int64_t c = 0; c < dims; ++c) acc += static_cast<double>(m[r * (dims + 1) + c]) * pos[c];
                acc += static_cast<double>(m[r * (dims + 1) + dims]);
                *py++ = static_cast<T>(acc);
              }
            }
          }
        }
      }
    };
    if (theta.dtype() == DType::kFloat) {
      run(float{});
    } else {
      run(double{});
    }
  }

 private:
  bool align_;
};

}  // namespace

void register_AffineGrid(KernelRegistry& r) {
  r.add({"", "AffineGrid", 20, kOpsetMax, float_types(), factory_of<AffineGridKernel>()});
}

}  // namespace edge::rt
