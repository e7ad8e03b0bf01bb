// Reverse-mode automatic differentiation over an ONNX graph as edge-run executes it.
//
// TrainGraph prepares the model's main graph once: forward kernels come from the runtime's
// kernel registry (the same kernels inference uses), with the trainable parameters left
// out of the constants the kernels may pack, so that updated values are read on every run.
// forward() runs the graph and records every value on a Tape; backward() walks the nodes
// in reverse, calling each node's backward kernel (grad_kernel.h) where a gradient flows,
// and accumulates dLoss/dParam. Nodes that no gradient passes through (preprocessing,
// shape computations, integer branches) run forward only, so they need no backward kernel;
// a node on the path from a parameter to an output without one is refused when the graph
// is prepared, naming the node and op.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"
#include "runtime/kernel_registry.h"
#include "runtime/session.h"
#include "train/grad_kernel.h"

namespace edge::train {

struct TrainGraphOptions {
  const rt::KernelRegistry* registry = nullptr;  // forward kernels; default builtin()
  std::vector<std::string> backends;             // enabled forward backends; empty = all
  const GradRegistry* grads = nullptr;           // backward kernels; default builtin()
  // BatchNormalization uses batch statistics: ops whose GradDef has a train_forward run it
  // instead of the runtime's inference kernel, and their backward goes through the statistics.
  bool bn_training = false;
  // Intermediate values whose gradients may be seeded (hint losses) besides the outputs.
  std::vector<std::string> extra_seeds;
};

// The values of one forward run, indexed by TrainGraph's value ids.
struct Tape {
  std::vector<Tensor> values;
};

class TrainGraph {
 public:
  // `params`: names of float initializers to train. Throws edge::Error for an unknown or
  // non-float parameter, an unsupported op, or a trainable path without backward kernels.
  TrainGraph(const Model& model, const std::vector<std::string>& params, TrainGraphOptions opts = {});
  ~TrainGraph();
  TrainGraph(const TrainGraph&) = delete;
  TrainGraph& operator=(const TrainGraph&) = delete;

  const std::vector<std::string>& param_names() const { return param_names_; }
  // Current parameter values (float32), updated in place by the optimizer.
  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }
  // The graph's data inputs (inputs that are not initializers) and outputs.
  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }

  // Runs the graph on `feeds` (every data input by name), recording every value.
  void forward(const rt::NamedTensors& feeds, Tape& tape) const;
  // A value recorded by forward(); throws for an unknown name or a value not computed.
  const Tensor& value(const Tape& tape, const std::string& name) const;
  // Back-propagates `seeds` (dLoss/dValue for outputs or extra_seeds values, each the
  // value's shape) and adds dLoss/dParam into `grads` (parallel to params(); entries are
  // allocated on first use).
  void backward(const Tape& tape, const std::vector<std::pair<std::string, Tensor>>& seeds,
                std::vector<Tensor>& grads) const;

 private:
  struct Step;
  class TapeScope;
  int id_of(const std::string& name) const;  // -1 when unknown
  void check_trainable_path(const std::vector<int>& seed_ids) const;

  const Model* model_;
  TrainGraphOptions opts_;
  std::map<std::string, int> ids_;
  std::vector<std::string> names_;
  std::vector<Tensor> constants_;  // by id; undefined where not constant
  std::vector<int> param_ids_;
  std::vector<std::string> param_names_;
  std::vector<Tensor> params_;
  std::vector<std::string> input_names_, output_names_;
  std::vector<int> input_ids_;
  std::vector<bool> requires_grad_;  // by id: depends on a parameter through differentiable inputs
  std::vector<std::unique_ptr<Step>> steps_;
};

}  // namespace edge::train
