#include "data/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "data/batcher.h"

namespace edge::data {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Index of the output named `name` ("" = first).
size_t output_index(const rt::Session& s, const std::string& name, const std::string& what) {
  if (s.outputs().empty()) fail(what + ": the model has no outputs");
  if (name.empty()) return 0;
  std::string names;
  for (size_t i = 0; i < s.outputs().size(); ++i) {
    if (s.outputs()[i].name == name) return i;
    names += (i ? ", '" : "'") + s.outputs()[i].name + "'";
  }
  fail(what + ": no output named '" + name + "'; its outputs are " + names);
}

// Runs a session over `samples` in batches; returns the scored output's values, one row per
// sample (padding rows dropped), and adds the time spent in run() to *seconds. *row_len is
// the length of the output's last axis per sample when a sample has several rows (a
// [N, positions, K] output: per-position scores), else the whole per-sample length.
std::vector<std::vector<float>> run_rows(rt::Session& s, const Batcher& b, size_t out_index,
                                         const std::vector<std::vector<Tensor>>& samples, const std::string& what,
                                         double* seconds, int64_t* row_len) {
  std::vector<std::vector<float>> rows;
  for (size_t start = 0; start < samples.size(); start += static_cast<size_t>(b.batch_size())) {
    size_t end = std::min(samples.size(), start + static_cast<size_t>(b.batch_size()));
    std::vector<std::vector<Tensor>> chunk(samples.begin() + static_cast<std::ptrdiff_t>(start),
                                           samples.begin() + static_cast<std::ptrdiff_t>(end));
    rt::NamedTensors feeds = b.stack(chunk);
    auto t0 = Clock::now();
    rt::NamedTensors outs = s.run(feeds);
    *seconds += seconds_since(t0);
    const Tensor& y = outs.at(out_index).second;
    int64_t n_rows = b.rows_for(static_cast<int64_t>(chunk.size()));
    if (y.numel() % n_rows != 0) {
      fail(what + ": output '" + outs[out_index].first + "' of shape " + shape_str(y.shape()) + " does not split into " +
           std::to_string(n_rows) + " samples");
    }
    std::vector<float> all = y.to_float_vector();
    size_t per = static_cast<size_t>(y.numel() / n_rows);
    const bool batch_leads = y.rank() >= 1 && y.shape()[0] == n_rows;
    *row_len = batch_leads && y.rank() >= 3 && y.shape().back() > 0 ? y.shape().back() : static_cast<int64_t>(per);
    for (size_t r = 0; r < chunk.size(); ++r) rows.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(r * per),
                                                                all.begin() + static_cast<std::ptrdiff_t>((r + 1) * per));
  }
  return rows;
}

size_t argmax(const std::vector<float>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

// Rows of `row_len` values at the same position whose argmax agrees.
int64_t agreeing_rows(const std::vector<float>& a, const std::vector<float>& b, size_t row_len) {
  int64_t same = 0;
  for (size_t start = 0; start + row_len <= a.size(); start += row_len) {
    size_t ia = start, ib = start;
    for (size_t i = start + 1; i < start + row_len; ++i) {
      if (a[i] > a[ia]) ia = i;
      if (b[i] > b[ib]) ib = i;
    }
    same += ia - start == ib - start;
  }
  return same;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na == 0 && nb == 0) return 1.0;
  if (na == 0 || nb == 0) return 0.0;
  return dot / (std::sqrt(na) * std::sqrt(nb));
}

}  // namespace

