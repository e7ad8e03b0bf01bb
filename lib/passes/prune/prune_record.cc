#include "passes/prune/prune_record.h"

#include <nlohmann/json.hpp>

namespace edge::pass::prune {

std::map<std::string, std::string> read_pruned(const Model& m) {
  std::map<std::string, std::string> out;
  for (const auto& p : m.proto().metadata_props()) {
    if (p.key() != kMetaPruned) continue;
    const auto j = nlohmann::json::parse(p.value(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      throw Error(ErrorCode::kInvalidInput, m.name() + ": metadata '" + kMetaPruned + "' is not a JSON object");
    }
    for (const auto& [k, v] : j.items()) {
      if (!v.is_string()) {
        throw Error(ErrorCode::kInvalidInput,
                    m.name() + ": metadata '" + kMetaPruned + "': the entry for '" + k + "' is not a string");
      }
      out[k] = v.get<std::string>();
    }
  }
  return out;
}

void record_pruned(Model& m, const std::map<std::string, std::string>& entries) {
  std::map<std::string, std::string> all = read_pruned(m);
  if (entries.empty()) return;  // nothing pruned: no (empty) record is added
  for (const auto& [k, v] : entries) all[k] = v;
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : all) j[k] = v;  // std::map: sorted keys, stable bytes
  const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto* props = m.proto().mutable_metadata_props();
  for (auto& p : *props) {
    if (p.key() == kMetaPruned) {
      p.set_value(text);
      return;
    }
  }
  auto* p = props->Add();
  p->set_key(kMetaPruned);
  p->set_value(text);
}

std::string nm_method(int n, int m) { return "nm:" + std::to_string(n) + ":" + std::to_string(m); }

}  // namespace edge::pass::prune
