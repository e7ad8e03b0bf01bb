#include "passes/prune/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/batcher.h"
#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "report/report_format.h"

namespace edge::pass::prune {

namespace {

// The samples, batched once, and their labels (-1 where none).
struct Batches {
  std::vector<rt::NamedTensors> feeds;
  std::vector<int64_t> rows;  // real samples per batch
  std::vector<int64_t> labels;
};

Batches load_batches(rt::Session& s, data::Dataset& d, const data::Labels* labels, int64_t batch, int64_t limit) {
  if (labels) data::check_labels(d, *labels);
  d.set_limit(limit);
  data::Batcher b(s, d, batch);
  Batches out;
  for (;;) {
    std::vector<int64_t> idx = d.next_indices(b.batch_size());
    if (idx.empty()) break;
    std::vector<std::vector<Tensor>> samples;
    for (int64_t i : idx) samples.push_back(d.read(i));
    out.feeds.push_back(b.stack(samples));
    out.rows.push_back(static_cast<int64_t>(idx.size()));
    for (int64_t i : idx) out.labels.push_back(labels ? labels->at(i) : -1);
  }
  if (out.rows.empty()) fail(d.source() + ": no samples for the sensitivity analysis");
  return out;
}

// Output 0 of every batch, one row of log-probabilities per sample.
std::vector<std::vector<double>> run_logp(rt::Session& s, const Batches& b, bool probabilities) {
  std::vector<std::vector<double>> rows;
  for (size_t i = 0; i < b.feeds.size(); ++i) {
    const Tensor& y = s.run(b.feeds[i]).at(0).second;
    const int64_t n = y.shape().empty() ? 1 : std::max<int64_t>(1, y.shape()[0]);
    const int64_t per = y.numel() / n;
    for (int64_t r = 0; r < b.rows[i]; ++r) {
      std::vector<double> v(static_cast<size_t>(per));
      for (int64_t j = 0; j < per; ++j) v[static_cast<size_t>(j)] = y.get_double(r * per + j);
      if (probabilities) {
        for (double& x : v) x = std::log(std::max(x, 1e-30));
      } else {
        double mx = -std::numeric_limits<double>::infinity();
        for (double x : v) mx = std::max(mx, x);
        double sum = 0;
        for (double x : v) sum += std::exp(x - mx);
        const double lse = mx + std::log(sum);
        for (double& x : v) x -= lse;
      }
      rows.push_back(std::move(v));
    }
  }
  return rows;
}

bool rows_are_probabilities(rt::Session& s, const Batches& b) {
  for (size_t i = 0; i < b.feeds.size(); ++i) {
    const Tensor& y = s.run(b.feeds[i]).at(0).second;
    if (y.shape().empty()) return false;
    const int64_t per = y.numel() / std::max<int64_t>(1, y.shape()[0]);
    for (int64_t r = 0; r < b.rows[i]; ++r) {
      double sum = 0;
      for (int64_t j = 0; j < per; ++j) {
        const double x = y.get_double(r * per + j);
        if (!(x >= 0)) return false;
        sum += x;
      }
      if (std::fabs(sum - 1) > 1e-3) return false;
    }
  }
  return true;
}

size_t argmax(const std::vector<double>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

SensitivityPoint score(const std::vector<std::vector<double>>& rows, const std::vector<std::vector<double>>& dense,
                       const std::vector<int64_t>& labels) {
  SensitivityPoint p;
  double loss = 0, kl = 0;
  int64_t correct = 0, agree = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const size_t top = argmax(r);
    agree += top == argmax(dense[i]);
    if (labels[i] >= 0) {
      if (labels[i] >= static_cast<int64_t>(r.size())) {
        fail("label " + std::to_string(labels[i]) + " is outside the model's " + std::to_string(r.size()) + " classes");
      }
      loss -= r[static_cast<size_t>(labels[i])];
      correct += static_cast<int64_t>(top) == labels[i];
    }
    for (size_t j = 0; j < r.size(); ++j) kl += std::exp(dense[i][j]) * (dense[i][j] - r[j]);
  }
  const double n = static_cast<double>(rows.size());
  p.loss = loss / n;
  p.top1 = static_cast<double>(correct) / n;
  p.agreement = static_cast<double>(agree) / n;
  p.kl = std::max(0.0, kl / n);
  return p;
}

}  // namespace

SensitivityTable measure_sensitivity(const Model& model, const std::vector<PruneUnit>& units,
                                     const SensitivityOptions& opts, PassContext& ctx) {
  const bool eval_labelled = !ctx.eval.empty() && !ctx.eval.labels.empty();
  const DataSpec* spec = nullptr;
  if (opts.data == "eval") {
    if (ctx.eval.empty()) fail("sensitivity: data=eval needs --eval-data");
    spec = &ctx.eval;
  } else if (opts.data == "calib") {
    if (ctx.calib.empty()) fail("sensitivity: data=calib needs --calib-data");
    spec = &ctx.calib;
  } else {
    spec = eval_labelled ? &ctx.eval : !ctx.calib.empty() ? &ctx.calib : !ctx.eval.empty() ? &ctx.eval : nullptr;
  }
  if (!spec) {
    fail(
        "the sensitivity analysis needs data: give --calib-data, or "
        "--eval-data with --eval-labels (loss and top-1)");
  }
  rt::SessionOptions so = ctx.session_options;
  so.fuse = false;
  auto session = rt::Session::create(model, so);
  auto data = ctx.open(*spec);
  auto labels = ctx.labels(*spec);
  const data::Labels* lab = labels ? &*labels : data->embedded_labels();
  const Batches b = load_batches(*session, *data, lab, spec->batch, opts.samples);

  SensitivityTable t;
  t.source = spec->path.string();
  t.has_labels = lab != nullptr;
  t.samples = static_cast<int64_t>(b.labels.size());
  t.levels = opts.levels;
  const bool probs = rows_are_probabilities(*session, b);
  const auto dense = run_logp(*session, b, probs);
  t.dense = score(dense, dense, b.labels);

  GraphIndex index(model.graph());
  const int64_t total = static_cast<int64_t>(units.size() * opts.levels.size());
  int64_t done = 0;
  for (const auto& u : units) {
    const onnx::TensorProto* p = index.initializer(u.initializer);
    if (!p) fail_internal("sensitivity: no initializer '" + u.initializer + "'");
    const Tensor original = read_initializer(model, *p);
    SensitivityCurve c{u.initializer, u.layers.front(), u.op, u.params, {}};
    for (double level : opts.levels) {
      Tensor w = original.clone();
      prune_to_sparsity(w, level);
      session->set_weight(u.initializer, w);
      SensitivityPoint pt = score(run_logp(*session, b, probs), dense, b.labels);
      pt.sparsity = level;
      c.points.push_back(pt);
      if (ctx.progress) ctx.progress("sensitivity", ++done, total);
    }
    session->set_weight(u.initializer, original);
    t.curves.push_back(std::move(c));
  }
  return t;
}

void report_sensitivity(const SensitivityTable& t, report::StageRecord& stage) {
  for (const auto& c : t.curves) {
    report::LayerRecord row;
    row.name = c.layer;
    row.op = c.op;
    row.params = c.params;
    row.attrs["initializer"] = c.initializer;
    for (const auto& p : c.points) {
      const std::string at = "@" + report::fmt::general(p.sparsity, 4);
      if (t.has_labels) {
        row.metrics["top1" + at] = p.top1;
        row.metrics["dloss" + at] = p.loss - t.dense.loss;
      } else {
        row.metrics["kl" + at] = p.kl;
      }
      row.metrics["agree" + at] = p.agreement;
    }
    stage.layers.push_back(std::move(row));
  }
  for (const char* family : {"top1", "dloss", "kl", "agree"}) {
    for (double l : t.levels) stage.columns.push_back(std::string(family) + "@" + report::fmt::general(l, 4));
  }
  stage.metrics["sensitivity_samples"] = static_cast<double>(t.samples);
  if (t.has_labels) {
    stage.metrics["dense_top1"] = t.dense.top1;
    stage.metrics["dense_loss"] = t.dense.loss;
  }
  stage.notes.push_back(
      "sensitivity measured on " + std::to_string(t.samples) + " samples of " + t.source +
      (t.has_labels ? " (labelled: loss and top-1)" : " (no labels: KL divergence from the dense outputs)") +
      "; each layer pruned alone by magnitude, the others dense");
}

std::vector<double> allocate_sparsity(const SensitivityTable& t, int64_t target_zeros) {
  const size_t nu = t.curves.size();
  // Levels per unit with 0 first; damage made non-decreasing.
  std::vector<std::vector<std::pair<double, double>>> pts(nu);  // (sparsity, damage)
  for (size_t u = 0; u < nu; ++u) {
    pts[u].push_back({0.0, 0.0});
    for (const auto& p : t.curves[u].points) {
      if (p.sparsity <= 0) continue;
      double d = t.damage(p);
      if (!std::isfinite(d)) d = std::numeric_limits<double>::max() / 4;
      pts[u].push_back({p.sparsity, std::max(d, pts[u].back().second)});
    }
  }
  std::vector<size_t> at(nu, 0);
  std::vector<double> out(nu, 0.0);
  const auto zeros = [&](size_t u, double s) { return s * static_cast<double>(t.curves[u].params); };
  double have = 0;
  while (have + 0.5 < static_cast<double>(target_zeros)) {
    double best = std::numeric_limits<double>::infinity();
    size_t bu = nu, bj = 0;
    for (size_t u = 0; u < nu; ++u) {
      for (size_t j = at[u] + 1; j < pts[u].size(); ++j) {
        const double dz = zeros(u, pts[u][j].first) - zeros(u, pts[u][at[u]].first);
        if (dz <= 0) continue;
        const double ratio = (pts[u][j].second - pts[u][at[u]].second) / dz;
        if (ratio < best) best = ratio, bu = u, bj = j;
      }
    }
    if (bu == nu) break;  // every unit at its highest level: the target is out of reach
    const double before = zeros(bu, pts[bu][at[bu]].first), after = zeros(bu, pts[bu][bj].first);
    const double need = static_cast<double>(target_zeros) - have;
    if (after - before >= need) {  // the last move: stop where the target is met
      out[bu] = (before + need) / static_cast<double>(t.curves[bu].params);
      have += need;
      at[bu] = bj;
      break;
    }
    have += after - before;
    at[bu] = bj;
    out[bu] = pts[bu][bj].first;
  }
  return out;
}

}  // namespace edge::pass::prune
