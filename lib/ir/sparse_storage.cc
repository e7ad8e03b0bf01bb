#include "ir/sparse_storage.h"

#include <atomic>
#include <cstdint>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "ir/model.h"
#include "ir/tensor.h"
#include "ir/tensor_proto.h"

namespace edge {
namespace fs = std::filesystem;

namespace {

bool sparse_storable(int32_t onnx_type) {
  switch (static_cast<DType>(onnx_type)) {
    case DType::kFloat:
    case DType::kFloat16:
    case DType::kInt8:
    case DType::kUint8:
    case DType::kInt32: return true;
    default: return false;
  }
}

// Elements of `dims`, or -1 when a dim is negative or the count overflows int64.
int64_t safe_numel(const google::protobuf::RepeatedField<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d != 0 && n > std::numeric_limits<int64_t>::max() / d)) return -1;
    n *= d;
  }
  return n;
}

// The little-endian element bytes of an in-memory tensor (raw_data, or decoded from the typed
// field into `holder`). False when they are not at hand (external data, malformed).
bool element_bytes(const onnx::TensorProto& t, Tensor& holder, std::string_view* out) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return false;
  if (t.has_raw_data()) {
    *out = t.raw_data();
    return true;
  }
  try {
    holder = tensor_from_proto(t, {}, "initializer '" + t.name() + "'");
  } catch (const Error&) {
    return false;
  }
  *out = std::string_view(static_cast<const char*>(holder.raw()), holder.nbytes());
  return true;
}

bool all_zero(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i]) return false;
  }
  return true;
}

int64_t count_nonzeros(std::string_view bytes, size_t esize) {
  int64_t nnz = 0;
  if (esize == 4) {
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
      uint32_t v;
      std::memcpy(&v, bytes.data() + i, 4);
      nnz += v != 0;
    }
    return nnz;
  }
  for (size_t i = 0; i + esize <= bytes.size(); i += esize) nnz += !all_zero(bytes.data() + i, esize);
  return nnz;
}

void append_i64(std::string& s, int64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);  // little-endian hosts only, as raw_data everywhere in edge
  s.append(b, 8);
}

}  // namespace

StoredSize stored_size(const onnx::TensorProto& t) {
  StoredSize s;
  const DType dt = dtype_from_onnx(t.data_type());
  const size_t esize = dtype_supported(dt) ? dtype_size(dt) : 0;
  const int64_t numel = safe_numel(t.dims());
  if (esize == 0 || numel < 0 || static_cast<uint64_t>(numel) > std::numeric_limits<uint64_t>::max() / esize) {
    s.dense_bytes = s.stored_bytes = t.raw_data().size();
    return s;
  }
  s.dense_bytes = s.stored_bytes = static_cast<uint64_t>(numel) * esize;
  Tensor holder;
  std::string_view bytes;
  if (!element_bytes(t, holder, &bytes) || bytes.size() != s.dense_bytes) {
    s.nonzeros = -1;
    return s;
  }
  s.nonzeros = count_nonzeros(bytes, esize);
  const uint64_t sparse_bytes = static_cast<uint64_t>(s.nonzeros) * (esize + 8);
  if (sparse_storable(t.data_type()) && numel >= kSparseMinElements &&
      static_cast<double>(sparse_bytes) <= kSparseMaxRatio * static_cast<double>(s.dense_bytes)) {
    s.sparse = true;
    s.stored_bytes = sparse_bytes;
  }
  return s;
}

onnx::SparseTensorProto to_sparse(const onnx::TensorProto& t) {
  const DType dt = dtype_from_onnx(t.data_type());
  const size_t esize = dtype_supported(dt) ? dtype_size(dt) : 0;
  Tensor holder;
  std::string_view bytes;
  if (esize == 0 || !element_bytes(t, holder, &bytes)) {
    fail("initializer '" + t.name() + "': cannot be stored sparse (element type or data not in memory)");
  }
  const int64_t nnz = count_nonzeros(bytes, esize);
  onnx::SparseTensorProto s;
  *s.mutable_dims() = t.dims();
  onnx::TensorProto* values = s.mutable_values();
  values->set_name(t.name());
  values->set_data_type(t.data_type());
  values->add_dims(nnz);
  onnx::TensorProto* indices = s.mutable_indices();
  indices->set_data_type(onnx::TensorProto::INT64);
  indices->add_dims(nnz);
  std::string* vals = values->mutable_raw_data();
  std::string* idx = indices->mutable_raw_data();
  vals->reserve(static_cast<size_t>(nnz) * esize);
  idx->reserve(static_cast<size_t>(nnz) * 8);
  const int64_t n = static_cast<int64_t>(bytes.size() / esize);
  for (int64_t i = 0; i < n; ++i) {
    const char* p = bytes.data() + static_cast<size_t>(i) * esize;
    if (all_zero(p, esize)) continue;
    vals->append(p, esize);
    append_i64(*idx, i);
  }
  return s;
}

