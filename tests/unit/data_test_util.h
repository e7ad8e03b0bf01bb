// Writers for dataset tests: idx(.gz), zip (.npz, STORED or DEFLATE), tiny PNG images.
#pragma once

#include <stb/stb_image_write.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "test_util.h"

namespace edge::test {

// idx: magic 0 0 type rank, big-endian uint32 dims, then the (big-endian) data.
inline std::string idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const std::string& payload) {
  std::string s{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int b = 3; b >= 0; --b) s.push_back(static_cast<char>((d >> (8 * b)) & 0xff));
  }
  return s + payload;
}

inline void write_gzip(const std::filesystem::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

inline void put_le(std::string& s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A zip archive of (name, bytes) members, STORED or raw-DEFLATE compressed.
inline std::string zip_bytes(const std::vector<std::pair<std::string, std::string>>& members, bool compress) {
  std::string out, cd;
  for (const auto& [name, data] : members) {
    std::string body = data;
    if (compress) {
      body.assign(compressBound(static_cast<uLong>(data.size())) + 64, '\0');
      z_stream z{};
      deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      z.avail_in = static_cast<uInt>(data.size());
      z.next_out = reinterpret_cast<Bytef*>(body.data());
      z.avail_out = static_cast<uInt>(body.size());
      ::deflate(&z, Z_FINISH);
      body.resize(z.total_out);
      deflateEnd(&z);
    }
    uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    uint64_t offset = out.size();
    uint16_t method = compress ? 8 : 0;
    put_le(out, 0x04034b50, 4); put_le(out, 20, 2); put_le(out, 0, 2); put_le(out, method, 2);
    put_le(out, 0, 4); put_le(out, crc, 4); put_le(out, body.size(), 4); put_le(out, data.size(), 4);
    put_le(out, name.size(), 2); put_le(out, 0, 2);
    out += name + body;
    put_le(cd, 0x02014b50, 4); put_le(cd, 20, 2); put_le(cd, 20, 2); put_le(cd, 0, 2); put_le(cd, method, 2);
    put_le(cd, 0, 4); put_le(cd, crc, 4); put_le(cd, body.size(), 4); put_le(cd, data.size(), 4);
    put_le(cd, name.size(), 2); put_le(cd, 0, 2); put_le(cd, 0, 2); put_le(cd, 0, 2); put_le(cd, 0, 2);
    put_le(cd, 0, 4); put_le(cd, offset, 4);
    cd += name;
  }
  uint64_t cd_off = out.size();
  out += cd;
  put_le(out, 0x06054b50, 4); put_le(out, 0, 2); put_le(out, 0, 2); put_le(out, members.size(), 2);
  put_le(out, members.size(), 2); put_le(out, cd.size(), 4); put_le(out, cd_off, 4); put_le(out, 0, 2);
  return out;
}

// A w x h PNG filled with one RGB colour.
inline void write_png(const std::filesystem::path& p, int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  std::vector<uint8_t> px;
  for (int i = 0; i < w * h; ++i) px.insert(px.end(), {r, g, b});
  stbi_write_png(p.c_str(), w, h, 3, px.data(), w * 3);
}

}  // namespace edge::test
