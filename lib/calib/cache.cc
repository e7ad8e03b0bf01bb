// Calibration cache: ranges in a JSON file keyed by what produced them.
//
//   {"format": "edge.calib-cache/1", "key": "<sha256>", "tensors": [
//      {"name": "conv1", "min": -1.5, "max": 3.25, "observed_min": ..., "observed_max": ...,
//       "clipped_fraction": 0.0001, "count": 123, "nonfinite": 0}, ...]}
// A name that is not valid UTF-8 is written as "name_hex" (its bytes in hex) instead.
#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "calib/calibrate.h"
#include "ir/atomic_file.h"
#include "ir/sha256.h"

namespace edge::calib {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "edge.calib-cache/1";
constexpr uintmax_t kMaxCacheBytes = uintmax_t{256} << 20;

// Exact text of a double (hex float), so equal options give equal keys and others differ.
std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

// "<relative path> <size> <mtime>" for the source file, or for every regular file under the
// source directory (sorted), so that an edited, added or removed file changes the key.
std::string file_identity(const fs::path& source) {
  std::error_code ec;
  auto stamp = [&](const fs::path& p, const std::string& rel) {
    std::error_code e;
    uintmax_t size = fs::file_size(p, e);
    auto mtime = fs::last_write_time(p, e).time_since_epoch().count();
    return rel + " " + std::to_string(e ? 0 : size) + " " + std::to_string(e ? 0 : mtime) + "\n";
  };
  if (!fs::is_directory(source, ec)) return fs::exists(source, ec) ? stamp(source, ".") : "missing\n";
  std::vector<std::string> lines;
  for (fs::recursive_directory_iterator it(source, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code e;
    if (it->is_regular_file(e)) lines.push_back(stamp(it->path(), fs::relative(it->path(), source, e).string()));
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

std::string dataset_identity(const data::Dataset& data, const CalibOptions& o) {
  std::ostringstream s;
  s << "data " << data.format() << " " << data.source() << " samples " << data.size() << "\n";
  s << file_identity(data.source());
  const data::Preprocess& p = data.options().pre;
  s << "scale " << exact(p.scale) << " layout " << static_cast<int>(p.layout) << " resize " << p.resize_h << "x"
    << p.resize_w << " channels " << data.options().channels << "\nmean";
  for (float m : p.mean) s << " " << exact(m);
  s << "\nstd";
  for (float d : p.std) s << " " << exact(d);
  // The samples this calibration reads: from the current position, in the pass's order.
  int64_t total = std::max<int64_t>(0, data.count() - data.position());
  if (o.samples > 0) total = std::min(total, o.samples);
  std::string order;
  for (int64_t k = 0; k < total; ++k) {
    int64_t i = data.index_at(data.position() + k);
    order.append(reinterpret_cast<const char*>(&i), sizeof i);
  }
  s << "\nread " << data.position() << "+" << total << " order " << sha256_hex(order) << "\n";
  return s.str();
}

std::string options_identity(const CalibOptions& o) {
  std::string s = std::string("method ") + method_name(o.method) + " samples " + std::to_string(o.samples) + " batch " +
                  std::to_string(o.batch) + " bins " + std::to_string(o.bins);
  if (o.method == Method::kPercentile) s += " percentile " + exact(o.percentile);
  if (o.method == Method::kEntropy || o.method == Method::kMse) {
    s += " bits " + std::to_string(o.bits) + (o.unsigned_grid ? " unsigned" : " symmetric");
  }
  return s + "\n";
}

std::string hex_bytes(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> unhex(const std::string& s) {
  if (s.size() % 2) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto nibble = [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

bool valid_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

// One cached entry, or nothing when a field is missing, of the wrong type or out of range.
std::optional<std::pair<std::string, TensorRange>> read_entry(const json& e) {
  if (!e.is_object()) return std::nullopt;
  std::string name;
  if (e.contains("name") && e["name"].is_string()) {
    name = e["name"].get<std::string>();
  } else if (e.contains("name_hex") && e["name_hex"].is_string()) {
    auto raw = unhex(e["name_hex"].get<std::string>());
    if (!raw) return std::nullopt;
    name = *raw;
  } else {
    return std::nullopt;
  }
  auto number = [&](const char* key) -> std::optional<double> {
    if (!e.contains(key) || !e[key].is_number()) return std::nullopt;
    double v = e[key].get<double>();
    if (!std::isfinite(v) || std::fabs(v) > 3.4e38) return std::nullopt;
    return v;
  };
  auto count = [&](const char* key) -> std::optional<int64_t> {
    if (!e.contains(key) || !e[key].is_number_integer() || e[key].get<int64_t>() < 0) return std::nullopt;
    return e[key].get<int64_t>();
  };
  auto lo = number("min"), hi = number("max"), omin = number("observed_min"), omax = number("observed_max");
  auto clipped = number("clipped_fraction");
  auto n = count("count"), bad = count("nonfinite");
  if (!lo || !hi || !omin || !omax || !clipped || !n || !bad) return std::nullopt;
  if (*lo > 0 || *hi < 0 || *omin > *omax || *clipped < 0 || *clipped > 1) return std::nullopt;
  TensorRange r;
  r.min = static_cast<float>(*lo);
  r.max = static_cast<float>(*hi);
  r.observed_min = static_cast<float>(*omin);
  r.observed_max = static_cast<float>(*omax);
  r.clipped_fraction = *clipped;
  r.count = *n;
  r.nonfinite = *bad;
  return std::make_pair(std::move(name), r);
}

}  // namespace

std::string cache_key(const Model& model, const data::Dataset& data, const CalibOptions& options) {
  std::string bytes;
  if (!model.proto().SerializeToString(&bytes)) {
    fail(model.name() + ": the model cannot be serialized to key a calibration cache");
  }
  std::string text = std::string(kFormat) + "\nmodel " + sha256_hex(bytes) + "\n" + dataset_identity(data, options) +
                     options_identity(options);
  return sha256_hex(text);
}

std::optional<Ranges> load_cache(const fs::path& file, const std::string& key) {
  try {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec) || fs::file_size(file, ec) > kMaxCacheBytes || ec) return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || doc.value("format", json()) != kFormat || doc.value("key", json()) != key)
      return std::nullopt;
    const json& tensors = doc.value("tensors", json());
    if (!tensors.is_array()) return std::nullopt;
    Ranges out;
    for (const json& e : tensors) {
      auto entry = read_entry(e);
      if (!entry || !out.emplace(std::move(*entry)).second) return std::nullopt;  // bad or duplicate
    }
    return out;
  } catch (const std::exception&) {  // whatever is wrong with the file, it is not a cache hit
    return std::nullopt;
  }
}

void save_cache(const fs::path& file, const std::string& key, const Ranges& ranges) {
  json tensors = json::array();
  for (const auto& [name, r] : ranges) {
    json e;
    if (valid_utf8(name))
      e["name"] = name;
    else
      e["name_hex"] = hex_bytes(name);
    e["min"] = static_cast<double>(r.min);
    e["max"] = static_cast<double>(r.max);
    e["observed_min"] = static_cast<double>(r.observed_min);
    e["observed_max"] = static_cast<double>(r.observed_max);
    e["clipped_fraction"] = r.clipped_fraction;
    e["count"] = r.count;
    e["nonfinite"] = r.nonfinite;
    tensors.push_back(std::move(e));
  }
  json doc{{"format", kFormat}, {"key", key}, {"tensors", std::move(tensors)}};
  write_file_atomic(file, doc.dump(1) + "\n");
}

fs::path default_cache_path(const fs::path& output_model) {
  fs::path p = output_model;
  p += ".calib.json";
  return p;
}

}  // namespace edge::calib
