// quantize-fp16: float16 weights and compute.
//
//   Before:  y = Gemm(x, W, B)        After (keep_io=1):  x16 = Cast<to=FLOAT16>(x)
//            z = GRU(y, ...)                              y   = Gemm(x16, W16, B16)          (float16)
//                                                         y32 = Cast<to=FLOAT>(y)
//                                                         z   = GRU(y32, Cast(W16), ...)   (float32: no float16 kernel)
// Every float32 initializer is stored as float16 (a float32 reader gets a Cast). A node runs in
// float16 when its op is in kHalfOps (edge-run has a float16 kernel: it computes in float32
// internally and rounds its outputs) and no layer rule excludes it; any other node that reads
// or writes float32 stays float32 with Casts on its float inputs and, through its readers, on
// its outputs. keep_io=1 keeps float32 graph inputs and outputs (Casts at the boundary); 0
// makes them float16.
#include <algorithm>
#include <cmath>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "ir/tensor_proto.h"
#include "passes/quantize/op_quantizer.h"
#include "passes/quantize/quantizer.h"
#include "passes/quantize/weight_layers.h"
#include "passes/quantize/weight_quant_passes.h"

namespace edge::pass {

const char* QuantizeFp16::summary() {
  return "float16 weights and compute; ops without a float16 kernel stay float32 behind Casts";
}

std::vector<OptionSpec> QuantizeFp16::options() {
  return {{"keep_io", OptionType::kBool, "true", "graph inputs and outputs stay float32 (Casts at the boundary)", {}}};
}

std::string QuantizeFp16::check_input(const Model& model) {
  const std::string q = quant::quantized_node(model);
  return q.empty() ? "" : model.name() + " is already quantized (" + q + "); quantize-fp16 takes a float model";
}

namespace {

using quant::make_node;
constexpr int32_t kF32 = onnx::TensorProto::FLOAT;
constexpr int32_t kF16 = onnx::TensorProto::FLOAT16;

// Ops that run in float16 in both edge-run (a float16 kernel: float32 inside, outputs rounded)
// and ONNX Runtime 1.30 (CPU), with identical results on a probe of each (the list
// tests/cli/test_quantize_fp16.sh checks), and whose ONNX schema takes float16 for every float
// input. Not here, so float32 behind Casts: Resize/Upsample (their scales stay float32), Celu
// (float32 only in ONNX), ops edge-run lacks (MeanVarianceNormalization), and any op not probed.
const std::set<std::string> kHalfOps = {
    "Abs", "Add", "ArgMax", "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv",
    "ConvTranspose", "CumSum", "DepthToSpace", "Div", "Dropout", "Einsum", "Elu", "Erf", "Exp", "Expand",
    "Flatten", "Floor", "GRU", "Gather", "GatherElements", "Gemm", "GlobalAveragePool", "GlobalMaxPool",
    "Greater", "HardSigmoid", "HardSwish", "Identity", "InstanceNormalization", "LRN", "LSTM",
    "LayerNormalization", "LeakyRelu", "Log", "LogSoftmax", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mul",
    "Neg", "PRelu", "Pad", "Pow", "RNN", "Reciprocal", "ReduceL2", "ReduceLogSumExp", "ReduceMax",
    "ReduceMean", "ReduceSum", "Relu", "Reshape", "Round", "Selu", "Shape", "Sigmoid", "Sign", "Sin", "Size",
    "Slice", "Softmax", "Softplus", "Softsign", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh",
    "ThresholdedRelu", "Tile", "TopK", "Transpose", "Unsqueeze", "Where",
};

Tensor to_half(const Tensor& t) {
  Tensor out(DType::kFloat16, t.shape());
  auto* d = static_cast<uint16_t*>(out.raw());
  const float* s = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = float_to_half(s[i]);
  return out;
}

// Round trip error float32 -> float16 -> float32; counts values beyond the float16 range.
quant::ErrorStats half_error(const Tensor& t, int64_t* overflow) {
  std::vector<float> back(static_cast<size_t>(t.numel()));
  const float* s = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    back[static_cast<size_t>(i)] = half_to_float(float_to_half(s[i]));
    if (std::isinf(back[static_cast<size_t>(i)]) && !std::isinf(s[i])) ++*overflow;
  }
  return quant::weight_error(t, back);
}

void rename_everywhere(onnx::GraphProto& g, const std::string& from, const std::string& to) {
  for (auto& n : *g.mutable_node()) {
    for (auto& o : *n.mutable_output()) {
      if (o == from) o = to;
    }
  }
  replace_uses(g, from, to);
}

}  // namespace

