#include "data/byte_source.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "data/error_text.h"
#include "ir/status.h"
#include "ir/tensor.h"

namespace edge::data {
namespace fs = std::filesystem;

void ByteSource::read(uint64_t offset, void* dst, size_t n) {
  size_t got = read_upto(offset, dst, n);
  if (got != n) {
    fail(name_ + ": truncated (needs bytes up to " + std::to_string(offset + n) + ", data ends at " +
         std::to_string(offset + got) + ")");
  }
}

std::string ByteSource::read_string(uint64_t offset, size_t n) {
  uint64_t total = size();
  if (total != UINT64_MAX && (offset > total || n > total - offset)) {
    fail(name_ + ": truncated (needs bytes up to " + std::to_string(offset + n) + ", data ends at " +
         std::to_string(total) + ")");
  }
  std::string s(n, '\0');
  if (n) read(offset, s.data(), n);
  return s;
}

namespace {

void check_regular_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path.string() + ": no such file");
  if (fs::is_directory(path, ec)) fail(path.string() + ": is a directory, expected a file");
}

class FileSource : public ByteSource {
 public:
  explicit FileSource(const fs::path& path) : ByteSource(path.string()) {
    check_regular_file(path);
    in_.open(path, std::ios::binary);
    if (!in_) fail(name_ + ": cannot open for reading");
    std::error_code ec;
    size_ = fs::file_size(path, ec);
    if (ec) fail(name_ + ": cannot read the file size");
  }
  size_t read_upto(uint64_t offset, void* dst, size_t n) override {
    if (offset >= size_) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    if (!in_ || static_cast<size_t>(in_.gcount()) != n) fail(name_ + ": read error");
    return n;
  }
  uint64_t size() const override { return size_; }

 private:
  std::ifstream in_;
  uint64_t size_ = 0;
};

class GzipSource : public ByteSource {
 public:
  explicit GzipSource(const fs::path& path) : ByteSource(path.string()) {
    check_regular_file(path);
    gz_ = gzopen(path.c_str(), "rb");
    if (!gz_) fail(name_ + ": cannot open for reading");
    gzbuffer(gz_, 1 << 17);
  }
  ~GzipSource() override { gzclose(gz_); }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  size_t read_upto(uint64_t offset, void* dst, size_t n) override {
    if (offset < pos_) {
      if (gzrewind(gz_) != 0) fail(name_ + ": gzip rewind failed");
      pos_ = 0;
    }
    char buf[1 << 14];
    while (pos_ < offset) {  // forward seek: decompress and drop
      size_t got = chunk(buf, static_cast<size_t>(std::min<uint64_t>(offset - pos_, sizeof buf)));
      if (got == 0) return 0;
    }
    size_t done = 0;
    while (done < n) {
      size_t got = chunk(static_cast<char*>(dst) + done, n - done);
      if (got == 0) break;
      done += got;
    }
    return done;
  }
  uint64_t size() const override { return UINT64_MAX; }
  bool sequential_only() const override { return true; }

 private:
  size_t chunk(char* dst, size_t n) {
    int got = gzread(gz_, dst, static_cast<unsigned>(std::min<size_t>(n, 1u << 30)));
    if (got < 0) {
      int err = 0;
      const char* m = gzerror(gz_, &err);
      fail(name_ + ": corrupt gzip data (" + (m ? m : "unknown error") + ")");
    }
    pos_ += static_cast<uint64_t>(got);
    return static_cast<size_t>(got);
  }

  gzFile gz_ = nullptr;
  uint64_t pos_ = 0;
};

class MemorySource : public ByteSource {
 public:
  MemorySource(std::string bytes, std::string name) : ByteSource(std::move(name)), bytes_(std::move(bytes)) {}
  size_t read_upto(uint64_t offset, void* dst, size_t n) override {
    if (offset >= bytes_.size()) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, bytes_.size() - offset));
    if (n) std::memcpy(dst, bytes_.data() + offset, n);
    return n;
  }
  uint64_t size() const override { return bytes_.size(); }

 private:
  std::string bytes_;
};

uint64_t le(const std::string& b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
  return v;
}

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const fs::path& path) { return std::make_unique<FileSource>(path); }
std::unique_ptr<ByteSource> open_gzip_source(const fs::path& path) { return std::make_unique<GzipSource>(path); }
std::unique_ptr<ByteSource> memory_source(std::string bytes, std::string name) {
  return std::make_unique<MemorySource>(std::move(bytes), std::move(name));
}

std::unique_ptr<ByteSource> load_into_memory(ByteSource& src, uint64_t limit) {
  std::string all;
  const size_t step = 1 << 20;
  for (;;) {
    size_t old = all.size();
    if (old > limit) fail(src.name() + ": too large to load into memory (over " + std::to_string(limit) + " bytes)");
    all.resize(old + step);
    size_t got = src.read_upto(old, all.data() + old, step);
    all.resize(old + got);
    if (got < step) break;
  }
  return memory_source(std::move(all), src.name());
}

std::string read_prefix(ByteSource& src, uint64_t n) {
  std::string all;
  const uint64_t step = 1 << 20;
  while (all.size() < n) {
    size_t old = all.size();
    size_t want = static_cast<size_t>(std::min(step, n - old));
    all.resize(old + want);
    size_t got = src.read_upto(old, all.data() + old, want);
    all.resize(old + got);
    if (got < want) break;
  }
  return all;
}

