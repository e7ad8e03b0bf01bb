#include "data/npy.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>

#include "data/checked_size.h"
#include "data/error_text.h"
#include "ir/atomic_file.h"

namespace edge::data {
namespace fs = std::filesystem;

namespace {

DType dtype_from_descr(const std::string& d, const std::string& what) {
  auto unsupported = [&]() -> DType { fail_unsupported(what + ": unsupported .npy dtype '" + escaped(d) + "'"); };
  if (d.size() < 3) unsupported();
  char order = d[0];
  std::string code = d.substr(1);
  if (order != '<' && order != '>' && order != '|' && order != '=') unsupported();
  if (order == '>' && code != "i1" && code != "u1" && code != "b1") {
    fail_unsupported(what + ": big-endian .npy data ('" + escaped(d) + "') is not supported");
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
  return unsupported();
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

// The header dict of a .npy file, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// followed by spaces and '\n'. Exactly the three keys numpy writes; anything else is an error
// that quotes the offending text escaped (the header is untrusted bytes).
class HeaderParser {
 public:
  HeaderParser(const std::string& h, const std::string& what) : h_(h), what_(what) {}

  NpyHeader parse() {
    NpyHeader out;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_space();
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      std::string key = quoted();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        once(seen_descr, key);
        if (peek() != '\'' && peek() != '"') fail(what_ + ": unsupported .npy dtype " + excerpt(pos_) + " (structured arrays are not supported)");
        out.dtype = dtype_from_descr(quoted(), what_);
      } else if (key == "fortran_order") {
        once(seen_order, key);
        fortran_ = word();
      } else if (key == "shape") {
        once(seen_shape, key);
        out.shape = shape();
      } else {
        fail(what_ + ": unknown .npy header key '" + escaped(key) + "' (expected descr, fortran_order, shape)");
      }
      skip_space();
      if (peek() == ',') ++pos_;
      else if (peek() != '}') fail(what_ + ": malformed .npy header at " + excerpt(pos_));
    }
    ++pos_;
    while (pos_ < h_.size() && (h_[pos_] == ' ' || h_[pos_] == '\n' || h_[pos_] == '\0')) ++pos_;
    if (pos_ != h_.size()) fail(what_ + ": malformed .npy header: text after the dict: " + excerpt(pos_));
    if (!seen_descr) fail(what_ + ": .npy header has no 'descr'");
    if (!seen_order) fail(what_ + ": .npy header has no 'fortran_order'");
    if (!seen_shape) fail(what_ + ": .npy header has no 'shape'");
    if (fortran_) {
      fail_unsupported(what_ + ": Fortran-order .npy data (fortran_order: True) is not supported; "
                       "save a C-order array (np.ascontiguousarray)");
    }
    return out;
  }

 private:
  char peek() const { return pos_ < h_.size() ? h_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < h_.size() && (h_[pos_] == ' ' || h_[pos_] == '\t' || h_[pos_] == '\n')) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(what_ + ": malformed .npy header: expected '" + std::string(1, c) + "' at " + excerpt(pos_));
    ++pos_;
  }
  void once(bool& seen, const std::string& key) {
    if (seen) fail(what_ + ": .npy header repeats '" + key + "'");
    seen = true;
  }
  // Up to 40 bytes of the header from `at`, quoted and escaped.
  std::string excerpt(size_t at) const {
    std::string s = h_.substr(std::min(at, h_.size()), 40);
    return "'" + escaped(s) + (at + 40 < h_.size() ? "...'" : "'");
  }
  std::string quoted() {
    char q = peek();
    if (q != '\'' && q != '"') fail(what_ + ": malformed .npy header: expected a quoted string at " + excerpt(pos_));
    size_t end = h_.find(q, pos_ + 1);
    if (end == std::string::npos || end - pos_ > 64) fail(what_ + ": malformed .npy header: bad string at " + excerpt(pos_));
    std::string s = h_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return s;
  }
  bool word() {
    for (bool v : {true, false}) {
      std::string w = v ? "True" : "False";
      if (h_.compare(pos_, w.size(), w) == 0) {
        pos_ += w.size();
        return v;
      }
    }
    fail(what_ + ": .npy 'fortran_order' must be True or False, got " + excerpt(pos_));
  }
  Shape shape() {
    Shape s;
    expect('(');
    for (;;) {
      skip_space();
      if (peek() == ')') break;
      size_t start = pos_;
      while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
      if (pos_ == start || pos_ - start > 18) fail(what_ + ": malformed .npy shape at " + excerpt(start));
      s.push_back(std::stoll(h_.substr(start, pos_ - start)));
      if (peek() == 'L') ++pos_;  // Python 2 longs: (3L, 4L)
      skip_space();
      if (peek() == ',') ++pos_;
      else if (peek() != ')') fail(what_ + ": malformed .npy shape at " + excerpt(pos_));
    }
    ++pos_;
    return s;
  }

  const std::string& h_;
  const std::string& what_;
  size_t pos_ = 0;
  bool fortran_ = false;
};

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
  NpyHeader out = HeaderParser(h, what).parse();
  out.data_offset = end;
  out.data_bytes = checked_nbytes(out.shape, out.dtype, what);
  return out;
}

namespace {
// Checks that `available` bytes follow the header and that the tensor fits the cap.
void check_npy_data(const NpyHeader& h, uint64_t available, const std::string& what) {
  if (available != h.data_bytes) {
    fail(what + ": .npy data has " + std::to_string(available) + " bytes, shape " + shape_str(h.shape) + " of " +
         dtype_name(h.dtype) + " needs " + std::to_string(h.data_bytes));
  }
  check_tensor_cap(h.data_bytes, h.shape, h.dtype, what);
}
}  // namespace

Tensor parse_npy(const std::string& bytes, const std::string& what) {
  NpyHeader h = parse_npy_header(bytes, what);
  check_npy_data(h, bytes.size() - h.data_offset, what);
  Tensor t = naming_file(what, [&] { return Tensor(h.dtype, h.shape); });
  if (h.data_bytes) std::memcpy(t.raw(), bytes.data() + h.data_offset, h.data_bytes);
  return t;
}

// Reads the header first, then the data straight into the tensor: nothing is allocated
// before the sizes are checked against the file.
Tensor read_npy(const fs::path& path) {
  const std::string what = path.string();
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail(what + ": is a directory, expected a .npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(what + ": cannot open");
  uint64_t size = fs::file_size(path, ec);
  if (ec) fail(what + ": cannot read the file size");
  auto read_prefix = [&](size_t n) {
    std::string s(static_cast<size_t>(std::min<uint64_t>(n, size)), '\0');
    in.seekg(0);
    in.read(s.data(), static_cast<std::streamsize>(s.size()));
    if (!in) fail(what + ": read error");
    return s;
  };
  size_t end = npy_header_end(read_prefix(12), what);
  if (end > size) fail(what + ": truncated .npy header");
  if (end > kMaxNpyHeaderBytes) fail(what + ": .npy header of " + std::to_string(end) + " bytes is too large");
  NpyHeader h = parse_npy_header(read_prefix(end), what);
  check_npy_data(h, size - h.data_offset, what);
  Tensor t = naming_file(what, [&] { return Tensor(h.dtype, h.shape); });
  in.seekg(static_cast<std::streamoff>(h.data_offset));
  in.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(h.data_bytes));
  if (!in) fail(what + ": read error");
  return t;
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
