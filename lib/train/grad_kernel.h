// Backward kernels: one function per op (grads/<op>_grad.cc), registered like the forward
// kernels. The autodiff engine (autodiff.h) calls a node's backward function with the
// node's forward inputs and outputs (kept from the forward run), the gradient of the loss
// with respect to each output, and which inputs need a gradient; the function fills those
// gradients. Gradients are float32 tensors of the input's shape. Problems are reported by
// throwing edge::Error that names the node (ctx.where()).
#pragma once

#include <string>
#include <vector>

#include "ir/node_attrs.h"
#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace edge::train {

struct GradContext {
  const onnx::NodeProto* node = nullptr;
  int opset = 0;
  const NodeAttrs* attrs = nullptr;
  std::vector<const Tensor*> inputs;        // forward inputs (nullptr where omitted)
  std::vector<const Tensor*> outputs;       // forward outputs (nullptr where omitted)
  std::vector<const Tensor*> output_grads;  // dLoss/dOutput; nullptr where none flows back
  std::vector<bool> wants;                  // per input: its gradient is needed
  std::vector<Tensor> input_grads;          // per input: filled where wants[i]
  // BatchNormalization: use the batch's statistics (a student whose BN is not folded,
  // trained in training mode) instead of the stored running statistics.
  bool bn_training = false;

  const std::string& where() const;
  int num_inputs() const { return static_cast<int>(inputs.size()); }
  int num_outputs() const { return static_cast<int>(outputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && inputs[static_cast<size_t>(i)] != nullptr; }
  const Tensor& input(int i) const;   // throws naming the node when omitted
  const Tensor& output(int i) const;  // throws naming the node when omitted
  // The output's gradient, or nullptr when no gradient reaches output i.
  const Tensor* output_grad(int i) const;
  // Output i's gradient; a zero tensor of the output's shape when none flows back.
  const Tensor& output_grad_or_zero(int i);
  bool wants_grad(int i) const { return i < static_cast<int>(wants.size()) && wants[static_cast<size_t>(i)]; }
  // Allocates input i's gradient: float32, the input's shape, zero-filled.
  Tensor& grad(int i);
  // Takes `g` (float32, input i's shape) as input i's gradient.
  void set_grad(int i, Tensor g);

 private:
  std::vector<Tensor> zeros_;  // output_grad_or_zero's storage
  mutable std::string where_;
};

using GradFn = void (*)(GradContext&);
// The forward of an op whose training forward differs from inference (BatchNormalization
// normalizing with the batch's statistics): fills `outputs` (one per node output, left
// undefined where omitted) from ctx.inputs / ctx.attrs. ctx has no gradients yet.
using TrainForwardFn = void (*)(const GradContext& ctx, std::vector<Tensor>& outputs);

struct GradDef {
  std::string domain;  // "" for ai.onnx
  std::string op;
  GradFn fn = nullptr;
  // Inputs a gradient can flow to (shape, index, statistics inputs are not); empty = all.
  std::vector<int> differentiable;
  // True for ops whose backward needs the forward outputs (kept on the tape); every op
  // keeps its inputs.
  bool needs_outputs = true;
  // When set, TrainGraph::forward runs this instead of the runtime's (inference) kernel
  // while training mode is on (TrainGraphOptions::bn_training).
  TrainForwardFn train_forward = nullptr;
  bool is_differentiable(int input) const;
};

class GradRegistry {
 public:
  void add(GradDef def);
  // nullptr when the op has no backward kernel.
  const GradDef* find(const std::string& domain, const std::string& op) const;
  const std::vector<GradDef>& all() const { return defs_; }
  // Every built-in backward kernel.
  static const GradRegistry& builtin();

 private:
  std::vector<GradDef> defs_;
};

// One registration function per file in grads/ (called by GradRegistry::builtin()).
void register_elementwise_grads(GradRegistry& r);  // Add (Sub, Mul, Div: grads/arith_grad.cc)
void register_activation_grads(GradRegistry& r);   // Relu (and the other activations)
void register_gemm_grads(GradRegistry& r);         // Gemm
void register_conv_grads(GradRegistry& r);         // Conv (grads/conv_grad.cc)
void register_matmul_grads(GradRegistry& r);       // MatMul
void register_pool_grads(GradRegistry& r);         // MaxPool, AveragePool, GlobalAverage/MaxPool
void register_shape_grads(GradRegistry& r);        // Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout
void register_math_grads(GradRegistry& r);         // Neg, Sqrt, Exp, Log, Abs
void register_qdq_grads(GradRegistry& r);          // QuantizeLinear, DequantizeLinear (STE)
void register_softmax_grads(GradRegistry& r);      // Softmax, LogSoftmax
void register_shuffle_grads(GradRegistry& r);      // Transpose, Concat, Split, Expand, Tile
void register_index_grads(GradRegistry& r);        // Slice, Gather, Pad, Where
void register_reduce_grads(GradRegistry& r);       // ReduceSum/Mean/Max/Min/L2
void register_norm_grads(GradRegistry& r);         // LayerNormalization, BatchNormalization
void register_variadic_grads(GradRegistry& r);     // Cast, Sum, Mean, Max, Min

}  // namespace edge::train
