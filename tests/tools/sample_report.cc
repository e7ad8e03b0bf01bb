// Writes a realistic compression report (three stages of an MNIST-sized CNN, layer tables,
// one failed gate, a hostile layer name) to the path given; the format follows the extension.
// Used by tests/cli/test_report_html.sh to render the HTML page in a browser.
#include <cstdio>
#include <exception>

#include "report/report.h"

using namespace edge::report;

namespace {

LayerRecord layer(const char* name, const char* op, int64_t params,
                  std::map<std::string, double> metrics, std::map<std::string, std::string> attrs = {}) {
  return LayerRecord{name, op, params, std::move(metrics), std::move(attrs)};
}

Report sample() {
  Report r;
  r.tool_version = "compressor 0.1.0";
  r.input_path = "models/mnist-cnn.onnx";
  r.output_path = "out/mnist-cnn.int8.onnx";
  r.input_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  r.pipeline = "fold,fuse-bn,prune-magnitude<sparsity=0.8>,quantize-static<per_channel=1>";
  r.seed = 42;
  r.started_at = "2024-05-01T12:00:00Z";
  r.total_seconds = 4.87;
  r.original = {1725536, 431080, 0.0, 2307584, 0.9912, std::nullopt, std::nullopt, 0.84, 0.02, 1725536, 0, std::nullopt};
  r.result = {458202, 431080, 0.7994, 2307584, 0.9871, 0.9934, 0.9991, 0.51, 0.01, 520311, 3, 402117};

  StageRecord fold{"fold", "", "cleanup", 0.012, r.original, r.original, 14, 11,
                   {}, {{"folded_nodes", 3}}, {}, {}};
  fold.after.bytes = 1724900;

  StageRecord prune{"prune-magnitude", "sparsity=0.8", "prune", 0.214, fold.after, fold.after,
                    11, 11, {}, {}, {}, {}};
  prune.after.sparsity = 0.7994;
  prune.after.top1 = 0.9893;
  prune.after.agreement_top1 = 0.9951;
  prune.layers = {
      layer("conv1", "Conv", 832, {{"sparsity", 0.5}, {"l1_before", 41.2}}),
      layer("conv2", "Conv", 51264, {{"sparsity", 0.78}, {"l1_before", 390.5}}),
      layer("fc1", "Gemm", 376960, {{"sparsity", 0.81}, {"l1_before", 1210.0}}),
      layer("fc2", "Gemm", 2010, {{"sparsity", 0.6}, {"l1_before", 18.3}}),
      layer("<img src=x onerror=alert(1)>", "MatMul", 14, {{"sparsity", 0.0}}),
  };
  prune.notes = {"conv1 kept at 50% (first layer is sensitive)"};

  StageRecord quant{"quantize-static", "per_channel=1", "quantize", 3.91, prune.after, r.result,
                    11, 23, {}, {}, {}, {}};
  quant.metrics = {{"calibration_samples", 256}, {"quantized_layers", 4}};
  const auto q = [](const char* name, const char* op, int64_t params, double sqnr, double sparsity,
                    const char* scheme) {
    return layer(name, op, params, {{"bits", 8}, {"sqnr_db", sqnr}, {"sparsity", sparsity}},
                 {{"dtype", "int8"}, {"scheme", scheme}});
  };
  quant.layers = {q("conv1", "Conv", 832, 38.1, 0.5, "per-channel"),
                  q("conv2", "Conv", 51264, 34.6, 0.78, "per-channel"),
                  q("fc1", "Gemm", 376960, 31.2, 0.81, "per-channel"),
                  q("fc2", "Gemm", 2010, 29.9, 0.6, "per-tensor")};
  r.stages = {fold, prune, quant};

  r.gates = {
      {"max-accuracy-drop", 0.003, 0.0041, false, "", "top-1 dropped 0.0041 (limit 0.0030)"},
      {"max-size", 524288, 458202, true, "bytes", "447.5 KiB <= 512.0 KiB"},
      {"max-latency", 1.0, 0.51, true, "ms", "0.51 ms <= 1.00 ms"},
  };
  r.verdict = "gate-failed";
  r.notes = {"eval: 1000 labelled samples from mnist-test", "latency measured with 1 thread, 50 runs"};
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: sample_report OUT.{json,md,html}\n");
    return 2;
  }
  try {
    write_report(sample(), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sample_report: %s\n", e.what());
    return 1;
  }
  return 0;
}
