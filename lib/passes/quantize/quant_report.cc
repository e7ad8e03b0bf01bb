#include "passes/quantize/quant_report.h"

#include <algorithm>

#include "ir/node_attrs.h"

namespace edge::pass::quant {
namespace {

std::string layer_name(const onnx::NodeProto& n) { return n.name().empty() ? n.output(0) : n.name(); }

std::string weight_kind(const LayerValues& lv, const WeightOptions& w) {
  std::string s = "s8 ";
  s += lv.weight->axis >= 0 ? "per-channel" : "per-tensor";
  s += w.symmetric ? " symmetric" : " asymmetric";
  if (w.reduce_range) s += " 7-bit";
  return s;
}

}  // namespace

std::vector<int> float_layers(const Quantizer& q) {
  std::vector<int> out;
  const auto& g = q.float_model().graph();
  const GraphIndex index(g);
  for (int i : q.plan().order) {
    const auto& n = g.node(i);
    if (q.plan().nodes[static_cast<size_t>(i)].q.kind != NodeQuant::kFloat) continue;
    if (n.op_type() == "Constant") continue;
    const bool float_out = std::any_of(n.output().begin(), n.output().end(), [&](const std::string& o) {
      return !o.empty() && index.elem_type(o) == onnx::TensorProto::FLOAT;
    });
    if (float_out) out.push_back(i);
  }
  return out;
}

void report_quantization(const Quantizer& q, const calib::Ranges& ranges,
                         const std::map<std::string, ErrorStats>& errors, const PassOptions& options,
                         report::StageRecord& stage) {
  const auto& g = q.float_model().graph();
  const QuantPlan& plan = q.plan();
  const QuantValues& v = q.values();
  stage.columns = {"precision", "scale",   "zero_point", "w_scale_min", "w_scale_max",
                   "clipped",   "sqnr_db", "mse",        "weights",     "reason"};
  int folded = 0;
  for (int i : plan.order) {
    const NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    if (p.q.kind != NodeQuant::kCompute) continue;
    const auto& n = g.node(i);
    report::LayerRecord rec;
    rec.name = layer_name(n);
    rec.op = n.op_type();
    if (p.bias_add >= 0) rec.op += "+Add";
    if (p.folded >= 0) {
      rec.op += "+" + g.node(p.folded).op_type();
      ++folded;
    }
    rec.attrs["precision"] = "int8";
    const QParams& out = v.params(p.output);
    rec.metrics["scale"] = out.scale;
    rec.metrics["zero_point"] = out.zero_point;
    if (const LayerValues* lv = v.layer(i); lv && lv->weight) {
      rec.params = lv->weight->values.numel();
      const auto [lo, hi] = std::minmax_element(lv->weight->scales.begin(), lv->weight->scales.end());
      rec.metrics["w_scale_min"] = *lo;
      rec.metrics["w_scale_max"] = *hi;
      rec.attrs["weights"] = weight_kind(*lv, p.weights);
    }
    if (auto r = ranges.find(p.output); r != ranges.end()) rec.metrics["clipped"] = r->second.clipped_fraction;
    if (auto e = errors.find(p.output); e != errors.end()) {
      rec.metrics["sqnr_db"] = e->second.sqnr_db();
      rec.metrics["mse"] = e->second.mse();
    }
    stage.layers.push_back(std::move(rec));
  }
  const std::vector<int> floats = float_layers(q);
  for (int i : floats) {
    const auto& n = g.node(i);
    report::LayerRecord rec;
    rec.name = layer_name(n);
    rec.op = n.op_type();
    rec.attrs["precision"] = "float";
    rec.attrs["reason"] = plan.nodes[static_cast<size_t>(i)].q.reason;
    stage.layers.push_back(std::move(rec));
  }
  stage.metrics["quantized_layers"] = plan.count(NodeQuant::kCompute);
  stage.metrics["float_layers"] = static_cast<double>(floats.size());
  stage.metrics["pass_through_nodes"] = plan.count(NodeQuant::kPassThrough);
  stage.metrics["folded_activations"] = folded;
  stage.metrics["quantized_values"] = static_cast<double>(plan.tensors.size());
  if (v.saturated_bias_values() > 0) {
    stage.metrics["saturated_bias_values"] = static_cast<double>(v.saturated_bias_values());
    stage.notes.push_back(std::to_string(v.saturated_bias_values()) +
                          " bias values did not fit int32 and were saturated");
  }
  for (const auto& note : q.notes()) stage.notes.push_back(note);
  const bool qop = options.get_string("format") == "qoperator";
  stage.notes.push_back(
      std::string("format ") +
      (qop ? "QOperator (QLinear* ops; com.microsoft for Add, Mul, Concat, "
             "AveragePool, GlobalAveragePool)"
           : "QDQ (QuantizeLinear/DequantizeLinear around float ops)") +
      "; activations " + options.get_string("activations") + " asymmetric, calibration " +
      options.get_string("calibration") +
      (options.get_string("calibration") == "percentile" ? " " + options.get_string("percentile") : ""));
  if (!errors.empty()) {
    stage.notes.push_back("sqnr_db / mse: each int8 layer's output, float model vs the QDQ model, on the first " +
                          std::to_string(options.get_int("error_samples")) +
                          " calibration samples (errors accumulate from the input on)");
  }
}

}  // namespace edge::pass::quant
