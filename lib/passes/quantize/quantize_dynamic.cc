// quantize-dynamic: int8 weights, activations quantized at run time (no calibration).
//
//   Before:  y = Gemm<transB=1>(x, W, C)       After:  x_q, x_s, x_z = DynamicQuantizeLinear(x)   (once per x)
//                                                      acc = MatMulInteger(x_q, Wq[K, N], x_z)
//                                                      s   = Mul(x_s, W_scale[N])          (alpha folded in)
//                                                      y   = Add(Mul(Cast<float>(acc), s), beta * C)
//   Conv:    acc = ConvInteger(x_q, Wq, x_z) (same attributes), scales and bias as [1, M, 1, 1]
//   GRU/LSTM/RNN: W and R int8 per gate row through DequantizeLinear; compute stays float
//            (ONNX Runtime's quantized recurrent op, com.microsoft DynamicQuantizeLSTM, has no
//            edge-run kernel and no GRU form).
// Weights are symmetric int8 (zero point 0, grid [-127, 127]; 7-bit with reduce_range), per
// output channel by default: the per-channel scale is applied after the integer product, so
// MatMulInteger/ConvInteger see per-tensor zero points only (ONNX Runtime's ConvInteger takes
// nothing else). Activations are uint8 asymmetric per tensor (DynamicQuantizeLinear).
#include <array>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "passes/quantize/op_quantizer.h"
#include "passes/quantize/opset_raise.h"
#include "passes/quantize/quantizer.h"
#include "passes/quantize/quant_recurrent.h"
#include "passes/quantize/weight_layers.h"
#include "passes/quantize/weight_quant_passes.h"

namespace edge::pass {

const char* QuantizeDynamic::summary() {
  return "dynamic int8: weights int8, activations quantized at run time (MatMulInteger, ConvInteger); GRU/LSTM "
         "weights int8";
}

std::vector<OptionSpec> QuantizeDynamic::options() {
  return {
      {"per_channel", OptionType::kBool, "true", "weights: one scale per output channel (else per tensor)", {}},
      {"reduce_range", OptionType::kBool, "false", "7-bit weights, for CPUs without VNNI/sdot (int16 saturation)", {}},
      {"conv", OptionType::kBool, "true", "Conv through ConvInteger (else Conv stays float)", {}},
      {"recurrent", OptionType::kBool, "true", "GRU/LSTM/RNN weights int8 through DequantizeLinear", {}},
  };
}

std::string QuantizeDynamic::check_input(const Model& model) {
  const std::string q = quant::quantized_node(model);
  return q.empty() ? "" : model.name() + " is already quantized (" + q + "); quantize-dynamic takes a float model";
}

namespace {

using quant::layer_name;
using quant::make_node;

constexpr int kDqlOpset = 11;

struct Rewriter {
  Model& m;
  std::set<std::string> taken;
  std::map<std::string, std::array<std::string, 3>> dql;  // x -> x_q, x_scale, x_zero_point
  std::vector<onnx::NodeProto>* out = nullptr;