std::vector<ZipMember> list_zip(ByteSource& zip) {
  const std::string& what = zip.name();
  uint64_t size = zip.size();
  if (size < 22) fail(what + ": not a zip archive (too short)");
  uint64_t tail_len = std::min<uint64_t>(size, 22 + 65535 + 20);
  std::string tail = zip.read_string(size - tail_len, tail_len);
  size_t eocd = std::string::npos;
  for (size_t i = tail.size() - 22 + 1; i-- > 0;) {
    if (le(tail, i, 4) == 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string::npos) fail(what + ": not a zip archive (no end of central directory)");
  uint64_t count = le(tail, eocd + 10, 2), cd_size = le(tail, eocd + 12, 4), cd_off = le(tail, eocd + 16, 4);
  if ((count == 0xFFFF || cd_off == 0xFFFFFFFF || cd_size == 0xFFFFFFFF) && eocd >= 20 &&
      le(tail, eocd - 20, 4) == 0x07064b50) {
    uint64_t eocd64_off = le(tail, eocd - 20 + 8, 8);
    std::string e64 = zip.read_string(eocd64_off, 56);
    if (le(e64, 0, 4) != 0x06064b50) fail(what + ": corrupt zip64 end of central directory");
    count = le(e64, 32, 8);
    cd_size = le(e64, 40, 8);
    cd_off = le(e64, 48, 8);
  }
  if (cd_off > size || cd_size > size - cd_off) fail(what + ": corrupt zip central directory");
  std::string cd = zip.read_string(cd_off, cd_size);
  std::vector<ZipMember> out;
  size_t p = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (p + 46 > cd.size() || le(cd, p, 4) != 0x02014b50) fail(what + ": corrupt zip central directory");
    ZipMember m;
    m.method = static_cast<uint16_t>(le(cd, p + 10, 2));
    m.compressed_size = le(cd, p + 20, 4);
    m.size = le(cd, p + 24, 4);
    size_t name_len = le(cd, p + 28, 2), extra_len = le(cd, p + 30, 2), comment_len = le(cd, p + 32, 2);
    m.local_header_offset = le(cd, p + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > cd.size()) fail(what + ": corrupt zip central directory");
    m.name = cd.substr(p + 46, name_len);
    // zip64 extended information: the 0xFFFFFFFF fields, in this order.
    for (size_t x = p + 46 + name_len; x + 4 <= p + 46 + name_len + extra_len;) {
      size_t id = le(cd, x, 2), len = le(cd, x + 2, 2), q = x + 4;
      if (id == 1) {
        if (m.size == 0xFFFFFFFF && q + 8 <= x + 4 + len) m.size = le(cd, q, 8), q += 8;
        if (m.compressed_size == 0xFFFFFFFF && q + 8 <= x + 4 + len) m.compressed_size = le(cd, q, 8), q += 8;
        if (m.local_header_offset == 0xFFFFFFFF && q + 8 <= x + 4 + len) m.local_header_offset = le(cd, q, 8);
      }
      x += 4 + len;
    }
    out.push_back(std::move(m));
    p += 46 + name_len + extra_len + comment_len;
  }
  return out;
}

uint64_t zip_data_offset(ByteSource& zip, const ZipMember& m) {
  std::string h = zip.read_string(m.local_header_offset, 30);
  if (le(h, 0, 4) != 0x04034b50) fail(zip.name() + ": corrupt local header of member '" + escaped(m.name) + "'");
  return m.local_header_offset + 30 + le(h, 26, 2) + le(h, 28, 2);
}

std::string read_zip_member(ByteSource& zip, const ZipMember& m) {
  std::string what = zip.name() + ":" + escaped(m.name);
  if (m.size > max_tensor_bytes()) {
    throw Error(ErrorCode::kResourceLimit, what + ": member of " + std::to_string(m.size) +
                                               " bytes is above the tensor size limit of " +
                                               std::to_string(max_tensor_bytes()) + " bytes (--max-tensor-mb)");
  }
  uint64_t off = zip_data_offset(zip, m);
  if (m.method == 0) return zip.read_string(off, m.size);
  if (m.method != 8) fail_unsupported(what + ": unsupported zip compression method " + std::to_string(m.method));
  // DEFLATE expands at most 1032:1; a bigger claim is corrupt, not data.
  if (m.size / 1032 > m.compressed_size + 64) {
    fail(what + ": claims " + std::to_string(m.size) + " bytes from " + std::to_string(m.compressed_size) +
         " compressed bytes (corrupt zip directory)");
  }
  std::string in = zip.read_string(off, m.compressed_size);
  // The output grows as inflate produces it, not to the claimed size up front.
  std::string out;
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) fail_internal(what + ": inflateInit failed");
  z.next_in = reinterpret_cast<Bytef*>(in.data());
  size_t in_left = in.size(), done = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (done == out.size() && out.size() < m.size) {
      out.resize(static_cast<size_t>(std::min<uint64_t>(m.size, std::max<uint64_t>(2 * out.size(), 1 << 20))));
    }
    uInt ci = static_cast<uInt>(std::min<size_t>(in_left, 1u << 30));
    uInt co = static_cast<uInt>(std::min<size_t>(out.size() - done, 1u << 30));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + done);
    z.avail_in = ci;
    z.avail_out = co;
    rc = inflate(&z, Z_NO_FLUSH);
    in_left -= ci - z.avail_in;
    done += co - z.avail_out;
    if (rc == Z_BUF_ERROR && (ci == 0 || co == 0)) break;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END || done != m.size) fail(what + ": corrupt DEFLATE data");
  return out;
}

}  // namespace edge::data
