// The pass registry, generated from lib/pass/passes.def.
#include "pass/registry.h"

#include <algorithm>

#include "passes/cleanup/cleanup_passes.h"
#include "passes/quantize/quantize_passes.h"
#include "passes/prune/prune_passes.h"
#include "passes/prune/prune_channels.h"
#include "passes/quantize/weight_quant_passes.h"
#include "passes/quantize/quantize_accuracy_passes.h"
#include "passes/distill/distill_pass.h"
#include "passes/distill/qat_pass.h"

namespace edge::pass {

namespace {
template <class Class>
constexpr bool needs_calibration_data() {
  if constexpr (requires { Class::needs_calibration_data(); }) {
    return Class::needs_calibration_data();
  } else {
    return false;
  }
}
template <class Class>
constexpr std::string (*input_check())(const Model&) {
  if constexpr (requires(const Model& m) { Class::check_input(m); }) {
    return &Class::check_input;
  } else {
    return nullptr;
  }
}
}  // namespace

const std::vector<PassInfo>& all_passes() {
  static const std::vector<PassInfo> kPasses = {
#define PASS(name, Class, Stage)                                                                   \
  PassInfo{name, StageKind::Stage, Class::summary(), Class::options(),                              \
           [](const PassOptions& o) -> std::unique_ptr<Pass> { return std::make_unique<Class>(o); }, \
           needs_calibration_data<Class>(), input_check<Class>()},
#include "pass/passes.def"
#undef PASS
  };
  return kPasses;
}

const PassInfo& find_pass(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& p : all_passes()) {
    if (p.name == name) return p;
    names.push_back(p.name);
  }
  std::string near = nearest_name(name, names);
  fail("unknown pass '" + name + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)") +
       "; `compressor passes` lists them");
}

}  // namespace edge::pass
