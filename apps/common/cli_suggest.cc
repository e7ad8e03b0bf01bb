// See cli_suggest.h.
#include "cli_suggest.h"

#include <filesystem>
#include <vector>

#include "ir/text_util.h"

namespace edge::app {
namespace {

// The long names ("--passes") of `app`'s options and whether each takes a value.
std::vector<std::pair<std::string, bool>> long_options(const CLI::App& app) {
  std::vector<std::pair<std::string, bool>> out{{"--help", false}};
  for (const CLI::Option* o : app.get_options()) {
    for (const auto& l : o->get_lnames()) out.emplace_back("--" + l, o->get_expected_min() > 0);
  }
  return out;
}

std::string suggestion(const std::string& near) { return near.empty() ? "" : " (did you mean '" + near + "'?)"; }

}  // namespace

std::optional<std::string> unknown_argument(CLI::App& root, int argc, char** argv) {
  const auto root_opts = long_options(root);
  CLI::App* sub = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") break;
    if (a.rfind("--", 0) == 0) {
      const std::string name = a.substr(0, a.find('='));
      const auto& known = sub ? long_options(*sub) : root_opts;
      bool found = false, takes_value = false;
      for (const auto& [n, v] : known) {
        if (n == name) found = true, takes_value = v;
      }
      if (!found && sub) {
        for (const auto& [n, v] : root_opts) {
          if (n == name && n != "--help") {
            const std::string tool = std::filesystem::path(argv[0]).filename().string();
            return "option '" + name + "' goes before the command: " + tool + " " + name + " ... " + sub->get_name() +
                   " ...";
          }
        }
      }
      if (!found) {
        std::vector<std::string> names;
        for (const auto& [n, v] : known) names.push_back(n);
        return "unknown option '" + name + "'" + (sub ? " for '" + sub->get_name() + "'" : "") +
               suggestion(nearest_name(name, names));
      }
      if (takes_value && a.find('=') == std::string::npos) ++i;  // skip the option's value
      continue;
    }
    if (sub || a.empty() || a[0] == '-') continue;  // positional argument or short option
    std::vector<std::string> names;
    for (const CLI::App* s : root.get_subcommands([](CLI::App*) { return true; })) {
      if (s->get_name() == a) sub = const_cast<CLI::App*>(s);
      names.push_back(s->get_name());
    }
    if (!sub) return "unknown command '" + a + "'" + suggestion(nearest_name(a, names));
  }
  return std::nullopt;
}

}  // namespace edge::app
