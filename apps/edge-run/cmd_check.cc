// edge-run check: run ONNX test_data_set_N directories and compare with the expected outputs.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "../common/app_util.h"
#include "commands.h"
#include "ir/tensor_compare.h"
#include "ir/tensor_proto.h"

namespace edge::app {
namespace fs = std::filesystem;

namespace {
struct CheckOptions {
  std::string model;
  std::vector<std::string> dirs;
  double rtol = 1e-3;
  double atol = 1e-5;
  std::vector<std::string> shapes;
};

// A directory holding input_K.pb itself, or test_data_set_* subdirectories.
std::vector<fs::path> expand_sets(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(dir.string() + ": not a directory");
  if (fs::exists(dir / "input_0.pb")) return {dir};
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && fs::exists(e.path() / "input_0.pb")) sets.push_back(e.path());
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) fail(dir.string() + ": no input_0.pb and no test_data_set_N directories");
  return sets;
}

int check(const CheckOptions& o) {
  rt::SessionOptions so;
  so.input_shapes = parse_shape_specs(o.shapes);
  auto session = rt::Session::create(load_model(o.model), so);
  std::vector<fs::path> sets;
  for (const auto& d : o.dirs) {
    for (auto& s : expand_sets(d)) sets.push_back(s);
  }
  int failed = 0, passed = 0;
  std::printf("%-22s %-24s %12s %12s %10s  %s\n", "set", "output", "max_abs", "max_rel", "mismatch", "result");
  for (const auto& set : sets) {
    rt::NamedTensors feeds;
    for (size_t i = 0;; ++i) {
      fs::path p = set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      std::string name;
      Tensor t = read_tensor_pb(p, &name);
      // Names in test data are often empty: bind by position.
      if (i < session->inputs().size()) name = session->inputs()[i].name;
      feeds.emplace_back(name, std::move(t));
    }
    auto outs = session->run(feeds);
    for (size_t i = 0; i < outs.size(); ++i) {
      fs::path p = set / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) continue;
      CompareResult r = compare_tensors(outs[i].second, read_tensor_pb(p), o.rtol, o.atol);
      bool ok = r.passed();
      (ok ? passed : failed)++;
      std::printf("%-22s %-24s %12.4g %12.4g %10lld  %s%s\n", set.filename().string().c_str(), outs[i].first.c_str(),
                  r.max_abs, r.max_rel, static_cast<long long>(r.mismatches), ok ? "PASS" : "FAIL",
                  r.shape_ok ? "" : (" (" + r.shape_error + ")").c_str());
    }
  }
  std::printf("%d passed, %d failed (rtol %g, atol %g)\n", passed, failed, o.rtol, o.atol);
  return failed ? 1 : 0;
}
}  // namespace

void add_check_command(CLI::App& root, Action& action) {
  auto o = std::make_shared<CheckOptions>();
  auto* c = root.add_subcommand("check", "Run ONNX test_data_set_N directories and compare outputs (exit 1 on mismatch)");
  c->add_option("model", o->model, "ONNX model file")->required();
  c->add_option("dirs", o->dirs, "test_data_set_N directories, or a folder containing them")->required();
  c->add_option("--rtol", o->rtol, "Relative tolerance (default 1e-3)");
  c->add_option("--atol", o->atol, "Absolute tolerance (default 1e-5)");
  c->add_option("--shape", o->shapes, "Fix a dynamic input shape: NAME:1x3x224x224");
  c->callback([o, &action] { action = [o] { return check(*o); }; });
}

}  // namespace edge::app
