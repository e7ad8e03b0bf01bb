// GRU/LSTM/RNN layers in a static int8 model. quantize-static has no integer form for the
// recurrent ops (ONNX has none; ONNX Runtime's com.microsoft DynamicQuantizeLSTM has no
// edge-run kernel and no GRU variant), so their compute stays float; their weights W and R,
// most of such a model's bytes, are stored as int8 behind a DequantizeLinear (per gate row
// from opset 13, else per tensor), which ONNX Runtime and edge-run both run.
#pragma once

#include "ir/model.h"
#include "report/report.h"

namespace edge::pass {
class PassContext;
}

namespace edge::pass::quant {

// Stores the constant float32 W and R of every GRU/LSTM/RNN node of the main graph that no
// layer rule excludes as int8 + DequantizeLinear. The node's row in `stage` (written by the
// quantization report, precision "float") becomes "int8 weights, float compute" with the
// weight error. Returns the number of layers changed.
int store_recurrent_weights_int8(Model& m, PassContext& ctx, report::StageRecord* stage);

}  // namespace edge::pass::quant
