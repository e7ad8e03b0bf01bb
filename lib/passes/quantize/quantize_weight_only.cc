// quantize-weight-only: MatMul/Gemm weights stored in 4 or 8 bits, compute in float.
//
// format=nbits (default): com.microsoft MatMulNBits (ONNX Runtime contrib op, runs in ORT
// 1.30 and edge-run), block-wise scales along K (block_quant.h). Works at any opset.
//   Before:  y = Gemm<transB=1>(x, W[N, K], C)      After:  t = MatMulNBits<K, N, bits, block_size>(x, B, scales[, zp])
//                                                           y = Add(t, beta * C)
// format=qdq (bits=8 only): standard ONNX, int8 per output channel through DequantizeLinear
// (axis needs opset 13; below, per tensor); the MatMul/Gemm itself is unchanged.
//   Before:  y = MatMul(x, W)                        After:  Wd = DequantizeLinear(Wq, Ws, axis=1)
//                                                           y = MatMul(x, Wd)
// (Blocked DequantizeLinear and INT4 tensors need opset 21; models of opset <= 17 cannot use
// them, which is why 4 bits go through MatMulNBits.)
#include "ir/graph_edit.h"
#include "ir/node_attrs.h"
#include "passes/quantize/block_quant.h"
#include "passes/quantize/op_quantizer.h"
#include "passes/quantize/quantizer.h"
#include "passes/quantize/weight_layers.h"
#include "passes/quantize/weight_quant_passes.h"

