#include "ir/model.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>

#include "ir/atomic_file.h"
#include "ir/graph_edit.h"
#include "ir/sparse_storage.h"
#include "ir/tensor_proto.h"
#include "ir/zstd_container.h"

namespace edge {
namespace fs = std::filesystem;

namespace {

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// Reads every external tensor of `g` (and its subgraphs) into raw_data.
void materialize_external(onnx::GraphProto& g, const fs::path& dir, const std::string& model) {
  for (auto& init : *g.mutable_initializer()) {
    if (init.data_location() != onnx::TensorProto::EXTERNAL) continue;
    Tensor t = tensor_from_proto(init, dir, model + ": initializer '" + init.name() + "'");
    init.set_raw_data(std::string(static_cast<const char*>(t.raw()), t.nbytes()));
    init.clear_external_data();
    init.set_data_location(onnx::TensorProto::DEFAULT);
  }
  for (auto& node : *g.mutable_node()) {
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_g()) materialize_external(*attr.mutable_g(), dir, model);
      for (auto& sg : *attr.mutable_graphs()) materialize_external(sg, dir, model);
      if (attr.has_t() && attr.t().data_location() == onnx::TensorProto::EXTERNAL) {
        Tensor t = tensor_from_proto(attr.t(), dir, model + ": node '" + node.name() + "' attribute");
        *attr.mutable_t() = tensor_to_proto(t, attr.t().name());
      }
    }
  }
}

void validate_opsets(const Model& m) {
  if (m.proto().opset_import_size() == 0 && m.proto().ir_version() >= 3) {
    fail(m.name() + ": model imports no opset");
  }
  if (m.proto().ir_version() > kMaxIrVersion) {
    fail_unsupported(m.name() + ": IR version " + std::to_string(m.proto().ir_version()) +
                     " is newer than the highest supported IR version " + std::to_string(kMaxIrVersion));
  }
  std::map<std::string, int64_t> seen;  // one version per domain ("" and "ai.onnx" are one domain)
  for (const auto& op : m.proto().opset_import()) {
    const std::string domain = is_default_domain(op.domain()) ? "" : op.domain();
    if (auto [it, fresh] = seen.emplace(domain, op.version()); !fresh) {
      fail(m.name() + ": model imports domain '" + (domain.empty() ? "ai.onnx" : domain) + "' twice (opsets " +
           std::to_string(it->second) + " and " + std::to_string(op.version()) + ")");
    }
    if (is_default_domain(op.domain())) {
      if (op.version() > kMaxOnnxOpset) {
        fail_unsupported(m.name() + ": ai.onnx opset " + std::to_string(op.version()) +
                         " is newer than the highest supported opset " + std::to_string(kMaxOnnxOpset));
      }
      if (op.version() < 1) fail(m.name() + ": invalid ai.onnx opset " + std::to_string(op.version()));
    }
  }
}

Model finish_load(onnx::ModelProto proto, const fs::path& path, const std::string& name,
                  const LoadOptions& opts, uint64_t source_bytes) {
  Model m(std::move(proto), path);
  if (!m.proto().has_graph()) fail(name + ": model has no graph");
  validate_opsets(m);
  fs::path dir = path.empty() ? fs::path() : path.parent_path();
  if (dir.empty() && !path.empty()) dir = ".";
  materialize_external(m.graph(), dir, name);
  name_unnamed_nodes(m.graph());  // stable names for inspect, layer rules, profiles and logs
  if (const int n = clear_negative_dims(m.graph())) {
    m.add_warning(name + ": " + std::to_string(n) + " declared dim(s) below 0 read as unknown");
  }
  densify_sparse_initializers(m.proto(), dir, name, source_bytes);  // the model in memory is dense
  if (opts.run_checker) m.check();
  if (opts.infer_shapes) m.infer_shapes();
  return m;
}

}  // namespace

int Model::opset(const std::string& domain) const {
  for (const auto& op : proto_.opset_import()) {
    if (op.domain() == domain || (is_default_domain(domain) && is_default_domain(op.domain()))) {
      return static_cast<int>(op.version());
    }
  }
  return -1;
}

Model load_model(const fs::path& path, const LoadOptions& opts) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path.string() + ": no such file");
  if (fs::is_directory(path, ec)) fail(path.string() + ": is a directory, expected an .onnx file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string() + ": cannot open for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) fail(path.string() + ": file is empty (0 bytes)");
  const uint64_t file_bytes = bytes.size();
  if (has_zstd_magic(bytes)) bytes = zstd_decompress(bytes, max_decompressed_model_bytes(bytes.size()), path.string());
  onnx::ModelProto proto;
  if (!proto.ParseFromString(bytes)) {
    fail(path.string() + ": not a valid ONNX model (protobuf parse failed: truncated or corrupt file)");
  }
  bytes.clear();
  bytes.shrink_to_fit();
  return finish_load(std::move(proto), path, path.string(), opts, file_bytes);
}

Model as_loaded(const Model& m) {
  Model copy = m;
  copy.infer_shapes();
  return copy;
}

