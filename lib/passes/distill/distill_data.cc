#include "passes/distill/distill_data.h"

#include <chrono>
#include <cstring>
#include <map>
#include <set>

#include "ir/status.h"
#include "runtime/session.h"

namespace edge::pass::distill {

std::vector<DataInput> data_inputs(const Model& m) {
  std::set<std::string> inits;
  for (const auto& i : m.graph().initializer()) inits.insert(i.name());
  std::vector<DataInput> out;
  for (const auto& in : m.graph().input()) {
    if (inits.count(in.name())) continue;
    DataInput d;
    d.name = in.name();
    const rt::ValueDesc v = rt::describe_value(in);
    d.dtype = v.dtype;
    if (v.has_shape) {
      for (size_t k = 0; k < v.shape.size(); ++k) d.dims.push_back(v.dim_params[k].empty() ? v.shape[k] : -1);
    }
    out.push_back(std::move(d));
  }
  return out;
}

void check_same_inputs(const Model& teacher, const Model& student) {
  const auto t = data_inputs(teacher), s = data_inputs(student);
  const auto list = [](const std::vector<DataInput>& v) {
    std::string r;
    for (const auto& d : v) r += (r.empty() ? "" : ", ") + d.name;
    return r;
  };
  if (t.size() != s.size()) {
    fail("the teacher's inputs (" + list(t) + ") differ from the student's (" + list(s) + ")");
  }
  for (size_t i = 0; i < t.size(); ++i) {
    const std::string where = "input " + std::to_string(i) + " ('" + t[i].name + "' of the teacher, '" + s[i].name +
                              "' of the student)";
    if (t[i].name != s[i].name) fail("the teacher's inputs (" + list(t) + ") differ from the student's (" + list(s) + ")");
    if (t[i].dtype != s[i].dtype) fail(where + ": element types differ");
    if (t[i].dims.empty() || s[i].dims.empty()) continue;
    bool same = t[i].dims.size() == s[i].dims.size();
    for (size_t k = 1; same && k < t[i].dims.size(); ++k) {
      same = t[i].dims[k] < 0 || s[i].dims[k] < 0 || t[i].dims[k] == s[i].dims[k];
    }
    if (!same) fail(where + ": shapes differ");
  }
}

TrainingSet read_training_set(PassContext& ctx, const std::string& who) {
  if (ctx.train.empty()) {
    fail(who + " needs training data: give --train-data (or data.train in the recipe); labels are optional");
  }
  auto data = ctx.open(ctx.train);
  TrainingSet set;
  set.source = data->source();
  const int64_t n = data->count();
  if (n == 0) fail(set.source + ": the training data holds no samples");
  set.samples.reserve(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) set.samples.push_back(data->read(data->index_at(k)));
  std::optional<data::Labels> labels = ctx.labels(ctx.train);
  if (!labels && data->embedded_labels()) labels = *data->embedded_labels();
  if (labels) {
    data::check_labels(*data, *labels);
    std::vector<int64_t> v;
    for (int64_t k = 0; k < n; ++k) v.push_back(labels->at(data->index_at(k)));
    set.labels = data::Labels(std::move(v), labels->source());
  }
  return set;
}

Tensor gather_rows(const Tensor& rows, const std::vector<int64_t>& idx) {
  Shape shape = rows.shape();
  const int64_t row_elems = rows.numel() / shape[0];
  shape[0] = static_cast<int64_t>(idx.size());
  Tensor out(DType::kFloat, shape);
  for (size_t r = 0; r < idx.size(); ++r) {
    std::memcpy(out.data<float>() + static_cast<int64_t>(r) * row_elems, rows.data<float>() + idx[r] * row_elems,
                static_cast<size_t>(row_elems) * sizeof(float));
  }
  return out;
}

namespace {

// Copies the first `n` rows of `value` into rows [at, at + n) of `dst` (allocated on first use
// for `total` rows of value's row shape).
void put_rows(Tensor& dst, const Tensor& value, int64_t at, int64_t n, int64_t total, const std::string& what) {
  if (value.dtype() != DType::kFloat) fail("the teacher's " + what + " is " + value.describe() + ", not float32");
  if (value.rank() < 1 || value.dim(0) < n) {
    fail("the teacher's " + what + " " + value.describe() + " has no batch dim of " + std::to_string(n) + " rows");
  }
  const int64_t row_elems = value.numel() / value.dim(0);
  if (!dst.defined()) {
    Shape s = value.shape();
    s[0] = total;
    dst = Tensor(DType::kFloat, s);
  }
  if (dst.numel() / total != row_elems) {
    fail("the teacher's " + what + " changed shape between runs (" + value.describe() + ")");
  }
  std::memcpy(dst.data<float>() + at * row_elems, value.data<float>(), static_cast<size_t>(n * row_elems) * sizeof(float));
}

}  // namespace

TeacherRows run_teacher(const Model& teacher, const TrainingSet& set, const std::vector<std::string>& hints,
                        int64_t batch, PassContext& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  rt::SessionOptions so = ctx.session_options;
  if (!hints.empty()) so.fuse = false;
  auto session = rt::Session::create(teacher, so);
  auto data = ctx.open(ctx.train);
  data::Batcher batcher(*session, *data, batch);
  TeacherRows rows;
  for (const auto& o : session->outputs()) rows.output_names.push_back(o.name);
  rows.outputs.resize(rows.output_names.size());
  rows.hint_names = hints;
  rows.hints.resize(hints.size());
  std::map<std::string, size_t> hint_slot;
  for (size_t k = 0; k < hints.size(); ++k) hint_slot[hints[k]] = k;
  std::vector<Tensor> hint_values(hints.size());
  if (!hints.empty()) {
    session->set_observer([&](const rt::NodeEvent& e) {
      if (e.depth != 0) return;
      for (int o = 0; o < e.node.output_size(); ++o) {
        auto it = hint_slot.find(e.node.output(o));
        if (it != hint_slot.end()) hint_values[it->second] = e.outputs[static_cast<size_t>(o)].clone();
      }
    });
  }
  const int64_t per_run = batcher.batch_size();
  const int64_t n = set.size();
  for (int64_t at = 0; at < n; at += per_run) {
    const int64_t k = std::min(per_run, n - at);
    std::vector<std::vector<Tensor>> samples(set.samples.begin() + at, set.samples.begin() + at + k);
    for (auto& h : hint_values) h = Tensor();
    const rt::NamedTensors out = session->run(batcher.stack(samples));
    for (size_t o = 0; o < out.size(); ++o) put_rows(rows.outputs[o], out[o].second, at, k, n, "output '" + out[o].first + "'");
    for (size_t h = 0; h < hints.size(); ++h) {
      if (!hint_values[h].defined()) fail("hint '" + hints[h] + "' is not a value the teacher computes");
      put_rows(rows.hints[h], hint_values[h], at, k, n, "hint value '" + hints[h] + "'");
    }
    if (ctx.progress) ctx.progress("distill: teacher outputs", at + k, n);
  }
  rows.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rows;
}

StudentFeeds::StudentFeeds(const Model& student, const TrainingSet& set, int64_t batch, PassContext& ctx) : set_(set) {
  session_ = ctx.make_session(student);
  auto data = ctx.open(ctx.train);
  batcher_ = std::make_unique<data::Batcher>(*session_, *data, std::max<int64_t>(2, batch));
  // A dynamic batch dim takes what it is given; a fixed one stays at its size.
  run_rows_ = batcher_->batch_size() == std::max<int64_t>(2, batch) ? 0 : batcher_->batch_size();
}

rt::NamedTensors StudentFeeds::feeds(const std::vector<int64_t>& idx) const {
  std::vector<std::vector<Tensor>> samples;
  samples.reserve(idx.size());
  for (int64_t i : idx) samples.push_back(set_.samples[static_cast<size_t>(i)]);
  return batcher_->stack(samples);
}

}  // namespace edge::pass::distill
