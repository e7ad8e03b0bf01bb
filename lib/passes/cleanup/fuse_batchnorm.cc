// fuse-bn: folds an inference-mode BatchNormalization into the Conv, ConvTranspose or Gemm
// that feeds it (and only it), then removes the BatchNormalization.
//
// Before:                                      After:
//   t = Conv(x, W, b)                            y = Conv(x, W', b')
//   y = BatchNormalization(t, s, B, mean, var)
//
// with, per output channel c: k[c] = s[c] / sqrt(var[c] + epsilon),
//   W'[c, ...] = W[c, ...] * k[c],  b'[c] = (b[c] - mean[c]) * k[c] + B[c]   (b = 0 if absent).
// Gemm (Y = alpha * A * op(B) + beta * C, channel = column of Y) scales column c of op(B)
// (row c of B when transB = 1) and sets C' = (beta * C - mean) * k + B, beta' = 1.
// A constant bias written as its own node (older exporters, e.g. mnist-8's Conv -> Add of a
// [M, 1, 1] initializer) is folded the same way, into b' = b + add, when the addend is the same
// for every position of a channel: shape [M, 1, ...], [1, M, 1, ...] or one value.
// Weights shared with other nodes are copied under a fresh name. Only float32 weights
// and BN parameters that are initializers are handled; anything else is left as is.
// Subgraphs (If/Loop/Scan bodies) are fused too, with their own initializers.
// The weight and bias inputs and the weight's output-channel layout come from the op
// traits (lib/ir/op_traits.def).
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "ir/op_traits.h"
#include "ir/tensor_proto.h"
#include "passes/cleanup/cleanup_passes.h"

namespace edge::pass {

const char* FuseBatchNorm::summary() {
  return "fold inference BatchNormalization (and a per-channel constant bias Add) into the preceding "
         "Conv/ConvTranspose/Gemm weights and bias";
}

std::vector<OptionSpec> FuseBatchNorm::options() { return {}; }

namespace {

// One graph: the main graph or a subgraph (If/Loop/Scan body). A subgraph's own
// initializers are constants; values it reads from outer scopes are not folded into.
struct Fuser {
  Model& model;
  onnx::GraphProto& g;
  const bool main;
  GraphIndex index;
  std::set<std::string> inputs, outputs, sub_reads;
  std::set<std::string>& taken;  // names in the whole model (fresh names stay unique)
  std::map<std::string, int> init_pos;

  Fuser(Model& m, onnx::GraphProto& graph, bool is_main, std::set<std::string>& names)
      : model(m), g(graph), main(is_main), index(graph), taken(names) {
    if (main) {
      inputs = fed_inputs(m);
    } else {
      for (const auto& in : g.input()) inputs.insert(in.name());
    }
    for (const auto& o : g.output()) outputs.insert(o.name());
    sub_reads = subgraph_reads(g);
    for (int i = 0; i < g.initializer_size(); ++i) init_pos[g.initializer(i).name()] = i;
  }

