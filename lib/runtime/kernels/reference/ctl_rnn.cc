// Shared parts of the recurrent kernels: activations, attribute parsing, input loading.
#include "runtime/kernels/reference/ctl_rnn.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "runtime/kernels/reference/ctl_util.h"

namespace edge::rt {

double RnnActivation::operator()(double x) const {
  switch (kind) {
    case kRelu: return x > 0 ? x : 0;
    case kTanh: return std::tanh(x);
    case kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    case kAffine: return alpha * x + beta;
    case kLeakyRelu: return x >= 0 ? x : alpha * x;
    case kThresholdedRelu: return x > alpha ? x : 0;
    case kScaledTanh: return alpha * std::tanh(beta * x);
    case kHardSigmoid: return std::max(0.0, std::min(1.0, alpha * x + beta));
    case kElu: return x >= 0 ? x : alpha * (std::exp(x) - 1);
    case kSoftsign: return x / (1 + std::fabs(x));
    case kSoftplus: return x > 30 ? x : std::log1p(std::exp(x));
  }
  return x;
}

namespace {

struct ActInfo {
  const char* name;
  RnnActivation::Kind kind;
  bool uses_alpha, uses_beta;
  double alpha, beta;
};

constexpr ActInfo kActs[] = {
    {"relu", RnnActivation::kRelu, false, false, 0, 0},
    {"tanh", RnnActivation::kTanh, false, false, 0, 0},
    {"sigmoid", RnnActivation::kSigmoid, false, false, 0, 0},
    {"affine", RnnActivation::kAffine, true, true, 1.0, 0.0},
    {"leakyrelu", RnnActivation::kLeakyRelu, true, false, 0.01, 0},
    {"thresholdedrelu", RnnActivation::kThresholdedRelu, true, false, 1.0, 0},
    {"scaledtanh", RnnActivation::kScaledTanh, true, true, 1.0, 1.0},
    {"hardsigmoid", RnnActivation::kHardSigmoid, true, true, 0.2, 0.5},
    {"elu", RnnActivation::kElu, true, false, 1.0, 0},
    {"softsign", RnnActivation::kSoftsign, false, false, 0, 0},
    {"softplus", RnnActivation::kSoftplus, false, false, 0, 0},
};

const ActInfo* find_act(const std::string& name) {
  std::string low = name;
  for (auto& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& a : kActs) {
    if (low == a.name) return &a;
  }
  return nullptr;
}

// Reads a [d0][d1][hid] tensor, stored as [d1][d0][hid] when `swap` (layout 1), into
// canonical [d0][d1][hid] order in `out` (`tmp` holds the stored order).
void read_state(const Tensor& t, int64_t d0, int64_t d1, int64_t hid, bool swap, std::vector<double>& out,
                std::vector<double>& tmp) {
  if (!swap) {
    ctl_read_doubles(t, out);
    return;
  }
  ctl_read_doubles(t, tmp);
  out.resize(tmp.size());
  for (int64_t i = 0; i < d0; ++i) {
    for (int64_t j = 0; j < d1; ++j) {
      std::copy_n(tmp.begin() + (j * d0 + i) * hid, hid, out.begin() + (i * d1 + j) * hid);
    }
  }
}

void check_shape(const KernelContext& ctx, const Tensor& t, const char* name, const Shape& want) {
  if (t.shape() != want) {
    fail(ctx.where() + ": input " + name + " has shape " + shape_str(t.shape()) + ", expected " + shape_str(want));
  }
}

}  // namespace

RnnSpec::RnnSpec(const KernelInit& init, int gates_, const std::vector<std::string>& defaults)
    : gates(gates_), acts_per_dir(static_cast<int>(defaults.size())) {
  const std::string where = init.where();
  std::string dir = init.attrs.get_string("direction", "forward");
  if (dir == "bidirectional") {
    dirs = 2;
  } else if (dir == "reverse") {
    reverse_only = true;
  } else if (dir != "forward") {
    fail(where + ": unknown direction '" + dir + "'");
  }
  if (init.attrs.has("hidden_size")) {
    hidden_attr = init.attrs.get_int("hidden_size", 0);
    if (hidden_attr <= 0) fail(where + ": hidden_size must be positive, got " + std::to_string(hidden_attr));
  }
  if (init.attrs.has("clip")) {
    has_clip = true;
    clip = init.attrs.get_float("clip", 0);
    if (!(clip >= 0)) fail(where + ": clip must be non-negative");
  }
  layout = static_cast<int>(init.attrs.get_int("layout", 0));
  if (layout != 0 && layout != 1) fail(where + ": layout must be 0 or 1, got " + std::to_string(layout));
  if (init.attrs.get_int("input_forget", 0) != 0 && gates != 4) {
    fail(where + ": input_forget is an LSTM attribute");
  }
  std::vector<std::string> names = init.attrs.has("activations") ? init.attrs.get_strings("activations") : defaults;
  if (static_cast<int>(names.size()) == acts_per_dir && dirs == 2) {
    std::vector<std::string> twice = names;
    twice.insert(twice.end(), names.begin(), names.end());
    names = twice;
  }
  if (static_cast<int>(names.size()) != acts_per_dir * dirs) {
    fail(where + ": expected " + std::to_string(acts_per_dir * dirs) + " activations, got " +
         std::to_string(names.size()));
  }
  std::vector<float> alphas = init.attrs.get_floats("activation_alpha");
  std::vector<float> betas = init.attrs.get_floats("activation_beta");
  size_t ai = 0, bi = 0;
  for (const auto& n : names) {
    const ActInfo* info = find_act(n);
    if (!info) fail_unsupported(where + ": unsupported activation '" + n + "'");
    RnnActivation a;
    a.kind = info->kind;
    a.alpha = info->alpha;
    a.beta = info->beta;
    if (info->uses_alpha && ai < alphas.size()) a.alpha = alphas[ai++];
    if (info->uses_beta && bi < betas.size()) a.beta = betas[bi++];
    acts.push_back(a);
  }
}

void rnn_load(const KernelContext& ctx, const RnnSpec& spec, bool lstm, RnnData& d) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor& r = ctx.input(2);
  if (!ctl_is_float(x.dtype())) fail_unsupported(ctx.where() + ": input type " + dtype_name(x.dtype()) + " is not supported");
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (i == 4 || !ctx.has_input(i)) continue;
    if (ctx.input(i).dtype() != x.dtype()) {
      fail(ctx.where() + ": input " + std::to_string(i) + " has type " + dtype_name(ctx.input(i).dtype()) +
           ", expected " + dtype_name(x.dtype()));
    }
  }
  if (x.rank() != 3) fail(ctx.where() + ": X must have rank 3, got " + x.describe());
  if (w.rank() != 3) fail(ctx.where() + ": W must have rank 3, got " + w.describe());
  if (r.rank() != 3) fail(ctx.where() + ": R must have rank 3, got " + r.describe());
  const bool bl = spec.layout == 1;
  d.seq = bl ? x.dim(1) : x.dim(0);
  d.batch = bl ? x.dim(0) : x.dim(1);
  d.in = x.dim(2);
  d.dirs = spec.dirs;
  d.hid = r.dim(2);
  if (d.hid > (int64_t{1} << 32)) fail(ctx.where() + ": hidden size " + std::to_string(d.hid) + " is too large");
  if (spec.hidden_attr >= 0 && spec.hidden_attr != d.hid) {
    fail(ctx.where() + ": hidden_size " + std::to_string(spec.hidden_attr) + " does not match R " + r.describe());
  }
  const int64_t g = spec.gates;
  check_shape(ctx, w, "W", {d.dirs, g * d.hid, d.in});
  check_shape(ctx, r, "R", {d.dirs, g * d.hid, d.hid});
  ctl_read_doubles(w, d.w);
  ctl_read_doubles(r, d.r);
  if (bl) {
    ctl_read_doubles(x, d.tmp);
    d.x.resize(d.tmp.size());
    for (int64_t b = 0; b < d.batch; ++b) {
      for (int64_t t = 0; t < d.seq; ++t) {
        std::copy_n(d.tmp.begin() + (b * d.seq + t) * d.in, d.in, d.x.begin() + (t * d.batch + b) * d.in);
      }
    }
  } else {
    ctl_read_doubles(x, d.x);
  }
  if (ctx.has_input(3)) {
    check_shape(ctx, ctx.input(3), "B", {d.dirs, 2 * g * d.hid});
    ctl_read_doubles(ctx.input(3), d.b);
  } else {
    d.b.assign(static_cast<size_t>(d.dirs * 2 * g * d.hid), 0.0);
  }
  d.lens.assign(static_cast<size_t>(d.batch), d.seq);
  if (ctx.has_input(4)) {
    const Tensor& sl = ctx.input(4);
    if (sl.dtype() != DType::kInt32 && sl.dtype() != DType::kInt64) {
      fail(ctx.where() + ": sequence_lens must be int32, got " + sl.describe());
    }
    check_shape(ctx, sl, "sequence_lens", {d.batch});
    const bool i32 = sl.dtype() == DType::kInt32;
    for (int64_t b = 0; b < d.batch; ++b) {
      d.lens[static_cast<size_t>(b)] = i32 ? sl.data<int32_t>()[b] : sl.data<int64_t>()[b];
    }
    for (int64_t v : d.lens) {
      if (v < 0 || v > d.seq) {
        fail(ctx.where() + ": sequence_lens value " + std::to_string(v) + " is outside [0, " + std::to_string(d.seq) + "]");
      }
    }
  }
  const Shape state_shape = bl ? Shape{d.batch, d.dirs, d.hid} : Shape{d.dirs, d.batch, d.hid};
  const int64_t y_n = shape_numel({d.seq, d.dirs, d.batch, d.hid});
  ctl_check_buffer(ctx.where(), y_n);
  const int64_t state_elems = shape_numel({d.dirs, d.batch, d.hid});
  ctl_check_buffer(ctx.where(), state_elems);
  const auto state_n = static_cast<size_t>(state_elems);
  if (ctx.has_input(5)) {
    check_shape(ctx, ctx.input(5), "initial_h", state_shape);
    read_state(ctx.input(5), d.dirs, d.batch, d.hid, bl, d.h0, d.tmp);
  } else {
    d.h0.assign(state_n, 0.0);
  }
  if (lstm) {
    if (ctx.has_input(6)) {
      check_shape(ctx, ctx.input(6), "initial_c", state_shape);
      read_state(ctx.input(6), d.dirs, d.batch, d.hid, bl, d.c0, d.tmp);
    } else {
      d.c0.assign(state_n, 0.0);
    }
    if (ctx.has_input(7)) {
      check_shape(ctx, ctx.input(7), "P", {d.dirs, 3 * d.hid});
      ctl_read_doubles(ctx.input(7), d.p);
    } else {
      d.p.assign(static_cast<size_t>(d.dirs * 3 * d.hid), 0.0);
    }
    d.yc.assign(state_n, 0.0);
  }
  d.y.assign(static_cast<size_t>(y_n), 0.0);
  d.yh.assign(state_n, 0.0);
}

