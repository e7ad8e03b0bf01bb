// Col2Im (opset 18): the inverse of im2col. Input [N, C * prod(block_shape), L] holds, for each of
// the L sliding-block positions over the (padded, dilated) image, the C x block values; every value
// is added to its image position, so overlapping blocks sum. Output [N, C, image_shape...].
// Positions that fall in the padding are dropped.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {

class Col2ImKernel : public OpKernel {
 public:
  explicit Col2ImKernel(const KernelInit& init)
      : strides_(init.attrs.get_ints("strides")),
        dilations_(init.attrs.get_ints("dilations")),
        pads_(init.attrs.get_ints("pads")) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    nn_require_float(ctx, x);
    const std::vector<int64_t> image = tensor_util::read_ints(ctx.input(1), where, "image_shape");
    const std::vector<int64_t> block = tensor_util::read_ints(ctx.input(2), where, "block_shape");
    const size_t n = image.size();
    if (x.rank() != 3) fail(where + ": input must have rank 3, got " + x.describe());
    if (n == 0 || block.size() != n) fail(where + ": image_shape and block_shape must have the same, non-zero length");
    auto per_axis = [&](const std::vector<int64_t>& v, size_t len, int64_t def, const char* what) {
      if (v.empty()) return std::vector<int64_t>(len, def);
      if (v.size() != len) fail(where + ": " + what + " must have " + std::to_string(len) + " values");
      return v;
    };
    const auto strides = per_axis(strides_, n, 1, "strides");
    const auto dil = per_axis(dilations_, n, 1, "dilations");
    const auto pads = per_axis(pads_, 2 * n, 0, "pads");
    int64_t block_size = 1, blocks = 1;
    std::vector<int64_t> count(n);  // block positions per axis
    for (size_t i = 0; i < n; ++i) {
      if (image[i] < 0 || block[i] <= 0 || strides[i] <= 0 || dil[i] <= 0 || pads[i] < 0 || pads[i + n] < 0) {
        fail(where +
             ": image_shape, block_shape, strides, dilations and pads "
             "must be positive (pads >= 0)");
      }
      block_size *= block[i];
      const int64_t span = dil[i] * (block[i] - 1) + 1, room = image[i] + pads[i] + pads[i + n] - span;
      count[i] = room < 0 ? 0 : room / strides[i] + 1;
      blocks *= count[i];
    }
    if (x.dim(1) % block_size != 0) {
      fail(where + ": input dim 1 (" + std::to_string(x.dim(1)) + ") is not a multiple of the block size " +
           std::to_string(block_size));
    }
    if (x.dim(2) != blocks) {
      fail(where + ": input has " + std::to_string(x.dim(2)) + " blocks, the image and block shapes give " +
           std::to_string(blocks));
    }
    const int64_t N = x.dim(0), C = x.dim(1) / block_size;
    Shape out{N, C};
    int64_t image_size = 1;
    for (int64_t v : image) {
      out.push_back(v);
      image_size *= v;
    }
    Tensor& y = ctx.alloc_output_zeroed(0, x.dtype(), out);
    if (y.numel() == 0 || x.numel() == 0) return;
    const std::vector<int64_t> img_strides = tensor_util::strides_of(Shape(image.begin(), image.end()));
    auto run = [&](auto tag) {
      using T = decltype(tag);
      const T* px = x.data<T>();
      T* py = y.data<T>();
      std::vector<int64_t> k(n), b(n);
      for (int64_t nc = 0; nc < N * C; ++nc) {
        T* img = py + nc * image_size;
        for (int64_t kb = 0; kb < block_size; ++kb) {  // position inside the block
          for (int64_t rem = kb, i = static_cast<int64_t>(n) - 1; i >= 0; --i) {
            k[static_cast<size_t>(i)] = rem % block[static_cast<size_t>(i)];
            rem /= block[static_cast<size_t>(i)];
          }
          const T* row = px + (nc * block_size + kb) * blocks;
          for (int64_t l = 0; l < blocks; ++l) {  // block position
            int64_t off = 0;
            bool inside = true;
            for (int64_t rem = l, i = static_cast<int64_t>(n) - 1; i >= 0; --i) {
              const auto u = static_cast<size_t>(i);
              b[u] = rem % count[u];
              rem /= count[u];
              const int64_t pos = b[u] * strides[u] - pads[u] + k[u] * dil[u];
              inside = inside && pos >= 0 && pos < image[u];
              off += pos * img_strides[u];
            }
            if (inside) img[off] += row[l];
          }
        }
      }
    };
    if (x.dtype() == DType::kFloat) {
      run(float{});
    } else {
      run(double{});
    }
  }

 private:
  std::vector<int64_t> strides_, dilations_, pads_;
};

}  // namespace

void register_Col2Im(KernelRegistry& r) {
  r.add({"", "Col2Im", 18, kOpsetMax, float_types(), factory_of<Col2ImKernel>()});
}

}  // namespace edge::rt
