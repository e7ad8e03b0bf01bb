// The integer matrix product core (see int_matmul.h).
#include "runtime/kernels/reference/int_matmul.h"

#include "runtime/kernels/reference/broadcast.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/kernels/reference/qlinear_util.h"
#include "runtime/linalg/igemm.h"

namespace edge::rt {

namespace {

void check_zp(const std::string& where, const Tensor* zp, const Tensor& x, const char* what) {
  if (zp && zp->dtype() != x.dtype()) {
    fail(where + ": " + what + " zero point " + zp->describe() + " must have " + what + "'s type " +
         dtype_name(x.dtype()));
  }
}

// One value of `p` per element of `target`, by numpy broadcasting (p's rank <= target's).
void broadcast_values(const std::string& where, const Tensor& p, const Shape& p_shape, const Shape& target,
                      const char* what, std::vector<double>& out) {
  bool ok = p_shape.size() <= target.size();
  for (size_t i = 0; ok && i < p_shape.size(); ++i) {
    const int64_t d = p_shape[p_shape.size() - 1 - i], t = target[target.size() - 1 - i];
    ok = d == 1 || d == t;
  }
  if (!ok) fail(where + ": " + what + " " + p.describe() + " does not fit the operand's rows/columns");
  const Shape strides = broadcast_strides(p_shape, target);
  const int64_t n = shape_numel(target);
  out.resize(static_cast<size_t>(n));
  Shape idx(target.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < target.size(); ++d) off += idx[d] * strides[d];
    out[static_cast<size_t>(i)] = p.get_double(off);
    for (size_t d = target.size(); d-- > 0;) {
      if (++idx[d] < target[d]) break;
      idx[d] = 0;
    }
  }
}

int64_t batch_offset(int64_t i, const Shape& batch, const Shape& strides) {
  int64_t off = 0;
  for (size_t d = batch.size(); d-- > 0;) {
    off += (i % batch[d]) * strides[d];
    i /= batch[d];
  }
  return off;
}

}  // namespace

IntMatMulCore::IntMatMulCore(const KernelInit& init, int b_input, int b_zp_input, bool trans_b) : trans_b_(trans_b) {
  const Tensor* b = init.constant(b_input);
  const bool zp_given = b_zp_input >= 0 && init.has_input(b_zp_input);
  const Tensor* b_zp = zp_given ? init.constant(b_zp_input) : nullptr;
  if (b && (!zp_given || b_zp)) {
    widen_b(init.where(), *b, b_zp);
    b_const_ = true;
  }
}

void IntMatMulCore::widen_b(const std::string& where, const Tensor& b, const Tensor* b_zp) {
  q_require_8bit(where, b, "B");
  check_zp(where, b_zp, b, "B");
  if (b.rank() == 0) fail(where + ": B must have rank >= 1");
  if (trans_b_ && b.rank() != 2) fail(where + ": a transposed B must be 2-D, got " + b.describe());
  b_shape_ = b.shape();
  if (trans_b_) b_shape_ = {b.dim(1), b.dim(0)};
  if (b.rank() == 1) b_shape_.push_back(1);
  K_ = b_shape_[b_shape_.size() - 2];
  N_ = b_shape_.back();
  cols_of_b(where, b_zp, 0.0, "B zero point", zp_);
  const int64_t nb = K_ * N_ == 0 ? 0 : b.numel() / (K_ * N_);
  b16_.resize(static_cast<size_t>(b.numel()));
  auto widen = [&](auto tag) {
    using T = decltype(tag);
    const T* src = b.data<T>();
    for (int64_t bi = 0; bi < nb; ++bi) {
      const double* zp = zp_.data() + bi * N_;
      for (int64_t k = 0; k < K_; ++k) {
        int16_t* dst = b16_.data() + (bi * K_ + k) * N_;
        for (int64_t n = 0; n < N_; ++n) {
          const T v = trans_b_ ? src[n * K_ + k] : src[(bi * K_ + k) * N_ + n];
          dst[n] = static_cast<int16_t>(static_cast<int32_t>(v) - static_cast<int32_t>(zp[n]));
        }
      }
    }
  };
  if (b.dtype() == DType::kUint8) {
    widen(uint8_t{});
  } else {
    widen(int8_t{});
  }
}

