#include <unistd.h>

#include <catch2/catch.hpp>

#include "ir/graph_index.h"
#include "ir/model.h"
#include "ir/tensor_proto.h"
#include "ir/text_format.h"
#include "onnx/defs/parser.h"
#include "test_util.h"

using namespace edge;
using edge::test::TempDir;

namespace {
const char* kAddRelu = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y)
<float[4] b = {1.0, -2.0, 3.0, -4.0}>
{
  t = Add(x, b)
  y = Relu(t)
}
)";

// A model with one large-ish initializer so that external-data saving kicks in.
Model model_with_weight(int64_t n) {
  Model m = parse_model_text(kAddRelu);
  auto* init = m.graph().mutable_initializer(0);
  Tensor w(DType::kFloat, {n});
  for (int64_t i = 0; i < n; ++i) w.data<float>()[i] = static_cast<float>(i);
  *init = tensor_to_proto(w, "b");
  return m;
}
}  // namespace

TEST_CASE("text model parses, checks and infers shapes") {
  Model m = parse_model_text(kAddRelu);
  REQUIRE(m.opset() == 13);
  REQUIRE(m.graph().node_size() == 2);
  GraphIndex idx(m.graph());
  REQUIRE(idx.producer("t") == 0);
  REQUIRE(idx.consumers("t") == std::vector<int>{1});
  REQUIRE(idx.initializer("b") != nullptr);
  REQUIRE(idx.runtime_inputs().size() == 1);
  REQUIRE(idx.topological_order() == std::vector<int>{0, 1});
  REQUIRE(idx.value_info("t") != nullptr);  // from shape inference
}

TEST_CASE("save is atomic and round-trips") {
  TempDir dir;
  Model m = parse_model_text(kAddRelu);
  save_model(m, dir / "m.onnx");
  REQUIRE(test::count_entries(dir.path()) == 1);
  Model back = load_model(dir / "m.onnx");
  REQUIRE(back.graph().node_size() == 2);
  REQUIRE_THROWS_AS(save_model(m, dir / "missing-dir" / "m.onnx"), Error);
  REQUIRE(test::count_entries(dir.path()) == 1);
}

TEST_CASE("external data: save, load, and confinement to the model directory") {
  TempDir dir;
  Model m = model_with_weight(4);
  SaveOptions so;
  so.force_external_data = true;
  so.external_min_tensor_bytes = 0;
  save_model(m, dir / "m.onnx", so);
  REQUIRE(std::filesystem::exists(dir / "m.onnx.data"));
  // The in-memory model is unchanged by saving.
  REQUIRE(m.graph().initializer(0).has_raw_data());
  Model back = load_model(dir / "m.onnx");
  Tensor w = tensor_from_proto(back.graph().initializer(0), {}, "b");
  REQUIRE(w.to_float_vector() == std::vector<float>{0, 1, 2, 3});

  auto rewrite_location = [&](const std::string& loc) {
    onnx::ModelProto p;
    p.ParseFromString(test::read_bytes(dir / "m.onnx"));
    for (auto& kv : *p.mutable_graph()->mutable_initializer(0)->mutable_external_data()) {
      if (kv.key() == "location") kv.set_value(loc);
    }
    std::string bytes;
    p.SerializeToString(&bytes);
    test::write_bytes(dir / "evil.onnx", bytes);
  };
  rewrite_location("../m.onnx.data");
  REQUIRE_THROWS_WITH(load_model(dir / "evil.onnx"), Catch::Contains("leaves the model directory"));
  rewrite_location("/etc/passwd");
  REQUIRE_THROWS_WITH(load_model(dir / "evil.onnx"), Catch::Contains("is absolute"));
  rewrite_location("missing.data");
  REQUIRE_THROWS_WITH(load_model(dir / "evil.onnx"), Catch::Contains("missing"));
  TempDir outside;
  test::write_bytes(outside / "secret.data", std::string(16, 'x'));
  std::filesystem::create_symlink(outside / "secret.data", dir / "link.data");
  rewrite_location("link.data");
  REQUIRE_THROWS_WITH(load_model(dir / "evil.onnx"), Catch::Contains("outside the model directory"));
}

TEST_CASE("bad model files give one clear error") {
  TempDir dir;
  Model m = parse_model_text(kAddRelu);
  save_model(m, dir / "good.onnx");
  std::string bytes = test::read_bytes(dir / "good.onnx");
  test::write_bytes(dir / "trunc.onnx", bytes.substr(0, bytes.size() / 2));
  test::write_bytes(dir / "empty.onnx", "");
  test::write_bytes(dir / "garbage.onnx", std::string("\xff\xff\xff\xff\x0f garbage", 14));
  REQUIRE_THROWS_WITH(load_model(dir / "trunc.onnx"), Catch::Contains("protobuf parse failed"));
  REQUIRE_THROWS_WITH(load_model(dir / "empty.onnx"), Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(load_model(dir / "garbage.onnx"), Catch::Contains("not a valid ONNX model"));
  REQUIRE_THROWS_WITH(load_model(dir.path()), Catch::Contains("is a directory"));
  REQUIRE_THROWS_WITH(load_model(dir / "nope.onnx"), Catch::Contains("no such file"));
  auto r = try_load_model(dir / "nope.onnx");
  REQUIRE_FALSE(r.has_value());
  REQUIRE(r.status().code() == ErrorCode::kInvalidInput);
}

TEST_CASE("opset newer than supported is refused") {
  const std::string too_new = std::to_string(kMaxOnnxOpset + 1);
  std::string text = kAddRelu;
  text.replace(text.find("\"\" : 13"), 7, "\"\" : " + too_new);
  try {
    parse_model_text(text);
    FAIL("expected an error");
  } catch (const Error& e) {
    REQUIRE(e.code() == ErrorCode::kUnsupported);
    REQUIRE(std::string(e.what()).find("opset " + too_new) != std::string::npos);
  }
}

TEST_CASE("graph index finds cycles, undefined inputs and duplicate producers") {
  const char* cyclic = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) {
  a = Add(x, b)
  b = Relu(a)
  y = Relu(b)
})";
  onnx::ModelProto p;
  REQUIRE(onnx::OnnxParser::Parse(p, cyclic).IsOK());
  REQUIRE_THROWS_WITH(GraphIndex(p.graph()).topological_order(), Catch::Contains("cycle"));
  p.mutable_graph()->mutable_node(0)->set_input(1, "undefined_value");
  REQUIRE_THROWS_WITH(GraphIndex(p.graph()).topological_order(), Catch::Contains("undefined_value"));
  p.mutable_graph()->mutable_node(2)->set_output(0, "b");
  REQUIRE_THROWS_WITH(GraphIndex(p.graph()).topological_order(), Catch::Contains("more than one node"));
}
