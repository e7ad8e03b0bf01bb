// Which initializers a training run updates, and the masks that keep pruned weights at zero.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"
#include "train/grad_kernel.h"

namespace edge::train {

struct ParamSelection {
  std::vector<std::string> trainable;  // initializer order
  // Float initializers left frozen by the default selection, with why ("read only by Clip
  // (no backward kernel)"), for the report.
  std::vector<std::pair<std::string, std::string>> frozen;
};

// `patterns` empty: every float32 initializer that some node reads at an input its backward
// kernel differentiates (a gradient can reach it). Otherwise the float32 initializers whose
// name equals a pattern or, for "re:<regex>", matches the whole regex; a pattern that
// matches nothing, or names a non-float32 initializer, is an error naming it.
ParamSelection select_params(const Model& model, const std::vector<std::string>& patterns,
                             const GradRegistry& grads = GradRegistry::builtin());

// Per element: 1 where the value is trainable, 0 where it must stay exactly zero (the
// zeros of `w`, a pruned weight).
std::vector<uint8_t> zero_mask(const Tensor& w);
// Sets the masked elements of `w` (float32) to zero.
void apply_mask(Tensor& w, const std::vector<uint8_t>& mask);

}  // namespace edge::train
