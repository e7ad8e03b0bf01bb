// Shared parts of the recurrent kernels (RNN, GRU, LSTM): attribute parsing (direction,
// activations with alpha/beta, clip, layout, hidden_size), input loading and validation,
// and output storing. Computation is done in double on canonical layouts:
//   x [seq][batch][input], h0/c0/yh/yc [dir][batch][hidden], y [seq][dir][batch][hidden].
#pragma once

#include <string>
#include <vector>

#include "runtime/kernel.h"

namespace edge::rt {

struct RnnActivation {
  enum Kind { kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu,
              kSoftsign, kSoftplus };
  Kind kind = kTanh;
  double alpha = 0, beta = 0;
  double operator()(double x) const;
};

struct RnnSpec {
  // gates: weight blocks per direction (RNN 1, GRU 3, LSTM 4); defaults: activations of one
  // direction when the attribute is absent.
  RnnSpec(const KernelInit& init, int gates, const std::vector<std::string>& defaults);

  int gates = 1;
  int acts_per_dir = 1;
  int dirs = 1;
  bool reverse_only = false;  // direction == "reverse"
  int64_t hidden_attr = -1;   // -1 when the attribute is absent
  bool has_clip = false;
  double clip = 0;
  int layout = 0;
  std::vector<RnnActivation> acts;  // dirs * acts_per_dir

  const RnnActivation& act(int64_t dir, int k) const { return acts[static_cast<size_t>(dir * acts_per_dir + k)]; }
  double clipped(double v) const { return has_clip ? (v < -clip ? -clip : (v > clip ? clip : v)) : v; }
  bool reversed(int64_t dir) const { return reverse_only || dir == 1; }
};

struct RnnData {
  int64_t seq = 0, batch = 0, in = 0, hid = 0, dirs = 1;
  std::vector<double> x;        // [seq][batch][in]
  std::vector<double> w, r;     // [dirs][gates*hid][in], [dirs][gates*hid][hid]
  std::vector<double> b;        // [dirs][2*gates*hid] (zeros when absent)
  std::vector<int64_t> lens;    // [batch]
  std::vector<double> h0, c0;   // [dirs][batch][hid] (zeros when absent)
  std::vector<double> p;        // LSTM peepholes [dirs][3*hid] (zeros when absent)
  std::vector<double> y, yh, yc;
  std::vector<double> tmp;      // layout conversions
  std::vector<double> work;     // per-batch-row work space of the kernel (work_at)

  const double* w_dir(int64_t d, int gates) const { return w.data() + d * gates * hid * in; }
  const double* r_dir(int64_t d, int gates) const { return r.data() + d * gates * hid * hid; }
  const double* b_dir(int64_t d, int gates) const { return b.data() + d * 2 * gates * hid; }
  double* y_at(int64_t t, int64_t d, int64_t bi) { return y.data() + ((t * dirs + d) * batch + bi) * hid; }
  size_t state_at(int64_t d, int64_t bi) const { return static_cast<size_t>((d * batch + bi) * hid); }
  // Sizes `work` for `per_row` doubles per batch row; work_at(b) is row b's part.
  void reserve_work(int64_t per_row) { work.resize(static_cast<size_t>(per_row * batch)); work_row_ = per_row; }
  double* work_at(int64_t bi) { return work.data() + bi * work_row_; }

 private:
  int64_t work_row_ = 0;
};

// Reads inputs X, W, R, B, sequence_lens, initial_h (and for LSTM initial_c, P), checks
// their shapes and sizes the canonical buffers of `d` (a kernel keeps one RnnData across
// runs, so steady-state runs reuse its vectors instead of allocating).
void rnn_load(const KernelContext& ctx, const RnnSpec& spec, bool lstm, RnnData& d);
// Writes Y, Y_h (and Y_c for LSTM) where the node declares them, in the node's layout.
void rnn_store(KernelContext& ctx, const RnnSpec& spec, RnnData& d, bool lstm);

// out[j] += sum_k m[j][k] * v[k] for j < rows.
inline void rnn_gemv(const double* m, int64_t rows, int64_t cols, const double* v, double* out) {
  for (int64_t j = 0; j < rows; ++j) {
    const double* row = m + j * cols;
    double s = 0;
    for (int64_t k = 0; k < cols; ++k) s += row[k] * v[k];
    out[j] += s;
  }
}

}  // namespace edge::rt
