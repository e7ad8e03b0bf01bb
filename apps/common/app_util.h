// Helpers shared by the command-line apps: error-to-exit-code mapping, input specs,
// random inputs, number formatting.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "ir/text_util.h"
#include "runtime/session.h"

namespace edge::app {

// The process-wide limits both apps take before their subcommand: --max-tensor-mb (one
// tensor) and --max-memory-mb (all tensor storage alive at once). apply() sets them.
struct MemoryLimitOptions {
  uint64_t max_tensor_mb = 0;
  uint64_t max_memory_mb = 0;
  uint64_t max_sparse_expansion = 0;  // 0: the default (ir/sparse_storage.h)
  void add_to(CLI::App& app);
  void apply() const;
};

// Runs body(); maps edge::Error to "<tool>: error: <message>" on stderr and exit code
// 2 (bad input/unsupported/limits) or 3 (internal). Returns body's code otherwise. The
// message is escaped (data::escaped): control bytes and invalid UTF-8 from the input files
// cannot break it over several lines.
int guarded_main(const std::string& tool, const std::function<int()>& body);

// Prints "<tool>: error: <message> (see <tool> --help)" on one line; returns 2.
int usage_error(const std::string& tool, const std::string& message);

// "input:1x3x224x224" -> {"input", {1,3,224,224}}.
std::pair<std::string, Shape> parse_shape_spec(const std::string& spec);
std::map<std::string, Shape> parse_shape_specs(const std::vector<std::string>& specs);

// Reads a tensor from .pb (TensorProto) or .npy, chosen by extension.
Tensor read_tensor_file(const std::filesystem::path& path);

// Feeds from --input specs (input_specs.cc), in the model's input order:
//   NAME=FILE     a .pb TensorProto or .npy file (a bare FILE binds to the next input in order)
//   NAME=value:V  the input's declared shape (dynamic dims 1, none: a scalar) filled with V;
//                 value:V1,V2,... gives every element (as many as the shape holds)
//   NAME=fill:V   the same as value:V with one value
// With `random`, inputs not named get random values (rt::random_feeds, `seed`); without it a
// missing input is an error naming it. A name given twice or not an input of the model is an
// error listing the model's inputs.
rt::NamedTensors read_input_specs(const std::vector<std::string>& specs, const rt::Session& s, bool random = false,
                                  uint64_t seed = 0);

// The one way the apps write JSON (indent 2): names taken from a model (producer, nodes,
// values) may hold invalid UTF-8, which is written as U+FFFD instead of failing the dump.
std::string json_text(const nlohmann::ordered_json& j);

// Whether a and b name the same file (existing files: the same inode; else the same normalized path).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

using edge::format_bytes;                   // "1.2 MiB" (ir/text_util.h)
std::string format_count(int64_t n);        // "1.23M"

}  // namespace edge::app
