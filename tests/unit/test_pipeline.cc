#include <catch2/catch.hpp>

#include "ir/text_format.h"
#include "pass/context.h"
#include "pass/layer_rules.h"
#include "pass/pipeline.h"
#include "pass/recipe.h"
#include "pass/registry.h"

using namespace edge;
using namespace edge::pass;

TEST_CASE("pipeline text parses, validates and prints back canonically", "[passes]") {
  Pipeline p = parse_pipeline(" fold-constants<max_bytes=1024>, fuse-bn ,eliminate-dead");
  REQUIRE(p.size() == 3);
  REQUIRE(p[0].options.get_int("max_bytes") == 1024);
  REQUIRE(canonical_pipeline(p) == "fold-constants<max_bytes=1024>,fuse-bn,eliminate-dead");
  // Defaults are not printed; the canonical form parses to the same pipeline.
  REQUIRE(canonical_pipeline(parse_pipeline("fold-constants<max_bytes=16777216>")) == "fold-constants");
  REQUIRE(canonical_pipeline(parse_pipeline(canonical_pipeline(p))) == canonical_pipeline(p));
}

TEST_CASE("pipeline errors name the problem and suggest the nearest name", "[passes]") {
  REQUIRE_THROWS_WITH(parse_pipeline("fuse-bm"), Catch::Contains("did you mean 'fuse-bn'"));
  REQUIRE_THROWS_WITH(parse_pipeline("fold-constants<max_byte=1>"), Catch::Contains("did you mean 'max_bytes'"));
  REQUIRE_THROWS_WITH(parse_pipeline("fold-constants<max_bytes=-1>"), Catch::Contains("must be in"));
  REQUIRE_THROWS_WITH(parse_pipeline("fold-constants<max_bytes=1.5>"), Catch::Contains("integer"));
  REQUIRE_THROWS_WITH(parse_pipeline("fold-constants<max_bytes>"), Catch::Contains("needs a value"));
  REQUIRE_THROWS_WITH(parse_pipeline("fold-constants<max_bytes=1"), Catch::Contains("without a matching"));
  REQUIRE_THROWS_WITH(parse_pipeline("fuse-bn,,eliminate-dead"), Catch::Contains("empty pass name"));
  REQUIRE_THROWS_WITH(parse_pipeline("fuse-bn,"), Catch::Contains("trailing"));
  REQUIRE_THROWS_WITH(parse_pipeline("fuse bn"), Catch::Contains("invalid character"));
  REQUIRE_THROWS_WITH(parse_pipeline("fuse-bn<x=1>"), Catch::Contains("takes no options"));
  REQUIRE(nearest_name("zzzzzz", {"fuse-bn"}).empty());
}

TEST_CASE("recipes: pipeline, data, gates, layers; bad keys and types", "[passes]") {
  Recipe r = parse_recipe(R"(
version: 1
seed: 5
pipeline:
  - fold-constants: {max_bytes: 100}
  - fuse-bn
data:
  eval: {path: x.npy, labels: y.npy, scale: 1/255, batch: 8}
gates: {max-size: 1.5MB, max-accuracy-drop: 0.01}
layers:
  - {match: conv1, exclude: true}
  - {match: "re:fc.*", max_bytes: 7}
)", "/base", "r.yaml");
  REQUIRE(canonical_pipeline(r.pipeline) == "fold-constants<max_bytes=100>,fuse-bn");
  REQUIRE(*r.seed == 5);
  REQUIRE(r.eval.path == "/base/x.npy");
  REQUIRE(r.eval.options.pre.scale == Approx(1.0 / 255));
  REQUIRE(*r.gates.max_size == 1500000);
  REQUIRE(r.layers.size() == 2);
  REQUIRE(r.layers[0].exclude);
  LayerRules rules(r.layers, r.pipeline, "r.yaml");
  REQUIRE(rules.matches(1, "fc2"));
  REQUIRE_FALSE(rules.matches(1, "conv2"));
  REQUIRE_FALSE(rules.matches(1, "xfc2"));  // a regex matches the whole name
  REQUIRE_THROWS_WITH(parse_recipe("pipeline: [fuse-bn]\nsed: 1\n", "/", "r.yaml"), Catch::Contains("did you mean 'seed'"));
  REQUIRE_THROWS_WITH(parse_recipe("pipeline: [fuse-bn]\nseed: abc\n", "/", "r.yaml"), Catch::Contains("must be a number"));
  REQUIRE_THROWS_WITH(parse_recipe("pipeline: fuse-bn\n", "/", "r.yaml"), Catch::Contains("list of passes"));
  REQUIRE_THROWS_WITH(parse_recipe("pipeline: [fuse-bn]\nlayers: [{match: a, sparsity: 1}]\n", "/", "r.yaml"),
                      Catch::Contains("not an option of any pass"));
  REQUIRE(parse_size("500KB", "s") == 500000);
  REQUIRE(parse_size("2MiB", "s") == 2097152);
  REQUIRE_THROWS(parse_size("5 parsecs", "s"));
}

