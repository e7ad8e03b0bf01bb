// QDQ fusion: runs a QDQ-format model (QuantizeLinear/DequantizeLinear pairs around float
// ops, as ONNX Runtime's and our quantizers write them) in integer arithmetic. Applied when
// a session is prepared with SessionOptions::fuse, before graph_fusion.h's float fusions, on
// the runner's own copy of the graph. Each pattern becomes one integer node that reads the
// quantized tensors directly and writes the QuantizeLinear's output:
//
//   DQ(x), DQ(w) [, DQ(bias int32) or float bias] -> Conv [-> Relu/Clip] -> Q
//       => QLinearConv (private domain): the bias's int32 values and scale (or the float bias)
//          as inputs that the kernel converts to accumulator units, activation as a narrower
//          output range
//   DQ(a), DQ(b 2-D) -> MatMul [-> Relu/Clip] -> Q                => QLinearMatMul (private)
//   DQ(a), DQ(b) [, bias] -> Gemm (alpha = beta = 1, transA = 0) [-> Relu/Clip] -> Q
//       => QLinearMatMul (private) with transB and the bias
//   DQ(a), DQ(b) -> Add | Mul [-> Relu/Clip] -> Q                 => QLinearAdd | QLinearMul
//   DQ(x) -> AveragePool | GlobalAveragePool -> Q                  => QLinearAveragePool | ...
//   DQ(x_i)... -> Concat -> Q                                      => QLinearConcat
//   DQ(x) -> MaxPool, Reshape, Transpose, Flatten, Squeeze, Unsqueeze ... -> Q with the same
//       scale and zero point => the op itself on the quantized tensor (ops that op_traits.def
//       marks kQuantPassThrough, with a kernel for the 8-bit type)
//
// Conditions: every scale and zero point is a constant (an initializer a caller cannot
// override), float32 scales; activations are per tensor, uint8/int8, and a binary op's
// operands and output share one type; weights are constant, per tensor or per output channel
// (Conv axis 0, MatMul axis 1, Gemm axis 1 or 0 with transB); the float intermediates have
// no other reader, are not graph outputs and are not read by subgraphs. A DequantizeLinear
// that other nodes still read stays (the fused node reads its input); one left without
// readers is removed. Anything else is left as written.
//
// The integer result equals the QDQ graph's float computation within one quantization step
// of the output (the float path rounds its sums; the integer path is exact, and a bias is
// rounded to accumulator units).
#pragma once

#include <memory>

#include "onnx/onnx_pb.h"
#include "runtime/kernel_registry.h"

namespace edge::rt {

struct QdqFusionStats {
  int conv = 0, matmul = 0, gemm = 0, binary = 0, pool = 0, concat = 0, pass_through = 0;
  int activations = 0;  // Relu/Clip folded into an output range
  int total() const { return conv + matmul + gemm + binary + pool + concat + pass_through; }
};

// A fused copy of `g`, or nullptr when no pattern applies. `opset` is the ai.onnx version;
// `registry` says which ops have kernels for 8-bit types (pass-through ops).
std::unique_ptr<onnx::GraphProto> fuse_qdq(const onnx::GraphProto& g, int opset, const KernelRegistry& registry,
                                           QdqFusionStats* stats = nullptr);

}  // namespace edge::rt
