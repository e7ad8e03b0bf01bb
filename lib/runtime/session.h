// Session: the public inference API (what edge-run and robot applications use).
// Load a model once, prepare it (validate, fix dynamic dims, infer shapes, create kernels),
// then run it many times with named input tensors.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"
#include "runtime/graph_runner.h"

namespace edge::rt {

struct SessionOptions {
  int threads = 1;                            // intra-op threads (1 = run on the caller)
  std::map<std::string, Shape> input_shapes;  // fix dynamic dims: name -> full shape
  bool profile = false;                       // collect per-node timings
  int max_subgraph_depth = 16;
  const KernelRegistry* registry = nullptr;   // default: KernelRegistry::builtin()
};

// An input or output as declared by the model. Unknown dims are -1 (see dim_params).
struct ValueDesc {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  std::vector<std::string> dim_params;  // symbolic names, "" where the dim is fixed/unknown
  bool has_shape = false;
};

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Session {
 public:
  // Throwing form (library-internal); see try_create for the Status form.
  static std::unique_ptr<Session> create(Model model, const SessionOptions& opts = {});
  static Expected<std::unique_ptr<Session>> try_create(Model model, const SessionOptions& opts = {});
  ~Session();

  const std::vector<ValueDesc>& inputs() const { return inputs_; }
  const std::vector<ValueDesc>& outputs() const { return outputs_; }
  const Model& model() const { return model_; }

  // Feeds by name; every required input must be given. Returns outputs in model order.
  NamedTensors run(const NamedTensors& feeds);
  Expected<NamedTensors> try_run(const NamedTensors& feeds);

  std::vector<NodeProfile> profile() const { return runner_->profile(); }
  void reset_profile() { runner_->reset_profile(); }
  int threads() const { return threads_; }

 private:
  Session() = default;
  void validate_input(const ValueDesc& d, const Tensor& t) const;

  Model model_;
  std::vector<ValueDesc> inputs_, outputs_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<GraphRunner> runner_;
  int threads_ = 1;
};

ValueDesc describe_value(const onnx::ValueInfoProto& vi);

// Deterministic random feeds for every input of `s`: floats uniform in [0, 1), integers 0,
// bools false. Dynamic dims become 1. Throws for inputs without a declared shape.
NamedTensors random_feeds(const Session& s, uint64_t seed);

}  // namespace edge::rt
