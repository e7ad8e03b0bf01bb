#include "passes/distill/distill_augment.h"

#include <cmath>
#include <cstring>
#include <random>
#include <set>

namespace edge::pass::distill {
namespace {

// The H and W axes of a sample (without its batch dim), or {-1, -1} when it is not an image
// of at least 8x8.
std::pair<int, int> image_axes(const Tensor& t, data::Layout layout) {
  const int r = t.rank();
  const int h = layout == data::Layout::kNHWC ? r - 3 : r - 2;
  if (r < 2 || h < 0 || t.dim(h) < 8 || t.dim(h + 1) < 8) return {-1, -1};
  return {h, h + 1};
}

// `src` moved by (dy, dx) pixels, zero fill, mirrored left-right first when `flip`.
Tensor shifted(const Tensor& src, int h_axis, int64_t dy, int64_t dx, bool flip) {
  Tensor out(src.dtype(), src.shape());  // zero-filled
  const int64_t H = src.dim(h_axis), W = src.dim(h_axis + 1);
  int64_t inner = 1;  // elements per pixel (channels-last) and bytes per element
  for (int a = h_axis + 2; a < src.rank(); ++a) inner *= src.dim(a);
  const size_t px = static_cast<size_t>(inner) * dtype_size(src.dtype());
  const int64_t planes = src.numel() / (H * W * inner);
  const auto* s = static_cast<const uint8_t*>(src.raw());
  auto* d = static_cast<uint8_t*>(out.raw());
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t y = 0; y < H; ++y) {
      const int64_t sy = y - dy;
      if (sy < 0 || sy >= H) continue;
      for (int64_t x = 0; x < W; ++x) {
        int64_t sx = x - dx;
        if (sx < 0 || sx >= W) continue;
        if (flip) sx = W - 1 - sx;
        std::memcpy(d + static_cast<size_t>((p * H + y) * W + x) * px,
                    s + static_cast<size_t>((p * H + sy) * W + sx) * px, px);
      }
    }
  }
  return out;
}

template <typename T>
void mix_into(Tensor& a, const Tensor& b, double l) {
  T* x = a.data<T>();
  const T* y = b.data<T>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double v = l * static_cast<double>(x[i]) + (1 - l) * static_cast<double>(y[i]);
    x[i] = static_cast<T>(std::is_integral_v<T> ? std::nearbyint(v) : v);
  }
}

// a = l*a + (1-l)*b for the element types a dataset yields (.npy, images); false for others
// (left unmixed).
bool mix(Tensor& a, const Tensor& b, double l) {
  static const std::set<DType> kMixable = {DType::kFloat,  DType::kDouble, DType::kUint8, DType::kInt8,
                                           DType::kUint16, DType::kInt16,  DType::kInt32};
  if (a.dtype() != b.dtype() || a.shape() != b.shape() || !kMixable.count(a.dtype())) return false;
  return dispatch_numeric(a.dtype(), [&](auto tag) { mix_into<decltype(tag)>(a, b, l); });
}

}  // namespace

int64_t augment_training_set(TrainingSet& set, std::vector<int64_t>& train, const AugmentOptions& opts, uint64_t seed) {
  if (opts.copies <= 0 || train.empty()) return 0;
  std::mt19937_64 rng(seed ^ 0x61756720u);  // "aug "
  std::uniform_int_distribution<int64_t> pick(0, static_cast<int64_t>(train.size()) - 1);
  std::uniform_int_distribution<int64_t> offset(-opts.shift, opts.shift);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const bool mixup = opts.mixup && !set.labels;
  std::vector<int64_t> labels = set.labels ? set.labels->values() : std::vector<int64_t>{};
  const std::vector<int64_t> originals = train;
  int64_t added = 0;
  for (int k = 0; k < opts.copies; ++k) {
    const bool mixed = mixup && k % 2 == 1;
    for (int64_t i : originals) {
      std::vector<Tensor> sample;
      const auto& src = set.samples[static_cast<size_t>(i)];
      const int64_t partner = originals[static_cast<size_t>(pick(rng))];
      const int64_t dy = offset(rng), dx = offset(rng);
      const bool flip = opts.flip && unit(rng) < 0.5;
      const double l = unit(rng);
      for (size_t t = 0; t < src.size(); ++t) {
        const auto [h, w] = image_axes(src[t], opts.layout);
        (void)w;
        Tensor v = h >= 0 ? shifted(src[t], h, dy, dx, flip) : src[t].clone();
        if (mixed) mix(v, set.samples[static_cast<size_t>(partner)][t], l);
        sample.push_back(std::move(v));
      }
      set.samples.push_back(std::move(sample));
      if (set.labels) labels.push_back(set.labels->at(i));
      train.push_back(set.size() - 1);
      ++added;
    }
  }
  if (set.labels) set.labels = data::Labels(std::move(labels), set.labels->source());
  return added;
}

}  // namespace edge::pass::distill
