// RNN: simple recurrent layer, Ht = f(Xt*W^T + Ht-1*R^T + Wb + Rb), for forward, reverse
// or bidirectional directions, with optional sequence_lens, initial_h and layout (opset 14).

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_rnn.h"

namespace edge::rt {
namespace {

class RnnKernel : public OpKernel {
 public:
  explicit RnnKernel(const KernelInit& init) : spec_(init, 1, {"Tanh"}) {}

  void compute(KernelContext& ctx) override {
    RnnData& d = data_;
    rnn_load(ctx, spec_, false, d);
    d.reserve_work(2 * d.hid);
    const int64_t hid = d.hid;
    for (int64_t dir = 0; dir < d.dirs; ++dir) {
      const double* w = d.w_dir(dir, 1);
      const double* r = d.r_dir(dir, 1);
      const double* wb = d.b_dir(dir, 1);
      const double* rb = wb + hid;
      const RnnActivation& f = spec_.act(dir, 0);
      const bool rev = spec_.reversed(dir);
      ctx.parallel_for(d.batch, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          double* const row = d.work_at(b);
          double* const h = row;
          double* const a = row + hid;
          const size_t s = d.state_at(dir, b);
          std::copy_n(d.h0.begin() + static_cast<std::ptrdiff_t>(s), hid, h);
          const int64_t len = d.lens[static_cast<size_t>(b)];
          for (int64_t step = 0; step < len; ++step) {
            const int64_t t = rev ? len - 1 - step : step;
            for (int64_t j = 0; j < hid; ++j) a[static_cast<size_t>(j)] = wb[j] + rb[j];
            rnn_gemv(w, hid, d.in, d.x.data() + (t * d.batch + b) * d.in, a);
            rnn_gemv(r, hid, hid, h, a);
            double* y = d.y_at(t, dir, b);
            for (int64_t j = 0; j < hid; ++j) {
              h[static_cast<size_t>(j)] = f(spec_.clipped(a[static_cast<size_t>(j)]));
              y[j] = h[static_cast<size_t>(j)];
            }
          }
          std::copy_n(h, hid, d.yh.begin() + static_cast<std::ptrdiff_t>(s));
        }
      });
    }
    rnn_store(ctx, spec_, d, false);
  }

 private:
  RnnSpec spec_;
  RnnData data_;  // reused across runs
};

}  // namespace

void register_RNN(KernelRegistry& r) { r.add({"", "RNN", 1, kOpsetMax, float_types(), factory_of<RnnKernel>()}); }

}  // namespace edge::rt
