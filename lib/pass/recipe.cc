#include "pass/recipe.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <set>

#include "pass/registry.h"

namespace edge::pass {
namespace fs = std::filesystem;

namespace {

std::string scalar(const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) fail(what + " must be a single value");
  return n.Scalar();
}

double number(const YAML::Node& n, const std::string& what) {
  std::string s = scalar(n, what);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v)) fail(what + " must be a number, got '" + s + "'");
  return v;
}

int64_t integer(const YAML::Node& n, const std::string& what) {
  double v = number(n, what);
  if (v != std::floor(v) || std::fabs(v) > 9e15) fail(what + " must be an integer");
  return static_cast<int64_t>(v);
}

void check_keys(const YAML::Node& n, const std::set<std::string>& allowed, const std::string& what) {
  if (!n.IsMap()) fail(what + " must be a mapping");
  for (const auto& kv : n) {
    std::string k = kv.first.Scalar();
    if (!allowed.count(k)) {
      std::string near = nearest_name(k, {allowed.begin(), allowed.end()});
      fail(what + ": unknown key '" + k + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
  }
}

DataSpec parse_data(const YAML::Node& n, const fs::path& base, const std::string& what) {
  check_keys(n, {"path", "labels", "scale", "mean", "std", "layout", "resize", "limit", "batch", "channels"}, what);
  DataSpec d;
  if (!n["path"]) fail(what + ": missing 'path'");
  auto resolve = [&](const std::string& p) { return fs::path(p).is_absolute() ? fs::path(p) : base / p; };
  d.path = resolve(scalar(n["path"], what + ".path"));
  if (n["labels"]) d.labels = resolve(scalar(n["labels"], what + ".labels"));
  if (n["scale"]) d.options.pre.scale = data::parse_scale(scalar(n["scale"], what + ".scale"), what + ".scale");
  if (n["mean"]) d.options.pre.mean = data::parse_float_list(scalar(n["mean"], what + ".mean"), what + ".mean");
  if (n["std"]) d.options.pre.std = data::parse_float_list(scalar(n["std"], what + ".std"), what + ".std");
  if (n["layout"]) d.options.pre.layout = data::parse_layout(scalar(n["layout"], what + ".layout"), what + ".layout");
  if (n["resize"]) {
    auto [h, w] = data::parse_resize(scalar(n["resize"], what + ".resize"), what + ".resize");
    d.options.pre.resize_h = h;
    d.options.pre.resize_w = w;
  }
  if (n["limit"]) d.limit = integer(n["limit"], what + ".limit");
  if (n["batch"]) d.batch = integer(n["batch"], what + ".batch");
  if (n["channels"]) d.options.channels = static_cast<int>(integer(n["channels"], what + ".channels"));
  if (d.limit < 0 || d.batch < 1) fail(what + ": limit must be >= 0 and batch >= 1");
  return d;
}

std::map<std::string, std::string> scalar_map(const YAML::Node& n, const std::string& what) {
  if (!n.IsMap()) fail(what + " must be a mapping of option: value");
  std::map<std::string, std::string> out;
  for (const auto& kv : n) out[kv.first.Scalar()] = scalar(kv.second, what + "." + kv.first.Scalar());
  return out;
}

}  // namespace

uint64_t parse_size(const std::string& text, const std::string& what) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end == text.c_str() || !(v >= 0) || !std::isfinite(v)) {
    fail(what + ": '" + text + "' is not a size (e.g. 500KB, 1.5MB, 2000000)");
  }
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double mult;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KB" || unit == "K") mult = 1e3;
  else if (unit == "MB" || unit == "M") mult = 1e6;
  else if (unit == "GB" || unit == "G") mult = 1e9;
  else if (unit == "KIB") mult = 1024;
  else if (unit == "MIB") mult = 1024.0 * 1024;
  else if (unit == "GIB") mult = 1024.0 * 1024 * 1024;
  else fail(what + ": unknown size unit '" + std::string(end) + "' (use B, KB, MB, GB, KiB, MiB, GiB)");
  return static_cast<uint64_t>(std::llround(v * mult));
}

