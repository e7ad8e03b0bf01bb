// The kernel interface: a kernel object is created once per node when a session is
// prepared (parse and validate attributes there), then compute() runs on every inference
// with the node's input tensors and fills its outputs. compute() reports problems by
// throwing edge::Error; use ctx.where() in messages so that they name the node and op.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "onnx/onnx_pb.h"
#include "runtime/node_attrs.h"

namespace edge::rt {

class GraphRunner;
class ValueScope;
class ThreadPool;

// "node 'conv1' (Conv)"
std::string describe_node(const onnx::NodeProto& node);

struct KernelContext {
  const onnx::NodeProto* node = nullptr;
  int opset = 0;
  std::vector<const Tensor*> inputs;  // nullptr where an optional input is omitted
  std::vector<Tensor> outputs;        // one per node output; kernels assign them
  const ValueScope* scope = nullptr;  // values visible to subgraphs (If/Loop)
  ThreadPool* pool = nullptr;         // may be null: run serially

  std::string where() const { return describe_node(*node); }
  int num_inputs() const { return static_cast<int>(inputs.size()); }
  int num_outputs() const { return static_cast<int>(outputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && inputs[static_cast<size_t>(i)] != nullptr; }
  // Throws a clear error if input i is missing.
  const Tensor& input(int i) const;
  // True if the node declares output i (non-empty name).
  bool has_output(int i) const;
  Tensor& output(int i) { return outputs.at(static_cast<size_t>(i)); }
  // Allocates output i with the given type and shape and returns it.
  Tensor& alloc_output(int i, DType dt, const Shape& shape);
  // Runs fn(begin, end) over [0, n) split across the pool (serially without one).
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) const;
};

// What a kernel factory sees when the session is prepared.
struct KernelInit {
  const onnx::NodeProto& node;
  int opset;
  NodeAttrs attrs;
  // Compiles a subgraph attribute (If/Loop bodies) against the enclosing scope.
  std::function<std::unique_ptr<GraphRunner>(const onnx::GraphProto&)> compile_subgraph;
  std::string where() const { return describe_node(node); }
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual void compute(KernelContext& ctx) = 0;
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
