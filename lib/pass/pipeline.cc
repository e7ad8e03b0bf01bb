#include "pass/pipeline.h"

#include <cctype>

#include "pass/registry.h"

namespace edge::pass {

std::string PipelineEntry::canonical() const {
  std::string opts = options.canonical();
  return opts.empty() ? info->name : info->name + "<" + opts + ">";
}

std::string canonical_pipeline(const Pipeline& p) {
  std::string out;
  for (const auto& e : p) out += (out.empty() ? "" : ",") + e.canonical();
  return out;
}

PipelineEntry make_entry(const std::string& name, const std::map<std::string, std::string>& values) {
  PipelineEntry e;
  e.info = &find_pass(name);
  e.options = make_options(*e.info, values);
  return e;
}

namespace {
std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\n");
  return s.substr(b, e - b + 1);
}
// A string option without choices of pass `pass` (one whose value may be a comma list).
bool list_option(const std::string& pass, const std::string& option) {
  if (option.empty()) return false;
  for (const auto& p : all_passes()) {
    if (p.name != pass) continue;
    const OptionSpec* s = find_option(p, option);
    return s && s->type == OptionType::kString && s->choices.empty();
  }
  return false;
}
}  // namespace

Pipeline parse_pipeline(const std::string& text) {
  Pipeline out;
  size_t i = 0;
  const size_t n = text.size();
  auto where = [&](size_t pos) { return "pipeline '" + text + "' at column " + std::to_string(pos + 1); };
  while (i < n) {
    size_t start = i;
    while (i < n && text[i] != ',' && text[i] != '<') ++i;
    std::string name = trim(text.substr(start, i - start));
    if (name.empty()) fail(where(start) + ": empty pass name");
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
        fail(where(start) + ": invalid character '" + std::string(1, c) + "' in pass name '" + name + "'");
      }
    }
    std::map<std::string, std::string> values;
    if (i < n && text[i] == '<') {
      size_t close = text.find('>', i);
      if (close == std::string::npos) fail(where(i) + ": '<' without a matching '>'");
      std::string body = text.substr(i + 1, close - i - 1);
      size_t p = 0;
      std::string last_key;  // a free-text option takes the items after it without '=' (a list)
      while (p <= body.size()) {
        size_t comma = body.find(',', p);
        std::string kv = trim(body.substr(p, comma == std::string::npos ? std::string::npos : comma - p));
        if (!kv.empty()) {
          size_t eq = kv.find('=');
          if (eq == std::string::npos && list_option(name, last_key)) {
            values[last_key] += "," + kv;  // sensitivity<sparsities=0.5,0.7,0.9>
            if (comma == std::string::npos) break;
            p = comma + 1;
            continue;
          }
          if (eq == std::string::npos) fail(where(i) + ": option '" + kv + "' of '" + name + "' needs a value (name=value)");
          std::string key = trim(kv.substr(0, eq)), val = trim(kv.substr(eq + 1));
          if (key.empty() || val.empty()) fail(where(i) + ": option '" + kv + "' of '" + name + "' is incomplete");
          if (!values.emplace(key, val).second) fail(where(i) + ": option '" + key + "' of '" + name + "' given twice");
          last_key = key;
        }
        if (comma == std::string::npos) break;
        p = comma + 1;
      }
      i = close + 1;
      while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    }
    try {
      out.push_back(make_entry(name, values));
    } catch (const Error& e) {
      throw Error(e.code(), where(start) + ": " + e.what());
    }
    if (i < n) {
      if (text[i] != ',') fail(where(i) + ": expected ',' after '" + name + "'");
      ++i;
      if (i >= n) fail(where(i - 1) + ": trailing ','");
    }
  }
  return out;
}

}  // namespace edge::pass
