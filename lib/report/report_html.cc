// HTML writer: one self-contained page. Inline CSS, inline SVG charts drawn here, no
// scripts, no external resources (a Content-Security-Policy forbids loading any). Every
// piece of text goes through esc(): layer names and ops come from untrusted models.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "report/report.h"
#include "report/report_format.h"

namespace edge::report {
namespace {

std::string esc(std::string_view s) {
  std::string out;
  for (char c : fmt::sanitize_utf8(s)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

constexpr const char* kStyle = R"CSS(
:root { --fg:#1d2330; --muted:#5d6677; --line:#dde2ea; --bg:#f5f7fa; --card:#fff;
  --pass:#1f8a4c; --fail:#c62f2f; --dry:#8a6d1f; --bar:#3a6fd8; --bar0:#9aa4b5; --bar1:#1f8a4c; }
* { box-sizing: border-box; }
body { margin:0; padding:24px 32px 48px; background:var(--bg); color:var(--fg);
  font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { display:flex; flex-wrap:wrap; align-items:center; gap:12px 16px; margin-bottom:8px; }
h1 { font-size:24px; margin:0; }
h2 { font-size:18px; margin:28px 0 10px; }
h3 { font-size:15px; margin:20px 0 8px; }
code { font:12.5px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; background:#eef1f6;
  padding:1px 4px; border-radius:3px; overflow-wrap:break-word; }
.badge { font-weight:700; font-size:13px; letter-spacing:.05em; color:#fff; padding:4px 12px;
  border-radius:999px; text-transform:uppercase; }
.badge.pass { background:var(--pass); } .badge.gate-failed { background:var(--fail); }
.badge.dry-run, .badge.other { background:var(--dry); }
.paths { color:var(--muted); margin:0 0 16px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(190px, 1fr)); gap:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:22px; font-weight:650; margin:2px 0; }
.card .sub { color:var(--muted); font-size:12.5px; }
.scroll { overflow-x:auto; margin-bottom:4px; background:var(--card); border:1px solid var(--line); border-radius:8px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { background:#eef1f6; font-weight:600; white-space:nowrap; }
tr:last-child td { border-bottom:none; }
td.num, th.num { text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums; }
td.pass { color:var(--pass); font-weight:600; } td.fail { color:var(--fail); font-weight:700; }
table.meta th { width:140px; background:none; color:var(--muted); font-weight:500; }
.chart { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px; }
.chart svg { display:block; width:100%; max-width:860px; height:auto; }
.chart text { font-size:12px; fill:var(--fg); }
.chart .grid { stroke:var(--line); stroke-width:1; }
.note { color:var(--muted); font-size:12.5px; margin:6px 0 0; }
details { margin:10px 0; } summary { cursor:pointer; font-weight:600; margin-bottom:8px; }
ul { margin:6px 0; padding-left:22px; }
footer { margin-top:36px; color:var(--muted); font-size:12px; }
)CSS";

void table(std::string& out, const fmt::Table& t, const char* cls = nullptr) {
  out += "<div class=\"scroll\"><table";
  if (cls) out += std::string(" class=\"") + cls + "\"";
  out += "><thead><tr>";
  for (size_t i = 0; i < t.head.size(); ++i)
    out += std::string(t.numeric[i] ? "<th class=\"num\">" : "<th>") + esc(t.head[i]) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      const fmt::Cell& c = row[i];
      std::string cls_attr = c.tag.empty() ? (t.numeric[i] ? "num" : "") : c.tag;
      out += cls_attr.empty() ? "<td>" : "<td class=\"" + cls_attr + "\">";
      out += c.code ? "<code>" + esc(c.text) + "</code>" : esc(c.text);
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
}

struct Bar {
  std::string label;
  double value;
  std::string value_text;
  const char* color;  // CSS variable
};

// A horizontal bar chart: labels on the left, bars scaled to `scale` (or the largest
// |value| when scale <= 0), the value printed after each bar. Each bar has a <title>.
std::string bar_chart(const std::string& aria, const std::vector<Bar>& bars, double scale,
                      bool percent_ticks = false) {
  constexpr int kLabelW = 230, kBarW = 480, kValueW = 140, kRowH = 24, kBarH = 15, kTop = 8;
  if (scale <= 0 || !std::isfinite(scale)) {
    scale = 0;
    for (const auto& b : bars)
      if (std::isfinite(b.value)) scale = std::max(scale, std::fabs(b.value));
    if (scale == 0) scale = 1;
  }
  const int width = kLabelW + kBarW + kValueW;
  const int rows_h = kRowH * static_cast<int>(bars.size());
  const int height = kTop * 2 + rows_h + (percent_ticks ? 16 : 0);
  std::string out = "<div class=\"chart\"><svg viewBox=\"0 0 " +
                    std::to_string(width) + " " + std::to_string(height) + "\" role=\"img\" aria-label=\"" +
                    esc(aria) + "\">\n";
  for (int q = 0; q <= 4; ++q) {
    const std::string x = std::to_string(kLabelW + kBarW * q / 4);
    out += "<line class=\"grid\" x1=\"" + x + "\" y1=\"" + std::to_string(kTop / 2) + "\" x2=\"" + x +
           "\" y2=\"" + std::to_string(kTop * 3 / 2 + rows_h) + "\"/>\n";
    if (percent_ticks)
      out += "<text x=\"" + x + "\" y=\"" + std::to_string(height - 4) + "\" text-anchor=\"middle\">" +
             std::to_string(25 * q) + "%</text>\n";
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double frac = std::isfinite(b.value) ? std::min(1.0, std::fabs(b.value) / scale) : 0;
    const double w = frac * kBarW;
    const int y = kTop + kRowH * static_cast<int>(i);
    const std::string ymid = std::to_string(y + kRowH / 2 + 4);
    out += "<g><title>" + esc(b.label + ": " + b.value_text) + "</title>";
    out += "<text x=\"" + std::to_string(kLabelW - 8) + "\" y=\"" + ymid + "\" text-anchor=\"end\">" +
           esc(fmt::truncate(b.label, 30)) + "</text>";
    out += "<rect x=\"" + std::to_string(kLabelW) + "\" y=\"" + std::to_string(y + (kRowH - kBarH) / 2) +
           "\" width=\"" + fmt::fixed(w, 1) + "\" height=\"" + std::to_string(kBarH) +
           "\" rx=\"2\" style=\"fill:var(" + b.color + ")\"/>";
    out += "<text x=\"" + fmt::fixed(kLabelW + w + 6, 1) + "\" y=\"" + ymid + "\">" +
           esc(b.value_text) + "</text></g>\n";
  }
  return out + "</svg></div>\n";
}

std::string size_chart(const Report& r) {
  std::vector<Bar> bars{{"original", double(r.original.bytes), fmt::bytes(r.original.bytes), "--bar0"}};
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const StageRecord& s = r.stages[i];
    const bool last = i + 1 == r.stages.size();
    bars.push_back({std::to_string(i + 1) + ". " + s.name, double(s.after.bytes),
                    fmt::bytes(s.after.bytes), last ? "--bar1" : "--bar"});
  }
  return bar_chart("Model size after each stage", bars, 0);
}

// Per-layer chart for the last stage with layer metrics: sparsity when it has it,
// otherwise the first of a few informative metrics, otherwise its first metric.
std::string layer_chart(const Report& r) {
  constexpr size_t kMaxBars = 60;
  for (size_t i = r.stages.size(); i-- > 0;) {
    const StageRecord& s = r.stages[i];
    const auto cols = fmt::metric_columns(s);
    if (cols.empty()) continue;
    std::string metric = cols.front();
    for (const char* pref : {"bits", "mse", "sqnr_db", "sparsity"})  // rising priority
      if (std::find(cols.begin(), cols.end(), pref) != cols.end()) metric = pref;
    const bool is_fraction = metric == "sparsity";
    std::vector<Bar> bars;
    for (const auto& l : s.layers) {
      if (bars.size() == kMaxBars) break;
      auto it = l.metrics.find(metric);
      if (it == l.metrics.end()) continue;
      const double v = it->second;
      bars.push_back({l.name, v, is_fraction ? fmt::percent(v) : fmt::general(v, 4),
                      v < 0 ? "--fail" : "--bar"});
    }
    std::string out = "<h2>Per-layer " + esc(metric) + " &middot; stage " + std::to_string(i + 1) +
                      " <code>" + esc(s.name) + "</code></h2>\n";
    out += bar_chart("Per-layer " + metric, bars, is_fraction ? 1.0 : 0, is_fraction);
    if (s.layers.size() > bars.size())
      out += "<p class=\"note\">Showing " + std::to_string(bars.size()) + " of " +
             std::to_string(s.layers.size()) + " layers.</p>\n";
    return out;
  }
  return "";
}

// Per-layer curves of a stage whose layer metrics are named "<family>@<x>" (the sensitivity
// analysis: "top1@0.5", "agree@0.9"): one line per layer over x, for the first family of
// top1, agree present, y from 0 to 1. "" when no stage has such metrics.
std::string curve_chart(const StageRecord& s, size_t stage_number) {
  constexpr size_t kMaxLines = 12;
  static const char* kColors[] = {"#3a6fd8", "#c62f2f", "#1f8a4c", "#8a6d1f", "#7b3fb8", "#d07a1a",
                                  "#2a9fa8", "#5d6677", "#b83f7b", "#6f9a1f", "#1d2330", "#d8b23a"};
  for (const char* family : {"top1", "agree"}) {
    const std::string prefix = std::string(family) + "@";
    std::vector<double> xs;
    for (const auto& l : s.layers)
      for (const auto& [k, v] : l.metrics)
        if (k.rfind(prefix, 0) == 0) xs.push_back(std::strtod(k.c_str() + prefix.size(), nullptr));
    if (xs.empty()) continue;
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    constexpr int kL = 50, kT = 10, kW = 520, kH = 240, kLegend = 260;
    const auto px = [&](double x) { return kL + x * kW; };
    const auto py = [&](double y) { return kT + (1 - std::clamp(y, 0.0, 1.0)) * kH; };
    std::string out = "<h2>Sensitivity: " + esc(family) + " by layer sparsity &middot; stage " +
                      std::to_string(stage_number) + " <code>" + esc(s.name) + "</code></h2>\n";
    out += "<div class=\"chart\"><svg viewBox=\"0 0 " + std::to_string(kL + kW + kLegend) + " " +
           std::to_string(kT + kH + 30) + "\" role=\"img\" aria-label=\"" + esc("Sensitivity " + std::string(family)) +
           "\">\n";
    for (int q = 0; q <= 4; ++q) {
      const std::string y = fmt::fixed(py(q / 4.0), 1), x = fmt::fixed(px(q / 4.0), 1);
      out += "<line class=\"grid\" x1=\"" + std::to_string(kL) + "\" y1=\"" + y + "\" x2=\"" + std::to_string(kL + kW) +
             "\" y2=\"" + y + "\"/><text x=\"" + std::to_string(kL - 6) + "\" y=\"" + y +
             "\" text-anchor=\"end\">" + std::to_string(25 * q) + "%</text>";
      out += "<text x=\"" + x + "\" y=\"" + std::to_string(kT + kH + 18) + "\" text-anchor=\"middle\">" +
             std::to_string(25 * q) + "%</text>\n";
    }
    size_t line = 0;
    for (const auto& l : s.layers) {
      if (line == kMaxLines) break;
      std::string pts;
      for (double x : xs) {
        auto it = l.metrics.find(prefix + fmt::general(x, 4));
        if (it == l.metrics.end() || !std::isfinite(it->second)) continue;
        pts += fmt::fixed(px(x), 1) + "," + fmt::fixed(py(it->second), 1) + " ";
      }
      if (pts.empty()) continue;
      const std::string color = kColors[line % kMaxLines];
      const std::string ly = std::to_string(kT + 12 + 18 * static_cast<int>(line));
      out += "<g><title>" + esc(l.name) + "</title><polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + color +
             "\" points=\"" + pts + "\"/>";
      out += "<rect x=\"" + std::to_string(kL + kW + 14) + "\" y=\"" + std::to_string(kT + 3 + 18 * static_cast<int>(line)) +
             "\" width=\"12\" height=\"12\" style=\"fill:" + color + "\"/><text x=\"" + std::to_string(kL + kW + 32) +
             "\" y=\"" + ly + "\">" + esc(fmt::truncate(l.name, 28)) + "</text></g>\n";
      ++line;
    }
    out += "</svg></div>\n<p class=\"note\">x: sparsity of that layer alone (the others dense); y: " + esc(family) +
           (s.layers.size() > kMaxLines ? "; the first " + std::to_string(kMaxLines) + " layers" : std::string()) +
           ".</p>\n";
    return out;
  }
  return "";
}

void notes(std::string& out, const std::vector<std::string>& items) {
  out += "<ul>";
  for (const auto& n : items) out += "<li>" + esc(n) + "</li>";
  out += "</ul>\n";
}

std::string card_sub(const std::string& original, const std::string& change) {
  if (original == "\xE2\x80\x94") return "original not measured";
  return "from " + esc(original) + " &middot; " + esc(change);
}

void cards(std::string& out, const Report& r) {
  out += "<section class=\"cards\">\n";
  for (const auto& row : fmt::summary_table(r).rows) {
    out += "<div class=\"card\"><div class=\"label\">" + esc(row[0].text) + "</div><div class=\"value\">" +
           esc(row[2].text) + "</div><div class=\"sub\">" + card_sub(row[1].text, row[3].text) +
           "</div></div>\n";
  }
  if (!r.gates.empty()) {
    const auto passed = std::count_if(r.gates.begin(), r.gates.end(), [](const auto& g) { return g.passed; });
    const bool all = passed == static_cast<long>(r.gates.size());
    out += "<div class=\"card\"><div class=\"label\">Gates</div><div class=\"value\" style=\"color:var(" +
           std::string(all ? "--pass" : "--fail") + ")\">" + std::to_string(passed) + " / " +
           std::to_string(r.gates.size()) + " passed</div><div class=\"sub\">" +
           (all ? "all gates passed" : "see the gates table") + "</div></div>\n";
  }
  out += "</section>\n";
}

void meta(std::string& out, const Report& r) {
  const auto row = [&](const char* k, const std::string& v) {
    out += std::string("<tr><th>") + k + "</th><td>" + v + "</td></tr>\n";
  };
  out += "<h2>Run</h2>\n<div class=\"scroll\"><table class=\"meta\"><tbody>\n";
  row("pipeline", "<code>" + esc(r.pipeline) + "</code>");
  row("seed", std::to_string(r.seed));
  row("input sha256", "<code>" + esc(r.input_sha256) + "</code>");
  row("tool", esc(r.tool_version));
  row("started", esc(r.started_at));
  row("total time", esc(fmt::seconds(r.total_seconds)));
  out += "</tbody></table></div>\n";
}

}  // namespace

std::string to_html(const Report& r) {
  const std::string verdict = fmt::verdict(r);
  const std::string badge_cls =
      (verdict == "pass" || verdict == "gate-failed" || verdict == "dry-run") ? verdict : "other";
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>Compression report: " + esc(r.input_path) + "</title>\n<style>" + kStyle +
      "</style>\n</head>\n<body>\n";
  out += "<header><h1>Compression report</h1><span class=\"badge " + badge_cls + "\">" + esc(verdict) +
         "</span></header>\n";
  out += "<p class=\"paths\"><code>" + esc(r.input_path) + "</code> &rarr; " +
         (r.output_path.empty() ? std::string("(no output)") : "<code>" + esc(r.output_path) + "</code>") +
         "</p>\n";
  cards(out, r);
  meta(out, r);
  out += "<h2>Summary</h2>\n";
  table(out, fmt::summary_table(r));
  if (!r.stages.empty()) out += "<h2>Size after each stage</h2>\n" + size_chart(r);
  out += "<h2>Gates</h2>\n";
  if (r.gates.empty()) {
    out += "<p class=\"note\">No gates were set.</p>\n";
  } else {
    table(out, fmt::gates_table(r));
  }
  out += "<h2>Stages</h2>\n";
  if (r.stages.empty()) {
    out += "<p class=\"note\">No stages ran.</p>\n";
  } else {
    table(out, fmt::stages_table(r));
  }
  out += layer_chart(r);
  for (size_t i = 0; i < r.stages.size(); ++i) out += curve_chart(r.stages[i], i + 1);
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const StageRecord& s = r.stages[i];
    const auto metrics = fmt::stage_metrics(s);
    if (s.layers.empty() && metrics.empty() && s.notes.empty()) continue;
    out += "<h3>Stage " + std::to_string(i + 1) + ": <code>" + esc(s.name) + "</code>";
    if (!s.options.empty()) out += " <code>" + esc(s.options) + "</code>";
    out += "</h3>\n";
    if (!metrics.empty()) {
      out += "<ul>";
      for (const auto& [k, v] : metrics) out += "<li><code>" + esc(k) + "</code>: " + esc(v) + "</li>";
      out += "</ul>\n";
    }
    if (!s.layers.empty()) {
      out += std::string("<details") + (s.layers.size() <= 40 ? " open" : "") + "><summary>" +
             std::to_string(s.layers.size()) + " layers</summary>\n";
      table(out, fmt::layers_table(s));
      out += "</details>\n";
    }
    if (!s.notes.empty()) notes(out, s.notes);
  }
  if (!r.notes.empty()) {
    out += "<h2>Notes</h2>\n";
    notes(out, r.notes);
  }
  out += "<footer>schema " + esc(kSchema) + " &middot; " + esc(r.tool_version) + "</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace edge::report
