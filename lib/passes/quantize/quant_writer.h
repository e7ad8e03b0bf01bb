// Writing a quantization plan into a graph. QuantValues holds what both forms share: the
// parameters of every 8-bit value, the names of its quantized tensor, scale and zero point,
// and the int8 weights / int32 biases of every quantized layer (prepared by its
// OpQuantizer). write_qdq and write_qoperator build the new model from them.
//
// Names (short suffixes: they repeat in every QuantizeLinear/DequantizeLinear node): value T
// becomes T_q (8-bit), with scale T_s (of the value its parameters come from) and zero point
// zero_point_u8_Z (one initializer per distinct zero point); a weight W becomes W_q (int8), W_s, W_zp, a bias B becomes
// B_q (int32) and B_s = input scale x weight scale. A DequantizeLinear output is X_dq, or keeps the name of the float
// initializer it replaces; a float value before its QuantizeLinear is T_f. Every new name is
// made fresh against the graph's names.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/graph_edit.h"
#include "ir/model.h"
#include "passes/quantize/quant_plan.h"

namespace edge::pass::quant {

inline constexpr const char* kQuantized = "_q";
inline constexpr const char* kScale = "_s";
inline constexpr const char* kZeroPoint = "_zp";
inline constexpr const char* kDequantized = "_dq";
inline constexpr const char* kFloat = "_f";

struct LayerValues {
  onnx::NodeProto node;  // the node as written (prepared: Gemm alpha/beta folded)
  std::optional<QuantizedWeight> weight;
  std::optional<QuantizedBias> bias;
  QName weight_names, bias_names;
};

class QuantValues {
 public:
  QuantValues(const QuantGraph& g, const QuantPlan& plan, std::map<std::string, QParams> params);

  const QuantGraph& graph() const { return g_; }
  const QuantPlan& plan() const { return plan_; }
  const QParams& params(const std::string& value) const { return params_.at(value); }
  const std::map<std::string, QParams>& all_params() const { return params_; }
  const QName& names(const std::string& value) const { return names_.at(value); }
  // Quantized layers with a weight or bias, by node index.
  const LayerValues* layer(int node) const;
  int64_t saturated_bias_values() const { return saturated_bias_; }

  // Initializers added by the pass, in the order they were made.
  const std::vector<std::pair<std::string, Tensor>>& initializers() const { return inits_; }
  const Tensor& initializer(const std::string& name) const;
  std::string add_initializer(const Tensor& t, const std::string& base);
  std::string fresh(const std::string& base) { return fresh_name(taken_, base); }
  // The name for the DequantizeLinear that replaces float initializer `init` read by node
  // `node`: `init` itself when that node is its only reader (the initializer goes), else a
  // fresh X_dq.
  std::string dequantized_name(const std::string& init, int node);

 private:
  void prepare_layer(int i);

  const QuantGraph& g_;
  const QuantPlan& plan_;
  std::map<std::string, QParams> params_;
  std::map<std::string, QName> names_;
  std::map<int, LayerValues> layers_;
  std::vector<std::pair<std::string, Tensor>> inits_;
  std::map<std::string, size_t> init_index_;
  std::set<std::string> taken_;
  int64_t saturated_bias_ = 0;
};

// The QDQ form: the float graph with DequantizeLinear on quantized weights, biases and
// activation inputs and QuantizeLinear -> DequantizeLinear after quantized values.
Model write_qdq(QuantValues& v);
// The QOperator form: QLinear* / MatMulInteger nodes on 8-bit tensors, QuantizeLinear where a
// float value enters, DequantizeLinear where a float reader or a graph output needs one.
Model write_qoperator(QuantValues& v);

// Shared finishing of both writers: replaces the node list, adds the pass's initializers that
// are read, drops float initializers and Constant nodes nothing reads any more, and value_info
// entries of values that no longer exist.
void finish_graph(Model& m, std::vector<onnx::NodeProto> nodes, const QuantValues& v);

}  // namespace edge::pass::quant
