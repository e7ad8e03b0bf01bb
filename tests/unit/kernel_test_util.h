// Drives one kernel of the registry directly (no model, no checker): for ops or opsets that
// a model cannot carry (opsets above the loader's limit, the runtime's private domain) and
// for random cases that would be slow to write as text models.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "onnx/onnx_pb.h"
#include "runtime/kernel_registry.h"
#include "runtime/thread_pool.h"

namespace edge::test {

struct NodeSpec {
  NodeSpec(std::string d, std::string o, int v, std::vector<std::optional<Tensor>> in, int outs = 1)
      : domain(std::move(d)), op(std::move(o)), opset(v), inputs(std::move(in)), outputs(outs) {}

  std::string domain;  // "" for ai.onnx
  std::string op;
  int opset = 13;
  std::vector<std::optional<Tensor>> inputs;  // nullopt: an omitted optional input
  int outputs = 1;
  bool constant_inputs = false;                 // the kernel sees every input as a constant at preparation
  std::function<void(onnx::NodeProto&)> attrs;  // adds attributes
  rt::ThreadPool* pool = nullptr;
  std::vector<std::string> backends{"reference"};  // the registry's choice among these
  std::string* chosen = nullptr;                   // receives "backend:algorithm" when set
};

inline void add_int_attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
inline void add_ints_attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
inline void add_string_attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}
inline void add_floats_attr(onnx::NodeProto& n, const std::string& name, const std::vector<float>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOATS);
  for (float x : v) a->add_floats(x);
}

// Creates the kernel the registry selects (among s.backends: the reference one by default) and
// runs it once. Throws what
// the kernel throws (at preparation or in compute).
inline std::vector<Tensor> run_node(const NodeSpec& s) {
  onnx::NodeProto node;
  node.set_op_type(s.op);
  node.set_domain(s.domain);
  node.set_name("n");
  for (size_t i = 0; i < s.inputs.size(); ++i) node.add_input(s.inputs[i] ? "in" + std::to_string(i) : "");
  for (int o = 0; o < s.outputs; ++o) node.add_output("out" + std::to_string(o));
  if (s.attrs) s.attrs(node);
  rt::KernelInit init{node, s.opset, NodeAttrs(node), {}, {}, {}, {}};
  for (const auto& t : s.inputs) {
    init.constants.push_back(t && s.constant_inputs ? &*t : nullptr);
    rt::ValueType vt;
    if (t) vt = {t->dtype(), t->shape(), true};
    init.input_types.push_back(vt);
  }
  init.output_types.assign(static_cast<size_t>(s.outputs), rt::ValueType{});
  const rt::KernelDef* def = rt::KernelRegistry::builtin().select(s.domain, s.op, s.opset, init, s.backends);
  if (!def) throw Error(ErrorCode::kUnsupported, "no kernel for " + s.op + " at opset " + std::to_string(s.opset));
  std::unique_ptr<rt::OpKernel> k = def->create(init);
  if (s.chosen) *s.chosen = def->backend + ":" + k->algorithm();
  rt::KernelContext ctx;
  ctx.node = &node;
  ctx.opset = s.opset;
  ctx.pool = s.pool;
  for (const auto& t : s.inputs) ctx.inputs.push_back(t ? &*t : nullptr);
  ctx.outputs.assign(static_cast<size_t>(s.outputs), Tensor());
  k->compute(ctx);
  return ctx.outputs;
}

// Random 8-bit codes over the whole range of the type (uint8 or int8), one rng() per element.
inline Tensor random_bytes(DType t, const Shape& shape, std::mt19937& rng) {
  Tensor x(t, shape);
  auto* p = static_cast<uint8_t*>(x.raw());
  for (int64_t i = 0; i < x.numel(); ++i) p[i] = static_cast<uint8_t>(rng() % 256);
  return x;
}

// A rank-0 8-bit tensor holding the low byte of v (so -3 is int8 -3, 253 is uint8 253).
inline Tensor scalar_byte(DType t, int v) {
  Tensor z(t, Shape{});
  static_cast<uint8_t*>(z.raw())[0] = static_cast<uint8_t>(v);
  return z;
}

// Uniform float32 values in [lo, hi).
inline Tensor random_floats(const Shape& shape, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(lo, hi);
  Tensor s(DType::kFloat, shape);
  for (int64_t i = 0; i < s.numel(); ++i) s.data<float>()[i] = u(rng);
  return s;
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

}  // namespace edge::test
