// remove-initializer-inputs: drops the graph inputs that are backed by an initializer, so
// their values become constants that later passes (fuse-bn, fold-constants, quantize, prune)
// and the runtime's prepacking can use.
//
// Before (IR >= 4, e.g. an export with keep_initializers_as_inputs):
//   inputs: x, conv.weight, bn.scale, ...      initializers: conv.weight, bn.scale, ...
// After:
//   inputs: x                                  initializers: conv.weight, bn.scale, ...
//
// From IR 4 on, an initializer listed as a graph input is only a default that a caller may
// override, so no pass may treat it as a constant. IR < 4 requires every initializer to be
// listed as an input (they are constants there); such models are raised to IR 4 (which
// only relaxed that rule) and the listing is dropped too, so the file states what it means.
// `keep=a,b` keeps those inputs overridable (IR >= 4 only). Subgraph inputs are formal
// parameters, not defaults, and are never touched.
#include <set>

#include "passes/cleanup/cleanup_passes.h"

namespace edge::pass {

const char* RemoveInitializerInputs::summary() {
  return "drop graph inputs backed by initializers so the weights become constants (older exporters list them)";
}

std::vector<OptionSpec> RemoveInitializerInputs::options() {
  return {{"keep", OptionType::kString, "", "comma-separated input names to keep overridable", {}}};
}

namespace {
std::set<std::string> split_names(const std::string& text) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find(',', start);
    const std::string name = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!name.empty()) out.insert(name);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}
}  // namespace

void RemoveInitializerInputs::run(Model& model, PassContext& ctx) {
  auto& g = model.graph();
  std::set<std::string> inits;
  for (const auto& t : g.initializer()) inits.insert(t.name());
  const std::set<std::string> keep = split_names(opts_.get_string("keep"));
  for (const auto& k : keep) {
    bool found = false;
    for (const auto& in : g.input()) found = found || in.name() == k;
    if (!found && ctx.stage) ctx.stage->notes.push_back("keep: '" + k + "' is not a graph input");
  }
  if (!keep.empty() && model.proto().ir_version() < 4) {
    // IR 3 lists every initializer as an input and means constants; keeping some would turn
    // them into overridable defaults.
    fail("remove-initializer-inputs: keep= needs IR version >= 4 (this model is IR " +
         std::to_string(model.proto().ir_version()) + ", where listed initializers are constants)");
  }
  auto removable = [&](const onnx::ValueInfoProto& in) { return inits.count(in.name()) && !keep.count(in.name()); };
  int removed = 0;
  for (const auto& in : g.input()) removed += removable(in) ? 1 : 0;
  if (removed == 0) {  // nothing to do: the inputs stay exactly as they are
    if (ctx.stage) ctx.stage->metrics["removed_inputs"] = 0;
    return;
  }
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> kept;
  for (auto& in : *g.mutable_input()) {
    if (!removable(in)) *kept.Add() = std::move(in);
  }
  g.mutable_input()->Swap(&kept);
  // IR 3 requires every initializer to be an input; IR 4 only dropped that requirement.
  if (model.proto().ir_version() < 4) model.proto().set_ir_version(4);
  if (ctx.stage) {
    ctx.stage->metrics["removed_inputs"] = removed;
    ctx.stage->notes.push_back(std::to_string(removed) + " graph inputs backed by initializers are now constants");
  }
  ctx.log().info("remove-initializer-inputs: {} inputs backed by initializers are now constants", removed);
}

}  // namespace edge::pass
