// What the quantize passes (quantize-static, quantize-auto) share: per-layer weight options from
// the layer rules, and calibration ranges of the values a plan needs, from the cache beside the
// output when it holds them for this model, data and options, else measured by lib/calib on the
// pipeline's calibration data. Options read from the pass: calibration, percentile, samples,
// activations.
#pragma once

#include <string>
#include <vector>

#include "calib/calibrate.h"
#include "ir/model.h"
#include "pass/context.h"
#include "pass/pass.h"
#include "passes/quantize/quant_params.h"

namespace edge::pass::quant {

// per_channel, symmetric_weights and reduce_range of one layer (the options that may differ per
// layer).
WeightOptions layer_weight_options(const LayerOptions& o);

// Ranges of `tensors` of `float_model`. A cache holding some of them keeps them and gets the
// missing ones added (the file then holds the union). `who` names the pass in log lines.
calib::Ranges calibration_ranges(const Model& float_model, const std::vector<std::string>& tensors,
                                 const PassOptions& o, PassContext& ctx, const std::string& who);

}  // namespace edge::pass::quant
