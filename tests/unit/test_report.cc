#include <catch2/catch.hpp>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ir/status.h"
#include "ir/text_util.h"
#include "report/report.h"
#include "test_util.h"

using namespace edge;
using namespace edge::report;
using nlohmann::json;

namespace {

const char* kHostile = "<img src=x onerror=alert(1)>";

Report make_report(const std::string& started_at = "2024-05-01T12:00:00Z", double secs = 1.5) {
  Report r;
  r.tool_version = "compressor 0.1.0";
  r.input_path = "in/model.onnx";
  r.output_path = "out/model.onnx";
  r.input_sha256 = "ab12cd34";
  r.pipeline = "prune-magnitude<sparsity=0.8>,quantize-dynamic";
  r.seed = 7;
  r.started_at = started_at;
  r.total_seconds = secs;
  r.original.bytes = 40000;
  r.original.params = 10000;
  r.original.macs = 250000;
  r.original.top1 = 0.98;
  r.original.latency_ms = 1.25;
  r.result = r.original;
  r.result.bytes = 10000;
  r.result.sparsity = 0.8;
  r.result.top1 = 0.955;
  r.result.agreement_top1 = 0.97;

  StageRecord prune;
  prune.name = "prune-magnitude";
  prune.options = "sparsity=0.8";
  prune.kind = "prune";
  prune.seconds = secs / 3;
  prune.before = r.original;
  prune.after = r.original;
  prune.after.sparsity = 0.8;
  prune.nodes_before = prune.nodes_after = 5;
  prune.layers = {{"conv1", "Conv", 600, {{"sparsity", 0.5}}, {}},
                  {kHostile, "MatMul", 9400, {{"sparsity", 0.82}, {"l1", 12.5}}, {}}};
  prune.notes = {"conv1 kept at 50%"};

  StageRecord quant;
  quant.name = "quantize-dynamic";
  quant.kind = "quantize";
  quant.seconds = secs / 2;
  quant.before = prune.after;
  quant.after = r.result;
  quant.nodes_before = 5;
  quant.nodes_after = 9;
  quant.metrics = {{"quantized_layers", 2}};
  quant.layers = {{"conv1", "Conv", 600, {{"bits", 8}, {"sqnr_db", 31.5}}, {{"dtype", "int8"}}},
                  {kHostile, "MatMul", 9400, {{"bits", 8}}, {{"dtype", "uint8"}}}};
  r.stages = {prune, quant};

  r.gates = {{"max-accuracy-drop", 0.01, 0.025, false, "", "top-1 dropped 0.025 (limit 0.010)"},
             {"max-size", 20000, 10000, true, "bytes", "ok"}};
  r.verdict = "gate-failed";
  r.notes = {"eval on 200 samples"};
  return r;
}

// Paths (a/b/0/c) of every leaf where two JSON documents differ.
void diff(const json& a, const json& b, const std::string& path, std::set<std::string>& out) {
  if (a.type() != b.type()) {
    out.insert(path);
  } else if (a.is_object()) {
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k)) out.insert(path + "/" + k);
      else diff(v, b[k], path + "/" + k, out);
    }
    for (const auto& [k, v] : b.items())
      if (!a.contains(k)) out.insert(path + "/" + k);
  } else if (a.is_array()) {
    if (a.size() != b.size()) out.insert(path);
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) diff(a[i], b[i], path + "/" + std::to_string(i), out);
  } else if (a != b) {
    out.insert(path);
  }
}

}  // namespace

