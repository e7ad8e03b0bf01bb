// qat: quantization-aware training of a QDQ model.
//
// Before: the QDQ model (int8 weights, int32 biases, Q/DQ pairs on activations) and a float
//         teacher (the model the last quantize stage started from, else the pipeline's input,
//         or teacher=PATH)
// After:  the same graph, node for node, with int8 weights, int32 biases and (learn_scales=1)
//         scales trained so that its outputs match the teacher's on the training data; zero
//         points unchanged.
//
// Training runs on a float copy (qat_model.h) whose forward is the QDQ model's; the distill
// objective (KL with T from the teacher's logit spread, or MSE; cross-entropy with labels),
// the teacher's rows and the feeds are the distill pass's. The epoch kept is the one with
// the lowest validation loss (epoch 0, the model as given, when none is better).
#include <cmath>

#include "data/evaluate.h"
#include "ir/status.h"
#include "passes/distill/distill_data.h"
#include "passes/distill/distill_objective.h"
#include "passes/distill/qat_model.h"
#include "passes/distill/qat_pass.h"
#include "passes/distill/qat_report.h"
#include "passes/distill/training_stage.h"
#include "train/loss.h"
#include "train/trainer.h"

namespace edge::pass {

using namespace distill;

const char* Qat::summary() {
  return "quantization-aware training of a QDQ model (after quantize-static, or a QDQ file): weights fake-quantized "
         "with their scales (STE), scales learned with learn_scales=1, against the float model on --train-data (else "
         "--calib-data); writes back the same QDQ graph";
}

std::vector<OptionSpec> Qat::options() {
  OptionSpec lr{"lr", OptionType::kFloat, "0.0001", "peak learning rate of the weights and biases", {}, 0, 10};
  lr.exclusive_min = true;
  std::vector<OptionSpec> out = {
      {"teacher",
       OptionType::kString,
       "original",
       "original (the float model the last quantize stage started from, else the pipeline's input) or a model path",
       {}},
      {"epochs", OptionType::kInt, "5", "passes over the training data", {}, 0, 100000},
      {"learn_scales", OptionType::kBool, "false", "also train the weight and activation scales (LSQ step sizes)", {}},
      {"scale_lr",
       OptionType::kFloat,
       "0.0001",
       "learn_scales=1: relative change of a scale per step at full learning rate (scales train as S0*exp(t))",
       {},
       0,
       1},
      lr,
  };
  for (auto& o : shared_training_options()) out.push_back(std::move(o));
  const std::vector<OptionSpec> own = {
      {"loss",
       OptionType::kString,
       "mse",
       "mse: MSE on logits / spread^2 (matches the float logits; measured best); kl: KL*T^2",
       {"kl", "mse"}},
  };
  out.insert(out.end(), own.begin(), own.end());
  return out;
}

namespace {

// Points ctx.train at the calibration data for the stage when no training data is given.
class TrainingDataScope {
 public:
  explicit TrainingDataScope(PassContext& ctx) : ctx_(ctx), saved_(ctx.train) {
    if (!ctx.train.empty()) return;
    if (ctx.calib.empty()) {
      fail(
          "qat needs training data: give --train-data (or data.train in the recipe), or --calib-data, which is used "
          "when no training data is given; labels are optional");
    }
    ctx.train = ctx.calib;
    from_calib_ = true;
  }
  ~TrainingDataScope() { ctx_.train = saved_; }
  TrainingDataScope(const TrainingDataScope&) = delete;
  TrainingDataScope& operator=(const TrainingDataScope&) = delete;
  bool from_calib() const { return from_calib_; }

