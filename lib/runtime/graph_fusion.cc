#include "runtime/graph_fusion.h"

#include <cmath>
#include <map>
#include <set>

#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "ir/tensor_proto.h"
#include "ir/graph_edit.h"

namespace edge::rt {

namespace fusion {

bool is_op(const onnx::NodeProto& n, const char* op) {
  return (n.domain().empty() || n.domain() == "ai.onnx") && n.op_type() == op;
}

int only_reader(const GraphIndex& idx, const onnx::NodeProto& n) {
  if (n.output_size() < 1 || n.output(0).empty() || idx.is_graph_output(n.output(0))) return -1;
  const auto& readers = idx.consumers(n.output(0));
  return readers.size() == 1 ? readers[0] : -1;
}

}  // namespace fusion

namespace {

using fusion::is_op;
using fusion::only_reader;

// A float32 initializer that is not also a graph input (so a caller cannot replace it).
const onnx::TensorProto* constant_f32(const GraphIndex& idx, const onnx::NodeProto& n, int i) {
  if (i >= n.input_size() || n.input(i).empty() || idx.is_graph_input(n.input(i))) return nullptr;
  const auto* t = idx.initializer(n.input(i));
  return t && t->data_type() == onnx::TensorProto::FLOAT ? t : nullptr;
}

// A float32 scalar from an initializer or a Constant node (exporters write Clip bounds both ways).
bool scalar_f32(const onnx::GraphProto& g, const GraphIndex& idx, const onnx::NodeProto& n, int i, float* out) {
  const onnx::TensorProto* t = constant_f32(idx, n, i);
  if (!t) {
    const int p = idx.producer(n.input(i));
    if (p < 0 || !is_op(g.node(p), "Constant")) return false;
    for (const auto& a : g.node(p).attribute()) {
      if (a.name() == "value" && a.has_t() && a.t().data_type() == onnx::TensorProto::FLOAT) t = &a.t();
    }
    if (!t) return false;
  }
  Tensor v = tensor_from_proto(*t, {}, "constant '" + n.input(i) + "'");
  if (v.numel() != 1) return false;
  *out = v.data<float>()[0];
  return true;
}

// True when both values have declared shapes of the same rank whose dims are equal, fixed or
// the same symbolic name (then a residual Add needs no broadcasting).
bool same_shape(const GraphIndex& idx, const std::string& a, const std::string& b) {
  const auto* va = idx.value_info(a);
  const auto* vb = idx.value_info(b);
  if (!va || !vb || !va->type().has_tensor_type() || !vb->type().has_tensor_type()) return false;
  const auto& ta = va->type().tensor_type();
  const auto& tb = vb->type().tensor_type();
  if (!ta.has_shape() || !tb.has_shape() || ta.elem_type() != tb.elem_type()) return false;
  if (ta.shape().dim_size() != tb.shape().dim_size()) return false;
  for (int i = 0; i < ta.shape().dim_size(); ++i) {
    const auto& da = ta.shape().dim(i);
    const auto& db = tb.shape().dim(i);
    if (da.has_dim_value() && db.has_dim_value() && da.dim_value() == db.dim_value()) continue;
    if (da.has_dim_param() && db.has_dim_param() && !da.dim_param().empty() && da.dim_param() == db.dim_param()) continue;
    return false;
  }
  return true;
}

// Identity(initializer) -> readers: the readers take the initializer's name and the Identity
// is dropped, unless its output is a graph output or read inside a subgraph (where renaming
// would have to reach into the nested graphs). The initializer must not be a graph input:
// a caller may override those, and the Identity then is not a constant.
int forward_constant_identities(onnx::GraphProto& g, const std::set<std::string>& sub_reads, std::vector<bool>& drop) {
  GraphIndex idx(g);
  std::map<std::string, std::string> alias;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    if (!is_op(n, "Identity") || n.input_size() != 1 || n.output_size() != 1 || n.output(0).empty()) continue;
    const std::string& src = n.input(0);
    if (!idx.initializer(src) || idx.is_graph_input(src)) continue;
    if (idx.is_graph_output(n.output(0)) || sub_reads.count(n.output(0))) continue;
    alias[n.output(0)] = src;
    drop[static_cast<size_t>(i)] = true;
  }
  if (alias.empty()) return 0;
  for (auto& n : *g.mutable_node()) {
    for (auto& in : *n.mutable_input()) {
      auto it = alias.find(in);
      if (it != alias.end()) in = it->second;
    }
  }
  return static_cast<int>(alias.size());
}

// A FusedConv kernel needs a constant weight and a constant (or no) bias.
bool conv_fusable_inputs(const GraphIndex& idx, const onnx::NodeProto& conv) {
  const bool has_bias = conv.input_size() > 2 && !conv.input(2).empty();
  return constant_f32(idx, conv, 1) && (!has_bias || constant_f32(idx, conv, 2));
}

bool bn_is_inference(const onnx::NodeProto& bn, int opset) {
  NodeAttrs a(bn);
  if (opset >= 14) return a.get_int("training_mode", 0) == 0;
  return bn.output_size() == 1 || a.get_int("is_test", 0) != 0;
}

// Folds BN into the Conv's W and B; returns false when the shapes do not fit.
bool fold_bn(onnx::GraphProto& g, const GraphIndex& idx, onnx::NodeProto& conv, const onnx::NodeProto& bn,
             std::set<std::string>& names, int counter) {
  const auto* w = constant_f32(idx, conv, 1);
  if (!w) return false;
  const bool has_bias = conv.input_size() > 2 && !conv.input(2).empty();
  const auto* b = has_bias ? constant_f32(idx, conv, 2) : nullptr;
  if (has_bias && !b) return false;
  const onnx::TensorProto* p[4];
  for (int i = 0; i < 4; ++i) {
    p[i] = constant_f32(idx, bn, i + 1);
    if (!p[i]) return false;
  }
  Tensor W = tensor_from_proto(*w, {}, "initializer '" + w->name() + "'");
  if (W.rank() < 3) return false;
  const int64_t M = W.dim(0), per = W.numel() / std::max<int64_t>(M, 1);
  std::vector<Tensor> P;
  for (const auto* t : p) {
    P.push_back(tensor_from_proto(*t, {}, "initializer '" + t->name() + "'"));
    if (P.back().numel() != M) return false;
  }
  Tensor B = b ? tensor_from_proto(*b, {}, "initializer '" + b->name() + "'") : Tensor(DType::kFloat, {M});
  if (B.numel() != M) return false;
  const float eps = NodeAttrs(bn).get_float("epsilon", 1e-5f);
  Tensor W2(DType::kFloat, W.shape()), B2(DType::kFloat, {M});
  for (int64_t m = 0; m < M; ++m) {
    const double s = P[0].data<float>()[m] / std::sqrt(static_cast<double>(P[3].data<float>()[m]) + eps);
    for (int64_t k = 0; k < per; ++k) W2.data<float>()[m * per + k] = static_cast<float>(W.data<float>()[m * per + k] * s);
    B2.data<float>()[m] = static_cast<float>((B.data<float>()[m] - P[2].data<float>()[m]) * s + P[1].data<float>()[m]);
  }
  auto fresh = [&](const std::string& base) {
    std::string n = base;
    for (int k = 0; names.count(n); ++k) n = base + "_" + std::to_string(k);
    names.insert(n);
    return n;
  };
  const std::string wn = fresh("__fused_bn_w_" + std::to_string(counter));
  const std::string bn_name = fresh("__fused_bn_b_" + std::to_string(counter));
  *g.add_initializer() = tensor_to_proto(W2, wn);
  *g.add_initializer() = tensor_to_proto(B2, bn_name);
  conv.set_input(1, wn);
  if (conv.input_size() > 2) {
    conv.set_input(2, bn_name);
  } else {
    conv.add_input(bn_name);
  }
  conv.set_output(0, bn.output(0));
  return true;
}

}  // namespace

