// Runs ONNX backend test directories (model.onnx + test_data_set_N/{input,output}_K.pb)
// with edge-run and compares with the expected outputs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/kernel_registry.h"

namespace edge::conformance {

enum class Outcome { kPassed, kFailed, kSkipped };

struct CaseResult {
  std::string name;
  Outcome outcome = Outcome::kSkipped;
  std::string reason;           // why it failed or was skipped
  std::vector<std::string> ops; // op types used (incl. subgraphs)
};

struct CompareTolerance {
  double rtol = 1e-3;  // ONNX backend test defaults
  double atol = 1e-7;
};

// Runs one test directory with a session of `threads` intra-op threads.
CaseResult run_test_dir(const std::filesystem::path& dir, const CompareTolerance& tol, int threads = 1);

// Every op type (domain-qualified unless ai.onnx) used in the model and its subgraphs.
std::vector<std::string> ops_in_model(const std::filesystem::path& model);

}  // namespace edge::conformance
