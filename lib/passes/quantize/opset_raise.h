// Raising a model's ai.onnx opset (QDQ per-axis weights need DequantizeLinear's `axis`,
// opset 13). Raising is allowed only when no node changes meaning: each node's op must have
// the same schema version at both opsets, or a newer version known to keep the meaning of
// the node as written (types added, defaults unchanged); a few ops whose attributes became
// inputs (Clip min/max, Squeeze/Unsqueeze axes) are rewritten into the new form.
// Anything else (Pad, Slice < 10, Split, Resize, Upsample, Softmax over a non-last axis,
// unknown ops) blocks the raise.
#pragma once

#include <string>

#include "ir/model.h"

namespace edge::pass::quant {

// "" when `m` can be raised to ai.onnx `target`, else why not ("node 'p' (Pad): ...").
std::string opset_raise_blocker(const Model& m, int target);
// Raises the ai.onnx opset to `target` (rewriting the nodes that need it) and the IR version
// to at least 7; an IR < 4 model's initializers stop being listed as graph inputs (they were
// listed by rule, not to be overridden). Call only when opset_raise_blocker() is "".
void raise_opset(Model& m, int target);

}  // namespace edge::pass::quant
