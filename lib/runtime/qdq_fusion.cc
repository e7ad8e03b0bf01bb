// QDQ fusion (see qdq_fusion.h). One pass over the graph: each Conv, MatMul, Gemm, Add, Mul,
// pool, Concat or pass-through op whose inputs come from DequantizeLinear and whose output
// goes (through an optional Relu/Clip) to one QuantizeLinear is replaced in place by an
// integer node writing the QuantizeLinear's output; the QuantizeLinear and activation nodes
// are dropped, and DequantizeLinear nodes that nothing reads any more after that.
//
//   Before: x_q -> DQ -> Conv(w: DQ(w_q), b: DQ(b_q)) -> Relu -> Q -> y_q
//   After:  x_q -> QLinearConv(w_q, b_q with its scale, activation=Relu) -> y_q
#include "runtime/qdq_fusion.h"

#include <optional>
#include <set>
#include <vector>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/op_traits.h"
#include "ir/tensor_proto.h"
#include "runtime/graph_fusion.h"
#include "runtime/qdq_params.h"

namespace edge::rt {
namespace {

using fusion::is_op;
using fusion::only_reader;
using qdq::QParams;

bool is_8bit(DType t) { return t == DType::kUint8 || t == DType::kInt8; }

// Output 0 and no other (optional outputs omitted).
bool single_output(const onnx::NodeProto& n) {
  if (n.output_size() < 1 || n.output(0).empty()) return false;
  for (int i = 1; i < n.output_size(); ++i) {
    if (!n.output(i).empty()) return false;
  }
  return true;
}

class Fuser {
 public:
  Fuser(onnx::GraphProto& g, int opset, const KernelRegistry& registry)
      : g_(g),
        idx_(g),
        opset_(opset),
        registry_(registry),
        sub_reads_(subgraph_reads(g)),
        names_(all_names(g)),
        drop_(static_cast<size_t>(g.node_size()), false),
        replace_(static_cast<size_t>(g.node_size())) {}

  void run() {
    for (int i = 0; i < g_.node_size(); ++i) {
      const onnx::NodeProto& n = g_.node(i);
      if (drop_[static_cast<size_t>(i)] || replace_[static_cast<size_t>(i)] || !is_onnx_op(n)) continue;
      const std::string& op = n.op_type();
      if (op == "Conv") {
        st_.conv += conv(i);
      } else if (op == "MatMul") {
        st_.matmul += matmul(i);
      } else if (op == "Gemm") {
        st_.gemm += gemm(i);
      } else if (op == "Add" || op == "Mul") {
        st_.binary += binary(i);
      } else if (op == "AveragePool" || op == "GlobalAveragePool") {
        st_.pool += pool(i);
      } else if (op == "Concat") {
        st_.concat += concat(i);
      } else if (op_traits(n).has(kQuantPassThrough)) {
        st_.pass_through += pass_through(i);
      }
    }
  }

  // The rewritten node list (fused nodes in place, dropped ones and dead DQs removed).
  void apply() {
    google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
    for (int i = 0; i < g_.node_size(); ++i) {
      const size_t ui = static_cast<size_t>(i);
      if (drop_[ui]) continue;
      *kept.Add() = replace_[ui] ? *replace_[ui] : g_.node(i);
    }
    g_.mutable_node()->Swap(&kept);
    std::set<std::string> reads = sub_reads_;
    for (const auto& n : g_.node()) reads.insert(n.input().begin(), n.input().end());
    for (const auto& o : g_.output()) reads.insert(o.name());
    std::vector<bool> dead(static_cast<size_t>(g_.node_size()), false);
    for (int i = 0; i < g_.node_size(); ++i) {
      const auto& n = g_.node(i);
      dead[static_cast<size_t>(i)] =
          is_op(n, "DequantizeLinear") && dq_outputs_.count(n.output(0)) && !reads.count(n.output(0));
    }
    erase_nodes(g_, dead);
  }

