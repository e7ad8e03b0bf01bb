#include "model_mutator.h"

#include <iterator>
#include <vector>

#include "value_mutator.h"

namespace edge::fuzz {
namespace {

void collect_graphs(onnx::GraphProto* g, std::vector<onnx::GraphProto*>& out, int depth) {
  out.push_back(g);
  if (depth > 4) return;
  for (auto& n : *g->mutable_node()) {
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_g()) collect_graphs(a.mutable_g(), out, depth + 1);
      for (auto& sub : *a.mutable_graphs()) collect_graphs(&sub, out, depth + 1);
    }
  }
}

std::vector<onnx::ValueInfoProto*> value_infos(onnx::GraphProto& g) {
  std::vector<onnx::ValueInfoProto*> v;
  for (auto& x : *g.mutable_input()) v.push_back(&x);
  for (auto& x : *g.mutable_output()) v.push_back(&x);
  for (auto& x : *g.mutable_value_info()) v.push_back(&x);
  return v;
}

std::vector<std::string> value_names(const onnx::GraphProto& g) {
  std::vector<std::string> names;
  for (const auto& x : g.input()) names.push_back(x.name());
  for (const auto& x : g.initializer()) names.push_back(x.name());
  for (const auto& n : g.node()) names.insert(names.end(), n.output().begin(), n.output().end());
  return names;
}

std::string some_name(Rng& rng, const onnx::GraphProto& g) {
  auto names = value_names(g);
  if (names.empty() || one_in(rng, 4)) return one_in(rng, 2) ? "" : "fuzz_" + std::to_string(pick(rng, 4));
  return names[pick(rng, names.size())];
}

// clang-format off
const char* const kOpTypes[] = {
    "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Sub", "Div", "Relu", "Clip", "Sigmoid",
    "Softmax", "Reshape", "Transpose", "Flatten", "Concat", "Split", "Slice", "Gather", "Squeeze",
    "Unsqueeze", "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization",
    "LayerNormalization", "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul",
    "ConvInteger", "MatMulInteger", "Resize", "Pad", "Expand", "Tile", "Where", "Cast", "Shape", "Size",
    "ReduceMean", "ReduceSum", "ArgMax", "TopK", "Range", "ConstantOfShape", "Constant", "LSTM", "GRU",
    "If", "Loop", "Scan", "Einsum", "GatherND", "ScatterND", "DepthToSpace", "Erf", "Pow", "Sqrt",
    "CumSum", "NonZero", "OneHot", "InstanceNormalization", "Identity", "STFT", "Trilu"};
// clang-format on

std::string mutate_node(onnx::GraphProto& g, Rng& rng, const ByteMutator& bytes) {
  if (g.node_size() == 0) {
    auto* n = g.add_node();
    n->set_op_type(kOpTypes[pick(rng, std::size(kOpTypes))]);
    n->add_input(some_name(rng, g));
    n->add_output("fuzz_out");
    return "added a node";
  }
  const int idx = static_cast<int>(pick(rng, g.node_size()));
  auto& n = *g.mutable_node(idx);
  const std::string what = "node '" + n.name() + "' (" + n.op_type() + ")";
  switch (pick(rng, 10)) {
    case 0: {
      const int other = static_cast<int>(pick(rng, g.node_size()));
      g.mutable_node()->SwapElements(idx, other);
      return "swapped nodes " + std::to_string(idx) + " and " + std::to_string(other);
    }
    case 1:
      *g.add_node() = n;
      return "duplicated " + what;
    case 2:
      g.mutable_node()->DeleteSubrange(idx, 1);
      return "deleted " + what;
    case 3:
      n.set_op_type(kOpTypes[pick(rng, std::size(kOpTypes))]);
      return "op type of " + what;
    case 4: {
      static const char* const kDomains[] = {"", "ai.onnx", "com.microsoft", "ai.onnx.ml", "fuzz.domain"};
      n.set_domain(kDomains[pick(rng, std::size(kDomains))]);
      return "domain of " + what;
    }
    case 5:
      if (n.input_size() > 0 && one_in(rng, 2)) {
        n.mutable_input()->RemoveLast();
      } else {
        n.add_input(some_name(rng, g));
      }
      return "input count of " + what;
    case 6:
      if (n.output_size() > 1 && one_in(rng, 2)) {
        n.mutable_output()->RemoveLast();
      } else {
        n.add_output(one_in(rng, 3) ? "" : "fuzz_extra_" + std::to_string(pick(rng, 4)));
      }
      return "output count of " + what;
    case 7:
      if (n.input_size() > 0) n.set_input(static_cast<int>(pick(rng, n.input_size())), some_name(rng, g));
      return "an input name of " + what;
    case 8:
      if (n.output_size() > 0) n.set_output(static_cast<int>(pick(rng, n.output_size())), some_name(rng, g));
      return "an output name of " + what;
    default:
      return mutate_attribute(n, rng, bytes);
  }
}

