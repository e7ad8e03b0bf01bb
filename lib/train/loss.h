// Training losses on model outputs, with their gradients (the seeds TrainGraph::backward
// takes). Outputs are read as rows along dim 0 (one row per sample); a row may hold several
// positions of classes along the last axis ([N, C], [N, T, C]). Each loss is summed over the
// first `rows` rows (a fixed-batch model may carry padding rows after them: their gradient
// is 0) and averaged over the positions inside a row. Computed in double.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/tensor.h"

namespace edge::train {

struct LossResult {
  double loss = 0;  // summed over the rows
  Tensor grad;      // dLoss/dStudent, float32 of the student's shape
};

// Hinton's distillation term: T^2 * KL(softmax(teacher/T) || softmax(student/T)) along the
// last axis. `teacher` holds `rows` rows of the student's row shape.
LossResult kd_kl_loss(const Tensor& student, const Tensor& teacher, int64_t rows, double temperature);

// weight * mean over a row's elements of (student - teacher)^2.
LossResult mse_loss(const Tensor& student, const Tensor& teacher, int64_t rows, double weight);

// -log softmax(student)[label] along the last axis; one label per row (rows = labels.size()),
// applied at every position of the row.
LossResult cross_entropy_loss(const Tensor& student, const std::vector<int64_t>& labels);

// Index of the largest value of row `row`'s first position along the last axis.
int64_t argmax_row(const Tensor& t, int64_t row);

// Spread of `logits` (rows of classes along the last axis): the mean over rows and
// positions of the standard deviation across classes. Distillation's default temperature.
double logit_spread(const Tensor& logits, int64_t rows);

}  // namespace edge::train