void IntMatMulCore::rows_of_a(const std::string& where, const Tensor* p, double def, const char* what,
                              std::vector<double>& out) const {
  Shape target = a_shape_;
  target.back() = 1;
  if (!p) {
    out.assign(static_cast<size_t>(shape_numel(target)), def);
    return;
  }
  Shape ps = p->shape();
  if (ps.size() == 1 && ps[0] == M_) ps.push_back(1);  // [M]: one per row
  broadcast_values(where, *p, ps, target, what, out);
}

void IntMatMulCore::cols_of_b(const std::string& where, const Tensor* p, double def, const char* what,
                              std::vector<double>& out) const {
  Shape target = b_shape_;
  target[target.size() - 2] = 1;
  if (!p) {
    out.assign(static_cast<size_t>(shape_numel(target)), def);
    return;
  }
  broadcast_values(where, *p, p->shape(), target, what, out);
}

Shape IntMatMulCore::begin_run(const KernelContext& ctx, const Tensor& a, const Tensor* a_zp, const Tensor& b,
                               const Tensor* b_zp) {
  q_require_8bit(ctx.where(), a, "A");
  check_zp(ctx.where(), a_zp, a, "A");
  if (a.rank() == 0) fail(ctx.where() + ": A must have rank >= 1");
  if (!b_const_) widen_b(ctx.where(), b, b_zp);
  a_shape_ = a.shape();
  const bool a1 = a.rank() == 1, b1 = !trans_b_ && b.rank() == 1;
  if (a1) a_shape_.insert(a_shape_.begin(), 1);
  M_ = a_shape_[a_shape_.size() - 2];
  if (a_shape_.back() != K_) {
    fail(ctx.where() + ": inner dimensions differ (" + a.describe() + " x " + b.describe() +
         (trans_b_ ? " transposed)" : ")"));
  }
  const Shape ba(a_shape_.begin(), a_shape_.end() - 2), bb(b_shape_.begin(), b_shape_.end() - 2);
  batch_ = broadcast_shapes({ba, bb}, ctx.where());
  a_strides_ = broadcast_strides(ba, batch_);
  b_strides_ = broadcast_strides(bb, batch_);
  nbatch_ = shape_numel(batch_);
  rows_of_a(ctx.where(), a_zp, 0.0, "A zero point", zp_);
  a16_.resize(static_cast<size_t>(a.numel()));
  const int64_t rows = K_ == 0 ? 0 : a.numel() / K_;
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t zp = static_cast<int32_t>(zp_[static_cast<size_t>(r)]);
    if (a.dtype() == DType::kUint8) {
      linalg::widen_sub(a.data<uint8_t>() + r * K_, K_, zp, a16_.data() + r * K_);
    } else {
      linalg::widen_sub(a.data<int8_t>() + r * K_, K_, zp, a16_.data() + r * K_);
    }
  }
  Shape out = batch_;
  if (!a1) out.push_back(M_);
  if (!b1) out.push_back(N_);
  return out;
}

int64_t IntMatMulCore::a_batch(int64_t i) const { return batch_offset(i, batch_, a_strides_); }
int64_t IntMatMulCore::b_batch(int64_t i) const { return batch_offset(i, batch_, b_strides_); }

void IntMatMulCore::run(const KernelContext& ctx, int32_t* acc) const {
  auto one = [&](int64_t i, ThreadPool* pool) {
    const int16_t* A = a16_.data() + a_batch(i) * M_ * K_;
    const int16_t* B = b16_.data() + b_batch(i) * K_ * N_;
    linalg::igemm_s16(M_, N_, K_, A, K_, B, N_, acc + i * M_ * N_, N_, false, pool);
  };
  const double ops = static_cast<double>(M_) * static_cast<double>(N_) * static_cast<double>(K_);
  if (nbatch_ > 1 && ops < 4.0e6) {
    nn_parallel_for(ctx, nbatch_, static_cast<int64_t>(ops), [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) one(i, nullptr);
    });
  } else {
    for (int64_t i = 0; i < nbatch_; ++i) one(i, ctx.pool);
  }
}

}  // namespace edge::rt
