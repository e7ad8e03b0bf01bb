// libFuzzer target with a structure-aware mutator: inputs are ONNX models that the custom
// mutator (model_mutator.h) keeps parseable, changing dims, attributes, element types, names,
// node order, op types and opsets, so that the fuzzer's time goes to what comes after the
// protobuf parser: our structural validation, the ONNX checker and shape inference, the model
// summary, the kernels' preparation and a run. Any edge::Error is an accepted outcome.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "ir/model_summary.h"
#include "model_mutator.h"
#include "run_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    edge::Model m = edge::load_model_from_bytes(bytes, "fuzz.onnx");
    (void)edge::summarize_model(m);
    edge::fuzz::prepare_and_run(std::move(m));
  } catch (const edge::Error&) {
  }
  return 0;
}

#ifdef EDGE_LIBFUZZER
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {
size_t store(const onnx::ModelProto& m, uint8_t* data, size_t size, size_t max_size) {
  std::string out;
  if (!m.SerializeToString(&out) || out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  std::mt19937_64 rng(seed);
  onnx::ModelProto m;
  // One in 16 mutations stays byte-level, so the parser's own edges are still explored.
  if (size == 0 || rng() % 16 == 0 || !m.ParseFromArray(data, static_cast<int>(size))) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  edge::fuzz::mutate_model(m, rng, [](uint8_t* d, size_t s, size_t mx) { return LLVMFuzzerMutate(d, s, mx); });
  return store(m, data, size, max_size);
}

// Cross-over: a node (with the initializers it reads) from the second model is put into the first.
extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                                            uint8_t* out, size_t max_out_size, unsigned int seed) {
  std::mt19937_64 rng(seed);
  onnx::ModelProto a, b;
  if (!a.ParseFromArray(data1, static_cast<int>(size1)) || !b.ParseFromArray(data2, static_cast<int>(size2)) ||
      b.graph().node_size() == 0) {
    return 0;
  }
  const auto& node = b.graph().node(static_cast<int>(rng() % b.graph().node_size()));
  auto* nodes = a.mutable_graph()->mutable_node();
  *nodes->Add() = node;
  if (nodes->size() > 1) nodes->SwapElements(nodes->size() - 1, static_cast<int>(rng() % nodes->size()));
  for (const auto& t : b.graph().initializer()) {
    for (const auto& in : node.input()) {
      if (t.name() == in) *a.mutable_graph()->add_initializer() = t;
    }
  }
  std::string s;
  if (!a.SerializeToString(&s) || s.size() > max_out_size) return 0;
  std::memcpy(out, s.data(), s.size());
  return s.size();
}
#endif
