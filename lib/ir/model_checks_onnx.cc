// Model::check and Model::infer_shapes over libonnx: the ONNX checker and ONNX shape
// inference (above opset 17 on a lowered copy, opset_shadow.h), with the guards that keep
// ONNX 1.12's inference away from nodes it crashes on. Not in the runtime-only build
// (EDGE_RUNTIME_ONLY), which compiles model_checks_lean.cc instead.
#include <memory>
#include <string>

#include "ir/model.h"
#include "ir/onnx_infer_guard.h"
#include "ir/opset_shadow.h"
#include "ir/safe_infer.h"
#include "ir/schema_validation.h"
#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

namespace edge {
namespace {
// ONNX's messages can span lines; errors and warnings stay on one.
std::string one_line(std::string msg) {
  for (char& c : msg) {
    if (c == '\n') c = ' ';
  }
  while (!msg.empty() && msg.back() == ' ') msg.pop_back();
  return msg;
}

// ONNX 1.12's STFT and DFT shape inference crashes on malformed nodes (found by fuzzing,
// tests/fuzz/regressions/fuzz_model_load); models with them load without ONNX shape inference,
// with a warning. Rank and axis requirements of the other ops (conv/pool strides, ranks and
// attribute lengths included) are checked right before ONNX infers each node (safe_infer.h).
bool has_unsafe_shape_inference(const onnx::GraphProto& g, std::string* op) {
  for (const auto& n : g.node()) {
    bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (default_domain && (n.op_type() == "STFT" || n.op_type() == "DFT")) {
      *op = n.op_type();
      return true;
    }
    for (const auto& a : n.attribute()) {
      if (a.has_g() && has_unsafe_shape_inference(a.g(), op)) return true;
      for (const auto& sg : a.graphs()) {
        if (has_unsafe_shape_inference(sg, op)) return true;
      }
    }
  }
  return false;
}
}  // namespace

void Model::check() const {
  std::unique_ptr<OpsetShadow> shadow;
  if (needs_opset_shadow(*this)) {
    shadow = std::make_unique<OpsetShadow>(*this);
    shadow->validate();
  }
  // Our structural validation first: ONNX's checker and inference trust what it verifies.
  validate_against_schemas(shadow ? shadow->proto() : proto_, name(), {.check_allowed_types = !shadow});
  try {
    onnx::checker::check_model(shadow ? shadow->proto() : proto_);
  } catch (const std::exception& e) {
    fail(name() + ": ONNX checker: " + one_line(e.what()));
  }
}

void Model::infer_shapes() {
  std::unique_ptr<OpsetShadow> shadow;
  if (needs_opset_shadow(*this)) shadow = std::make_unique<OpsetShadow>(*this);
  onnx::ModelProto& target = shadow ? shadow->proto() : proto_;
  validate_against_schemas(target, name(), {.check_allowed_types = !shadow});
  std::string unsafe_op;
  if (has_unsafe_shape_inference(target.graph(), &unsafe_op)) {
    add_warning("shape inference skipped: ONNX 1.12's inference for " + unsafe_op + " is not safe on untrusted models");
    return;
  }
  // Above opset 17, ONNX's inference and our rules for the nodes it cannot see take turns
  // until our rules learn nothing new (each round fixes at least one more opaque output).
  const size_t max_rounds = shadow ? shadow->opaque().size() + 1 : 0;
  ShapeInputPlaceholders placeholders(*target.mutable_graph());
  std::string stopped;
  for (size_t round = 0; stopped.empty(); ++round) {
    try {
      stopped = safe_infer_shapes(target, name());  // throws when a node's ranks or axes cannot hold
    } catch (...) {
      placeholders.remove();
      throw;
    }
    if (!stopped.empty()) break;
    if (!shadow || round >= max_rounds) break;
    try {
      if (!shadow->infer_opaque_nodes()) break;
    } catch (const Error& e) {
      stopped = e.what();
    }
  }
  placeholders.remove();
  if (shadow) shadow->copy_types_to(*this);
  if (!stopped.empty()) {
    add_warning("shape inference stopped early: " + stopped);
    return;
  }
  std::vector<std::string> unknown;
  for (const auto& out : graph().output()) {
    if (!out.type().tensor_type().has_shape()) unknown.push_back(out.name());
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
    add_warning("shape inference is partial: no shape for output(s) " + list);
  }
}
}  // namespace edge
