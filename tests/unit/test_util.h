// Helpers for unit tests: temporary directories and small models.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace edge::test {

// A fresh empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("edge-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Count of entries in a directory (to check that no temporary files are left behind).
inline int count_entries(const std::filesystem::path& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// Where the team's shared/ folder is (EDGE_SHARED_DIR; tests skip what needs it when absent).
inline std::filesystem::path shared_dir() { return EDGE_SHARED_DIR; }

}  // namespace edge::test

// Ends the running Catch2 test as skipped when `path` (a file under shared/) is absent. It
// prints "EDGE-SKIP: ...", which ctest turns into a visible "Skipped" (the unit tests'
// SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt), and CI fails on any skipped test.
#define EDGE_SKIP_UNLESS_EXISTS(path)                                           \
  do {                                                                          \
    if (!std::filesystem::exists(path)) {                                       \
      WARN("EDGE-SKIP: " << (path).string() << " not found (is ../shared there?)"); \
      return;                                                                   \
    }                                                                           \
  } while (0)
