#include "data/image.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ir/status.h"

namespace edge::data {
namespace fs = std::filesystem;

namespace {
void check_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path.string() + ": no such file");
  if (!fs::is_regular_file(path, ec)) fail(path.string() + ": not a regular file");
}
std::string reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown error";
}
}  // namespace

Image probe_image(const fs::path& path) {
  check_file(path);
  Image im;
  if (!stbi_info(path.c_str(), &im.width, &im.height, &im.channels)) {
    fail(path.string() + ": not a readable image (" + reason() + ")");
  }
  return im;
}

Image load_image(const fs::path& path, int channels) {
  check_file(path);
  Image im;
  int stored = 0;
  unsigned char* p = stbi_load(path.c_str(), &im.width, &im.height, &stored, channels);
  if (!p) fail(path.string() + ": cannot decode image (" + reason() + ")");
  im.channels = channels;
  size_t n = static_cast<size_t>(im.width) * static_cast<size_t>(im.height) * static_cast<size_t>(channels);
  im.pixels.assign(p, p + n);
  stbi_image_free(p);
  return im;
}

Image resize_bilinear(const Image& src, int width, int height) {
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
