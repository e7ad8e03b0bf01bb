// The tables of the Markdown and HTML reports, built once from the Report.
#include <algorithm>
#include <cmath>

#include "report/report_format.h"

namespace edge::report::fmt {
namespace {

const std::string kDash = "\xE2\x80\x94";   // —
const std::string kArrow = " \xE2\x86\x92 ";  // →

Cell text(std::string s) { return Cell{sanitize_utf8(s), false, ""}; }
Cell code(std::string s) { return Cell{sanitize_utf8(s), true, ""}; }

std::string signed_str(const std::string& magnitude, double v) {
  return (v > 0 ? "+" : v < 0 ? "-" : "") + magnitude;
}

// Change of a count as a relative percentage: "-80.0%", "unchanged".
std::string relative(double before, double after) {
  if (before == after) return "unchanged";
  if (before == 0) return kDash;
  const double rel = (after - before) / before;
  return signed_str(percent(std::fabs(rel)), rel);
}

// Change of a fraction in percentage points: "+80.0 pp".
std::string points(double before, double after, int decimals) {
  const double d = (after - before) * 100;
  if (fixed(std::fabs(d), decimals) == fixed(0, decimals)) return "unchanged";
  return signed_str(fixed(std::fabs(d), decimals), d) + " pp";
}

std::string transition(const std::string& a, const std::string& b) {
  return a == b ? a : a + kArrow + b;
}

std::string opt_transition(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a && !b) return kDash;
  if (!a) return optional_percent(b);
  return transition(optional_percent(a), optional_percent(b));
}

bool any_stage(const Report& r, std::optional<double> ModelMetrics::*field) {
  for (const auto& s : r.stages)
    if (s.before.*field || s.after.*field) return true;
  return false;
}

}  // namespace

Table summary_table(const Report& r) {
  const ModelMetrics& o = r.original;
  const ModelMetrics& n = r.result;
  Table t{{"metric", "original", "result", "change"}, {false, true, true, true}, {}};
  t.rows.push_back({text("Size"), text(bytes(o.bytes)), text(bytes(n.bytes)),
                    text(size_ratio(o.bytes, n.bytes))});
  if (o.sparse_initializers || n.sparse_initializers) {
    // What the sparse initializers saved: the same models with every initializer dense.
    t.rows.push_back({text("Size if stored dense"), text(bytes(o.dense_bytes)), text(bytes(n.dense_bytes)),
                      text(size_ratio(o.dense_bytes, n.dense_bytes))});
    t.rows.push_back({text("Sparse initializers"), text(grouped(o.sparse_initializers)),
                      text(grouped(n.sparse_initializers)), text(kDash)});
  }
  if (n.file_bytes) {
    t.rows.push_back({text("File (.onnx.zst)"), text(kDash), text(bytes(*n.file_bytes)),
                      text(size_ratio(o.bytes, *n.file_bytes))});
  }
  t.rows.push_back({text("Parameters"), text(grouped(o.params)), text(grouped(n.params)),
                    text(relative(double(o.params), double(n.params)))});
  t.rows.push_back({text("Weight sparsity"), text(percent(o.sparsity)), text(percent(n.sparsity)),
                    text(points(o.sparsity, n.sparsity, 1))});
  t.rows.push_back({text("MACs"), text(grouped(o.macs)), text(grouped(n.macs)),
                    text(relative(double(o.macs), double(n.macs)))});
  const auto accuracy_row = [&](const char* label, std::optional<double> ModelMetrics::*f) {
    if (!(o.*f) && !(n.*f)) return;
    const std::string change = (o.*f && n.*f) ? points(*(o.*f), *(n.*f), 2) : kDash;
    t.rows.push_back({text(label), text(optional_percent(o.*f)), text(optional_percent(n.*f)),
                      text(change)});
  };
  accuracy_row("Top-1 accuracy", &ModelMetrics::top1);
  accuracy_row("Top-1 agreement with original", &ModelMetrics::agreement_top1);
  if (o.cosine || n.cosine)
    t.rows.push_back({text("Output cosine similarity"), text(optional_number(o.cosine, 4)),
                      text(optional_number(n.cosine, 4)), text(kDash)});
  if (o.latency_ms || n.latency_ms) {
    const auto ms = [](const ModelMetrics& m) {
      if (!m.latency_ms) return std::string(kDash);
      return fixed(*m.latency_ms, 3) + " ms" + (m.latency_spread_ms ? " \xC2\xB1 " + fixed(*m.latency_spread_ms, 3) : "");
    };
    t.rows.push_back({text("Median latency"), text(ms(o)), text(ms(n)), text(latency_change(o, n))});
  }
  return t;
}

