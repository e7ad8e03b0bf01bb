// GRU: gated recurrent unit layer (gates z, r, h; linear_before_reset), for forward,
// reverse or bidirectional directions, with optional sequence_lens, initial_h and layout.

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_rnn.h"

namespace edge::rt {
namespace {

class GruKernel : public OpKernel {
 public:
  explicit GruKernel(const KernelInit& init)
      : spec_(init, 3, {"Sigmoid", "Tanh"}), linear_before_reset_(init.attrs.get_int("linear_before_reset", 0) != 0) {}

  void compute(KernelContext& ctx) override {
    RnnData& d = data_;
    rnn_load(ctx, spec_, false, d);
    d.reserve_work(10 * d.hid);
    const int64_t hid = d.hid;
    const auto uh = static_cast<size_t>(hid);
    for (int64_t dir = 0; dir < d.dirs; ++dir) {
      const double* w = d.w_dir(dir, 3);
      const double* r = d.r_dir(dir, 3);
      const double* wb = d.b_dir(dir, 3);
      const double* rb = wb + 3 * hid;
      const RnnActivation& f = spec_.act(dir, 0);
      const RnnActivation& g = spec_.act(dir, 1);
      const bool rev = spec_.reversed(dir);
      ctx.parallel_for(d.batch, [&](int64_t b0, int64_t b1) {
        // xa: x-projections of z, r, h; ha: h-projections of z, r (and h when linear_before_reset).
        for (int64_t b = b0; b < b1; ++b) {
          double* const row = d.work_at(b);
          double* const h = row;
          double* const xa = row + hid;
          double* const ha = row + 4 * hid;
          double* const rh = row + 7 * hid;
          double* const z = row + 8 * hid;
          double* const pre = row + 9 * hid;
          const size_t s = d.state_at(dir, b);
          std::copy_n(d.h0.begin() + static_cast<std::ptrdiff_t>(s), hid, h);
          const int64_t len = d.lens[static_cast<size_t>(b)];
          for (int64_t step = 0; step < len; ++step) {
            const int64_t t = rev ? len - 1 - step : step;
            for (size_t j = 0; j < 3 * uh; ++j) {
              xa[j] = wb[j];
              ha[j] = rb[j];
            }
            rnn_gemv(w, 3 * hid, d.in, d.x.data() + (t * d.batch + b) * d.in, xa);
            rnn_gemv(r, 2 * hid, hid, h, ha);
            if (linear_before_reset_) {
              rnn_gemv(r + 2 * hid * hid, hid, hid, h, ha + 2 * hid);
            }
            for (size_t j = 0; j < uh; ++j) {
              z[j] = f(spec_.clipped(xa[j] + ha[j]));
              const double rg = f(spec_.clipped(xa[uh + j] + ha[uh + j]));
              rh[j] = linear_before_reset_ ? rg * ha[2 * uh + j] : rg * h[j];
            }
            for (size_t j = 0; j < uh; ++j) pre[j] = xa[2 * uh + j];
            if (linear_before_reset_) {
              for (size_t j = 0; j < uh; ++j) pre[j] += rh[j];
            } else {
              for (size_t j = 0; j < uh; ++j) pre[j] += rb[2 * uh + j];
              rnn_gemv(r + 2 * hid * hid, hid, hid, rh, pre);
            }
            double* y = d.y_at(t, dir, b);
            for (size_t j = 0; j < uh; ++j) {
              const double cand = g(spec_.clipped(pre[j]));
              h[j] = (1 - z[j]) * cand + z[j] * h[j];
              y[j] = h[j];
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
  bool linear_before_reset_;
};

}  // namespace

void register_GRU(KernelRegistry& r) { r.add({"", "GRU", 1, kOpsetMax, float_types(), factory_of<GruKernel>()}); }

}  // namespace edge::rt
