#include "pass/layer_rules.h"

#include <algorithm>

namespace edge::pass {

LayerRules::LayerRules(std::vector<LayerRule> rules, const Pipeline& pipeline, const std::string& where)
    : rules_(std::move(rules)) {
  for (size_t i = 0; i < rules_.size(); ++i) {
    const LayerRule& r = rules_[i];
    const std::string rule = where + ": layers[" + std::to_string(i) + "] (match '" + r.match + "')";
    if (r.match.empty()) fail(rule + ": 'match' is empty");
    if (r.exclude && r.include) fail(rule + ": a rule cannot both exclude and include");
    any_include_ = any_include_ || r.include;
    std::optional<std::regex> re;
    if (r.match.rfind("re:", 0) == 0) {
      try {
        re.emplace(r.match.substr(3), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        fail(rule + ": invalid regular expression: " + e.what());
      }
    }
    regexes_.push_back(std::move(re));
    for (const auto& [name, value] : r.options) {
      bool declared = false;
      for (const auto& entry : pipeline) {
        const OptionSpec* spec = find_option(*entry.info, name);
        if (!spec) continue;
        declared = true;
        try {
          (void)normalize_option(*entry.info, *spec, value);
        } catch (const Error& e) {
          throw Error(e.code(), rule + ": " + e.what());
        }
      }
      if (!declared) fail(rule + ": '" + name + "' is not an option of any pass in the pipeline");
    }
  }
}

bool LayerRules::matches(size_t i, const std::string& node_name) const {
  if (regexes_[i]) return std::regex_match(node_name, *regexes_[i]);
  return node_name == rules_[i].match;
}

bool LayerRules::excluded(const std::string& node_name) const {
  bool excluded = any_include_;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (!matches(i, node_name)) continue;
    const LayerRule& r = rules_[i];
    if (r.exclude) {
      excluded = true;
    } else if (r.include || r.options.empty()) {
      excluded = false;
    }
  }
  return excluded;
}

LayerOptions LayerRules::for_layer(const std::string& node_name, const PassOptions& base) const {
  LayerOptions out;
  out.excluded = excluded(node_name);
  const PassInfo* info = base.info();
  if (!info) fail_internal("layer options asked for without the pass's options");
  std::map<std::string, std::string> values = base.values();
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].options.empty() || !matches(i, node_name)) continue;
    for (const auto& [name, value] : rules_[i].options) {
      const OptionSpec* spec = find_option(*info, name);
      if (!spec) continue;  // an option of another pass in the pipeline
      values[name] = normalize_option(*info, *spec, value);
      if (std::find(out.overridden.begin(), out.overridden.end(), name) == out.overridden.end()) {
        out.overridden.push_back(name);
      }
    }
  }
  std::sort(out.overridden.begin(), out.overridden.end());
  out.options = PassOptions(info, std::move(values));
  return out;
}

}  // namespace edge::pass