Table gates_table(const Report& r) {
  Table t{{"gate", "limit", "value", "result", "by", "detail"},
          {false, true, true, false, true, false},
          {}};
  for (const auto& g : r.gates) {
    const std::string tag = g.passed ? "pass" : "fail";
    t.rows.push_back({code(g.name), text(gate_value(g.limit, g.unit)),
                      text(gate_value(g.value, g.unit)), Cell{g.passed ? "pass" : "FAIL", false, tag},
                      text(gate_margin(g)), text(g.detail)});
  }
  return t;
}

Table stages_table(const Report& r) {
  const bool top1 = any_stage(r, &ModelMetrics::top1);
  const bool agreement = any_stage(r, &ModelMetrics::agreement_top1);
  Table t{{"#", "stage", "kind", "options", "time", "size", "params", "sparsity", "nodes"},
          {true, false, false, false, true, true, true, true, true},
          {}};
  if (top1) t.head.push_back("top-1"), t.numeric.push_back(true);
  if (agreement) t.head.push_back("agreement"), t.numeric.push_back(true);
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const StageRecord& s = r.stages[i];
    std::vector<Cell> row{
        text(std::to_string(i + 1)),
        code(s.name),
        text(s.kind),
        s.options.empty() ? text(kDash) : code(s.options),
        text(seconds(s.seconds)),
        text(transition(bytes(s.before.bytes), bytes(s.after.bytes))),
        text(transition(grouped(s.before.params), grouped(s.after.params))),
        text(transition(percent(s.before.sparsity), percent(s.after.sparsity))),
        text(transition(std::to_string(s.nodes_before), std::to_string(s.nodes_after)))};
    if (top1) row.push_back(text(opt_transition(s.before.top1, s.after.top1)));
    if (agreement)
      row.push_back(text(opt_transition(s.before.agreement_top1, s.after.agreement_top1)));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table layers_table(const StageRecord& s) {
  const auto metrics = metric_columns(s);
  const auto attrs = attr_columns(s);
  // Columns: the stage's preferred order first, then the other metrics and attrs, sorted.
  std::vector<std::pair<std::string, bool>> cols;  // key, is a metric
  const auto has = [](const std::vector<std::string>& v, const std::string& k) {
    return std::find(v.begin(), v.end(), k) != v.end();
  };
  for (const auto& k : s.columns) {
    if (has(metrics, k)) cols.emplace_back(k, true);
    else if (has(attrs, k)) cols.emplace_back(k, false);
  }
  for (const auto& k : metrics)
    if (!has(s.columns, k)) cols.emplace_back(k, true);
  for (const auto& k : attrs)
    if (!has(s.columns, k)) cols.emplace_back(k, false);
  Table t{{"layer", "op", "params"}, {false, false, true}, {}};
  for (const auto& [k, metric] : cols) t.head.push_back(sanitize_utf8(k)), t.numeric.push_back(metric);
  for (const auto& l : s.layers) {
    std::vector<Cell> row{code(l.name), text(l.op), text(grouped(l.params))};
    for (const auto& [k, metric] : cols) {
      if (metric) {
        auto it = l.metrics.find(k);
        row.push_back(text(it == l.metrics.end() ? kDash : general(it->second, 4)));
      } else {
        auto it = l.attrs.find(k);
        row.push_back(text(it == l.attrs.end() ? kDash : it->second));
      }
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::vector<std::pair<std::string, std::string>> stage_metrics(const StageRecord& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : s.metrics) out.emplace_back(sanitize_utf8(k), general(v, 6));
  return out;
}

}  // namespace edge::report::fmt

namespace edge::report {

std::string latency_change(const ModelMetrics& before, const ModelMetrics& after) {
  if (!before.latency_ms || !after.latency_ms) return "\xE2\x80\x94";  // —
  const double a = *before.latency_ms, b = *after.latency_ms;
  const double noise = std::max(before.latency_spread_ms.value_or(0) + after.latency_spread_ms.value_or(0),
                                0.02 * std::max(a, b));
  if (std::fabs(b - a) <= noise) return "within noise";
  const double rel = (b - a) / a;
  return (rel > 0 ? "+" : "-") + fmt::percent(std::fabs(rel));
}

}  // namespace edge::report