  const QdqFusionStats& stats() const { return st_; }

 private:
  // A DequantizeLinear producing `value`, read with constant parameters.
  bool dq(const std::string& value, int rank, QParams* q) const {
    const int p = idx_.producer(value);
    if (p < 0 || drop_[static_cast<size_t>(p)] || !is_op(g_.node(p), "DequantizeLinear")) return false;
    return qdq::read_qparams(idx_, g_.node(p), false, rank, q);
  }
  // An activation operand: per tensor, 8-bit.
  bool act_input(const std::string& value, QParams* q) const {
    return dq(value, -1, q) && q->per_tensor() && is_8bit(q->type);
  }
  // A weight: DQ of an 8-bit constant of rank `rank` (any when < 0), per tensor or along `axis`.
  bool weight_input(const std::string& value, int rank, int64_t axis, Shape* shape, QParams* q) const {
    const int p = idx_.producer(value);
    if (p < 0 || !is_op(g_.node(p), "DequantizeLinear")) return false;
    auto w = qdq::constant(idx_, g_.node(p).input(0));
    if (!w || !is_8bit(w->dtype()) || (rank >= 0 && w->rank() != rank)) return false;
    if (!dq(value, w->rank(), q) || (!q->per_tensor() && q->axis != axis)) return false;
    *shape = w->shape();
    return true;
  }

  // op -> [Relu | Clip] -> QuantizeLinear (per tensor, 8-bit): the Q node and activation
  // node (-1 when none), with the float intermediates read by nothing else.
  bool tail(int op, bool allow_act, int* q_index, int* act_index, QParams* y) const {
    const onnx::NodeProto* prev = &g_.node(op);
    if (!single_output(*prev) || sub_reads_.count(prev->output(0))) return false;
    int r = only_reader(idx_, *prev);
    *act_index = -1;
    if (r >= 0 && allow_act && (is_op(g_.node(r), "Relu") || is_op(g_.node(r), "Clip")) &&
        g_.node(r).input(0) == prev->output(0) && !drop_[static_cast<size_t>(r)]) {
      *act_index = r;
      prev = &g_.node(r);
      if (!single_output(*prev) || sub_reads_.count(prev->output(0))) return false;
      r = only_reader(idx_, *prev);
    }
    if (r < 0 || drop_[static_cast<size_t>(r)] || !is_op(g_.node(r), "QuantizeLinear")) return false;
    if (g_.node(r).input(0) != prev->output(0)) return false;
    if (!qdq::read_qparams(idx_, g_.node(r), true, -1, y) || !y->per_tensor() || !is_8bit(y->type)) return false;
    *q_index = r;
    return true;
  }

  onnx::NodeProto fused_node(const onnx::NodeProto& op, const char* type, bool copy_attrs) const {
    onnx::NodeProto f;
    f.set_name(op.name());
    f.set_domain(kFusedDomain);
    f.set_op_type(type);
    if (copy_attrs) *f.mutable_attribute() = op.attribute();
    return f;
  }
  static void add_inputs(onnx::NodeProto& f, const QParams& q) {
    f.add_input(q.value);
    f.add_input(q.scale_name);
    f.add_input(q.zp_name);
  }
  std::string add_initializer(const Tensor& t, const std::string& base) {
    const std::string name = fresh_name(names_, base);
    *g_.add_initializer() = tensor_to_proto(t, name);
    return name;
  }

  // Inputs 8-10 of a fused QLinearConv/QLinearMatMul: the bias as the kernel converts it.
  bool add_bias(onnx::NodeProto& f, const std::string& bias, int64_t channels, float x_scale, const QParams& w) {
    auto in = qdq::bias_inputs(g_, idx_, bias, channels, x_scale, w);
    if (!in) return false;
    f.add_input(in->value);
    if (!in->scale.empty()) {
      f.add_input(in->scale);
      f.add_input(in->zero_point);
    }
    dq_outputs_.insert(bias);  // a DequantizeLinear'd bias is dropped when nothing else reads it
    return true;
  }

