// Helpers shared by the nn kernels (see nn_util.h).
#include "runtime/kernels/reference/nn_util.h"

#include <algorithm>

namespace edge::rt {

NnSpatialAttrs NnSpatialAttrs::parse(const KernelInit& init) {
  NnSpatialAttrs a;
  a.kernel = init.attrs.get_ints("kernel_shape");
  a.strides = init.attrs.get_ints("strides");
  a.dilations = init.attrs.get_ints("dilations");
  a.pads = init.attrs.get_ints("pads");
  a.auto_pad = init.attrs.get_string("auto_pad", "NOTSET");
  a.ceil_mode = init.attrs.get_int("ceil_mode", 0) != 0;
  if (a.auto_pad.empty()) a.auto_pad = "NOTSET";
  if (a.auto_pad != "NOTSET" && a.auto_pad != "SAME_UPPER" && a.auto_pad != "SAME_LOWER" && a.auto_pad != "VALID") {
    fail(init.where() + ": unknown auto_pad '" + a.auto_pad + "'");
  }
  for (int64_t k : a.kernel)
    if (k <= 0) fail(init.where() + ": kernel_shape values must be positive");
  for (int64_t s : a.strides)
    if (s <= 0) fail(init.where() + ": strides must be positive");
  for (int64_t d : a.dilations)
    if (d <= 0) fail(init.where() + ": dilations must be positive");
  for (int64_t p : a.pads)
    if (p < 0) fail(init.where() + ": pads must not be negative");
  if (a.pads.size() % 2 != 0) fail(init.where() + ": pads must have an even number of values");
  return a;
}

int64_t NnSpatial::out_numel() const {
  int64_t n = 1;
  for (int64_t v : out) n *= v;
  return n;
}
int64_t NnSpatial::in_numel() const {
  int64_t n = 1;
  for (int64_t v : in) n *= v;
  return n;
}
int64_t NnSpatial::kernel_numel() const {
  int64_t n = 1;
  for (int64_t v : kernel) n *= v;
  return n;
}

NnSpatial nn_resolve_spatial(const std::string& where, const NnSpatialAttrs& a, const Shape& in,
                             const Shape& kernel) {
  const size_t r = in.size();
  NnSpatial s;
  s.in = in;
  s.kernel = kernel.empty() ? Shape(a.kernel) : kernel;
  if (s.kernel.size() != r) {
    fail(where + ": kernel_shape has " + std::to_string(s.kernel.size()) + " values for " + std::to_string(r) +
         " spatial dims");
  }
  auto sized = [&](const std::vector<int64_t>& v, const char* name) {
    if (v.empty()) return Shape(r, 1);
    if (v.size() != r) fail(where + ": " + name + " has " + std::to_string(v.size()) + " values, expected " + std::to_string(r));
    return Shape(v);
  };
  s.stride = sized(a.strides, "strides");
  s.dil = sized(a.dilations, "dilations");
  if (!a.pads.empty() && a.pads.size() != 2 * r) {
    fail(where + ": pads has " + std::to_string(a.pads.size()) + " values, expected " + std::to_string(2 * r));
  }
  s.pad_begin.assign(r, 0);
  s.pad_end.assign(r, 0);
  s.out.assign(r, 0);
  for (size_t i = 0; i < r; ++i) {
    if (s.kernel[i] <= 0) fail(where + ": kernel dims must be positive");
    if (in[i] < 0) fail(where + ": negative input dim");
    const int64_t eff = (s.kernel[i] - 1) * s.dil[i] + 1;
    if (a.auto_pad == "SAME_UPPER" || a.auto_pad == "SAME_LOWER") {
      s.out[i] = (in[i] + s.stride[i] - 1) / s.stride[i];
      int64_t total = std::max<int64_t>(0, (s.out[i] - 1) * s.stride[i] + eff - in[i]);
      int64_t small = total / 2;
      s.pad_begin[i] = a.auto_pad == "SAME_UPPER" ? small : total - small;
      s.pad_end[i] = total - s.pad_begin[i];
      continue;
    }
    if (a.auto_pad == "NOTSET" && !a.pads.empty()) {
      s.pad_begin[i] = a.pads[i];
      s.pad_end[i] = a.pads[i + r];
    }
    const int64_t span = in[i] + s.pad_begin[i] + s.pad_end[i] - eff;
    if (span < 0) {
      fail(where + ": kernel extent " + std::to_string(eff) + " is larger than the padded input (" +
           std::to_string(in[i] + s.pad_begin[i] + s.pad_end[i]) + ")");
    }
    s.out[i] = (a.ceil_mode ? (span + s.stride[i] - 1) / s.stride[i] : span / s.stride[i]) + 1;
    // ceil_mode: a last window that would start in the end padding is dropped (as PyTorch
    // and ONNX Runtime do), so every window overlaps the input or its begin padding.
    if (a.ceil_mode && s.out[i] > 1 && (s.out[i] - 1) * s.stride[i] >= in[i] + s.pad_begin[i]) --s.out[i];
  }
  return s;
}

NnPoolPlan nn_pool_plan(const NnSpatial& g) {
  const int R = g.rank();
  const size_t ur = static_cast<size_t>(R);
  NnPoolPlan p;
  const int64_t on = g.out_numel();
  p.start.reserve(static_cast<size_t>(on + 1));
  p.padded_count.reserve(static_cast<size_t>(on));
  p.start.push_back(0);
  std::vector<int64_t> oidx(ur, 0);
  std::vector<std::vector<int64_t>> coords(ur);  // valid input coordinates per dim
  for (int64_t o = 0; o < on; ++o) {
    int64_t padded = 1;
    bool empty = false;
    for (size_t d = 0; d < ur; ++d) {
      coords[d].clear();
      int64_t cnt = 0;
      for (int64_t k = 0; k < g.kernel[d]; ++k) {
        int64_t ic = oidx[d] * g.stride[d] - g.pad_begin[d] + k * g.dil[d];
        if (ic >= -g.pad_begin[d] && ic < g.in[d] + g.pad_end[d]) ++cnt;
        if (ic >= 0 && ic < g.in[d]) coords[d].push_back(ic);
      }
      padded *= cnt;
      empty = empty || coords[d].empty();
    }
    p.padded_count.push_back(padded);
    if (!empty) {
      std::vector<size_t> kidx(ur, 0);
      for (;;) {
        int64_t off = 0;
        for (size_t d = 0; d < ur; ++d) off = off * g.in[d] + coords[d][kidx[d]];
        p.offs.push_back(off);
        size_t d = ur;
        while (d-- > 0) {
          if (++kidx[d] < coords[d].size()) break;
          kidx[d] = 0;
        }
        if (d == static_cast<size_t>(-1)) break;
      }
    }
    p.start.push_back(static_cast<int64_t>(p.offs.size()));
    for (size_t d = ur; d-- > 0;) {
      if (++oidx[d] < g.out[d]) break;
      oidx[d] = 0;
    }
  }
  return p;
}

namespace {
Tensor convert(const Tensor& t, DType to) {
  Tensor out(to, t.shape());
  const int64_t n = t.numel();
  if (to == DType::kFloat) {
    const auto* s = static_cast<const uint16_t*>(t.raw());
    float* d = out.data<float>();
    for (int64_t i = 0; i < n; ++i) d[i] = half_to_float(s[i]);
  } else {
    const float* s = t.data<float>();
    auto* d = static_cast<uint16_t*>(out.raw());
    for (int64_t i = 0; i < n; ++i) d[i] = float_to_half(s[i]);
  }
  return out;
}
}  // namespace

void nn_run_f16_as_f32(KernelContext& ctx, const std::function<void(KernelContext&)>& body,
                       const std::vector<int>& keep_f32) {
  KernelContext c = ctx;
  c.storage = nullptr;  // float32 temporaries come from the heap; the outputs are converted copies
  std::vector<Tensor> converted(ctx.inputs.size());
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (ctx.inputs[i] && ctx.inputs[i]->dtype() == DType::kFloat16) {
      converted[i] = convert(*ctx.inputs[i], DType::kFloat);
      c.inputs[i] = &converted[i];
    }
  }
  body(c);
  for (size_t o = 0; o < c.outputs.size(); ++o) {
    Tensor& t = c.outputs[o];
    bool keep = std::find(keep_f32.begin(), keep_f32.end(), static_cast<int>(o)) != keep_f32.end();
    ctx.outputs[o] = (t.defined() && t.dtype() == DType::kFloat && !keep) ? convert(t, DType::kFloat16) : t;
  }
}

