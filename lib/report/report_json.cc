// JSON writer: schema "edge.report/1" (docs/report-schema.md). Keys come out in a fixed
// order (ordered_json, and std::map for the open-ended metric/attr objects), so the same
// Report always gives the same bytes.
#include <nlohmann/json.hpp>

#include "report/report.h"

namespace edge::report {
namespace {

using Json = nlohmann::ordered_json;

Json opt(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json metrics_json(const ModelMetrics& m) {
  Json j = Json::object();
  j["bytes"] = m.bytes;
  j["dense_bytes"] = m.dense_bytes;
  j["sparse_initializers"] = m.sparse_initializers;
  j["file_bytes"] = m.file_bytes ? Json(*m.file_bytes) : Json(nullptr);
  j["params"] = m.params;
  j["sparsity"] = m.sparsity;
  j["macs"] = m.macs;
  j["top1"] = opt(m.top1);
  j["agreement_top1"] = opt(m.agreement_top1);
  j["cosine"] = opt(m.cosine);
  j["latency_ms"] = opt(m.latency_ms);
  j["latency_spread_ms"] = opt(m.latency_spread_ms);
  return j;
}

template <class V>
Json map_json(const std::map<std::string, V>& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

Json strings_json(const std::vector<std::string>& v) {
  Json j = Json::array();
  for (const auto& s : v) j.push_back(s);
  return j;
}

Json layer_json(const LayerRecord& l) {
  Json j = Json::object();
  j["name"] = l.name;
  j["op"] = l.op;
  j["params"] = l.params;
  j["metrics"] = map_json(l.metrics);
  j["attrs"] = map_json(l.attrs);
  return j;
}

Json stage_json(const StageRecord& s) {
  Json j = Json::object();
  j["name"] = s.name;
  j["options"] = s.options;
  j["kind"] = s.kind;
  j["seconds"] = s.seconds;
  j["nodes_before"] = s.nodes_before;
  j["nodes_after"] = s.nodes_after;
  j["before"] = metrics_json(s.before);
  j["after"] = metrics_json(s.after);
  j["metrics"] = map_json(s.metrics);
  Json layers = Json::array();
  for (const auto& l : s.layers) layers.push_back(layer_json(l));
  j["layers"] = std::move(layers);
  j["notes"] = strings_json(s.notes);
  return j;
}

Json gate_json(const GateRecord& g) {
  Json j = Json::object();
  j["name"] = g.name;
  j["limit"] = g.limit;
  j["value"] = g.value;
  j["unit"] = g.unit;
  j["passed"] = g.passed;
  j["detail"] = g.detail;
  return j;
}

}  // namespace

std::string to_json(const Report& r) {
  Json j = Json::object();
  j["schema"] = kSchema;
  j["tool_version"] = r.tool_version;
  j["input_path"] = r.input_path;
  j["output_path"] = r.output_path;
  j["input_sha256"] = r.input_sha256;
  j["pipeline"] = r.pipeline;
  j["seed"] = r.seed;
  j["started_at"] = r.started_at;
  j["total_seconds"] = r.total_seconds;
  j["verdict"] = r.verdict;
  j["original"] = metrics_json(r.original);
  j["result"] = metrics_json(r.result);
  Json stages = Json::array();
  for (const auto& s : r.stages) stages.push_back(stage_json(s));
  j["stages"] = std::move(stages);
  Json gates = Json::array();
  for (const auto& g : r.gates) gates.push_back(gate_json(g));
  j["gates"] = std::move(gates);
  j["notes"] = strings_json(r.notes);
  // Names come from untrusted models: invalid UTF-8 becomes U+FFFD instead of throwing.
  // NaN and infinity are written as null (JSON has no spelling for them).
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace edge::report
