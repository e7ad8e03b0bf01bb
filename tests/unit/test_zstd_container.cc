// The .onnx.zst container (zstd_container.h): written for paths ending in .zst, recognised by
// its magic number on load, and refused with one error when corrupt, truncated, followed by
// other bytes, without a declared size, or declaring (or yielding) more than the bound.
#include <zstd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "ir/model.h"
#include "ir/tensor.h"
#include "ir/text_format.h"
#include "ir/zstd_container.h"
#include "test_util.h"

using namespace edge;
using edge::test::TempDir;

namespace {

const char* kModel = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y)
<float[4] b = {1.0, 0.0, 0.0, -4.0}>
{
  y = Add(x, b)
}
)";

Error load_error(const std::string& bytes) {
  try {
    load_model_from_bytes(bytes, "m.onnx.zst");
  } catch (const Error& e) {
    return e;
  }
  FAIL("loaded");
  return Error(ErrorCode::kOk, "");
}

// A frame header declaring `size` bytes (single segment, 8-byte content size) and one raw
// block of `block` bytes.
std::string handmade_frame(uint64_t size, uint32_t block) {
  std::string f = {'\x28', '\xB5', '\x2F', '\xFD', '\xE0'};
  for (int i = 0; i < 8; ++i) f += static_cast<char>((size >> (8 * i)) & 0xFF);
  const uint32_t header = (block << 3) | 1;  // last block, raw
  for (int i = 0; i < 3; ++i) f += static_cast<char>((header >> (8 * i)) & 0xFF);
  f += std::string(block, 'x');
  return f;
}

}  // namespace

TEST_CASE("a .zst path gets the zstd container and load recognises it by its magic and not its name") {
  TempDir dir;
  Model m = parse_model_text(kModel);
  const SavedModel info = save_model(m, dir / "m.onnx.zst");
  const std::string file = test::read_bytes(dir / "m.onnx.zst");
  REQUIRE(has_zstd_magic(file));
  CHECK(info.file_bytes == file.size());
  CHECK(info.onnx_bytes == m.proto().ByteSizeLong());
  test::write_bytes(dir / "renamed.onnx", file);
  for (const char* name : {"m.onnx.zst", "renamed.onnx"}) {
    Model back = load_model(dir / name);
    CHECK(back.proto().SerializeAsString() == load_model_from_bytes(m.proto().SerializeAsString(), "x").proto().SerializeAsString());
  }
  CHECK(encode_model(m, dir / "x.onnx.zst") == file);  // deterministic
}

TEST_CASE("corrupt or truncated or padded .zst files fail with one line") {
  Model m = parse_model_text(kModel);
  const std::string frame = zstd_compress(m.proto().SerializeAsString(), kDefaultZstdLevel, "m");
  std::string flipped = frame;
  flipped[flipped.size() / 2] ^= 0x5A;
  const Error e1 = load_error(flipped);
  CHECK(e1.code() == ErrorCode::kInvalidInput);
  CHECK(std::string(e1.what()).find("m.onnx.zst: ") == 0);
  const Error e2 = load_error(frame.substr(0, frame.size() - 5));
  CHECK(std::string(e2.what()).find("m.onnx.zst: corrupt or truncated zstd frame") == 0);
  const Error e3 = load_error(frame + "junk");
  CHECK(std::string(e3.what()) == "m.onnx.zst: 4 bytes after the zstd frame (one frame expected)");
  const Error e4 = load_error(frame + frame);
  CHECK(std::string(e4.what()).find("bytes after the zstd frame") != std::string::npos);
}

TEST_CASE("decompression bombs: a declared size above the bound or more data than declared") {
  // 2^40 declared: refused from the header, nothing allocated.
  const Error big = load_error(handmade_frame(uint64_t{1} << 40, 16));
  CHECK(big.code() == ErrorCode::kResourceLimit);
  CHECK(std::string(big.what()).find("m.onnx.zst: zstd frame declares 1099511627776 decompressed bytes, above the limit of") == 0);
  // Declares 4 bytes, carries 8: zstd or our bound stops it.
  const Error lying = load_error(handmade_frame(4, 8));
  CHECK(lying.code() == ErrorCode::kInvalidInput);
  // 64 MiB of zeros (a few KiB compressed) against a 16 MiB cap.
  const std::string zeros(64 << 20, '\0');
  const std::string bomb = zstd_compress(zeros, 3, "bomb");
  CHECK(bomb.size() < 64 * 1024);
  const uint64_t cap = max_tensor_bytes();
  set_max_tensor_bytes(16 << 20);
  const Error capped = load_error(bomb);
  set_max_tensor_bytes(cap);
  CHECK(capped.code() == ErrorCode::kResourceLimit);
  // The bound: 64x the frame, at least 32 MiB, at most 2 GiB - 1.
  CHECK(max_decompressed_model_bytes(1000) == uint64_t{32} << 20);
  CHECK(max_decompressed_model_bytes(uint64_t{1} << 20) == uint64_t{64} << 20);
  CHECK(max_decompressed_model_bytes(uint64_t{1} << 30) == (uint64_t{1} << 31) - 1);
  // So the 64 MiB of zeros in a few KiB are refused even under the default tensor cap.
  const Error ratio = load_error(bomb);
  CHECK(ratio.code() == ErrorCode::kResourceLimit);
  CHECK(std::string(ratio.what()).find("64x the frame") != std::string::npos);
  // Within the bound, the zeros decompress (and are then no ONNX model).
  CHECK(zstd_decompress(bomb, 64 << 20, "bomb").size() == zeros.size());
  CHECK_THROWS_AS(zstd_decompress(bomb, (64 << 20) - 1, "bomb"), Error);
}

TEST_CASE("a frame that does not declare its size is refused") {
  const std::string data(1000, 'a');
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress2(c, out.data(), out.size(), data.data(), data.size());
  ZSTD_freeCCtx(c);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  const Error e = load_error(out);
  CHECK(std::string(e.what()).find("m.onnx.zst: the zstd frame does not declare its decompressed size") == 0);
}

TEST_CASE("a .zst path refuses a model that needs external data") {
  TempDir dir;
  Model m = parse_model_text(kModel);
  SaveOptions so;
  so.force_external_data = true;
  try {
    save_model(m, dir / "m.onnx.zst", so);
    FAIL("saved");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("a .zst container cannot hold") != std::string::npos);
  }
  CHECK(test::count_entries(dir.path()) == 0);
}
