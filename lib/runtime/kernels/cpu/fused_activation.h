// The epilogue of the cpu backend's fused nodes (FusedConv, graph_fusion.h): none, Relu,
// Clip(min, max) or LeakyRelu(alpha), read once from the node's `activation` and
// `activation_params` attributes when the kernel is prepared.
#pragma once

#include <cmath>
#include <string>

#include "runtime/kernel.h"

namespace edge::rt {

struct FusedActivation {
  enum Kind { kNone, kRelu, kClip, kLeaky } kind = kNone;
  float a = 0, b = 0;

  static FusedActivation parse(const KernelInit& init) {
    FusedActivation act;
    const std::string name = init.attrs.get_string("activation", "");
    const auto p = init.attrs.get_floats("activation_params");
    if (name.empty()) return act;
    if (name == "Relu") {
      act.kind = kRelu;
    } else if (name == "Clip" && p.size() == 2) {
      act = {kClip, p[0], p[1]};
    } else if (name == "LeakyRelu" && p.size() == 1) {
      act = {kLeaky, p[0], 0};
    } else {
      fail(init.where() + ": unknown fused activation '" + name + "'");
    }
    return act;
  }
  // One value (inlined into the kernels' write-out loops).
  float operator()(float v) const {
    switch (kind) {
      case kNone:
        return v;
      case kRelu:
        return v < 0.f ? 0.f : v;
      case kClip:
        return v < a ? a : (v > b ? b : v);
      case kLeaky:
        return v < 0.f ? v * a : v;
    }
    return v;
  }
  // The activation as a clamp (v = hi < v ? hi : v, then lo > v ? lo : v) where it is one:
  // none, Relu, and Clip with min <= max. False otherwise (LeakyRelu; apply it instead).
  bool as_clamp(float& lo, float& hi) const {
    const bool clip = kind == kClip && a <= b;
    lo = clip ? a : kind == kRelu ? 0.f : -INFINITY;
    hi = clip ? b : INFINITY;
    return kind == kNone || kind == kRelu || clip;
  }
  // In place over n floats; the loops are compiled for AVX2 and portably (fused_activation.cc).
  void apply(float* y, int64_t n) const;
  std::string suffix() const {
    static const char* names[] = {"", "+relu", "+clip", "+leakyrelu"};
    return names[kind];
  }
};

}  // namespace edge::rt