  // Replaces op by f (output: the Q's), drops the Q and the activation.
  bool commit(int op, onnx::NodeProto f, int q, int act, std::initializer_list<const QParams*> inputs) {
    if (act >= 0 && !fusion::add_activation(g_, idx_, g_.node(act), f)) return false;
    st_.activations += act >= 0;
    f.add_output(g_.node(q).output(0));
    replace_[static_cast<size_t>(op)] = std::move(f);
    drop_[static_cast<size_t>(q)] = true;
    if (act >= 0) drop_[static_cast<size_t>(act)] = true;
    for (const QParams* p : inputs) dq_outputs_.insert(p->node->output(0));
    return true;
  }

  bool conv(int i);
  bool matmul(int i);
  bool gemm(int i);
  bool binary(int i);
  bool pool(int i);
  bool concat(int i);
  bool pass_through(int i);

  onnx::GraphProto& g_;
  GraphIndex idx_;
  int opset_;
  const KernelRegistry& registry_;
  const std::set<std::string> sub_reads_;
  std::set<std::string> names_;
  std::vector<bool> drop_;
  std::vector<std::optional<onnx::NodeProto>> replace_;
  std::set<std::string> dq_outputs_;  // outputs of DQ nodes that fused nodes bypass
  QdqFusionStats st_;
};

bool Fuser::conv(int i) {
  const onnx::NodeProto& op = g_.node(i);
  QParams x, w, y;
  Shape ws;
  int q, act;
  if (op.input_size() < 2 || !act_input(op.input(0), &x) || !weight_input(op.input(1), -1, 0, &ws, &w) ||
      ws.size() < 3 || !tail(i, true, &q, &act, &y)) {
    return false;
  }
  onnx::NodeProto f = fused_node(op, "QLinearConv", true);
  add_inputs(f, x);
  add_inputs(f, w);
  f.add_input(y.scale_name);
  f.add_input(y.zp_name);
  if (op.input_size() > 2 && !op.input(2).empty()) {
    if (!add_bias(f, op.input(2), ws[0], x.s(), w)) return false;
  }
  return commit(i, std::move(f), q, act, {&x, &w});
}

bool Fuser::matmul(int i) {
  const onnx::NodeProto& op = g_.node(i);
  QParams a, b, y;
  Shape bs;
  int q, act;
  if (!act_input(op.input(0), &a) || !weight_input(op.input(1), 2, 1, &bs, &b) || !tail(i, true, &q, &act, &y)) {
    return false;
  }
  onnx::NodeProto f = fused_node(op, "QLinearMatMul", false);
  add_inputs(f, a);
  add_inputs(f, b);
  f.add_input(y.scale_name);
  f.add_input(y.zp_name);
  return commit(i, std::move(f), q, act, {&a, &b});
}

bool Fuser::gemm(int i) {
  const onnx::NodeProto& op = g_.node(i);
  const NodeAttrs attrs(op);
  const int64_t trans_b = attrs.get_int("transB", 0);
  if (attrs.get_int("transA", 0) != 0 || attrs.get_float("alpha", 1.f) != 1.f || attrs.get_float("beta", 1.f) != 1.f) {
    return false;
  }
  QParams a, b, y;
  Shape bs;
  int q, act;
  if (!act_input(op.input(0), &a) || !weight_input(op.input(1), 2, trans_b ? 0 : 1, &bs, &b) ||
      !tail(i, true, &q, &act, &y)) {
    return false;
  }
  onnx::NodeProto f = fused_node(op, "QLinearMatMul", false);
  add_inputs(f, a);
  add_inputs(f, b);
  f.add_input(y.scale_name);
  f.add_input(y.zp_name);
  if (op.input_size() > 2 && !op.input(2).empty()) {
    if (!add_bias(f, op.input(2), trans_b ? bs[0] : bs[1], a.s(), b)) return false;
  }
  auto* t = f.add_attribute();
  t->set_name("transB");
  t->set_type(onnx::AttributeProto::INT);
  t->set_i(trans_b);
  return commit(i, std::move(f), q, act, {&a, &b});
}

bool Fuser::binary(int i) {
  const onnx::NodeProto& op = g_.node(i);
  QParams a, b, y;
  int q, act;
  if (op.input_size() != 2 || !act_input(op.input(0), &a) || !act_input(op.input(1), &b) ||
      !tail(i, true, &q, &act, &y) || a.type != b.type || a.type != y.type) {
    return false;
  }
  onnx::NodeProto f = fused_node(op, op.op_type() == "Add" ? "QLinearAdd" : "QLinearMul", false);
  add_inputs(f, a);
  add_inputs(f, b);
  f.add_input(y.scale_name);
  f.add_input(y.zp_name);
  return commit(i, std::move(f), q, act, {&a, &b});
}

bool Fuser::pool(int i) {
  const onnx::NodeProto& op = g_.node(i);
  QParams x, y;
  int q, act;
  if (!act_input(op.input(0), &x) || !tail(i, false, &q, &act, &y) || x.type != y.type) return false;
  const bool global = op.op_type() == "GlobalAveragePool";
  onnx::NodeProto f = fused_node(op, global ? "QLinearGlobalAveragePool" : "QLinearAveragePool", !global);
  add_inputs(f, x);
  f.add_input(y.scale_name);
  f.add_input(y.zp_name);
  return commit(i, std::move(f), q, act, {&x});
}

bool Fuser::concat(int i) {
  const onnx::NodeProto& op = g_.node(i);
  std::vector<QParams> xs(static_cast<size_t>(op.input_size()));
  QParams y;
  int q, act;
  if (op.input_size() < 1 || !tail(i, false, &q, &act, &y)) return false;
  for (int k = 0; k < op.input_size(); ++k) {
    if (!act_input(op.input(k), &xs[static_cast<size_t>(k)]) || xs[static_cast<size_t>(k)].type != y.type) return false;
  }
  onnx::NodeProto f = fused_node(op, "QLinearConcat", true);
  f.add_input(y.scale_name);
  // QLinearConcat's output type comes from Y_zero_point, which it requires.
  f.add_input(y.zp_name.empty() ? add_initializer(Tensor::scalar<uint8_t>(0), "__qdq_zero_u8") : y.zp_name);
  for (const QParams& x : xs) add_inputs(f, x);
  if (!commit(i, std::move(f), q, act, {})) return false;
  for (const QParams& x : xs) dq_outputs_.insert(x.node->output(0));
  return true;
}

bool Fuser::pass_through(int i) {
  const onnx::NodeProto& op = g_.node(i);
  QParams x, y;
  int q, act;
  if (op.input_size() < 1 || !act_input(op.input(0), &x) || !tail(i, false, &q, &act, &y) || !x.same_as(y)) {
    return false;
  }
  if (!registry_.find("", op.op_type(), opset_, x.type)) return false;  // no 8-bit kernel
  onnx::NodeProto f = op;
  f.set_input(0, x.value);
  f.clear_output();
  return commit(i, std::move(f), q, act, {&x});
}

}  // namespace

std::unique_ptr<onnx::GraphProto> fuse_qdq(const onnx::GraphProto& g_in, int opset, const KernelRegistry& registry,
                                           QdqFusionStats* stats) {
  auto g = std::make_unique<onnx::GraphProto>(g_in);
  QdqFusionStats st;
  {
    Fuser f(*g, opset, registry);
    f.run();
    st = f.stats();
    if (st.total() > 0) f.apply();
  }
  if (stats) *stats = st;
  if (st.total() == 0) return nullptr;
  return g;
}

}  // namespace edge::rt
