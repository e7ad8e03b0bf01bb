// The kernel interface. A kernel object is created once per node when a session is
// prepared: its constructor sees a KernelInit (attributes, the node's constant inputs and
// the static types/shapes known then) and does everything that does not depend on the
// inputs' values: validate attributes, prepack constant weights, pick an algorithm. Then
// compute() runs on every inference with the node's input tensors and fills its outputs,
// with no validation it could have done earlier and, in steady state, no allocation
// (alloc_output hands out planned memory, scratch() a reused work buffer). compute()
// reports problems by throwing edge::Error; use ctx.where() so that messages name the node.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/node_attrs.h"
#include "ir/tensor.h"
#include "onnx/onnx_pb.h"
#include "runtime/function_ref.h"

namespace edge::rt {

class GraphRunner;
class ValueScope;
class ThreadPool;

// describe_node ("node 'conv1' (Conv)") and NodeAttrs: ir/node_attrs.h.

// Where a running step's outputs and scratch space come from (the graph runner's memory
// plan). Kernels reach it through KernelContext::alloc_output / scratch.
class RunStorage {
 public:
  virtual ~RunStorage() = default;
  // Storage (not cleared) of at least `bytes` bytes for output `index` of the running step.
  virtual Buffer output_buffer(int index, size_t bytes) = 0;
  // A work buffer of at least `bytes` bytes, valid until the step returns (64-byte aligned).
  virtual void* scratch(size_t bytes) = 0;
};

struct KernelContext {
  const onnx::NodeProto* node = nullptr;
  int opset = 0;
  std::vector<const Tensor*> inputs;  // nullptr where an optional input is omitted
  std::vector<Tensor> outputs;        // one per node output; kernels assign them
  const ValueScope* scope = nullptr;  // values visible to subgraphs (If/Loop)
  ThreadPool* pool = nullptr;         // may be null: run serially
  RunStorage* storage = nullptr;      // null: outputs are fresh zero-filled heap tensors
  const std::string* node_text = nullptr;  // describe_node(*node), prepared once by the runner

  // "node 'conv1' (Conv)", for messages; a reference, so passing it around costs nothing.
  const std::string& where() const;
  int num_inputs() const { return static_cast<int>(inputs.size()); }
  int num_outputs() const { return static_cast<int>(outputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && inputs[static_cast<size_t>(i)] != nullptr; }
  // Throws a clear error if input i is missing.
  const Tensor& input(int i) const;
  // True if the node declares output i (non-empty name).
  bool has_output(int i) const;
  Tensor& output(int i) { return outputs.at(static_cast<size_t>(i)); }
  // Allocates output i with the given type and shape and returns it. The contents are NOT
  // cleared when the session plans memory: a kernel writes every element it outputs.
  Tensor& alloc_output(int i, DType dt, const Shape& shape);
  // The same, with every byte cleared (for kernels that fill outputs sparsely).
  Tensor& alloc_output_zeroed(int i, DType dt, const Shape& shape);
  // A work buffer of `bytes` bytes for this call (reused across runs; not cleared).
  void* scratch(size_t bytes);
  // Runs fn(begin, end) over [0, n) split across the pool (serially without one).
  void parallel_for(int64_t n, RangeFn fn) const;
};

// A value's type as known when the session is prepared.
struct ValueType {
  DType dtype = DType::kUndefined;  // kUndefined when unknown
  Shape shape;                      // meaningful when has_shape; -1 for unknown dims
  bool has_shape = false;
  bool is_static() const;  // shape known with every dim fixed
};

// What a kernel factory sees when the session is prepared.
struct KernelInit {
  const onnx::NodeProto& node;
  int opset;
  NodeAttrs attrs;
  // Compiles a subgraph attribute (If/Loop bodies) against the enclosing scope.
  std::function<std::unique_ptr<GraphRunner>(const onnx::GraphProto&)> compile_subgraph;
  // Per input: the value when it is constant for the session's life (an initializer or a
  // folded Constant node; replaced weights re-create the kernel), else nullptr.
  std::vector<const Tensor*> constants;
  std::vector<ValueType> input_types, output_types;  // per input / output

  std::string where() const { return describe_node(node); }
  // Whether optional input i is given (present and named).
  bool has_input(int i) const { return i >= 0 && i < node.input_size() && !node.input(i).empty(); }
  const Tensor* constant(int i) const;
  const ValueType& input_type(int i) const;   // an unknown type when i is out of range
  const ValueType& output_type(int i) const;
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual void compute(KernelContext& ctx) = 0;
  // The algorithm chosen at preparation, for profiles ("" when there is nothing to say).
  virtual std::string algorithm() const { return {}; }
};

// Adapts a plain function into a kernel, for ops without per-node state.
class FunctionKernel : public OpKernel {
 public:
  explicit FunctionKernel(void (*fn)(KernelContext&)) : fn_(fn) {}
  void compute(KernelContext& ctx) override { fn_(ctx); }

 private:
  void (*fn_)(KernelContext&);
};

using KernelFactory = std::function<std::unique_ptr<OpKernel>(const KernelInit&)>;

inline KernelFactory function_kernel(void (*fn)(KernelContext&)) {
  return [fn](const KernelInit&) { return std::make_unique<FunctionKernel>(fn); };
}

// A kernel's ctor takes (const KernelInit&): `factory_of<ConvKernel>()`.
template <typename K>
KernelFactory factory_of() {
  return [](const KernelInit& init) -> std::unique_ptr<OpKernel> { return std::make_unique<K>(init); };
}

}  // namespace edge::rt
