#include "ir/tensor_proto.h"

#include <cstring>
#include <fstream>
#include <limits>

#include "ir/atomic_file.h"

namespace edge {
namespace fs = std::filesystem;

int64_t proto_numel(const onnx::TensorProto& p, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : p.dims()) {
    if (d < 0) fail(what + ": negative dimension " + std::to_string(d));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) {
      throw Error(ErrorCode::kResourceLimit, what + ": dims overflow int64");
    }
    n *= d;
  }
  return n;
}

fs::path resolve_external_path(const fs::path& base_dir, const std::string& location,
                               const std::string& what) {
  if (location.empty()) fail(what + ": external data has an empty location");
  fs::path loc(location);
  if (loc.is_absolute() || location.front() == '/' || location.front() == '\\') {
    fail(what + ": external data location '" + location + "' is absolute; only paths inside the model directory are allowed");
  }
  for (const auto& part : loc) {
    if (part == "..") {
      fail(what + ": external data location '" + location + "' leaves the model directory");
    }
  }
  fs::path full = base_dir / loc;
  std::error_code ec;
  fs::path canon_base = fs::weakly_canonical(base_dir, ec);
  fs::path canon = fs::weakly_canonical(full, ec);
  auto rel = canon.lexically_relative(canon_base);
  if (rel.empty() || *rel.begin() == "..") {
    fail(what + ": external data location '" + location + "' resolves outside the model directory (symlink?)");
  }
  return full;
}