TEST_CASE("layer rules: exclude, include, later rules win", "[passes]") {
  Pipeline p = parse_pipeline("fold-constants");
  auto rules = [&](std::vector<LayerRule> r) { return LayerRules(std::move(r), p, "r.yaml"); };
  LayerRules a = rules({{"conv1", true, false, {}}});
  REQUIRE(a.excluded("conv1"));
  REQUIRE_FALSE(a.excluded("conv2"));
  LayerRules b = rules({{"re:conv.*", false, true, {}}, {"conv3", true, false, {}}});
  REQUIRE_FALSE(b.excluded("conv1"));
  REQUIRE(b.excluded("conv3"));  // excluded after being included
  REQUIRE(b.excluded("fc"));     // not included
  LayerRules c = rules({{"re:.*", false, false, {{"max_bytes", "7"}}}, {"fc", false, false, {{"max_bytes", "9"}}}});
  REQUIRE(c.for_layer("fc", p[0].options).get_int("max_bytes") == 9);
  REQUIRE(c.for_layer("conv", p[0].options).get_int("max_bytes") == 7);
  REQUIRE_FALSE(c.excluded("fc"));  // a rule with options only does not exclude
  PassContext ctx(nullptr, 0);
  ctx.layer_rules = a;
  REQUIRE(ctx.layer_excluded("conv1"));
  REQUIRE_FALSE(ctx.layer_excluded("fc"));
}

TEST_CASE("stage kinds come from passes.def", "[passes]") {
  REQUIRE(std::string(stage_name(StageKind::Cleanup)) == "cleanup");
  REQUIRE(std::string(stage_name(StageKind::Prune)) == "prune");
  REQUIRE(std::string(stage_name(StageKind::Quantize)) == "quantize");
  REQUIRE(std::string(stage_name(StageKind::Distill)) == "distill");
  REQUIRE(find_pass("fuse-bn").stage == StageKind::Cleanup);
  for (const auto& info : all_passes()) REQUIRE(std::string(stage_name(info.stage)) != "?");
}

namespace {
// A pass outside the registry with one option of each type; it records what for_layer
// gives it for every node.
struct SeenLayer {
  bool excluded = false;
  double sparsity = 0;
  int64_t bits = 0;
  bool flag = false;
  std::string method;
  std::vector<std::string> overridden;
};
std::map<std::string, SeenLayer> g_seen;

class ProbePass : public Pass {
 public:
  explicit ProbePass(const PassOptions&) {}
  void run(Model& model, PassContext& ctx) override {
    for (const auto& node : model.graph().node()) {
      LayerOptions lo = ctx.for_layer(node);
      g_seen[node.name()] = {lo.excluded, lo.get_float("sparsity"), lo.get_int("bits"), lo.get_bool("flag"),
                             lo.get_string("method"), lo.overridden};
    }
  }
};

const PassInfo& probe_info() {
  static const PassInfo info{
      "probe",
      StageKind::Prune,
      "records per-layer options",
      {{"sparsity", OptionType::kFloat, "0.5", "fraction of weights", {}, 0, 1},
       {"bits", OptionType::kInt, "8", "bit width", {}, 2, 8},
       {"flag", OptionType::kBool, "false", "a switch", {}, -1e300, 1e300},
       {"method", OptionType::kString, "l1", "norm", {"l1", "l2"}, -1e300, 1e300}},
      [](const PassOptions& o) -> std::unique_ptr<Pass> { return std::make_unique<ProbePass>(o); }};
  return info;
}

PipelineEntry probe_entry(const std::map<std::string, std::string>& values) {
  return PipelineEntry{&probe_info(), make_options(probe_info(), values)};
}

Model three_named_nodes() {
  Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) {
  a = Relu(x)
  b = Relu(a)
  y = Relu(b)
})");
  const char* names[] = {"conv1", "fc1", "fc2"};
  for (int i = 0; i < 3; ++i) m.proto().mutable_graph()->mutable_node(i)->set_name(names[i]);
  return m;
}
}  // namespace