void nn_parallel_for(const KernelContext& ctx, int64_t n, int64_t cost_per_item,
                     RangeFn fn) {
  if (n <= 0) return;
  if (n == 1 || static_cast<double>(n) * static_cast<double>(std::max<int64_t>(cost_per_item, 1)) < 32768.0) {
    fn(0, n);
    return;
  }
  ctx.parallel_for(n, fn);
}

void nn_require_float(const KernelContext& ctx, const Tensor& t) {
  if (t.dtype() != DType::kFloat && t.dtype() != DType::kDouble) {
    fail_unsupported(ctx.where() + ": input type " + dtype_name(t.dtype()) + " is not supported");
  }
}

Tensor* nn_pool_output(KernelContext& ctx, const Tensor& x, const NnSpatialAttrs& attrs, NnSpatial* g) {
  nn_require_float(ctx, x);
  if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
  *g = nn_resolve_spatial(ctx.where(), attrs, Shape(x.shape().begin() + 2, x.shape().end()), {});
  Shape out{x.dim(0), x.dim(1)};
  out.insert(out.end(), g->out.begin(), g->out.end());
  Tensor& y = ctx.alloc_output(0, x.dtype(), out);
  return y.numel() == 0 ? nullptr : &y;
}

void nn_check_conv_inputs(const KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* b) {
  nn_require_float(ctx, x);
  if (w.dtype() != x.dtype() || (b && b->dtype() != x.dtype())) fail(ctx.where() + ": input types differ");
  if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
  if (w.rank() != x.rank()) fail(ctx.where() + ": W " + w.describe() + " does not match X " + x.describe());
}

}  // namespace edge::rt
