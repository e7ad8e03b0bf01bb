// Reading QDQ parameters for the fusion (see qdq_params.h).
#include "runtime/qdq_params.h"

#include <cmath>
#include <limits>
#include <vector>

#include "ir/node_attrs.h"
#include "ir/tensor_proto.h"
#include "runtime/graph_fusion.h"

namespace edge::rt::qdq {

std::optional<Tensor> constant(const GraphIndex& idx, const std::string& name) {
  if (name.empty() || idx.is_graph_input(name)) return std::nullopt;
  const onnx::TensorProto* t = idx.initializer(name);
  if (!t) return std::nullopt;
  try {
    return tensor_from_proto(*t, {}, "initializer '" + name + "'");
  } catch (const Error&) {
    return std::nullopt;  // an unsupported element type: not fused, the kernels will say why
  }
}

float QParams::s(int64_t c) const { return scale.data<float>()[scale.numel() == 1 ? 0 : c]; }

int32_t QParams::z(int64_t c) const {
  if (!zp.defined()) return 0;
  return static_cast<int32_t>(zp.get_int64(zp.numel() == 1 ? 0 : c));
}

bool QParams::same_as(const QParams& o) const {
  return type == o.type && per_tensor() && o.per_tensor() && s() == o.s() && z() == o.z();
}

bool read_qparams(const GraphIndex& idx, const onnx::NodeProto& n, bool is_q, int rank, QParams* out) {
  if (n.input_size() < 2 || n.output_size() < 1) return false;
  const NodeAttrs a(n);
  if (a.get_int("block_size", 0) != 0) return false;
  QParams p;
  p.node = &n;
  p.value = n.input(0);
  p.scale_name = n.input(1);
  auto s = constant(idx, p.scale_name);
  if (!s || s->dtype() != DType::kFloat || s->rank() > 1 || s->numel() < 1) return false;
  for (int64_t i = 0; i < s->numel(); ++i) {
    const float v = s->data<float>()[i];
    if (!(v > 0.f) || !std::isfinite(v)) return false;
  }
  p.scale = *s;
  if (n.input_size() > 2 && !n.input(2).empty()) {
    auto z = constant(idx, n.input(2));
    if (!z || z->shape() != p.scale.shape()) return false;
    p.zp_name = n.input(2);
    p.zp = *z;
    p.type = z->dtype();
  } else if (is_q) {
    if (a.get_int("output_dtype", 0) != 0) return false;
    p.type = DType::kUint8;
  } else {
    p.type = dtype_from_onnx(idx.elem_type(p.value));
  }
  if (p.type == DType::kUndefined) return false;
  if (!p.per_tensor()) {
    int64_t axis = a.get_int("axis", 1);
    if (rank < 0 || axis < -rank || axis >= rank) return false;
    p.axis = axis < 0 ? axis + rank : axis;
  }
  *out = std::move(p);
  return true;
}

namespace {

// Real values of a bias: DequantizeLinear of an int32 constant (computed in float32, as the
// DQ kernel does) or a float32 constant. `exact` gets the int32 values and their per-channel
// scales when the bias is a DQ with zero point 0.
bool real_bias(const onnx::GraphProto& g, const GraphIndex& idx, const std::string& name, std::vector<float>& real,
               std::vector<int32_t>& ints, std::vector<float>& int_scale) {
  const int p = idx.producer(name);
  if (p >= 0) {
    const onnx::NodeProto& dq = g.node(p);
    if (!fusion::is_op(dq, "DequantizeLinear")) return false;
    auto b = constant(idx, dq.input(0));
    QParams q;
    if (!b || b->dtype() != DType::kInt32 || b->rank() > 1 || !read_qparams(idx, dq, false, b->rank(), &q))
      return false;
    if (!q.per_tensor() && q.axis != 0) return false;
    for (int64_t c = 0; c < b->numel(); ++c) {
      const int32_t v = b->data<int32_t>()[c];
      real.push_back(static_cast<float>(static_cast<int64_t>(v) - q.z(c)) * q.s(c));
      if (q.z(c) == 0) {
        ints.push_back(v);
        int_scale.push_back(q.s(c));
      }
    }
    if (ints.size() != real.size()) ints.clear();
    return true;
  }
  auto f = constant(idx, name);
  if (!f || f->dtype() != DType::kFloat) return false;
  real.assign(f->data<float>(), f->data<float>() + f->numel());
  return true;
}

}  // namespace

std::optional<Tensor> acc_bias(const onnx::GraphProto& g, const GraphIndex& idx, const std::string& name,
                               int64_t channels, float x_scale, const QParams& w) {
  std::vector<float> real, int_scale;
  std::vector<int32_t> ints;
  if (!real_bias(g, idx, name, real, ints, int_scale)) return std::nullopt;
  const int64_t n = static_cast<int64_t>(real.size());
  if (n != channels && n != 1) return std::nullopt;
  Tensor out(DType::kInt32, {channels});
  for (int64_t c = 0; c < channels; ++c) {
    const size_t i = static_cast<size_t>(n == 1 ? 0 : c);
    const float acc_scale = x_scale * w.s(c);  // float32, as a quantizer computes the bias scale
    if (!ints.empty() && int_scale[i] == acc_scale) {
      out.data<int32_t>()[c] = ints[i];
      continue;
    }
    const double v = std::nearbyint(static_cast<double>(real[i]) / (static_cast<double>(x_scale) * w.s(c)));
    if (!(std::fabs(v) <= static_cast<double>(std::numeric_limits<int32_t>::max()))) return std::nullopt;
    out.data<int32_t>()[c] = static_cast<int32_t>(v);
  }
  return out;
}

}  // namespace edge::rt::qdq