  // A float32 constant initializer (not overridable as a graph input), or nullptr.
  const onnx::TensorProto* constant(const std::string& name) const {
    if (name.empty() || inputs.count(name)) return nullptr;
    const auto* t = index.initializer(name);
    return t && t->data_type() == onnx::TensorProto::FLOAT ? t : nullptr;
  }
  std::vector<double> values(const onnx::TensorProto& p) const {
    Tensor t = read_initializer(model, p);
    std::vector<double> v(static_cast<size_t>(t.numel()));
    for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.get_double(i);
    return v;
  }
  // An initializer that is also a graph input a caller may override (not a constant).
  bool overridable(const std::string& name) const {
    return !name.empty() && inputs.count(name) && index.initializer(name);
  }
  bool only_reader(const std::string& value) const {
    return index.consumers(value).size() == 1 && !outputs.count(value) && !sub_reads.count(value);
  }
  // Stores `v` as the value of input `slot` of `node`: in place when `node` is the only
  // reader of the old initializer, else under a fresh name.
  void store(onnx::NodeProto& node, int slot, const std::vector<double>& v, const Shape& shape,
             const std::string& base) {
    Tensor t(DType::kFloat, shape);
    for (size_t i = 0; i < v.size(); ++i) t.data<float>()[i] = static_cast<float>(v[i]);
    std::string old = slot < node.input_size() ? node.input(slot) : std::string();
    if (!old.empty() && index.initializer(old) && only_reader(old) && init_pos.count(old)) {
      *g.mutable_initializer(init_pos.at(old)) = tensor_to_proto(t, old);
      return;
    }
    std::string name = fresh_name(taken, base);
    if (main) {
      add_initializer(model, t, name);
    } else {
      *g.add_initializer() = tensor_to_proto(t, name);
    }
    while (node.input_size() <= slot) node.add_input("");
    node.set_input(slot, name);
  }
};

int64_t numel(const onnx::TensorProto& t) { return proto_numel(t, "initializer '" + t.name() + "'"); }

struct FuseCounts {
  int fused = 0, skipped_overridable = 0, dropped = 0, in_subgraphs = 0, bias_adds = 0;
};

// The per-channel values of an Add operand broadcast against a Conv output of rank `rank` with
// `channels` channels, or nothing when they differ along other axes (or would grow the output).
std::optional<std::vector<double>> channel_addend(const Fuser& f, const onnx::TensorProto& t, int64_t rank,
                                                  int64_t channels) {
  const int64_t r = t.dims_size();
  if (r > rank) return std::nullopt;
  for (int64_t k = 0; k < r; ++k) {
    const int64_t axis = rank - r + k, d = t.dims(static_cast<int>(k));
    if (d != 1 && !(axis == 1 && d == channels)) return std::nullopt;
  }
  std::vector<double> v = f.values(t);
  if (v.size() == 1) v.assign(static_cast<size_t>(channels), v[0]);
  return v.size() == static_cast<size_t>(channels) ? std::optional(v) : std::nullopt;
}

// Folds Conv/ConvTranspose -> Add(constant per channel) into the convolution's bias.
void fold_bias_adds(Fuser& f, PassContext& ctx, FuseCounts& counts) {
  auto& g = f.g;
  std::vector<bool> remove(static_cast<size_t>(g.node_size()), false);
  std::set<std::string> stale, candidates;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& add = g.node(i);
    if (!is_onnx_op(add) || add.op_type() != "Add" || add.input_size() != 2 || add.output(0).empty()) continue;
    for (int side = 0; side < 2; ++side) {
      const std::string& x = add.input(side);
      const onnx::TensorProto* c = f.constant(add.input(1 - side));
      const int prod = f.index.producer(x);
      if (!c || prod < 0 || remove[static_cast<size_t>(prod)] || !f.only_reader(x) || x == add.input(1 - side))
        continue;
      auto& conv = *g.mutable_node(prod);
      if (!is_onnx_op(conv) || (conv.op_type() != "Conv" && conv.op_type() != "ConvTranspose")) continue;
      if (conv.output_size() != 1 || ctx.layer_excluded(conv.name()) || ctx.layer_excluded(add.name())) continue;
      const OpTraits& traits = op_traits(conv);
      const int wi = traits.weight_input, bi = traits.bias_input;
      const onnx::TensorProto* w = conv.input_size() > wi ? f.constant(conv.input(wi)) : nullptr;
      const bool has_bias = conv.input_size() > bi && !conv.input(bi).empty();
      const onnx::TensorProto* b = has_bias ? f.constant(conv.input(bi)) : nullptr;
      if (!w || w->dims_size() < 3 || (has_bias && !b)) continue;
      const Shape wshape(w->dims().begin(), w->dims().end());
      const std::optional<WeightChannels> layout = weight_channels(conv, wshape);
      if (!layout) continue;
      const auto addend = channel_addend(f, *c, w->dims_size(), layout->channels);
      if (!addend || (b && numel(*b) != layout->channels)) continue;
      std::vector<double> bias = b ? f.values(*b) : std::vector<double>(addend->size(), 0.0);
      for (size_t k = 0; k < bias.size(); ++k) bias[k] += (*addend)[k];
      candidates.insert(add.input(1 - side));
      if (b) candidates.insert(conv.input(bi));
      const std::string base = conv.name().empty() ? conv.input(wi) : conv.name();
      f.store(conv, bi, bias, Shape{layout->channels}, base + "_bias_add");
      stale.insert(x);
      conv.set_output(0, add.output(0));
      remove[static_cast<size_t>(i)] = true;
      ++counts.bias_adds;
      ctx.log().debug("fuse-bn: folded the bias {} into {}", describe_node(add), describe_node(conv));
      break;
    }
  }
  erase_nodes(g, remove);
  erase_value_infos(g, stale);
  counts.dropped += erase_unused_initializers(g, candidates);
}

// Folds the BatchNormalizations of `f`'s graph (not of its subgraphs).
void fuse_graph(Fuser& f, PassContext& ctx, FuseCounts& counts) {
  auto& g = f.g;
  const int opset = f.model.opset();
  std::vector<bool> remove(static_cast<size_t>(g.node_size()), false);
  std::set<std::string> stale, candidates;
  int& fused = counts.fused;
  int& skipped_overridable = counts.skipped_overridable;
  const int fused_before = fused;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& bn = g.node(i);
    if (!is_onnx_op(bn) || bn.op_type() != "BatchNormalization" || bn.input_size() < 5) continue;
    const NodeAttrs bn_attrs(bn);
    if (bn_attrs.get_int("training_mode", 0) != 0 || (opset < 9 && bn_attrs.get_int("spatial", 1) != 1)) continue;
    if (opset < 7 && bn_attrs.get_int("is_test", 0) == 0 && bn_attrs.has("is_test")) continue;
    bool extra_used = false;
    for (int k = 1; k < bn.output_size(); ++k) {
      const auto& o = bn.output(k);
      if (o.empty()) continue;
      extra_used = extra_used || !f.index.consumers(o).empty() || f.outputs.count(o) || f.sub_reads.count(o);
    }
    if (extra_used || bn.output(0).empty()) continue;
    const onnx::TensorProto* p[4];
    bool ok = true, overridable = false;
    for (int k = 0; k < 4; ++k) {
      p[k] = f.constant(bn.input(k + 1));
      ok = ok && p[k];
      overridable = overridable || f.overridable(bn.input(k + 1));
    }
    if (!ok) {
      skipped_overridable += overridable;
      continue;
    }
    const int64_t channels = numel(*p[0]);
    for (int k = 1; k < 4; ++k) ok = ok && numel(*p[k]) == channels;
    const std::string x = bn.input(0);
    const int prod = f.index.producer(x);
    if (!ok || prod < 0 || remove[static_cast<size_t>(prod)] || !f.only_reader(x)) continue;
    auto& conv = *g.mutable_node(prod);
    const std::string& op = conv.op_type();
    if (!is_onnx_op(conv) || (op != "Conv" && op != "ConvTranspose" && op != "Gemm")) continue;
    const OpTraits& traits = op_traits(conv);
    const int wi = traits.weight_input, bi = traits.bias_input;
    if (conv.input_size() <= wi || conv.output_size() != 1) continue;
    if (ctx.layer_excluded(conv.name()) || ctx.layer_excluded(bn.name())) continue;
    const onnx::TensorProto* w = f.constant(conv.input(wi));
    const bool has_bias = conv.input_size() > bi && !conv.input(bi).empty();
    const onnx::TensorProto* b = has_bias ? f.constant(conv.input(bi)) : nullptr;
    if (!w || (has_bias && !b)) {
      skipped_overridable += f.overridable(conv.input(wi)) || (has_bias && f.overridable(conv.input(bi)));
      continue;
    }
    const Shape wshape(w->dims().begin(), w->dims().end());
    // Which output channel (index into the BN parameters) each weight element feeds.
    const std::optional<WeightChannels> layout = weight_channels(conv, wshape);
    if (!layout || layout->channels != channels) continue;
    const int64_t wn = numel(*w);
    double beta = 1.0;
    if (op == "Gemm") {
      beta = NodeAttrs(conv).get_float("beta", 1.0f);
      if (b) {  // C must broadcast per column: [], [1], [N], [1, 1], [1, N]
        const int64_t cn = numel(*b);
        const auto& d = b->dims();
        if ((cn != 1 && cn != channels) || d.size() > 2 || (d.size() == 2 && d[0] != 1)) continue;
      }
    } else if (b && numel(*b) != channels) {
      continue;
    }

    const auto scale = f.values(*p[0]), shift = f.values(*p[1]), mean = f.values(*p[2]), var = f.values(*p[3]);
    const double eps = bn_attrs.get_float("epsilon", 1e-5f);
    std::vector<double> k(static_cast<size_t>(channels)), bias(static_cast<size_t>(channels), 0.0);
    std::vector<double> old_bias = b ? f.values(*b) : std::vector<double>{};
    for (size_t c = 0; c < k.size(); ++c) {
      if (var[c] + eps <= 0) {
        fail(describe_node(bn) + ": variance + epsilon is not positive for channel " + std::to_string(c));
      }
      k[c] = scale[c] / std::sqrt(var[c] + eps);
      double b0 = old_bias.empty() ? 0.0 : old_bias[old_bias.size() == 1 ? 0 : c] * beta;
      bias[c] = (b0 - mean[c]) * k[c] + shift[c];
    }
    std::vector<double> wv = f.values(*w);
    for (size_t e = 0; e < wv.size(); ++e) {
      wv[e] *= k[static_cast<size_t>(layout->channel_of(static_cast<int64_t>(e)))];
    }

    const std::string base = conv.name().empty() ? conv.input(wi) : conv.name();
    candidates.insert(conv.input(wi));
    if (b) candidates.insert(conv.input(bi));
    for (int q = 1; q < 5; ++q) candidates.insert(bn.input(q));
    f.store(conv, wi, wv, wshape, base + "_weight_bn");
    // A new bias takes the weight's name with "weight" -> "bias" ("stem.weight" -> "stem.bias",
    // PyTorch's convention) when the weight is named that way.
    const std::string& wname = conv.input(wi);
    const bool torch_style = wname.size() > 6 && wname.compare(wname.size() - 6, 6, "weight") == 0;
    f.store(conv, bi, bias, Shape{channels},
            torch_style ? wname.substr(0, wname.size() - 6) + "bias" : base + "_bias_bn");
    if (op == "Gemm" && beta != 1.0) {
      for (auto& a : *conv.mutable_attribute()) {
        if (a.name() == "beta") a.set_f(1.0f);
      }
    }
    stale.insert(x);
    for (const auto& o : bn.output()) {
      if (!o.empty() && o != bn.output(0)) stale.insert(o);
    }
    conv.set_output(0, bn.output(0));
    remove[static_cast<size_t>(i)] = true;
    ++fused;
    if (ctx.stage) {
      report::LayerRecord rec;
      rec.name = conv.name();
      rec.op = op;
      rec.params = wn + channels;
      rec.metrics["fused_bn"] = 1;
      rec.attrs["batchnorm"] = bn.name();
      ctx.stage->layers.push_back(std::move(rec));
    }
    ctx.log().debug("fuse-bn: folded {} into {}", describe_node(bn), describe_node(conv));
  }
  erase_nodes(g, remove);
  erase_value_infos(g, stale);
  counts.dropped += erase_unused_initializers(g, candidates);
  if (!f.main) counts.in_subgraphs += fused - fused_before;
}

