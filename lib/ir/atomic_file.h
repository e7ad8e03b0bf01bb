// Atomic output files: data goes to a temporary file in the destination directory, is
// fsync'ed, then renamed over the destination. A failed or interrupted write leaves the
// destination untouched and no temporary file behind.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace edge {

class AtomicFile {
 public:
  explicit AtomicFile(const std::filesystem::path& dest);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  uint64_t bytes_written() const { return written_; }
  void commit();  // flush, fsync, rename

 private:
  std::filesystem::path dest_;
  std::string tmp_;
  FILE* f_ = nullptr;
  uint64_t written_ = 0;
  int slot_ = -1;
  bool committed_ = false;
};

void write_file_atomic(const std::filesystem::path& dest, std::string_view data);

// Installs SIGINT/SIGTERM handlers that delete in-flight temporary files before exiting
// (exit status 128+signal). Apps call this once at start.
void install_interrupt_cleanup();

}  // namespace edge