bool fusion::add_activation(const onnx::GraphProto& g, const GraphIndex& idx, const onnx::NodeProto& act,
                   onnx::NodeProto& fused) {
  auto set = [&](const char* name, const std::vector<float>& params) {
    auto* a = fused.add_attribute();
    a->set_name("activation");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(name);
    auto* p = fused.add_attribute();
    p->set_name("activation_params");
    p->set_type(onnx::AttributeProto::FLOATS);
    for (float v : params) p->add_floats(v);
    return true;
  };
  if (is_op(act, "Relu")) return set("Relu", {});
  if (is_op(act, "LeakyRelu")) return set("LeakyRelu", {NodeAttrs(act).get_float("alpha", 0.01f)});
  if (is_op(act, "Clip")) {
    NodeAttrs a(act);
    float lo = -INFINITY, hi = INFINITY;
    if (act.input_size() <= 1) {  // opset < 11: attributes
      lo = a.get_float("min", lo);
      hi = a.get_float("max", hi);
      return set("Clip", {lo, hi});
    }
    for (int i = 1; i < 3 && i < act.input_size(); ++i) {
      if (!act.input(i).empty() && !scalar_f32(g, idx, act, i, i == 1 ? &lo : &hi)) return false;
    }
    return set("Clip", {lo, hi});
  }
  return false;
}

