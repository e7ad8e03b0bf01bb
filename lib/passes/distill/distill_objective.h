// The distillation objective: per student output, KL(soft teacher || soft student) * T^2 or
// a scale-free MSE on the logits; cross-entropy with labels weighted by alpha; MSE hint
// losses on named intermediate values. The Trainer (lib/train/trainer.h) drives it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "passes/distill/distill_data.h"
#include "train/trainer.h"

namespace edge::pass::distill {

struct ObjectiveConfig {
  bool kl = true;              // false: MSE on logits
  double temperature = 1;      // kl
  double teacher_spread = 0;   // the teacher's logit spread (reported; the automatic T)
  std::vector<double> mse_weight;  // per output: 1 / (teacher's logit spread)^2
  double alpha = 0;            // weight of cross-entropy (with labels): (1-alpha)*distill + alpha*CE
  // Hints: student value name -> teacher row index in TeacherRows::hints, with its weight
  // (hint_weight / the teacher value's mean square).
  std::vector<std::string> hint_student;
  std::vector<double> hint_weight;
};

// The loss settings read off the teacher's outputs over `samples` rows: loss kl (else MSE on
// logits), T = `temperature` when positive, else the teacher's logit spread (1 when it has no
// finite spread), per-output MSE weights 1 / spread^2, and `alpha`. Hints are left to the caller.
ObjectiveConfig objective_from_teacher(const TeacherRows& teacher, int64_t samples, bool kl, double temperature,
                                       double alpha);

class DistillObjective : public train::Objective {
 public:
  // `student_outputs`: the student's output names, paired by position with the teacher's.
  DistillObjective(const TeacherRows& teacher, const std::optional<data::Labels>& labels,
                   std::vector<std::string> student_outputs, ObjectiveConfig config);
  double loss(const train::TrainGraph& g, const train::Tape& tape, const std::vector<int64_t>& idx,
              train::Seeds* seeds) override;
  // Top-1 of the first output against the labels when given, else against the teacher.
  int64_t correct(const train::TrainGraph& g, const train::Tape& tape, const std::vector<int64_t>& idx) override;
  const ObjectiveConfig& config() const { return config_; }

 private:
  const TeacherRows& teacher_;
  const std::optional<data::Labels>& labels_;
  std::vector<std::string> student_outputs_;
  ObjectiveConfig config_;
};

// Mean square of a float tensor's elements (hint scale).
double mean_square(const Tensor& t);

}  // namespace edge::pass::distill
