// Graph fusions applied when a session is prepared (as ONNX Runtime's graph optimizations
// do), on the runner's own copy of the graph; the model is never changed:
//   Conv -> BatchNormalization (inference, constant parameters): the normalization is
//     folded into the Conv's weights and bias, and the Conv writes the BN's output.
//   Conv -> Relu / Clip (constant bounds) / LeakyRelu: becomes one FusedConv node of the
//     runtime's private domain (kFusedDomain) that applies the activation in its epilogue;
//     only when a kernel for it is enabled (the cpu backend).
//   Conv -> Add (a residual of the same declared shape) [-> activation]: FusedConv with the
//     other addend as input 3 (Z), added before the activation, as ONNX Runtime's FusedConv.
//   Identity of a constant initializer (PyTorch's exporter writes one per tensor it
//     deduplicated, e.g. a zero bias shared by many Convs): its readers read the initializer
//     itself, so their kernels see a constant (prepacked, fusable) input, and the Identity goes.
//   A FusedConv is made only when its weight is a constant and its bias absent or constant,
//     what the kernels that implement it accept.
// A pair is fused only when the intermediate has no other reader and is not a graph output,
// so no value that a caller can see disappears. Run observers see the fused graph's values;
// turn fusion off (SessionOptions::fuse) to observe every original tensor (calibration).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph_index.h"
#include "onnx/onnx_pb.h"
#include "runtime/kernel_registry.h"

namespace edge::rt {

inline constexpr const char* kFusedDomain = "com.edge-run.fused";

struct FusionStats {
  int conv_bn = 0;
  int conv_activation = 0;
  int conv_add = 0;
  int identity_forwarded = 0;
};

// A fused copy of `g`, or nullptr when nothing applies. `opset` is the ai.onnx version;
// `allow_fused_ops` says whether FusedConv nodes may be created.
std::unique_ptr<onnx::GraphProto> fuse_graph(const onnx::GraphProto& g, int opset, bool allow_fused_ops,
                                             FusionStats* stats = nullptr);

// Pieces shared with the QDQ fusion (qdq_fusion.h).
namespace fusion {
// True for an ai.onnx node of type `op`.
bool is_op(const onnx::NodeProto& n, const char* op);
// The single reader of node n's output 0, or -1 (several readers, a graph output, none).
int only_reader(const GraphIndex& idx, const onnx::NodeProto& n);
// Adds FusedConv-style attributes (`activation`, `activation_params`) for `act` to `fused`:
// Relu, LeakyRelu(alpha) or Clip with constant bounds (attributes before opset 11, inputs
// from initializers or Constant nodes after). False when `act` is none of these.
bool add_activation(const onnx::GraphProto& g, const GraphIndex& idx, const onnx::NodeProto& act,
                    onnx::NodeProto& fused);
}  // namespace fusion

}  // namespace edge::rt
