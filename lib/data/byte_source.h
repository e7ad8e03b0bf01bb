// Random-access byte sources that the dataset readers stream samples from: a plain file
// (seek + read), a gzip file (zlib gzread; forward seeks decompress, backward seeks rewind),
// and an in-memory buffer (inflated .npz members, small gzip files loaded for shuffling).
// Also a minimal zip reader for .npz archives (STORED and DEFLATE members).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace edge::data {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads exactly n bytes at `offset`; throws Error naming the source on a short read.
  // read_string checks n against a known size() before it allocates.
  void read(uint64_t offset, void* dst, size_t n);
  // Reads up to n bytes at `offset`; returns fewer only at the end of the data.
  virtual size_t read_upto(uint64_t offset, void* dst, size_t n) = 0;
  // Total size in bytes, or UINT64_MAX when unknown without reading everything (gzip).
  virtual uint64_t size() const = 0;
  // True when a backward seek is expensive (gzip): shuffled readers load it first.
  virtual bool sequential_only() const { return false; }
  const std::string& name() const { return name_; }

  std::string read_string(uint64_t offset, size_t n);

 protected:
  explicit ByteSource(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// Opens a file; throws Error on a missing/unreadable file or a directory.
std::unique_ptr<ByteSource> open_file_source(const std::filesystem::path& path);
// Opens a .gz file for streaming decompression.
std::unique_ptr<ByteSource> open_gzip_source(const std::filesystem::path& path);
// A source over bytes held in memory.
std::unique_ptr<ByteSource> memory_source(std::string bytes, std::string name);
// Reads all of `src` (up to `limit` bytes, else Error) into a memory source.
// Memory grows in 1 MiB steps as data arrives, never to a size the data only claims.
std::unique_ptr<ByteSource> load_into_memory(ByteSource& src, uint64_t limit);
// The first up to n bytes of `src` (fewer when the data ends first), read the same way.
std::string read_prefix(ByteSource& src, uint64_t n);

// One member of a zip archive.
struct ZipMember {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_header_offset = 0;
};

// Lists the members of a zip archive (zip64 included), in archive order.
std::vector<ZipMember> list_zip(ByteSource& zip);
// Offset of a member's data (after its local header).
uint64_t zip_data_offset(ByteSource& zip, const ZipMember& m);
// The uncompressed bytes of a DEFLATE or STORED member (checked against max_tensor_bytes).
std::string read_zip_member(ByteSource& zip, const ZipMember& m);

}  // namespace edge::data
