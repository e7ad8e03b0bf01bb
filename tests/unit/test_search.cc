// lib/search: dominance and the front, gates, best/closest by objective, the candidate plan,
// recipes (read back by the recipe parser), the cache key and the result cache, and the
// measurer against data::evaluate on a fixture.
#include <catch2/catch.hpp>

#include "data/evaluate.h"
#include "pass/pipeline.h"
#include "pass/recipe.h"
#include "search/candidates.h"
#include "search/measure.h"
#include "search/pareto.h"
#include "search/search_io.h"
#include "test_util.h"

using namespace edge;
using namespace edge::search;
namespace fs = std::filesystem;

namespace {

Candidate cand(int id, uint64_t size, double ms, double top1) {
  Candidate c;
  c.id = id;
  c.pipeline = "fuse-bn";
  Metrics m;
  m.size_bytes = size;
  m.latency_ms = ms;
  m.top1 = top1;
  m.agreement = top1;
  c.metrics = m;
  return c;
}

const fs::path kSource = EDGE_SOURCE_DIR;

}  // namespace

TEST_CASE("search: dominance needs no worse everywhere and better somewhere", "[search]") {
  Metrics a = *cand(1, 100, 1.0, 0.9).metrics;
  Metrics b = *cand(2, 200, 1.0, 0.9).metrics;
  REQUIRE(dominates(a, b));
  REQUIRE_FALSE(dominates(b, a));
  REQUIRE_FALSE(dominates(a, a));
  Metrics c = *cand(3, 50, 2.0, 0.9).metrics;  // smaller but slower: neither dominates
  REQUIRE_FALSE(dominates(a, c));
  REQUIRE_FALSE(dominates(c, a));
  // Without labels, agreement is the accuracy.
  a.top1.reset();
  b.top1.reset();
  b.agreement = 0.95;
  a.agreement = 0.90;
  REQUIRE_FALSE(dominates(a, b));
}

TEST_CASE("search: the front keeps the non-dominated candidates, one of equal twins", "[search]") {
  std::vector<Candidate> cs = {cand(1, 100, 1.0, 0.99), cand(2, 50, 1.0, 0.98), cand(3, 60, 1.1, 0.97),
                               cand(4, 50, 1.0, 0.98), cand(5, 200, 0.5, 0.99)};
  cs.push_back(Candidate{});  // not measured
  cs.back().id = 6;
  mark_front(cs);
  REQUIRE(cs[0].on_front);
  REQUIRE(cs[1].on_front);
  REQUIRE_FALSE(cs[2].on_front);  // #2 is smaller, faster and more accurate
  REQUIRE_FALSE(cs[3].on_front);  // the twin of #2 with the higher id
  REQUIRE(cs[4].on_front);
  REQUIRE_FALSE(cs[5].on_front);
}

TEST_CASE("search: gates, best by objective, closest when none passes", "[search]") {
  Metrics original = *cand(0, 1000, 1.0, 0.99).metrics;
  SearchGates g;
  g.max_accuracy_drop = 0.01;
  std::vector<Candidate> cs = {cand(1, 300, 2.0, 0.985), cand(2, 500, 0.5, 0.99), cand(3, 100, 0.7, 0.95)};
  for (auto& c : cs) {
    c.gate_failures = gate_failures(*c.metrics, original, g);
    c.meets_gates = c.gate_failures.empty();
  }
  REQUIRE(cs[0].meets_gates);
  REQUIRE(cs[1].meets_gates);
  REQUIRE(cs[2].gate_failures.size() == 1);
  REQUIRE_THAT(cs[2].gate_failures[0], Catch::Contains("accuracy drop 0.0400 > 0.0100"));
  REQUIRE(pick_best(cs, Objective::kSize) == 1);
  REQUIRE(pick_best(cs, Objective::kLatency) == 2);
  REQUIRE(pick_best(cs, Objective::kAccuracy) == 2);
  // A size gate nobody meets: no best; the closest is the one missing it by the least.
  g.max_size = 50;
  for (auto& c : cs) {
    c.gate_failures = gate_failures(*c.metrics, original, g);
    c.meets_gates = c.gate_failures.empty();
  }
  REQUIRE(pick_best(cs, Objective::kSize) == 0);
  // #1: 5x over size (excess 5); #2: 9x (9); #3: 1x over size + 3 gate-widths over accuracy (4).
  REQUIRE(pick_closest(cs, original, g) == 3);
  g.max_latency_ms = 0.4;
  g.max_peak_memory = 10;
  cs[1].metrics->peak_memory_bytes = 20;
  auto fails = gate_failures(*cs[1].metrics, original, g);  // latency, size and peak memory
  REQUIRE(fails.size() == 3);
  REQUIRE_THAT(fails[0], Catch::Contains("latency 0.500 ms > 0.400 ms"));
  REQUIRE_THAT(fails[1], Catch::Contains("size 500 bytes > 50"));
  REQUIRE_THAT(fails[2], Catch::Contains("peak memory 20 bytes > 10"));
  REQUIRE_THROWS_WITH(parse_objective("speed"), Catch::Contains("expected size, latency or accuracy"));
}

