#include "data/dataset.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "data/error_text.h"
#include "data/npy.h"
#include "data/readers.h"

namespace edge::data {
namespace fs = std::filesystem;

void Dataset::shuffle(uint64_t seed) {
  prepare_random_access();
  int64_t n = size();
  order_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order_[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(order_[static_cast<size_t>(i)], order_[static_cast<size_t>(j)]);
  }
  cursor_ = 0;
}

void Dataset::set_limit(int64_t limit) {
  if (limit < 0) fail(source_ + ": negative sample limit");
  limit_ = limit;
  cursor_ = 0;
}

int64_t Dataset::count() const { return limit_ > 0 ? std::min(limit_, size()) : size(); }

std::vector<int64_t> Dataset::next_indices(int64_t n) {
  std::vector<int64_t> out;
  while (n-- > 0 && cursor_ < count()) out.push_back(index_at(cursor_++));
  return out;
}

std::unique_ptr<Dataset> open_dataset(const fs::path& path, const DataOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path.string() + ": no such file or directory");
  const Preprocess& p = options.pre;
  if ((p.resize_h > 0) != (p.resize_w > 0) || p.resize_h < 0 || p.resize_w < 0) fail("--resize: expected HxW with H, W > 0");
  // Every reader names the file in its errors; naming_file also covers what they miss.
  return naming_file(path.string(), [&]() -> std::unique_ptr<Dataset> {
    if (fs::is_directory(path, ec)) {
      if (is_pb_dataset_dir(path)) {
        if (p.resize_h > 0) fail(path.string() + ": --resize applies to image folders only");
        return open_pb_dataset(path, options);
      }
      return open_image_dataset(path, options);
    }
    if (p.resize_h > 0) fail(path.string() + ": --resize applies to image folders only");
    std::string ext = path.extension().string();
    std::string name = path.filename().string();
    if (ext == ".npy") return open_npy_dataset(path, options);
    if (ext == ".npz") return open_npz_dataset(path, options);
    if (ext == ".idx" || name.find("idx") != std::string::npos || is_gzip_path(path)) return open_idx_dataset(path, options);
    fail(path.string() + ": unknown data format (expected a directory, .npy, .npz, .idx or .gz)");
  });
}

Labels open_labels(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path.string() + ": no such file");
  Tensor t = naming_file(path.string(), [&] { return path.extension() == ".npy" ? read_npy(path) : read_idx_tensor(path); });
  if (t.rank() == 0 || t.rank() > 2) fail(path.string() + ": labels must be [N], [N,1] or [N,C], got " + t.describe());
  int64_t n = t.dim(0);
  int64_t c = t.rank() == 2 ? t.dim(1) : 1;
  bool is_float = t.dtype() == DType::kFloat || t.dtype() == DType::kDouble || t.dtype() == DType::kFloat16;
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (c == 1) {
      double x = t.get_double(i);
      if (is_float && x != std::floor(x)) fail(path.string() + ": label " + std::to_string(i) + " is not an integer");
      v[static_cast<size_t>(i)] = is_float ? static_cast<int64_t>(x) : t.get_int64(i);
      if (v[static_cast<size_t>(i)] < 0) fail(path.string() + ": label " + std::to_string(i) + " is negative");
    } else {  // one-hot or scores: argmax
      int64_t best = 0;
      for (int64_t k = 1; k < c; ++k) {
        if (t.get_double(i * c + k) > t.get_double(i * c + best)) best = k;
      }
      v[static_cast<size_t>(i)] = best;
    }
  }
  return Labels(std::move(v), path.string());
}

void check_labels(const Dataset& data, const Labels& labels) {
  if (labels.size() != data.size()) {
    fail(labels.source() + " has " + std::to_string(labels.size()) + " labels but " + data.source() + " has " +
         std::to_string(data.size()) + " samples");
  }
}

double parse_scale(const std::string& text, const std::string& flag) {
  auto num = [&](const std::string& s) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != s.size() || !std::isfinite(v)) fail(flag + " '" + text + "': not a number");
    return v;
  };
  auto slash = text.find('/');
  if (slash == std::string::npos) return num(text);
  double d = num(text.substr(slash + 1));
  if (d == 0) fail(flag + " '" + text + "': division by zero");
  return num(text.substr(0, slash)) / d;
}

std::vector<float> parse_float_list(const std::string& text, const std::string& flag) {
  std::vector<float> out;
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    out.push_back(static_cast<float>(parse_scale(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos), flag)));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::pair<int64_t, int64_t> parse_resize(const std::string& text, const std::string& flag) {
  auto dim = [&](const std::string& s) {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos || std::stoll(s) == 0) {
      fail(flag + " '" + text + "': expected HxW with positive integers (e.g. 224x224)");
    }
    return std::stoll(s);
  };
  auto x = text.find_first_of("xX");
  if (x == std::string::npos) return {dim(text), dim(text)};
  return {dim(text.substr(0, x)), dim(text.substr(x + 1))};
}

Layout parse_layout(const std::string& text, const std::string& flag) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t == "nchw") return Layout::kNCHW;
  if (t == "nhwc") return Layout::kNHWC;
  fail(flag + " '" + text + "': expected nchw or nhwc");
}

}  // namespace edge::data