namespace {

// Dense byte size of a sparse tensor's dims, checked against the tensor cap (nothing read).
uint64_t dense_nbytes(const onnx::SparseTensorProto& s, const std::string& what) {
  if (!s.has_values()) fail(what + ": sparse tensor has no values");
  const DType dt = dtype_from_onnx(s.values().data_type());
  if (!dtype_supported(dt) || dtype_size(dt) == 0) {
    fail_unsupported(what + ": unsupported element type " + std::to_string(s.values().data_type()));
  }
  Shape dims(s.dims().begin(), s.dims().end());
  for (int64_t d : dims) {
    if (d < 0) fail(what + ": negative dimension " + std::to_string(d));
  }
  try {
    return Tensor::checked_nbytes(dt, dims);
  } catch (const Error& e) {
    throw Error(e.code(), what + ": " + e.what());
  }
}

}  // namespace

onnx::TensorProto to_dense(const onnx::SparseTensorProto& s, const fs::path& base_dir, const std::string& what) {
  const uint64_t nbytes = dense_nbytes(s, what);
  const onnx::TensorProto& v = s.values();
  const onnx::TensorProto& ix = s.indices();
  if (v.name().empty()) fail(what + ": sparse tensor values have no name");
  const DType dt = dtype_from_onnx(v.data_type());
  const size_t esize = dtype_size(dt);
  const Shape dims(s.dims().begin(), s.dims().end());
  const int64_t numel = static_cast<int64_t>(nbytes / esize);
  const int64_t rank = static_cast<int64_t>(dims.size());
  if (v.dims_size() != 1) fail(what + ": values must be 1-D [NNZ], got rank " + std::to_string(v.dims_size()));
  const int64_t nnz = v.dims(0);
  if (nnz < 0) fail(what + ": negative value count " + std::to_string(nnz));
  if (nnz > numel) {
    fail(what + ": " + std::to_string(nnz) + " values but the dense shape " + shape_str(dims) + " holds only " +
         std::to_string(numel) + " elements");
  }
  bool coordinates = false;
  if (nnz > 0 || s.has_indices()) {
    if (ix.data_type() != onnx::TensorProto::INT64) {
      fail(what + ": indices must be int64 (ONNX type 7), got type " + std::to_string(ix.data_type()));
    }
    coordinates = ix.dims_size() == 2;
    const bool linear_ok = ix.dims_size() == 1 && ix.dims(0) == nnz;
    const bool coord_ok = coordinates && ix.dims(0) == nnz && ix.dims(1) == rank;
    if (!linear_ok && !coord_ok) {
      fail(what + ": indices must have dims [" + std::to_string(nnz) + "] (linear) or [" + std::to_string(nnz) + ", " +
           std::to_string(rank) + "] (coordinates)");
    }
  }
  // Both sizes are now bounded by the dense element count; the data must match its dims.
  Tensor values = tensor_from_proto(v, base_dir, what + " values");
  Tensor indices = nnz > 0 ? tensor_from_proto(ix, base_dir, what + " indices") : Tensor();
  onnx::TensorProto out;
  out.set_name(v.name());
  out.set_data_type(v.data_type());
  *out.mutable_dims() = s.dims();
  std::string* raw = out.mutable_raw_data();
  raw->resize(static_cast<size_t>(nbytes));
  const int64_t* idx = nnz > 0 ? indices.data<int64_t>() : nullptr;
  const char* src = static_cast<const char*>(values.raw());
  int64_t prev = -1;
  for (int64_t k = 0; k < nnz; ++k) {
    int64_t lin = 0;
    if (!coordinates) {
      lin = idx[k];
      if (lin < 0 || lin >= numel) {
        fail(what + ": index " + std::to_string(lin) + " (entry " + std::to_string(k) + ") is outside [0, " +
             std::to_string(numel) + ")");
      }
    } else {
      for (int64_t r = 0; r < rank; ++r) {
        const int64_t c = idx[k * rank + r];
        if (c < 0 || c >= dims[static_cast<size_t>(r)]) {
          fail(what + ": coordinate " + std::to_string(c) + " of entry " + std::to_string(k) + " is outside [0, " +
               std::to_string(dims[static_cast<size_t>(r)]) + ") on axis " + std::to_string(r));
        }
        lin = lin * dims[static_cast<size_t>(r)] + c;
      }
    }
    if (lin <= prev) fail(what + ": indices are not strictly increasing (entry " + std::to_string(k) + ")");
    prev = lin;
    std::memcpy(raw->data() + static_cast<size_t>(lin) * esize, src + static_cast<size_t>(k) * esize, esize);
  }
  return out;
}

