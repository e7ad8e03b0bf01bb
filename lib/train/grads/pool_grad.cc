// Backward of the pools, over the same window plan as the runtime's forward kernels
// (rt::nn_pool_plan: the input positions of every output window, padding left out):
//   MaxPool           dX[argmax of window o] += dY[o]; the argmax is the first maximum in
//                     window order, the element the forward kernel picked. Indices (output 1)
//                     carries no gradient.
//   AveragePool       dX[i] += dY[o] / count(o) for every i in window o; count includes the
//                     padding positions with count_include_pad=1.
//   GlobalAveragePool dX = dY / (spatial size), broadcast over each (n, c) plane.
//   GlobalMaxPool     dX[first maximum of the plane] = dY.
#include <string>

#include "ir/status.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"
#include "train/grads/spatial_grad_util.h"

namespace edge::train {
namespace {

struct PoolSweep {
  rt::NnSpatial geom;
  rt::NnPoolPlan plan;
  int64_t planes = 0;  // N * C
};

PoolSweep pool_sweep(const GradContext& ctx, const Tensor& x, const Tensor& dy) {
  if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
  PoolSweep s;
  s.geom = resolve_window(ctx, Shape(x.shape().begin() + 2, x.shape().end()), {});
  Shape out{x.dim(0), x.dim(1)};
  out.insert(out.end(), s.geom.out.begin(), s.geom.out.end());
  if (dy.shape() != out) fail_internal(ctx.where() + ": output gradient " + dy.describe() + " does not match the window sweep");
  s.plan = rt::nn_pool_plan(s.geom);
  s.planes = x.dim(0) * x.dim(1);
  return s;
}

void max_pool_grad(GradContext& ctx) {
  const Tensor x = as_float(ctx.input(0));
  const Tensor dy = as_float(ctx.output_grad_or_zero(0));
  const PoolSweep s = pool_sweep(ctx, x, dy);
  const int64_t on = s.geom.out_numel(), in_n = s.geom.in_numel();
  float* dx = ctx.grad(0).data<float>();
  const float* px = x.data<float>();
  const float* g = dy.data<float>();
  const auto& start = s.plan.start;
  const auto& offs = s.plan.offs;
  for (int64_t p = 0; p < s.planes; ++p) {
    const float* xp = px + p * in_n;
    float* dxp = dx + p * in_n;
    const float* gp = g + p * on;
    for (int64_t o = 0; o < on; ++o) {
      const int64_t b = start[static_cast<size_t>(o)], e = start[static_cast<size_t>(o) + 1];
      if (b == e) continue;
      int64_t arg = offs[static_cast<size_t>(b)];
      for (int64_t i = b + 1; i < e; ++i) {
        const int64_t off = offs[static_cast<size_t>(i)];
        if (xp[off] > xp[arg]) arg = off;
      }
      dxp[arg] += gp[o];
    }
  }
}

void average_pool_grad(GradContext& ctx) {
  const Tensor x = as_float(ctx.input(0));
  const Tensor dy = as_float(*ctx.output_grad(0));
  const bool include_pad = ctx.attrs->get_int("count_include_pad", 0) != 0;
  const PoolSweep s = pool_sweep(ctx, x, dy);
  const int64_t on = s.geom.out_numel(), in_n = s.geom.in_numel();
  float* dx = ctx.grad(0).data<float>();
  const float* g = dy.data<float>();
  const auto& start = s.plan.start;
  const auto& offs = s.plan.offs;
  for (int64_t p = 0; p < s.planes; ++p) {
    float* dxp = dx + p * in_n;
    const float* gp = g + p * on;
    for (int64_t o = 0; o < on; ++o) {
      const size_t uo = static_cast<size_t>(o);
      const int64_t cnt = include_pad ? s.plan.padded_count[uo] : start[uo + 1] - start[uo];
      if (cnt <= 0) continue;
      const float share = gp[o] / static_cast<float>(cnt);
      for (int64_t i = start[uo]; i < start[uo + 1]; ++i) dxp[offs[static_cast<size_t>(i)]] += share;
    }
  }
}

// (N*C planes, plane size) of a global pool's X, checking dY's [N, C, 1, ...] shape.
std::pair<int64_t, int64_t> global_planes(const GradContext& ctx, const Tensor& x, const Tensor& dy) {
  if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
  const int64_t planes = x.dim(0) * x.dim(1);
  if (dy.numel() != planes) fail_internal(ctx.where() + ": output gradient " + dy.describe() + " does not match X");
  return {planes, planes == 0 ? 0 : x.numel() / planes};
}

void global_average_pool_grad(GradContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor dy = as_float(*ctx.output_grad(0));
  const auto [planes, sp] = global_planes(ctx, x, dy);
  float* dx = ctx.grad(0).data<float>();
  const float* g = dy.data<float>();
  for (int64_t p = 0; p < planes; ++p) {
    const float v = g[p] / static_cast<float>(sp);
    std::fill(dx + p * sp, dx + (p + 1) * sp, v);
  }
}

void global_max_pool_grad(GradContext& ctx) {
  const Tensor x = as_float(ctx.input(0));
  const Tensor dy = as_float(*ctx.output_grad(0));
  const auto [planes, sp] = global_planes(ctx, x, dy);
  float* dx = ctx.grad(0).data<float>();
  const float* px = x.data<float>();
  const float* g = dy.data<float>();
  for (int64_t p = 0; p < planes && sp > 0; ++p) {
    const float* xp = px + p * sp;
    int64_t arg = 0;
    for (int64_t i = 1; i < sp; ++i) {
      if (xp[i] > xp[arg]) arg = i;
    }
    dx[p * sp + arg] = g[p];
  }
}

}  // namespace

void register_pool_grads(GradRegistry& r) {
  r.add({"", "MaxPool", max_pool_grad, {0}, false});
  r.add({"", "AveragePool", average_pool_grad, {0}, false});
  r.add({"", "GlobalAveragePool", global_average_pool_grad, {0}, false});
  r.add({"", "GlobalMaxPool", global_max_pool_grad, {0}, false});
}

}  // namespace edge::train
