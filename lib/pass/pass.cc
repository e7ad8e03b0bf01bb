#include "pass/pass.h"

#include <cmath>
#include <cstdlib>

#include "pass/registry.h"

namespace edge::pass {

const char* stage_name(StageKind kind) {
  switch (kind) {
#define STAGE(Enum, name) \
  case StageKind::Enum:   \
    return name;
#include "pass/passes.def"
#undef STAGE
  }
  return "?";
}

const OptionSpec* find_option(const PassInfo& info, const std::string& name) {
  for (const auto& s : info.options) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

namespace {
bool parse_bool(const std::string& v, bool* out) {
  if (v == "1" || v == "true" || v == "on" || v == "yes") return *out = true, true;
  if (v == "0" || v == "false" || v == "off" || v == "no") return *out = false, true;
  return false;
}

}  // namespace

std::string normalize_option(const PassInfo& info, const OptionSpec& s, const std::string& v) {
  std::string what = "option '" + s.name + "' of pass '" + info.name + "'";
  switch (s.type) {
    case OptionType::kBool: {
      bool b;
      if (!parse_bool(v, &b)) fail(what + " must be true or false, got '" + v + "'");
      return b ? "true" : "false";
    }
    case OptionType::kInt: {
      char* end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0') fail(what + " must be an integer, got '" + v + "'");
      if (static_cast<double>(x) < s.min || static_cast<double>(x) > s.max) {
        fail(what + " must be in [" + std::to_string(static_cast<long long>(s.min)) + ", " +
             std::to_string(static_cast<long long>(s.max)) + "], got " + v);
      }
      return std::to_string(x);
    }
    case OptionType::kFloat: {
      char* end = nullptr;
      double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(x)) fail(what + " must be a number, got '" + v + "'");
      if (x < s.min || x > s.max || (s.exclusive_min && x == s.min) || (s.exclusive_max && x == s.max)) {
        char buf[128];
        std::snprintf(buf, sizeof buf, " must be in %c%g, %g%c, got %s", s.exclusive_min ? '(' : '[', s.min, s.max,
                      s.exclusive_max ? ')' : ']', v.c_str());
        fail(what + buf);
      }
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", x);
      // Shortest text that round-trips, so "0.8" stays "0.8".
      for (int prec = 1; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (std::strtod(buf, nullptr) == x) break;
      }
      return buf;
    }
    case OptionType::kString:
      if (!s.choices.empty()) {
        for (const auto& c : s.choices) {
          if (c == v) return v;
        }
        std::string list;
        for (const auto& c : s.choices) list += (list.empty() ? "" : ", ") + c;
        std::string near = nearest_name(v, s.choices);
        fail(what + " must be one of " + list + ", got '" + v + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
      }
      return v;
  }
  return v;
}

PassOptions make_options(const PassInfo& info, const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : values) {
    const OptionSpec* s = find_option(info, k);
    if (!s) {
      std::vector<std::string> names;
      for (const auto& o : info.options) names.push_back(o.name);
      std::string near = nearest_name(k, names);
      fail("pass '" + info.name + "' has no option '" + k + "'" +
           (near.empty() ? (names.empty() ? " (it takes no options)" : "") : " (did you mean '" + near + "'?)"));
    }
    out[k] = normalize_option(info, *s, v);
  }
  for (const auto& s : info.options) {
    if (!out.count(s.name)) out[s.name] = normalize_option(info, s, s.default_value);
  }
  return PassOptions(&info, std::move(out));
}

const std::string& PassOptions::raw(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) fail_internal("pass option '" + name + "' is not declared");
  return it->second;
}

int64_t PassOptions::get_int(const std::string& name) const { return std::strtoll(raw(name).c_str(), nullptr, 10); }
double PassOptions::get_float(const std::string& name) const { return std::strtod(raw(name).c_str(), nullptr); }
bool PassOptions::get_bool(const std::string& name) const { return raw(name) == "true"; }
const std::string& PassOptions::get_string(const std::string& name) const { return raw(name); }

std::string PassOptions::canonical() const {
  std::string out;
  if (!info_) return out;
  for (const auto& s : info_->options) {
    auto it = values_.find(s.name);
    if (it == values_.end()) continue;
    // Compare against the normalized default.
    std::string def = s.default_value;
    if (s.type == OptionType::kBool) def = (def == "1" || def == "true") ? "true" : "false";
    if (s.type == OptionType::kFloat || s.type == OptionType::kInt) {
      if (std::strtod(def.c_str(), nullptr) == std::strtod(it->second.c_str(), nullptr)) continue;
    } else if (it->second == def) {
      continue;
    }
    out += (out.empty() ? "" : ",") + s.name + "=" + it->second;
  }
  return out;
}

}  // namespace edge::pass
