// See text_util.h.
#include "ir/text_util.h"

#include <algorithm>
#include <cstdio>

namespace edge {

std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(3, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    // Levenshtein distance.
    std::vector<size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= name.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (name[i - 1] == c[j - 1] ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    size_t d = prev[c.size()];
    if (c.find(name) == 0 && name.size() >= 3) d = std::min<size_t>(d, 1);  // prefix
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

namespace {
std::string printf_str(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}
}  // namespace

std::string format_bytes(uint64_t bytes) {
  const double d = static_cast<double>(bytes);
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < 1024ull * 1024) return printf_str("%.1f KiB", d / 1024);
  if (bytes < 1024ull * 1024 * 1024) return printf_str("%.2f MiB", d / (1024.0 * 1024));
  return printf_str("%.2f GiB", d / (1024.0 * 1024 * 1024));
}

std::string size_change(uint64_t original, uint64_t result) {
  if (original == 0 || result == 0) return "\xE2\x80\x94";  // —
  if (result == original) return "unchanged";
  const double o = static_cast<double>(original), r = static_cast<double>(result);
  if (result > original) return "grew " + printf_str("%.1f%%", 100 * (r - o) / o);
  if (o / r < 1.1) return printf_str("%.1f%%", 100 * (o - r) / o) + " smaller";
  return printf_str("%.2f", o / r) + "\xC3\x97 smaller (" + printf_str("%.1f%%", 100 * r / o) + " of original)";  // ×
}

}  // namespace edge
