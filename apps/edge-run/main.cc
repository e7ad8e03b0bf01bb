// edge-run: run, validate, benchmark and profile ONNX models with the edge runtime.
#include <iostream>

#include "../common/app_util.h"
#include "../common/cli_suggest.h"
#include "commands.h"
#include "ir/atomic_file.h"
#include "ir/tensor.h"

int main(int argc, char** argv) {
  edge::install_interrupt_cleanup();
  CLI::App app{"edge-run: a small, dependency-light ONNX runtime for edge devices"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(EDGE_VERSION));
  app.footer(
      "Examples:\n"
      "  edge-run run model.onnx --input input=x.npy --output-dir out/\n"
      "  edge-run check model.onnx model_dir/test_data_set_0\n"
      "  edge-run bench model.onnx --runs 200 --profile\n"
      "  edge-run info\n"
      "  edge-run kernels model.onnx      (the kernels a selective build needs)\n"
      "Exit codes: 0 ok, 1 check failed, 2 bad input or usage, 3 internal error.");
  edge::app::MemoryLimitOptions limits;
  limits.add_to(app);
  edge::app::Action action;
  edge::app::add_run_command(app, action);
  edge::app::add_check_command(app, action);
  edge::app::add_bench_command(app, action);
  edge::app::add_info_command(app, action);
  edge::app::add_kernels_command(app, action);
  if (auto unknown = edge::app::unknown_argument(app, argc, argv)) return edge::app::usage_error("edge-run", *unknown);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return edge::app::usage_error("edge-run", e.what());
  }
  limits.apply();
  return edge::app::guarded_main("edge-run", action);
}
