#include <catch2/catch.hpp>

#include "pass/context.h"
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
  REQUIRE(r.layers[1].matches("fc2"));
  REQUIRE_FALSE(r.layers[1].matches("conv2"));
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
  PassContext ctx(nullptr, 0);
  ctx.layer_rules = {{"conv1", true, false, {}}};
  REQUIRE(ctx.layer_excluded("conv1"));
  REQUIRE_FALSE(ctx.layer_excluded("conv2"));
  ctx.layer_rules = {{"re:conv.*", false, true, {}}, {"conv3", true, false, {}}};
  REQUIRE_FALSE(ctx.layer_excluded("conv1"));
  REQUIRE(ctx.layer_excluded("conv3"));  // excluded after being included
  REQUIRE(ctx.layer_excluded("fc"));     // not included
  ctx.layer_rules = {{"re:.*", false, false, {{"max_bytes", "7"}}}, {"fc", false, false, {{"max_bytes", "9"}}}};
  REQUIRE(ctx.layer_option("fc", "max_bytes", "1") == "9");
  REQUIRE(ctx.layer_option("conv", "max_bytes", "1") == "7");
  REQUIRE(ctx.layer_option("conv", "other", "1") == "1");
  REQUIRE_FALSE(ctx.layer_excluded("fc"));
}
