// The quantize stage's report section: one row per quantized layer (its quantization error)
// and one per layer left in float (why), stage metrics and notes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "calib/calibrate.h"
#include "pass/pass.h"
#include "passes/quantize/quantizer.h"
#include "report/report.h"

namespace edge::pass::quant {

// Node indices of the layers left in float: nodes the plan keeps float that compute a float32
// value (Constant nodes and integer shape arithmetic are not layers).
std::vector<int> float_layers(const Quantizer& q);

// Row columns (metrics): scale, zero_point (the layer's output), w_scale_min, w_scale_max,
// clipped (share of calibration values outside the range), sqnr_db, mse; attrs: precision
// (int8 | float), weights, reason (float layers).
void report_quantization(const Quantizer& q, const calib::Ranges& ranges,
                         const std::map<std::string, ErrorStats>& errors, const PassOptions& options,
                         report::StageRecord& stage);

}  // namespace edge::pass::quant
