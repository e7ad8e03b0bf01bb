#include "passes/quantize/quantizer.h"

#include "ir/graph_edit.h"
#include "ir/node_attrs.h"
#include "passes/quantize/opset_raise.h"

namespace edge::pass::quant {
namespace {

constexpr int kPerAxisOpset = 13;  // DequantizeLinear `axis`
constexpr int kQdqOpset = 10;      // QuantizeLinear / DequantizeLinear

bool is_quantized_op(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  if (op == "QuantizeLinear" || op == "DequantizeLinear" || op == "DynamicQuantizeLinear") return true;
  if (op.rfind("QLinear", 0) == 0) return true;
  if (op.size() > 7 && op.compare(op.size() - 7, 7, "Integer") == 0) return true;  // MatMulInteger, ConvInteger
  if (n.domain() == "com.microsoft") {
    for (const char* q : {"QGemm", "QAttention", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QuantizeBFP",
                          "DequantizeBFP", "QOrderedMatMul", "MatMulNBits", "MatMulBnb4"}) {
      if (op == q) return true;
    }
  }
  return false;
}

std::string find_quantized(const onnx::GraphProto& g) {
  for (const auto& n : g.node()) {
    if (is_quantized_op(n)) return describe_node(n);
    for (const auto* sg : subgraphs_of(n)) {
      if (auto d = find_quantized(*sg); !d.empty()) return d;
    }
  }
  return "";
}

}  // namespace

std::string quantized_node(const Model& m) { return find_quantized(m.graph()); }

Quantizer::Quantizer(const Model& input, const QuantizeConfig& config) : config_(config), float_model_(input) {
  if (auto q = quantized_node(input); !q.empty()) {
    fail(input.name() + ": already quantized (" + q + "); quantize-static takes a float model");
  }
  const int opset = float_model_.opset();
  if (opset < kPerAxisOpset) {
    const std::string blocker = config.raise_opset ? opset_raise_blocker(float_model_, kPerAxisOpset)
                                                   : std::string("raising was turned off (raise_opset=0)");
    if (blocker.empty()) {
      const int64_t ir = float_model_.proto().ir_version();
      raise_opset(float_model_, kPerAxisOpset);
      notes_.push_back("ai.onnx opset raised from " + std::to_string(opset) + " to 13 (IR " + std::to_string(ir) +
                       " -> " + std::to_string(float_model_.proto().ir_version()) +
                       ") for per-channel DequantizeLinear; no node changes meaning");
    } else {
      per_axis_ = false;
      if (opset < kQdqOpset) {
        fail_unsupported(input.name() + ": ai.onnx opset " + std::to_string(opset) +
                         " has no QuantizeLinear (needs 10) and cannot be raised: " + blocker);
      }
      notes_.push_back("ai.onnx opset " + std::to_string(opset) + " kept (" + blocker +
                       "): weights are quantized per tensor");
    }
  }
  float_model_.check();
  float_model_.infer_shapes();
  graph_ = std::make_unique<QuantGraph>(float_model_);
  PlanOptions po;
  po.format = config.format;
  po.per_axis_allowed = per_axis_;
  po.layer = config.layer ? config.layer : [w = config.weights](const onnx::NodeProto&) {
    LayerChoice c;
    c.weights = w;
    return c;
  };
  plan_ = plan_quantization(*graph_, po);
}

Quantizer::~Quantizer() = default;

void Quantizer::apply(const std::map<std::string, Range>& ranges) {
  values_ = std::make_unique<QuantValues>(*graph_, plan_, plan_params(plan_, *graph_, ranges, config_.activations));
  qdq_ = write_qdq(*values_);
  have_qoperator_ = false;
}

const Model& Quantizer::result() {
  if (!values_) fail_internal("Quantizer::result() before apply()");
  if (config_.format == Format::kQdq) return qdq_;
  if (!have_qoperator_) {
    qoperator_ = write_qoperator(*values_);
    have_qoperator_ = true;
  }
  return qoperator_;
}

}  // namespace edge::pass::quant
