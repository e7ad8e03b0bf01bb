// distill: trains the pipeline's current model (the student: fine-tuning after prune or
// quantize), or a student given by path, against a teacher (the pipeline's input model by
// default) on the training data, with lib/train. docs/distillation.md.
#pragma once

#include "pass/context.h"
#include "pass/pass.h"

namespace edge::pass {

class Distill : public Pass {
 public:
  explicit Distill(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

}  // namespace edge::pass
