#include "runtime/test_data_set.h"

#include "ir/natural_order.h"
#include "ir/tensor_proto.h"

namespace edge::rt {
namespace fs = std::filesystem;

namespace {
bool has_input0(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "input_0.pb", ec);
}
}  // namespace

std::vector<fs::path> find_test_data_sets(const fs::path& dir) {
  if (has_input0(dir)) return {dir};
  std::vector<fs::path> sets;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return sets;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;  // an unreadable entry is skipped, not an error
    if (it->is_directory(entry_ec) && has_input0(it->path())) sets.push_back(it->path());
  }
  if (ec) fail(dir.string() + ": cannot list the directory (" + ec.message() + ")");
  sort_natural(sets);
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
