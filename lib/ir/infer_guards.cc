#include "ir/infer_guards.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "ir/shape_infer_ops.h"

namespace edge {

namespace {

// One node's checks; the first failure is kept.
class Check {
 public:
  Check(const GuardView& v, int since) : v_(v), since_(since) {}

  int since() const { return since_; }
  int rank(size_t i) const { return i < v_.num_inputs() ? v_.rank(i) : -1; }
  std::optional<int64_t> dim(size_t i, int d) const { return i < v_.num_inputs() ? v_.dim(i, d) : std::nullopt; }
  size_t num_inputs() const { return v_.num_inputs(); }

  bool has_attr(const char* name) const { return v_.attribute(name) != nullptr; }
  const onnx::AttributeProto* attr(const char* name) const { return v_.attribute(name); }
  int64_t attr_int(const char* name, int64_t def) const {
    const auto* a = v_.attribute(name);
    return a && a->has_i() ? a->i() : def;
  }
  std::optional<std::vector<int64_t>> attr_ints(const char* name) const {
    const auto* a = v_.attribute(name);
    if (!a) return std::nullopt;
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
  }
  // Integer values of constant input i (axes, pads, scales are read as given).
  std::optional<std::vector<int64_t>> input_ints(size_t i) const {
    const onnx::TensorProto* t = i < v_.num_inputs() ? v_.constant(i) : nullptr;
    std::vector<int64_t> out;
    if (!t || !constant_ints(*t, &out)) return std::nullopt;
    return out;
  }
  // The number of elements of constant input i (any type), or -1.
  int64_t input_numel(size_t i) const {
    const onnx::TensorProto* t = i < v_.num_inputs() ? v_.constant(i) : nullptr;
    if (!t || t->dims_size() != 1) return -1;
    return t->dims(0);
  }

  void min_rank(size_t i, int need, const char* what) {
    const int r = rank(i);
    if (r >= 0 && r < need)
      fail(std::string(what) + " must have rank >= " + std::to_string(need) + ", got " + std::to_string(r));
  }
  // Input i, a 1-D shape, gives the output's rank: refuse a declared length beyond the limit.
  void shape_length(size_t i, const char* what) {
    const int64_t n = rank(i) == 1 ? dim(i, 0).value_or(-1) : -1;
    if (n > kMaxRankFromShapeInput) {
      fail(std::string(what) + " has " + std::to_string(n) + " values: the output would have rank " +
           std::to_string(n) + " (at most " + std::to_string(kMaxRankFromShapeInput) + ")");
    }
  }
  void exact_rank(size_t i, int need, const char* what) {
    const int r = rank(i);
    if (r >= 0 && r != need)
      fail(std::string(what) + " must have rank " + std::to_string(need) + ", got " + std::to_string(r));
  }
  // axis in [-r, r) (or [-r, r] with `inclusive`) for rank r of input i.
  void axis(size_t i, const char* name, int64_t value, bool inclusive = false) {
    axis_in(rank(i), name, value, inclusive);
  }
  void axis_in(int r, const char* name, int64_t value, bool inclusive = false) {
    if (r < 0) return;
    const int64_t hi = inclusive ? r : r - 1;
    if (value < -r || value > hi) {
      const std::string allowed = hi < -r ? "no value" : "allowed: " + std::to_string(-r) + " to " + std::to_string(hi);
      fail(std::string(name) + " " + std::to_string(value) + " is out of range for rank " + std::to_string(r) + " (" +
           allowed + ")");
    }
  }
  void axes_in(int r, const std::optional<std::vector<int64_t>>& axes, const char* name = "axes") {
    if (r < 0 || !axes) return;
    std::set<int64_t> seen;
    for (int64_t a : *axes) {
      axis_in(r, name, a);
      if (!ok()) return;
      if (!seen.insert(a < 0 ? a + r : a).second) fail(std::string(name) + " repeat axis " + std::to_string(a));
    }
  }
  void fail(std::string why) {
    if (why_.empty()) why_ = std::move(why);
  }
  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }

