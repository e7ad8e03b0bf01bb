// edge-run info: version, build options, CPU features, registered kernels.
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "commands.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernel_selection.h"

namespace edge::app {

namespace {
int info(bool list_kernels) {
  std::printf("edge-run %s\n", EDGE_VERSION);
#ifdef NDEBUG
  const char* build = "release";
#else
  const char* build = "debug";
#endif
  std::printf("build: %s, %s, C++%ld", build, __VERSION__, __cplusplus / 100 % 100);
#if defined(__SANITIZE_ADDRESS__)
  std::printf(", ASan");
#endif
#if defined(EDGE_RUNTIME_ONLY)
  std::printf(", runtime-only (protobuf-lite, no libonnx)");
#endif
  std::printf("\n");
#if defined(__x86_64__)
  std::printf("arch: x86_64\n");
  __builtin_cpu_init();
  std::printf("cpu features:");
  struct Feature {
    const char* name;
    bool on;
  } features[] = {{"sse4.2", __builtin_cpu_supports("sse4.2") != 0}, {"avx", __builtin_cpu_supports("avx") != 0},
                  {"avx2", __builtin_cpu_supports("avx2") != 0},     {"fma", __builtin_cpu_supports("fma") != 0},
                  {"avx512f", __builtin_cpu_supports("avx512f") != 0},
                  {"avx512bw", __builtin_cpu_supports("avx512bw") != 0},
                  {"avx512vnni", __builtin_cpu_supports("avx512vnni") != 0}};
  for (const auto& f : features) {
    if (f.on) std::printf(" %s", f.name);
  }
  std::printf("\n");
#elif defined(__aarch64__)
  std::printf("arch: aarch64\n");
#else
  std::printf("arch: other\n");
#endif
  std::printf("hardware threads: %u\n", std::thread::hardware_concurrency());
  const auto& reg = rt::KernelRegistry::builtin();
  std::map<std::string, std::set<std::string>> ops;  // backend -> op names
  for (const auto& d : reg.all()) ops[d.backend].insert((d.domain.empty() ? "" : d.domain + ".") + d.op);
  std::printf("kernels: %zu registered", reg.all().size());
  for (const auto& [prov, names] : ops) std::printf(", %zu ops (%s)", names.size(), prov.c_str());
  std::printf("\n");
  if (*rt::kernel_selection()) std::printf("kernel selection (EDGE_RUN_KERNELS): %s\n", rt::kernel_selection());
  if (list_kernels) {
    for (const auto& d : reg.all()) {
      std::printf("  %-28s opset %d-%s  %s\n", ((d.domain.empty() ? "" : d.domain + ".") + d.op).c_str(), d.since,
                  d.until >= rt::kOpsetMax ? "" : std::to_string(d.until).c_str(), d.backend.c_str());
    }
  } else {
    for (const auto& [prov, names] : ops) {
      std::string line;
      for (const auto& n : names) line += (line.empty() ? "" : " ") + n;
      std::printf("  %s: %s\n", prov.c_str(), line.c_str());
    }
  }
  return 0;
}
}  // namespace

void add_info_command(CLI::App& root, Action& action) {
  auto list = std::make_shared<bool>(false);
  auto* c = root.add_subcommand("info", "Version, build options, CPU features and registered kernels");
  c->add_flag("--kernels", *list, "List every kernel with its opset range");
  c->callback([list, &action] { action = [list] { return info(*list); }; });
}

}  // namespace edge::app
