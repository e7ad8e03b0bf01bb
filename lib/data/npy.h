// NumPy .npy files (format versions 1-3, little-endian, C order) <-> edge::Tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "ir/tensor.h"

namespace edge::data {

// The header of a .npy file: element type, shape and where the data starts.
struct NpyHeader {
  DType dtype = DType::kUndefined;
  Shape shape;
  size_t data_offset = 0;  // bytes from the start of the file
  uint64_t data_bytes = 0;
};
// Headers above this size are refused (numpy writes a few hundred bytes).
constexpr size_t kMaxNpyHeaderBytes = size_t{1} << 24;
// Byte offset where the header that starts `prefix` ends (needs the first 12 bytes).
size_t npy_header_end(const std::string& prefix, const std::string& what);
// Parses the header at the start of `bytes` (which must hold at least the whole header).
NpyHeader parse_npy_header(const std::string& bytes, const std::string& what);

// Reads a .npy file; throws Error naming the file on malformed headers (only the keys
// descr, fortran_order and shape are accepted), unsupported dtypes (big-endian, objects,
// structured), Fortran order (fortran_order: True), a data size that does not match the file, or a
// tensor above the cap. Header bytes quoted in errors are escaped (one line).
Tensor read_npy(const std::filesystem::path& path);
// Parses .npy bytes (used for .npz members). `what` names the source in errors.
Tensor parse_npy(const std::string& bytes, const std::string& what);
void write_npy(const std::filesystem::path& path, const Tensor& t);
std::string encode_npy(const Tensor& t);

}  // namespace edge::data
