// Per-layer storage columns (pass/compress_storage.h): a layer row with a "sparsity" metric
// gets its weight's dense and stored bytes, also behind a DequantizeLinear; other rows are
// left alone.
#include <catch2/catch.hpp>

#include "ir/sparse_storage.h"
#include "ir/text_format.h"
#include "pass/compress_storage.h"

using namespace edge;

namespace {

std::string values(int64_t n, int every, const char* nonzero = "0.5") {
  std::string s;
  for (int64_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::string(i % every == 0 ? nonzero : "0");
  return s;
}

}  // namespace

TEST_CASE("layer rows with a sparsity metric get dense_bytes and stored_bytes") {
  // w1: 1 in 10 non-zero (stored sparse); w2: 1 in 2 (dense); w3 int8 behind a DequantizeLinear.
  const std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\n"
                           "g (float[1, 32] x) => (float[1, 32] y)\n"
                           "<float[32, 32] w1 = {" + values(1024, 10) + "}, float[32, 32] w2 = {" + values(1024, 2) +
                           "}, int8[32, 32] w3 = {" + values(1024, 1, "3") + "}, float s = {0.1}, int8 z = {0}>\n"
                           "{\n  a = MatMul(x, w1)\n  b = MatMul(a, w2)\n  dq = DequantizeLinear(w3, s, z)\n"
                           "  y = MatMul(b, dq)\n}\n";
  Model m = parse_model_text(text);
  report::StageRecord stage;
  for (int i : {0, 1, 3}) {
    report::LayerRecord row;
    row.name = m.graph().node(i).name();
    row.metrics["sparsity"] = 0.5;
    stage.layers.push_back(row);
  }
  report::LayerRecord other;
  other.name = m.graph().node(0).name();
  stage.layers.push_back(other);  // no sparsity metric: untouched
  pass::add_storage_columns(m, stage, true);
  const auto& l = stage.layers;
  CHECK(l[0].metrics.at("dense_bytes") == 4096);
  CHECK(l[0].metrics.at("stored_bytes") == 103 * 12);  // 103 non-zeros x (4 + 8)
  CHECK(l[1].metrics.at("dense_bytes") == 4096);
  CHECK(l[1].metrics.at("stored_bytes") == 4096);
  CHECK(l[2].metrics.at("dense_bytes") == 1024);  // the int8 weight behind the DequantizeLinear
  CHECK(l[2].metrics.at("stored_bytes") == 1024);
  CHECK(l[3].metrics.count("dense_bytes") == 0);
  CHECK(stage.columns == std::vector<std::string>{"sparsity", "dense_bytes", "stored_bytes"});
  // --dense-weights: stored as dense.
  pass::add_storage_columns(m, stage, false);
  CHECK(stage.layers[0].metrics.at("stored_bytes") == 4096);
}
