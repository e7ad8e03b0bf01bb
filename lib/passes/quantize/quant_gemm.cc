// Gemm (Y = alpha * op(A) * op(B) + beta * C) with a constant B and a per-column C.
// alpha and beta are folded into B and C first; B becomes int8 per output column (axis 0
// when transB = 1, else 1), C an int32 bias with scale sA * sB[n].
//
// QDQ: Gemm(DequantizeLinear(A_q), DequantizeLinear(B_q, axis), DequantizeLinear(C_q)) -> Q.
// QOperator (B stored as [K, N]; ai.onnx has no integer Gemm):
//   without C:  Y_q = QLinearMatMul(A_q, sA, zA, B_q, sB, zB, sY, zY)
//   with C:     acc = MatMulInteger(A_q, B_q, zA, zB)          int32 [M, N]
//               acc = Add(acc, C_q)                            int32 bias, scale sA * sB[n]
//               Y   = DequantizeLinear(acc, sA * sB, axis = 1)
//               Y_q = QuantizeLinear(Y, sY, zY)
// transA = 1 keeps the QDQ form inside the QOperator model.
#include "ir/node_attrs.h"
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {
namespace {

void set_float_attr(onnx::NodeProto& node, const std::string& name, float v) {
  for (auto& a : *node.mutable_attribute()) {
    if (a.name() == name) a.set_f(v);
  }
}

// int8 [N, K] -> [K, N].
Tensor transposed(const Tensor& t) {
  const int64_t rows = t.dim(0), cols = t.dim(1);
  Tensor out(t.dtype(), {cols, rows});
  const int8_t* src = t.data<int8_t>();
  int8_t* dst = out.data<int8_t>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
  }
  return out;
}

class GemmQuantizer : public OpQuantizer {
 public:
  NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format) const override {
    NodeQuant q = analyze_weighted(node, g);
    if (q.kind != NodeQuant::kCompute || q.bias < 0) return q;
    // C must broadcast per column: [], [1], [N], [1, N].
    const auto c = g.shape(node.input(q.bias));
    if (!c || c->size() > 2 || (c->size() == 2 && (*c)[0] != 1)) {
      return NodeQuant::float_op("C '" + node.input(q.bias) + "' is not one value per output column");
    }
    return q;
  }

  void prepare(onnx::NodeProto& node, Tensor* weight, Tensor* bias) const override {
    const NodeAttrs attrs(node);
    const float alpha = attrs.get_float("alpha", 1.f), beta = attrs.get_float("beta", 1.f);
    if (alpha != 1.f && weight) {
      float* w = weight->data<float>();
      for (int64_t i = 0; i < weight->numel(); ++i) w[i] *= alpha;
      set_float_attr(node, "alpha", 1.f);
    }
    if (beta != 1.f && bias) {
      float* b = bias->data<float>();
      for (int64_t i = 0; i < bias->numel(); ++i) b[i] *= beta;
      set_float_attr(node, "beta", 1.f);
    }
  }

  bool has_qoperator_form(const onnx::NodeProto& node) const override {
    return NodeAttrs(node).get_int("transA", 0) == 0;
  }

  void emit_qoperator(QOpEmitter& e) const override {
    QName b = e.input(1);
    if (NodeAttrs(e.node()).get_int("transB", 0) != 0) {
      b.q = e.add_initializer(transposed(e.initializer(b.q)), b.q + "t");
    }
    emit_integer_matmul(e, e.input(0), b);
  }
};

}  // namespace

void emit_integer_matmul(QOpEmitter& e, const QName& a, const QName& b) {
  const auto& n = e.node();
  const QName& y = e.output();
  if (e.bias().empty()) {
    e.add_node(make_node("QLinearMatMul", "",
                         {a.q, a.scale, a.zero_point, b.q, b.scale, b.zero_point, y.scale, y.zero_point}, {y.q}, n));
    return;
  }
  const std::string acc = e.fresh(y.q + "_i32"), biased = e.fresh(y.q + "_i32b");
  const std::string real = e.fresh(y.q + "_dq");
  e.add_node(make_node("MatMulInteger", "", {a.q, b.q, a.zero_point, b.zero_point}, {acc}, n, "_matmul"));
  e.add_node(make_node("Add", "", {acc, e.bias().q}, {biased}, n, "_bias"));
  // The bias scale is sA * sB[n] (a scalar with per-tensor weights): the accumulator's scale.
  const std::string& acc_scale = e.bias().scale;
  auto dq = make_node("DequantizeLinear", "", {biased, acc_scale}, {real}, n, "_dequantize");
  if (e.initializer(acc_scale).rank() == 1) set_int_attribute(dq, "axis", -1);
  e.add_node(std::move(dq));
  e.add_node(make_node("QuantizeLinear", "", {real, y.scale, y.zero_point}, {y.q}, n, "_quantize"));
}

void register_gemm_quantizer(QuantizerRegistry& r) { r.add("Gemm", std::make_shared<GemmQuantizer>()); }

}  // namespace edge::pass::quant