TEST_CASE("report JSON has every field with its value", "[report]") {
  const Report r = make_report();
  const json j = json::parse(to_json(r));
  CHECK(j["schema"] == "edge.report/1");
  CHECK(j["tool_version"] == "compressor 0.1.0");
  CHECK(j["input_path"] == "in/model.onnx");
  CHECK(j["output_path"] == "out/model.onnx");
  CHECK(j["input_sha256"] == "ab12cd34");
  CHECK(j["pipeline"] == r.pipeline);
  CHECK(j["seed"] == 7);
  CHECK(j["started_at"] == "2024-05-01T12:00:00Z");
  CHECK(j["total_seconds"] == 1.5);
  CHECK(j["verdict"] == "gate-failed");
  CHECK(j["original"]["bytes"] == 40000);
  CHECK(j["original"]["params"] == 10000);
  CHECK(j["original"]["macs"] == 250000);
  CHECK(j["original"]["top1"] == 0.98);
  CHECK(j["original"]["agreement_top1"].is_null());
  CHECK(j["original"]["cosine"].is_null());
  CHECK(j["original"]["latency_ms"] == 1.25);
  CHECK(j["result"]["bytes"].is_number_unsigned());
  CHECK(j["result"]["sparsity"] == 0.8);
  CHECK(j["result"]["agreement_top1"] == 0.97);

  REQUIRE(j["stages"].size() == 2);
  const json& s0 = j["stages"][0];
  CHECK(s0["name"] == "prune-magnitude");
  CHECK(s0["options"] == "sparsity=0.8");
  CHECK(s0["kind"] == "prune");
  CHECK(s0["seconds"] == 0.5);
  CHECK(s0["nodes_before"] == 5);
  CHECK(s0["nodes_after"] == 5);
  CHECK(s0["before"]["sparsity"] == 0);
  CHECK(s0["after"]["sparsity"] == 0.8);
  CHECK(s0["metrics"].is_object());
  CHECK(s0["notes"] == json::array({"conv1 kept at 50%"}));
  REQUIRE(s0["layers"].size() == 2);
  CHECK(s0["layers"][1]["name"] == kHostile);
  CHECK(s0["layers"][1]["op"] == "MatMul");
  CHECK(s0["layers"][1]["params"] == 9400);
  CHECK(s0["layers"][1]["metrics"]["l1"] == 12.5);
  const json& s1 = j["stages"][1];
  CHECK(s1["metrics"]["quantized_layers"] == 2);
  CHECK(s1["layers"][0]["attrs"]["dtype"] == "int8");
  CHECK(s1["after"]["top1"] == 0.955);

  REQUIRE(j["gates"].size() == 2);
  CHECK(j["gates"][0]["name"] == "max-accuracy-drop");
  CHECK(j["gates"][0]["limit"] == 0.01);
  CHECK(j["gates"][0]["value"] == 0.025);
  CHECK(j["gates"][0]["passed"] == false);
  CHECK(j["gates"][0]["unit"] == "");
  CHECK(j["gates"][0]["detail"] == "top-1 dropped 0.025 (limit 0.010)");
  CHECK(j["gates"][1]["passed"] == true);
  CHECK(j["notes"] == json::array({"eval on 200 samples"}));

  // Keys come out in the documented order.
  std::vector<std::string> keys;
  const auto ordered = nlohmann::ordered_json::parse(to_json(r));
  for (const auto& [k, v] : ordered.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"schema", "tool_version", "input_path", "output_path", "input_sha256",
                                         "pipeline", "seed", "started_at", "total_seconds", "verdict", "original",
                                         "result", "stages", "gates", "notes"});
}

TEST_CASE("report JSON survives invalid UTF-8 and non-finite numbers", "[report]") {
  Report r = make_report();
  r.stages[0].layers[0].name = "bad\xff\xfe name";
  r.stages[0].layers[0].metrics["mse"] = std::numeric_limits<double>::quiet_NaN();
  const json j = json::parse(to_json(r));
  CHECK(j["stages"][0]["layers"][0]["name"] == "bad\xEF\xBF\xBD\xEF\xBF\xBD name");
  CHECK(j["stages"][0]["layers"][0]["metrics"]["mse"].is_null());
  CHECK_NOTHROW(to_markdown(r));
  CHECK(to_html(r).find("\xff") == std::string::npos);
}

