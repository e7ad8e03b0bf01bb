// Natural order for names that carry numbers, so that numbered files and folders come in
// counting order: input_2 < input_10, test_data_set_9 < test_data_set_10.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace edge {

// Compares runs of digits by value (leading zeros ignored) and everything else byte by
// byte; names that compare equal that way (a01 and a1) fall back to plain byte order, so
// this is a strict total order.
bool natural_less(std::string_view a, std::string_view b);

// Sorts paths by natural order of their file names, then of their full paths.
void sort_natural(std::vector<std::filesystem::path>& paths);

}  // namespace edge