std::string mutate_graph_io(onnx::GraphProto& g, Rng& rng) {
  switch (pick(rng, 4)) {
    case 0:
      if (g.initializer_size() > 0) {  // weights as graph inputs
        const auto& t = g.initializer(static_cast<int>(pick(rng, g.initializer_size())));
        auto* in = g.add_input();
        in->set_name(t.name());
        auto* tt = in->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(t.data_type());
        for (int64_t d : t.dims()) tt->mutable_shape()->add_dim()->set_dim_value(d);
        return "initializer '" + t.name() + "' also a graph input";
      }
      return "no initializer";
    case 1:
      if (g.output_size() > 0)
        g.mutable_output(static_cast<int>(pick(rng, g.output_size())))->set_name(some_name(rng, g));
      return "renamed a graph output";
    case 2:
      if (g.input_size() > 0) {
        g.mutable_input()->DeleteSubrange(static_cast<int>(pick(rng, g.input_size())), 1);
      }
      return "removed a graph input";
    default:
      if (g.initializer_size() > 0) {
        g.mutable_initializer()->DeleteSubrange(static_cast<int>(pick(rng, g.initializer_size())), 1);
      }
      return "removed an initializer";
  }
}

std::string mutate_opset(onnx::ModelProto& m, Rng& rng) {
  switch (pick(rng, 4)) {
    case 0:
      if (m.opset_import_size() > 0) {
        auto* o = m.mutable_opset_import(static_cast<int>(pick(rng, m.opset_import_size())));
        o->set_version(one_in(rng, 2) ? static_cast<int64_t>(pick(rng, 24)) : tweak_int(rng, o->version()));
      }
      return "an opset version";
    case 1: {
      auto* o = m.add_opset_import();
      o->set_domain(one_in(rng, 2) ? "com.microsoft" : "");
      o->set_version(static_cast<int64_t>(pick(rng, 24)));
      return "added an opset import";
    }
    case 2:
      if (m.opset_import_size() > 0) m.mutable_opset_import()->RemoveLast();
      return "removed an opset import";
    default:
      m.set_ir_version(one_in(rng, 2) ? static_cast<int64_t>(pick(rng, 12)) : interesting_int(rng));
      return "ir_version";
  }
}

}  // namespace

std::string mutate_model(onnx::ModelProto& model, std::mt19937_64& rng, const ByteMutator& bytes, int max_steps) {
  std::string log;
  const int steps = 1 + static_cast<int>(pick(rng, static_cast<size_t>(std::max(1, max_steps))));
  for (int s = 0; s < steps; ++s) {
    std::vector<onnx::GraphProto*> graphs;
    collect_graphs(model.mutable_graph(), graphs, 0);
    onnx::GraphProto& g = *graphs[pick(rng, graphs.size())];
    std::string what;
    const size_t kind = pick(rng, 16);
    if (kind < 6) {
      what = mutate_node(g, rng, bytes);
    } else if (kind < 9) {
      auto vis = value_infos(g);
      what = vis.empty() ? "no value info" : mutate_shape(*vis[pick(rng, vis.size())], rng);
    } else if (kind < 12) {
      what = g.initializer_size() == 0
                 ? "no initializer"
                 : mutate_tensor(*g.mutable_initializer(static_cast<int>(pick(rng, g.initializer_size()))), rng, bytes);
    } else if (kind < 14) {
      what = mutate_graph_io(g, rng);
    } else {
      what = mutate_opset(model, rng);
    }
    log += (log.empty() ? "" : "; ") + what;
  }
  return log;
}

}  // namespace edge::fuzz
