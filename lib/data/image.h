// Image decoding (stb_image: PNG, JPEG, BMP, TGA, GIF, PNM) and bilinear resizing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace edge::data {

struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;  // HWC, row-major
};

// Width, height and channel count from the file header (no decode); throws Error naming
// the file when it is not a readable image, its size is empty or negative, a binary PGM/PPM
// header is malformed or its pixel data is short, or the decoded size is out of proportion
// to the file (above max(16 MiB, 32 x file size) or the tensor cap).
Image probe_image(const std::filesystem::path& path);
// Decodes to `channels` (1 gray, 3 RGB; alpha dropped, gray expanded), after probe_image's checks.
Image load_image(const std::filesystem::path& path, int channels);
// Bilinear resize with half-pixel centers (align_corners = false), rounding to uint8.
// Throws Error for an empty source or target.
Image resize_bilinear(const Image& src, int width, int height);
// True for the file extensions the image reader accepts (case-insensitive).
bool is_image_file(const std::filesystem::path& path);

}  // namespace edge::data
