#include "train/loss.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "ir/status.h"
#include "train/grad_util.h"

namespace edge::train {
namespace {

// Layout of rows x positions x classes for a loss.
struct RowView {
  int64_t rows = 0, row_elems = 0, classes = 0, positions = 0;
};

RowView view_of(const Tensor& student, int64_t rows, const char* what) {
  if (student.dtype() != DType::kFloat) fail(std::string(what) + ": the output is " + student.describe() + ", not float32");
  if (student.rank() < 1 || student.dim(0) < rows || rows < 1) {
    fail(std::string(what) + ": the output " + student.describe() + " does not hold " + std::to_string(rows) + " rows");
  }
  RowView v;
  v.rows = rows;
  v.row_elems = student.numel() / student.dim(0);
  v.classes = student.rank() >= 2 ? student.dim(-1) : 1;
  v.positions = v.classes > 0 ? v.row_elems / v.classes : 0;
  return v;
}

void check_teacher(const Tensor& student, const Tensor& teacher, const RowView& v, const char* what) {
  if (teacher.dtype() != DType::kFloat || teacher.numel() != v.rows * v.row_elems) {
    fail(std::string(what) + ": the teacher's " + teacher.describe() + " does not match " + std::to_string(v.rows) +
         " rows of the student's " + student.describe());
  }
}

// log softmax(x / temp) of n values into out.
void log_softmax(const float* x, int64_t n, double temp, double* out) {
  double mx = -INFINITY;
  for (int64_t c = 0; c < n; ++c) mx = std::max(mx, static_cast<double>(x[c]) / temp);
  double sum = 0;
  for (int64_t c = 0; c < n; ++c) sum += std::exp(static_cast<double>(x[c]) / temp - mx);
  const double lse = mx + std::log(sum);
  for (int64_t c = 0; c < n; ++c) out[c] = static_cast<double>(x[c]) / temp - lse;
}

}  // namespace

LossResult kd_kl_loss(const Tensor& student, const Tensor& teacher, int64_t rows, double temperature) {
  const RowView v = view_of(student, rows, "distillation loss");
  check_teacher(student, teacher, v, "distillation loss");
  if (!(temperature > 0)) fail("distillation loss: temperature must be > 0");
  LossResult r{0, zeros_f32(student.shape())};
  std::vector<double> ls(static_cast<size_t>(v.classes)), lt(static_cast<size_t>(v.classes));
  const float* s = student.data<float>();
  const float* t = teacher.data<float>();
  float* g = r.grad.data<float>();
  const double inv_pos = 1.0 / static_cast<double>(v.positions);
  for (int64_t p = 0; p < v.rows * v.positions; ++p) {
    const int64_t off = p * v.classes;
    log_softmax(s + off, v.classes, temperature, ls.data());
    log_softmax(t + off, v.classes, temperature, lt.data());
    double kl = 0;
    for (int64_t c = 0; c < v.classes; ++c) {
      const double pt = std::exp(lt[static_cast<size_t>(c)]);
      kl += pt * (lt[static_cast<size_t>(c)] - ls[static_cast<size_t>(c)]);
      // d(T^2 KL)/ds_c = T (softmax(s/T)_c - softmax(t/T)_c)
      g[off + c] = static_cast<float>(temperature * (std::exp(ls[static_cast<size_t>(c)]) - pt) * inv_pos);
    }
    r.loss += temperature * temperature * kl * inv_pos;
  }
  return r;
}

LossResult mse_loss(const Tensor& student, const Tensor& teacher, int64_t rows, double weight) {
  const RowView v = view_of(student, rows, "MSE loss");
  check_teacher(student, teacher, v, "MSE loss");
  LossResult r{0, zeros_f32(student.shape())};
  const float* s = student.data<float>();
  const float* t = teacher.data<float>();
  float* g = r.grad.data<float>();
  const double k = weight / static_cast<double>(v.row_elems);
  for (int64_t i = 0; i < v.rows * v.row_elems; ++i) {
    const double d = static_cast<double>(s[i]) - static_cast<double>(t[i]);
    r.loss += k * d * d;
    g[i] = static_cast<float>(2 * k * d);
  }
  return r;
}

LossResult cross_entropy_loss(const Tensor& student, const std::vector<int64_t>& labels) {
  const auto rows = static_cast<int64_t>(labels.size());
  const RowView v = view_of(student, rows, "cross-entropy loss");
  LossResult r{0, zeros_f32(student.shape())};
  std::vector<double> ls(static_cast<size_t>(v.classes));
  const float* s = student.data<float>();
  float* g = r.grad.data<float>();
  const double inv_pos = 1.0 / static_cast<double>(v.positions);
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t y = labels[static_cast<size_t>(row)];
    if (y < 0 || y >= v.classes) {
      fail("cross-entropy loss: label " + std::to_string(y) + " is outside the output's " + std::to_string(v.classes) +
           " classes");
    }
    for (int64_t p = 0; p < v.positions; ++p) {
      const int64_t off = (row * v.positions + p) * v.classes;
      log_softmax(s + off, v.classes, 1.0, ls.data());
      r.loss -= ls[static_cast<size_t>(y)] * inv_pos;
      for (int64_t c = 0; c < v.classes; ++c) {
        g[off + c] = static_cast<float>((std::exp(ls[static_cast<size_t>(c)]) - (c == y ? 1.0 : 0.0)) * inv_pos);
      }
    }
  }
  return r;
}

int64_t argmax_row(const Tensor& t, int64_t row) {
  const Tensor f = as_float(t);
  const int64_t classes = f.rank() >= 2 ? f.dim(-1) : f.numel() / std::max<int64_t>(1, f.dim(0));
  const int64_t row_elems = f.numel() / std::max<int64_t>(1, f.dim(0));
  const float* p = f.data<float>() + row * row_elems;
  return std::max_element(p, p + classes) - p;
}

double logit_spread(const Tensor& logits, int64_t rows) {
  const RowView v = view_of(logits, rows, "logit spread");
  const float* x = logits.data<float>();
  double total = 0;
  for (int64_t p = 0; p < v.rows * v.positions; ++p) {
    const float* row = x + p * v.classes;
    double mean = 0, sq = 0;
    for (int64_t c = 0; c < v.classes; ++c) mean += row[c];
    mean /= static_cast<double>(v.classes);
    for (int64_t c = 0; c < v.classes; ++c) sq += (row[c] - mean) * (row[c] - mean);
    total += std::sqrt(sq / static_cast<double>(v.classes));
  }
  return total / static_cast<double>(v.rows * v.positions);
}

}  // namespace edge::train
