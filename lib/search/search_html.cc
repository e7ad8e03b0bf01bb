// D/report.html: a self-contained page with two scatter plots (size and latency against
// accuracy; the front filled, the best ringed), the candidate table and the reverted layers.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "report/report_format.h"
#include "search/pareto.h"
#include "search/search_io.h"

namespace edge::search {

namespace {

std::string esc(const std::string& raw) {
  std::string s = report::fmt::sanitize_utf8(raw), out;
  for (char ch : s) {
    switch (ch) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string fixed(double v, int d) { return report::fmt::fixed(v, d); }

// One scatter: x from `xs` (bytes or ms), y = accuracy. Points of the front are filled.
std::string scatter(const SearchResult& r, const std::string& title, const std::string& x_label, bool x_is_size) {
  const double W = 520, H = 320, L = 60, B = 40, T = 24, R = 16;
  std::vector<const Candidate*> pts;
  for (const auto& c : r.candidates) {
    if (c.metrics) pts.push_back(&c);
  }
  auto xv = [&](const Metrics& m) { return x_is_size ? static_cast<double>(m.size_bytes) / 1024.0 : m.latency_ms; };
  double x0 = xv(r.original), x1 = x0, y0 = accuracy_score(r.original), y1 = y0;
  for (const auto* c : pts) {
    x0 = std::min(x0, xv(*c->metrics));
    x1 = std::max(x1, xv(*c->metrics));
    y0 = std::min(y0, accuracy_score(*c->metrics));
    y1 = std::max(y1, accuracy_score(*c->metrics));
  }
  if (x1 - x0 < 1e-9) x1 = x0 + 1;
  if (y1 - y0 < 1e-9) y0 = y1 - 0.01;
  x0 = std::max(0.0, x0 - 0.05 * (x1 - x0));
  x1 += 0.05 * (x1 - x0);
  y0 -= 0.05 * (y1 - y0);
  y1 += 0.05 * (y1 - y0);
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return H - B - (y - y0) / (y1 - y0) * (H - B - T); };
  std::ostringstream s;
  s << "<figure><figcaption>" << esc(title) << "</figcaption><svg width=\"" << W << "\" height=\"" << H
    << "\" viewBox=\"0 0 " << W << " " << H << "\" role=\"img\">";
  s << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\"" << H - B - T
    << "\" fill=\"none\" stroke=\"#999\"/>";
  for (int i = 0; i <= 4; ++i) {
    double x = x0 + (x1 - x0) * i / 4, y = y0 + (y1 - y0) * i / 4;
    s << "<text x=\"" << px(x) << "\" y=\"" << H - B + 16 << "\" font-size=\"11\" text-anchor=\"middle\">"
      << fixed(x, x_is_size ? 1 : 3) << "</text>";
    s << "<text x=\"" << L - 4 << "\" y=\"" << py(y) + 4 << "\" font-size=\"11\" text-anchor=\"end\">" << fixed(y, 3)
      << "</text>";
  }
  s << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 6 << "\" font-size=\"12\" text-anchor=\"middle\">"
    << esc(x_label) << "</text>";
  s << "<text x=\"14\" y=\"" << (T + H - B) / 2 << "\" font-size=\"12\" transform=\"rotate(-90 14 " << (T + H - B) / 2
    << ")\" text-anchor=\"middle\">accuracy</text>";
  // The original as a cross.
  const double ox = px(xv(r.original)), oy = py(accuracy_score(r.original));
  s << "<path d=\"M" << ox - 5 << " " << oy - 5 << "L" << ox + 5 << " " << oy + 5 << "M" << ox - 5 << " " << oy + 5 << "L"
    << ox + 5 << " " << oy - 5 << "\" stroke=\"#333\" stroke-width=\"2\"><title>original</title></path>";
  for (const auto* c : pts) {
    const double x = px(xv(*c->metrics)), y = py(accuracy_score(*c->metrics));
    const char* fill = c->on_front ? "#d62728" : "#fff";
    s << "<circle cx=\"" << x << "\" cy=\"" << y << "\" r=\"" << (c->id == r.best_id ? 7 : 5) << "\" fill=\"" << fill
      << "\" stroke=\"" << (c->meets_gates ? "#1f77b4" : "#999") << "\" stroke-width=\"" << (c->id == r.best_id ? 3 : 1.5)
      << "\"><title>#" << c->id << " " << esc(c->pipeline) << "</title></circle>";
    s << "<text x=\"" << x + 7 << "\" y=\"" << y - 6 << "\" font-size=\"10\">" << c->id << "</text>";
  }
  s << "</svg></figure>\n";
  return s.str();
}

}  // namespace

std::string report_html(const SearchResult& r, const SearchOptions& opts) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>compressor search: " << esc(opts.model_path.string())
    << "</title><style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid "
       "#ccc;padding:2px 6px;font-size:13px}td.n{text-align:right}tr.front{background:#fdecea}tr.best{font-weight:bold}"
       "figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-weight:bold}</style></head><body>\n";
  h << "<h1>compressor search</h1>\n<p>model <code>" << esc(opts.model_path.string()) << "</code>, objective <b>"
    << objective_name(opts.objective) << "</b>, max accuracy drop " << fixed(opts.gates.max_accuracy_drop, 4)
    << ", threads " << opts.threads << ", seed " << opts.seed << "; " << r.candidates.size() << " candidates, "
    << r.measured_now << " measured in this run, " << fixed(r.seconds, 1) << " s.</p>\n";
  const Candidate* best = nullptr;
  for (const auto& c : r.candidates) {
    if (c.id == (r.best_id ? r.best_id : r.closest_id)) best = &c;
  }
  if (best) {
    h << "<p>" << (r.best_id ? "Best" : "No candidate meets every gate; closest") << ": <b>#" << best->id << "</b> <code>"
      << esc(best->pipeline) << "</code> (" << report::fmt::bytes(best->metrics->size_bytes) << ", "
      << fixed(best->metrics->latency_ms, 3) << " ms, accuracy " << fixed(accuracy_score(*best->metrics), 4)
      << ").</p>\n";
  }
  h << "<p>Filled red: on the Pareto front (size, latency, accuracy). Blue ring: meets every gate. Thick ring: the "
       "best. Cross: the original.</p>\n";
  h << scatter(r, "size vs accuracy", "size (KiB)", true);
  h << scatter(r, "latency vs accuracy", "median latency (ms)", false);
  h << "<h2>Candidates</h2>\n<table><tr><th>#</th><th>pipeline</th><th>status</th><th>size</th><th>median ms</th>"
       "<th>p99 ms</th><th>peak memory</th><th>top-1</th><th>agreement</th><th>front</th><th>gates</th></tr>\n";
  h << "<tr><td></td><td>original</td><td></td><td class=n>" << report::fmt::bytes(r.original.size_bytes)
    << "</td><td class=n>" << fixed(r.original.latency_ms, 3) << "</td><td class=n>" << fixed(r.original.p99_ms, 3)
    << "</td><td class=n>" << report::fmt::bytes(r.original.peak_memory_bytes) << "</td><td class=n>"
    << report::fmt::optional_number(r.original.top1, 4) << "</td><td class=n>1</td><td></td><td></td></tr>\n";
  for (const auto& c : r.candidates) {
    h << "<tr class=\"" << (c.on_front ? "front " : "") << (c.id == r.best_id ? "best" : "") << "\"><td>" << c.id
      << "</td><td><code>" << esc(c.pipeline) << "</code></td><td>" << esc(c.status)
      << (c.why.empty() ? "" : ": " + esc(c.why)) << "</td>";
    if (c.metrics) {
      const Metrics& m = *c.metrics;
      h << "<td class=n>" << report::fmt::bytes(m.size_bytes) << "</td><td class=n>" << fixed(m.latency_ms, 3)
        << "</td><td class=n>" << fixed(m.p99_ms, 3) << "</td><td class=n>" << report::fmt::bytes(m.peak_memory_bytes)
        << "</td><td class=n>" << report::fmt::optional_number(m.top1, 4) << "</td><td class=n>" << fixed(m.agreement, 4)
        << "</td><td>" << (c.on_front ? "yes" : "") << "</td><td>";
      std::string gates;
      for (const auto& g : c.gate_failures) gates += (gates.empty() ? "" : "; ") + g;
      h << (c.meets_gates ? "pass" : esc(gates)) << "</td>";
    } else {
      h << "<td colspan=8></td>";
    }
    h << "</tr>\n";
  }
  h << "</table>\n<h2>Reverted layers</h2>\n";
  bool any = false;
  for (const auto& c : r.candidates) {
    if (c.reverts.empty()) continue;
    if (!any) h << "<table><tr><th>#</th><th>layer</th><th>op</th><th>candidate ms</th><th>float/dense ms</th></tr>\n";
    any = true;
    for (const auto& rv : c.reverts) {
      h << "<tr><td>" << c.id << "</td><td><code>" << esc(rv.layer) << "</code></td><td>" << esc(rv.op)
        << "</td><td class=n>" << fixed(rv.candidate_ms, 4) << "</td><td class=n>" << fixed(rv.float_ms, 4) << "</td></tr>\n";
    }
  }
  h << (any ? "</table>\n"
            : std::string("<p>None") + (opts.objective == Objective::kSize ? " (objective size: layers are never reverted)" : "") +
                  ".</p>\n");
  for (const auto& c : r.candidates) {
    if (c.kept_slower.empty()) continue;
    h << "<p>#" << c.id << " kept as built: with its " << c.kept_slower.size()
      << " slower layer(s) reverted the whole model took " << fixed(c.reverted_latency_ms, 4) << " ms, not less than "
      << fixed(c.metrics->latency_ms, 4) << " ms:";
    for (const auto& rv : c.kept_slower) {
      h << " <code>" << esc(rv.layer) << "</code> " << fixed(rv.candidate_ms, 4) << " vs " << fixed(rv.float_ms, 4)
        << " ms;";
    }
    h << "</p>\n";
  }
  for (const auto& n : r.notes) h << "<p>note: " << esc(n) << "</p>\n";
  h << "</body></html>\n";
  return h.str();
}

}  // namespace edge::search
