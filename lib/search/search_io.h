// What a search reads and writes besides models: candidate recipes (YAML, runnable with
// `compressor compress --recipe`), the result cache (D/cache.json), D/pareto.json and the
// HTML report (D/report.html).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "search/search.h"

namespace edge::search {

// The recipe of one candidate: its pipeline, the search's seed, data and accuracy/size gates,
// shapes, and an `exclude` layer rule per reverted layer. Data paths are absolute.
std::string recipe_yaml(const Candidate& c, const SearchOptions& opts);

// Cache key: sha256 over the model's sha256, the pipeline, the reverted-layer decision mode,
// the data files' sha256 and preprocessing, seed, threads, run counts and storage form.
std::string cache_key(const std::string& model_sha256, const std::string& pipeline, const SearchOptions& opts);

// D/cache.json: measured candidates by key (metrics, reverted layers, final pipeline).
class ResultCache {
 public:
  explicit ResultCache(std::filesystem::path path);  // reads it when present (bad file: empty + note)
  // Fills c's metrics, excluded layers and reverts from the entry; false when absent.
  bool lookup(const std::string& key, Candidate& c) const;
  void store(const std::string& key, const Candidate& c);
  void save() const;  // atomically
  const std::string& note() const { return note_; }

 private:
  std::filesystem::path path_;
  std::map<std::string, std::string> entries_;  // key -> JSON object text
  std::string note_;
};

// Model file of a candidate inside D/candidates: "03.onnx" (or "03.onnx.zst").
std::string candidate_file(int id, const SearchOptions& opts);

std::string pareto_json(const SearchResult& r, const SearchOptions& opts);
std::string report_html(const SearchResult& r, const SearchOptions& opts);

// Reads D/pareto.json's metrics fields back (for --collect's inputs: edge.report/1 JSON).
// Returns the candidate's metrics from a compress report, or nullopt when the report has no
// result metrics.
std::optional<Metrics> metrics_from_report(const std::filesystem::path& report_json, std::string* pipeline,
                                           Metrics* original);

}  // namespace edge::search
