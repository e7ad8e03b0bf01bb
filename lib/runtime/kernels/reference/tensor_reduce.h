// Shared kernels for the Reduce* family and ArgMax/ArgMin (tensor group).
#pragma once

#include "runtime/kernel.h"

namespace edge::rt::tensor_util {

enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

// Reduce kernel: axes from the attribute, or from input 1 for ReduceSum at opset >= 13
// and every reduction at opset >= 18; keepdims and noop_with_empty_axes attributes.
KernelFactory reduce_factory(ReduceOp op);

// ArgMax (is_max) / ArgMin kernel: axis, keepdims, select_last_index attributes.
KernelFactory arg_factory(bool is_max);

}  // namespace edge::rt::tensor_util
