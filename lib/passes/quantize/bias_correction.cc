// bias-correction: empirical bias correction of a quantized model (Nagel et al. 2019; NNCF and
// AIMET do the same). Int8 weights shift the mean of a layer's output: per output channel c,
// E[y_int8[c]] - E[y_float[c]] is rarely 0 (a depthwise layer with 9 weights a channel is
// where it shows). The pass measures that shift on the calibration data, float model against
// quantized model, and subtracts it from the layer's int32 bias:
//
// Before (QDQ form from quantize-static):     After:
//   b  = DequantizeLinear(B_q, B_s)              b = DequantizeLinear(B_q', B_s)
//   y  = Conv(x_dq, W_dq, b)                     y = Conv(x_dq, W_dq, b)
//                                                B_q'[c] = B_q[c] - round(e[c] / B_s[c]),
//                                                e[c] = mean(y_quantized[c]) - mean(y_float[c])
//
// The layers are corrected one after the other in graph order, each measured with the layers
// before it already corrected (their correction changes its input). The float reference is the
// model quantize-static (or quantize-auto) started from, which it leaves in the PassContext:
// bias-correction must follow one of them in the same pipeline, and works on the QDQ form (a
// QOperator model's layer outputs are not observable before their requantization). A layer
// keeps its bias when the shift rounds to 0 in bias units. Layers: Conv, ConvTranspose and Gemm
// with a bias, and Conv / MatMul whose bias is a folded Add (MatMul+Add); a layer without a
// bias is left as it is.
#include <cmath>
#include <limits>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/op_traits.h"
#include "ir/tensor_proto.h"
#include "passes/quantize/channel_stats.h"
#include "passes/quantize/quantize_accuracy_passes.h"
#include "passes/quantize/quantizer.h"

