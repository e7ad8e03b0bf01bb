#include "report/report_format.h"

#include <charconv>
#include <cmath>
#include <set>

#include "ir/text_util.h"

namespace edge::report::fmt {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t len = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return len;
}

std::string chars(double v, std::chars_format f, int precision) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, f, precision);
  if (res.ec != std::errc()) return "?";
  std::string out(buf, res.ptr);
  if (out[0] == '-' && out.find_first_not_of("-0.") == std::string::npos) out.erase(0, 1);  // no "-0.00"
  return out;
}

}  // namespace

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
      out += kReplacement;
      ++i;
      continue;
    }
    const size_t len = utf8_sequence(s, i);
    if (len == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string truncate(std::string_view s, size_t max_chars) {
  const std::string clean = sanitize_utf8(s);
  size_t count = 0;
  for (size_t i = 0; i < clean.size();) {
    if (count == max_chars) return clean.substr(0, i) + "\xE2\x80\xA6";  // …
    i += utf8_sequence(clean, i);
    ++count;
  }
  return clean;
}

std::string fixed(double v, int decimals) { return chars(v, std::chars_format::fixed, decimals); }

std::string general(double v, int significant) {
  return chars(v, std::chars_format::general, significant);
}

std::string grouped(int64_t v) {
  const std::string digits = std::to_string(v < 0 ? -(v + 1) + uint64_t{1} : uint64_t(v));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string bytes(uint64_t v) { return format_bytes(v); }

std::string percent(double fraction, int decimals) { return fixed(fraction * 100, decimals) + "%"; }

std::string seconds(double s) {
  if (!std::isfinite(s)) return fixed(s, 0);
  if (s < 0.001) return fixed(s * 1000, 2) + " ms";
  if (s < 1) return fixed(s * 1000, 1) + " ms";
  return fixed(s, 2) + " s";
}

std::string optional_number(const std::optional<double>& v, int decimals) {
  return v ? fixed(*v, decimals) : "\xE2\x80\x94";  // —
}

std::string optional_percent(const std::optional<double>& v) {
  return v ? percent(*v, 2) : "\xE2\x80\x94";
}

std::string size_ratio(uint64_t original, uint64_t result) { return size_change(original, result); }

std::string gate_value(double v, const std::string& unit) {
  if (unit == "bytes" && v >= 0 && std::isfinite(v)) return bytes(static_cast<uint64_t>(v));
  if (unit == "ms") return fixed(v, 2) + " ms";
  if (unit == "params" && std::isfinite(v)) return grouped(static_cast<int64_t>(v)) + " params";
  if (unit.empty()) return general(v, 4);
  return general(v, 4) + " " + sanitize_utf8(unit);
}

std::string gate_margin(const GateRecord& g) {
  const double diff = std::fabs(g.value - g.limit);
  return (g.passed ? "margin " : "missed by ") + gate_value(diff, g.unit);
}

std::vector<std::string> metric_columns(const StageRecord& s) {
  std::set<std::string> keys;
  for (const auto& l : s.layers)
    for (const auto& [k, v] : l.metrics) keys.insert(k);
  return {keys.begin(), keys.end()};
}

std::vector<std::string> attr_columns(const StageRecord& s) {
  std::set<std::string> keys;
  for (const auto& l : s.layers)
    for (const auto& [k, v] : l.attrs) keys.insert(k);
  return {keys.begin(), keys.end()};
}

std::string verdict(const Report& r) {
  if (!r.verdict.empty()) return r.verdict;
  for (const auto& g : r.gates)
    if (!g.passed) return "gate-failed";
  return "pass";
}

}  // namespace edge::report::fmt
