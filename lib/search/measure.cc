#include "search/measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "data/batcher.h"
#include "data/evaluate.h"
#include "ir/dtype.h"
#include "ir/tensor_proto.h"

namespace edge::search {

namespace {
using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())) - 1));
  return v[k];
}
}  // namespace

uint64_t initializer_bytes(const Model& m) {
  uint64_t total = 0;
  for (const auto& t : m.graph().initializer()) {
    const DType d = dtype_from_onnx(t.data_type());
    const size_t es = d == DType::kUndefined ? 1 : dtype_size(d);
    total += static_cast<uint64_t>(proto_numel(t, t.name())) * es;
  }
  return total;
}

Measurer::Measurer(const SearchOptions& opts, const Model& original) : opts_(opts), original_(original), eval_(opts.eval) {
  reference_ = rt::Session::create(original_, session_options(false));
  if (!eval_.empty()) eval_.options = data::options_for_model(eval_.path, eval_.options, *reference_);
}

rt::SessionOptions Measurer::session_options(bool profile) const {
  rt::SessionOptions so;
  so.threads = opts_.threads;
  so.input_shapes = opts_.input_shapes;
  so.profile = profile;
  return so;
}

Metrics Measurer::measure(const Model& model) const {
  const Model m = as_loaded(model);
  Metrics out;
  {
    auto s = rt::Session::create(m, session_options(false));
    auto feeds = rt::random_feeds(*s, opts_.seed);
    for (int i = 0; i < std::max(1, opts_.warmup_runs); ++i) s->run(feeds);
    std::vector<double> times;
    for (int i = 0; i < std::max(1, opts_.timed_runs); ++i) {
      auto t0 = Clock::now();
      s->run(feeds);
      times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    out.latency_ms = percentile(times, 0.5);
    out.p99_ms = percentile(times, 0.99);
    out.peak_memory_bytes = static_cast<uint64_t>(s->arena_bytes()) + initializer_bytes(m);
  }
  if (!eval_.empty()) {
    auto s = rt::Session::create(m, session_options(false));
    auto d = data::open_dataset(eval_.path, eval_.options);
    std::optional<data::Labels> labels;
    if (!eval_.labels.empty()) labels = data::open_labels(eval_.labels);
    data::EvalOptions eo;
    eo.batch = eval_.batch;
    eo.limit = eval_.limit;  // evaluate() sets the dataset's limit from this
    auto r = data::evaluate(*s, *d, labels ? &*labels : nullptr, reference_.get(), eo);
    if (r.has_labels) out.top1 = r.top1;
    out.agreement = r.has_reference ? r.agreement_top1 : 1.0;
  }
  return out;
}

std::map<std::string, LayerTime> Measurer::layer_times(const Model& m) const {
  auto s = rt::Session::create(as_loaded(m), session_options(true));
  auto feeds = rt::random_feeds(*s, opts_.seed);
  for (int i = 0; i < std::max(1, opts_.warmup_runs); ++i) s->run(feeds);
  // Each node's fastest run: a run preempted by another process only raises some samples.
  std::map<std::string, LayerTime> out;
  for (int i = 0; i < std::max(1, opts_.timed_runs); ++i) {
    s->reset_profile();
    s->run(feeds);
    for (const auto& p : s->profile()) {
      if (p.depth != 0 || p.calls == 0 || p.name.empty()) continue;
      auto [it, fresh] = out.try_emplace(p.name, LayerTime{p.op, p.kernel, p.total_ms});
      if (!fresh) it->second.ms = std::min(it->second.ms, p.total_ms);
    }
  }
  return out;
}

}  // namespace edge::search
