// The pass interface. A pass edits an ir::Model's ONNX graph in place; what it needs
// beyond the graph (runtime sessions, calibration/evaluation/training data, the RNG, the
// logger, per-layer report rows, per-layer options: PassContext::for_layer) it gets from
// the PassContext.
// Every pass is declared once in passes.def, which drives the registry, the pipeline
// parser, `compressor passes` and the report.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/model.h"

namespace edge::pass {

class PassContext;
struct PassInfo;

// What kind of stage a pass is (passes.def's STAGE list; PASS's third column).
enum class StageKind {
#define STAGE(Enum, name) Enum,
#include "pass/passes.def"
#undef STAGE
};
// "cleanup", "prune", "quantize", "distill".
const char* stage_name(StageKind kind);

enum class OptionType { kInt, kFloat, kBool, kString };

struct OptionSpec {
  std::string name;
  OptionType type;
  std::string default_value;  // canonical text form: "0.5", "true", "minmax"
  std::string help;
  std::vector<std::string> choices;  // for kString: allowed values (empty = any)
  double min = -1e300, max = 1e300;  // for kInt/kFloat
  bool exclusive_min = false;        // the range is (min, max]
  bool exclusive_max = false;        // the range is [min, max) (or (min, max) with both)
};

// Validated option values of one pass instance (defaults filled in).
class PassOptions {
 public:
  PassOptions() = default;
  // `values` must already be validated (make_options, normalize_option).
  PassOptions(const PassInfo* info, std::map<std::string, std::string> values)
      : info_(info), values_(std::move(values)) {}
  int64_t get_int(const std::string& name) const;
  double get_float(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  const std::map<std::string, std::string>& values() const { return values_; }
  const PassInfo* info() const { return info_; }  // nullptr for default-constructed options
  // Options that differ from their defaults, in declaration order: "sparsity=0.8,scope=global".
  std::string canonical() const;

 private:
  const std::string& raw(const std::string& name) const;
  const PassInfo* info_ = nullptr;
  std::map<std::string, std::string> values_;
};

class Pass {
 public:
  virtual ~Pass() = default;
  // Edits the model in place. Throws edge::Error (naming node/op) on failure.
  virtual void run(Model& model, PassContext& ctx) = 0;
};

struct PassInfo {
  std::string name;     // "prune-magnitude"
  StageKind stage;
  std::string summary;  // one line for `compressor passes`
  std::vector<OptionSpec> options;
  std::unique_ptr<Pass> (*create)(const PassOptions&);
  // The pass reads the calibration data (--calib-data / data.calib): the pipeline refuses to
  // start without it. A pass class says so with `static bool needs_calibration_data()`.
  bool needs_calibration_data = false;
  // Why the pass cannot take `model` ("" when it can), asked of the pipeline's input before
  // any stage runs (e.g. quantize-static refuses an already-quantized model). A pass class
  // provides `static std::string check_input(const Model&)`; nullptr when it has none.
  std::string (*check_input)(const Model&) = nullptr;
};

// Validates `values` against `info` (unknown option → error suggesting the nearest name;
// wrong type or out of range → error) and fills in defaults.
PassOptions make_options(const PassInfo& info, const std::map<std::string, std::string>& values);

// The option `name` of `info`, or nullptr.
const OptionSpec* find_option(const PassInfo& info, const std::string& name);
// Validates one value against its spec (type, range, choices) and returns its canonical text
// ("0.80" -> "0.8", "on" -> "true"). Throws Error naming the option and the pass.
std::string normalize_option(const PassInfo& info, const OptionSpec& spec, const std::string& value);

}  // namespace edge::pass
