#include "ir/zstd_container.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "ir/status.h"
#include "ir/tensor.h"

namespace edge {

namespace {

struct CctxDelete {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DctxDelete {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

constexpr uint64_t kProtobufMaxBytes = (uint64_t{1} << 31) - 1;
constexpr size_t kFirstChunk = size_t{1} << 20;

}  // namespace

bool has_zstd_magic(std::string_view bytes) {
  if (bytes.size() < 4) return false;
  uint32_t magic;
  std::memcpy(&magic, bytes.data(), 4);
  return magic == ZSTD_MAGICNUMBER;  // stored little-endian: 28 B5 2F FD
}

bool is_zstd_path(const std::filesystem::path& path) { return path.extension() == ".zst"; }

uint64_t max_decompressed_model_bytes(uint64_t compressed_bytes) {
  const uint64_t by_ratio = std::max<uint64_t>(uint64_t{32} << 20, kMaxZstdRatio * compressed_bytes);
  return std::min({max_tensor_bytes(), kProtobufMaxBytes, by_ratio});
}

std::string zstd_compress(std::string_view data, int level, const std::string& what) {
  std::unique_ptr<ZSTD_CCtx, CctxDelete> cctx(ZSTD_createCCtx());
  if (!cctx) throw Error(ErrorCode::kResourceLimit, what + ": cannot create a zstd context (out of memory)");
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress2(cctx.get(), out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n)) fail_internal(what + ": zstd compression failed: " + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string zstd_decompress(std::string_view frame, uint64_t limit, const std::string& what) {
  const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) fail(what + ": corrupt zstd frame header");
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN) {
    fail(what + ": the zstd frame does not declare its decompressed size (write it with `zstd` from a file, not a pipe)");
  }
  if (declared > limit) {
    throw Error(ErrorCode::kResourceLimit, what + ": zstd frame declares " + std::to_string(declared) +
                                               " decompressed bytes, above the limit of " + std::to_string(limit) +
                                               " bytes (64x the frame, at least 32 MiB, within --max-tensor-mb; a "
                                               "decompression bomb? a real model loads after `zstd -d`)");
  }
  if (declared == 0) fail(what + ": the zstd frame is empty");
  const size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size)) fail(what + ": corrupt or truncated zstd frame (" + ZSTD_getErrorName(frame_size) + ")");
  if (frame_size != frame.size()) {
    fail(what + ": " + std::to_string(frame.size() - frame_size) + " bytes after the zstd frame (one frame expected)");
  }
  std::unique_ptr<ZSTD_DCtx, DctxDelete> dctx(ZSTD_createDCtx());
  if (!dctx) throw Error(ErrorCode::kResourceLimit, what + ": cannot create a zstd context (out of memory)");
  std::string out;
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  size_t produced = 0;
  size_t ret = 1;
  // The output grows with what the frame actually yields, never beyond the declared size.
  while (ret != 0) {
    if (produced == out.size()) {
      if (out.size() >= declared) {
        // The frame has more to give than it declared (or did not finish at its size).
        fail(what + ": zstd frame decompresses beyond its declared " + std::to_string(declared) + " bytes");
      }
      out.resize(std::min<uint64_t>(declared, std::max<uint64_t>(kFirstChunk, out.size() * 2)));
    }
    ZSTD_outBuffer ob{out.data(), out.size(), produced};
    ret = ZSTD_decompressStream(dctx.get(), &ob, &in);
    if (ZSTD_isError(ret)) fail(what + ": corrupt zstd data (" + ZSTD_getErrorName(ret) + ")");
    const bool progressed = ob.pos != produced;
    produced = ob.pos;
    if (ret != 0 && !progressed && in.pos == in.size && produced < out.size()) {
      fail(what + ": truncated zstd frame");
    }
  }
  if (produced != declared) {
    fail(what + ": zstd frame yields " + std::to_string(produced) + " bytes but declares " + std::to_string(declared));
  }
  out.resize(produced);
  return out;
}

}  // namespace edge
