// Sparse storage of initializers. A model in memory is always dense: loading turns every
// graph.sparse_initializer (and Constant sparse_value) into a dense initializer, validated
// in full before anything large is allocated. Writing may store a mostly-zero initializer as
// an ONNX sparse_initializer: its non-zero values (a tensor named like the initializer) and
// their int64 linear indices (the ONNX checker requires int64), 8 + element-size bytes per
// non-zero, when that is clearly smaller than dense. ONNX Runtime loads such models.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace edge {

class Model;

// The rule for storing an initializer sparse: its element type is float, float16, int8,
// uint8 or int32, it holds at least kSparseMinElements elements, and the sparse bytes
// (non-zeros x (element size + 8)) are at most kSparseMaxRatio of the dense bytes (float:
// at most 25 % non-zeros; int8: at most 8.3 %).
constexpr int64_t kSparseMinElements = 256;
constexpr double kSparseMaxRatio = 0.75;
// Loading: the dense bytes all sparse tensors of a model expand to are at most
// sparse_max_expansion() x the size of the file as read (the .zst container's compressed
// size for a .onnx.zst), at least kSparseMinBudget, and at most max_tensor_bytes(), so that
// a file under 1 MB stays under 100 MB of memory. A 90 %-sparse float weight expands 3.3x,
// 99 % 33x, 99.9 % 330x: very sparse models raise the factor (--max-sparse-expansion).
constexpr uint64_t kSparseDefaultMaxExpansion = 32;
constexpr uint64_t kSparseMinBudget = uint64_t{32} << 20;
// The process-wide expansion factor (default kSparseDefaultMaxExpansion; at least 1).
void set_sparse_max_expansion(uint64_t factor);
uint64_t sparse_max_expansion();
// sparse_initializer exists since IR version 6: a model written with one is raised to it.
constexpr int64_t kSparseMinIrVersion = 6;

struct StoredSize {
  uint64_t dense_bytes = 0;   // element bytes stored dense
  uint64_t stored_bytes = 0;  // element bytes as written (sparse: values + int64 indices)
  int64_t nonzeros = 0;       // elements whose bytes are not all zero (-0.0 counts as non-zero)
  bool sparse = false;        // written as a sparse_initializer
};

// Dense and stored bytes of an initializer under the rule above. Tensors whose data is not
// in memory (external) or of other element types are stored dense (nonzeros then -1 for
// external data).
StoredSize stored_size(const onnx::TensorProto& t);

// The sparse form of a dense tensor: values named like `t` (dims [NNZ]) and int64 linear
// indices (dims [NNZ], strictly increasing), dims of `t`.
onnx::SparseTensorProto to_sparse(const onnx::TensorProto& t);

// The dense tensor of a sparse one, validated: values of a supported type with dims [NNZ] and
// a name; int64 indices with dims [NNZ] (linear) or [NNZ, rank] (coordinates), each in range
// and strictly increasing; dense dims whose byte size is within max_tensor_bytes(). Sizes are
// checked before anything is allocated. `what` names the model and tensor in errors.
onnx::TensorProto to_dense(const onnx::SparseTensorProto& s, const std::filesystem::path& base_dir,
                           const std::string& what);

// Replaces every sparse_initializer of `model`'s graphs (subgraphs too) and every Constant
// sparse_value by its dense form (appended to the graph's initializers, resp. the `value`
// attribute). Dense bytes made this way count together against the budget above: a small
// file cannot expand into an out-of-memory kill. Below IR 4, a densified main-graph initializer
// is also listed as a graph input, as that IR requires. Returns the tensors densified.
// `source_bytes`: the size of the file the model was read from (0: the serialized model's size).
int64_t densify_sparse_initializers(onnx::ModelProto& model, const std::filesystem::path& base_dir,
                                    const std::string& model_name, uint64_t source_bytes = 0);

// Rewrites `proto`'s initializers (every graph) that pay to be stored sparse as
// sparse_initializers, in place, and puts everything back as it was (order included) when
// destroyed, unless keep() was called. Used to write or measure the stored form of a model
// without copying its dense weights.
class SparseStorageScope {
 public:
  explicit SparseStorageScope(onnx::ModelProto& proto);
  ~SparseStorageScope();
  SparseStorageScope(const SparseStorageScope&) = delete;
  SparseStorageScope& operator=(const SparseStorageScope&) = delete;

  int64_t sparse_tensors() const { return sparse_tensors_; }
  void keep() { keep_ = true; }

 private:
  struct Stash {
    onnx::GraphProto* graph = nullptr;
    google::protobuf::RepeatedPtrField<onnx::TensorProto> original;  // the dense list, in order
    std::vector<bool> sparse;  // per original initializer: moved to sparse_initializer
    size_t done = 0;           // originals already handled (moved or swapped back into graph)
    int sparse_before = 0;     // the graph's sparse_initializer count before
  };
  void apply(onnx::GraphProto& g);
  void restore();

  onnx::ModelProto& proto_;
  // IR 3 lists every initializer as a graph input and means constants; raised to the IR that
  // sparse_initializer needs, listed initializers would become overridable defaults. So they
  // leave the input list (as remove-initializer-inputs does), kept here to be put back.
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> ir3_inputs_;
  bool inputs_dropped_ = false;
  std::deque<Stash> stashes_;
  int64_t ir_version_ = 0;
  int64_t sparse_tensors_ = 0;
  bool keep_ = false;
};

// Stores every initializer that pays as a sparse_initializer, for good. Returns how many.
int64_t sparsify_initializers(Model& model);

// Serialized sizes of a model: with every initializer dense, and as written with sparse
// storage (equal when nothing pays or `sparse` is false).
struct StoredModelSize {
  uint64_t dense_bytes = 0;
  uint64_t stored_bytes = 0;
  int64_t sparse_tensors = 0;
};
StoredModelSize stored_model_size(const Model& model, bool sparse);

}  // namespace edge