TEST_CASE("for_layer gives each node the running pass's typed options with its overrides", "[passes]") {
  Pipeline p = {probe_entry({{"sparsity", "0.25"}}), make_entry("fold-constants", {})};
  PassContext ctx(nullptr, 0);
  ctx.layer_rules = LayerRules({{"re:fc.*", false, false, {{"sparsity", "0.90"}, {"method", "l2"}}},
                                {"fc2", false, false, {{"bits", "4"}, {"flag", "on"}, {"max_bytes", "10"}}},
                                {"conv1", true, false, {}}},
                               p, "r.yaml");
  Model m = three_named_nodes();
  g_seen.clear();
  ctx.run_pass(probe_info(), p[0].options, m);
  REQUIRE(g_seen.size() == 3);
  const SeenLayer& conv1 = g_seen["conv1"];
  REQUIRE(conv1.excluded);
  REQUIRE(conv1.sparsity == 0.25);  // the stage's value
  REQUIRE(conv1.bits == 8);         // the default
  REQUIRE(conv1.method == "l1");
  REQUIRE(conv1.overridden.empty());
  const SeenLayer& fc1 = g_seen["fc1"];
  REQUIRE_FALSE(fc1.excluded);
  REQUIRE(fc1.sparsity == 0.9);
  REQUIRE(fc1.method == "l2");
  REQUIRE(fc1.bits == 8);
  REQUIRE(fc1.overridden == std::vector<std::string>{"method", "sparsity"});
  const SeenLayer& fc2 = g_seen["fc2"];
  REQUIRE(fc2.sparsity == 0.9);
  REQUIRE(fc2.bits == 4);
  REQUIRE(fc2.flag);  // "on", normalized when read
  // max_bytes belongs to fold-constants: the probe ignores it, fold-constants gets it.
  REQUIRE(fc2.overridden == std::vector<std::string>{"bits", "flag", "method", "sparsity"});
  LayerOptions fold = ctx.layer_rules.for_layer("fc2", p[1].options);
  REQUIRE(fold.get_int("max_bytes") == 10);
  REQUIRE(fold.overridden == std::vector<std::string>{"max_bytes"});
  REQUIRE(ctx.layer_rules.for_layer("fc1", p[1].options).get_int("max_bytes") == 16777216);
  // Only inside run_pass does the context know the running pass.
  REQUIRE_THROWS_WITH(ctx.for_layer("fc1"), Catch::Contains("outside run_pass"));
}

TEST_CASE("layer rules are checked when read: options, types, ranges, choices, regexes", "[passes]") {
  Pipeline p = {probe_entry({}), make_entry("fold-constants", {})};
  auto check = [&](LayerRule rule) { (void)LayerRules({{"ok", true, false, {}}, std::move(rule)}, p, "r.yaml"); };
  auto with = [](const std::string& k, const std::string& v) { return LayerRule{"re:fc.*", false, false, {{k, v}}}; };
  const std::string rule = "r.yaml: layers[1] (match 're:fc.*'): ";
  REQUIRE_THROWS_WITH(check(with("sparsity", "1.5")), rule + "option 'sparsity' of pass 'probe' must be in [0, 1], got 1.5");
  REQUIRE_THROWS_WITH(check(with("sparsity", "lots")), Catch::Contains("option 'sparsity' of pass 'probe' must be a number"));
  REQUIRE_THROWS_WITH(check(with("bits", "4.5")), Catch::Contains("option 'bits' of pass 'probe' must be an integer"));
  REQUIRE_THROWS_WITH(check(with("bits", "1")), Catch::Contains("must be in [2, 8], got 1"));
  REQUIRE_THROWS_WITH(check(with("flag", "maybe")), Catch::Contains("must be true or false, got 'maybe'"));
  REQUIRE_THROWS_WITH(check(with("method", "l3")), Catch::Contains("must be one of l1, l2, got 'l3'"));
  REQUIRE_THROWS_WITH(check(with("max_bytes", "-1")), Catch::StartsWith(rule) && Catch::Contains("'max_bytes'"));
  REQUIRE_THROWS_WITH(check(with("sparsty", "0.5")), rule + "'sparsty' is not an option of any pass in the pipeline");
  REQUIRE_THROWS_WITH(check({"re:fc(", false, false, {}}), Catch::Contains("layers[1] (match 're:fc(')") &&
                                                            Catch::Contains("invalid regular expression"));
  REQUIRE_THROWS_WITH(check({"fc", true, true, {}}), Catch::Contains("cannot both exclude and include"));
  try {
    check(with("bits", "9"));
    FAIL("an out-of-range per-layer value was accepted");
  } catch (const Error& e) {
    REQUIRE(e.code() == ErrorCode::kInvalidInput);  // exit 2 in the CLI
  }
  check(with("bits", "2"));  // valid values pass
}

TEST_CASE("recipes reject bad per-layer values at load, naming the rule and option", "[passes]") {
  const std::string head = "pipeline: [fold-constants, fuse-bn]\nlayers:\n  - {match: conv1, exclude: true}\n";
  REQUIRE_THROWS_WITH(parse_recipe(head + "  - {match: \"re:fc.*\", max_bytes: -1}\n", "/", "r.yaml"),
                      Catch::StartsWith("r.yaml: layers[1] (match 're:fc.*'): option 'max_bytes' of pass "
                                        "'fold-constants' must be in"));
  REQUIRE_THROWS_WITH(parse_recipe(head + "  - {match: fc, max_bytes: 1e3x}\n", "/", "r.yaml"),
                      Catch::Contains("layers[1] (match 'fc'): option 'max_bytes'") && Catch::Contains("integer"));
  REQUIRE_THROWS_WITH(parse_recipe(head + "  - {match: fc, max_bytes: [1, 2]}\n", "/", "r.yaml"),
                      Catch::Contains("layers[1].max_bytes must be a single value"));
  REQUIRE_THROWS_WITH(parse_recipe(head + "  - {exclude: true}\n", "/", "r.yaml"),
                      Catch::Contains("layers[1] needs 'match'"));
  Recipe ok = parse_recipe(head + "  - {match: fc, max_bytes: 1000}\n", "/", "r.yaml");
  REQUIRE(ok.layers[1].options.at("max_bytes") == "1000");
}
