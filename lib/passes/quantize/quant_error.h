// Per-layer quantization error: the float model and its quantized (QDQ) form run side by side
// on the same samples, and each quantized layer's output is compared: the float value in the
// float model against the 8-bit value (dequantized) in the quantized one. The error is
// cumulative (it includes what the layers before it added), which is what decides accuracy.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "data/dataset.h"
#include "ir/model.h"
#include "passes/quantize/quant_params.h"
#include "runtime/session.h"

namespace edge::pass::quant {

// One compared value: its name in the float model and its 8-bit twin in the quantized one.
struct ErrorProbe {
  std::string quantized;  // the 8-bit tensor's name in the quantized model
  QParams params;
};

struct ErrorOptions {
  int64_t samples = 32;  // first samples of the dataset's pass
  int64_t batch = 1;     // for a dynamic batch dim
  rt::SessionOptions session;
  std::function<void(int64_t done, int64_t total)> progress;
};

// Errors by float value name. Throws Error when a probed value is never produced.
std::map<std::string, ErrorStats> measure_errors(const Model& float_model, const Model& quantized, data::Dataset& data,
                                                 const std::map<std::string, ErrorProbe>& probes,
                                                 const ErrorOptions& o);

}  // namespace edge::pass::quant
