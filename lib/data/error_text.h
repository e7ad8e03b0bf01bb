// Error text from untrusted bytes. A reader's error is one line that names the file, even
// when the file's own bytes (a .npy header, a zip member name, a node name) hold newlines,
// control characters or invalid UTF-8:
//   escaped("a\nb\xff")       -> "a\\nb\\xff"   (valid UTF-8 is kept, everything else is shown as \xNN)
//   naming_file(path, body)  -> body(), with "path: " put in front of any edge::Error that
//                               does not name `path` already (shape overflow, tensor cap, ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "ir/status.h"

namespace edge::data {

// Length of the valid UTF-8 sequence at s[i] that is not a C1 control or a line/paragraph
// separator (U+2028/2029), or 0 when the byte at s[i] must be escaped.
inline size_t printable_utf8_length(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? (c < 0xF0 ? 3 : 0) : c >= 0xC2 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  uint32_t cp = n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
  for (size_t k = 1; k < n; ++k) cp = cp << 6 | (b(i + k) & 0x3Fu);
  bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  bool bad = overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp <= 0x9F || cp == 0x2028 || cp == 0x2029;
  return bad ? 0 : n;
}

// `raw` with \n, \r, \t shown as such and other control bytes and invalid UTF-8 as \xNN.
inline std::string escaped(std::string_view raw) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    auto c = static_cast<uint8_t>(raw[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (size_t n = c >= 0x80 ? printable_utf8_length(raw, i) : 0) {
      out.append(raw.substr(i, n));
      i += n;
    } else {
      if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
      ++i;
    }
  }
  return out;
}

// Runs body(); an edge::Error whose message does not contain `file` is rethrown (same code)
// as "file: message".
template <typename Body>
auto naming_file(const std::string& file, Body&& body) -> decltype(body()) {
  try {
    return std::forward<Body>(body)();
  } catch (const Error& e) {
    std::string_view msg = e.what();
    if (msg.find(file) != std::string_view::npos) throw;
    throw Error(e.code(), file + ": " + std::string(msg));
  }
}

}  // namespace edge::data
