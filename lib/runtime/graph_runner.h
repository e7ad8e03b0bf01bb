// GraphRunner: one graph compiled for execution: nodes in topological order, a kernel per
// node, value slots, and lifetimes (an intermediate is freed after its last reader).
// Subgraphs (If/Loop bodies) are GraphRunners too, reading enclosing values through a
// ValueScope.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "onnx/onnx_pb.h"
#include "runtime/kernel.h"
#include "runtime/kernel_registry.h"

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
  int64_t calls = 0;
  double total_ms = 0;
};

struct RunnerOptions {
  const KernelRegistry* registry = nullptr;
  std::map<std::string, int> opsets;  // domain -> version ("" for ai.onnx)
  ThreadPool* pool = nullptr;
  int depth = 0;
  int max_depth = 16;  // nesting limit for subgraphs
  bool profile = false;
};

// Names that nodes of `g` (and its subgraphs) read but `g` does not define.
std::vector<std::string> free_variables(const onnx::GraphProto& g);

class GraphRunner {
 public:
  // `outer_names`: values of enclosing graphs that this graph may read.
  GraphRunner(const onnx::GraphProto& g, const std::vector<std::string>& outer_names,
              const RunnerOptions& opts);

  // Names the caller feeds, in order: graph inputs that are not initializers.
  const std::vector<std::string>& input_names() const { return input_names_; }
  // Graph inputs backed by an initializer (IR < 4 models): the caller may override them.
  const std::vector<std::string>& overridable_names() const { return overridable_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }

  // `inputs` parallel to input_names(); `overrides` parallel to overridable_names()
  // (nullptr = keep the initializer). Returns the outputs in output_names() order.
  std::vector<Tensor> run(const std::vector<const Tensor*>& inputs, const ValueScope* outer,
                          const std::vector<const Tensor*>& overrides = {});

  std::vector<NodeProfile> profile() const;  // this graph's nodes, plus subgraph nodes
  void reset_profile();
  int node_count() const { return static_cast<int>(steps_.size()); }

 private:
  struct Step {
    const onnx::NodeProto* node;
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

  const onnx::GraphProto* graph_;
  RunnerOptions opts_;
  std::map<std::string, int> ids_;
  std::vector<std::string> names_;
  std::vector<Tensor> constants_;          // by id; defined for initializers
  std::vector<int> outer_ids_;             // ids read from the enclosing scope
  std::vector<std::string> input_names_, overridable_names_, output_names_;
  std::vector<int> input_ids_, overridable_ids_, output_ids_;
  std::vector<Step> steps_;
  std::vector<std::unique_ptr<GraphRunner>> owned_subgraphs_;
};

}  // namespace edge::rt
