// compressor inspect: model metadata, I/O, op histogram, per-layer table and totals
// as text, Markdown or JSON (schema: docs/inspect-schema.md).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "../common/app_util.h"
#include "commands.h"
#include "ir/model_summary.h"

namespace edge::app {

namespace {
struct InspectOptions {
  std::string model;
  std::string format = "text";
};

std::string dims_str(const std::vector<std::string>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + dims[i];
  return s + "]";
}

nlohmann::ordered_json to_json(const ModelSummary& s, const std::string& path) {
  nlohmann::ordered_json j;
  j["schema"] = "edge.inspect/1";
  j["file"] = path;
  j["file_size"] = s.file_size;
  j["ir_version"] = s.ir_version;
  j["opsets"] = nlohmann::ordered_json::object();
  for (const auto& [d, v] : s.opsets) j["opsets"][d] = v;
  j["producer"] = {{"name", s.producer_name}, {"version", s.producer_version}};
  j["graph_name"] = s.graph_name;
  auto values = [](const std::vector<ValueSummary>& vs) {
    auto a = nlohmann::ordered_json::array();
    for (const auto& v : vs) a.push_back({{"name", v.name}, {"dtype", v.dtype}, {"shape", v.dims}});
    return a;
  };
  j["inputs"] = values(s.inputs);
  j["outputs"] = values(s.outputs);
  j["op_histogram"] = s.op_histogram;
  j["layers"] = nlohmann::ordered_json::array();
  for (const auto& l : s.layers) {
    nlohmann::ordered_json lj = {{"name", l.name},     {"graph", l.graph},   {"op", l.op},
                                 {"weight", l.weight}, {"weight_shape", l.weight_shape},
                                 {"dtype", l.dtype},   {"params", l.params}, {"sparsity", l.sparsity}};
    lj["macs"] = l.macs >= 0 ? nlohmann::ordered_json(l.macs) : nlohmann::ordered_json(nullptr);
    j["layers"].push_back(lj);
  }
  j["totals"] = {{"nodes", s.node_count},          {"initializers", s.initializer_count},
                 {"params", s.total_params},       {"macs", s.total_macs},
                 {"weight_bytes", s.weight_bytes}, {"weight_bytes_by_dtype", s.weight_bytes_by_dtype},
                 {"weight_sparsity", s.weight_sparsity}, {"file_size", s.file_size}};
  j["notes"] = s.notes;
  return j;
}

void print_table(const ModelSummary& s, bool md) {
  if (md) {
    std::printf("| layer | op | weight shape | params | MACs | sparsity | dtype |\n|---|---|---|---|---|---|---|\n");
  }
  // Columns as wide as the longest name: names are never cut.
  int name_w = 5, op_w = 2, shape_w = 12;
  for (const auto& l : s.layers) {
    name_w = std::max(name_w, static_cast<int>(l.name.size()));
    op_w = std::max(op_w, static_cast<int>(l.op.size()));
    shape_w = std::max(shape_w, static_cast<int>(shape_str(l.weight_shape).size()));
  }
  if (!md) {
    std::printf("%-*s %-*s %-*s %10s %10s %9s %-8s\n", name_w, "layer", op_w, "op", shape_w, "weight shape", "params",
                "MACs", "sparsity", "dtype");
  }
  for (const auto& l : s.layers) {
    std::string ws = l.weight_shape.empty() ? "-" : shape_str(l.weight_shape);
    if (md) {
      std::printf("| %s | %s | %s | %lld | %s | %.1f%% | %s |\n", l.name.c_str(), l.op.c_str(), ws.c_str(),
                  static_cast<long long>(l.params), format_count(l.macs).c_str(), 100 * l.sparsity, l.dtype.c_str());
    } else {
      std::printf("%-*s %-*s %-*s %10lld %10s %8.1f%% %-8s\n", name_w, l.name.c_str(), op_w, l.op.c_str(), shape_w,
                  ws.c_str(), static_cast<long long>(l.params), format_count(l.macs).c_str(), 100 * l.sparsity,
                  l.dtype.c_str());
    }
  }
}

int inspect(const InspectOptions& o) {
  Model m = load_model(o.model);
  ModelSummary s = summarize_model(m);
  if (o.format == "json") {
    std::printf("%s\n", json_text(to_json(s, o.model)).c_str());
    return 0;
  }
  bool md = o.format == "md";
  std::string opsets;
  for (const auto& [d, v] : s.opsets) opsets += (opsets.empty() ? "" : ", ") + d + " " + std::to_string(v);
  if (md) std::printf("# %s\n\n", o.model.c_str());
  else std::printf("model: %s\n", o.model.c_str());
  const char* b = md ? "- **" : "  ";
  const char* e = md ? ":** " : ": ";
  std::printf("%sIR version%s%lld\n%sopsets%s%s\n%sproducer%s%s %s\n", b, e, static_cast<long long>(s.ir_version), b, e,
              opsets.c_str(), b, e, s.producer_name.c_str(), s.producer_version.c_str());
  for (const auto& v : s.inputs) std::printf("%sinput%s%s %s %s\n", b, e, v.name.c_str(), v.dtype.c_str(), dims_str(v.dims).c_str());
  for (const auto& v : s.outputs) std::printf("%soutput%s%s %s %s\n", b, e, v.name.c_str(), v.dtype.c_str(), dims_str(v.dims).c_str());
  std::string hist;
  for (const auto& [op, n] : s.op_histogram) hist += (hist.empty() ? "" : ", ") + op + " " + std::to_string(n);
  std::printf("%sops%s%d nodes: %s\n\n", b, e, s.node_count, hist.c_str());
  print_table(s, md);
  std::string by_dtype;
  for (const auto& [d, n] : s.weight_bytes_by_dtype) by_dtype += (by_dtype.empty() ? "" : ", ") + d + " " + format_bytes(n);
  std::printf("\n%stotals%sparams %s (%lld), MACs %s, weights %s (%s), weight sparsity %.1f%%, file %s\n", b, e,
              format_count(s.total_params).c_str(), static_cast<long long>(s.total_params),
              format_count(s.total_macs).c_str(), format_bytes(s.weight_bytes).c_str(), by_dtype.c_str(),
              100 * s.weight_sparsity, format_bytes(s.file_size).c_str());
  for (const auto& n : s.notes) std::printf("%snote%s%s\n", b, e, n.c_str());
  return 0;
}
}  // namespace

void add_inspect_command(CLI::App& root, Action& action) {
  auto o = std::make_shared<InspectOptions>();
  auto* c = root.add_subcommand("inspect", "Summarize a model: I/O, ops, per-layer params/MACs/sparsity, totals");
  c->add_option("model", o->model, "ONNX model file")->required();
  c->add_option("--format,-f", o->format, "text, md or json (schema: docs/inspect-schema.md)")
      ->check(CLI::IsMember({"text", "md", "json"}));
  c->callback([o, &action] { action = [o] { return inspect(*o); }; });
}

}  // namespace edge::app
