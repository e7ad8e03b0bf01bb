// The value-level half of the structure-aware model mutator (model_mutator.h): interesting
// integers and floats, and mutations of one shape, tensor or node attribute.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "model_mutator.h"

namespace edge::fuzz {

using Rng = std::mt19937_64;

inline size_t pick(Rng& rng, size_t n) { return n <= 1 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
inline bool one_in(Rng& rng, size_t n) { return pick(rng, n) == 0; }

int64_t interesting_int(Rng& rng);
int64_t tweak_int(Rng& rng, int64_t v);  // +-1, negated, doubled (wrapping) or an interesting value
float interesting_float(Rng& rng);
int32_t random_elem_type(Rng& rng);  // TensorProto data types, with -1 and out-of-range ones

// Each returns what it did, for the log.
std::string mutate_shape(onnx::ValueInfoProto& vi, Rng& rng);
std::string mutate_tensor(onnx::TensorProto& t, Rng& rng, const ByteMutator& bytes);
std::string mutate_attribute(onnx::NodeProto& n, Rng& rng, const ByteMutator& bytes);

}  // namespace edge::fuzz
