#include "node_test_runner.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "ir/model.h"
#include "ir/tensor_compare.h"
#include "runtime/test_data_set.h"
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

}  // namespace

std::vector<std::string> ops_in_model(const fs::path& model) {
  std::set<std::string> ops;
  Model m = load_model(model, {false, false});
  collect_ops(m.graph(), ops);
  return {ops.begin(), ops.end()};
}

CaseResult run_test_dir(const fs::path& dir, const CompareTolerance& tol, int threads) {
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
    rt::SessionOptions so;
    so.threads = threads;
    auto session = rt::Session::create(std::move(model), so);
    for (const auto& set : rt::find_test_data_sets(dir)) {
      auto outs = session->run(rt::read_test_inputs(set, *session));
      auto want = rt::read_test_outputs(set, outs.size());
      for (size_t i = 0; i < outs.size(); ++i) {
        if (!want[i]) continue;
        CompareResult c = compare_tensors(outs[i].second, *want[i], tol.rtol, tol.atol);
        if (!c.passed()) {
          std::string what = set.filename().string() + " output '" + outs[i].first + "': ";
          r.outcome = Outcome::kFailed;
          r.reason = what + (c.shape_ok ? std::to_string(c.mismatches) + " of " + std::to_string(outs[i].second.numel()) +
                                              " elements differ (max abs diff " + std::to_string(c.max_abs) + ")"
                                        : c.shape_error);
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
