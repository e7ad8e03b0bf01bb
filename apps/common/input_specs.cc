// --input specs of edge-run run/bench/check: files, literal values and random fill.
#include <charconv>
#include <map>
#include <set>

#include "app_util.h"

namespace edge::app {
namespace {

std::string input_list(const rt::Session& s) {
  std::string names;
  for (const auto& in : s.inputs()) names += (names.empty() ? "" : ", ") + in.name;
  return names.empty() ? "(none)" : names;
}

double parse_value(const std::string& spec, const std::string& text) {
  if (text == "true") return 1;
  if (text == "false") return 0;
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) {
    fail("--input " + spec + ": '" + text + "' is not a number");
  }
  return v;
}

// A tensor of the input's declared type and shape holding `values` (one value: every element).
Tensor literal_tensor(const std::string& spec, const rt::ValueDesc& in, const std::vector<double>& values) {
  Shape shape;
  if (in.has_shape) {
    shape = in.shape;
    for (auto& d : shape) d = d < 0 ? 1 : d;
  }
  Tensor t(in.dtype == DType::kUndefined ? DType::kFloat : in.dtype, shape);
  const int64_t n = t.numel();
  if (values.size() != 1 && static_cast<int64_t>(values.size()) != n) {
    fail("--input " + spec + ": " + std::to_string(values.size()) + " values for input '" + in.name + "' of shape " +
         shape_str(shape) + " (" + std::to_string(n) + " elements); give one value to fill it");
  }
  auto at = [&](int64_t i) { return values.size() == 1 ? values[0] : values[static_cast<size_t>(i)]; };
  if (t.dtype() == DType::kFloat16) {
    auto* p = static_cast<uint16_t*>(t.raw());
    for (int64_t i = 0; i < n; ++i) p[i] = float_to_half(static_cast<float>(at(i)));
    return t;
  }
  if (!dispatch_numeric(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* p = static_cast<T*>(t.raw());
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(at(i));
      })) {
    fail("--input " + spec + ": input '" + in.name + "' has type " + dtype_name(t.dtype()) +
         ", which value: cannot fill");
  }
  return t;
}

Tensor tensor_for(const std::string& spec, const std::string& source, const rt::ValueDesc& in) {
  for (const char* prefix : {"value:", "fill:"}) {
    const std::string p = prefix;
    if (source.rfind(p, 0) != 0) continue;
    std::vector<double> values;
    const std::string list = source.substr(p.size());
    size_t start = 0;
    while (true) {
      const size_t comma = list.find(',', start);
      values.push_back(parse_value(spec, list.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (p == "fill:" && values.size() != 1) fail("--input " + spec + ": fill: takes one value");
    return literal_tensor(spec, in, values);
  }
  return read_tensor_file(source);
}

}  // namespace

rt::NamedTensors read_input_specs(const std::vector<std::string>& specs, const rt::Session& s, bool random,
                                  uint64_t seed) {
  std::map<std::string, std::pair<std::string, std::string>> given;  // name -> (spec, source)
  size_t next = 0;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    std::string name, source;
    if (eq == std::string::npos) {
      while (next < s.inputs().size() && given.count(s.inputs()[next].name)) ++next;
      if (next >= s.inputs().size()) {
        fail("--input " + spec + ": the model has only " + std::to_string(s.inputs().size()) + " input(s)");
      }
      name = s.inputs()[next++].name;
      source = spec;
    } else {
      name = spec.substr(0, eq);
      source = spec.substr(eq + 1);
    }
    bool known = false;
    for (const auto& in : s.inputs()) known = known || in.name == name;
    if (!known) fail("--input " + spec + ": the model has no input '" + name + "' (inputs: " + input_list(s) + ")");
    if (given.count(name)) fail("--input " + spec + ": input '" + name + "' is given twice");
    given[name] = {spec, source};
  }
  std::set<std::string> named;
  for (const auto& [name, unused] : given) named.insert(name);
  rt::NamedTensors randoms = random ? rt::random_feeds(s, seed, named) : rt::NamedTensors{};
  rt::NamedTensors feeds;
  size_t r = 0;
  for (const auto& in : s.inputs()) {
    auto it = given.find(in.name);
    if (it != given.end()) {
      feeds.emplace_back(in.name, tensor_for(it->second.first, it->second.second, in));
    } else if (random) {
      feeds.push_back(std::move(randoms[r++]));
    } else {
      fail("no value for input '" + in.name + "': give --input " + in.name + "=FILE (or value:V), or --random");
    }
  }
  return feeds;
}

}  // namespace edge::app
