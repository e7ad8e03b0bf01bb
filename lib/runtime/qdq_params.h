// What the QDQ fusion (qdq_fusion.h) reads from a graph: the constant parameters of a
// QuantizeLinear / DequantizeLinear node, and the inputs of a bias.
#pragma once

#include <optional>
#include <string>

#include "ir/graph_index.h"
#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace edge::rt::qdq {

// An initializer that a caller cannot override (not also a graph input), read as a Tensor.
std::optional<Tensor> constant(const GraphIndex& idx, const std::string& name);

// The parameters of one QuantizeLinear / DequantizeLinear node, all constant.
struct QParams {
  const onnx::NodeProto* node = nullptr;
  std::string value;                // DQ: the quantized input; Q: the float input
  std::string scale_name, zp_name;  // zp_name is "" when the zero point is omitted
  Tensor scale, zp;                 // float32 scale; zp undefined when omitted
  DType type = DType::kUndefined;   // the quantized type
  int64_t axis = -1;                // per axis: the (non-negative) axis; -1 per tensor

  bool per_tensor() const { return scale.numel() == 1; }
  // Scale and zero point of channel c (the only ones per tensor).
  float s(int64_t c = 0) const;
  int32_t z(int64_t c = 0) const;
  // Same type, both per tensor, equal scale and zero point.
  bool same_as(const QParams& o) const;
};

// Reads node `n` (a QuantizeLinear when `is_q`, else a DequantizeLinear). `rank` is the rank
// of the quantized tensor for per-axis parameters (-1 when unknown: only per tensor then).
// False unless the scale is a positive finite float32 constant, the zero point (when given)
// a constant of the scale's shape, the quantized type known, and no blocked quantization.
bool read_qparams(const GraphIndex& idx, const onnx::NodeProto& n, bool is_q, int rank, QParams* out);

// The bias inputs of a fused integer Conv/MatMul/Gemm (inputs 8-10 of its QLinearConv /
// QLinearMatMul form): a DequantizeLinear'd int32 constant as {its input, scale, zero point},
// or a float32 constant as {name, "", ""}. The kernel converts it to accumulator units
// (q_bias_to_acc) when prepared, so replacing it later (Session::set_weight) takes effect.
// nullopt unless it is constant, [channels] or one value, and converts (fits int32).
struct BiasInputs {
  std::string value, scale, zero_point;
};
std::optional<BiasInputs> bias_inputs(const onnx::GraphProto& g, const GraphIndex& idx, const std::string& name,
                                      int64_t channels, float x_scale, const QParams& w);

}  // namespace edge::rt::qdq
