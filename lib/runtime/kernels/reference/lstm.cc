// LSTM: long short-term memory layer (gates i, o, f, c; peepholes P; input_forget), for
// forward, reverse or bidirectional directions, with optional sequence_lens, initial_h,
// initial_c and layout (opset 14). Outputs Y, Y_h, Y_c are each optional.

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_rnn.h"

namespace edge::rt {
namespace {

class LstmKernel : public OpKernel {
 public:
  explicit LstmKernel(const KernelInit& init)
      : spec_(init, 4, {"Sigmoid", "Tanh", "Tanh"}), input_forget_(init.attrs.get_int("input_forget", 0) != 0) {}

  void compute(KernelContext& ctx) override {
    RnnData& d = data_;
    rnn_load(ctx, spec_, true, d);
    d.reserve_work(6 * d.hid);
    const int64_t hid = d.hid;
    const auto uh = static_cast<size_t>(hid);
    for (int64_t dir = 0; dir < d.dirs; ++dir) {
      const double* w = d.w_dir(dir, 4);
      const double* r = d.r_dir(dir, 4);
      const double* wb = d.b_dir(dir, 4);
      const double* rb = wb + 4 * hid;
      const double* p = d.p.data() + dir * 3 * hid;
      const double* pi = p;
      const double* po = p + hid;
      const double* pf = p + 2 * hid;
      const RnnActivation& f = spec_.act(dir, 0);
      const RnnActivation& g = spec_.act(dir, 1);
      const RnnActivation& hf = spec_.act(dir, 2);
      const bool rev = spec_.reversed(dir);
      ctx.parallel_for(d.batch, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          double* const row = d.work_at(b);
          double* const h = row;
          double* const c = row + hid;
          double* const a = row + 2 * hid;
          const size_t s = d.state_at(dir, b);
          std::copy_n(d.h0.begin() + static_cast<std::ptrdiff_t>(s), hid, h);
          std::copy_n(d.c0.begin() + static_cast<std::ptrdiff_t>(s), hid, c);
          const int64_t len = d.lens[static_cast<size_t>(b)];
          for (int64_t step = 0; step < len; ++step) {
            const int64_t t = rev ? len - 1 - step : step;
            for (size_t j = 0; j < 4 * uh; ++j) a[j] = wb[j] + rb[j];
            rnn_gemv(w, 4 * hid, d.in, d.x.data() + (t * d.batch + b) * d.in, a);
            rnn_gemv(r, 4 * hid, hid, h, a);
            double* y = d.y_at(t, dir, b);
            for (size_t j = 0; j < uh; ++j) {
              const double it = f(spec_.clipped(a[j] + pi[j] * c[j]));
              const double ft = input_forget_ ? 1.0 - it : f(spec_.clipped(a[2 * uh + j] + pf[j] * c[j]));
              const double ct = g(spec_.clipped(a[3 * uh + j]));
              c[j] = ft * c[j] + it * ct;
              const double ot = f(spec_.clipped(a[uh + j] + po[j] * c[j]));
              h[j] = ot * hf(c[j]);
              y[j] = h[j];
            }
          }
          std::copy_n(h, hid, d.yh.begin() + static_cast<std::ptrdiff_t>(s));
          std::copy_n(c, hid, d.yc.begin() + static_cast<std::ptrdiff_t>(s));
        }
      });
    }
    rnn_store(ctx, spec_, d, true);
  }

 private:
  RnnSpec spec_;
  RnnData data_;  // reused across runs
  bool input_forget_;
};

}  // namespace

void register_LSTM(KernelRegistry& r) { r.add({"", "LSTM", 1, kOpsetMax, float_types(), factory_of<LstmKernel>()}); }

}  // namespace edge::rt
