// SHA-256 (FIPS 180-4) of bytes or a file, as lower-case hex. Used for provenance.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace edge {

std::string sha256_hex(std::string_view data);
std::string sha256_file(const std::filesystem::path& path);  // streams the file

}  // namespace edge