TEST_CASE("search: the plan starts with cleanup only, is valid and cheap-first", "[search]") {
  Model m = load_model(kSource / "fixtures/models/lenet5.onnx");
  PlanInputs none;
  auto plan = plan_candidates(m, none);
  REQUIRE(plan.size() >= 8);
  REQUIRE(plan[0].pipeline == "fold-constants,fuse-bn,eliminate-dead");
  for (size_t i = 0; i < plan.size(); ++i) {
    REQUIRE(plan[i].id == static_cast<int>(i) + 1);
    REQUIRE(plan[i].requires_id < plan[i].id);  // a requirement runs before
    REQUIRE(pass::canonical_pipeline(pass::parse_pipeline(plan[i].pipeline)) == plan[i].pipeline);
    REQUIRE(plan[i].pipeline.find("quantize-static") == std::string::npos);  // no calibration data
    if (i > 0) REQUIRE(plan[i - 1].cost <= plan[i].cost);
  }
  PlanInputs with{true, false, true, 0.02};
  auto full = plan_candidates(m, with);
  bool has_static = false, has_auto = false, has_combo = false;
  for (const auto& c : full) {
    has_static = has_static || c.family == "int8-static";
    has_auto = has_auto || c.pipeline.find("quantize-auto<max_drop=0.02>") != std::string::npos;
    has_combo = has_combo || c.family == "prune-global+int8";
  }
  REQUIRE(has_static);
  REQUIRE(has_auto);
  REQUIRE(has_combo);
  REQUIRE(full.size() > plan.size());
  // IR 3 models list weights as inputs: remove-initializer-inputs comes first.
  auto mnist = test::shared_dir() / "models/mnist-8/model.onnx";
  if (fs::exists(mnist)) REQUIRE(cleanup_prefix(load_model(mnist)).rfind("remove-initializer-inputs,", 0) == 0);
}

TEST_CASE("search: a candidate's recipe reads back as the same pipeline, data and reverts", "[search]") {
  test::TempDir dir;
  SearchOptions o;
  o.seed = 7;
  o.output = dir / "best.onnx";
  o.calib.path = kSource / "fixtures/data/mnist_calib_x.npy";
  o.calib.options.pre.scale = 1.0 / 255;
  o.eval.path = kSource / "fixtures/data/mnist_eval_x.npy";
  o.eval.labels = kSource / "fixtures/data/mnist_eval_y.npy";
  o.eval.options.pre.scale = 1.0 / 255;
  o.eval.limit = 100;
  o.gates.max_accuracy_drop = 0.005;
  Candidate c;
  c.id = 3;
  c.family = "prune-global+int8";
  c.pipeline = "fold-constants,prune-magnitude<sparsity=0.7>,quantize-static<calibration=minmax>";
  c.excluded = {"conv \"1\"", "fc2"};
  test::write_bytes(dir / "03.yaml", recipe_yaml(c, o));
  pass::Recipe r = pass::load_recipe(dir / "03.yaml");
  REQUIRE(pass::canonical_pipeline(r.pipeline) == c.pipeline);
  REQUIRE(r.seed == 7);
  REQUIRE(r.calib.path == o.calib.path);
  REQUIRE(r.calib.options.pre.scale == o.calib.options.pre.scale);  // shortest round-trip text
  REQUIRE(r.eval.labels == o.eval.labels);
  REQUIRE(r.eval.limit == 100);
  REQUIRE(r.gates.max_accuracy_drop == 0.005);
  REQUIRE(r.layers.size() == 2);
  REQUIRE(r.layers[0].match == "conv \"1\"");
  REQUIRE(r.layers[0].exclude);
  REQUIRE(candidate_file(3, o) == "03.onnx");
  o.output = dir / "best.onnx.zst";
  REQUIRE(candidate_file(12, o) == "12.onnx.zst");
}

