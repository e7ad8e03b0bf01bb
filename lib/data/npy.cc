#include "data/npy.h"

#include <cstring>
#include <fstream>

#include "ir/atomic_file.h"

namespace edge::data {
namespace fs = std::filesystem;

namespace {

DType dtype_from_descr(const std::string& d, const std::string& what) {
  if (d.size() < 3) fail(what + ": unsupported .npy dtype '" + d + "'");
  char order = d[0];
  std::string code = d.substr(1);
  if (order == '>' && code != "i1" && code != "u1" && code != "b1") {
    fail(what + ": big-endian .npy data is not supported");
  }
  if (code == "f4") return DType::kFloat;
  if (code == "f8") return DType::kDouble;
  if (code == "f2") return DType::kFloat16;
  if (code == "i1") return DType::kInt8;
  if (code == "u1") return DType::kUint8;
  if (code == "i2") return DType::kInt16;
  if (code == "u2") return DType::kUint16;
  if (code == "i4") return DType::kInt32;
  if (code == "u4") return DType::kUint32;
  if (code == "i8") return DType::kInt64;
  if (code == "u8") return DType::kUint64;
  if (code == "b1") return DType::kBool;
  fail(what + ": unsupported .npy dtype '" + d + "'");
}

std::string descr_for(DType t) {
  switch (t) {
    case DType::kFloat: return "<f4";
    case DType::kDouble: return "<f8";
    case DType::kFloat16: return "<f2";
    case DType::kInt8: return "|i1";
    case DType::kUint8: return "|u1";
    case DType::kInt16: return "<i2";
    case DType::kUint16: return "<u2";
    case DType::kInt32: return "<i4";
    case DType::kUint32: return "<u4";
    case DType::kInt64: return "<i8";
    case DType::kUint64: return "<u8";
    case DType::kBool: return "|b1";
    default: fail_unsupported("cannot write " + dtype_name(t) + " to .npy");
  }
}

// Value of `key` in the header dict, e.g. 'descr': '<f4' -> <f4.
std::string header_value(const std::string& h, const std::string& key, const std::string& what) {
  auto k = h.find("'" + key + "'");
  if (k == std::string::npos) fail(what + ": .npy header has no '" + key + "'");
  auto colon = h.find(':', k);
  if (colon == std::string::npos) fail(what + ": malformed .npy header");
  size_t i = colon + 1;
  while (i < h.size() && h[i] == ' ') ++i;
  if (i >= h.size()) fail(what + ": malformed .npy header");
  if (h[i] == '\'') {
    auto end = h.find('\'', i + 1);
    if (end == std::string::npos) fail(what + ": malformed .npy header");
    return h.substr(i + 1, end - i - 1);
  }
  if (h[i] == '(') {
    auto end = h.find(')', i);
    if (end == std::string::npos) fail(what + ": malformed .npy header");
    return h.substr(i + 1, end - i - 1);
  }
  auto end = h.find_first_of(",}", i);
  return h.substr(i, end == std::string::npos ? std::string::npos : end - i);
}

}  // namespace

size_t npy_header_end(const std::string& prefix, const std::string& what) {
  if (prefix.size() < 10 || std::memcmp(prefix.data(), "\x93NUMPY", 6) != 0) {
    fail(what + ": not a .npy file (bad magic)");
  }
  uint8_t major = static_cast<uint8_t>(prefix[6]);
  if (major == 1) {
    return 10 + (static_cast<uint8_t>(prefix[8]) | static_cast<size_t>(static_cast<uint8_t>(prefix[9])) << 8);
  }
  if (major != 2 && major != 3) fail(what + ": unsupported .npy version " + std::to_string(major));
  if (prefix.size() < 12) fail(what + ": truncated .npy header");
  size_t header_len = 0;
  for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(prefix[8 + i])) << (8 * i);
  return 12 + header_len;
}

NpyHeader parse_npy_header(const std::string& bytes, const std::string& what) {
  size_t end = npy_header_end(bytes, what);
  size_t header_start = static_cast<uint8_t>(bytes[6]) == 1 ? 10 : 12;
  if (end > bytes.size()) fail(what + ": truncated .npy header");
  std::string h = bytes.substr(header_start, end - header_start);
  NpyHeader out;
  out.dtype = dtype_from_descr(header_value(h, "descr", what), what);
  std::string fortran = header_value(h, "fortran_order", what);
  if (fortran.find("True") != std::string::npos) fail(what + ": Fortran-order .npy data is not supported");
  std::string shape_txt = header_value(h, "shape", what);
  size_t pos = 0;
  while (pos < shape_txt.size()) {
    while (pos < shape_txt.size() && (shape_txt[pos] == ' ' || shape_txt[pos] == ',')) ++pos;
    if (pos >= shape_txt.size()) break;
    size_t e = pos;
    while (e < shape_txt.size() && std::isdigit(static_cast<unsigned char>(shape_txt[e]))) ++e;
    if (e == pos || e - pos > 18) fail(what + ": malformed .npy shape '" + shape_txt + "'");
    out.shape.push_back(std::stoll(shape_txt.substr(pos, e - pos)));
    pos = e;
  }
  out.data_offset = end;
  out.data_bytes = static_cast<uint64_t>(shape_numel(out.shape)) * dtype_size(out.dtype);
  return out;
}

Tensor parse_npy(const std::string& bytes, const std::string& what) {
  NpyHeader h = parse_npy_header(bytes, what);
  size_t data_start = h.data_offset;
  uint64_t need = h.data_bytes;
  if (bytes.size() - data_start != need) {
    fail(what + ": .npy data has " + std::to_string(bytes.size() - data_start) + " bytes, shape " +
         shape_str(h.shape) + " of " + dtype_name(h.dtype) + " needs " + std::to_string(need));
  }
  Tensor t(h.dtype, h.shape);
  if (need) std::memcpy(t.raw(), bytes.data() + data_start, need);
  return t;
}

Tensor read_npy(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail(path.string() + ": is a directory, expected a .npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string() + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_npy(bytes, path.string());
}

std::string encode_npy(const Tensor& t) {
  std::string shape;
  for (size_t i = 0; i < t.shape().size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape()[i]);
  if (t.shape().size() == 1) shape += ",";
  std::string header =
      "{'descr': '" + descr_for(t.dtype()) + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(static_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

void write_npy(const fs::path& path, const Tensor& t) { write_file_atomic(path, encode_npy(t)); }

}  // namespace edge::data
