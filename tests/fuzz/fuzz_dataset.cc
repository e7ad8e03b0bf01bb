// libFuzzer target: the dataset readers. The first byte picks the reader (data[0] % 6); the
// rest is the content of one file: .npy, .npz, .idx, .idx.gz, an image in a class sub-folder
// of an image folder (PNG/JPEG/BMP/PGM... decoded by stb; when data[0] / 6 is odd the images
// are resized to 3x5, as when a folder is fitted to a model's input), or input_0.pb of a
// test_data_set directory. Then every sample (up to 64) is read. Every error must be one
// line that names a file (a path under the temporary directory); anything else aborts.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
  edge::data::DataOptions options;
  switch (data[0] % 6) {
    case 0: open_path = file = dir / "x.npy"; break;
    case 1: open_path = file = dir / "x.npz"; break;
    case 2: open_path = file = dir / "x.idx"; break;
    case 3: open_path = file = dir / "x.idx.gz"; break;
    case 4:
      fs::create_directories(dir / "images" / "class_a");
      file = dir / "images" / "class_a" / "img.png";
      open_path = dir / "images";
      if (data[0] / 6 % 2) {
        options.pre.resize_h = 3;
        options.pre.resize_w = 5;
      }
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
    auto ds = edge::data::open_dataset(open_path, options);
    for (int64_t i = 0; i < ds->size() && i < 64; ++i) (void)ds->read(i);
  } catch (const edge::Error& e) {
    std::string msg = e.what();
    if (msg.find(dir.string()) == std::string::npos || msg.find_first_of("\n\r") != std::string::npos) {
      std::fprintf(stderr, "error does not name the file on one line: %s\n", msg.c_str());
      std::abort();
    }
  }
  fs::remove_all(dir);
  return 0;
}
