// NonMaxSuppression: per batch and class, greedily selects boxes in decreasing score order,
// dropping boxes whose IoU with a selected box exceeds iou_threshold and boxes whose score
// is not above score_threshold; at most max_output_boxes_per_class per class.
// Output: int64 [num_selected, 3] rows of (batch_index, class_index, box_index).
#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_util.h"

namespace edge::rt {
namespace {

struct Box {
  double y1, x1, y2, x2;  // normalized so that y1 <= y2, x1 <= x2
  double area() const { return (y2 - y1) * (x2 - x1); }
};

bool suppresses(const Box& a, const Box& b, double iou_threshold) {
  const double aa = a.area(), ab = b.area();
  if (aa <= 0 || ab <= 0) return false;
  const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0 || iw <= 0) return false;
  const double inter = ih * iw;
  const double uni = aa + ab - inter;
  if (uni <= 0) return false;
  return inter / uni > iou_threshold;
}

class NmsKernel : public OpKernel {
 public:
  explicit NmsKernel(const KernelInit& init) : center_(init.attrs.get_int("center_point_box", 0)) {
    if (center_ != 0 && center_ != 1) {
      fail(init.where() + ": center_point_box must be 0 or 1, got " + std::to_string(center_));
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& boxes_t = ctx.input(0);
    const Tensor& scores_t = ctx.input(1);
    if (!ctl_is_float(boxes_t.dtype()) || !ctl_is_float(scores_t.dtype())) {
      fail(ctx.where() + ": boxes and scores must be float tensors");
    }
    if (boxes_t.rank() != 3 || boxes_t.dim(2) != 4) {
      fail(ctx.where() + ": boxes must have shape [batches, boxes, 4], got " + boxes_t.describe());
    }
    if (scores_t.rank() != 3) fail(ctx.where() + ": scores must have rank 3, got " + scores_t.describe());
    const int64_t batches = boxes_t.dim(0), nboxes = boxes_t.dim(1), classes = scores_t.dim(1);
    if (scores_t.dim(0) != batches || scores_t.dim(2) != nboxes) {
      fail(ctx.where() + ": scores " + scores_t.describe() + " do not match boxes " + boxes_t.describe());
    }
    int64_t max_out = 0;
    if (ctx.has_input(2)) {
      const Tensor& m = ctx.input(2);
      if (m.numel() != 1) fail(ctx.where() + ": max_output_boxes_per_class must hold one value");
      max_out = std::max<int64_t>(0, m.get_int64(0));
    }
    double iou_threshold = 0;
    if (ctx.has_input(3)) {
      if (ctx.input(3).numel() != 1) fail(ctx.where() + ": iou_threshold must hold one value");
      iou_threshold = ctx.input(3).get_double(0);
      if (iou_threshold < 0 || iou_threshold > 1) {
        fail(ctx.where() + ": iou_threshold must be in [0, 1], got " + std::to_string(iou_threshold));
      }
    }
    const bool has_score_threshold = ctx.has_input(4);
    double score_threshold = 0;
    if (has_score_threshold) {
      if (ctx.input(4).numel() != 1) fail(ctx.where() + ": score_threshold must hold one value");
      score_threshold = ctx.input(4).get_double(0);
    }
    const std::vector<double> bv = ctl_read_doubles(boxes_t);
    const std::vector<double> sv = ctl_read_doubles(scores_t);
    std::vector<Box> boxes(static_cast<size_t>(batches * nboxes));
    for (size_t i = 0; i < boxes.size(); ++i) {
      const double* p = bv.data() + i * 4;
      Box& b = boxes[i];
      if (center_ == 1) {
        b = {p[1] - p[3] / 2, p[0] - p[2] / 2, p[1] + p[3] / 2, p[0] + p[2] / 2};
      } else {
        b = {std::min(p[0], p[2]), std::min(p[1], p[3]), std::max(p[0], p[2]), std::max(p[1], p[3])};
      }
    }
    std::vector<int64_t> selected;  // triples
    std::vector<int64_t> order, picked;
    for (int64_t b = 0; b < batches && max_out > 0; ++b) {
      for (int64_t c = 0; c < classes; ++c) {
        const double* sc = sv.data() + (b * classes + c) * nboxes;
        order.clear();
        for (int64_t i = 0; i < nboxes; ++i) {
          if (std::isnan(sc[i])) continue;
          if (!has_score_threshold || sc[i] > score_threshold) order.push_back(i);
        }
        std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return sc[i] > sc[j]; });
        picked.clear();
        for (int64_t i : order) {
          if (static_cast<int64_t>(picked.size()) >= max_out) break;
          const Box& cand = boxes[static_cast<size_t>(b * nboxes + i)];
          bool keep = true;
          for (int64_t k : picked) {
            if (suppresses(boxes[static_cast<size_t>(b * nboxes + k)], cand, iou_threshold)) {
              keep = false;
              break;
            }
          }
          if (!keep) continue;
          picked.push_back(i);
          selected.insert(selected.end(), {b, c, i});
        }
      }
    }
    const auto n = static_cast<int64_t>(selected.size() / 3);
    Tensor& out = ctx.alloc_output(0, DType::kInt64, {n, 3});
    std::copy(selected.begin(), selected.end(), out.data<int64_t>());
  }

 private:
  int64_t center_;
};

}  // namespace

void register_NonMaxSuppression(KernelRegistry& r) {
  r.add({"", "NonMaxSuppression", 10, kOpsetMax, float_types(), factory_of<NmsKernel>()});
}

}  // namespace edge::rt