std::unique_ptr<onnx::GraphProto> fuse_graph(const onnx::GraphProto& g_in, int opset, bool allow_fused_ops,
                                             FusionStats* stats) {
  auto g = std::make_unique<onnx::GraphProto>(g_in);
  std::set<std::string> names;
  for (const auto& i : g->initializer()) names.insert(i.name());
  for (const auto& n : g->node()) {
    for (const auto& o : n.output()) names.insert(o);
    for (const auto& i : n.input()) names.insert(i);
  }
  // Values that nested subgraphs read are never fused away (GraphIndex sees direct readers only).
  const std::set<std::string> sub_reads = subgraph_reads(*g);
  auto fusable = [&](const onnx::NodeProto& n) { return n.output_size() > 0 && !sub_reads.count(n.output(0)); };
  FusionStats st;
  std::vector<bool> drop(static_cast<size_t>(g->node_size()), false);
  st.identity_forwarded = forward_constant_identities(*g, sub_reads, drop);
  {
    GraphIndex idx(*g);
    for (int i = 0; i < g->node_size(); ++i) {
      auto& conv = *g->mutable_node(i);
      if (!is_op(conv, "Conv") || drop[static_cast<size_t>(i)] || !fusable(conv)) continue;
      const int r = only_reader(idx, conv);
      if (r < 0 || !is_op(g->node(r), "BatchNormalization") || g->node(r).input(0) != conv.output(0)) continue;
      if (!bn_is_inference(g->node(r), opset)) continue;
      if (g->node(r).output_size() > 1) continue;
      if (fold_bn(*g, idx, conv, g->node(r), names, st.conv_bn)) {
        drop[static_cast<size_t>(r)] = true;
        ++st.conv_bn;
      }
    }
  }
  if (allow_fused_ops) {
    GraphIndex idx(*g);  // after the BN folds: Conv outputs were renamed
    for (int i = 0; i < g->node_size(); ++i) {
      auto& conv = *g->mutable_node(i);
      if (!is_op(conv, "Conv") || drop[static_cast<size_t>(i)] || !fusable(conv)) continue;
      if (!conv_fusable_inputs(idx, conv)) continue;
      const int r = only_reader(idx, conv);
      if (r < 0 || drop[static_cast<size_t>(r)]) continue;
      // Add is commutative: x + conv(x) (torchvision's MobileNetV2) fuses as conv(x) + x does.
      const bool residual = is_op(g->node(r), "Add") && g->node(r).input_size() == 2;
      if (g->node(r).input(0) != conv.output(0) && !(residual && g->node(r).input(1) == conv.output(0))) continue;
      onnx::NodeProto fused = conv;
      int act = r;
      if (residual) {
        // Conv -> Add(residual) [-> activation]: the other addend becomes input 3 (Z).
        const auto& add = g->node(r);
        const std::string& z = add.input(0) == conv.output(0) ? add.input(1) : add.input(0);
        if (z == conv.output(0) || !same_shape(idx, z, conv.output(0))) continue;
        while (fused.input_size() < 3) fused.add_input("");
        fused.add_input(z);
        fused.set_output(0, add.output(0));
        drop[static_cast<size_t>(r)] = true;
        ++st.conv_add;
        act = only_reader(idx, add);
        if (act < 0 || drop[static_cast<size_t>(act)] || g->node(act).input(0) != add.output(0) ||
            sub_reads.count(add.output(0)) || !fusion::add_activation(*g, idx, g->node(act), fused)) {
          act = -1;
        }
      } else if (!fusion::add_activation(*g, idx, g->node(r), fused)) {
        continue;
      }
      fused.set_domain(kFusedDomain);
      fused.set_op_type("FusedConv");
      if (act >= 0) {
        fused.set_output(0, g->node(act).output(0));
        drop[static_cast<size_t>(act)] = true;
        ++st.conv_activation;
      }
      conv = fused;
    }
  }
  if (stats) *stats = st;
  if (st.conv_bn == 0 && st.conv_activation == 0 && st.conv_add == 0 && st.identity_forwarded == 0) return nullptr;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int i = 0; i < g->node_size(); ++i) {
    if (!drop[static_cast<size_t>(i)]) *kept.Add() = g->node(i);
  }
  g->mutable_node()->Swap(&kept);
  // Stale inferred shapes of removed intermediates would only mislead kernel preparation.
  return g;
}

}  // namespace edge::rt
