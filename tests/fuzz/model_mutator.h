// Structure-aware mutation of ONNX models for fuzzing: parses a ModelProto, changes one thing
// a hostile or broken exporter could get wrong (a dim, an attribute, an element type, a name,
// the node order, an op type, an opset, initializer bytes) and serializes it back, so that the
// fuzzer's inputs stay valid protobuf and reach the checker, shape inference, the kernels'
// preparation and the run. Used by the libFuzzer custom mutator (fuzz_model_struct.cc) and by
// the command-line mutator that feeds the CLI-level campaign (mutate_model_main.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include "onnx/onnx_pb.h"

namespace edge::fuzz {

// Mutates bytes in place within [0, max_size) and returns the new size (libFuzzer's
// LLVMFuzzerMutate, or a simple byte mutator outside libFuzzer).
using ByteMutator = std::function<size_t(uint8_t* data, size_t size, size_t max_size)>;

// Applies 1 to `max_steps` random structural mutations to `model`. Returns a short description
// of what was done (for the command-line tool's log).
std::string mutate_model(onnx::ModelProto& model, std::mt19937_64& rng, const ByteMutator& bytes, int max_steps = 3);

// A byte mutator that needs no libFuzzer: flips, sets to interesting values, inserts, erases.
size_t mutate_bytes_simple(uint8_t* data, size_t size, size_t max_size, std::mt19937_64& rng);

}  // namespace edge::fuzz