// The graph, then every subgraph inside it, depth first.
void fuse_recursively(Model& model, onnx::GraphProto& g, bool main, std::set<std::string>& taken, PassContext& ctx,
                      FuseCounts& counts) {
  {
    Fuser f(model, g, main, taken);
    fuse_graph(f, ctx, counts);
  }
  {
    Fuser f(model, g, main, taken);  // a fresh index: the BN folds renamed outputs
    fold_bias_adds(f, ctx, counts);
  }
  for (auto& node : *g.mutable_node()) {
    for (onnx::GraphProto* sub : mutable_subgraphs_of(node)) fuse_recursively(model, *sub, false, taken, ctx, counts);
  }
}

}  // namespace

void FuseBatchNorm::run(Model& model, PassContext& ctx) {
  std::set<std::string> taken = all_names(model.graph());
  FuseCounts counts;
  fuse_recursively(model, model.graph(), true, taken, ctx, counts);
  const int skipped_overridable = counts.skipped_overridable;
  if (ctx.stage) {
    ctx.stage->metrics["fused_bn"] = counts.fused;
    ctx.stage->metrics["removed_initializers"] = counts.dropped;
    ctx.stage->metrics["fused_bias_add"] = counts.bias_adds;
    if (counts.in_subgraphs > 0) ctx.stage->metrics["fused_bn_in_subgraphs"] = counts.in_subgraphs;
  }
  if (skipped_overridable > 0) {
    const std::string why = std::to_string(skipped_overridable) +
                            " BatchNormalization nodes not folded: their weights are graph inputs a caller may "
                            "override (run remove-initializer-inputs first to make them constants)";
    if (ctx.stage) ctx.stage->notes.push_back(why);
    ctx.log().warn("fuse-bn: {}", why);
  }
}

}  // namespace edge::pass