namespace {

// The tensor, allocated only after its size was checked against the data present;
// the cap error names the tensor.
Tensor allocate(DType dt, const Shape& shape, const std::string& what) {
  try {
    return Tensor(dt, shape);
  } catch (const Error& e) {
    throw Error(e.code(), what + ": " + e.what());
  }
}

template <typename Src, typename Dst>
void copy_field(const Src& field, Dst* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Dst>(field.Get(static_cast<int>(i)));
}

// Values in the typed field that holds `dt` (float_data, int32_data, ...), -1 for none.
int64_t typed_field_size(const onnx::TensorProto& p, DType dt) {
  switch (dt) {
    case DType::kFloat: return p.float_data_size();
    case DType::kDouble: return p.double_data_size();
    case DType::kInt64: return p.int64_data_size();
    case DType::kUint32:
    case DType::kUint64: return p.uint64_data_size();
    case DType::kInt32:
    case DType::kInt16:
    case DType::kUint16:
    case DType::kInt8:
    case DType::kUint8:
    case DType::kBool:
    case DType::kFloat16: return p.int32_data_size();
    default: return -1;
  }
}

// Checks the external data's location and size against `need` bytes, then allocates.
Tensor read_external(const onnx::TensorProto& p, const fs::path& base_dir, const std::string& what, DType dt,
                     const Shape& shape, uint64_t need) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : p.external_data()) {
    try {
      if (kv.key() == "location") location = kv.value();
      else if (kv.key() == "offset") offset = std::stoll(kv.value());
      else if (kv.key() == "length") length = std::stoll(kv.value());
    } catch (const std::exception&) {
      fail(what + ": external data field '" + kv.key() + "' is not a number: '" + kv.value() + "'");
    }
  }
  if (base_dir.empty()) fail(what + ": external data but no model directory to resolve it against");
  fs::path path = resolve_external_path(base_dir, location, what);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    fail(what + ": external data file '" + path.string() + "' is missing or not a regular file");
  }
  uint64_t fsize = fs::file_size(path, ec);
  if (offset < 0) fail(what + ": negative external data offset");
  if (length >= 0 && static_cast<uint64_t>(length) != need) {
    fail(what + ": external data length " + std::to_string(length) + " does not match dims (" +
         std::to_string(need) + " bytes)");
  }
  if (static_cast<uint64_t>(offset) > fsize || fsize - static_cast<uint64_t>(offset) < need) {
    fail(what + ": external data file '" + path.string() + "' is too short (" + std::to_string(fsize) +
         " bytes, need " + std::to_string(need) + " at offset " + std::to_string(offset) + ")");
  }
  Tensor t = allocate(dt, shape, what);
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  in.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(need));
  if (!in) fail(what + ": cannot read external data file '" + path.string() + "'");
  return t;
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& p, const fs::path& base_dir, const std::string& what_in) {
  std::string what = what_in.empty() ? "tensor '" + p.name() + "'" : what_in;
  DType dt = dtype_from_onnx(p.data_type());
  if (!dtype_supported(dt)) {
    fail_unsupported(what + ": unsupported element type " + std::to_string(p.data_type()) +
                     (dt == DType::kString ? " (string)" : ""));
  }
  Shape shape(p.dims().begin(), p.dims().end());
  int64_t n = proto_numel(p, what);
  uint64_t esize = dtype_size(dt);
  if (esize && static_cast<uint64_t>(n) > std::numeric_limits<uint64_t>::max() / esize) {
    throw Error(ErrorCode::kResourceLimit, what + ": dims overflow the byte size");
  }
  uint64_t need = static_cast<uint64_t>(n) * esize;
  // Sizes are checked against the data present before anything is allocated.
  if (p.data_location() == onnx::TensorProto::EXTERNAL) return read_external(p, base_dir, what, dt, shape, need);
  if (p.has_raw_data()) {
    if (p.raw_data().size() != need) {
      fail(what + ": raw_data has " + std::to_string(p.raw_data().size()) + " bytes but " + dtype_name(dt) + "[" +
           shape_str(shape) + "] needs " + std::to_string(need));
    }
    Tensor t = allocate(dt, shape, what);
    if (need) std::memcpy(t.raw(), p.raw_data().data(), need);
    return t;
  }
  int64_t values = typed_field_size(p, dt);
  if (values < 0) fail_unsupported(what + ": unsupported element type");
  if (values != n) fail(what + ": has " + std::to_string(values) + " values but dims need " + std::to_string(n));
  Tensor t = allocate(dt, shape, what);
  switch (dt) {
    case DType::kFloat: copy_field(p.float_data(), t.data<float>(), n); break;
    case DType::kDouble: copy_field(p.double_data(), t.data<double>(), n); break;
    case DType::kInt64: copy_field(p.int64_data(), t.data<int64_t>(), n); break;
    case DType::kUint32: copy_field(p.uint64_data(), t.data<uint32_t>(), n); break;
    case DType::kUint64: copy_field(p.uint64_data(), t.data<uint64_t>(), n); break;
    case DType::kInt32: copy_field(p.int32_data(), t.data<int32_t>(), n); break;
    case DType::kInt16: copy_field(p.int32_data(), t.data<int16_t>(), n); break;
    case DType::kUint16: copy_field(p.int32_data(), t.data<uint16_t>(), n); break;
    case DType::kInt8: copy_field(p.int32_data(), t.data<int8_t>(), n); break;
    case DType::kUint8: copy_field(p.int32_data(), t.data<uint8_t>(), n); break;
    case DType::kBool: copy_field(p.int32_data(), t.data<bool>(), n); break;
    case DType::kFloat16: copy_field(p.int32_data(), static_cast<uint16_t*>(t.raw()), n); break;
    default: fail_unsupported(what + ": unsupported element type");
  }
  return t;
}

onnx::TensorProto tensor_to_proto(const Tensor& t, const std::string& name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.shape()) p.add_dims(d);
  p.set_raw_data(std::string(static_cast<const char*>(t.raw()), t.nbytes()));
  return p;
}

Tensor read_tensor_pb(const fs::path& path, std::string* name) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail(path.string() + ": is a directory, expected a tensor .pb file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string() + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  onnx::TensorProto p;
  if (bytes.empty() || !p.ParseFromString(bytes)) {
    fail(path.string() + ": not a valid serialized onnx TensorProto");
  }
  if (name) *name = p.name();
  return tensor_from_proto(p, path.parent_path(), path.string());
}

void write_tensor_pb(const fs::path& path, const Tensor& t, const std::string& name) {
  std::string bytes;
  tensor_to_proto(t, name).SerializeToString(&bytes);
  write_file_atomic(path, bytes);
}

}  // namespace edge
