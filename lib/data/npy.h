// NumPy .npy files (format versions 1-3, little-endian, C order) <-> edge::Tensor.
#pragma once

#include <filesystem>
#include <string>

#include "ir/tensor.h"

namespace edge::data {

// Reads a .npy file; throws Error naming the file on malformed headers, unsupported
// dtypes (Fortran order, big-endian, objects) or a data size that does not match.
Tensor read_npy(const std::filesystem::path& path);
// Parses .npy bytes (used for .npz members). `what` names the source in errors.
Tensor parse_npy(const std::string& bytes, const std::string& what);
void write_npy(const std::filesystem::path& path, const Tensor& t);
std::string encode_npy(const Tensor& t);

}  // namespace edge::data
