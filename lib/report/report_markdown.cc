// Markdown writer (GitHub-flavoured tables). Text from the model (layer names, ops,
// attributes) is escaped so it cannot break a table or inject HTML/links into a renderer.
#include <algorithm>
#include <cctype>

#include "report/report.h"
#include "report/report_format.h"

namespace edge::report {
namespace {

bool word_char(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// Backslash-escapes Markdown punctuation; newlines become spaces (they would end a row).
// `_` inside a word, and `#` other than a leading "# ", cannot start markup, so they stay.
std::string md_text(const std::string& raw) {
  const std::string s = fmt::sanitize_utf8(raw);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool inside_word = i > 0 && i + 1 < s.size() && word_char(s[i - 1]) && word_char(s[i + 1]);
    if (c == '\n' || c == '\t') {
      out += ' ';
    } else if (std::string_view("\\`*[]<>|&~").find(c) != std::string_view::npos ||
               (c == '_' && !inside_word) || (c == '#' && i == 0 && s.size() > 1 && s[1] == ' ')) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

// A code span that survives any content: a fence longer than the longest backtick run,
// padding when the text starts or ends with a backtick, and `|` escaped for tables.
std::string md_code(const std::string& s) {
  std::string body;
  size_t run = 0, longest = 0;
  for (char c : fmt::sanitize_utf8(s)) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (c == '\n' || c == '\t') {
      body += ' ';
    } else if (c == '|') {
      body += "\\|";
    } else {
      body += c;
    }
  }
  if (body.empty()) return "";
  const std::string fence(longest + 1, '`');
  const bool pad = body.front() == '`' || body.back() == '`';
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string md_cell(const fmt::Cell& c) {
  std::string s = c.code ? md_code(c.text) : md_text(c.text);
  if (c.tag == "fail") s = "**" + s + "**";
  return s;
}

void table(std::string& out, const fmt::Table& t) {
  out += "|";
  for (const auto& h : t.head) out += " " + md_text(h) + " |";
  out += "\n|";
  for (size_t i = 0; i < t.head.size(); ++i) out += t.numeric[i] ? "---:|" : "---|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& c : row) out += " " + md_cell(c) + " |";
    out += "\n";
  }
  out += "\n";
}

void bullets(std::string& out, const std::vector<std::string>& notes) {
  for (const auto& n : notes) out += "- " + md_text(n) + "\n";
  out += "\n";
}

std::string verdict_line(const std::string& v) {
  if (v == "pass") return "**PASS**: every gate passed";
  if (v == "gate-failed") return "**GATE FAILED**: the model was written, but at least one gate failed";
  if (v == "dry-run") return "**DRY RUN**: nothing was written";
  return "**" + md_text(v) + "**";
}

}  // namespace

std::string to_markdown(const Report& r) {
  std::string out = "# Compression report\n\n";
  out += "Verdict: " + verdict_line(fmt::verdict(r)) + "\n\n";
  out += "| | |\n|---|---|\n";
  out += "| input | " + md_code(r.input_path) + " |\n";
  out += "| output | " + (r.output_path.empty() ? "\xE2\x80\x94" : md_code(r.output_path)) + " |\n";
  out += "| pipeline | " + md_code(r.pipeline) + " |\n";
  out += "| seed | " + std::to_string(r.seed) + " |\n";
  out += "| input sha256 | " + md_code(r.input_sha256) + " |\n";
  out += "| tool | " + md_text(r.tool_version) + " |\n";
  out += "| started | " + md_text(r.started_at) + " |\n";
  out += "| total time | " + fmt::seconds(r.total_seconds) + " |\n\n";

  out += "## Summary\n\n";
  table(out, fmt::summary_table(r));

  out += "## Gates\n\n";
  if (r.gates.empty()) {
    out += "No gates were set.\n\n";
  } else {
    table(out, fmt::gates_table(r));
  }

  out += "## Stages\n\n";
  if (r.stages.empty()) {
    out += "No stages ran.\n\n";
  } else {
    table(out, fmt::stages_table(r));
  }

  for (size_t i = 0; i < r.stages.size(); ++i) {
    const StageRecord& s = r.stages[i];
    const auto metrics = fmt::stage_metrics(s);
    if (s.layers.empty() && metrics.empty() && s.notes.empty()) continue;
    out += "### Stage " + std::to_string(i + 1) + ": " + md_code(s.name);
    if (!s.options.empty()) out += " " + md_code(s.options);
    out += "\n\n";
    if (!metrics.empty()) {
      for (const auto& [k, v] : metrics) out += "- " + md_code(k) + ": " + v + "\n";
      out += "\n";
    }
    if (!s.layers.empty()) table(out, fmt::layers_table(s));
    if (!s.notes.empty()) bullets(out, s.notes);
  }

  if (!r.notes.empty()) {
    out += "## Notes\n\n";
    bullets(out, r.notes);
  }
  while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n')
    out.pop_back();
  return out;
}

}  // namespace edge::report