EvalResult evaluate(rt::Session& model, Dataset& data, const Labels* labels, rt::Session* reference,
                    const EvalOptions& opts) {
  auto wall0 = Clock::now();
  if (!labels) labels = data.embedded_labels();
  if (labels) check_labels(data, *labels);
  data.set_limit(opts.limit);
  Batcher mb(model, data, opts.batch);
  std::unique_ptr<Batcher> rb;
  size_t out_i = output_index(model, opts.output, "model");
  size_t ref_i = 0;
  if (reference) {
    rb = std::make_unique<Batcher>(*reference, data, opts.batch);
    const std::string& name = model.outputs()[out_i].name;
    ref_i = out_i < reference->outputs().size() ? out_i : 0;
    for (size_t i = 0; i < reference->outputs().size(); ++i) {
      if (reference->outputs()[i].name == name) ref_i = i;
    }
  }
  EvalResult r;
  r.batch = mb.batch_size();
  r.output = model.outputs()[out_i].name;
  r.has_labels = labels != nullptr;
  r.has_reference = reference != nullptr;
  int64_t correct1 = 0, correct5 = 0, agree = 0;
  double cos_sum = 0, abs_sum = 0, ref_seconds = 0;
  int64_t abs_count = 0;
  for (;;) {
    std::vector<int64_t> idx = data.next_indices(mb.batch_size());
    if (idx.empty()) break;
    std::vector<std::vector<Tensor>> samples;
    for (int64_t i : idx) samples.push_back(data.read(i));
    int64_t row_len = 0, ref_row_len = 0;
    auto rows = run_rows(model, mb, out_i, samples, "model", &r.model_seconds, &row_len);
    if (opts.progress) opts.progress(data.position(), data.count());
    if (r.classes == 0) {
      r.classes = row_len;
      r.positions = static_cast<int64_t>(rows[0].size()) / std::max<int64_t>(row_len, 1);
      if (labels && r.positions > 1) {
        fail("output '" + r.output + "' holds " + std::to_string(r.positions) + " rows of " + std::to_string(row_len) +
             " scores per sample, but labels score one row per sample (choose a per-sample output with --output)");
      }
    }
    std::vector<std::vector<float>> ref_rows;
    if (reference) {
      ref_rows = run_rows(*reference, *rb, ref_i, samples, "reference", &ref_seconds, &ref_row_len);
      if (ref_rows[0].size() != rows[0].size()) {
        fail("reference output '" + reference->outputs()[ref_i].name + "' has " + std::to_string(ref_rows[0].size()) +
             " values a sample, the model's '" + r.output + "' has " + std::to_string(rows[0].size()));
      }
    }
    for (size_t k = 0; k < rows.size(); ++k) {
      const auto& y = rows[k];
      size_t top = argmax(y);
      if (labels) {
        int64_t want = labels->at(idx[k]);
        if (want >= static_cast<int64_t>(y.size())) {
          fail(labels->source() + ": label " + std::to_string(want) + " of sample " + std::to_string(idx[k]) +
               " is outside the model's " + std::to_string(y.size()) + " classes");
        }
        correct1 += static_cast<int64_t>(top) == want;
        int above = 0;  // values strictly above the true class's value
        for (float v : y) above += v > y[static_cast<size_t>(want)];
        correct5 += above < 5;
      }
      if (reference) {
        const auto& ref = ref_rows[k];
        if (r.positions == 1) {
          agree += argmax(ref) == top;
        } else {
          agree += agreeing_rows(y, ref, static_cast<size_t>(r.classes));
        }
        cos_sum += cosine(y, ref);
        for (size_t j = 0; j < y.size(); ++j) {
          double e = std::fabs(static_cast<double>(y[j]) - ref[j]);
          if (!(e <= r.max_abs_error)) r.max_abs_error = e;  // NaN propagates
          abs_sum += e;
        }
        abs_count += static_cast<int64_t>(y.size());
      }
    }
    r.samples += static_cast<int64_t>(rows.size());
  }
  if (r.samples == 0) fail(data.source() + ": no samples to evaluate");
  double n = static_cast<double>(r.samples);
  r.top1 = static_cast<double>(correct1) / n;
  r.has_top5 = labels && r.classes >= 5;
  r.top5 = r.has_top5 ? static_cast<double>(correct5) / n : 0;
  if (reference) {
    r.agreement_top1 = static_cast<double>(agree) / (n * static_cast<double>(r.positions));
    r.cosine = cos_sum / n;
    r.mean_abs_error = abs_count ? abs_sum / static_cast<double>(abs_count) : 0;
  }
  r.throughput = r.model_seconds > 0 ? n / r.model_seconds : 0;
  r.wall_seconds = seconds_since(wall0);
  return r;
}

}  // namespace edge::data