 private:
  const GuardView& v_;
  int since_;
  std::string why_;
};

using Rule = std::function<void(Check&)>;

void conv_pool(Check& c, int w_index) {
  const int x = c.rank(0);
  const int w = w_index >= 0 ? c.rank(static_cast<size_t>(w_index)) : -1;
  c.min_rank(0, 3, "X");
  if (w_index >= 0) c.min_rank(static_cast<size_t>(w_index), 3, "W");
  if (x >= 0 && w >= 0 && x != w)
    c.fail("X (rank " + std::to_string(x) + ") and W (rank " + std::to_string(w) + ") differ in rank");
  const int spatial = x >= 0 ? x - 2 : (w >= 0 ? w - 2 : -1);
  for (const char* name : {"strides", "dilations", "kernel_shape"}) {
    if (auto v = c.attr_ints(name)) {
      for (int64_t e : *v) {
        if (e <= 0) c.fail(std::string(name) + " must be positive");
      }
    }
  }
  for (const char* name : {"strides", "dilations", "kernel_shape", "output_padding", "output_shape"}) {
    auto v = c.attr_ints(name);
    if (spatial >= 0 && v && static_cast<int>(v->size()) != spatial) {
      c.fail(std::string(name) + " has " + std::to_string(v->size()) + " values for " + std::to_string(spatial) +
             " spatial dims");
    }
  }
  auto pads = c.attr_ints("pads");
  if (spatial >= 0 && pads && static_cast<int>(pads->size()) != 2 * spatial) {
    c.fail("pads has " + std::to_string(pads->size()) + " values for " + std::to_string(spatial) + " spatial dims");
  }
  // Without pads and with an auto_pad other than VALID, ONNX 1.12's convPoolShapeInference
  // finds the remainder of each spatial dim by subtracting the stride in a loop: a declared dim
  // of 2^40 with stride 2 ran for minutes (fuzz_model_struct, 2026-12-01).
  const auto* auto_pad = c.attr("auto_pad");
  if ((!pads || pads->empty()) && auto_pad && auto_pad->s() != "VALID" && spatial > 0) {
    const auto strides = c.attr_ints("strides");
    for (int i = 0; i < spatial; ++i) {
      const int64_t stride =
          strides && static_cast<int>(strides->size()) == spatial ? (*strides)[static_cast<size_t>(i)] : 1;
      const auto d = c.dim(0, 2 + i);
      if (stride > 1 && d && *d > kMaxAutoPadDim) {
        c.fail("X's spatial dim " + std::to_string(*d) + " with auto_pad " + auto_pad->s() + " and stride " +
               std::to_string(stride) + " is over the limit of " + std::to_string(kMaxAutoPadDim));
      }
    }
  }
}

void reduce(Check& c) {
  auto axes = c.attr_ints("axes");
  if (!axes && c.num_inputs() > 1) axes = c.input_ints(1);  // ReduceSum-13: axes input
  c.axes_in(c.rank(0), axes);
}

const std::unordered_map<std::string, Rule>& rules() {
  static const auto* table = new std::unordered_map<std::string, Rule>{
      {"LayerNormalization", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", -1)); }},
      {"Softmax", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", c.since() >= 13 ? -1 : 1)); }},
      {"LogSoftmax", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", c.since() >= 13 ? -1 : 1)); }},
      {"Hardmax", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", c.since() >= 13 ? -1 : 1)); }},
      {"Concat",
       [](Check& c) {
         int r = -1;
         for (size_t i = 0; i < c.num_inputs(); ++i) {
           const int ri = c.rank(i);
           if (ri < 0) continue;
           if (r >= 0 && ri != r)
             c.fail("inputs of different ranks (" + std::to_string(r) + " and " + std::to_string(ri) + ")");
           r = ri;
         }
         c.axis_in(r, "axis", c.attr_int("axis", 0));
       }},
      {"Split", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", 0)); }},
      {"Gather", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", 0)); }},
      {"GatherElements",
       [](Check& c) {
         c.axis(0, "axis", c.attr_int("axis", 0));
         if (c.rank(0) >= 0 && c.rank(1) >= 0 && c.rank(0) != c.rank(1)) c.fail("data and indices differ in rank");
       }},
      {"ScatterElements", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", 0)); }},
      {"Scatter", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", 0)); }},
      {"GatherND",
       [](Check& c) {
         c.min_rank(0, 1, "data");
         c.min_rank(1, 1, "indices");
         const int64_t b = c.attr_int("batch_dims", 0);
         const int lim = std::min(c.rank(0), c.rank(1));
         if (b < 0 || (c.rank(0) >= 0 && c.rank(1) >= 0 && b >= lim))
           c.fail("batch_dims " + std::to_string(b) + " is out of range");
         // ONNX indexes data's dims from batch_dims + indices' last dim: it must be 1..rank - batch_dims.
         const auto last = c.rank(1) >= 1 ? c.dim(1, c.rank(1) - 1) : std::nullopt;
         if (c.ok() && last && c.rank(0) >= 0 && (*last < 1 || *last > c.rank(0) - b)) {
           c.fail("the last dim of indices is " + std::to_string(*last) + ", allowed: 1 to " +
                  std::to_string(c.rank(0) - b) + " (data rank " + std::to_string(c.rank(0)) + ", batch_dims " +
                  std::to_string(b) + ")");
         }
       }},
      {"Flatten", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", 1), true); }},
      {"ArgMax", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", 0)); }},
      {"ArgMin", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", 0)); }},
      {"ReduceL1", reduce},
      {"ReduceL2", reduce},
      {"ReduceLogSum", reduce},
      {"ReduceLogSumExp", reduce},
      {"ReduceMax", reduce},
      {"ReduceMean", reduce},
      {"ReduceMin", reduce},
      {"ReduceProd", reduce},
      {"ReduceSum", reduce},
      {"ReduceSumSquare", reduce},
      {"MeanVarianceNormalization", [](Check& c) { c.axes_in(c.rank(0), c.attr_ints("axes")); }},
      {"Transpose",
       [](Check& c) {
         auto perm = c.attr_ints("perm");
         const int r = c.rank(0);
         if (!perm || r < 0) return;
         if (static_cast<int>(perm->size()) != r) {
           c.fail("perm has " + std::to_string(perm->size()) + " values for rank " + std::to_string(r));
         }
         std::set<int64_t> seen;
         for (int64_t p : *perm) {
           if (p < 0 || p >= r || !seen.insert(p).second)
             c.fail("perm is not a permutation of 0.." + std::to_string(r - 1));
         }
       }},
      {"Conv", [](Check& c) { conv_pool(c, 1); }},
      {"ConvTranspose", [](Check& c) { conv_pool(c, 1); }},
      {"ConvInteger", [](Check& c) { conv_pool(c, 1); }},
      {"QLinearConv", [](Check& c) { conv_pool(c, 3); }},
      {"MaxUnpool", [](Check& c) { conv_pool(c, -1); }},
      {"MaxPool", [](Check& c) { conv_pool(c, -1); }},
      {"AveragePool", [](Check& c) { conv_pool(c, -1); }},
      {"LpPool", [](Check& c) { conv_pool(c, -1); }},
      {"GlobalAveragePool", [](Check& c) { c.min_rank(0, 2, "X"); }},
      {"GlobalMaxPool", [](Check& c) { c.min_rank(0, 2, "X"); }},
      {"GlobalLpPool", [](Check& c) { c.min_rank(0, 2, "X"); }},
      {"BatchNormalization", [](Check& c) { c.min_rank(0, 1, "X"); }},
      {"InstanceNormalization", [](Check& c) { c.min_rank(0, 2, "input"); }},
      {"MatMul",
       [](Check& c) {
         c.min_rank(0, 1, "A");
         c.min_rank(1, 1, "B");
       }},
      {"MatMulInteger",
       [](Check& c) {
         c.min_rank(0, 1, "A");
         c.min_rank(1, 1, "B");
       }},
      {"QLinearMatMul",
       [](Check& c) {
         c.min_rank(0, 1, "a");
         c.min_rank(3, 1, "b");
       }},
      {"Gemm",
       [](Check& c) {
         c.exact_rank(0, 2, "A");
         c.exact_rank(1, 2, "B");
       }},
      {"Unsqueeze",
       [](Check& c) {
         auto axes = c.since() >= 13 ? c.input_ints(1) : c.attr_ints("axes");
         if (c.rank(0) >= 0 && axes) c.axes_in(c.rank(0) + static_cast<int>(axes->size()), axes);
       }},
      {"Squeeze", [](Check& c) { c.axes_in(c.rank(0), c.since() >= 13 ? c.input_ints(1) : c.attr_ints("axes")); }},
      {"CumSum",
       [](Check& c) {
         c.min_rank(0, 1, "x");
         auto axis = c.input_ints(1);
         if (axis && axis->size() == 1) c.axis(0, "axis", (*axis)[0]);
       }},
      {"TopK", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", -1)); }},
      {"OneHot",
       [](Check& c) {
         const int r = c.rank(0);
         if (r >= 0) c.axis_in(r + 1, "axis", c.attr_int("axis", -1));
       }},
      {"Compress",
       [](Check& c) {
         if (c.has_attr("axis")) c.axis(0, "axis", c.attr_int("axis", 0));
       }},
      {"LpNormalization", [](Check& c) { c.axis(0, "axis", c.attr_int("axis", -1)); }},
      {"DepthToSpace", [](Check& c) { c.exact_rank(0, 4, "input"); }},
      {"SpaceToDepth", [](Check& c) { c.exact_rank(0, 4, "input"); }},
      {"Trilu", [](Check& c) { c.min_rank(0, 2, "input"); }},
      {"Det", [](Check& c) { c.min_rank(0, 2, "X"); }},
      {"ReverseSequence",
       [](Check& c) {
         c.min_rank(0, 2, "input");
         const int64_t b = c.attr_int("batch_axis", 1), t = c.attr_int("time_axis", 0);
         if ((b != 0 && b != 1) || (t != 0 && t != 1) || b == t) c.fail("batch_axis and time_axis must be 0 and 1");
       }},
      {"RNN", [](Check& c) { c.exact_rank(0, 3, "X"); }},
      {"GRU", [](Check& c) { c.exact_rank(0, 3, "X"); }},
      {"LSTM", [](Check& c) { c.exact_rank(0, 3, "X"); }},
      {"Pad",
       [](Check& c) {
         auto pads = c.since() >= 11 ? c.input_ints(1) : c.attr_ints(c.since() >= 2 ? "pads" : "paddings");
         const int r = c.rank(0);
         if (r >= 0 && pads && static_cast<int>(pads->size()) != 2 * r) {
           c.fail("pads has " + std::to_string(pads->size()) + " values for rank " + std::to_string(r));
         }
       }},
      {"Slice", [](Check& c) { c.axes_in(c.rank(0), c.since() >= 10 ? c.input_ints(3) : c.attr_ints("axes")); }},
      {"ConstantOfShape", [](Check& c) { c.shape_length(0, "input"); }},
      {"Reshape", [](Check& c) { c.shape_length(1, "shape"); }},
      {"Expand", [](Check& c) { c.shape_length(1, "shape"); }},
      {"Tile",
       [](Check& c) {
         const int64_t n = c.input_numel(1);
         if (c.rank(0) >= 0 && n >= 0 && n != c.rank(0))
           c.fail("repeats has " + std::to_string(n) + " values for rank " + std::to_string(c.rank(0)));
       }},
  };
  return *table;
}

}  // namespace

bool has_inference_guard(const std::string& op) { return rules().count(op) != 0; }

std::string inference_guard(const std::string& op, int since_version, const GuardView& v) {
  auto it = rules().find(op);
  if (it == rules().end()) return {};
  Check c(v, since_version);
  it->second(c);
  return c.why();
}

}  // namespace edge
