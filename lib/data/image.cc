#include "data/image.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstring>
#include <fstream>
#include <memory>

#include "data/error_text.h"
#include "ir/status.h"
#include "ir/tensor.h"

namespace edge::data {
namespace fs = std::filesystem;

namespace {

// Decoded bytes allowed for one image: 16 MiB, or 32 bytes per byte of the file when that
// is more (photos compress about 10:1). A small file claiming a larger image is a
// decompression bomb or a truncated file that the decoder would pad; refusing it keeps the
// memory for any file under 1 MB well below 100 MB.
constexpr uint64_t kDecodeFloorBytes = uint64_t{16} << 20;
constexpr uint64_t kDecodeBytesPerFileByte = 32;
constexpr int kMaxSide = 1 << 24;  // stb_image's own limit

uint64_t check_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path.string() + ": no such file");
  if (!fs::is_regular_file(path, ec)) fail(path.string() + ": not a regular file");
  uint64_t size = fs::file_size(path, ec);
  if (ec) fail(path.string() + ": cannot read the file size");
  return size;
}

// stb's reason can carry bytes of the file (an unknown PNG chunk's type): escaped.
std::string reason() {
  const char* r = stbi_failure_reason();
  return r ? escaped(r) : "unknown error";
}

// Binary PGM/PPM (P5/P6), which stb reads without checking its header: sides from 1 to 2^24
// written as plain decimal numbers, maxval 1..65535, and all the pixel data present.
void check_pnm(const fs::path& path, uint64_t file_size) {
  std::ifstream in(path, std::ios::binary);
  std::string head(static_cast<size_t>(std::min<uint64_t>(file_size, 4096)), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (head.size() < 2 || head[0] != 'P' || (head[1] != '5' && head[1] != '6')) return;
  const std::string what = path.string() + ": " + (head[1] == '5' ? "PGM" : "PPM") + " header";
  size_t pos = 2;
  auto number = [&](const char* field) {
    for (;;) {  // whitespace and # comments
      while (pos < head.size() && std::isspace(static_cast<unsigned char>(head[pos]))) ++pos;
      if (pos < head.size() && head[pos] == '#') {
        while (pos < head.size() && head[pos] != '\n' && head[pos] != '\r') ++pos;
      } else {
        break;
      }
    }
    size_t start = pos;
    while (pos < head.size() && std::isdigit(static_cast<unsigned char>(head[pos]))) ++pos;
    if (pos == start || pos - start > 9) {
      std::string got = head.substr(start, std::max<size_t>(pos - start, 1));
      fail(what + ": " + field + " is not a number from 1 to " + std::to_string(kMaxSide) + " ('" + escaped(got.substr(0, 12)) + "')");
    }
    return std::stoll(head.substr(start, pos - start));
  };
  int64_t w = number("width"), h = number("height"), maxval = number("maxval");
  if (w < 1 || w > kMaxSide || h < 1 || h > kMaxSide) {
    fail(what + ": size " + std::to_string(w) + "x" + std::to_string(h) + " (WxH) is not from 1 to " + std::to_string(kMaxSide));
  }
  if (maxval < 1 || maxval > 65535) fail(what + ": maxval " + std::to_string(maxval) + " is not from 1 to 65535");
  if (pos >= head.size() || !std::isspace(static_cast<unsigned char>(head[pos]))) fail(what + ": truncated");
  uint64_t need = static_cast<uint64_t>(w) * static_cast<uint64_t>(h) * (head[1] == '5' ? 1u : 3u) * (maxval > 255 ? 2u : 1u);
  uint64_t have = file_size - (pos + 1);
  if (have < need) {
    fail(path.string() + ": truncated image data (" + std::to_string(w) + "x" + std::to_string(h) + " needs " +
         std::to_string(need) + " bytes, the file has " + std::to_string(have) + ")");
  }
}

// Refuses an image whose decoded size is out of proportion to its file (see above).
void check_decode_budget(const fs::path& path, const Image& im, uint64_t file_size) {
  uint64_t bytes = static_cast<uint64_t>(im.width) * static_cast<uint64_t>(im.height) *
                   static_cast<uint64_t>(std::max(im.channels, 1)) * (stbi_is_16_bit(path.c_str()) ? 2u : 1u);
  uint64_t budget = std::max(kDecodeFloorBytes, file_size * kDecodeBytesPerFileByte);
  if (bytes > budget || bytes > max_tensor_bytes()) {
    throw Error(ErrorCode::kResourceLimit,
                path.string() + ": a " + std::to_string(im.width) + "x" + std::to_string(im.height) + " image decodes to " +
                    std::to_string(bytes) + " bytes from a " + std::to_string(file_size) + "-byte file (the limit is " +
                    std::to_string(std::min(budget, max_tensor_bytes())) + " bytes: corrupt, truncated or a decompression bomb)");
  }
}

}  // namespace

