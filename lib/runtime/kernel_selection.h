// Which kernels a build of the runtime carries. By default every kernel of the source tree;
// a build configured with -DEDGE_RUN_KERNELS="Conv;Relu;cpu_Conv;..." registers only the named
// registrars (one per reference kernel file, cpu_<Name> for the cpu backend's), and the linker
// leaves the other kernels out of libedge_run.so, libedge_run.a's users and edge-run, the way
// TFLite's selective builds do. `edge-run kernels MODEL...` prints the list a set of models
// needs (docs/deploy.md, "A build for given models").
#pragma once

#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "runtime/kernel_registry.h"

namespace edge::rt {

// kernel_selection.cc, which defines nothing else (so an executable can link a selection of its
// own ahead of libedge_runtime.a, as tests/CMakeLists.txt's edge-run-lenet5 does): "" when every
// kernel is in, otherwise the selection this library was built with, e.g. "Conv;Relu;cpu_Conv".
const char* kernel_selection();

// One registration function: a reference kernel file's (name = its EDGE_KERNEL name) or a cpu
// kernel's (name = "cpu_" + its EDGE_CPU_KERNEL name).
struct KernelRegistrar {
  const char* name;
  void (*add)(KernelRegistry&);
};

// kernel_registrars.cc: every registrar of the source tree, reference ones first. Whatever calls
// this links every kernel, so a selective build's edge-run leaves `edge-run kernels` out.
const std::vector<KernelRegistrar>& all_kernel_registrars();

// The registrars a build needs to run `model` as the full build does: for every node of every
// graph (subgraphs included), as written and after the runtime's QDQ and Conv fusions, each
// registrar with a kernel for the node's domain, op and opset, on any backend. Reference
// registrars first, then cpu ones, each group sorted by name.
std::vector<std::string> kernels_required_by(const onnx::ModelProto& model);

}  // namespace edge::rt
