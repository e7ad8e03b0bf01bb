#include "app_util.h"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "data/error_text.h"
#include "data/npy.h"
#include "ir/sparse_storage.h"
#include "ir/tensor_proto.h"

namespace edge::app {
namespace fs = std::filesystem;

// Messages quote names and bytes from the input files: escaped, they stay one line.
void MemoryLimitOptions::add_to(CLI::App& app) {
  app.add_option("--max-tensor-mb", max_tensor_mb, "Refuse any single tensor larger than this many MiB (default 16384)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30));
  app.add_option("--max-memory-mb", max_memory_mb,
                 "Budget in MiB for all tensor memory alive at once (weights, activations, arenas); above it the "
                 "command stops with exit 2 (default: no budget)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30));
  app.add_option("--max-sparse-expansion", max_sparse_expansion,
                 "Sparse initializers may expand to this many times the model file's size when loaded (at least "
                 "32 MiB; default 32: a 99%-sparse float weight needs 33, 99.9% needs 330)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20));
}

void MemoryLimitOptions::apply() const {
  if (max_sparse_expansion) set_sparse_max_expansion(max_sparse_expansion);
  if (max_tensor_mb) set_max_tensor_bytes(max_tensor_mb << 20);
  if (max_memory_mb) set_max_total_tensor_bytes(max_memory_mb << 20);
}

int guarded_main(const std::string& tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::cerr << tool << ": error: " << data::escaped(e.what()) << "\n";
    return exit_code_for(e.code());
  } catch (const std::bad_alloc&) {
    std::cerr << tool << ": error: out of memory\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << tool << ": internal error: " << data::escaped(e.what()) << "\n";
    return 3;
  }
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

int usage_error(const std::string& tool, const std::string& message) {
  std::string m = message;
  for (char& c : m) {
    if (c == '\n') c = ' ';
  }
  std::cerr << tool << ": error: " << data::escaped(m) << " (see " << tool << " --help)\n";
  return 2;
}

std::string json_text(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::pair<std::string, Shape> parse_shape_spec(const std::string& spec) {
  auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0) fail("--shape '" + spec + "': expected NAME:DxDxD (e.g. input:1x3x224x224)");
  std::string name = spec.substr(0, colon), dims = spec.substr(colon + 1);
  const auto shape = parse_shape_str(dims);
  if (!shape) fail("--shape '" + spec + "': '" + dims + "' is not a list of non-negative integer dimensions like 1x3x224x224");
  return {name, *shape};
}

std::map<std::string, Shape> parse_shape_specs(const std::vector<std::string>& specs) {
  std::map<std::string, Shape> out;
  for (const auto& s : specs) {
    auto [name, shape] = parse_shape_spec(s);
    if (!out.emplace(name, shape).second) fail("--shape '" + s + "': input '" + name + "' is given twice");
  }
  return out;
}

Tensor read_tensor_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path.string() + ": no such file");
  if (path.extension() == ".npy") return data::read_npy(path);
  if (path.extension() == ".pb") return read_tensor_pb(path);
  fail(path.string() + ": unknown tensor file type (expected .pb or .npy)");
}

std::string format_count(int64_t n) {
  char buf[64];
  if (n < 0) return "-";
  if (n < 1000) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  else if (n < 1000000) std::snprintf(buf, sizeof buf, "%.2fK", n / 1e3);
  else if (n < 1000000000) std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  return buf;
}

}  // namespace edge::app
