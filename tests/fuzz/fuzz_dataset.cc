// libFuzzer target: the dataset readers. The first byte picks the reader; the rest is the
// content of one file: .npy, .npz, .idx, .idx.gz, an image in a class sub-folder of an image
// folder (PNG/JPEG/BMP... decoded by stb), or input_0.pb of a test_data_set directory.
// Then every sample (up to 64) is read.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
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
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("edge-fuzz-dataset-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::path open_path, file;
  switch (data[0] % 6) {
    case 0: open_path = file = dir / "x.npy"; break;
    case 1: open_path = file = dir / "x.npz"; break;
    case 2: open_path = file = dir / "x.idx"; break;
    case 3: open_path = file = dir / "x.idx.gz"; break;
    case 4:
      fs::create_directories(dir / "images" / "class_a");
      file = dir / "images" / "class_a" / "img.png";
      open_path = dir / "images";
      break;
    default:
      fs::create_directories(dir / "test_data_set_0");
      file = dir / "test_data_set_0" / "input_0.pb";
      open_path = dir;
      break;
  }
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data) + 1, static_cast<std::streamsize>(size - 1));
  }
  try {
    auto ds = edge::data::open_dataset(open_path);
    for (int64_t i = 0; i < ds->size() && i < 64; ++i) (void)ds->read(i);
  } catch (const edge::Error&) {
  }
  fs::remove_all(dir);
  return 0;
}
