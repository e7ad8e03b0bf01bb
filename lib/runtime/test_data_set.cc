#include "runtime/test_data_set.h"

#include <algorithm>

#include "ir/tensor_proto.h"

namespace edge::rt {
namespace fs = std::filesystem;

std::vector<fs::path> find_test_data_sets(const fs::path& dir) {
  if (fs::exists(dir / "input_0.pb")) return {dir};
  std::vector<fs::path> sets;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return sets;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && fs::exists(e.path() / "input_0.pb")) sets.push_back(e.path());
  }
  std::sort(sets.begin(), sets.end());
  return sets;
}

NamedTensors read_test_inputs(const fs::path& set, const Session& session) {
  NamedTensors feeds;
  for (size_t i = 0;; ++i) {
    fs::path p = set / ("input_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    std::string name;
    Tensor t = read_tensor_pb(p, &name);
    if (i < session.inputs().size()) name = session.inputs()[i].name;
    feeds.emplace_back(name, std::move(t));
  }
  return feeds;
}

std::vector<std::optional<Tensor>> read_test_outputs(const fs::path& set, size_t count) {
  std::vector<std::optional<Tensor>> outs(count);
  for (size_t i = 0; i < count; ++i) {
    fs::path p = set / ("output_" + std::to_string(i) + ".pb");
    if (fs::exists(p)) outs[i] = read_tensor_pb(p);
  }
  return outs;
}

}  // namespace edge::rt
