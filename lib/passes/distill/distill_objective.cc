#include "passes/distill/distill_objective.h"

#include <cmath>

#include "ir/status.h"
#include "train/grad_util.h"
#include "train/loss.h"

namespace edge::pass::distill {

ObjectiveConfig objective_from_teacher(const TeacherRows& teacher, int64_t samples, bool kl, double temperature,
                                       double alpha) {
  ObjectiveConfig oc;
  oc.kl = kl;
  const double spread = train::logit_spread(teacher.outputs.front(), samples);
  oc.teacher_spread = spread;
  // A teacher whose outputs are constant or not finite has no spread: T = 1 (a NaN stops training).
  const double auto_t = std::isfinite(spread) && spread > 1e-6 ? spread : 1.0;
  oc.temperature = temperature > 0 ? temperature : auto_t;
  for (const auto& t : teacher.outputs) {
    const double sp = t.dtype() == DType::kFloat ? train::logit_spread(t, samples) : 1.0;
    oc.mse_weight.push_back(std::isfinite(sp) && sp > 1e-6 ? 1.0 / (sp * sp) : 1.0);
  }
  oc.alpha = alpha;
  return oc;
}

double mean_square(const Tensor& t) {
  const Tensor f = train::as_float(t);
  double s = 0;
  for (int64_t i = 0; i < f.numel(); ++i) s += static_cast<double>(f.data<float>()[i]) * f.data<float>()[i];
  return f.numel() > 0 ? s / static_cast<double>(f.numel()) : 0;
}

DistillObjective::DistillObjective(const TeacherRows& teacher, const std::optional<data::Labels>& labels,
                                   std::vector<std::string> student_outputs, ObjectiveConfig config)
    : teacher_(teacher), labels_(labels), student_outputs_(std::move(student_outputs)), config_(std::move(config)) {
  if (student_outputs_.size() != teacher_.outputs.size()) {
    fail("the student has " + std::to_string(student_outputs_.size()) + " output(s), the teacher " +
         std::to_string(teacher_.outputs.size()));
  }
}

namespace {
void add_seed(train::Seeds& seeds, const std::string& name, Tensor g, double scale) {
  if (scale != 1.0) {
    float* p = g.data<float>();
    for (int64_t i = 0; i < g.numel(); ++i) p[i] = static_cast<float>(p[i] * scale);
  }
  seeds.emplace_back(name, std::move(g));
}
}  // namespace

double DistillObjective::loss(const train::TrainGraph& g, const train::Tape& tape, const std::vector<int64_t>& idx,
                              train::Seeds* seeds) {
  const auto rows = static_cast<int64_t>(idx.size());
  const double w_distill = labels_ ? 1.0 - config_.alpha : 1.0;
  double total = 0;
  for (size_t o = 0; o < student_outputs_.size(); ++o) {
    const Tensor& s = g.value(tape, student_outputs_[o]);
    if (s.dtype() != DType::kFloat) continue;
    const Tensor t = gather_rows(teacher_.outputs[o], idx);
    if (s.numel() / s.dim(0) != t.numel() / t.dim(0)) {
      fail("the teacher's output '" + teacher_.output_names[o] + "' (" + teacher_.outputs[o].describe() +
           " over all samples) and the student's '" + student_outputs_[o] + "' (" + s.describe() +
           ") differ in shape");
    }
    train::LossResult r = config_.kl ? train::kd_kl_loss(s, t, rows, config_.temperature)
                                     : train::mse_loss(s, t, rows, config_.mse_weight[o]);
    total += w_distill * r.loss;
    if (seeds && w_distill != 0) add_seed(*seeds, student_outputs_[o], std::move(r.grad), w_distill);
    if (o == 0 && labels_ && config_.alpha > 0) {
      std::vector<int64_t> y;
      for (int64_t i : idx) y.push_back(labels_->at(i));
      train::LossResult ce = train::cross_entropy_loss(s, y);
      total += config_.alpha * ce.loss;
      if (seeds) add_seed(*seeds, student_outputs_[o], std::move(ce.grad), config_.alpha);
    }
  }
  for (size_t h = 0; h < config_.hint_student.size(); ++h) {
    const Tensor& s = g.value(tape, config_.hint_student[h]);
    const Tensor t = gather_rows(teacher_.hints[h], idx);
    if (s.dtype() != DType::kFloat || s.rank() < 1 || s.numel() / s.dim(0) != t.numel() / t.dim(0)) {
      fail("hint '" + config_.hint_student[h] + "': the student's value " + s.describe() + " and the teacher's '" +
           teacher_.hint_names[h] + "' (" + teacher_.hints[h].describe() + " over all samples) differ in shape");
    }
    train::LossResult r = train::mse_loss(s, t, rows, config_.hint_weight[h]);
    total += r.loss;
    if (seeds) add_seed(*seeds, config_.hint_student[h], std::move(r.grad), 1.0);
  }
  return total;
}

int64_t DistillObjective::correct(const train::TrainGraph& g, const train::Tape& tape, const std::vector<int64_t>& idx) {
  const Tensor& s = g.value(tape, student_outputs_.front());
  int64_t right = 0;
  for (size_t r = 0; r < idx.size(); ++r) {
    const int64_t want = labels_ ? labels_->at(idx[r]) : train::argmax_row(teacher_.outputs.front(), idx[r]);
    right += train::argmax_row(s, static_cast<int64_t>(r)) == want ? 1 : 0;
  }
  return right;
}

}  // namespace edge::pass::distill
