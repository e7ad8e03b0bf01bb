#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ir/status.h"

namespace edge::train {

ScheduleKind parse_schedule(const std::string& name, const std::string& what) {
  if (name == "constant") return ScheduleKind::kConstant;
  if (name == "step") return ScheduleKind::kStep;
  if (name == "cosine") return ScheduleKind::kCosine;
  fail(what + ": unknown schedule '" + name + "' (constant, step or cosine)");
}

const char* schedule_name(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::kConstant: return "constant";
    case ScheduleKind::kStep: return "step";
    case ScheduleKind::kCosine: return "cosine";
  }
  return "?";
}

double learning_rate(const ScheduleOptions& s, int64_t step) {
  if (step < s.warmup_steps) return s.lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
  const int64_t t = step - s.warmup_steps;
  switch (s.kind) {
    case ScheduleKind::kConstant: return s.lr;
    case ScheduleKind::kStep: return s.lr * std::pow(s.gamma, static_cast<double>(t / std::max<int64_t>(1, s.step_every)));
    case ScheduleKind::kCosine: {
      const int64_t span = std::max<int64_t>(1, s.total_steps - s.warmup_steps);
      const double x = std::min(1.0, static_cast<double>(t) / static_cast<double>(span));
      return s.min_lr + (s.lr - s.min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * x));
    }
  }
  return s.lr;
}

}  // namespace edge::train
