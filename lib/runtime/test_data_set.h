// ONNX test-data directories (test_data_set_N/input_K.pb, output_K.pb), as used by the
// ONNX backend tests and model zoo: `edge-run check` and the conformance suite read them.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "runtime/session.h"

namespace edge::rt {

// `dir` itself when it holds input_0.pb, else its test_data_set_* (or any) subdirectories
// that hold input_0.pb, in natural order (test_data_set_2 before test_data_set_10). Empty
// when there are none; throws when `dir` cannot be listed.
std::vector<std::filesystem::path> find_test_data_sets(const std::filesystem::path& dir);

// input_0.pb, input_1.pb, ... bound to the session's inputs by position (names in test data
// are often empty).
NamedTensors read_test_inputs(const std::filesystem::path& set, const Session& session);

// output_K.pb for K < count; nullopt where the file is absent.
std::vector<std::optional<Tensor>> read_test_outputs(const std::filesystem::path& set, size_t count);

}  // namespace edge::rt