TEST_CASE("report Markdown has the summary, gates, stage and layer tables", "[report]") {
  const std::string md = to_markdown(make_report());
  CHECK_THAT(md, Catch::Contains("# Compression report"));
  CHECK_THAT(md, Catch::Contains("**GATE FAILED**"));
  CHECK_THAT(md, Catch::Contains("| metric | original | result | change |"));
  CHECK_THAT(md, Catch::Contains("| Size | 39.1 KiB | 9.8 KiB | 4.00\xC3\x97 smaller (25.0% of original) |"));
  CHECK_THAT(md, Catch::Contains("| Weight sparsity | 0.0% | 80.0% | +80.0 pp |"));
  CHECK_THAT(md, Catch::Contains("| Top\\-1 accuracy | 98.00% | 95.50% | -2.50 pp |") ||
                     Catch::Contains("| Top-1 accuracy | 98.00% | 95.50% | -2.50 pp |"));
  CHECK_THAT(md, Catch::Contains("`prune-magnitude<sparsity=0.8>,quantize-dynamic`"));
  CHECK_THAT(md, Catch::Contains("| seed | 7 |"));
  CHECK_THAT(md, Catch::Contains("`ab12cd34`"));
  // Gates: the failed one says by how much it missed.
  CHECK_THAT(md, Catch::Contains("| gate | limit | value | result | by | detail |"));
  CHECK_THAT(md, Catch::Contains("| `max-accuracy-drop` | 0.01 | 0.025 | **FAIL** | missed by 0.015 |"));
  CHECK_THAT(md, Catch::Contains("| `max-size` | 19.5 KiB | 9.8 KiB | pass | margin 9.8 KiB |"));
  // Stage table and per-stage layer tables with the columns that occur in each stage.
  CHECK_THAT(md, Catch::Contains("| # | stage | kind | options | time | size | params | sparsity | nodes | top-1 | agreement |"));
  CHECK_THAT(md, Catch::Contains("| 1 | `prune-magnitude` | prune | `sparsity=0.8` | 500.0 ms | 39.1 KiB |"));
  CHECK_THAT(md, Catch::Contains("| layer | op | params | l1 | sparsity |"));
  CHECK_THAT(md, Catch::Contains("| layer | op | params | bits | sqnr_db | dtype |"));
  CHECK_THAT(md, Catch::Contains("| `conv1` | Conv | 600 | 8 | 31.5 | int8 |"));
  CHECK_THAT(md, Catch::Contains("- `quantized_layers`: 2"));
  CHECK_THAT(md, Catch::Contains("- conv1 kept at 50%"));
  CHECK_THAT(md, Catch::Contains("## Notes"));
  // The hostile name is inside a code span, never raw HTML outside one.
  CHECK_THAT(md, Catch::Contains("`<img src=x onerror=alert(1)>`"));
}

TEST_CASE("Markdown cells cannot be broken by names with pipes, backticks or newlines", "[report]") {
  Report r = make_report();
  r.stages[0].layers[0].name = "a|b`c\nd";
  r.stages[0].layers[0].op = "x|y*";
  const std::string md = to_markdown(r);
  CHECK_THAT(md, Catch::Contains("| ``a\\|b`c d`` | x\\|y\\* |"));
}

TEST_CASE("report HTML is self-contained and escapes model text", "[report]") {
  const std::string html = to_html(make_report());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK_THAT(html, Catch::Contains("&lt;img src=x onerror=alert(1)&gt;"));
  CHECK_THAT(html, Catch::Contains("class=\"badge gate-failed\""));
  CHECK_THAT(html, Catch::Contains("<svg"));
  CHECK_THAT(html, Catch::Contains("Per-layer sqnr_db"));
  CHECK_THAT(html, Catch::Contains("missed by 0.015"));
  CHECK_THAT(html, Catch::Contains("<td class=\"fail\">FAIL</td>"));
  CHECK_THAT(html, Catch::Contains("<code>prune-magnitude&lt;sparsity=0.8&gt;,quantize-dynamic</code>"));
  CHECK_THAT(html, Catch::Contains("<th>sqnr_db</th>") || Catch::Contains("<th class=\"num\">sqnr_db</th>"));
  CHECK(html.find("</html>") != std::string::npos);

  Report pass = make_report();
  pass.gates.clear();
  pass.verdict = "pass";
  CHECK_THAT(to_html(pass), Catch::Contains("class=\"badge pass\""));
  pass.verdict = "dry-run";
  pass.output_path.clear();
  CHECK_THAT(to_html(pass), Catch::Contains("class=\"badge dry-run\""));
  // An injected verdict cannot leave the attribute or the element.
  pass.verdict = "\"><b>x";
  CHECK(to_html(pass).find("<b>x") == std::string::npos);
}

