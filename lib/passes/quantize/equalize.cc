// equalize: cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization") of
// Conv -> [Relu | LeakyRelu | Clip] -> Conv chains, depthwise convolutions included. A float
// to float rewrite that runs before quantization (after fuse-bn): it moves weight range
// between consecutive layers so that every output channel of the first and the matching
// input channel of the second have the same range, which per-tensor (and, less so,
// per-channel) int8 weights lose less on.
//
// Before:                          After (per channel c of t, s[c] > 0):
//   t = Conv(x, W1, b1)              t' = Conv(x, W1', b1')   W1'[c, ...] = W1[c, ...] / s[c]
//   r = Relu(t)                      r' = Relu(t')            b1'[c] = b1[c] / s[c]
//   y = Conv(r, W2, b2)              y  = Conv(r', W2', b2)   W2'[:, c, ...] = W2[:, c, ...] * s[c]
//
// with s[c] = sqrt(r1[c] / r2[c]), r1[c] = max |W1[c, ...]| and r2[c] = max |W2[:, c, ...]|
// (input channel c of a grouped Conv: its slice in the weights of its group), so that both
// ranges become sqrt(r1[c] r2[c]). y is unchanged because Relu, LeakyRelu and a Clip with
// lower bound 0 commute with a positive scale. A chain of several layers (MobileNet's
// pointwise -> depthwise -> pointwise) is swept pair by pair until the scales settle.
//
// A Clip with a finite upper bound hi (ReLU6) does not commute: Clip(t / s, 0, hi) clips
// channel c at hi * s instead of hi. With `bounded_clip=data` (the default; it needs
// calibration data) the pass measures each channel's largest pre-activation value m[c] on the
// calibration data: a channel that reaches hi (m[c] > hi) keeps s = 1, the others are scaled
// only as far as t'[c] stays below hi (s[c] >= m[c] / hi overall), so the Clip never acts on
// them, as before, on the calibration data. Inputs that drive such a channel past hi outside
// that data see a slightly different clip. `bounded_clip=block` (or no calibration data) never
// scales across a bounded Clip. A Clip with a lower bound other than 0 (or -inf) always blocks.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "ir/graph_edit.h"
#include "ir/node_attrs.h"
#include "ir/op_traits.h"
#include "ir/tensor_proto.h"
#include "passes/quantize/channel_stats.h"
#include "passes/quantize/op_quantizer.h"
#include "passes/quantize/quantize_accuracy_passes.h"

