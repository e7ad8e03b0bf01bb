// quantize-static: static int8 quantization calibrated on the pipeline's calibration data.
//
//   1. Quantizer: refuse an already-quantized model, raise the opset to 13 when the graph
//      allows (per-channel DequantizeLinear), plan which layers run in int8 (quantizer.h);
//   2. lib/calib: ranges of the values to quantize, from the cache beside the output when it
//      holds them for this model, data and options, else by streaming the calibration set;
//   3. write the QDQ form, measure each quantized layer's error against the float model on
//      the first `error_samples` calibration samples, and keep the QDQ form or write the
//      QOperator one;
//   4. report: a row per quantized layer (scale, zero point, weight scales, clipping, SQNR,
//      MSE) and per float layer (why it stayed float).
#include <set>

#include "calib/calibrate.h"
#include "passes/quantize/quant_error.h"
#include "passes/quantize/quant_pass_common.h"
#include "passes/quantize/quant_report.h"
#include "passes/quantize/quantize_passes.h"
#include "passes/quantize/quant_recurrent.h"
#include "passes/quantize/quantizer.h"

namespace edge::pass {

const char* QuantizeStatic::summary() {
  return "static int8 quantization (QDQ or QOperator) calibrated on --calib-data; per-layer error table in the report";
}

std::vector<OptionSpec> QuantizeStatic::options() {
  OptionSpec percentile{"percentile", OptionType::kFloat,
                        "99.99",      "calibration=percentile: percentile of the values kept, in (0, 100]",
                        {},           0,
                        100};
  percentile.exclusive_min = true;
  return {
      {"format",
       OptionType::kString,
       "qdq",
       "qdq: QuantizeLinear/DequantizeLinear pairs; qoperator: QLinear* ops",
       {"qdq", "qoperator"}},
      {"per_channel", OptionType::kBool, "true", "weights: one scale per output channel (else per tensor)", {}},
      {"symmetric_weights", OptionType::kBool, "true", "weights: zero point 0, grid [-127, 127]", {}},
      {"activations", OptionType::kString, "u8", "activation type, asymmetric", {"u8", "s8"}},
      {"calibration",
       OptionType::kString,
       "mse",
       "range method (docs/calibration.md)",
       {"minmax", "percentile", "entropy", "mse"}},
      percentile,
      {"samples", OptionType::kInt, "0", "calibration samples (0 = all of --calib-data)", {}, 0, 1e9},
      {"reduce_range", OptionType::kBool, "false", "7-bit weights, for CPUs without VNNI/sdot (int16 saturation)", {}},
      {"error_samples",
       OptionType::kInt,
       "32",
       "calibration samples for the per-layer error table (0: no table)",
       {},
       0,
       1e9},
      {"raise_opset", OptionType::kBool, "true", "raise the ai.onnx opset to 13 when lower and the graph allows", {}},
      {"recurrent", OptionType::kBool, "true", "GRU/LSTM/RNN: weights int8 through DequantizeLinear, compute float",
       {}},
  };
}

std::string QuantizeStatic::check_input(const Model& model) {
  const std::string q = quant::quantized_node(model);
  return q.empty() ? "" : model.name() + " is already quantized (" + q + "); quantize-static takes a float model";
}

void QuantizeStatic::run(Model& model, PassContext& ctx) {
  if (ctx.calib.empty()) {
    fail("quantize-static needs calibration data: give --calib-data (or data.calib in the recipe)");
  }
  quant::QuantizeConfig config;
  config.format = opts_.get_string("format") == "qoperator" ? quant::Format::kQOperator : quant::Format::kQdq;
  config.activations = opts_.get_string("activations") == "s8" ? quant::QType::kInt8 : quant::QType::kUint8;
  config.raise_opset = opts_.get_bool("raise_opset");
  // Per layer: exclusion and the weight options; the other options hold for the whole pass
  // (a value's parameters are shared by its producer and readers).
  std::set<std::string> ignored;
  config.layer = [&ctx, &ignored](const onnx::NodeProto& n) {
    const LayerOptions lo = ctx.for_layer(n);
    for (const auto& o : lo.overridden) {
      if (o != "per_channel" && o != "symmetric_weights" && o != "reduce_range") ignored.insert(o);
    }
    quant::LayerChoice c;
    c.excluded = lo.excluded;
    c.weights = quant::layer_weight_options(lo);
    return c;
  };
  quant::Quantizer q(model, config);
  const calib::Ranges ranges =
      quant::calibration_ranges(q.float_model(), q.calibrated(), opts_, ctx, "quantize-static");
  std::map<std::string, quant::Range> plain;
  for (const auto& [name, r] : ranges) plain[name] = {r.min, r.max};
  q.apply(plain);

  std::map<std::string, quant::ErrorStats> errors;
  if (const int64_t n = opts_.get_int("error_samples"); n > 0) {
    std::map<std::string, quant::ErrorProbe> probes;
    for (const auto& node : q.plan().nodes) {
      if (node.q.kind == quant::NodeQuant::kCompute) {
        probes[node.output] = {q.values().names(node.output).q, q.values().params(node.output)};
      }
    }
    auto data = ctx.open(ctx.calib);
    quant::ErrorOptions eo;
    eo.samples = n;
    eo.batch = ctx.calib.batch;
    eo.session = ctx.session_options;
    if (ctx.progress) eo.progress = [&ctx](int64_t done, int64_t total) { ctx.progress("error table", done, total); };
    errors = quant::measure_errors(q.float_model(), q.qdq(), *data, probes, eo);
  }
  const Model& out = q.result();
  if (ctx.stage) quant::report_quantization(q, ranges, errors, opts_, *ctx.stage);
  for (const auto& o : ignored) {
    const std::string w = "warning: layer rules override '" + o +
                          "', which applies to the whole pass; only per_channel, symmetric_weights and reduce_range "
                          "can differ per layer";
    ctx.log().warn("quantize-static: {}", w);
    if (ctx.stage) ctx.stage->notes.push_back(w);
  }
  ctx.log().info("quantize-static: {} layers int8, {} float", q.plan().count(quant::NodeQuant::kCompute),
                 quant::float_layers(q).size());
  ctx.quantized_from = std::make_shared<const Model>(q.float_model());
  model = out;
  if (opts_.get_bool("recurrent")) quant::store_recurrent_weights_int8(model, ctx, ctx.stage);
}

}  // namespace edge::pass