 private:
  PassContext& ctx_;
  DataSpec saved_;
  bool from_calib_ = false;
};

bool has_qdq(const Model& m) {
  for (const auto& n : m.graph().node()) {
    if (n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear") return true;
  }
  return false;
}

std::map<std::string, Tensor> param_values(const train::TrainGraph& g) {
  std::map<std::string, Tensor> v;
  for (size_t k = 0; k < g.param_names().size(); ++k) v[g.param_names()[k]] = g.params()[k];
  return v;
}

}  // namespace

void Qat::run(Model& model, PassContext& ctx) {
  const qat::QatPlan plan = qat::analyze_qdq(model);  // refuses a model without Q/DQ
  TrainingDataScope data_scope(ctx);
  qat::QatNotes notes;
  if (data_scope.from_calib()) {
    notes.lines.push_back("no training data given: trained on the calibration data (" + ctx.train.path.string() + ")");
    ctx.log().info("qat: {}", notes.lines.back());
  }
  TrainingSet set = read_training_set(ctx, "qat");

  Model teacher_file;
  const Model* teacher = ctx.quantized_from ? ctx.quantized_from.get() : ctx.original;
  if (opts_.get_string("teacher") != "original") {
    teacher_file = load_model(opts_.get_string("teacher"));
    teacher = &teacher_file;
  }
  if (!teacher) fail_internal("qat: no original model in the context");
  if (has_qdq(*teacher)) {
    notes.lines.push_back("warning: the teacher (" + teacher->name() +
                          ") is itself quantized (no quantize stage ran in this pipeline): give teacher=PATH of the "
                          "float model");
    ctx.log().warn("qat: {}", notes.lines.back());
  }
  check_same_inputs(*teacher, model);

  const bool learn_scales = opts_.get_bool("learn_scales");
  const double lr = opts_.get_float("lr");
  const qat::TrainingCopy copy =
      qat::make_training_copy(model, plan, learn_scales, learn_scales ? opts_.get_float("scale_lr") / lr : 0);
  const int64_t batch = opts_.get_int("batch");
  const TeacherRows teacher_rows = run_teacher(*teacher, set, {}, batch, ctx);

  train::TrainGraphOptions gopts;
  gopts.backends = ctx.session_options.backends;
  train::TrainGraph graph(copy.model, copy.params, gopts);

  const ObjectiveConfig oc = objective_from_teacher(teacher_rows, set.size(), opts_.get_string("loss") == "kl",
                                                    opts_.get_float("temperature"), opts_.get_float("alpha"));
  DistillObjective objective(teacher_rows, set.labels, graph.output_names(), oc);
  StudentFeeds feeds(copy.model, set, batch, ctx);

  train::TrainerOptions to = trainer_options(opts_, batch, ctx.seed(), "qat");
  to.run_rows = feeds.run_rows();
  train::Trainer trainer(graph, to);

  const ValidationSplit split = split_validation(set.size(), opts_, ctx.seed(), "qat");

  // Top-1 of the written-back QDQ model (edge-run's integer kernels) on labelled eval data.
  std::optional<data::Labels> eval_labels;
  bool eval_on = false;
  if (!ctx.eval.empty()) {
    eval_labels = ctx.labels(ctx.eval);
    eval_on = eval_labels || ctx.open(ctx.eval)->embedded_labels();
  }
  if (eval_on) {
    trainer.epoch_metric = [&](const train::TrainGraph& g) -> std::optional<double> {
      Model trial = model;
      qat::write_back(trial, plan, copy, param_values(g));
      auto session = ctx.make_session(trial);
      auto data = ctx.open(ctx.eval);
      data::EvalOptions eo;
      eo.batch = ctx.eval.batch;
      return data::evaluate(*session, *data, eval_labels ? &*eval_labels : nullptr, nullptr, eo).top1;
    };
  }
  const std::string metric_name = set.labels ? "val top-1" : "val agreement";
  trainer.on_progress = progress_reporter("qat", ctx, to.epochs, metric_name, set.labels.has_value());
  const train::TrainResult result = trainer.fit(
      split.train, split.val, [&](const std::vector<int64_t>& idx) { return feeds.feeds(idx); }, objective);

  const qat::WriteBackStats stats = qat::write_back(model, plan, copy, param_values(graph));

  qat::QatSummary summary;
  summary.run = training_run(result, oc, set, split, metric_name);
  summary.plan = &plan;
  summary.stats = &stats;
  summary.learn_scales = learn_scales;
  qat::report_qat(summary, notes, ctx);
}

}  // namespace edge::pass
