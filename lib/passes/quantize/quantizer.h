// Static int8 quantization of a float model, without the calibration step: the pass
// (quantize_static.cc) gets the ranges from lib/calib, tests can give their own.
//
//   Quantizer q(model, config);          // opset raised when possible, plan made
//   ranges = <calibrate q.float_model() on q.calibrated()>
//   q.apply(ranges);                     // QDQ form built (the error table runs on it)
//   Model out = q.result();              // the requested form: QDQ or QOperator
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/model.h"
#include "passes/quantize/quant_plan.h"
#include "passes/quantize/quant_writer.h"

namespace edge::pass::quant {

struct QuantizeConfig {
  Format format = Format::kQdq;
  QType activations = QType::kUint8;
  WeightOptions weights;    // for every layer when `layer` is empty
  bool raise_opset = true;  // to 13 for per-axis DequantizeLinear, when the graph allows
  std::function<LayerChoice(const onnx::NodeProto&)> layer;
};

// The first node that makes `m` a quantized model (QuantizeLinear, DequantizeLinear,
// QLinear*, *Integer, com.microsoft quantized ops), described; "" for a float model.
std::string quantized_node(const Model& m);

class Quantizer {
 public:
  // Throws Error (invalid input) for an already-quantized model, (unsupported) for an opset
  // below 10 that cannot be raised.
  Quantizer(const Model& input, const QuantizeConfig& config);
  ~Quantizer();
  Quantizer(const Quantizer&) = delete;  // the plan and values point into the members
  Quantizer& operator=(const Quantizer&) = delete;

  const Model& float_model() const { return float_model_; }  // the model calibration must run
  const QuantPlan& plan() const { return plan_; }
  std::vector<std::string> calibrated() const { return plan_.calibrated(); }
  bool per_axis() const { return per_axis_; }
  const std::vector<std::string>& notes() const { return notes_; }

  // Builds the quantized model from calibrated ranges (one per name of calibrated()).
  void apply(const std::map<std::string, Range>& ranges);
  const QuantValues& values() const { return *values_; }
  const Model& qdq() const { return qdq_; }
  // The requested form (QOperator built on first call).
  const Model& result();

 private:
  QuantizeConfig config_;
  Model float_model_;
  std::unique_ptr<QuantGraph> graph_;
  QuantPlan plan_;
  bool per_axis_ = true;
  std::vector<std::string> notes_;
  std::unique_ptr<QuantValues> values_;
  Model qdq_, qoperator_;
  bool have_qoperator_ = false;
};

}  // namespace edge::pass::quant
