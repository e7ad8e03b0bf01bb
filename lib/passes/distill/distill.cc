// distill: knowledge distillation / mask-preserving fine-tuning on the ONNX graph.
//
// Before: student S (e.g. pruned to 90 %), teacher T (the pipeline's input model)
// After:  S with its float32 initializers trained so that S(x) matches T(x) on the training
//         data; pruned weights (metadata "edge.pruned") stay exactly zero; graph unchanged.
//
// Defaults are read off the teacher: temperature=0 means T = the teacher's logit spread
// (mean over samples of the std of its logits across classes), so soft targets are soft
// whatever the logits' scale (mnist-8's are in the thousands); loss=mse divides by the
// spread squared, for the same reason.
#include <cmath>

#include "data/evaluate.h"
#include "ir/status.h"
#include "ir/text_util.h"
#include "passes/distill/distill_augment.h"
#include "passes/distill/distill_data.h"
#include "passes/distill/distill_gradual.h"
#include "passes/distill/distill_objective.h"
#include "passes/distill/distill_pass.h"
#include "passes/distill/distill_report.h"
#include "passes/distill/training_stage.h"
#include "passes/prune/prune_record.h"
#include "passes/prune/prune_stage.h"
#include "train/loss.h"
#include "train/params.h"
#include "train/trainer.h"

namespace edge::pass {

using namespace distill;

const char* Distill::summary() {
  return "knowledge distillation / fine-tuning of the current model (or student=PATH) against the input model "
         "(or teacher=PATH) on --train-data; pruned weights stay zero; per-epoch loss and accuracy in the report";
}

std::vector<OptionSpec> Distill::options() {
  OptionSpec lr{"lr", OptionType::kFloat, "0.01", "peak learning rate", {}, 0, 10};
  lr.exclusive_min = true;
  std::vector<OptionSpec> out = {
      {"teacher", OptionType::kString, "original", "original (the pipeline's input model) or a model path", {}},
      {"epochs", OptionType::kInt, "20", "passes over the training data", {}, 0, 100000},
      lr,
  };
  for (auto& o : shared_training_options()) out.push_back(std::move(o));
  const std::vector<OptionSpec> own = {
      {"loss",
       OptionType::kString,
       "kl",
       "kl: KL(soft teacher || soft student)*T^2; mse: MSE on logits / spread^2",
       {"kl", "mse"}},
      {"student",
       OptionType::kString,
       "",
       "train this model instead of the pipeline's current one (it becomes the result)",
       {}},
      {"hints",
       OptionType::kString,
       "",
       "intermediate values matched by MSE: NAME (same name in both) or STUDENT:TEACHER, comma list",
       {}},
      {"hint_weight",
       OptionType::kFloat,
       "1",
       "weight of each hint loss (relative to the teacher value's mean square)",
       {},
       0,
       1e6},
      {"warmup", OptionType::kInt, "0", "epochs of linear learning-rate warm-up", {}, 0, 100000},
      {"step_epochs", OptionType::kInt, "10", "schedule=step: epochs between decays (x0.1)", {}, 1, 100000},
      {"params",
       OptionType::kString,
       "",
       "trainable initializers: names or re:REGEX, comma list; empty = every float32 initializer a gradient reaches",
       {}},
      {"augment",
       OptionType::kInt,
       "0",
       "variants of each training sample the teacher labels too (shifted, flipped, mixed; held in memory); 0 = none",
       {},
       0,
       100},
      {"shift",
       OptionType::kInt,
       "2",
       "augment: largest shift in pixels of image-shaped samples (zero fill)",
       {},
       0,
       64},
      {"flip", OptionType::kBool, "false", "augment: mirror left-right half of the time (not for digits or text)", {}},
      {"mixup",
       OptionType::kBool,
       "true",
       "augment: every other variant is a random mix of two samples (unlabelled data only)",
       {}},
      {"gradual",
       OptionType::kInt,
       "0",
       "epochs over which weights pruned by magnitude go from the input model's dense values back to the prune "
       "stage's sparsity (cubic schedule, smallest magnitudes first), then fine-tune with the mask fixed; 0 = the "
       "prune stage's mask from the first step",
       {},
       0,
       100000},
  };
  out.insert(out.end(), own.begin(), own.end());
  return out;
}

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

// Top-1 on the labelled evaluation data after every epoch (reported, never used to choose).
class EvalEachEpoch {
 public:
  EvalEachEpoch(const Model& student, PassContext& ctx) : ctx_(ctx) {
    if (ctx.eval.empty()) return;
    labels_ = ctx.labels(ctx.eval);
    auto data = ctx.open(ctx.eval);
    if (!labels_ && !data->embedded_labels()) return;
    // Unfused: set_weight must reach every trained initializer, and a Conv+BatchNormalization
    // fusion folds the BN parameters into the Conv's weights when the session is prepared.
    rt::SessionOptions so = ctx.session_options;
    so.fuse = false;
    session_ = rt::Session::create(student, so);
  }
  bool active() const { return session_ != nullptr; }
  std::optional<double> operator()(const train::TrainGraph& g) {
    for (size_t k = 0; k < g.params().size(); ++k) session_->set_weight(g.param_names()[k], g.params()[k]);
    auto data = ctx_.open(ctx_.eval);
    data::EvalOptions eo;
    eo.batch = ctx_.eval.batch;
    return data::evaluate(*session_, *data, labels_ ? &*labels_ : nullptr, nullptr, eo).top1;
  }

 private:
  PassContext& ctx_;
  std::optional<data::Labels> labels_;
  std::unique_ptr<rt::Session> session_;
};

}  // namespace

