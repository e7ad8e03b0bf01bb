// GRU/LSTM/RNN layers in a static int8 model. quantize-static has no integer form for the
// recurrent ops (ONNX has none; ONNX Runtime's com.microsoft DynamicQuantizeLSTM has no
// edge-run kernel and no GRU variant), so their compute stays float; their weights W and R,
// most of such a model's bytes, are stored as int8 behind a DequantizeLinear (per gate row
// from opset 13, else per tensor), which ONNX Runtime and edge-run both run.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "ir/model.h"
#include "passes/quantize/quant_params.h"
#include "report/report.h"

namespace edge::pass {
class PassContext;
}

namespace edge::pass::quant {

// W and R (inputs 1 and 2) of one GRU/LSTM/RNN node that are constant float32 initializers,
// each stored as int8 behind a new DequantizeLinear (per gate row when `axis` is 1, per tensor
// when -1). `nodes` holds the DequantizeLinear nodes and then the node reading their outputs;
// empty when neither weight is a constant. The float weights stay in `m` (the caller removes
// them once unread: `replaced`).
struct RecurrentWeights {
  std::vector<onnx::NodeProto> nodes;
  std::vector<std::string> replaced;  // the float initializers no longer read by this node
  ErrorStats error;                   // dequantized vs float, W and R together
  int64_t params = 0;
  int axis = -1;
  std::string kind() const;  // "s8 per gate row symmetric (DequantizeLinear)"
};
RecurrentWeights dequantize_recurrent_weights(Model& m, std::set<std::string>& taken, const std::set<std::string>& fed,
                                              const onnx::NodeProto& n, int axis);

// Stores the constant float32 W and R of every GRU/LSTM/RNN node of the main graph that no
// layer rule excludes as int8 + DequantizeLinear. The node's row in `stage` (written by the
// quantization report, precision "float") becomes "int8 weights, float compute" with the
// weight error. Returns the number of layers changed.
int store_recurrent_weights_int8(Model& m, PassContext& ctx, report::StageRecord* stage);

}  // namespace edge::pass::quant