  std::string fresh(const std::string& base) { return fresh_name(taken, base); }
  std::string init(const Tensor& t, const std::string& base) {
    const std::string n = fresh(base);
    add_initializer(m, t, n);
    return n;
  }
  // DynamicQuantizeLinear of x, emitted before the first layer that reads it.
  const std::array<std::string, 3>& quantized(const std::string& x, std::vector<onnx::NodeProto>& nodes) {
    auto it = dql.find(x);
    if (it != dql.end()) return it->second;
    std::array<std::string, 3> q = {fresh(x + "_quantized"), fresh(x + "_scale"), fresh(x + "_zero_point")};
    nodes.push_back(make_node("DynamicQuantizeLinear", {x}, {q[0], q[1], q[2]}, fresh(x + "_DynamicQuantizeLinear")));
    return dql.emplace(x, q).first->second;
  }
  // float y = Cast(acc) * (x_scale * w_scale) [+ bias]; scale/bias shaped `bshape`.
  void rescale(std::vector<onnx::NodeProto>& nodes, const std::string& name, const std::string& acc,
               const std::string& x_scale, const quant::QuantizedWeight& w, const Tensor* bias, const Shape& bshape,
               const std::string& y) {
    const std::string f = fresh(acc + "_float");
    onnx::NodeProto cast = make_node("Cast", {acc}, {f}, fresh(name + "_Cast"));
    quant::set_int_attribute(cast, "to", onnx::TensorProto::FLOAT);
    nodes.push_back(cast);
    Tensor ws = w.axis >= 0 ? w.scale().reshaped(bshape) : w.scale();
    const std::string wsn = init(ws, name + "_weight_scale");
    const std::string s = fresh(name + "_scale");
    nodes.push_back(make_node("Mul", {x_scale, wsn}, {s}, fresh(name + "_scale_Mul")));
    const std::string scaled = bias ? fresh(name + "_scaled") : y;
    nodes.push_back(make_node("Mul", {f, s}, {scaled}, fresh(name + "_Mul")));
    if (bias) {
      const std::string bn = init(bias->reshaped(bshape), name + "_bias");
      nodes.push_back(make_node("Add", {scaled, bn}, {y}, fresh(name + "_bias_Add")));
    }
  }
};

quant::WeightOptions weight_opts(const LayerOptions& lo) {
  quant::WeightOptions w;
  w.per_channel = lo.get_bool("per_channel");
  w.reduce_range = lo.get_bool("reduce_range");
  return w;
}

std::string weight_kind(const quant::QuantizedWeight& q, const quant::WeightOptions& o) {
  return std::string("s8 ") + (q.axis >= 0 ? "per-channel" : "per-tensor") + " symmetric" +
         (o.reduce_range ? " 7-bit" : "");
}

quant::ErrorStats error_of(const Tensor& w, const quant::QuantizedWeight& q) {
  std::vector<float> approx(static_cast<size_t>(w.numel()));
  int64_t inner = 1, n = 1;
  if (q.axis >= 0) {
    n = w.dim(q.axis);
    for (int d = q.axis + 1; d < w.rank(); ++d) inner *= w.dim(d);
  }
  for (int64_t e = 0; e < w.numel(); ++e) {
    const size_t c = q.axis >= 0 ? static_cast<size_t>((e / inner) % n) : 0;
    approx[static_cast<size_t>(e)] = static_cast<float>(q.values.data<int8_t>()[e]) * q.scales[c];
  }
  return quant::weight_error(w, approx);
}

}  // namespace

void QuantizeDynamic::run(Model& model, PassContext& ctx) {
  if (const std::string why = check_input(model); !why.empty()) fail(why);  // also after earlier stages
  std::vector<std::string> notes;
  if (const int opset = model.opset(); opset < kDqlOpset) {
    const std::string blocker = quant::opset_raise_blocker(model, 13);
    if (!blocker.empty()) {
      fail_unsupported(model.name() + ": ai.onnx opset " + std::to_string(opset) +
                       " has no DynamicQuantizeLinear (needs 11) and cannot be raised: " + blocker);
    }
    quant::raise_opset(model, 13);
    notes.push_back("ai.onnx opset raised from " + std::to_string(opset) + " to 13 for DynamicQuantizeLinear");
  }
  model.infer_shapes();
  const std::set<std::string> fed = fed_inputs(model);
  const GraphIndex index(model.graph());
  Rewriter rw{model, all_names(model.graph()), {}, nullptr};
  std::map<int, std::vector<onnx::NodeProto>> replace;
  std::set<std::string> maybe_unused;
  std::vector<report::LayerRecord> rows;
  int converted = 0, left_float = 0;
  const bool per_axis_dq = model.opset() >= 13;
  for (int i = 0; i < model.graph().node_size(); ++i) {
    const onnx::NodeProto n = model.graph().node(i);
    const std::string& op = n.op_type();
    const bool linear = op == "MatMul" || op == "Gemm";
    const bool conv = op == "Conv";
    const bool recurrent = op == "GRU" || op == "LSTM" || op == "RNN";
    if ((!linear && !conv && !recurrent) || (!n.domain().empty() && n.domain() != "ai.onnx")) continue;
    const LayerOptions lo = ctx.for_layer(n);
    auto keep_float = [&](const std::string& why) {
      rows.push_back(quant::float_row(n, why));
      ++left_float;
    };
    if (lo.excluded) {
      keep_float("excluded by a layer rule");
      continue;
    }
    if (index.elem_type(n.input(0)) != onnx::TensorProto::FLOAT) {
      keep_float("input is not float32");
      continue;
    }
    const quant::WeightOptions wo = weight_opts(lo);
    std::vector<onnx::NodeProto> nodes;
    if (linear) {
      const quant::Candidate c = quant::linear_layer(model, i, fed);
      if (!c.reason.empty()) {
        keep_float(c.reason);
        continue;
      }
      const quant::LinearLayer& l = c.linear;
      const quant::QuantizedWeight q = quant::quantize_weight(l.w_kn, 1, wo);
      const auto& xq = rw.quantized(l.input, nodes);
      const std::string wn = rw.init(q.values, l.weight + "_quantized");
      const std::string acc = rw.fresh(layer_name(n) + "_int32");
      const std::string mm_name = rw.fresh(layer_name(n) + "_MatMulInteger");
      nodes.push_back(make_node("MatMulInteger", {xq[0], wn, xq[2]}, {acc}, mm_name));
      rw.rescale(nodes, layer_name(n), acc, xq[1], q, l.bias.defined() ? &l.bias : nullptr, {l.w_kn.dim(1)},
                 n.output(0));
      const quant::ErrorStats err = error_of(l.w_kn, q);
      rows.push_back(quant::converted_row(n, "int8 dynamic", weight_kind(q, wo), wo.reduce_range ? 7 : 8, &err,
                                          l.w_kn.numel()));
      maybe_unused.insert(l.weight);
      if (!l.bias_name.empty()) maybe_unused.insert(l.bias_name);
    } else if (conv) {
      if (!lo.get_bool("conv")) {
        keep_float("conv=false");
        continue;
      }
      const onnx::TensorProto* wp = quant::float_weight(model, fed, n.input(1));
      const bool has_bias = n.input_size() > 2 && !n.input(2).empty();
      const onnx::TensorProto* bp = has_bias ? quant::float_weight(model, fed, n.input(2)) : nullptr;
      if (!wp || (has_bias && !bp)) {
        keep_float("weight or bias is not a constant float32 initializer");
        continue;
      }
      const Tensor w = read_initializer(model, *wp);
      const quant::QuantizedWeight q = quant::quantize_weight(w, 0, wo);
      const auto& xq = rw.quantized(n.input(0), nodes);
      const std::string wn = rw.init(q.values, n.input(1) + "_quantized");
      const std::string acc = rw.fresh(layer_name(n) + "_int32");
      const std::string ci_name = rw.fresh(layer_name(n) + "_ConvInteger");
      onnx::NodeProto ci = make_node("ConvInteger", {xq[0], wn, xq[2]}, {acc}, ci_name);
      for (const auto& a : n.attribute()) *ci.add_attribute() = a;
      nodes.push_back(ci);
      Shape bshape(static_cast<size_t>(w.rank()), 1);
      bshape[1] = w.dim(0);
      const Tensor bias = bp ? read_initializer(model, *bp) : Tensor();
      rw.rescale(nodes, layer_name(n), acc, xq[1], q, bp ? &bias : nullptr, bshape, n.output(0));
      const quant::ErrorStats err = error_of(w, q);
      rows.push_back(quant::converted_row(n, "int8 dynamic", weight_kind(q, wo), wo.reduce_range ? 7 : 8, &err,
                                          w.numel()));
      maybe_unused.insert(n.input(1));
      if (bp) maybe_unused.insert(n.input(2));
    } else {
      if (!lo.get_bool("recurrent")) {
        keep_float("recurrent=false");
        continue;
      }
      quant::RecurrentWeights w = quant::dequantize_recurrent_weights(model, rw.taken, fed, n, per_axis_dq ? 1 : -1);
      if (w.nodes.empty()) {
        keep_float("weights W and R are not constant float32 initializers");
        continue;
      }
      maybe_unused.insert(w.replaced.begin(), w.replaced.end());
      nodes = std::move(w.nodes);
      rows.push_back(quant::converted_row(n, "int8 weights, float compute", w.kind(), 8, &w.error, w.params));
    }
    replace[i] = std::move(nodes);
    ++converted;
  }
  quant::rewrite_nodes(model, replace, maybe_unused);
  if (ctx.stage) {
    auto& s = *ctx.stage;
    s.columns = {"precision", "weights", "bits", "sqnr_db", "mse", "reason"};
    for (auto& r : rows) s.layers.push_back(std::move(r));
    s.metrics["quantized_layers"] = converted;
    s.metrics["float_layers"] = left_float;
    s.metrics["dynamic_quantize_nodes"] = static_cast<double>(rw.dql.size());
    for (auto& nt : notes) s.notes.push_back(nt);
    s.notes.push_back(
        "activations: uint8 asymmetric per tensor, computed at run time by DynamicQuantizeLinear (one per input "
        "value); weights int8 symmetric; the per-channel scale and the bias are applied in float after "
        "MatMulInteger/ConvInteger");
    s.notes.push_back(
        "GRU/LSTM/RNN: weights int8 through DequantizeLinear, compute float: ONNX Runtime's quantized form "
        "(com.microsoft DynamicQuantizeLSTM) has no edge-run kernel and no GRU variant");
    s.notes.push_back("sqnr_db / mse: the dequantized weight against the float weight");
    s.notes.push_back("only float models are taken (an already-quantized model is refused)");
  }
  ctx.log().info("quantize-dynamic: {} layers quantized, {} float", converted, left_float);
}

}  // namespace edge::pass
