// libFuzzer target: the dataset readers. The input is written to a temporary file whose
// extension (picked by the first byte) selects the reader: .npy, .npz, .idx, .idx.gz; then
// every sample is read.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "data/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool once = [] {
    edge::set_max_tensor_bytes(uint64_t{64} << 20);
    return true;
  }();
  (void)once;
  if (size == 0) return 0;
  static const char* kExt[] = {".npy", ".npz", ".idx", ".idx.gz"};
  std::string path = "/tmp/edge-fuzz-dataset-" + std::to_string(::getpid()) + kExt[data[0] % 4];
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data) + 1, static_cast<std::streamsize>(size - 1));
  }
  try {
    auto ds = edge::data::open_dataset(path);
    for (int64_t i = 0; i < ds->size() && i < 64; ++i) (void)ds->read(i);
  } catch (const edge::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
