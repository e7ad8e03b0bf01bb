// The .onnx.zst container: one zstd frame (libzstd) holding the serialized ModelProto, with
// its content size and a checksum in the frame header. Loading recognises the frame by its
// magic number (not the file name) and decompresses under a hard bound; saving to a path
// ending in ".zst" writes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace edge {

// Level used when writing .zst models. Measured on the fixtures (docs/storage.md): 9 is within
// 0.5 % of the smallest file for the pruned mlp (sparse form) at a tenth of level 19's time;
// above it size barely moves and time grows 5-20x.
constexpr int kDefaultZstdLevel = 9;

// True when `bytes` starts with the zstd frame magic number.
bool has_zstd_magic(std::string_view bytes);
// True when `path` ends in ".zst".
bool is_zstd_path(const std::filesystem::path& path);

// The largest decompressed model accepted from a frame of `compressed_bytes`: 64x the frame
// (at least 32 MiB), so that a small file cannot make the loader allocate gigabytes (real
// models, even pruned ones stored dense, compress well under 20x), within the tensor cap
// (max_tensor_bytes(), --max-tensor-mb) and 2 GiB - 1 (protobuf cannot parse more). A model
// beyond it loads after `zstd -d`.
constexpr uint64_t kMaxZstdRatio = 64;
uint64_t max_decompressed_model_bytes(uint64_t compressed_bytes);

// One frame with content size and checksum. `what` names the output in errors.
std::string zstd_compress(std::string_view data, int level, const std::string& what);

// Decompresses exactly one frame that declares its content size, at most `limit` bytes: a
// frame without a size, above the limit, with trailing bytes, corrupt, or decompressing to
// more or less than it declares is an error (kResourceLimit for the size, else kInvalidInput)
// naming `what`. The output grows with the data actually decompressed, so a small corrupt
// frame that declares a large size fails before that size is allocated.
std::string zstd_decompress(std::string_view frame, uint64_t limit, const std::string& what);

}  // namespace edge
