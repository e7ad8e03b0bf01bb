// Learning-rate schedules: constant, step decay and cosine decay, each after an optional
// linear warm-up. Steps count optimizer updates from 0.
#pragma once

#include <cstdint>
#include <string>

namespace edge::train {

enum class ScheduleKind { kConstant, kStep, kCosine };

struct ScheduleOptions {
  ScheduleKind kind = ScheduleKind::kCosine;
  double lr = 1e-2;           // peak learning rate (reached at the end of warm-up)
  int64_t warmup_steps = 0;   // linear ramp from lr/warmup_steps up to lr
  int64_t total_steps = 1;    // cosine: decays to min_lr at this step
  int64_t step_every = 1;     // step: multiply by gamma every step_every steps after warm-up
  double gamma = 0.1;         // step
  double min_lr = 0;          // cosine floor
};

// "constant", "step", "cosine" -> kind; throws edge::Error naming `what` otherwise.
ScheduleKind parse_schedule(const std::string& name, const std::string& what);
const char* schedule_name(ScheduleKind kind);

// Learning rate for update `step` (0-based).
double learning_rate(const ScheduleOptions& s, int64_t step);

}  // namespace edge::train
