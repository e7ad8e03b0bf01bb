// Per-layer rules (a recipe's `layers:` list): exclude or include nodes, and override pass
// options for nodes matched by name or by "re:<regex>". Later rules win.
//
// The raw rules (LayerRule) are checked once against the pipeline (LayerRules' constructor):
// regexes compile, and every overridden option exists in some pass of the pipeline and has a
// valid value (type, range, choices) for every pass that declares it. A bad rule is an
// input error at recipe load, naming the rule and the option, never at stage run.
// A pass then asks PassContext::for_layer(node) for its typed options on that node.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "pass/pass.h"
#include "pass/pipeline.h"

namespace edge::pass {

// One rule as written. `options` holds raw values; LayerRules validates them.
struct LayerRule {
  std::string match;     // exact node name, or "re:<regex>" matched against the whole name
  bool exclude = false;
  bool include = false;  // when any rule includes, only included layers are edited
  std::map<std::string, std::string> options;  // pass option overrides for matching layers
};

// What applies to one node for one pass: whether the pass must leave it unchanged, and the
// pass's options with the node's overrides applied (typed getters, values validated).
struct LayerOptions {
  bool excluded = false;
  PassOptions options;
  std::vector<std::string> overridden;  // option names a rule changed for this node, sorted

  int64_t get_int(const std::string& name) const { return options.get_int(name); }
  double get_float(const std::string& name) const { return options.get_float(name); }
  bool get_bool(const std::string& name) const { return options.get_bool(name); }
  const std::string& get_string(const std::string& name) const { return options.get_string(name); }
};

class LayerRules {
 public:
  LayerRules() = default;
  // Validates `rules` against `pipeline` (see above). `where` starts every error message
  // (the recipe's file name). Throws Error (invalid input).
  LayerRules(std::vector<LayerRule> rules, const Pipeline& pipeline, const std::string& where);

  bool empty() const { return rules_.empty(); }
  const std::vector<LayerRule>& rules() const { return rules_; }

  bool matches(size_t rule_index, const std::string& node_name) const;
  // With any `include` rule, layers no include rule matches are excluded; then, in order,
  // `exclude: true` excludes and `include: true` (or a rule without options) re-includes.
  bool excluded(const std::string& node_name) const;
  // `base` (the options of the running pass) with the overrides of every rule matching
  // `node_name`, later rules winning. Options of other passes are ignored.
  LayerOptions for_layer(const std::string& node_name, const PassOptions& base) const;

 private:
  std::vector<LayerRule> rules_;
  std::vector<std::optional<std::regex>> regexes_;  // parallel to rules_, for "re:" rules
  bool any_include_ = false;
};

}  // namespace edge::pass
