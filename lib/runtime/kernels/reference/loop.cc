// Loop: runs the body subgraph while the trip count M (optional) and the condition cond
// (optional) allow, threading loop-carried values through iterations and stacking the
// per-iteration scan outputs along a new first axis.
// Body inputs: (iteration_num, cond, carried...); body outputs: (cond, carried..., scans...).
// A negative trip count runs zero iterations.
#include <cstring>
#include <memory>
#include <vector>

#include "runtime/graph_runner.h"
#include "runtime/kernel_registry.h"

namespace edge::rt {
namespace {

class LoopKernel : public OpKernel {
 public:
  explicit LoopKernel(const KernelInit& init) {
    const onnx::GraphProto* g = init.attrs.get_graph("body");
    if (!g) fail(init.where() + ": attribute body is required");
    if (init.node.input_size() < 2) fail(init.where() + ": Loop needs at least the inputs M and cond (possibly empty)");
    carried_ = init.node.input_size() - 2;
    body_ = init.compile_subgraph(*g);
    const int body_in = static_cast<int>(body_->input_names().size());
    const int body_out = static_cast<int>(body_->output_names().size());
    if (body_in != 2 + carried_) {
      fail(init.where() + ": body has " + std::to_string(body_in) + " inputs, expected 2 + " +
           std::to_string(carried_) + " loop-carried values");
    }
    if (body_out < 1 + carried_) {
      fail(init.where() + ": body has " + std::to_string(body_out) + " outputs, expected at least 1 + " +
           std::to_string(carried_) + " loop-carried values");
    }
    scans_ = body_out - 1 - carried_;
    if (init.node.output_size() != carried_ + scans_) {
      fail(init.where() + ": node has " + std::to_string(init.node.output_size()) + " outputs, expected " +
           std::to_string(carried_) + " loop-carried + " + std::to_string(scans_) + " scan outputs");
    }
    // Element type and per-iteration shape of scan outputs, for loops that run zero times.
    for (int k = 0; k < scans_; ++k) {
      const auto& vi = g->output(1 + carried_ + k);
      DType dt = DType::kFloat;
      Shape shape{0};
      if (vi.type().has_tensor_type()) {
        const auto& tt = vi.type().tensor_type();
        DType t = dtype_from_onnx(tt.elem_type());
        if (dtype_supported(t)) dt = t;
        bool known = tt.has_shape();
        if (known) {
          for (const auto& dim : tt.shape().dim()) {
            if (!dim.has_dim_value() || dim.dim_value() < 0) known = false;
            shape.push_back(dim.dim_value());
          }
        }
        if (!known) shape = {0};
      }
      empty_scan_.emplace_back(dt, shape);
    }
  }

  void compute(KernelContext& ctx) override {
    const bool has_m = ctx.has_input(0);
    const bool has_cond = ctx.has_input(1);
    int64_t max_trips = 0;
    if (has_m) {
      const Tensor& m = ctx.input(0);
      if (m.numel() != 1) fail(ctx.where() + ": trip count M must hold one element, got " + m.describe());
      max_trips = m.get_int64(0);
    }
    bool cond = true;
    if (has_cond) cond = read_cond(ctx, ctx.input(1), "cond");

    std::vector<Tensor> carried(static_cast<size_t>(carried_));
    for (int k = 0; k < carried_; ++k) {
      if (!ctx.has_input(2 + k)) fail(ctx.where() + ": loop-carried input " + std::to_string(k) + " is missing");
      carried[static_cast<size_t>(k)] = ctx.input(2 + k);
    }
    std::vector<std::vector<Tensor>> scans(static_cast<size_t>(scans_));
    std::vector<const Tensor*> inputs(static_cast<size_t>(2 + carried_));
    int64_t iter = 0;
    while ((!has_m || iter < max_trips) && (!has_cond || cond)) {
      Tensor iter_t = Tensor::scalar<int64_t>(iter);
      Tensor cond_t = Tensor::scalar<bool>(cond);
      inputs[0] = &iter_t;
      inputs[1] = &cond_t;
      for (int k = 0; k < carried_; ++k) inputs[static_cast<size_t>(2 + k)] = &carried[static_cast<size_t>(k)];
      std::vector<Tensor> outs = body_->run(inputs, ctx.scope);
      if (static_cast<int>(outs.size()) != 1 + carried_ + scans_) {
        fail_internal(ctx.where() + ": body returned an unexpected number of outputs");
      }
      if (has_cond) cond = read_cond(ctx, outs[0], "body output cond");
      for (int k = 0; k < carried_; ++k) carried[static_cast<size_t>(k)] = std::move(outs[static_cast<size_t>(1 + k)]);
      for (int k = 0; k < scans_; ++k) {
        Tensor& s = outs[static_cast<size_t>(1 + carried_ + k)];
        auto& list = scans[static_cast<size_t>(k)];
        if (!list.empty() && (s.dtype() != list[0].dtype() || s.shape() != list[0].shape())) {
          fail(ctx.where() + ": scan output " + std::to_string(k) + " changed from " + list[0].describe() + " to " +
               s.describe() + " at iteration " + std::to_string(iter));
        }
        list.push_back(std::move(s));
      }
      ++iter;
    }
    for (int k = 0; k < carried_; ++k) {
      if (ctx.has_output(k)) ctx.outputs[static_cast<size_t>(k)] = std::move(carried[static_cast<size_t>(k)]);
    }
    for (int k = 0; k < scans_; ++k) {
      if (!ctx.has_output(carried_ + k)) continue;
      const auto& list = scans[static_cast<size_t>(k)];
      if (list.empty()) {
        ctx.alloc_output(carried_ + k, empty_scan_[static_cast<size_t>(k)].dtype(),
                         empty_scan_[static_cast<size_t>(k)].shape());
        continue;
      }
      Shape shape = list[0].shape();
      shape.insert(shape.begin(), static_cast<int64_t>(list.size()));
      Tensor& out = ctx.alloc_output(carried_ + k, list[0].dtype(), shape);
      const size_t bytes = list[0].nbytes();
      auto* dst = static_cast<uint8_t*>(out.raw());
      for (size_t i = 0; i < list.size(); ++i) {
        if (bytes) std::memcpy(dst + i * bytes, list[i].raw(), bytes);
      }
    }
  }

 private:
  static bool read_cond(const KernelContext& ctx, const Tensor& t, const char* what) {
    if (t.numel() != 1) fail(ctx.where() + ": " + what + " must hold one element, got " + t.describe());
    if (t.dtype() == DType::kBool) return t.data<bool>()[0];
    return t.get_double(0) != 0;
  }

  int carried_ = 0;
  int scans_ = 0;
  std::unique_ptr<GraphRunner> body_;
  std::vector<Tensor> empty_scan_;
};

}  // namespace

void register_Loop(KernelRegistry& r) { r.add({"", "Loop", 1, kOpsetMax, {}, factory_of<LoopKernel>()}); }

}  // namespace edge::rt
