// Reading QDQ parameters for the fusion (see qdq_params.h).
#include "runtime/qdq_params.h"

#include <cmath>
#include <vector>

#include "ir/node_attrs.h"
#include "ir/tensor_proto.h"
#include "runtime/graph_fusion.h"
#include "runtime/kernels/reference/qlinear_util.h"

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

std::optional<BiasInputs> bias_inputs(const onnx::GraphProto& g, const GraphIndex& idx, const std::string& name,
                                      int64_t channels, float x_scale, const QParams& w) {
  BiasInputs in;
  std::optional<Tensor> bias;
  QParams q;
  const int p = idx.producer(name);
  if (p >= 0) {  // DequantizeLinear of an int32 constant
    const onnx::NodeProto& dq = g.node(p);
    if (!fusion::is_op(dq, "DequantizeLinear")) return std::nullopt;
    bias = constant(idx, dq.input(0));
    if (!bias || bias->dtype() != DType::kInt32 || bias->rank() > 1 ||
        !read_qparams(idx, dq, false, bias->rank(), &q) || (!q.per_tensor() && q.axis != 0)) {
      return std::nullopt;
    }
    in = {dq.input(0), q.scale_name, q.zp_name};
  } else {  // a float32 constant
    bias = constant(idx, name);
    if (!bias || bias->dtype() != DType::kFloat) return std::nullopt;
    in.value = name;
  }
  std::vector<float> ws;
  for (int64_t c = 0; c < (w.per_tensor() ? 1 : channels); ++c) ws.push_back(w.s(c));
  std::vector<int32_t> acc;
  try {  // the kernel converts it; fuse only what converts
    q_bias_to_acc("bias '" + name + "'", *bias, in.scale.empty() ? nullptr : &q.scale, q.zp.defined() ? &q.zp : nullptr,
                  x_scale, ws, channels, acc);
  } catch (const Error&) {
    return std::nullopt;
  }
  return in;
}

}  // namespace edge::rt::qdq
