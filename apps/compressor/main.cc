// compressor: inspect, compress and evaluate ONNX models for edge deployment.
#include "../common/app_util.h"
#include "../common/cli_suggest.h"
#include "commands.h"
#include "ir/atomic_file.h"
#include "ir/tensor.h"

int main(int argc, char** argv) {
  edge::install_interrupt_cleanup();
  CLI::App app{"compressor: make ONNX models smaller and faster for edge devices"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(EDGE_VERSION));
  app.footer(
      "Examples:\n"
      "  compressor inspect model.onnx\n"
      "  compressor compress model.onnx -o small.onnx --passes \"fold-constants,fuse-bn\" --report r.html\n"
      "  compressor passes\n"
      "  compressor search model.onnx -o best.onnx --out-dir D --calib-data c.npy --eval-data x.npy --eval-labels y.npy\n"
      "  compressor inspect model.onnx --format json > summary.json\n"
      "  compressor eval model.onnx --data t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz --scale 1/255\n"
      "  compressor eval small.onnx --data test_data/ --reference model.onnx --format json\n"
      "Exit codes: 0 ok, 1 gate failed (output still written), 2 bad input or usage, 3 internal error.");
  edge::app::MemoryLimitOptions limits;
  limits.add_to(app);
  edge::app::Action action;
  edge::app::add_inspect_command(app, action);
  edge::app::add_compress_command(app, action);
  edge::app::add_passes_command(app, action);
  edge::app::add_eval_command(app, action);
  edge::app::add_search_command(app, action);
  if (auto unknown = edge::app::unknown_argument(app, argc, argv)) return edge::app::usage_error("compressor", *unknown);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return edge::app::usage_error("compressor", e.what());
  }
  limits.apply();
  return edge::app::guarded_main("compressor", action);
}
