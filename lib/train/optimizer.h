// Optimizers for TrainGraph parameters: SGD (momentum, weight decay) and Adam / AdamW.
// State (momentum buffers, moments) is kept per parameter element in float32; updates run
// in a fixed order, so the same gradients always give the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace edge::train {

enum class OptimizerKind { kSgd, kAdam, kAdamW };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kAdam;
  double momentum = 0.9;      // SGD
  bool nesterov = false;      // SGD
  double weight_decay = 0;    // SGD and Adam: L2 term added to the gradient; AdamW: decoupled
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam / AdamW
};

// "sgd", "adam", "adamw" -> kind; throws edge::Error naming `what` otherwise.
OptimizerKind parse_optimizer(const std::string& name, const std::string& what);
const char* optimizer_name(OptimizerKind kind);

class Optimizer {
 public:
  // `params` fixes the number and shapes of the parameters.
  Optimizer(OptimizerOptions options, const std::vector<Tensor>& params);

  // One update with learning rate `lr`. grads[k] undefined: parameter k got no gradient and
  // is left alone (its state does not advance). Shapes must match the parameters.
  void step(std::vector<Tensor>& params, const std::vector<Tensor>& grads, double lr);
  int64_t steps() const { return steps_; }
  const OptimizerOptions& options() const { return options_; }

 private:
  OptimizerOptions options_;
  std::vector<std::vector<float>> m_, v_;  // SGD: m_ = momentum buffer; Adam: first/second moments
  std::vector<int64_t> param_steps_;       // Adam bias correction per parameter
  int64_t steps_ = 0;
};

}  // namespace edge::train
