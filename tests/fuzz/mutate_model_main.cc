// mutate_model: writes structure-aware mutants of ONNX models for the CLI-level campaign
// (scripts/fuzz-cli.sh).
//   mutate_model OUT_DIR COUNT SEED MODEL...
// (MUTATE_STEPS=N in the environment: up to N mutations per mutant, default 1)
// writes OUT_DIR/<model stem>-<i>.onnx (COUNT per model) and prints one line per mutant:
// "<file>\t<what was mutated>". The same seed gives the same files.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "model_mutator.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 5) {
    std::fprintf(stderr, "usage: mutate_model OUT_DIR COUNT SEED MODEL...\n");
    return 2;
  }
  const fs::path out_dir = argv[1];
  const long count = std::strtol(argv[2], nullptr, 10);
  std::mt19937_64 rng(std::strtoull(argv[3], nullptr, 10));
  const char* steps_env = std::getenv("MUTATE_STEPS");
  const int steps = steps_env ? std::max(1, std::atoi(steps_env)) : 1;
  fs::create_directories(out_dir);
  auto bytes = [&rng](uint8_t* d, size_t s, size_t mx) { return edge::fuzz::mutate_bytes_simple(d, s, mx, rng); };
  for (int a = 4; a < argc; ++a) {
    onnx::ModelProto original;
    std::ifstream in(argv[a], std::ios::binary);
    if (!in || !original.ParseFromIstream(&in)) {
      std::fprintf(stderr, "mutate_model: cannot parse %s\n", argv[a]);
      return 2;
    }
    for (long i = 0; i < count; ++i) {
      onnx::ModelProto m = original;
      const std::string what = edge::fuzz::mutate_model(m, rng, bytes, steps);
      const fs::path out = out_dir / (fs::path(argv[a]).stem().string() + "-" + std::to_string(i) + ".onnx");
      std::ofstream o(out, std::ios::binary | std::ios::trunc);
      if (!m.SerializeToOstream(&o)) {
        std::fprintf(stderr, "mutate_model: cannot write %s\n", out.c_str());
        return 2;
      }
      std::printf("%s\t%s\n", out.c_str(), what.c_str());
    }
  }
  return 0;
}