namespace edge::pass {

const char* Equalize::summary() {
  return "cross-layer equalization of Conv -> Relu/Clip -> Conv chains (depthwise too); float to float, before "
         "quantize-static";
}

std::vector<OptionSpec> Equalize::options() {
  return {
      {"iterations",
       OptionType::kInt,
       "20",
       "sweeps over the chains (stops earlier when the scales settle)",
       {},
       1,
       1000},
      {"bounded_clip",
       OptionType::kString,
       "data",
       "Clip with a finite upper bound (ReLU6): data = scale channels the calibration data keeps below it; block = "
       "never scale across it",
       {"data", "block"}},
      {"samples", OptionType::kInt, "0", "calibration samples for the channel maxima (0 = all)", {}, 0, 1e9},
  };
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMaxScale = 1e4;  // keeps nearly dead channels from producing huge weights

// A Conv whose weight (and bias) are float32 initializers only it reads.
struct Layer {
  int node = -1;
  std::string weight, bias;  // initializer names ("" = no bias)
  Tensor w, b;
  WeightChannels out;  // output channel of each weight element
  int64_t groups = 1, in_channels = 0;

  // Input channel of flat weight element e: [M, C/G, k...], group of output o is o / (M/G).
  int64_t in_channel_of(int64_t e) const {
    const Shape& s = out.weight_shape;
    int64_t k = 1;
    for (size_t d = 2; d < s.size(); ++d) k *= s[d];
    const int64_t per_group_in = s[1], per_group_out = s[0] / groups;
    const int64_t o = e / (per_group_in * k), j = (e / k) % per_group_in;
    return (o / per_group_out) * per_group_in + j;
  }
  std::vector<double> out_ranges() const {
    std::vector<double> r(static_cast<size_t>(out.channels), 0.0);
    const float* p = w.data<float>();
    for (int64_t e = 0; e < w.numel(); ++e) {
      double& m = r[static_cast<size_t>(out.channel_of(e))];
      m = std::max(m, static_cast<double>(std::fabs(p[e])));
    }
    return r;
  }
  std::vector<double> in_ranges() const {
    std::vector<double> r(static_cast<size_t>(in_channels), 0.0);
    const float* p = w.data<float>();
    for (int64_t e = 0; e < w.numel(); ++e) {
      double& m = r[static_cast<size_t>(in_channel_of(e))];
      m = std::max(m, static_cast<double>(std::fabs(p[e])));
    }
    return r;
  }
};

struct Pair {
  int a = -1, b = -1;           // producer and consumer layers (node indices)
  std::string activation = "";  // op between them, "" when none
  std::string pre;              // the producer's output (pre-activation)
  double hi = kInf;             // the activation's finite upper bound, else inf
  std::vector<double> pre_max;  // bounded: per-channel max of `pre` on calibration data
  std::vector<double> total;    // product of the scales applied to each channel so far
  int64_t blocked = 0;          // channels kept at scale 1 by the bound
  bool bounded() const { return hi < kInf; }
};

// The Conv at node i as a Layer, when its weight and bias are float32 initializers that only it
// reads.
std::optional<Layer> conv_layer(const quant::QuantGraph& g, int i) {
  const auto& n = g.graph().node(i);
  if (!is_onnx_op(n) || n.op_type() != "Conv" || n.input_size() < 2 || n.output_size() != 1) return std::nullopt;
  auto sole_float_init = [&](const std::string& name) -> const onnx::TensorProto* {
    const onnx::TensorProto* t = g.initializer(name);
    if (!t || t->data_type() != onnx::TensorProto::FLOAT) return nullptr;
    if (g.index().consumers(name).size() != 1 || g.is_graph_output(name) || g.read_by_subgraph(name)) return nullptr;
    return t;
  };
  Layer l;
  l.node = i;
  l.weight = n.input(1);
  const auto* w = sole_float_init(l.weight);
  if (!w) return std::nullopt;
  l.w = read_initializer(g.model(), *w);
  if (l.w.rank() < 3) return std::nullopt;
  if (n.input_size() > 2 && !n.input(2).empty()) {
    l.bias = n.input(2);
    const auto* b = sole_float_init(l.bias);
    if (!b) return std::nullopt;
    l.b = read_initializer(g.model(), *b);
  }
  auto layout = weight_channels(n, l.w.shape());
  if (!layout) return std::nullopt;
  l.out = *layout;
  l.groups = NodeAttrs(n).get_int("group", 1);
  if (l.groups <= 0 || l.w.dim(0) % l.groups != 0) return std::nullopt;
  l.in_channels = l.w.dim(1) * l.groups;
  if (!l.bias.empty() && l.b.numel() != l.out.channels) return std::nullopt;
  return l;
}

// Whether `act` commutes with a positive per-channel scale, and its upper bound.
bool homogeneous(const onnx::NodeProto& act, const quant::QuantGraph& g, double* hi) {
  const auto* q = quant::QuantizerRegistry::builtin().find(act);
  if (!q) return false;
  const auto& op = act.op_type();
  if (op != "Relu" && op != "LeakyRelu" && op != "Clip") return false;
  const quant::NodeQuant a = q->analyze(act, g, quant::Format::kQdq);
  if (a.kind != quant::NodeQuant::kActivation) return false;
  const double big = std::numeric_limits<float>::max();
  if (a.lo != 0 && a.lo > -big) return false;
  *hi = a.hi >= big ? kInf : a.hi;
  return *hi > 0;
}

}  // namespace

void Equalize::run(Model& model, PassContext& ctx) {
  // Value types for the activation analysis (a copy: only weights change in `model`).
  Model shaped = model;
  shaped.infer_shapes();
  const quant::QuantGraph g(shaped);
  std::map<int, Layer> layers;
  std::vector<Pair> pairs;
  int skipped_bounded = 0;
  const bool use_data = opts_.get_string("bounded_clip") == "data" && !ctx.calib.empty();
  for (int bi = 0; bi < g.graph().node_size(); ++bi) {
    const auto& bn = g.graph().node(bi);
    if (!is_onnx_op(bn) || bn.op_type() != "Conv" || bn.input_size() < 1) continue;
    Pair p;
    p.b = bi;
    std::string v = bn.input(0);
    auto single = [&](const std::string& x) {
      return g.index().consumers(x).size() == 1 && !g.is_graph_output(x) && !g.read_by_subgraph(x);
    };
    if (!single(v)) continue;
    int prod = g.index().producer(v);
    if (prod < 0) continue;
    const auto& pn = g.graph().node(prod);
    if (pn.op_type() != "Conv") {
      if (!homogeneous(pn, g, &p.hi)) continue;
      p.activation = pn.op_type();
      v = pn.input(0);
      if (!single(v)) continue;
      prod = g.index().producer(v);
      if (prod < 0) continue;
    }
    p.a = prod;
    p.pre = v;
    const auto& an = g.graph().node(p.a);
    if (ctx.layer_excluded(an.name()) || ctx.layer_excluded(bn.name())) continue;
    for (int i : {p.a, p.b}) {
      if (!layers.count(i)) {
        if (auto l = conv_layer(g, i)) layers.emplace(i, std::move(*l));
      }
    }
    if (!layers.count(p.a) || !layers.count(p.b)) continue;
    if (layers.at(p.a).out.channels != layers.at(p.b).in_channels) continue;
    if (p.bounded() && !use_data) {
      ++skipped_bounded;
      continue;
    }
    p.total.assign(static_cast<size_t>(layers.at(p.a).out.channels), 1.0);
    pairs.push_back(std::move(p));
  }

  // Bounded activations: which channels reach the bound, from the calibration data.
  std::map<std::string, int> wanted;
  for (const auto& p : pairs) {
    if (p.bounded()) wanted[p.pre] = 1;
  }
  if (!wanted.empty()) {
    rt::SessionOptions so = ctx.session_options;
    so.fuse = false;
    auto session = rt::Session::create(model, so);
    auto data = ctx.open(ctx.calib);
    const auto stats = quant::channel_stats(*session, *data, wanted, opts_.get_int("samples"), ctx.calib.batch);
    for (auto& p : pairs) {
      if (!p.bounded()) continue;
      p.pre_max = stats.at(p.pre).max;
      if (p.pre_max.size() != p.total.size()) fail_internal("equalize: channel count of '" + p.pre + "' differs");
    }
  }

  // Sweeps: each pair moves range between its two layers.
  std::map<int, std::vector<double>> spread_before;
  for (const auto& p : pairs) spread_before[p.a] = layers.at(p.a).out_ranges();
  int sweeps = 0;
  for (int it = 0; it < opts_.get_int("iterations") && !pairs.empty(); ++it) {
    ++sweeps;
    double largest = 0;  // largest |log s| this sweep
    for (auto& p : pairs) {
      Layer& a = layers.at(p.a);
      Layer& b = layers.at(p.b);
      const std::vector<double> r1 = a.out_ranges(), r2 = b.in_ranges();
      std::vector<double> s(r1.size(), 1.0);
      p.blocked = 0;
      for (size_t c = 0; c < s.size(); ++c) {
        if (r1[c] > 0 && r2[c] > 0) s[c] = std::clamp(std::sqrt(r1[c] / r2[c]), 1 / kMaxScale, kMaxScale);
        if (p.bounded()) {
          if (p.pre_max[c] > p.hi) {  // the Clip acts on this channel: keep it as it is
            s[c] = 1.0 / p.total[c];
            ++p.blocked;
          } else {  // keep t / total below hi on the calibration data
            s[c] = std::max(s[c], p.pre_max[c] / (p.hi * p.total[c]));
          }
        }
        p.total[c] *= s[c];
        largest = std::max(largest, std::fabs(std::log(s[c])));
      }
      float* wa = a.w.data<float>();
      for (int64_t e = 0; e < a.w.numel(); ++e)
        wa[e] = static_cast<float>(wa[e] / s[static_cast<size_t>(a.out.channel_of(e))]);
      if (!a.bias.empty()) {
        float* ba = a.b.data<float>();
        for (int64_t c = 0; c < a.b.numel(); ++c) ba[c] = static_cast<float>(ba[c] / s[static_cast<size_t>(c)]);
      }
      float* wb = b.w.data<float>();
      for (int64_t e = 0; e < b.w.numel(); ++e)
        wb[e] = static_cast<float>(wb[e] * s[static_cast<size_t>(b.in_channel_of(e))]);
    }
    if (largest < 1e-4) break;
  }

  // Report rows and write the weights back.
  auto spread = [](const std::vector<double>& r) {
    double lo = kInf, hi = 0;
    for (double x : r) {
      if (x > 0) lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    return hi > 0 ? hi / lo : 1.0;
  };
  int64_t blocked = 0;
  for (const auto& p : pairs) {
    blocked += p.blocked;
    if (!ctx.stage) continue;
    const auto& an = g.graph().node(p.a);
    report::LayerRecord rec;
    rec.name = an.name();
    rec.op = "Conv" + (p.activation.empty() ? std::string() : "+" + p.activation);
    rec.params = layers.at(p.a).w.numel();
    rec.attrs["next"] = g.graph().node(p.b).name();
    rec.metrics["channels"] = static_cast<double>(p.total.size());
    rec.metrics["blocked_channels"] = static_cast<double>(p.blocked);
    rec.metrics["range_spread_before"] = spread(spread_before.at(p.a));
    rec.metrics["range_spread_after"] = spread(layers.at(p.a).out_ranges());
    rec.metrics["scale_min"] = *std::min_element(p.total.begin(), p.total.end());
    rec.metrics["scale_max"] = *std::max_element(p.total.begin(), p.total.end());
    ctx.stage->layers.push_back(std::move(rec));
  }
  auto& graph = model.graph();
  for (auto& init : *graph.mutable_initializer()) {
    for (const auto& [i, l] : layers) {
      if (init.name() == l.weight) init = tensor_to_proto(l.w, l.weight);
      if (!l.bias.empty() && init.name() == l.bias) init = tensor_to_proto(l.b, l.bias);
    }
  }
  if (ctx.stage) {
    ctx.stage->columns = {
        "channels", "blocked_channels", "range_spread_before", "range_spread_after", "scale_min", "scale_max", "next"};
    ctx.stage->metrics["equalized_pairs"] = static_cast<double>(pairs.size());
    ctx.stage->metrics["sweeps"] = sweeps;
    ctx.stage->metrics["blocked_channels"] = static_cast<double>(blocked);
    if (skipped_bounded > 0) {
      ctx.stage->metrics["skipped_bounded_pairs"] = skipped_bounded;
      ctx.stage->notes.push_back(
          std::to_string(skipped_bounded) +
          " pairs not equalized: a Clip with a finite upper bound lies between them (" +
          (ctx.calib.empty() ? "give --calib-data to scale the channels that stay below it" : "bounded_clip=block") +
          ")");
    }
    if (!wanted.empty()) {
      ctx.stage->notes.push_back(
          "bounded Clips: channels whose pre-activation exceeds the bound on the calibration data keep scale 1; the "
          "others stay below it (" +
          std::to_string(blocked) + " channels kept)");
    }
  }
  ctx.log().info("equalize: {} pairs, {} sweeps, {} channels held by a Clip bound", pairs.size(), sweeps, blocked);
}

}  // namespace edge::pass
