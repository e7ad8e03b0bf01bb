// Per-operator quantizers. Each ai.onnx op type that quantize-static handles has one
// OpQuantizer (one file each: quant_<op>.cc), found through the registry below. A quantizer
//   - analyze(): says whether a node can run in int8 and how: which inputs are activations
//     (quantized per tensor with calibrated parameters), which is the weight (int8, per output
//     channel along an axis), which the bias (int32); or that its output simply shares its
//     input's parameters (pass-through: Reshape, MaxPool, ...); or, for Relu/Clip/LeakyRelu,
//     the bounds that let it fold into the producing layer's output range;
//   - emit_qoperator(): writes the node's QOperator form (QLinearConv, ...) when
//     has_qoperator_form() says there is one; otherwise the node keeps its QDQ form inside
//     the QOperator model.
// The QDQ form needs nothing op-specific: DequantizeLinear on every quantized input,
// QuantizeLinear on the output (qdq_writer.cc).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "onnx/onnx_pb.h"
#include "passes/quantize/quant_graph.h"
#include "passes/quantize/quant_params.h"

namespace edge::pass::quant {

enum class Format { kQdq, kQOperator };

// What analyze() decided for one node.
struct NodeQuant {
  // kBias: an Add of a constant per-channel vector right after a layer without bias, folded
  // into that layer as its int32 bias (set by the plan, not by analyze()).
  enum Kind { kFloat, kCompute, kPassThrough, kActivation, kBias };
  Kind kind = kFloat;
  std::string reason;            // kFloat: why the node stays float
  std::vector<int> activations;  // kCompute: inputs quantized as activations
  int weight = -1;               // kCompute: input holding a constant float weight, or -1
  int weight_axis = -1;          // output-channel axis of the weight, -1: per tensor only
  int bias = -1;                 // kCompute: input holding a constant float bias, or -1
  int64_t channels = 0;          // output channels (bias length) with a weight layout
  // A layer without bias whose output may take a following Add of a constant as its bias:
  // the output axis indexing channels (1: NCHW Conv; -1: the last, MatMul); 0: none.
  int bias_axis = 0;
  // kActivation: the output range the activation guarantees. The activation folds into the
  // producing layer: that layer's quantized output is the activation's output, with the
  // range clamped to [lo, hi]. The QDQ form keeps the node; the QOperator form drops it (its
  // clamp is then the saturation of the quantized output), so for Format::kQOperator an
  // activation whose clamp that cannot express (LeakyRelu, Clip bounds excluding 0) is kFloat.
  double lo = -1e300, hi = 1e300;

  static NodeQuant float_op(std::string why) {
    NodeQuant q;
    q.reason = std::move(why);
    return q;
  }
};

// Names of a quantized value: the int8/uint8 tensor, its scale and its zero point.
struct QName {
  std::string q, scale, zero_point;
  bool empty() const { return q.empty(); }
};

// What emit_qoperator() gets: the node (as it stands after op-specific preparation) and the
// names of its quantized operands, plus a way to add initializers and nodes.
class QOpEmitter {
 public:
  virtual ~QOpEmitter() = default;
  virtual const onnx::NodeProto& node() const = 0;
  virtual const QName& input(int i) const = 0;  // activations and the weight; empty otherwise
  virtual const QName& bias() const = 0;        // empty when there is no bias
  virtual const QName& output() const = 0;
  // The value of an initializer written by the pass (int8 weights, scales, zero points).
  virtual const Tensor& initializer(const std::string& name) const = 0;
  // Adds an initializer under a fresh name built from `base`; returns the name.
  virtual std::string add_initializer(const Tensor& t, const std::string& base) = 0;
  virtual std::string fresh(const std::string& base) = 0;
  virtual void add_node(onnx::NodeProto n) = 0;
};

class OpQuantizer {
 public:
  virtual ~OpQuantizer() = default;
  virtual NodeQuant analyze(const onnx::NodeProto& node, const QuantGraph& g, Format format) const = 0;
  // Rewrites the constant operands before they are quantized (Gemm folds alpha/beta);
  // `node` is the copy that will be written.
  virtual void prepare(onnx::NodeProto& node, Tensor* weight, Tensor* bias) const {}
  // Whether `node` (prepared) has a QOperator form; when false the QOperator model keeps
  // the node's QDQ form.
  virtual bool has_qoperator_form(const onnx::NodeProto& node) const { return false; }
  virtual void emit_qoperator(QOpEmitter& e) const {}
};

class QuantizerRegistry {
 public:
  // The quantizers of every op quant_*.cc registers.
  static const QuantizerRegistry& builtin();
  void add(const std::string& op_type, std::shared_ptr<const OpQuantizer> q);
  // The quantizer of an ai.onnx node, or nullptr.
  const OpQuantizer* find(const onnx::NodeProto& node) const;
  std::vector<std::string> op_types() const;  // sorted

 private:
  std::map<std::string, std::shared_ptr<const OpQuantizer>> by_op_;
};

// Registration functions, one per quant_<op>.cc (called by QuantizerRegistry::builtin).
void register_conv_quantizer(QuantizerRegistry& r);
void register_conv_transpose_quantizer(QuantizerRegistry& r);
void register_gemm_quantizer(QuantizerRegistry& r);
void register_matmul_quantizer(QuantizerRegistry& r);
void register_add_quantizer(QuantizerRegistry& r);
void register_mul_quantizer(QuantizerRegistry& r);
void register_concat_quantizer(QuantizerRegistry& r);
void register_pool_quantizers(QuantizerRegistry& r);
void register_pass_through_quantizers(QuantizerRegistry& r);
void register_activation_quantizers(QuantizerRegistry& r);

// Shared checks for analyze(): "" when input `i` of `node` is a float32 tensor, else why not.
std::string float_input_problem(const onnx::NodeProto& node, int i, const QuantGraph& g);
// The analysis every layer with a weight shares (the weight and bias inputs and the weight's
// output-channel axis come from lib/ir op_traits): input 0 is an activation, the weight a
// constant float32 initializer, the bias (when present) a constant float32 holding one value
// or one per output channel. A weight computed by nodes keeps the layer float (run
// fold-constants first).
NodeQuant analyze_weighted(const onnx::NodeProto& node, const QuantGraph& g);
// A layer whose every input is an activation (Add, Mul, Concat, pools): each must be float32;
// constant inputs are quantized per tensor like activations, from their values.
NodeQuant analyze_all_activations(const onnx::NodeProto& node, const QuantGraph& g);
// QOperator form of A x B (+ bias) with B constant [K, N] (Gemm, MatMul): QLinearMatMul
// without bias; with a bias MatMulInteger, an int32 Add, DequantizeLinear by sA x sB[n] and
// QuantizeLinear to the output (quant_gemm.cc).
void emit_integer_matmul(QOpEmitter& e, const QName& a, const QName& b);
// A node of the QOperator form: op type, domain ("" or "com.microsoft"), inputs, outputs;
// named after `like` (its name with `suffix`).
onnx::NodeProto make_node(const std::string& op, const std::string& domain, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const onnx::NodeProto& like,
                          const std::string& suffix = "");
// Copies the attributes of `from` named in `names` onto `to`.
void copy_attributes(const onnx::NodeProto& from, onnx::NodeProto& to, const std::vector<std::string>& names);
// Sets (adds or replaces) an int attribute.
void set_int_attribute(onnx::NodeProto& node, const std::string& name, int64_t v);
constexpr const char* kMsDomain = "com.microsoft";

}  // namespace edge::pass::quant
