// GraphRunner: one graph compiled for execution. Preparation (the constructor) orders the
// nodes, folds Constant nodes, gives every value an id and a lifetime, and creates one
// kernel per node from the registry with what is known then (constant inputs, static
// shapes). run() executes the steps over persistent value slots: constants are referenced,
// never copied; intermediates come from the memory plan (value_memory.h) and are dropped
// after their last reader. Subgraphs (If/Loop bodies) are GraphRunners too, reading
// enclosing values through a ValueScope. A runner runs one call at a time (run() locks).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "onnx/onnx_pb.h"
#include "runtime/kernel.h"
#include "runtime/kernel_registry.h"
#include "runtime/step_storage.h"
#include "runtime/value_memory.h"

namespace edge::rt {

// Values visible from an enclosing graph.
class ValueScope {
 public:
  virtual ~ValueScope() = default;
  virtual const Tensor* find(const std::string& name) const = 0;
};

struct NodeProfile {
  std::string name;
  std::string op;
  std::string kernel;  // backend and algorithm: "cpu:conv2d-packed", "reference"
  int64_t calls = 0;
  double total_ms = 0;
  int depth = 0;  // 0 for the main graph, 1 for a subgraph of it, ...
};

// What a run observer sees after each node ran (subgraph nodes included).
struct NodeEvent {
  const onnx::NodeProto& node;
  int depth;                          // subgraph nesting, 0 for the main graph
  const std::vector<Tensor>& outputs;  // parallel to node.output(); undefined where omitted
};
using RunObserver = std::function<void(const NodeEvent&)>;

struct RunnerOptions {
  const KernelRegistry* registry = nullptr;
  std::vector<std::string> backends;  // enabled backends (empty = all); reference always
  std::map<std::string, int> opsets;  // domain -> version ("" for ai.onnx)
  ThreadPool* pool = nullptr;
  int depth = 0;
  int max_depth = 16;  // nesting limit for subgraphs
  bool profile = false;
  const RunObserver* observer = nullptr;  // called when set and non-empty
  bool fuse = true;  // graph fusions at preparation (qdq_fusion.h, graph_fusion.h)
  // Below IR version 4 every initializer is also listed as a graph input by rule: there the
  // main graph's initializers are constants, not inputs a caller may override (as ONNX Runtime
  // treats them), so kernels can pack them. Subgraphs never get this.
  bool initializer_inputs_are_constants = false;
};

class GraphRunner {
 public:
  // `outer_names`: values of enclosing graphs that this graph may read.
  GraphRunner(const onnx::GraphProto& g, const std::vector<std::string>& outer_names,
              const RunnerOptions& opts);
  ~GraphRunner();

  // Names the caller feeds, in order: graph inputs that are not initializers.
  const std::vector<std::string>& input_names() const { return input_names_; }
  // Graph inputs backed by an initializer (IR < 4 models): the caller may override them.
  const std::vector<std::string>& overridable_names() const { return overridable_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }

  // `inputs` parallel to input_names(); `overrides` parallel to overridable_names()
  // (nullptr = keep the initializer). Returns the outputs in output_names() order.
  std::vector<Tensor> run(const std::vector<const Tensor*>& inputs, const ValueScope* outer,
                          const std::vector<const Tensor*>& overrides = {});
  // The same, writing into `outputs` (resized to output_names().size()); allocation-free in
  // steady state when the caller reuses `outputs` and has dropped the previous results.
  void run_into(const std::vector<const Tensor*>& inputs, const ValueScope* outer,
                const std::vector<const Tensor*>& overrides, std::vector<Tensor>& outputs);

  // Replaces initializer `name` (same type and shape) for later runs; kernels that read it
  // are prepared again (their packed weights follow). Throws for unknown names.
  void set_initializer(const std::string& name, const Tensor& value);

  std::vector<NodeProfile> profile() const;  // this graph's nodes, plus subgraph nodes
  void reset_profile();
  int node_count() const { return static_cast<int>(steps_.size()); }
  // The graph as executed (after fusions).
  const onnx::GraphProto& graph() const { return *graph_; }
  const ValueMemory& memory() const { return memory_; }

 private:
  struct Step {
    const onnx::NodeProto* node;
    std::string text;  // describe_node(*node)
    int opset;
    const KernelDef* def;
    std::unique_ptr<OpKernel> kernel;
    std::vector<int> inputs;   // value ids, -1 for omitted
    std::vector<int> outputs;  // value ids, -1 for omitted
    std::vector<int> release;  // ids whose last reader is this step
    int64_t calls = 0;
    std::chrono::nanoseconds time{0};
    std::vector<GraphRunner*> subgraphs;
  };
  class RunScope;

  int value_id(const std::string& name);
  ValueType value_type(const std::string& name) const;
  void prepare_kernel(Step& step);
  void fold_constant_node(Step& step);
  bool is_constant(int id) const;  // a constant that a caller cannot override
  bool foldable_dequantize(const Step& step) const;
  void compute_lifetimes();
  void run_step(Step& s);
  void clear_run_values();
  void init_run_state();

  const onnx::GraphProto* graph_;
  std::unique_ptr<onnx::GraphProto> fused_;  // the fused copy graph_ points to, when fusions applied
  RunnerOptions opts_;
  std::map<std::string, int> ids_;
  std::vector<std::string> names_;
  std::vector<Tensor> constants_;          // by id; defined for initializers and folded nodes
  std::vector<char> is_initializer_;       // by id
  std::map<std::string, ValueType> types_;  // declared/inferred types by value name
  std::vector<int> outer_ids_;             // ids read from the enclosing scope
  std::vector<std::string> input_names_, overridable_names_, output_names_;
  std::vector<int> input_ids_, overridable_ids_, output_ids_;
  std::vector<Step> steps_;
  std::vector<std::vector<int>> implicit_reads_;  // per step: values its subgraphs read
  std::vector<std::unique_ptr<GraphRunner>> owned_subgraphs_;
  std::shared_ptr<const std::vector<std::string>> visible_;  // names visible to subgraphs

  // Run state, kept between runs so that steady-state runs do not allocate.
  std::mutex run_mu_;
  std::vector<Tensor> values_;  // by id
  KernelContext ctx_;
  ValueMemory memory_;
  std::unique_ptr<StepStorage> storage_;
};

}  // namespace edge::rt