TEST_CASE("write_report picks the format from the extension and writes atomically", "[report]") {
  test::TempDir dir;
  const Report r = make_report();
  write_report(r, (dir / "r.json").string());
  write_report(r, (dir / "r.md").string());
  write_report(r, (dir / "r.markdown").string());
  write_report(r, (dir / "r.html").string());
  write_report(r, (dir / "R.HTM").string());
  CHECK(test::read_bytes(dir / "r.json") == to_json(r));
  CHECK(test::read_bytes(dir / "r.md") == to_markdown(r));
  CHECK(test::read_bytes(dir / "r.markdown") == to_markdown(r));
  CHECK(test::read_bytes(dir / "r.html") == to_html(r));
  CHECK(test::read_bytes(dir / "R.HTM") == to_html(r));
  CHECK(test::count_entries(dir.path()) == 5);

  REQUIRE_THROWS_AS(write_report(r, (dir / "r.txt").string()), edge::Error);
  REQUIRE_THROWS_WITH(write_report(r, (dir / "r.txt").string()),
                      Catch::Contains("r.txt") && Catch::Contains(".txt") && Catch::Contains(".json"));
  REQUIRE_THROWS_AS(write_report(r, (dir / "noext").string()), edge::Error);
  CHECK(test::count_entries(dir.path()) == 5);
  REQUIRE_THROWS(write_report(r, (dir / "missing" / "r.json").string()));
}

TEST_CASE("reports are deterministic: only the timing fields differ", "[report]") {
  const Report a = make_report();
  const std::string json1 = to_json(a), md1 = to_markdown(a), html1 = to_html(a);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(to_json(a) == json1);
  CHECK(to_markdown(a) == md1);
  CHECK(to_html(a) == html1);

  const Report b = make_report("2031-01-02T03:04:05Z", 99.25);
  std::set<std::string> differ;
  diff(json::parse(to_json(a)), json::parse(to_json(b)), "", differ);
  CHECK(differ == std::set<std::string>{"/started_at", "/total_seconds", "/stages/0/seconds", "/stages/1/seconds"});
}

TEST_CASE("sizes: one unit convention and honest change phrases") {
  CHECK(format_bytes(812) == "812 B");
  CHECK(format_bytes(26726) == "26.1 KiB");
  CHECK(format_bytes(4215276) == "4.02 MiB");
  CHECK(size_change(40000, 10000) == "4.00\xC3\x97 smaller (25.0% of original)");
  CHECK(size_change(1000, 960) == "4.0% smaller");  // not "1.04x smaller"
  CHECK(size_change(1000, 1004) == "grew 0.4%");    // not "1.00x smaller"
  CHECK(size_change(1000, 1000) == "unchanged");
  CHECK(size_change(0, 10) == "\xE2\x80\x94");
}

TEST_CASE("latency changes inside the measurement noise are not claimed") {
  report::ModelMetrics a, b;
  a.latency_ms = 1.00;
  a.latency_spread_ms = 0.10;
  b.latency_ms = 1.15;
  b.latency_spread_ms = 0.08;
  CHECK(report::latency_change(a, b) == "within noise");  // 0.15 <= 0.18
  b.latency_ms = 1.25;
  CHECK(report::latency_change(a, b) == "+25.0%");
  a.latency_spread_ms = b.latency_spread_ms = 0.0;
  b.latency_ms = 1.01;
  CHECK(report::latency_change(a, b) == "within noise");  // under 2%
  b.latency_ms = 0.5;
  CHECK(report::latency_change(a, b) == "-50.0%");
  b.latency_ms.reset();
  CHECK(report::latency_change(a, b) == "\xE2\x80\x94");
}