namespace {
void store_state(KernelContext& ctx, int idx, const std::vector<double>& v, RnnData& d, bool bl, DType dt) {
  if (!ctx.has_output(idx)) return;
  if (!bl) {
    ctl_write_doubles(ctx.alloc_output(idx, dt, {d.dirs, d.batch, d.hid}), v);
    return;
  }
  std::vector<double>& out = d.tmp;
  out.resize(v.size());
  for (int64_t di = 0; di < d.dirs; ++di) {
    for (int64_t b = 0; b < d.batch; ++b) {
      std::copy_n(v.begin() + (di * d.batch + b) * d.hid, d.hid, out.begin() + (b * d.dirs + di) * d.hid);
    }
  }
  ctl_write_doubles(ctx.alloc_output(idx, dt, {d.batch, d.dirs, d.hid}), out);
}
}  // namespace

void rnn_store(KernelContext& ctx, const RnnSpec& spec, RnnData& d, bool lstm) {
  const DType dt = ctx.input(0).dtype();
  const bool bl = spec.layout == 1;
  if (ctx.has_output(0)) {
    if (!bl) {
      ctl_write_doubles(ctx.alloc_output(0, dt, {d.seq, d.dirs, d.batch, d.hid}), d.y);
    } else {
      std::vector<double>& out = d.tmp;
      out.resize(d.y.size());
      for (int64_t t = 0; t < d.seq; ++t) {
        for (int64_t di = 0; di < d.dirs; ++di) {
          for (int64_t b = 0; b < d.batch; ++b) {
            std::copy_n(d.y.begin() + ((t * d.dirs + di) * d.batch + b) * d.hid, d.hid,
                        out.begin() + ((b * d.seq + t) * d.dirs + di) * d.hid);
          }
        }
      }
      ctl_write_doubles(ctx.alloc_output(0, dt, {d.batch, d.seq, d.dirs, d.hid}), out);
    }
  }
  store_state(ctx, 1, d.yh, d, bl, dt);
  if (lstm) store_state(ctx, 2, d.yc, d, bl, dt);
}

}  // namespace edge::rt
