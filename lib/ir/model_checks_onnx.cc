// Model::check and Model::infer_shapes over libonnx: the ONNX checker and ONNX shape
// inference (above opset 17 on a lowered copy, opset_shadow.h), with the guards that keep
// ONNX 1.12's inference away from nodes it crashes on. Not in the runtime-only build
// (EDGE_RUNTIME_ONLY), which compiles model_checks_lean.cc instead.
#include <map>
#include <memory>
#include <string>

#include "ir/model.h"
#include "ir/onnx_infer_guard.h"
#include "ir/opset_shadow.h"
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

// ONNX 1.12 shape-inference functions that crash (read past malformed shapes, divide by
// zero) on hostile models, found by fuzzing (tests/fuzz/regressions/fuzz_model_load):
// STFT and DFT always; conv/pool ops with non-positive strides/dilations/kernel_shape or
// inputs of rank < 3. Models with such nodes load without ONNX shape inference, with a
// warning; the runtime's kernels validate these cases themselves.
bool conv_like(const std::string& op) {
  static const char* const kOps[] = {"Conv", "ConvTranspose", "ConvInteger", "QLinearConv",
                                     "MaxPool", "AveragePool", "LpPool", "MaxUnpool"};
  for (const char* o : kOps) {
    if (op == o) return true;
  }
  return false;
}

void collect_ranks(const onnx::GraphProto& g, std::map<std::string, int>& ranks) {
  for (const auto& i : g.initializer()) ranks[i.name()] = i.dims_size();
  for (const auto* list : {&g.input(), &g.value_info(), &g.output()}) {
    for (const auto& v : *list) {
      if (v.type().has_tensor_type() && v.type().tensor_type().has_shape()) {
        ranks[v.name()] = v.type().tensor_type().shape().dim_size();
      }
    }
  }
}

// Inputs or attributes of a conv/pool node that ONNX 1.12's convPoolShapeInference does not
// validate before indexing with them; nullptr when the node is safe to infer.
const char* unsafe_conv_pool(const onnx::NodeProto& n, const std::map<std::string, int>& ranks) {
  auto rank_of = [&](int i) {
    if (i >= n.input_size()) return -1;
    auto it = ranks.find(n.input(i));
    return it == ranks.end() ? -1 : it->second;
  };
  const std::string& t = n.op_type();
  int w_index = t == "QLinearConv" ? 3 : (t == "Conv" || t == "ConvTranspose" || t == "ConvInteger" || t == "MaxUnpool") ? 1 : -1;
  int x_rank = rank_of(0);
  int w_rank = w_index >= 0 ? rank_of(w_index) : -1;
  if ((x_rank >= 0 && x_rank < 3) || (w_rank >= 0 && w_rank < 3)) return "an input of rank < 3";
  if (x_rank >= 0 && w_rank >= 0 && x_rank != w_rank) return "inputs of different ranks";
  int spatial = x_rank >= 0 ? x_rank - 2 : (w_rank >= 0 ? w_rank - 2 : -1);
  for (const auto& a : n.attribute()) {
    const std::string& name = a.name();
    bool per_dim = name == "strides" || name == "dilations" || name == "kernel_shape" || name == "output_padding" ||
                   name == "output_shape";
    if (name == "strides" || name == "dilations" || name == "kernel_shape") {
      for (int64_t v : a.ints()) {
        if (v <= 0) return "non-positive strides, dilations or kernel_shape";
      }
    }
    if (spatial >= 0 && per_dim && a.ints_size() != spatial) return "attributes of the wrong length";
    if (spatial >= 0 && name == "pads" && a.ints_size() != 2 * spatial) return "pads of the wrong length";
  }
  return nullptr;
}

bool has_unsafe_shape_inference(const onnx::GraphProto& g, std::string* op, std::map<std::string, int> ranks = {}) {
  collect_ranks(g, ranks);
  for (const auto& n : g.node()) {
    bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (default_domain && (n.op_type() == "STFT" || n.op_type() == "DFT")) {
      *op = n.op_type();
      return true;
    }
    if (default_domain && conv_like(n.op_type())) {
      if (const char* why = unsafe_conv_pool(n, ranks)) {
        *op = n.op_type() + " with " + why;
        return true;
      }
    }
    for (const auto& a : n.attribute()) {
      if (a.has_g() && has_unsafe_shape_inference(a.g(), op, ranks)) return true;
      for (const auto& sg : a.graphs()) {
        if (has_unsafe_shape_inference(sg, op, ranks)) return true;
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
      onnx::ShapeInferenceOptions options(false, 0, true);
      onnx::shape_inference::InferShapes(target, onnx::OpSchemaRegistry::Instance(), options);
    } catch (const std::exception& e) {
      stopped = one_line(e.what());
      break;
    }
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
