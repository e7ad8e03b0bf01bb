#include "ir/shape_infer_ops.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "ir/node_attrs.h"
#include "ir/status.h"
#include "ir/tensor_proto.h"

namespace edge {

namespace {

using Dim = onnx::TensorShapeProto::Dimension;
using Dims = std::vector<Dim>;

// Dims beyond this are not inferred (left unknown) or are errors: no overflow in the arithmetic
// below, and no dim a tensor could have anyway.
constexpr int64_t kMaxDim = int64_t{1} << 48;

// A dim from a double, unknown when it is not a sensible size.
int64_t dim_from_double(double v) { return v >= 0 && v < static_cast<double>(kMaxDim) ? static_cast<int64_t>(v) : -1; }

Dim dim_of(int64_t v) {
  Dim d;
  if (v >= 0) d.set_dim_value(v);
  return d;
}
int64_t value_of(const Dim& d) { return d.has_dim_value() ? d.dim_value() : -1; }

struct Rule {
  InferNode& n;
  std::string where;
  NodeAttrs attrs;

  explicit Rule(InferNode& node) : n(node), where(describe_node(node.node)), attrs(node.node) {}

  const onnx::TypeProto_Tensor* tensor(int i) const {
    if (i >= static_cast<int>(n.inputs.size()) || !n.inputs[static_cast<size_t>(i)]) return nullptr;
    const auto& t = *n.inputs[static_cast<size_t>(i)];
    return t.has_tensor_type() ? &t.tensor_type() : nullptr;
  }
  int32_t elem(int i) const {
    const auto* t = tensor(i);
    return t ? t->elem_type() : 0;
  }
  bool dims(int i, Dims* out) const {
    const auto* t = tensor(i);
    if (!t || !t->has_shape()) return false;
    out->assign(t->shape().dim().begin(), t->shape().dim().end());
    return true;
  }
  bool ints(int i, std::vector<int64_t>* out) const {
    if (i >= static_cast<int>(n.constants.size()) || !n.constants[static_cast<size_t>(i)]) return false;
    return constant_ints(*n.constants[static_cast<size_t>(i)], out);
  }
  bool has_input(int i) const { return i < n.node.input_size() && !n.node.input(i).empty(); }
  // Sets output k; `shape` nullptr leaves the shape unknown.
  void set(int k, int32_t elem_type, const Dims* shape) const {
    if (k >= static_cast<int>(n.outputs.size()) || elem_type == 0) return;
    auto* t = n.outputs[static_cast<size_t>(k)].mutable_tensor_type();
    t->set_elem_type(elem_type);
    if (!shape) return;
    auto* s = t->mutable_shape();
    for (const auto& d : *shape) *s->add_dim() = d;
  }
  int64_t axis(int64_t a, size_t rank) const {
    const auto r = static_cast<int64_t>(rank);
    if (a < -r || a >= r)
      fail(where + ": axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
    return a < 0 ? a + r : a;
  }
  [[noreturn]] void bad(const std::string& why) const { fail(where + ": " + why); }
};

void broadcast(Rule& r) {
  Dims a, b;
  const int32_t t = r.elem(0) ? r.elem(0) : r.elem(1);
  if (!r.dims(0, &a) || !r.dims(1, &b)) return r.set(0, t, nullptr);
  const size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const Dim* x = i + a.size() >= rank ? &a[i + a.size() - rank] : nullptr;
    const Dim* y = i + b.size() >= rank ? &b[i + b.size() - rank] : nullptr;
    if (!x || value_of(*x) == 1) {
      out[i] = y ? *y : dim_of(1);
    } else if (!y || value_of(*y) == 1) {
      out[i] = *x;
    } else if (value_of(*x) >= 0 && value_of(*y) >= 0) {
      if (value_of(*x) != value_of(*y)) {
        r.bad("cannot broadcast dims " + std::to_string(value_of(*x)) + " and " + std::to_string(value_of(*y)));
      }
      out[i] = *x;
    } else {
      out[i] = value_of(*x) >= 0 ? *x : *y;  // a fixed dim > 1 wins over a symbolic one
    }
  }
  r.set(0, t, &out);
}

void same_as_input(Rule& r) {
  Dims d;
  const bool known = r.dims(0, &d);
  r.set(0, r.elem(0), known ? &d : nullptr);
}

// Dims on `axes` (all when empty) replaced by `values`; values may be missing (unknown dims).
void replace_on_axes(Rule& r, Dims& d, const std::vector<int64_t>& axes, const std::vector<int64_t>* values) {
  std::vector<int64_t> ax = axes;
  if (ax.empty()) {
    for (size_t i = 0; i < d.size(); ++i) ax.push_back(static_cast<int64_t>(i));
  }
  if (values && values->size() != ax.size()) {
    r.bad("has " + std::to_string(values->size()) + " target sizes for " + std::to_string(ax.size()) + " axes");
  }
  for (size_t i = 0; i < ax.size(); ++i) {
    d[static_cast<size_t>(r.axis(ax[i], d.size()))] = dim_of(values ? (*values)[i] : -1);
  }
}

void center_crop_pad(Rule& r) {
  Dims d;
  if (!r.dims(0, &d)) return r.set(0, r.elem(0), nullptr);
  std::vector<int64_t> shape;
  const bool known = r.ints(1, &shape);
  replace_on_axes(r, d, r.attrs.get_ints("axes"), known ? &shape : nullptr);
  r.set(0, r.elem(0), &d);
}

void col2im(Rule& r) {
  Dims in;
  std::vector<int64_t> image, block;
  if (!r.dims(0, &in) || !r.ints(1, &image) || !r.ints(2, &block)) return r.set(0, r.elem(0), nullptr);
  if (in.size() != 3) r.bad("input must have rank 3");
  if (image.size() != block.size() || image.empty()) r.bad("image_shape and block_shape must have the same length");
  int64_t block_size = 1;
  for (int64_t b : block) {
    if (b <= 0 || b > kMaxDim / block_size) r.bad("block_shape values must be positive, their product below 2^48");
    block_size *= b;
  }
  Dims out{in[0], dim_of(-1)};
  if (value_of(in[1]) >= 0) {
    if (value_of(in[1]) % block_size) r.bad("input dim 1 is not a multiple of the block size");
    out[1] = dim_of(value_of(in[1]) / block_size);
  }
  for (int64_t v : image) out.push_back(dim_of(v));
  r.set(0, r.elem(0), &out);
}

// Output length of one spatial axis of a conv/pool window.
int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t dil, int64_t pb, int64_t pe, bool ceil_mode,
                   const std::string& auto_pad) {
  if (in < 0) return -1;
  if (in > kMaxDim || k > kMaxDim || s > kMaxDim || dil > kMaxDim / k || pb > kMaxDim || pe > kMaxDim) return -1;
  const int64_t span = (k - 1) * dil + 1;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") return (in + s - 1) / s;
  if (auto_pad == "VALID") return in < span ? 0 : (in - span) / s + 1;
  const int64_t room = in + pb + pe - span;
  if (room < 0) return 0;
  int64_t out = (ceil_mode ? (room + s - 1) / s : room / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + pb) --out;  // the last window would start in the end padding
  return out;
}

void spatial(Rule& r, Dims& out, const Dims& x, const std::vector<int64_t>& kernel) {
  const size_t n = kernel.size();
  if (x.size() != n + 2)
    r.bad("kernel_shape has " + std::to_string(n) + " dims for an input of rank " + std::to_string(x.size()));
  const auto strides = r.attrs.get_ints("strides", std::vector<int64_t>(n, 1));
  const auto dil = r.attrs.get_ints("dilations", std::vector<int64_t>(n, 1));
  const auto pads = r.attrs.get_ints("pads", std::vector<int64_t>(2 * n, 0));
  if (strides.size() != n || dil.size() != n || pads.size() != 2 * n)
    r.bad("strides, dilations or pads have the wrong length");
  const bool ceil_mode = r.attrs.get_int("ceil_mode", 0) != 0;
  const std::string auto_pad = r.attrs.get_string("auto_pad", "NOTSET");
  for (size_t i = 0; i < n; ++i) {
    if (kernel[i] <= 0 || strides[i] <= 0 || dil[i] <= 0) r.bad("kernel, strides and dilations must be positive");
    out.push_back(dim_of(
        window_out(value_of(x[i + 2]), kernel[i], strides[i], dil[i], pads[i], pads[i + n], ceil_mode, auto_pad)));
  }
}

void pool(Rule& r) {
  Dims x;
  if (!r.dims(0, &x)) return r.set(0, r.elem(0), nullptr);
  Dims out{x.at(0), x.size() > 1 ? x[1] : dim_of(-1)};
  spatial(r, out, x, r.attrs.get_ints("kernel_shape"));
  r.set(0, r.elem(0), &out);
}

void deform_conv(Rule& r) {
  Dims x, w;
  if (!r.dims(0, &x) || !r.dims(1, &w) || w.size() < 3) return r.set(0, r.elem(0), nullptr);
  std::vector<int64_t> kernel = r.attrs.get_ints("kernel_shape");
  if (kernel.empty()) {
    for (size_t i = 2; i < w.size(); ++i) {
      if (value_of(w[i]) < 0) return r.set(0, r.elem(0), nullptr);
      kernel.push_back(value_of(w[i]));
    }
  }
  Dims out{x.at(0), w[0]};
  spatial(r, out, x, kernel);
  r.set(0, r.elem(0), &out);
}

void pad(Rule& r) {
  Dims x;
  std::vector<int64_t> pads, axes;
  if (!r.dims(0, &x)) return r.set(0, r.elem(0), nullptr);
  const bool known_axes = !r.has_input(3) || r.ints(3, &axes);
  if (!r.ints(1, &pads) || !known_axes) {
    Dims unknown(x.size(), dim_of(-1));
    return r.set(0, r.elem(0), &unknown);
  }
  if (axes.empty()) {
    for (size_t i = 0; i < x.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  const size_t n = axes.size();
  if (pads.size() != 2 * n)
    r.bad("pads has " + std::to_string(pads.size()) + " values, expected " + std::to_string(2 * n));
  for (size_t i = 0; i < n; ++i) {
    Dim& d = x[static_cast<size_t>(r.axis(axes[i], x.size()))];
    if (value_of(d) < 0) {
      d = dim_of(-1);
      continue;
    }
    if (std::abs(pads[i]) > kMaxDim || std::abs(pads[i + n]) > kMaxDim) r.bad("pads are out of range");
    const int64_t v = value_of(d) + pads[i] + pads[i + n];
    if (v < 0) r.bad("pads crop an axis below zero");
    d = dim_of(v);
  }
  r.set(0, r.elem(0), &x);
}

void reduce(Rule& r) {
  Dims x;
  const bool keep = r.attrs.get_int("keepdims", 1) != 0;
  const bool noop = r.attrs.get_int("noop_with_empty_axes", 0) != 0;
  std::vector<int64_t> axes;
  const bool known_axes = !r.has_input(1) || r.ints(1, &axes);
  if (!r.dims(0, &x) || !known_axes) {
    if (!keep || !r.dims(0, &x)) return r.set(0, r.elem(0), nullptr);
    Dims unknown(x.size(), dim_of(-1));
    return r.set(0, r.elem(0), &unknown);
  }
  if (axes.empty()) {
    if (noop) return r.set(0, r.elem(0), &x);
    for (size_t i = 0; i < x.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  std::vector<bool> reduced(x.size(), false);
  for (int64_t a : axes) {
    if (x.empty()) continue;  // a scalar: axis 0/-1 names the scalar itself
    reduced[static_cast<size_t>(r.axis(a, x.size()))] = true;
  }
  Dims out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!reduced[i]) {
      out.push_back(x[i]);
    } else if (keep) {
      out.push_back(dim_of(1));
    }
  }
  r.set(0, r.elem(0), &out);
}

void resize(Rule& r) {
  Dims x;
  if (!r.dims(0, &x)) return r.set(0, r.elem(0), nullptr);
  std::vector<int64_t> axes = r.attrs.get_ints("axes");
  if (axes.empty()) {
    for (size_t i = 0; i < x.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  for (auto& a : axes) a = r.axis(a, x.size());
  std::vector<int64_t> sizes;
  const bool have_sizes = r.has_input(3) && r.ints(3, &sizes) && !sizes.empty();
  const onnx::TensorProto* scales_t = r.n.constants.size() > 2 ? r.n.constants[2] : nullptr;
  Dims out = x;
  bool known = true;
  if (have_sizes) {
    if (sizes.size() != axes.size())
      r.bad("sizes has " + std::to_string(sizes.size()) + " values for " + std::to_string(axes.size()) + " axes");
    const std::string policy = r.attrs.get_string("keep_aspect_ratio_policy", "stretch");
    if (policy == "stretch") {
      for (size_t i = 0; i < axes.size(); ++i) out[static_cast<size_t>(axes[i])] = dim_of(sizes[i]);
    } else {
      double scale = policy == "not_larger" ? 1e300 : 0;
      for (size_t i = 0; i < axes.size(); ++i) {
        const int64_t in = value_of(x[static_cast<size_t>(axes[i])]);
        if (in <= 0) known = false;
        const double s = in > 0 ? static_cast<double>(sizes[i]) / static_cast<double>(in) : 0;
        scale = policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
      }
      for (int64_t a : axes) {
        const int64_t in = value_of(x[static_cast<size_t>(a)]);
        out[static_cast<size_t>(a)] =
            dim_of(known ? dim_from_double(std::floor(scale * static_cast<double>(in) + 0.5)) : -1);
      }
    }
  } else if (scales_t && scales_t->data_type() == onnx::TensorProto::FLOAT && scales_t->dims_size() == 1 &&
             scales_t->dims(0) > 0) {
    Tensor s;
    try {
      s = tensor_from_proto(*scales_t, {}, r.where + " scales");
    } catch (const Error&) {
      return r.set(0, r.elem(0), nullptr);  // malformed: the checker or the kernel reports it
    }
    if (s.numel() != static_cast<int64_t>(axes.size())) r.bad("scales has the wrong length");
    for (size_t i = 0; i < axes.size(); ++i) {
      const int64_t in = value_of(x[static_cast<size_t>(axes[i])]);
      const double v = static_cast<double>(in) * static_cast<double>(s.data<float>()[i]);
      out[static_cast<size_t>(axes[i])] = dim_of(in >= 0 ? dim_from_double(std::floor(v)) : -1);
    }
  } else {
    for (int64_t a : axes) out[static_cast<size_t>(a)] = dim_of(-1);
  }
  r.set(0, r.elem(0), &out);
}

void split(Rule& r) {
  Dims x;
  const int n_out = r.n.node.output_size();
  if (r.attrs.has("num_outputs") && r.attrs.get_int("num_outputs", 0) != n_out) {
    r.bad("num_outputs is " + std::to_string(r.attrs.get_int("num_outputs", 0)) + " but the node has " +
          std::to_string(n_out) + " outputs");
  }
  if (!r.dims(0, &x)) {
    for (int k = 0; k < n_out; ++k) r.set(k, r.elem(0), nullptr);
    return;
  }
  const auto a = static_cast<size_t>(r.axis(r.attrs.get_int("axis", 0), x.size()));
  const int64_t len = value_of(x[a]) <= kMaxDim ? value_of(x[a]) : -1;
  std::vector<int64_t> sizes;
  if (r.has_input(1)) {
    if (!r.ints(1, &sizes)) sizes.assign(static_cast<size_t>(n_out), -1);
  } else if (len >= 0) {
    const int64_t chunk = (len + n_out - 1) / n_out;  // the last chunk may be smaller (opset 18)
    for (int k = 0; k < n_out; ++k) sizes.push_back(std::max<int64_t>(0, std::min(chunk, len - chunk * k)));
  } else {
    sizes.assign(static_cast<size_t>(n_out), -1);
  }
  if (static_cast<int>(sizes.size()) != n_out)
    r.bad("split has " + std::to_string(sizes.size()) + " sizes for " + std::to_string(n_out) + " outputs");
  for (int k = 0; k < n_out; ++k) {
    Dims d = x;
    d[a] = dim_of(sizes[static_cast<size_t>(k)]);
    r.set(k, r.elem(0), &d);
  }
}

void quantize_linear(Rule& r) {
  Dims x;
  int32_t t = r.has_input(2) ? r.elem(2) : static_cast<int32_t>(r.attrs.get_int("output_dtype", 0));
  if (t == 0 && !r.has_input(2)) t = onnx::TensorProto::UINT8;
  const bool known = r.dims(0, &x);
  r.set(0, t, known ? &x : nullptr);
}

void dequantize_linear(Rule& r) {
  Dims x;
  const bool known = r.dims(0, &x);
  r.set(0, r.elem(1), known ? &x : nullptr);
}

void affine_grid(Rule& r) {
  std::vector<int64_t> size;
  Dims theta;
  if (r.ints(1, &size)) {
    if (size.size() != 4 && size.size() != 5) r.bad("size must hold 4 (2-D) or 5 (3-D) values");
    Dims out{dim_of(size[0])};
    for (size_t i = 2; i < size.size(); ++i) out.push_back(dim_of(size[i]));
    out.push_back(dim_of(static_cast<int64_t>(size.size()) - 2));
    return r.set(0, r.elem(0), &out);
  }
  r.set(0, r.elem(0), nullptr);
}

}  // namespace

bool constant_ints(const onnx::TensorProto& t, std::vector<int64_t>* out) {
  if (t.data_type() != onnx::TensorProto::INT64 && t.data_type() != onnx::TensorProto::INT32) return false;
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || d > (1 << 16)) return false;
    n *= d;
    if (n > (1 << 16)) return false;
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return false;
  try {
    const Tensor v = tensor_from_proto(t, {}, "constant '" + t.name() + "'");
    out->clear();
    for (int64_t i = 0; i < v.numel(); ++i) out->push_back(v.get_int64(i));
  } catch (const Error&) {
    return false;  // a malformed constant: left to the checker and the kernel to report
  }
  return true;
}

void infer_node_types(OpInfer rule, InferNode& n) {
  n.outputs.assign(static_cast<size_t>(n.node.output_size()), onnx::TypeProto());
  Rule r(n);
  switch (rule) {
    case OpInfer::kNone:
      return;
    case OpInfer::kBroadcast:
      return broadcast(r);
    case OpInfer::kSameAsInput:
      return same_as_input(r);
    case OpInfer::kCenterCropPad:
      return center_crop_pad(r);
    case OpInfer::kCol2Im:
      return col2im(r);
    case OpInfer::kPool:
      return pool(r);
    case OpInfer::kPad:
      return pad(r);
    case OpInfer::kReduce:
      return reduce(r);
    case OpInfer::kResize:
      return resize(r);
    case OpInfer::kSplit:
      return split(r);
    case OpInfer::kDeformConv:
      return deform_conv(r);
    case OpInfer::kQuantizeLinear:
      return quantize_linear(r);
    case OpInfer::kDequantizeLinear:
      return dequantize_linear(r);
    case OpInfer::kAffineGrid:
      return affine_grid(r);
  }
}

}  // namespace edge