namespace {

struct Densifier {
  fs::path dir;
  std::string model;
  int64_t ir_version = 0;
  uint64_t budget = 0;      // dense bytes all sparse tensors of the model may expand to
  uint64_t bytes_made = 0;  // dense bytes made from sparse tensors, all graphs together
  int64_t count = 0;

  // Checks the model-wide budget before the dense tensor is allocated.
  onnx::TensorProto densify(const onnx::SparseTensorProto& s, const std::string& what) {
    const uint64_t nbytes = dense_nbytes(s, what);
    if (nbytes > budget - std::min(bytes_made, budget)) {
      throw Error(ErrorCode::kResourceLimit,
                  what + ": sparse tensors of this model expand to more than " + std::to_string(budget) +
                      " bytes (" + std::to_string(sparse_max_expansion()) + "x the file, at least " +
                      std::to_string(kSparseMinBudget >> 20) +
                      " MiB, within --max-tensor-mb): a decompression bomb? (for a very sparse model, raise "
                      "--max-sparse-expansion)");
    }
    bytes_made += nbytes;
    ++count;
    return to_dense(s, dir, what);
  }

  void graph(onnx::GraphProto& g, bool main) {
    if (g.sparse_initializer_size() > 0) {
      std::set<std::string> names, inputs;
      for (const auto& i : g.initializer()) names.insert(i.name());
      for (const auto& i : g.input()) inputs.insert(i.name());
      for (const auto& s : g.sparse_initializer()) {
        const std::string what = model + ": sparse initializer '" + s.values().name() + "'";
        onnx::TensorProto d = densify(s, what);
        if (!names.insert(d.name()).second) fail(what + ": another initializer has the same name");
        if (main && ir_version < 4 && !inputs.count(d.name())) {
          // Below IR 4 every initializer is also a graph input.
          auto* in = g.add_input();
          in->set_name(d.name());
          auto* tt = in->mutable_type()->mutable_tensor_type();
          tt->set_elem_type(d.data_type());
          for (int64_t dim : d.dims()) tt->mutable_shape()->add_dim()->set_dim_value(dim);
        }
        *g.add_initializer() = std::move(d);
      }
      g.clear_sparse_initializer();
    }
    for (auto& node : *g.mutable_node()) {
      for (auto& attr : *node.mutable_attribute()) {
        if (attr.has_g()) graph(*attr.mutable_g(), false);
        for (auto& sg : *attr.mutable_graphs()) graph(sg, false);
        const bool default_domain = node.domain().empty() || node.domain() == "ai.onnx";
        if (default_domain && node.op_type() == "Constant" && attr.name() == "sparse_value" && attr.has_sparse_tensor()) {
          const std::string what = model + ": node '" + node.name() + "' (Constant) sparse_value";
          onnx::TensorProto d = densify(attr.sparse_tensor(), what);
          attr.clear_sparse_tensor();
          attr.set_name("value");
          attr.set_type(onnx::AttributeProto::TENSOR);
          *attr.mutable_t() = std::move(d);
        }
      }
    }
  }
};

bool has_sparse_tensors(const onnx::GraphProto& g) {
  if (g.sparse_initializer_size() > 0) return true;
  for (const auto& node : g.node()) {
    for (const auto& attr : node.attribute()) {
      if (attr.has_sparse_tensor() || (attr.has_g() && has_sparse_tensors(attr.g()))) return true;
      for (const auto& sg : attr.graphs()) {
        if (has_sparse_tensors(sg)) return true;
      }
    }
  }
  return false;
}

void collect_graphs(onnx::GraphProto& g, std::vector<onnx::GraphProto*>& out) {
  out.push_back(&g);
  for (auto& node : *g.mutable_node()) {
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_g()) collect_graphs(*attr.mutable_g(), out);
      for (auto& sg : *attr.mutable_graphs()) collect_graphs(sg, out);
    }
  }
}

}  // namespace

namespace {
std::atomic<uint64_t> g_sparse_max_expansion{kSparseDefaultMaxExpansion};
}  // namespace

void set_sparse_max_expansion(uint64_t factor) { g_sparse_max_expansion = std::max<uint64_t>(1, factor); }
uint64_t sparse_max_expansion() { return g_sparse_max_expansion; }

