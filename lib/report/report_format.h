// Internal helpers shared by the Markdown and HTML report writers: locale-independent
// number formatting, text sanitizing (names come from untrusted models) and the small
// derived facts both writers show (size ratio, how much a gate missed by, layer columns).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"

namespace edge::report::fmt {

// Replaces invalid UTF-8 sequences and C0 control characters (other than tab and newline)
// with U+FFFD, so every writer emits valid UTF-8 text.
std::string sanitize_utf8(std::string_view s);
// At most `max_chars` code points of (sanitized) `s`, with "…" appended when cut.
std::string truncate(std::string_view s, size_t max_chars);

std::string fixed(double v, int decimals);        // "0.125"; non-finite → "nan"/"inf"
std::string general(double v, int significant);   // shortest of fixed/scientific: "0.023", "1e-06"
std::string grouped(int64_t v);                   // "1,234,567"
std::string bytes(uint64_t v);                    // "812 B", "26.1 KiB", "4.02 MiB"
std::string percent(double fraction, int decimals = 1);  // 0.8 → "80.0%"
std::string seconds(double s);                    // "0.42 ms", "12.3 ms", "1.25 s"
std::string optional_number(const std::optional<double>& v, int decimals);  // "—" when absent
std::string optional_percent(const std::optional<double>& v);

// "3.91× smaller (25.6% of original)"; "—" when either size is zero.
std::string size_ratio(uint64_t original, uint64_t result);
// A gate's value or limit with its unit ("26.1 KiB", "4.20 ms", "431,080 params", "0.023").
std::string gate_value(double v, const std::string& unit);
// "missed by 0.013" for a failed gate, "margin 0.004" for a passed one.
std::string gate_margin(const GateRecord& g);

// Sorted union of metric (resp. attr) keys over a stage's layers.
std::vector<std::string> metric_columns(const StageRecord& s);
std::vector<std::string> attr_columns(const StageRecord& s);

// A table both the Markdown and HTML writers render, so they show the same facts.
struct Cell {
  std::string text;      // plain (sanitized, unescaped) text
  bool code = false;     // names, options: `code` in Markdown, <code> in HTML
  std::string tag;       // "pass" | "fail" | "": Markdown bolds "fail", HTML colours both
};
struct Table {
  std::vector<std::string> head;
  std::vector<bool> numeric;  // right-aligned columns
  std::vector<std::vector<Cell>> rows;
};
Table summary_table(const Report& r);  // metric | original | result | change
Table gates_table(const Report& r);    // gate | limit | value | result | margin | detail
Table stages_table(const Report& r);   // # | stage | kind | options | time | size | ...
Table layers_table(const StageRecord& s);  // layer | op | params | metrics... | attrs...
std::vector<std::pair<std::string, std::string>> stage_metrics(const StageRecord& s);

// Verdict shown for the report: r.verdict, or derived from the gates when empty.
std::string verdict(const Report& r);

}  // namespace edge::report::fmt
