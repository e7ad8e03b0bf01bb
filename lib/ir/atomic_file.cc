#include "ir/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "ir/status.h"

namespace edge {
namespace fs = std::filesystem;

namespace {
// In-flight temporary paths, readable from a signal handler (fixed slots, no allocation).
constexpr int kMaxTemps = 64;
char g_temps[kMaxTemps][4096];
volatile sig_atomic_t g_used[kMaxTemps];
std::mutex g_mu;

int register_temp(const std::string& p) {
  std::lock_guard<std::mutex> lock(g_mu);
  for (int i = 0; i < kMaxTemps; ++i) {
    if (!g_used[i] && p.size() < sizeof(g_temps[i])) {
      std::memcpy(g_temps[i], p.c_str(), p.size() + 1);
      g_used[i] = 1;
      return i;
    }
  }
  return -1;
}

void unregister_temp(int slot) {
  if (slot < 0) return;
  std::lock_guard<std::mutex> lock(g_mu);
  g_used[slot] = 0;
}

void on_signal(int sig) {
  for (int i = 0; i < kMaxTemps; ++i) {
    if (g_used[i]) ::unlink(g_temps[i]);
  }
  ::_exit(128 + sig);
}

}  // namespace

AtomicFile::AtomicFile(const fs::path& dest) : dest_(dest) {
  std::error_code ec;
  if (fs::is_directory(dest, ec)) fail(dest.string() + ": output path is a directory");
  fs::path dir = dest.parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) fail(dest.string() + ": output directory does not exist");
  std::string base = dest.filename().string();
  base.insert(0, 1, '.');
  base.append(".tmp-XXXXXX");
  std::string templ = (dir / base).string();
  int fd = ::mkstemp(templ.data());
  if (fd < 0) fail(dest.string() + ": cannot create a temporary file: " + std::strerror(errno));
  ::fchmod(fd, 0644);
  tmp_ = templ;
  slot_ = register_temp(tmp_);
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    ::close(fd);
    ::unlink(tmp_.c_str());
    fail(dest.string() + ": cannot open a temporary file");
  }
}

AtomicFile::~AtomicFile() {
  if (f_) std::fclose(f_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
  unregister_temp(slot_);
}

void AtomicFile::write(const void* data, size_t n) {
  if (n && std::fwrite(data, 1, n, f_) != n) {
    fail(dest_.string() + ": write failed: " + std::strerror(errno));
  }
  written_ += n;
}

void AtomicFile::commit() {
  if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0) {
    fail(dest_.string() + ": flush failed: " + std::strerror(errno));
  }
  std::fclose(f_);
  f_ = nullptr;
  if (std::rename(tmp_.c_str(), dest_.c_str()) != 0) {
    fail(dest_.string() + ": cannot rename temporary file into place: " + std::strerror(errno));
  }
  committed_ = true;
}

void write_file_atomic(const fs::path& dest, std::string_view data) {
  AtomicFile f(dest);
  f.write(data);
  f.commit();
}

void install_interrupt_cleanup() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace edge