namespace edge::pass {

const char* BiasCorrection::summary() {
  return "after quantize-static (QDQ): fold each int8 layer's mean output shift, measured on --calib-data, into its "
         "int32 bias";
}

std::vector<OptionSpec> BiasCorrection::options() {
  return {
      {"samples", OptionType::kInt, "256", "calibration samples measured per layer (0 = all)", {}, 0, 1e9},
  };
}

namespace {

struct BiasedLayer {
  std::string name, op;
  std::string value;       // the compared output (the layer's or its bias Add's) in both models
  std::string q_value;     // its name in the quantized model
  std::string bias_q;      // int32 initializer
  std::string bias_scale;  // its scale initializer
  int axis = 1;            // channel axis of the value
};

bool is_qoperator_op(const onnx::NodeProto& n) {
  return n.op_type().rfind("QLinear", 0) == 0 || n.op_type() == "MatMulInteger" || n.op_type() == "ConvInteger";
}

// The int32 bias read through a DequantizeLinear at `value`, as (int32 initializer, scale).
std::optional<std::pair<std::string, std::string>> dequantized_bias(const onnx::GraphProto& g, const GraphIndex& idx,
                                                                    const std::string& value) {
  const int p = idx.producer(value);
  if (p < 0) return std::nullopt;
  const auto& d = g.node(p);
  if (d.op_type() != "DequantizeLinear" || d.input_size() < 2) return std::nullopt;
  const auto* init = idx.initializer(d.input(0));
  if (!init || init->data_type() != onnx::TensorProto::INT32 || !idx.initializer(d.input(1))) return std::nullopt;
  return std::make_pair(d.input(0), d.input(1));
}

std::vector<BiasedLayer> find_layers(const Model& m, const Model& reference, PassContext& ctx) {
  const auto& g = m.graph();
  const GraphIndex idx(g);
  std::map<std::string, const onnx::NodeProto*> ref_nodes;
  for (const auto& n : reference.graph().node()) ref_nodes[n.name()] = &n;
  auto ref_output = [&](const onnx::NodeProto& n) -> std::string {
    auto it = ref_nodes.find(n.name());
    if (it == ref_nodes.end() || it->second->op_type() != n.op_type() || it->second->output_size() < 1) return "";
    return it->second->output(0);
  };
  std::vector<BiasedLayer> out;
  for (int i : idx.topological_order()) {
    const auto& n = g.node(i);
    const std::string& op = n.op_type();
    if (!is_onnx_op(n) || (op != "Conv" && op != "ConvTranspose" && op != "Gemm" && op != "MatMul")) continue;
    if (n.output_size() != 1 || ctx.layer_excluded(n.name())) continue;
    BiasedLayer l;
    l.name = n.name();
    l.op = op;
    l.axis = (op == "Conv" || op == "ConvTranspose") ? 1 : -1;
    const int bi = op_traits(n).bias_input;
    if (bi >= 0 && n.input_size() > bi && !n.input(bi).empty()) {
      auto b = dequantized_bias(g, idx, n.input(bi));
      if (!b) continue;
      std::tie(l.bias_q, l.bias_scale) = *b;
      l.value = ref_output(n);
      l.q_value = n.output(0);
    } else {  // a bias Add folded into the layer: Add(y, DequantizeLinear(int32))
      const auto& readers = idx.consumers(n.output(0));
      if (readers.size() != 1) continue;
      const auto& add = g.node(readers[0]);
      if (add.op_type() != "Add" || add.input_size() != 2) continue;
      const std::string other = add.input(add.input(0) == n.output(0) ? 1 : 0);
      auto b = dequantized_bias(g, idx, other);
      if (!b) continue;
      std::tie(l.bias_q, l.bias_scale) = *b;
      l.op += "+Add";
      l.value = ref_output(add);
      l.q_value = add.output(0);
    }
    if (l.value.empty() || idx.consumers(l.bias_q).size() != 1) continue;
    out.push_back(std::move(l));
  }
  return out;
}

const onnx::TensorProto& initializer(const Model& m, const std::string& name) {
  for (const auto& t : m.graph().initializer()) {
    if (t.name() == name) return t;
  }
  fail_internal("bias-correction: no initializer '" + name + "'");
}

}  // namespace

void BiasCorrection::run(Model& model, PassContext& ctx) {
  if (!ctx.quantized_from) {
    fail(
        "bias-correction must follow quantize-static (or quantize-auto) in the same pipeline: it compares the "
        "quantized model with the float model they started from");
  }
  for (const auto& n : model.graph().node()) {
    if (is_qoperator_op(n)) {
      fail("bias-correction works on the QDQ form; " + describe_node(n) +
           " is QOperator (quantize with format=qdq, the default)");
    }
  }
  const Model& reference = *ctx.quantized_from;
  std::vector<BiasedLayer> layers = find_layers(model, reference, ctx);
  rt::SessionOptions so = ctx.session_options;
  so.fuse = false;  // the layer outputs as written, before their QuantizeLinear
  const int64_t samples = opts_.get_int("samples");
  std::map<std::string, int> ref_values;
  for (const auto& l : layers) ref_values[l.value] = l.axis;
  std::map<std::string, quant::ChannelStats> ref;
  if (!ref_values.empty()) {
    auto fs = rt::Session::create(reference, so);
    auto data = ctx.open(ctx.calib);
    if (data->count() == 0) fail(ctx.calib.path.string() + ": calibration data holds no samples");
    ref = quant::channel_stats(*fs, *data, ref_values, samples, ctx.calib.batch);
  }
  auto qs = layers.empty() ? nullptr : rt::Session::create(model, so);
  std::map<std::string, Tensor> corrected;
  int changed_layers = 0;
  int64_t changed_channels = 0;
  for (const auto& l : layers) {
    auto data = ctx.open(ctx.calib);
    const auto stats = quant::channel_stats(*qs, *data, {{l.q_value, l.axis}}, samples, ctx.calib.batch);
    const quant::ChannelStats& q = stats.at(l.q_value);
    const quant::ChannelStats& f = ref.at(l.value);
    Tensor bias = read_initializer(model, initializer(model, l.bias_q));
    const Tensor scale = read_initializer(model, initializer(model, l.bias_scale));
    const int64_t channels = bias.numel();
    if (static_cast<int64_t>(q.sum.size()) != channels || f.sum.size() != q.sum.size() ||
        (scale.numel() != 1 && scale.numel() != channels)) {
      continue;  // the bias does not index the output channels (a broadcast scalar)
    }
    double rms = 0, max_abs = 0;
    int64_t changed = 0;
    int32_t* b = bias.data<int32_t>();
    for (int64_t c = 0; c < channels; ++c) {
      const double e = q.mean(static_cast<size_t>(c)) - f.mean(static_cast<size_t>(c));
      rms += e * e;
      max_abs = std::max(max_abs, std::fabs(e));
      const double s = scale.get_double(scale.numel() == 1 ? 0 : c);
      if (!(s > 0)) continue;
      const double shifted = std::nearbyint(static_cast<double>(b[c]) - e / s);
      const double lim = std::numeric_limits<int32_t>::max();
      const int32_t v = static_cast<int32_t>(std::clamp(shifted, -lim, lim));
      changed += v != b[c];
      b[c] = v;
    }
    rms = std::sqrt(rms / static_cast<double>(channels));
    if (changed > 0) {
      qs->set_weight(l.bias_q, bias);
      corrected[l.bias_q] = bias;
      ++changed_layers;
      changed_channels += changed;
    }
    if (ctx.stage) {
      report::LayerRecord rec;
      rec.name = l.name;
      rec.op = l.op;
      rec.params = channels;
      rec.metrics["channels"] = static_cast<double>(channels);
      rec.metrics["changed_channels"] = static_cast<double>(changed);
      rec.metrics["shift_rms"] = rms;
      rec.metrics["shift_max"] = max_abs;
      ctx.stage->layers.push_back(std::move(rec));
    }
    ctx.log().debug("bias-correction: {}: mean shift rms {:.3g}, max {:.3g}, {} channels changed", l.name, rms, max_abs,
                    changed);
  }
  for (auto& init : *model.graph().mutable_initializer()) {
    if (auto it = corrected.find(init.name()); it != corrected.end()) init = tensor_to_proto(it->second, init.name());
  }
  if (ctx.stage) {
    ctx.stage->columns = {"channels", "changed_channels", "shift_rms", "shift_max"};
    ctx.stage->metrics["layers"] = static_cast<double>(layers.size());
    ctx.stage->metrics["corrected_layers"] = changed_layers;
    ctx.stage->metrics["corrected_channels"] = static_cast<double>(changed_channels);
    ctx.stage->notes.push_back(
        "shift_rms / shift_max: mean per-channel difference of each layer's output (before its activation), quantized "
        "minus float, on the first " +
        (samples > 0 ? std::to_string(samples) : std::string("all")) +
        " calibration samples, measured with the layers before it corrected; subtracted from its int32 bias");
  }
  ctx.log().info("bias-correction: {} of {} layers corrected ({} channels)", changed_layers, layers.size(),
                 changed_channels);
}

}  // namespace edge::pass
