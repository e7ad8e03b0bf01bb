// edge-run kernels: the kernel selection (-DEDGE_RUN_KERNELS) a build needs for some models.
#include <algorithm>
#include <cstdio>

#include "../common/app_util.h"
#include "commands.h"
#include "ir/model.h"
#include "runtime/kernel_selection.h"

namespace edge::app {

namespace {
struct KernelsOptions {
  std::vector<std::string> models;
  bool lines = false;
};

#ifndef EDGE_KERNEL_SELECTION
int kernels(const KernelsOptions& o) {
  std::vector<std::string> all;
  for (const auto& path : o.models) {
    for (auto& name : rt::kernels_required_by(load_model(path).proto())) {
      if (std::find(all.begin(), all.end(), name) == all.end()) all.push_back(std::move(name));
    }
  }
  // Reference registrars first, then cpu_*, each sorted (as kernels_required_by returns them).
  std::stable_sort(all.begin(), all.end(), [](const std::string& a, const std::string& b) {
    const bool ca = a.rfind("cpu_", 0) == 0, cb = b.rfind("cpu_", 0) == 0;
    return ca != cb ? cb : a < b;
  });
  std::string text;
  for (const auto& name : all) text += (text.empty() ? "" : (o.lines ? "\n" : ";")) + name;
  std::printf("%s\n", text.c_str());
  return 0;
}
#else
int kernels(const KernelsOptions&) {
  // Listing what a model needs takes every kernel's registration, which this build left out.
  return usage_error("edge-run", std::string("'kernels' needs a build without EDGE_RUN_KERNELS (this one has only ") +
                                     rt::kernel_selection() + ")");
}
#endif
}  // namespace

void add_kernels_command(CLI::App& root, Action& action) {
  auto o = std::make_shared<KernelsOptions>();
  auto* c = root.add_subcommand(
      "kernels", "Print the kernels a build needs for these models, for cmake -DEDGE_RUN_KERNELS=\"...\"");
  c->add_option("models", o->models, "ONNX model files (the union of what they need)")->required();
  c->add_flag("--lines", o->lines, "One kernel per line instead of one ';'-separated list");
  c->footer(
      "Names are registrars: a reference kernel file's op name (Conv, Add, ...) and cpu_<Name> for the\n"
      "cpu backend's kernels. The list covers every node of every graph (subgraphs included), as\n"
      "written and as edge-run fuses it (FusedConv, the QLinear forms of QDQ patterns). Example:\n"
      "  cmake -S . -B build-mnist -DEDGE_RUNTIME_ONLY=ON -DEDGE_RUN_KERNELS=\"$(edge-run kernels mnist.onnx)\"");
  c->callback([o, &action] { action = [o] { return kernels(*o); }; });
}

}  // namespace edge::app