void QuantizeFp16::run(Model& model, PassContext& ctx) {
  if (const std::string why = check_input(model); !why.empty()) fail(why);  // also after earlier stages
  const bool keep_io = opts_.get_bool("keep_io");
  model.infer_shapes();
  onnx::GraphProto& g = model.graph();
  const std::set<std::string> fed = fed_inputs(model);
  std::set<std::string> taken = all_names(g);
  // Outer values that If/Loop bodies read keep float32 (the bodies are not converted).
  const std::set<std::string> sub_reads = subgraph_reads(g);
  std::map<std::string, int32_t> type;  // value -> its element type after the pass (float values only)
  std::set<std::string> untyped;         // values read or written by nodes whose element type is unknown
  {
    const GraphIndex index(g);
    for (const auto& n : g.node()) {
      for (const auto& v : n.input()) {
        if (!v.empty() && index.elem_type(v) == onnx::TensorProto::UNDEFINED) untyped.insert(v);
      }
      for (const auto& v : n.input()) {
        if (!v.empty() && index.elem_type(v) == kF32) type[v] = kF32;
      }
      for (const auto& v : n.output()) {
        if (!v.empty() && index.elem_type(v) == kF32) type[v] = kF32;
      }
    }
    for (const auto& o : g.output()) {
      if (o.type().tensor_type().elem_type() == kF32) type[o.name()] = kF32;
    }
  }
  // Which nodes run in float16, and why the others that touch float32 do not.
  std::vector<report::LayerRecord> rows;
  std::vector<bool> half(static_cast<size_t>(g.node_size()), false);
  std::map<std::string, int> left;  // op -> float32 nodes
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    bool touches = false;
    for (const auto& v : n.input()) touches = touches || type.count(v);
    for (const auto& v : n.output()) touches = touches || type.count(v);
    if (!touches) continue;
    std::string why;
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      why = "op of domain " + n.domain();
    } else if (has_subgraph(n)) {
      why = "has a subgraph (not converted)";
    } else if (!kHalfOps.count(n.op_type())) {
      why = "no float16 kernel in edge-run for " + n.op_type();
    } else if (ctx.for_layer(n).excluded) {
      why = "excluded by a layer rule";
    } else if (std::any_of(n.output().begin(), n.output().end(),
                           [&](const std::string& o) { return sub_reads.count(o) > 0; })) {
      why = "an output is read inside a subgraph";
    }
    if (why.empty()) {
      half[static_cast<size_t>(i)] = true;
      for (const auto& v : n.output()) {
        if (type.count(v)) type[v] = kF16;
      }
    } else {
      rows.push_back(quant::float_row(n, why));
      ++left[n.op_type()];
    }
  }
  // A float16 node must know the type of every value it reads: a Cast goes where a float32 value
  // meets it. An unknown type means shape inference stopped (the model's declared types
  // contradict its contents): bad input, refused before anything is written.
  for (int i = 0; i < g.node_size(); ++i) {
    if (!half[static_cast<size_t>(i)]) continue;
    for (const auto& v : g.node(i).input()) {
      if (!untyped.count(v)) continue;
      std::string why = model.warnings().empty() ? "" : " (" + model.warnings().back() + ")";
      fail("the element type of '" + v + "', read by " + describe_node(g.node(i)) +
           ", is unknown: shape inference could not type it" + why);
    }
  }
  // Storage: float32 initializers become float16 (not one that is itself a graph output: its
  // type is the graph's interface, and its readers get a Cast like any float32 value).
  std::set<std::string> graph_outputs;
  for (const auto& o : g.output()) graph_outputs.insert(o.name());
  int64_t overflow = 0, converted_params = 0;
  std::map<std::string, quant::ErrorStats> init_error;
  for (auto& init : *g.mutable_initializer()) {
    if (init.data_type() != kF32 || fed.count(init.name()) || sub_reads.count(init.name()) ||
        graph_outputs.count(init.name())) {
      continue;
    }
    const Tensor t = read_initializer(model, init);
    init_error[init.name()] = half_error(t, &overflow);
    converted_params += t.numel();
    init = tensor_to_proto(to_half(t), init.name());
    type[init.name()] = kF16;
  }
  // Below IR 4 every initializer is also listed as a graph input (a constant, not in `fed`):
  // the declared type follows the converted initializer.
  for (auto& in : *g.mutable_input()) {
    auto it = type.find(in.name());
    if (!fed.count(in.name()) && it != type.end() && it->second == kF16) {
      in.mutable_type()->mutable_tensor_type()->set_elem_type(kF16);
    }
  }
  // Report rows of the float16 nodes that read weights (before the Casts are added).
  std::vector<report::LayerRecord> weight_rows;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    quant::ErrorStats e;
    int64_t params = 0;
    for (const auto& v : n.input()) {
      auto it = init_error.find(v);
      if (it == init_error.end()) continue;
      e.signal += it->second.signal;
      e.noise += it->second.noise;
      e.count += it->second.count;
      params += it->second.count;
    }
    if (params > 0 && half[static_cast<size_t>(i)]) {
      weight_rows.push_back(quant::converted_row(n, "fp16", "float16", 16, &e, params));
    }
  }
  // Constant nodes in float16 carry a float16 value.
  for (int i = 0; i < g.node_size(); ++i) {
    auto& n = *g.mutable_node(i);
    if (!half[static_cast<size_t>(i)] || n.op_type() != "Constant") continue;
    for (auto& a : *n.mutable_attribute()) {
      if (a.name() == "value" && a.t().data_type() == kF32) {
        *a.mutable_t() = tensor_to_proto(to_half(tensor_from_proto(a.t(), {}, describe_node(n))), "");
      }
    }
  }
  // Graph inputs: float16 when keep_io=0.
  for (auto& in : *g.mutable_input()) {
    auto* tt = in.mutable_type()->mutable_tensor_type();
    if (tt->elem_type() != kF32 || !type.count(in.name()) || !fed.count(in.name()) || sub_reads.count(in.name())) {
      continue;
    }
    if (!keep_io) {
      tt->set_elem_type(kF16);
      type[in.name()] = kF16;
    }
  }
  // Graph outputs whose type differs from the wanted one: the producer writes an internal
  // name, a Cast writes the output.
  std::vector<onnx::NodeProto> tail;
  for (auto& out : *g.mutable_output()) {
    auto* tt = out.mutable_type()->mutable_tensor_type();
    if (tt->elem_type() != kF32) continue;
    const int32_t want = keep_io ? kF32 : kF16;
    const int32_t have = type.count(out.name()) ? type[out.name()] : kF32;
    tt->set_elem_type(want);
    if (have == want) continue;
    const std::string inner = fresh_name(taken, out.name() + (have == kF16 ? "_fp16" : "_fp32"));
    rename_everywhere(g, out.name(), inner);
    type[inner] = have;
    onnx::NodeProto c = make_node("Cast", {inner}, {out.name()}, fresh_name(taken, out.name() + "_Cast"));
    quant::set_int_attribute(c, "to", want);
    tail.push_back(c);
  }
  // Casts where a node needs the other float type (one per value and type, before its first reader).
  std::map<std::pair<std::string, int32_t>, std::string> casts;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  nodes.Swap(g.mutable_node());
  int cast_count = 0;
  for (int i = 0; i < nodes.size(); ++i) {
    onnx::NodeProto& n = *nodes.Mutable(i);
    const int32_t need = half[static_cast<size_t>(i)] ? kF16 : kF32;
    for (auto& v : *n.mutable_input()) {
      auto it = type.find(v);
      if (v.empty() || it == type.end() || it->second == need) continue;
      if (n.op_type() == "Shape" || n.op_type() == "Size") continue;  // any type
      auto key = std::make_pair(v, need);
      auto c = casts.find(key);
      if (c == casts.end()) {
        const std::string name = fresh_name(taken, v + (need == kF16 ? "_fp16" : "_fp32"));
        onnx::NodeProto cast = make_node("Cast", {v}, {name}, fresh_name(taken, v + "_Cast"));
        quant::set_int_attribute(cast, "to", need);
        *g.add_node() = cast;
        ++cast_count;
        c = casts.emplace(key, name).first;
      }
      v = c->second;
    }
    *g.add_node() = std::move(n);
  }
  for (auto& c : tail) *g.add_node() = c;
  g.clear_value_info();
  model.infer_shapes();

  if (ctx.stage) {
    auto& s = *ctx.stage;
    s.columns = {"precision", "weights", "bits", "sqnr_db", "mse", "reason"};
    for (auto& r : weight_rows) s.layers.push_back(std::move(r));
    for (auto& r : rows) s.layers.push_back(std::move(r));
    s.metrics["fp16_nodes"] = static_cast<double>(std::count(half.begin(), half.end(), true));
    s.metrics["float32_nodes"] = static_cast<double>(rows.size());
    s.metrics["casts_added"] = cast_count + static_cast<double>(tail.size());
    s.metrics["fp16_params"] = static_cast<double>(converted_params);
    if (overflow > 0) {
      s.metrics["fp16_overflow_values"] = static_cast<double>(overflow);
      s.notes.push_back(std::to_string(overflow) + " weight values exceed the float16 range (65504) and became inf");
    }
    std::string l;
    for (const auto& [op, count] : left) l += (l.empty() ? "" : ", ") + op + " (" + std::to_string(count) + ")";
    if (!l.empty()) s.notes.push_back("float32 with Casts around them (no float16 kernel in edge-run): " + l);
    s.notes.push_back(std::string("graph inputs and outputs: ") +
                      (keep_io ? "float32 (keep_io=1), Casts at the boundary" : "float16 (keep_io=0)"));
    s.notes.push_back(
        "ONNX Runtime 1.30's CPU provider (x86-64) has float16 kernels only for data movement (Reshape, Transpose, "
        "Gather, Concat, Flatten, Squeeze, ...), Cast, Clip and LayerNormalization; for the other float16 nodes it "
        "inserts Casts to float32 itself, which computes what edge-run computes (float32 inside, outputs rounded "
        "to float16)");
    s.notes.push_back("weights: sqnr_db / mse of the float16 weights against the float32 ones");
    s.notes.push_back("only float models are taken (an already-quantized model is refused)");
  }
  ctx.log().info("quantize-fp16: {} nodes float16, {} float32", std::count(half.begin(), half.end(), true),
                 rows.size());
}

}  // namespace edge::pass
