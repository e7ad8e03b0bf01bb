// edge-run run: one inference with inputs from files (or random), outputs to a directory.
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <cstdio>
#include <filesystem>

#include "../common/app_util.h"
#include "commands.h"
#include "data/npy.h"
#include "ir/tensor_proto.h"

namespace edge::app {
namespace fs = std::filesystem;

namespace {
struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> shapes;
  bool random = false;
  uint64_t seed = 0;
  std::string output_dir;
  std::string output_format = "pb";
  int threads = 1;
  std::string dump_dir;
  std::vector<std::string> backends;
  std::string save_test_data;
  bool no_fuse = false;
};

// A file name for a value name: letters, digits, '.', '-' and '_' kept, the rest '_'.
std::string file_stem(const std::string& value) {
  std::string s;
  for (char c : value) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return s.empty() || s[0] == '.' ? "v" + s : s;
}

void print_summary(const std::string& name, const Tensor& t) {
  std::printf("  %-24s %s", name.c_str(), t.describe().c_str());
  if (t.numel() > 0 && t.dtype() != DType::kBool) {
    double mn = t.get_double(0), mx = mn, sum = 0;
    int64_t arg = 0;
    for (int64_t i = 0; i < t.numel(); ++i) {
      double v = t.get_double(i);
      if (v > mx) {
        mx = v;
        arg = i;
      }
      mn = std::min(mn, v);
      sum += v;
    }
    std::printf("  min %.6g  max %.6g  mean %.6g  argmax %lld", mn, mx, sum / static_cast<double>(t.numel()),
                static_cast<long long>(arg));
  }
  std::printf("\n");
}

// DIR/test_data_set_N (the first N not taken) with input_K.pb and output_K.pb, named, in
// model order: what `edge-run check` and ONNX's test runners replay.
void save_test_data(const std::string& dir, const rt::NamedTensors& feeds, const rt::NamedTensors& outs) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) fail(dir + ": --save-test-data exists and is not a directory");
  fs::path set;
  for (int n = 0;; ++n) {
    set = fs::path(dir) / ("test_data_set_" + std::to_string(n));
    if (!fs::exists(set, ec)) break;
  }
  fs::create_directories(set);
  for (size_t i = 0; i < feeds.size(); ++i) {
    write_tensor_pb(set / ("input_" + std::to_string(i) + ".pb"), feeds[i].second, feeds[i].first);
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    write_tensor_pb(set / ("output_" + std::to_string(i) + ".pb"), outs[i].second, outs[i].first);
  }
  std::printf("saved %zu inputs and %zu outputs to %s\n", feeds.size(), outs.size(), set.string().c_str());
}

int run(const RunOptions& o) {
  rt::SessionOptions so;
  so.threads = o.threads;
  so.input_shapes = parse_shape_specs(o.shapes);
  so.backends = o.backends;
  so.fuse = o.dump_dir.empty() && !o.no_fuse;  // dumps show every tensor of the model as written
  auto session = rt::Session::create(load_model(o.model), so);
  if (!o.random && o.inputs.empty() && !session->inputs().empty()) {
    fail("no inputs given: use --input NAME=FILE (.pb or .npy), NAME=value:V, or --random");
  }
  const rt::NamedTensors feeds = read_input_specs(o.inputs, *session, o.random, o.seed);
  if (!o.output_dir.empty()) {
    std::error_code ec;
    if (fs::exists(o.output_dir, ec) && !fs::is_directory(o.output_dir, ec)) {
      fail(o.output_dir + ": --output-dir exists and is not a directory");
    }
  }
  std::vector<std::pair<std::string, Tensor>> dumped;
  if (!o.dump_dir.empty()) {
    session->set_observer([&](const rt::NodeEvent& e) {
      if (e.depth > 0) return;  // subgraph values are dumped through their enclosing node's outputs
      for (int i = 0; i < e.node.output_size(); ++i) {
        if (!e.node.output(i).empty() && e.outputs[static_cast<size_t>(i)].defined()) {
          dumped.emplace_back(e.node.output(i), e.outputs[static_cast<size_t>(i)].clone());
        }
      }
    });
  }
  auto outs = session->run(feeds);
  if (!o.dump_dir.empty()) {
    fs::create_directories(o.dump_dir);
    std::map<std::string, int> used;
    for (const auto& [name, t] : dumped) {
      std::string stem = file_stem(name);
      if (used[stem]++) stem += "_" + std::to_string(used[stem] - 1);
      fs::path p = fs::path(o.dump_dir) / (stem + "." + o.output_format);
      if (o.output_format == "npy") data::write_npy(p, t);
      else write_tensor_pb(p, t, name);
    }
    std::printf("dumped %zu intermediate tensors to %s\n", dumped.size(), o.dump_dir.c_str());
  }
  if (!o.save_test_data.empty()) save_test_data(o.save_test_data, feeds, outs);
  std::printf("%s: %zu output(s)\n", o.model.c_str(), outs.size());
  for (const auto& [name, t] : outs) print_summary(name, t);
  if (!o.output_dir.empty()) {
    fs::create_directories(o.output_dir);
    // output_K (model order) and, under its own name, each output again.
    std::set<std::string> written;
    for (size_t i = 0; i < outs.size(); ++i) {
      for (const std::string& stem : {"output_" + std::to_string(i), file_stem(outs[i].first)}) {
        if (!written.insert(stem).second) continue;
        fs::path p = fs::path(o.output_dir) / (stem + "." + o.output_format);
        if (o.output_format == "npy") data::write_npy(p, outs[i].second);
        else write_tensor_pb(p, outs[i].second, outs[i].first);
        std::printf("wrote %s\n", p.string().c_str());
      }
    }
  }
  return 0;
}
}  // namespace

void add_run_command(CLI::App& root, Action& action) {
  auto o = std::make_shared<RunOptions>();
  auto* c = root.add_subcommand("run", "Run one inference and print/save the outputs");
  c->add_option("model", o->model, "ONNX model file")->required();
  c->add_option("--input,-i", o->inputs,
                "Input as NAME=FILE or FILE (.pb TensorProto or .npy), NAME=value:V[,V...] or NAME=fill:V (the "
                "input's declared shape filled); repeatable, one per input");
  c->add_option("--shape", o->shapes, "Fix a dynamic input shape: NAME:1x3x224x224; repeatable");
  c->add_flag("--random", o->random, "Feed random values (floats uniform in [0,1)) to the inputs --input does not name");
  c->add_option("--seed", o->seed, "Seed for --random");
  c->add_option("--output-dir,-o", o->output_dir, "Write output_K.pb (or .npy) files here");
  c->add_option("--output-format", o->output_format, "pb or npy")->check(CLI::IsMember({"pb", "npy"}));
  c->add_option("--threads", o->threads, "Intra-op threads")->check(CLI::Range(1, 256));
  c->add_option("--dump-all", o->dump_dir,
                "Write every node's outputs (each value of the graph) to this directory as NAME.pb (or .npy)");
  c->add_option("--backend", o->backends, "Kernel backend to use (repeatable: cpu, reference)");
  c->add_option("--save-test-data", o->save_test_data,
                "Write the inputs and outputs as DIR/test_data_set_N/{input,output}_K.pb (edge-run check replays it)");
  c->add_flag("--no-fuse", o->no_fuse,
              "Run every node as written: no QDQ-to-integer or Conv+BatchNorm/activation fusion (implied by --dump-all)");
  c->callback([o, &action] { action = [o] { return run(*o); }; });
}

}  // namespace edge::app