Recipe parse_recipe(const std::string& text, const fs::path& base, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(name + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  Recipe r;
  try {
    if (!root.IsMap()) fail(name + ": a recipe is a mapping with 'pipeline', 'data', 'gates', ...");
    check_keys(root, {"version", "seed", "pipeline", "data", "gates", "layers", "shapes"}, name);
    if (root["version"] && integer(root["version"], name + ": version") != 1) {
      fail(name + ": unsupported recipe version (this tool reads version 1)");
    }
    if (root["seed"]) {
      int64_t s = integer(root["seed"], name + ": seed");
      if (s < 0) fail(name + ": seed must be >= 0");
      r.seed = static_cast<uint64_t>(s);
    }
    if (!root["pipeline"] || !root["pipeline"].IsSequence()) fail(name + ": 'pipeline' must be a list of passes");
    for (const auto& step : root["pipeline"]) {
      if (step.IsScalar()) {
        r.pipeline.push_back(make_entry(step.Scalar(), {}));
      } else if (step.IsMap() && step.size() == 1) {
        auto kv = *step.begin();
        std::string pass_name = kv.first.Scalar();
        auto opts = kv.second.IsNull() ? std::map<std::string, std::string>{}
                                       : scalar_map(kv.second, name + ": pipeline." + pass_name);
        r.pipeline.push_back(make_entry(pass_name, opts));
      } else {
        fail(name + ": each pipeline step is a pass name or {pass-name: {option: value}}");
      }
    }
    if (root["data"]) {
      const auto& d = root["data"];
      check_keys(d, {"calib", "eval", "train"}, name + ": data");
      if (d["calib"]) r.calib = parse_data(d["calib"], base, name + ": data.calib");
      if (d["eval"]) r.eval = parse_data(d["eval"], base, name + ": data.eval");
      if (d["train"]) r.train = parse_data(d["train"], base, name + ": data.train");
    }
    if (root["shapes"]) {
      // shapes: {input: 1x3x224x224} or {input: [1, 3, 224, 224]}
      const auto& sh = root["shapes"];
      if (!sh.IsMap()) fail(name + ": 'shapes' must map input names to shapes (input: 1x3x224x224)");
      for (const auto& kv : sh) {
        const std::string input = kv.first.Scalar(), where = name + ": shapes." + input;
        Shape dims;
        if (kv.second.IsSequence()) {
          for (const auto& d : kv.second) dims.push_back(integer(d, where));
        } else {
          const std::string text = scalar(kv.second, where);
          const auto parsed = parse_shape_str(text);
          if (!parsed) fail(where + ": '" + text + "' is not a shape like 1x3x224x224");
          dims = *parsed;
        }
        for (int64_t d : dims) {
          if (d < 0) fail(where + ": dimensions must be >= 0");
        }
        r.shapes[input] = dims;
      }
    }
    if (root["gates"]) {
      const auto& g = root["gates"];
      std::string w = name + ": gates";
      check_keys(g, {"max-accuracy-drop", "min-agreement", "max-size", "max-latency-ms", "max-params"}, w);
      if (g["max-accuracy-drop"]) r.gates.max_accuracy_drop = number(g["max-accuracy-drop"], w + ".max-accuracy-drop");
      if (g["min-agreement"]) r.gates.min_agreement = number(g["min-agreement"], w + ".min-agreement");
      for (const auto& [key, value] : {std::pair{"min-agreement", r.gates.min_agreement},
                                       std::pair{"max-accuracy-drop", r.gates.max_accuracy_drop}}) {
        if (value && (*value < 0 || *value > 1)) fail(w + "." + key + " must be between 0 and 1");
      }
      if (g["max-size"]) r.gates.max_size = parse_size(scalar(g["max-size"], w + ".max-size"), w + ".max-size");
      if (g["max-latency-ms"]) r.gates.max_latency_ms = number(g["max-latency-ms"], w + ".max-latency-ms");
      if (g["max-params"]) r.gates.max_params = integer(g["max-params"], w + ".max-params");
    }
    if (root["layers"]) {
      if (!root["layers"].IsSequence()) fail(name + ": 'layers' must be a list of {match: ..., ...}");
      for (const auto& l : root["layers"]) {
        std::string where = name + ": layers[" + std::to_string(r.layers.size()) + "]";
        if (!l.IsMap() || !l["match"]) fail(where + " needs 'match'");
        LayerRule rule;
        rule.match = scalar(l["match"], where + ".match");
        for (const auto& kv : l) {
          std::string k = kv.first.Scalar();
          if (k == "match") continue;
          if (k == "exclude" || k == "include") {
            std::string v = scalar(kv.second, where + "." + k);
            if (v != "true" && v != "false") fail(where + "." + k + " must be true or false");
            (k == "exclude" ? rule.exclude : rule.include) = v == "true";
          } else {
            rule.options[k] = scalar(kv.second, where + "." + k);
          }
        }
        r.layers.push_back(std::move(rule));
      }
      // Regexes compile, options exist and their values are valid for every pass that
      // declares them: errors here, not when a stage runs.
      (void)LayerRules(r.layers, r.pipeline, name);
    }
  } catch (const YAML::Exception& e) {
    fail(name + ": invalid recipe at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return r;
}

Recipe load_recipe(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail(path.string() + ": recipe file not found (or not a regular file)");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_recipe(text, path.parent_path(), path.string());
}

}  // namespace edge::pass
