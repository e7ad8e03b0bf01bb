// Rank and axis requirements of ai.onnx ops whose ONNX 1.12 shape-inference
// functions index dimensions without checking them (LayerNormalization with a
// rank-0 input reads dim -1 and crashes). Each rule reads only what ONNX's
// inference function would see: the ranks of the input types known at that
// point, the attributes and the constant inputs. safe_infer.h runs the rules
// right before ONNX calls the op's own inference function; model.cc also runs
// them over declared ranks (conv/pool ops).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "onnx/onnx_pb.h"

namespace edge {

// What a rule may read about one node.
class GuardView {
 public:
  virtual ~GuardView() = default;
  virtual size_t num_inputs() const = 0;
  // The rank of input i when its type has a shape; -1 when absent or unknown.
  virtual int rank(size_t i) const = 0;
  virtual const onnx::AttributeProto* attribute(const std::string& name) const = 0;
  // Input i's value when it is an initializer or a Constant; nullptr otherwise.
  virtual const onnx::TensorProto* constant(size_t i) const = 0;
  // Dim d of input i when its type gives a value (as written: a hostile file may give a
  // negative one); nullopt otherwise.
  virtual std::optional<int64_t> dim(size_t i, int d) const {
    (void)i;
    (void)d;
    return std::nullopt;
  }
};

// The most dims an output whose rank is the length of a 1-D input (ConstantOfShape's input,
// Reshape's and Expand's shape) may have: ONNX's inference makes one dim per value, so a
// declared length of 2^32 exhausted memory before anything was refused.
constexpr int64_t kMaxRankFromShapeInput = 64;

// The largest spatial dim of a Conv/pool input with auto_pad SAME_* (no pads) and a stride
// above 1: ONNX 1.12's inference takes dim / stride steps to find the padding (2^24: far past
// any real feature map or signal, milliseconds of steps).
constexpr int64_t kMaxAutoPadDim = int64_t{1} << 24;

// True when `op` (ai.onnx) has a rule.
bool has_inference_guard(const std::string& op);

// "" when the op's inference function can run on what `v` shows (or too little
// is known to judge); otherwise why not, for a message naming the node ("axis
// -1 is out of range for input 0 of rank 0"). `since_version` is the op version
// of the schema that will run.
std::string inference_guard(const std::string& op, int since_version, const GuardView& v);

}  // namespace edge