void Distill::run(Model& model, PassContext& ctx) {
  const std::string who = "distill";
  TrainingSet set = read_training_set(ctx, who);
  const std::string teacher_opt = opts_.get_string("teacher");
  Model teacher_file, student_file;
  const Model* teacher = ctx.original;
  if (teacher_opt != "original") {
    teacher_file = load_model(teacher_opt);
    teacher = &teacher_file;
  }
  if (!teacher) fail_internal("distill: no original model in the context");
  const bool own_student = !opts_.get_string("student").empty();
  if (own_student) student_file = load_model(opts_.get_string("student"));
  Model& student = own_student ? student_file : model;
  check_same_inputs(*teacher, student);

  std::vector<std::string> hint_student, hint_teacher;
  for (const auto& h : split_list(opts_.get_string("hints"))) {
    const size_t colon = h.find(':');
    hint_student.push_back(colon == std::string::npos ? h : h.substr(0, colon));
    hint_teacher.push_back(colon == std::string::npos ? h : h.substr(colon + 1));
  }
  const int64_t batch = opts_.get_int("batch");
  // Validation: a seeded share of the samples; the rest trains, with its augmented variants.
  ValidationSplit split = split_validation(set.size(), opts_, ctx.seed(), who);
  AugmentOptions aug;
  aug.copies = static_cast<int>(opts_.get_int("augment"));
  aug.shift = static_cast<int>(opts_.get_int("shift"));
  aug.flip = opts_.get_bool("flip");
  aug.mixup = opts_.get_bool("mixup");
  aug.layout = ctx.train.options.pre.layout;
  const int64_t augmented = augment_training_set(set, split.train, aug, ctx.seed());
  const TeacherRows teacher_rows = run_teacher(*teacher, set, hint_teacher, batch, ctx);

  const train::ParamSelection sel = train::select_params(student, split_list(opts_.get_string("params")));
  if (sel.trainable.empty()) fail(student.name() + ": no float32 initializer to train");
  train::TrainGraphOptions gopts;
  gopts.backends = ctx.session_options.backends;
  gopts.extra_seeds = hint_student;
  train::TrainGraph graph(student, sel.trainable, gopts);

  ObjectiveConfig oc = objective_from_teacher(teacher_rows, set.size(), opts_.get_string("loss") == "kl",
                                              opts_.get_float("temperature"), opts_.get_float("alpha"));
  oc.hint_student = hint_student;
  for (const auto& h : teacher_rows.hints)
    oc.hint_weight.push_back(opts_.get_float("hint_weight") / std::max(mean_square(h), 1e-12));
  DistillObjective objective(teacher_rows, set.labels, graph.output_names(), oc);

  StudentFeeds feeds(student, set, batch, ctx);
  // Shapes are checked on one sample before any training.
  {
    train::Tape tape;
    graph.forward(feeds.feeds({0}), tape);
    objective.loss(graph, tape, {0}, nullptr);
  }

  train::TrainerOptions to = trainer_options(opts_, batch, ctx.seed(), who);
  to.run_rows = feeds.run_rows();
  to.warmup_epochs = opts_.get_int("warmup");
  const auto steps_per_epoch = (static_cast<int64_t>(split.train.size()) + batch - 1) / batch;
  to.schedule.step_every = opts_.get_int("step_epochs") * steps_per_epoch;

  std::vector<Tensor> initial;
  for (const auto& p : graph.params()) initial.push_back(p.clone());
  // Masks: what the prune stages zeroed stays zero (gradual=E: reached again over E epochs).
  const auto pruned = prune::read_pruned(student);
  const int64_t gradual = opts_.get_int("gradual");
  if (gradual > to.epochs) {
    fail(who + ": gradual=" + std::to_string(gradual) + " is more than epochs=" + std::to_string(to.epochs));
  }
  GradualPlan plan;
  if (gradual > 0 && ctx.original) {
    plan = plan_gradual(*ctx.original, pruned, graph, gradual * steps_per_epoch - 1);
    if (plan.schedule) to.first_selectable_epoch = static_cast<int>(gradual);
  }
  train::Trainer trainer(graph, to);
  std::vector<std::string> masked;
  for (size_t k = 0; k < graph.param_names().size(); ++k) {
    if (!pruned.count(graph.param_names()[k])) continue;
    trainer.set_mask(graph.param_names()[k], train::zero_mask(graph.params()[k]));
    masked.push_back(graph.param_names()[k]);
  }
  attach_gradual(plan, trainer, graph);

  EvalEachEpoch eval_each(student, ctx);
  if (eval_each.active()) trainer.epoch_metric = [&](const train::TrainGraph& g) { return eval_each(g); };
  const std::string metric_name = set.labels ? "val top-1" : "val agreement";
  trainer.on_progress = progress_reporter(who, ctx, to.epochs, metric_name, set.labels.has_value());
  const train::TrainResult result = trainer.fit(
      split.train, split.val, [&](const std::vector<int64_t>& idx) { return feeds.feeds(idx); }, objective);
  finish_gradual(plan, graph);

  for (size_t k = 0; k < graph.param_names().size(); ++k)
    prune::write_weight(student, graph.param_names()[k], graph.params()[k]);
  if (own_student) model = std::move(student_file);

  DistillSummary summary;
  summary.run = training_run(result, oc, set, split, metric_name);
  summary.teacher_seconds = teacher_rows.seconds;
  summary.augmented = augmented;
  summary.frozen = sel.frozen;
  summary.masked = masked;
  summary.gradual_epochs = plan.schedule ? gradual : 0;
  summary.gradual = plan.restored;
  summary.gradual_kept = plan.kept;
  summary.gradual_updates = plan.updates;
  report_distill(model, graph, initial, summary, ctx);
}

}  // namespace edge::pass