int64_t densify_sparse_initializers(onnx::ModelProto& model, const fs::path& base_dir, const std::string& model_name,
                                    uint64_t source_bytes) {
  if (!has_sparse_tensors(*model.mutable_graph())) return 0;
  const uint64_t file_bytes = source_bytes ? source_bytes : model.ByteSizeLong();
  const uint64_t factor = sparse_max_expansion();
  const uint64_t scaled = file_bytes > UINT64_MAX / factor ? UINT64_MAX : file_bytes * factor;
  const uint64_t ratio_budget = std::max(kSparseMinBudget, scaled);
  Densifier d{base_dir, model_name, model.ir_version(), std::min(max_tensor_bytes(), ratio_budget)};
  d.graph(*model.mutable_graph(), true);
  return d.count;
}

SparseStorageScope::SparseStorageScope(onnx::ModelProto& proto) : proto_(proto), ir_version_(proto.ir_version()) {
  std::vector<onnx::GraphProto*> graphs;
  collect_graphs(*proto.mutable_graph(), graphs);
  try {
    for (auto* g : graphs) apply(*g);
  } catch (...) {
    restore();
    throw;
  }
  if (sparse_tensors_ > 0 && proto.ir_version() < kSparseMinIrVersion) {
    if (proto.ir_version() < 4) {
      onnx::GraphProto& g = *proto.mutable_graph();
      std::set<std::string> weights;
      for (const auto& t : g.initializer()) weights.insert(t.name());
      for (const auto& t : g.sparse_initializer()) weights.insert(t.values().name());
      google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> kept;
      for (const auto& in : g.input()) {
        if (!weights.count(in.name())) *kept.Add() = in;
      }
      g.mutable_input()->Swap(&kept);
      ir3_inputs_.Swap(&kept);
      inputs_dropped_ = true;
    }
    proto.set_ir_version(kSparseMinIrVersion);
  }
}

void SparseStorageScope::apply(onnx::GraphProto& g) {
  std::vector<bool> sparse(static_cast<size_t>(g.initializer_size()));
  bool any = false;
  for (int i = 0; i < g.initializer_size(); ++i) {
    sparse[static_cast<size_t>(i)] = stored_size(g.initializer(i)).sparse;
    any = any || sparse[static_cast<size_t>(i)];
  }
  if (!any) return;
  Stash& st = stashes_.emplace_back();
  st.graph = &g;
  st.sparse = std::move(sparse);
  st.sparse_before = g.sparse_initializer_size();
  st.original.Swap(g.mutable_initializer());
  for (; st.done < st.sparse.size(); ++st.done) {
    const int i = static_cast<int>(st.done);
    if (st.sparse[st.done]) {
      onnx::SparseTensorProto s = to_sparse(st.original.Get(i));
      g.add_sparse_initializer()->Swap(&s);
      ++sparse_tensors_;
    } else {
      g.add_initializer()->Swap(st.original.Mutable(i));
    }
  }
}

void SparseStorageScope::restore() {
  proto_.set_ir_version(ir_version_);
  if (inputs_dropped_) {
    proto_.mutable_graph()->mutable_input()->Swap(&ir3_inputs_);
    ir3_inputs_.Clear();
    inputs_dropped_ = false;
  }
  for (auto it = stashes_.rbegin(); it != stashes_.rend(); ++it) {
    Stash& st = *it;
    onnx::GraphProto& g = *st.graph;
    int j = 0;
    for (size_t i = 0; i < st.done; ++i) {
      if (!st.sparse[i]) st.original.Mutable(static_cast<int>(i))->Swap(g.mutable_initializer(j++));
    }
    g.mutable_initializer()->Swap(&st.original);
    st.original.Clear();
    g.mutable_sparse_initializer()->DeleteSubrange(st.sparse_before, g.sparse_initializer_size() - st.sparse_before);
  }
  stashes_.clear();
}

SparseStorageScope::~SparseStorageScope() {
  if (!keep_) restore();
}

int64_t sparsify_initializers(Model& model) {
  SparseStorageScope scope(model.proto());
  scope.keep();
  return scope.sparse_tensors();
}

StoredModelSize stored_model_size(const Model& model, bool sparse) {
  // The scope puts every initializer back before returning: the model is unchanged.
  auto& proto = const_cast<onnx::ModelProto&>(model.proto());
  StoredModelSize s;
  s.dense_bytes = s.stored_bytes = proto.ByteSizeLong();
  if (!sparse) return s;
  SparseStorageScope scope(proto);
  s.stored_bytes = proto.ByteSizeLong();
  s.sparse_tensors = scope.sparse_tensors();
  return s;
}

}  // namespace edge
