// edge-run check: run ONNX test_data_set_N directories and compare with the expected outputs.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "../common/app_util.h"
#include "commands.h"
#include "ir/tensor_compare.h"
#include "runtime/test_data_set.h"

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

int check(const CheckOptions& o) {
  rt::SessionOptions so;
  so.input_shapes = parse_shape_specs(o.shapes);
  auto session = rt::Session::create(load_model(o.model), so);
  std::vector<fs::path> sets;
  for (const auto& d : o.dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) fail(d + ": not a directory");
    auto found = rt::find_test_data_sets(d);
    if (found.empty()) fail(d + ": no input_0.pb and no test_data_set_N directories");
    for (auto& s : found) sets.push_back(s);
  }
  int failed = 0, passed = 0;
  std::printf("%-22s %-24s %12s %12s %10s  %s\n", "set", "output", "max_abs", "max_rel", "mismatch", "result");
  for (const auto& set : sets) {
    auto outs = session->run(rt::read_test_inputs(set, *session));
    auto want = rt::read_test_outputs(set, outs.size());
    for (size_t i = 0; i < outs.size(); ++i) {
      if (!want[i]) continue;
      CompareResult r = compare_tensors(outs[i].second, *want[i], o.rtol, o.atol);
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
