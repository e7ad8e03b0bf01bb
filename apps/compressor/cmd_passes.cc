// compressor passes: list every pass with its stage, summary and options (from passes.def).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "../common/app_util.h"
#include "commands.h"
#include "pass/registry.h"

namespace edge::app {

namespace {
const char* type_name(pass::OptionType t) {
  switch (t) {
    case pass::OptionType::kInt: return "int";
    case pass::OptionType::kFloat: return "float";
    case pass::OptionType::kBool: return "bool";
    case pass::OptionType::kString: return "string";
  }
  return "?";
}

int list_passes(const std::string& format) {
  if (format == "json") {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& p : pass::all_passes()) {
      nlohmann::ordered_json opts = nlohmann::ordered_json::array();
      for (const auto& o : p.options) {
        nlohmann::ordered_json oj = {{"name", o.name}, {"type", type_name(o.type)}, {"default", o.default_value}, {"help", o.help}};
        if (!o.choices.empty()) oj["choices"] = o.choices;
        opts.push_back(oj);
      }
      j.push_back({{"name", p.name}, {"stage", pass::stage_name(p.stage)}, {"summary", p.summary}, {"options", opts}});
    }
    std::printf("%s\n", json_text(j).c_str());
    return 0;
  }
  for (const auto& p : pass::all_passes()) {
    std::printf("%-24s [%s] %s\n", p.name.c_str(), pass::stage_name(p.stage), p.summary.c_str());
    for (const auto& o : p.options) {
      std::string choices;
      for (const auto& c : o.choices) choices += (choices.empty() ? " (" : "|") + c;
      if (!choices.empty()) choices += ")";
      std::printf("    %-20s %-6s default %-10s %s%s\n", o.name.c_str(), type_name(o.type), o.default_value.c_str(),
                  o.help.c_str(), choices.c_str());
    }
  }
  return 0;
}
}  // namespace

void add_passes_command(CLI::App& root, Action& action) {
  auto format = std::make_shared<std::string>("text");
  auto* c = root.add_subcommand("passes", "List the passes a pipeline can use, with options and defaults");
  c->add_option("--format,-f", *format, "text or json")->check(CLI::IsMember({"text", "json"}));
  c->callback([format, &action] { action = [format] { return list_passes(*format); }; });
}

}  // namespace edge::app
