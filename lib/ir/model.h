// ir::Model: an onnx::ModelProto plus where it came from. Loading validates the file
// (protobuf, ONNX checker, opsets), resolves external data confined to the model's
// directory, turns sparse initializers dense (sparse_storage.h), and runs shape inference
// (partial inference is a warning, not an error). A file that is a zstd frame (the
// .onnx.zst container, zstd_container.h) is decompressed first, under a hard bound.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ir/status.h"
#include "onnx/onnx_pb.h"

namespace edge {

// Highest ai.onnx opset and IR version we load. ONNX 1.12 (our checker and shape inference)
// stops at opset 17 / IR 8; above that, models are checked and inferred through a lowered
// copy plus our own rules for what changed (opset_shadow.h, opset_changes.def).
constexpr int kMaxOnnxOpset = 21;
constexpr int kMaxIrVersion = 10;

struct LoadOptions {
  bool run_checker = true;
  bool infer_shapes = true;
};

struct SaveOptions {
  // Write initializers to "<model file>.data" beside the model when their total size is at
  // least this many bytes (protobuf cannot serialize messages above 2 GiB).
  uint64_t external_data_threshold = uint64_t{1} << 30;
  bool force_external_data = false;
  // Initializers smaller than this stay inline even in external mode.
  uint64_t external_min_tensor_bytes = 1024;
  // Write initializers that pay as sparse_initializers (sparse_storage.h); the model in
  // memory stays dense.
  bool sparse_weights = false;
  // zstd level for a path ending in ".zst" (zstd_container.h), which holds the compressed
  // ModelProto (no external data); 0: kDefaultZstdLevel.
  int zstd_level = 0;
};

// What save_model wrote.
struct SavedModel {
  uint64_t onnx_bytes = 0;      // the serialized ModelProto
  uint64_t file_bytes = 0;      // the model file (the .zst container when compressed)
  int64_t sparse_tensors = 0;   // initializers written as sparse_initializers
  bool external_data = false;   // initializers written to "<file>.data"
};

class Model {
 public:
  Model() = default;
  explicit Model(onnx::ModelProto proto, std::filesystem::path path = {})
      : proto_(std::move(proto)), path_(std::move(path)) {}

  onnx::ModelProto& proto() { return proto_; }
  const onnx::ModelProto& proto() const { return proto_; }
  onnx::GraphProto& graph() { return *proto_.mutable_graph(); }
  const onnx::GraphProto& graph() const { return proto_.graph(); }
  const std::filesystem::path& path() const { return path_; }
  std::string name() const { return path_.empty() ? std::string("<memory>") : path_.string(); }
  const std::vector<std::string>& warnings() const { return warnings_; }
  void add_warning(std::string w) { warnings_.push_back(std::move(w)); }

  // Opset version imported for `domain` ("" and "ai.onnx" are the same), or -1.
  int opset(const std::string& domain = "") const;

  // Runs the ONNX checker (above opset 17: on a lowered copy, plus our own validation of
  // what ONNX 1.12 cannot judge); throws Error naming the model on failure.
  void check() const;
  // Runs ONNX shape inference in place (above opset 17: together with our own rules for the
  // ops that changed), adding warnings where it is partial.
  void infer_shapes();

 private:
  onnx::ModelProto proto_;
  std::filesystem::path path_;
  std::vector<std::string> warnings_;
};

// Throwing variants (library-internal) and Status-returning variants (public API).
Model load_model(const std::filesystem::path& path, const LoadOptions& opts = {});
Model load_model_from_bytes(const std::string& bytes, const std::string& name,
                            const LoadOptions& opts = {});
// A copy of `m` with its value types inferred, as a device loading the written file has them:
// the runtime chooses kernels by them, and a pass's in-memory result may lack them for new
// tensors. Sessions that stand for "the written model" are created from this.
Model as_loaded(const Model& m);
// Writes atomically; a path ending in ".zst" gets the zstd container.
SavedModel save_model(const Model& model, const std::filesystem::path& path, const SaveOptions& opts = {});
// The bytes save_model would write to `path` when the model needs no external data (an
// error otherwise: too large for one protobuf message, or forced by `opts`).
std::string encode_model(const Model& model, const std::filesystem::path& path, const SaveOptions& opts = {},
                         SavedModel* info = nullptr);

Expected<Model> try_load_model(const std::filesystem::path& path, const LoadOptions& opts = {});
Status try_save_model(const Model& model, const std::filesystem::path& path,
                      const SaveOptions& opts = {});

}  // namespace edge