Image probe_image(const fs::path& path) {
  uint64_t size = check_file(path);
  check_pnm(path, size);
  Image im;
  if (!stbi_info(path.c_str(), &im.width, &im.height, &im.channels)) {
    fail(path.string() + ": not a readable image (" + reason() + ")");
  }
  if (im.width < 1 || im.height < 1) {
    fail(path.string() + ": image size " + std::to_string(im.width) + "x" + std::to_string(im.height) + " (WxH) is empty or negative");
  }
  check_decode_budget(path, im, size);
  return im;
}

Image load_image(const fs::path& path, int channels) {
  Image header = probe_image(path);
  Image im;
  int stored = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> p(stbi_load(path.c_str(), &im.width, &im.height, &stored, channels),
                                                    stbi_image_free);
  if (!p) fail(path.string() + ": cannot decode image (" + reason() + ")");
  if (im.width != header.width || im.height != header.height) {
    fail(path.string() + ": decoded size " + std::to_string(im.width) + "x" + std::to_string(im.height) +
         " differs from the header's " + std::to_string(header.width) + "x" + std::to_string(header.height));
  }
  im.channels = channels;
  size_t n = static_cast<size_t>(im.width) * static_cast<size_t>(im.height) * static_cast<size_t>(channels);
  im.pixels.assign(p.get(), p.get() + n);
  return im;
}

Image resize_bilinear(const Image& src, int width, int height) {
  if (src.width < 1 || src.height < 1 || src.channels < 1 || width < 1 || height < 1 ||
      src.pixels.size() != static_cast<size_t>(src.width) * static_cast<size_t>(src.height) * static_cast<size_t>(src.channels)) {
    fail("cannot resize a " + std::to_string(src.width) + "x" + std::to_string(src.height) + "x" +
         std::to_string(src.channels) + " image to " + std::to_string(width) + "x" + std::to_string(height));
  }
  if (src.width == width && src.height == height) return src;
  Image dst;
  dst.width = width;
  dst.height = height;
  dst.channels = src.channels;
  dst.pixels.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(src.channels));
  // Source coordinate and weight of each output column / row.
  auto axis = [](int out, int in, std::vector<int>& i0, std::vector<int>& i1, std::vector<float>& w) {
    i0.resize(static_cast<size_t>(out));
    i1.resize(static_cast<size_t>(out));
    w.resize(static_cast<size_t>(out));
    float ratio = static_cast<float>(in) / static_cast<float>(out);
    for (int o = 0; o < out; ++o) {
      float s = std::clamp((static_cast<float>(o) + 0.5f) * ratio - 0.5f, 0.f, static_cast<float>(in - 1));
      int a = static_cast<int>(std::floor(s));
      size_t k = static_cast<size_t>(o);
      i0[k] = a;
      i1[k] = std::min(a + 1, in - 1);
      w[k] = s - static_cast<float>(a);
    }
  };
  std::vector<int> x0, x1, y0, y1;
  std::vector<float> wx, wy;
  axis(width, src.width, x0, x1, wx);
  axis(height, src.height, y0, y1, wy);
  const int c = src.channels;
  auto at = [&](int y, int x, int ch) {
    return static_cast<float>(src.pixels[(static_cast<size_t>(y) * static_cast<size_t>(src.width) + static_cast<size_t>(x)) *
                                             static_cast<size_t>(c) + static_cast<size_t>(ch)]);
  };
  for (int y = 0; y < height; ++y) {
    size_t ky = static_cast<size_t>(y);
    for (int x = 0; x < width; ++x) {
      size_t kx = static_cast<size_t>(x);
      for (int ch = 0; ch < c; ++ch) {
        float top = at(y0[ky], x0[kx], ch) * (1 - wx[kx]) + at(y0[ky], x1[kx], ch) * wx[kx];
        float bot = at(y1[ky], x0[kx], ch) * (1 - wx[kx]) + at(y1[ky], x1[kx], ch) * wx[kx];
        float v = top * (1 - wy[ky]) + bot * wy[ky];
        dst.pixels[(ky * static_cast<size_t>(width) + kx) * static_cast<size_t>(c) + static_cast<size_t>(ch)] =
            static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return dst;
}

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  static const char* kExts[] = {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".pgm", ".ppm", ".pnm"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

}  // namespace edge::data