namespace edge::pass {

QuantizeWeightOnly::QuantizeWeightOnly(const PassOptions& o) : opts_(o) {
  if (o.get_string("format") == "qdq" && o.get_string("bits") != "8") {
    fail("quantize-weight-only: format=qdq stores int8 per channel: it needs bits=8 (4 bits use format=nbits)");
  }
}

const char* QuantizeWeightOnly::summary() {
  return "weight-only MatMul/Gemm quantization: 4/8-bit block-wise (com.microsoft MatMulNBits) or int8 per channel "
         "(DequantizeLinear); float compute";
}

std::vector<OptionSpec> QuantizeWeightOnly::options() {
  return {
      {"bits", OptionType::kString, "4", "weight bits", {"4", "8"}},
      {"block",
       OptionType::kString,
       "32",
       "values per scale along K (format=nbits)",
       {"16", "32", "64", "128", "256"}},
      {"symmetric", OptionType::kBool, "true", "no zero points (else one per block)", {}},
      {"format",
       OptionType::kString,
       "nbits",
       "nbits: com.microsoft MatMulNBits; qdq: int8 per channel through DequantizeLinear (bits=8)",
       {"nbits", "qdq"}},
  };
}

std::string QuantizeWeightOnly::check_input(const Model& model) {
  const std::string q = quant::quantized_node(model);
  return q.empty() ? "" : model.name() + " is already quantized (" + q + "); quantize-weight-only takes a float model";
}

namespace {

using quant::layer_name;

// The nbits form of one layer: its replacement nodes; fills the report row.
std::vector<onnx::NodeProto> nbits_layer(Model& m, std::set<std::string>& taken, const onnx::NodeProto& n,
                                         const quant::LinearLayer& l, int bits, int block, bool symmetric,
                                         report::LayerRecord& row) {
  const quant::BlockQuantized q = quant::quantize_blocks(l.w_kn, bits, block, symmetric);
  const std::string base = l.weight;
  const std::string bn = fresh_name(taken, base + "_nbits");
  const std::string sn = fresh_name(taken, base + "_scales");
  add_initializer(m, Tensor::from_vector<uint8_t>({q.n, q.k_blocks, q.blob()}, q.codes), bn);
  add_initializer(m, Tensor::from_vector<float>({q.n * q.k_blocks}, q.scales), sn);
  std::vector<std::string> inputs = {l.input, bn, sn};
  if (!symmetric) {
    const std::string zn = fresh_name(taken, base + "_zero_points");
    add_initializer(m, Tensor::from_vector<uint8_t>({static_cast<int64_t>(q.zero_points.size())}, q.zero_points), zn);
    inputs.push_back(zn);
  }
  const std::string out = n.output(0);
  const bool bias = l.bias.defined();
  const std::string mm_out = bias ? fresh_name(taken, out + "_nobias") : out;
  std::vector<onnx::NodeProto> nodes;
  onnx::NodeProto mm =
      quant::make_node("MatMulNBits", inputs, {mm_out}, layer_name(n) + "_MatMulNBits", "com.microsoft");
  quant::set_int_attribute(mm, "K", q.k);
  quant::set_int_attribute(mm, "N", q.n);
  quant::set_int_attribute(mm, "bits", bits);
  quant::set_int_attribute(mm, "block_size", block);
  nodes.push_back(mm);
  if (bias) {
    const std::string cn = fresh_name(taken, (l.bias_name.empty() ? base : l.bias_name) + "_bias");
    add_initializer(m, l.bias, cn);
    nodes.push_back(quant::make_node("Add", {mm_out, cn}, {out}, layer_name(n) + "_bias_Add"));
  }
  const quant::ErrorStats err = quant::weight_error(l.w_kn, q.dequantized);
  row = quant::converted_row(n, "int" + std::to_string(bits),
                             "MatMulNBits " + std::to_string(bits) + "-bit, block " + std::to_string(block) +
                                 (symmetric ? ", symmetric" : ", zero point per block"),
                             bits, &err, l.w_kn.numel());
  row.metrics["block"] = block;
  return nodes;
}

}  // namespace

void QuantizeWeightOnly::run(Model& model, PassContext& ctx) {
  if (const std::string why = check_input(model); !why.empty()) fail(why);  // also after earlier stages
  const bool qdq = opts_.get_string("format") == "qdq";
  const std::set<std::string> fed = fed_inputs(model);
  std::set<std::string> taken = all_names(model.graph());
  std::map<int, std::vector<onnx::NodeProto>> replace;
  std::set<std::string> maybe_unused;
  std::vector<report::LayerRecord> rows;
  const bool per_axis = model.opset() >= 13;
  int converted = 0, left_float = 0;
  int64_t quantized_params = 0;
  for (int i = 0; i < model.graph().node_size(); ++i) {
    const onnx::NodeProto n = model.graph().node(i);
    if (n.op_type() != "MatMul" && n.op_type() != "Gemm") continue;
    if (!n.domain().empty() && n.domain() != "ai.onnx") continue;
    const LayerOptions lo = ctx.for_layer(n);
    report::LayerRecord row;
    if (lo.excluded) {
      rows.push_back(quant::float_row(n, "excluded by a layer rule"));
      ++left_float;
      continue;
    }
    const quant::Candidate c = quant::linear_layer(model, i, fed);
    if (!c.reason.empty()) {
      rows.push_back(quant::float_row(n, c.reason));
      ++left_float;
      continue;
    }
    if (qdq) {
      const bool gemm_t = n.op_type() == "Gemm" && NodeAttrs(n).get_int("transB", 0) != 0;
      const int axis = per_axis ? (gemm_t ? 0 : 1) : -1;  // the output channel of B
      quant::DequantizedWeight d = quant::dequantized_weight(model, taken, n.input(1), axis);
      onnx::NodeProto changed = n;
      changed.set_input(1, d.output);
      replace[i] = {d.node, changed};
      row = quant::converted_row(n, "int8",
                                 std::string("DequantizeLinear int8 ") + (d.axis >= 0 ? "per-channel" : "per-tensor") +
                                     " symmetric",
                                 8, &d.error, d.params);
    } else {
      replace[i] = nbits_layer(model, taken, n, c.linear, std::stoi(lo.get_string("bits")),
                               std::stoi(lo.get_string("block")), lo.get_bool("symmetric"), row);
      if (!c.linear.bias_name.empty()) maybe_unused.insert(c.linear.bias_name);
    }
    maybe_unused.insert(n.input(1));
    quantized_params += c.linear.w_kn.numel();
    rows.push_back(std::move(row));
    ++converted;
  }
  quant::rewrite_nodes(model, replace, maybe_unused);
  if (!qdq && converted > 0) quant::ensure_opset_import(model, "com.microsoft", 1);
  if (ctx.stage) {
    auto& s = *ctx.stage;
    s.columns = {"precision", "weights", "bits", "block", "sqnr_db", "mse", "reason"};
    for (auto& r : rows) s.layers.push_back(std::move(r));
    s.metrics["quantized_layers"] = converted;
    s.metrics["float_layers"] = left_float;
    s.metrics["quantized_params"] = static_cast<double>(quantized_params);
    s.notes.push_back(
        qdq ? std::string("format qdq: int8 weights through DequantizeLinear, ") +
                  (per_axis ? "per output channel" : "per tensor (opset below 13 has no DequantizeLinear axis)") +
                  "; MatMul/Gemm compute in float"
            : "format nbits: com.microsoft MatMulNBits (ONNX Runtime contrib op), " + opts_.get_string("bits") +
                  "-bit codes packed low-first, one scale per " + opts_.get_string("block") +
                  " values along K; compute in float; runs in ONNX Runtime and edge-run, not in runtimes "
                  "without com.microsoft ops");
    s.notes.push_back("sqnr_db / mse: the dequantized weight against the float weight (activations are not quantized)");
    s.notes.push_back("only float models are taken (an already-quantized model is refused)");
  }
  ctx.log().info("quantize-weight-only: {} layers quantized, {} float", converted, left_float);
}

}  // namespace edge::pass