Model load_model_from_bytes(const std::string& bytes, const std::string& name, const LoadOptions& opts) {
  onnx::ModelProto proto;
  bool parsed = false;
  if (has_zstd_magic(bytes)) {
    parsed = proto.ParseFromString(zstd_decompress(bytes, max_decompressed_model_bytes(bytes.size()), name));
  } else {
    parsed = !bytes.empty() && proto.ParseFromString(bytes);
  }
  if (!parsed) fail(name + ": not a valid ONNX model (protobuf parse failed)");
  return finish_load(std::move(proto), {}, name, opts, bytes.size());
}

namespace {

uint64_t inline_initializer_bytes(const onnx::ModelProto& proto) {
  uint64_t total = 0;
  for (const auto& init : proto.graph().initializer()) total += init.raw_data().size();
  for (const auto& s : proto.graph().sparse_initializer()) {
    total += s.values().raw_data().size() + s.indices().raw_data().size();
  }
  return total;
}

std::string serialize(const onnx::ModelProto& proto, const fs::path& path, const SaveOptions& opts,
                      SavedModel* info) {
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) fail(path.string() + ": model cannot be serialized");
  info->onnx_bytes = bytes.size();
  if (is_zstd_path(path)) {
    bytes = zstd_compress(bytes, opts.zstd_level ? opts.zstd_level : kDefaultZstdLevel, path.string());
  }
  info->file_bytes = bytes.size();
  return bytes;
}

}  // namespace

std::string encode_model(const Model& model_in, const fs::path& path, const SaveOptions& opts, SavedModel* info) {
  // The sparse form is made in place and undone before returning (the model is unchanged).
  auto& proto = const_cast<onnx::ModelProto&>(model_in.proto());
  std::optional<SparseStorageScope> sparse;
  if (opts.sparse_weights) sparse.emplace(proto);
  const uint64_t total = inline_initializer_bytes(proto);
  if (opts.force_external_data || total >= opts.external_data_threshold) {
    const char* why = is_zstd_path(path) ? "a .zst container cannot hold; write it as .onnx" : "only save_model writes";
    fail(path.string() + ": the model needs external data (" + std::to_string(total) + " bytes of initializers), which " +
         why);
  }
  SavedModel local;
  SavedModel* out = info ? info : &local;
  *out = {};
  out->sparse_tensors = sparse ? sparse->sparse_tensors() : 0;
  return serialize(proto, path, opts, out);
}

SavedModel save_model(const Model& model_in, const fs::path& path, const SaveOptions& opts) {
  // We temporarily move large raw_data out of the proto, and make the sparse form in place
  // (const_cast is confined to this function and everything is restored before returning).
  auto& proto = const_cast<onnx::ModelProto&>(model_in.proto());
  std::optional<SparseStorageScope> sparse;
  if (opts.sparse_weights) sparse.emplace(proto);
  SavedModel info;
  info.sparse_tensors = sparse ? sparse->sparse_tensors() : 0;
  const uint64_t total = inline_initializer_bytes(proto);
  bool external = opts.force_external_data || total >= opts.external_data_threshold;
  if (external && is_zstd_path(path)) {
    fail(path.string() + ": the model needs external data (" + std::to_string(total) +
         " bytes of initializers), which a .zst container cannot hold; write it as .onnx");
  }
  if (!external) {
    write_file_atomic(path, serialize(proto, path, opts, &info));
    return info;
  }
  info.external_data = true;
  std::string data_name = path.filename().string() + ".data";
  fs::path data_path = path.parent_path() / data_name;
  struct Moved {
    onnx::TensorProto* t;
    std::string data;
  };
  std::vector<Moved> moved;
  auto restore = [&] {
    for (auto& m : moved) {
      m.t->clear_external_data();
      m.t->set_data_location(onnx::TensorProto::DEFAULT);
      m.t->mutable_raw_data()->swap(m.data);
    }
  };
  try {
    AtomicFile data(data_path);
    for (auto& init : *proto.mutable_graph()->mutable_initializer()) {
      if (!init.has_raw_data() || init.raw_data().size() < opts.external_min_tensor_bytes) continue;
      uint64_t offset = data.bytes_written();
      // Align each tensor to 64 bytes so that the file can be mapped directly.
      static const char zeros[64] = {};
      if (offset % 64) {
        data.write(zeros, 64 - offset % 64);
        offset = data.bytes_written();
      }
      data.write(init.raw_data());
      moved.push_back({&init, {}});
      moved.back().data.swap(*init.mutable_raw_data());
      init.clear_raw_data();
      init.set_data_location(onnx::TensorProto::EXTERNAL);
      auto add = [&](const std::string& k, const std::string& v) {
        auto* e = init.add_external_data();
        e->set_key(k);
        e->set_value(v);
      };
      add("location", data_name);
      add("offset", std::to_string(offset));
      add("length", std::to_string(moved.back().data.size()));
    }
    std::string bytes;
    if (!proto.SerializeToString(&bytes)) fail(path.string() + ": model cannot be serialized");
    info.onnx_bytes = info.file_bytes = bytes.size();
    AtomicFile model_file(path);
    model_file.write(bytes);
    data.commit();
    model_file.commit();
  } catch (...) {
    restore();
    throw;
  }
  restore();
  return info;
}

Expected<Model> try_load_model(const fs::path& path, const LoadOptions& opts) {
  return capture([&] { return load_model(path, opts); });
}

Status try_save_model(const Model& model, const fs::path& path, const SaveOptions& opts) {
  return capture_status([&] { save_model(model, path, opts); });
}

}  // namespace edge
