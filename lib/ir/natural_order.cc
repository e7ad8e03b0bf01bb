#include "ir/natural_order.h"

#include <algorithm>

namespace edge {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// -1, 0 or 1 as `a` sorts before, with or after `b` by natural order alone.
int natural_compare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      size_t ie = i, je = j;
      while (ie < a.size() && is_digit(a[ie])) ++ie;
      while (je < b.size() && is_digit(b[je])) ++je;
      // Compare the values as digit strings without leading zeros: no overflow on long runs.
      std::string_view x = a.substr(i, ie - i), y = b.substr(j, je - j);
      x.remove_prefix(std::min(x.find_first_not_of('0'), x.size()));
      y.remove_prefix(std::min(y.find_first_not_of('0'), y.size()));
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (int c = x.compare(y); c != 0) return c < 0 ? -1 : 1;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) {
      return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
    }
    ++i;
    ++j;
  }
  const size_t ra = a.size() - i, rb = b.size() - j;
  return ra == rb ? 0 : (ra < rb ? -1 : 1);
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
  const int c = natural_compare(a, b);
  return c != 0 ? c < 0 : a < b;
}

void sort_natural(std::vector<std::filesystem::path>& paths) {
  std::sort(paths.begin(), paths.end(), [](const std::filesystem::path& a, const std::filesystem::path& b) {
    const std::string fa = a.filename().string(), fb = b.filename().string();
    if (fa != fb) return natural_less(fa, fb);
    return natural_less(a.string(), b.string());
  });
}

}  // namespace edge
