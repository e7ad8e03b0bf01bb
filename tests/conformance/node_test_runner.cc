#include "node_test_runner.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "ir/model.h"
#include "ir/tensor_proto.h"
#include "runtime/session.h"

namespace edge::conformance {
namespace fs = std::filesystem;

namespace {

void collect_ops(const onnx::GraphProto& g, std::set<std::string>& ops) {
  for (const auto& n : g.node()) {
    ops.insert((n.domain().empty() || n.domain() == "ai.onnx" ? "" : n.domain() + ".") + n.op_type());
    for (const auto& a : n.attribute()) {
      if (a.has_g()) collect_ops(a.g(), ops);
      for (const auto& sg : a.graphs()) collect_ops(sg, ops);
    }
  }
}

bool all_tensor_typed(const onnx::GraphProto& g, std::string* why) {
  for (const auto* list : {&g.input(), &g.output()}) {
    for (const auto& v : *list) {
      if (!v.type().has_tensor_type()) {
        *why = "value '" + v.name() + "' is a sequence/optional/map, not a tensor";
        return false;
      }
      int32_t et = v.type().tensor_type().elem_type();
      if (et == onnx::TensorProto::STRING) {
        *why = "value '" + v.name() + "' holds strings";
        return false;
      }
      if (et != 0 && !dtype_supported(dtype_from_onnx(et))) {
        *why = "value '" + v.name() + "' has element type " +
               onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(et));
        return false;
      }
    }
  }
  return true;
}

std::string compare(const Tensor& got, const Tensor& want, const CompareTolerance& tol, const std::string& name) {
  if (got.dtype() != want.dtype()) {
    return name + ": dtype " + dtype_name(got.dtype()) + " != expected " + dtype_name(want.dtype());
  }
  if (got.shape() != want.shape()) {
    return name + ": shape " + shape_str(got.shape()) + " != expected " + shape_str(want.shape());
  }
  bool is_float = got.dtype() == DType::kFloat || got.dtype() == DType::kDouble || got.dtype() == DType::kFloat16;
  double worst = 0;
  int64_t bad = 0, first_bad = -1;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double g = got.get_double(i), w = want.get_double(i);
    bool ok;
    if (is_float) {
      if (std::isnan(w)) ok = std::isnan(g);
      else if (std::isinf(w)) ok = g == w;
      else ok = std::fabs(g - w) <= tol.atol + tol.rtol * std::fabs(w);
    } else {
      ok = got.get_int64(i) == want.get_int64(i);
    }
    if (!ok) {
      if (first_bad < 0) first_bad = i;
      ++bad;
      worst = std::max(worst, std::fabs(g - w));
    }
  }
  if (bad == 0) return "";
  return name + ": " + std::to_string(bad) + " of " + std::to_string(got.numel()) +
         " elements differ (first at " + std::to_string(first_bad) + ": got " +
         std::to_string(got.get_double(first_bad)) + ", want " + std::to_string(want.get_double(first_bad)) +
         "; max abs diff " + std::to_string(worst) + ")";
}

}  // namespace

std::vector<std::string> ops_in_model(const fs::path& model) {
  std::set<std::string> ops;
  Model m = load_model(model, {false, false});
  collect_ops(m.graph(), ops);
  return {ops.begin(), ops.end()};
}

CaseResult run_test_dir(const fs::path& dir, const CompareTolerance& tol) {
  CaseResult r;
  r.name = dir.filename().string();
  Model model;
  try {
    model = load_model(dir / "model.onnx", {false, false});
  } catch (const Error& e) {
    r.outcome = Outcome::kSkipped;
    r.reason = std::string("model does not load: ") + e.what();
    return r;
  }
  std::set<std::string> ops;
  collect_ops(model.graph(), ops);
  r.ops.assign(ops.begin(), ops.end());
  int opset = model.opset("");
  for (const auto& op : ops) {
    std::string domain, type = op;
    auto dot = op.rfind('.');
    if (dot != std::string::npos) {
      domain = op.substr(0, dot);
      type = op.substr(dot + 1);
    }
    int v = domain.empty() ? opset : model.opset(domain);
    if (!rt::KernelRegistry::builtin().supports(domain, type, v)) {
      r.outcome = Outcome::kSkipped;
      r.reason = "op " + op + " (opset " + std::to_string(v) + ") not registered";
      return r;
    }
  }
  std::string why;
  if (!all_tensor_typed(model.graph(), &why)) {
    r.outcome = Outcome::kSkipped;
    r.reason = why;
    return r;
  }
  try {
    model.check();
    model.infer_shapes();
    auto session = rt::Session::create(std::move(model));
    std::vector<fs::path> sets;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    }
    std::sort(sets.begin(), sets.end());
    for (const auto& set : sets) {
      rt::NamedTensors feeds;
      for (size_t i = 0;; ++i) {
        fs::path p = set / ("input_" + std::to_string(i) + ".pb");
        if (!fs::exists(p)) break;
        std::string name;
        Tensor t = read_tensor_pb(p, &name);
        if (i < session->inputs().size()) name = session->inputs()[i].name;
        feeds.emplace_back(name, std::move(t));
      }
      auto outs = session->run(feeds);
      for (size_t i = 0; i < outs.size(); ++i) {
        fs::path p = set / ("output_" + std::to_string(i) + ".pb");
        if (!fs::exists(p)) continue;
        Tensor want = read_tensor_pb(p);
        std::string diff = compare(outs[i].second, want, tol, set.filename().string() + " output '" + outs[i].first + "'");
        if (!diff.empty()) {
          r.outcome = Outcome::kFailed;
          r.reason = diff;
          return r;
        }
      }
    }
    r.outcome = Outcome::kPassed;
  } catch (const std::exception& e) {
    r.outcome = Outcome::kFailed;
    r.reason = e.what();
  }
  return r;
}

}  // namespace edge::conformance
