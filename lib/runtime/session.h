// Session: the public inference API (what edge-run and robot applications use).
// Load a model once, prepare it (validate, fix dynamic dims, infer shapes, create kernels),
// then run it many times with named input tensors.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
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
  // Backends the kernels may come from (e.g. {"cpu"}); empty = all registered. The
  // reference backend is always available as the fallback.
  std::vector<std::string> backends;
  // Graph fusions at preparation: QDQ patterns to integer kernels (qdq_fusion.h), then
  // Conv+BatchNormalization, Conv+activation (graph_fusion.h). Off: every node runs as
  // written (QuantizeLinear/DequantizeLinear and float ops) and observers see every tensor.
  bool fuse = true;
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
  // The same into `outputs` (model order), reusing its storage: with the previous results
  // dropped or left in `outputs`, a steady-state call allocates nothing. One run at a time
  // per session (concurrent calls are serialized).
  void run_into(const NamedTensors& feeds, NamedTensors& outputs);

  // Called after every node (subgraph nodes included) with its outputs; empty to remove.
  // Free when unset. For calibration, sensitivity analysis and debugging dumps.
  void set_observer(RunObserver observer) { observer_ = std::move(observer); }
  // Replaces an initializer (same dtype and shape) for the following runs without
  // rebuilding the session; kernels that packed it are prepared again.
  void set_weight(const std::string& name, const Tensor& value);
  // Bytes of the intermediate-value arena planned so far (0 before the first run).
  int64_t arena_bytes() const { return runner_->memory().arena_bytes(); }

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
  RunObserver observer_;
  std::mutex run_mu_;  // run_into's reused vectors belong to one call at a time
  // Reused by run_into so that steady-state runs do not allocate.
  std::vector<const Tensor*> feed_ptrs_, override_ptrs_;
  std::vector<Tensor> out_tensors_;
};

ValueDesc describe_value(const onnx::ValueInfoProto& vi);

// Deterministic random feeds for every input of `s` but those in `skip`: floats uniform in
// [0, 1), integers 0, bools false. Dynamic dims become 1. Throws for inputs without a
// declared shape.
NamedTensors random_feeds(const Session& s, uint64_t seed, const std::set<std::string>& skip = {});

}  // namespace edge::rt