TEST_CASE("search: the cache key follows model, pipeline, data and settings; entries round-trip", "[search]") {
  test::TempDir dir;
  SearchOptions o;
  o.eval.path = kSource / "fixtures/data/mnist_eval_x.npy";
  const std::string k = cache_key("abc", "fuse-bn", o);
  REQUIRE(k == cache_key("abc", "fuse-bn", o));
  REQUIRE(k != cache_key("abd", "fuse-bn", o));
  REQUIRE(k != cache_key("abc", "fuse-bn,eliminate-dead", o));
  SearchOptions o2 = o;
  o2.eval.path = kSource / "fixtures/data/fashion_eval_x.npy";
  REQUIRE(k != cache_key("abc", "fuse-bn", o2));
  o2 = o;
  o2.eval.options.pre.scale = 0.5;
  REQUIRE(k != cache_key("abc", "fuse-bn", o2));
  o2 = o;
  o2.threads = 2;
  REQUIRE(k != cache_key("abc", "fuse-bn", o2));
  o2 = o;
  o2.objective = Objective::kLatency;  // reverts on
  REQUIRE(k != cache_key("abc", "fuse-bn", o2));

  Candidate c = cand(4, 1234, 0.25, 0.97);
  c.metrics->p99_ms = 0.5;
  c.metrics->peak_memory_bytes = 4096;
  c.excluded = {"conv1"};
  c.reverts = {{"conv1", "QLinearConv", 0.02, 0.01}};
  c.kept_slower = {{"dw1", "QLinearConv", 0.008, 0.003}};
  c.reverted_latency_ms = 0.062;
  {
    ResultCache cache(dir / "cache.json");
    cache.store(k, c);
    cache.save();
  }
  ResultCache again(dir / "cache.json");
  Candidate back;
  REQUIRE(again.lookup(k, back));
  REQUIRE_FALSE(again.lookup(cache_key("x", "y", o), back));
  REQUIRE(back.metrics->size_bytes == 1234);
  REQUIRE(back.metrics->p99_ms == 0.5);
  REQUIRE(back.metrics->peak_memory_bytes == 4096);
  REQUIRE(*back.metrics->top1 == 0.97);
  REQUIRE(back.excluded == c.excluded);
  REQUIRE(back.reverts.size() == 1);
  REQUIRE(back.reverts[0].op == "QLinearConv");
  REQUIRE(back.kept_slower.size() == 1);
  REQUIRE(back.kept_slower[0].layer == "dw1");
  REQUIRE(back.reverted_latency_ms == 0.062);
  // A damaged cache is ignored with a note, not an error.
  test::write_bytes(dir / "bad.json", "{not json");
  ResultCache bad(dir / "bad.json");
  REQUIRE_THAT(bad.note(), Catch::Contains("unreadable cache ignored"));
  REQUIRE_FALSE(bad.lookup(k, back));
}

TEST_CASE("search: the measurer's accuracy is data::evaluate's; memory counts arena and weights", "[search]") {
  SearchOptions o;
  o.eval.path = kSource / "fixtures/data/mnist_eval_x.npy";
  o.eval.labels = kSource / "fixtures/data/mnist_eval_y.npy";
  o.eval.options.pre.scale = 1.0 / 255;
  o.eval.limit = 200;
  o.timed_runs = 5;
  o.warmup_runs = 1;
  Model m = load_model(kSource / "fixtures/models/lenet5.onnx");
  Measurer meas(o, m);
  Metrics got = meas.measure(m);
  auto s = rt::Session::create(m);
  auto d = data::open_dataset(o.eval.path, o.eval.options);
  auto labels = data::open_labels(o.eval.labels);
  data::EvalOptions eo;
  eo.limit = 200;
  auto want = data::evaluate(*s, *d, &labels, nullptr, eo);
  REQUIRE(want.samples == 200);
  REQUIRE(got.top1);
  REQUIRE(*got.top1 == want.top1);
  REQUIRE(got.agreement == 1.0);  // the original against itself
  REQUIRE(got.latency_ms > 0);
  REQUIRE(got.p99_ms >= got.latency_ms);
  REQUIRE(initializer_bytes(m) == 61706u * 4);  // lenet5's params (MANIFEST.json), float32
  REQUIRE(got.peak_memory_bytes > initializer_bytes(m));
  auto layers = meas.layer_times(m);
  REQUIRE_FALSE(layers.empty());
  for (const auto& [name, t] : layers) REQUIRE(t.ms >= 0);
}
