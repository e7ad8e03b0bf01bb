#include "pass/context.h"

namespace edge::pass {

bool LayerRule::matches(const std::string& node_name) const {
  if (match.rfind("re:", 0) == 0) {
    try {
      return std::regex_match(node_name, std::regex(match.substr(3)));
    } catch (const std::regex_error& e) {
      fail("layer rule '" + match + "': invalid regular expression: " + e.what());
    }
  }
  return node_name == match;
}

std::unique_ptr<data::Dataset> PassContext::open(const DataSpec& spec) const {
  if (spec.empty()) return nullptr;
  auto d = data::open_dataset(spec.path, spec.options);
  if (spec.limit > 0) d->set_limit(spec.limit);
  return d;
}

std::optional<data::Labels> PassContext::labels(const DataSpec& spec) const {
  if (spec.labels.empty()) return std::nullopt;
  return data::open_labels(spec.labels);
}

std::unique_ptr<rt::Session> PassContext::make_session(const Model& m) const {
  return rt::Session::create(m, session_options);
}

bool PassContext::layer_excluded(const std::string& node_name) const {
  // With any `include` rule, layers no include rule matches are left alone; then later
  // rules win: exclude: true excludes, include: true or exclude: false re-includes.
  bool excluded = false;
  for (const auto& r : layer_rules) excluded = excluded || r.include;
  for (const auto& r : layer_rules) {
    if (!r.matches(node_name)) continue;
    if (r.exclude) {
      excluded = true;
    } else if (r.include || r.options.empty()) {
      excluded = false;
    }
  }
  return excluded;
}

std::string PassContext::layer_option(const std::string& node_name, const std::string& option,
                                      const std::string& fallback) const {
  std::string v = fallback;
  for (const auto& r : layer_rules) {
    if (!r.matches(node_name)) continue;
    auto it = r.options.find(option);
    if (it != r.options.end()) v = it->second;
  }
  return v;
}

}  // namespace edge::pass
