// The qat pass's model side: what in a QDQ model is trainable, the float training copy that
// fake-quantizes it, and the write-back of trained values into the QDQ model.
//
// Before (QDQ, as quantize-static writes it):     Training copy:
//   W_dq = DequantizeLinear(W_q, W_s, W_zp)          W_f (float32 = (W_q - zp) * W_s, trainable)
//   B_dq = DequantizeLinear(B_q, B_s)                W_fq = QuantizeLinear(W_f, W_s, W_zp)
//   x_q  = QuantizeLinear(x, x_s, x_zp)              W_dq = DequantizeLinear(W_fq, W_s, W_zp)
//   x_dq = DequantizeLinear(x_q, x_s, x_zp)          B_dq (float32 initializer = B_q * B_s, trainable)
//   y    = Conv(x_dq, W_dq, B_dq)                    x_q, x_dq, y as before
// With learn_scales, every weight and activation scale S becomes S = S0 * Exp(k * t) with t
// (zeros at the start) trainable: the scale stays positive, and Adam's step on t is a relative
// step of about k * lr on S. The forward of the copy at the start is the QDQ model's forward.
// Write-back: weights re-quantized with the final scales into the original grid (the range
// the original values used: [-127, 127] for symmetric int8, [-63, 63] with reduce_range),
// biases into int32 with scale = s_in * s_w recomputed from the final scales; zero points and
// the node structure unchanged.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"

namespace edge::pass::qat {

// A DequantizeLinear of a constant 8-bit initializer (a weight or a constant operand).
struct QatWeight {
  int index = -1;     // the DequantizeLinear's position in the graph
  std::string node;   // its name (may be empty: quantize-static names none)
  std::string layer;  // the node reading its output (for reports)
  std::string layer_op;
  std::string q, scale, zero_point;  // initializer names; zero_point empty when absent
  int64_t axis = 1;
  int32_t lo = 0, hi = 0;  // write-back range of the quantized values
};

// A DequantizeLinear of a constant int32 initializer (a bias), trained as float.
struct QatBias {
  int index = -1;  // the DequantizeLinear's position in the graph
  std::string node, layer, q, scale, zero_point, output;
  int64_t axis = 1;
  // The scales whose product the bias scale is (empty when the layer's input or weight scale
  // cannot be found, or the product does not match): then the bias scale is kept.
  std::string in_scale, weight_scale;
};

struct QatPlan {
  std::vector<QatWeight> weights;
  std::vector<QatBias> biases;
  std::vector<std::string> weight_scales, activation_scales;  // float32 scale initializers, sorted
  int quantize_nodes = 0, dequantize_nodes = 0;
};

// Finds the trainable parts of a QDQ model. Throws (invalid input) when the model has no
// QuantizeLinear/DequantizeLinear or nothing to train.
QatPlan analyze_qdq(const Model& qdq);

struct TrainingCopy {
  Model model;
  std::vector<std::string> params;               // weight and bias copies, then the log-scales (learn_scales)
  std::map<std::string, std::string> float_of;   // quantized weight initializer -> its float32 copy
  std::map<std::string, std::string> log_scale;  // scale initializer -> its trainable log-scale
  double scale_factor = 1;                       // k in S = S0 * Exp(k * t)
};

// The training model. `scale_factor` > 0: the scales are learned (k above).
TrainingCopy make_training_copy(const Model& qdq, const QatPlan& plan, bool learn_scales, double scale_factor);

// The scales S0 * Exp(k * t) for the trained log-scales (float32, as the training graph).
Tensor learned_scale(const Tensor& s0, const Tensor& t, double k);

struct WriteBackStats {
  int64_t weight_values = 0, weight_values_changed = 0, weight_values_clamped = 0;
  int64_t bias_values = 0, bias_values_saturated = 0;
  int scales_changed = 0, scales_total = 0;
  double max_scale_change = 0;  // largest |S/S0 - 1|
  int biases_scale_kept = 0;    // learned scales, bias scale kept (relation not found)
  // Per weight (plan order): share of quantized values changed, largest |S/S0 - 1|.
  std::vector<double> weight_changed_share, weight_scale_change;
  // Activation scales (plan order): before and after (first element when per axis).
  std::vector<std::pair<double, double>> activation_scale;
};

// Writes the trained values (`values`: the training copy's params by name) into `qdq` (the
// model `plan` was made from): weights, biases and scales; everything else unchanged.
WriteBackStats write_back(Model& qdq, const QatPlan& plan, const TrainingCopy& copy,
                          const std::map<std::string, Tensor>& values);

}  // namespace edge::pass::qat
