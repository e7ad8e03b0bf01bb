// compressor eval: accuracy of a model on a dataset (top-1/top-5 against labels), agreement
// with a reference model (top-1 agreement, cosine, abs error), and throughput, as text or
// JSON (schema: docs/eval-schema.md). The numbers come from data::evaluate, the function
// the compressor's accuracy gates call.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "../common/app_util.h"
#include "../common/data_flags.h"
#include "commands.h"
#include "data/evaluate.h"

namespace edge::app {

namespace {
struct EvalCliOptions {
  std::string model, reference, output;
  std::string format = "text";
  int threads = 1;
  DataFlags data;
  std::vector<std::string> shapes;
};

nlohmann::ordered_json to_json(const data::EvalResult& r, const EvalCliOptions& o, const data::Dataset& d) {
  nlohmann::ordered_json j;
  j["schema"] = "edge.eval/1";
  j["model"] = o.model;
  j["data"] = d.source();
  j["data_format"] = d.format();
  j["labels"] = o.data.labels.empty() ? (d.embedded_labels() ? nlohmann::ordered_json(d.embedded_labels()->source())
                                                              : nlohmann::ordered_json(nullptr))
                                      : nlohmann::ordered_json(o.data.labels);
  j["reference"] = o.reference.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.reference);
  j["output"] = r.output;
  j["classes"] = r.classes;
  j["positions"] = r.positions;
  j["samples"] = r.samples;
  j["batch"] = r.batch;
  auto opt = [](bool has, double v) { return has ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr); };
  j["top1"] = opt(r.has_labels, r.top1);
  j["top5"] = opt(r.has_top5, r.top5);
  j["agreement_top1"] = opt(r.has_reference, r.agreement_top1);
  j["cosine"] = opt(r.has_reference, r.cosine);
  j["max_abs_error"] = opt(r.has_reference, r.max_abs_error);
  j["mean_abs_error"] = opt(r.has_reference, r.mean_abs_error);
  j["throughput"] = r.throughput;
  j["model_seconds"] = r.model_seconds;
  j["wall_seconds"] = r.wall_seconds;
  j["threads"] = o.threads;
  return j;
}

int eval(const EvalCliOptions& o) {
  rt::SessionOptions so;
  so.threads = o.threads;
  so.input_shapes = parse_shape_specs(o.shapes);
  auto model = rt::Session::create(load_model(o.model), so);
  std::unique_ptr<rt::Session> reference;
  if (!o.reference.empty()) {
    try {
      reference = rt::Session::create(load_model(o.reference), so);
    } catch (const Error& e) {
      throw Error(e.code(), std::string("--reference ") + e.what());
    }
  }
  OpenedData d = open_data(o.data, *model);
  data::EvalOptions eo;
  eo.batch = o.data.batch;
  eo.limit = o.data.limit;
  eo.output = o.output;
  data::EvalResult r = data::evaluate(*model, *d.dataset, d.labels ? &*d.labels : nullptr, reference.get(), eo);
  if (o.data.batch > 1 && r.batch != o.data.batch) {
    std::fprintf(stderr, "compressor: note: --batch %lld ignored: the model's batch dim is fixed to %lld\n",
                 static_cast<long long>(o.data.batch), static_cast<long long>(r.batch));
  }
  if (o.format == "json") {
    std::printf("%s\n", json_text(to_json(r, o, *d.dataset)).c_str());
    return 0;
  }
  std::printf("model:     %s\n", o.model.c_str());
  std::printf("data:      %s (%s), %lld samples, batch %lld, output '%s' (%lld values)\n", d.dataset->source().c_str(),
              d.dataset->format().c_str(), static_cast<long long>(r.samples), static_cast<long long>(r.batch),
              r.output.c_str(), static_cast<long long>(r.classes));
  if (r.has_labels) {
    std::printf("top-1:     %.2f%%\n", 100 * r.top1);
    if (r.has_top5) std::printf("top-5:     %.2f%%\n", 100 * r.top5);
  }
  if (r.has_reference) {
    std::printf("reference: %s\n", o.reference.c_str());
    std::printf("agreement: %.2f%% top-1%s, cosine %.6f, max abs error %.4g, mean abs error %.4g\n", 100 * r.agreement_top1,
                r.positions > 1 ? (" over " + std::to_string(r.positions) + " rows a sample").c_str() : "", r.cosine,
                r.max_abs_error, r.mean_abs_error);
  }
  if (!r.has_labels && !r.has_reference) std::printf("note:      no --labels and no --reference: only throughput measured\n");
  std::printf("speed:     %.1f samples/s (%.3f s in the model, %.3f s wall, %d thread(s))\n", r.throughput,
              r.model_seconds, r.wall_seconds, o.threads);
  return 0;
}
}  // namespace

void add_eval_command(CLI::App& root, Action& action) {
  auto o = std::make_shared<EvalCliOptions>();
  auto* c = root.add_subcommand("eval", "Accuracy on a dataset (with --labels) or agreement with a --reference model");
  c->add_option("model", o->model, "ONNX model file")->required();
  add_data_flags(c, o->data);
  c->add_option("--reference", o->reference, "Reference model (e.g. the original) to compare outputs with");
  c->add_option("--output", o->output, "Scored output name (default: the first output)");
  c->add_option("--format,-f", o->format, "text or json (schema: docs/eval-schema.md)")
      ->check(CLI::IsMember({"text", "json"}));
  c->add_option("--threads", o->threads, "Intra-op threads")->check(CLI::Range(1, 1024));
  c->add_option("--shape", o->shapes, "Fix a dynamic input shape: NAME:1x3x224x224; repeatable");
  c->callback([o, &action] { action = [o] { return eval(*o); }; });
}

}  // namespace edge::app
