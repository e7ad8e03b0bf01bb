// Hostile data files: every reader error is one line naming the file, sizes claimed by a
// header are checked against the bytes present before anything is allocated, and images of
// empty, negative or implausible size are refused instead of crashing.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <limits>

#include "data/byte_source.h"
#include "data/dataset.h"
#include "data/error_text.h"
#include "data/image.h"
#include "data/npy.h"
#include "data_test_util.h"
#include "ir/tensor_proto.h"

using namespace edge;
namespace fs = std::filesystem;

namespace {

// Sets the tensor cap for one test and restores it.
struct TensorCap {
  uint64_t saved = max_tensor_bytes();
  explicit TensorCap(uint64_t bytes) { set_max_tensor_bytes(bytes); }
  ~TensorCap() { set_max_tensor_bytes(saved); }
};

uint64_t peak_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

// The error `fn` throws; fails the test when it throws nothing.
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no edge::Error thrown");
  return {};
}

// Requires `fn` to throw an Error on one line that names `file` and contains `text`, and
// the process's peak RSS not to grow by 64 MB or more on the way (the claims are GBs).
void require_refused(const fs::path& file, const std::string& text, const std::function<void()>& fn) {
  uint64_t before = peak_rss_bytes();
  std::string msg = error_of(fn);
  INFO(msg);
  REQUIRE(msg.find(file.string()) != std::string::npos);
  REQUIRE(msg.find(text) != std::string::npos);
  REQUIRE(msg.find_first_of("\n\r") == std::string::npos);
  REQUIRE(peak_rss_bytes() - before < (uint64_t{64} << 20));
}

std::string npy_with_header(std::string header, const std::string& payload) {
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + payload;
}

}  // namespace

TEST_CASE("escaped keeps text on one line and valid UTF-8", "[data][hostile]") {
  REQUIRE(data::escaped("plain text: 1x2") == "plain text: 1x2");
  REQUIRE(data::escaped("a\nb\rc\td") == "a\\nb\\rc\\td");
  REQUIRE(data::escaped(std::string("\x1b[31m\x7f\0", 7)) == "\\x1b[31m\\x7f\\x00");
  REQUIRE(data::escaped("caf\xc3\xa9 \xe2\x82\xac") == "caf\xc3\xa9 \xe2\x82\xac");     // é €
  REQUIRE(data::escaped("bad \xff\xfe \xc3( \xc0\xaf") == "bad \\xff\\xfe \\xc3( \\xc0\\xaf");  // invalid, overlong
  REQUIRE(data::escaped("\xc2\x85|\xe2\x80\xa8|\xed\xa0\x80") ==
          "\\xc2\\x85|\\xe2\\x80\\xa8|\\xed\\xa0\\x80");  // NEL, LINE SEPARATOR, a surrogate
  std::string once = data::escaped("x\n\xff");
  REQUIRE(data::escaped(once) == once);
}

TEST_CASE("naming_file puts the file in front of errors that miss it", "[data][hostile]") {
  auto overflow = [] { return shape_numel(Shape{int64_t{1} << 40, int64_t{1} << 40}); };
  try {
    data::naming_file("f.idx", overflow);
    FAIL("no throw");
  } catch (const Error& e) {
    REQUIRE(std::string(e.what()).rfind("f.idx: shape ", 0) == 0);
    REQUIRE(e.code() == ErrorCode::kResourceLimit);
  }
  REQUIRE_THROWS_WITH(data::naming_file("f.idx", [] { fail("f.idx: already named"); return 0; }),
                      "f.idx: already named");
}

TEST_CASE(".npy headers: control bytes are escaped, unknown keys and Fortran order refused", "[data][hostile]") {
  test::TempDir dir;
  const std::string floats(16, '\0');
  auto write = [&](const std::string& name, const std::string& header) {
    test::write_bytes(dir / name, npy_with_header(header, floats));
    return dir / name;
  };
  fs::path ctl = write("ctl.npy", "{'descr': '<f\n4\r\xff\x1b', 'fortran_order': False, 'shape': (1, 4), }");
  require_refused(ctl, "unsupported .npy dtype '<f\\n4\\r\\xff\\x1b'", [&] { data::read_npy(ctl); });
  fs::path extra = write("extra.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), 'evil\n': 1, }");
  require_refused(extra, "unknown .npy header key 'evil\\n'", [&] { data::read_npy(extra); });
  require_refused(extra, "unknown .npy header key", [&] { data::open_dataset(extra); });
  fs::path twice = write("twice.npy", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), }");
  require_refused(twice, "repeats 'descr'", [&] { data::read_npy(twice); });
  fs::path fortran = write("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 4), }");
  require_refused(fortran, "Fortran-order", [&] { data::read_npy(fortran); });
  require_refused(fortran, "Fortran-order", [&] { data::open_dataset(fortran); });
  fs::path missing = write("missing.npy", "{'descr': '<f4', 'shape': (1, 4), }");
  require_refused(missing, "no 'fortran_order'", [&] { data::read_npy(missing); });
  fs::path tail = write("tail.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), } \x01junk");
  require_refused(tail, "text after the dict: '\\x01junk", [&] { data::read_npy(tail); });
  fs::path structured = write("rec.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 4), }");
  require_refused(structured, "structured arrays", [&] { data::read_npy(structured); });
  // What numpy writes, including Python 2's long suffix, is accepted.
  fs::path py2 = write("py2.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 2L), }");
  REQUIRE(data::read_npy(py2).shape() == Shape{2, 2});
}

TEST_CASE(".npy and idx sizes are checked before allocating, errors name the file", "[data][hostile]") {
  test::TempDir dir;
  fs::path huge = dir / "huge.npy";
  test::write_bytes(huge, npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648,), }", "abcd"));
  require_refused(huge, ".npy data has 4 bytes", [&] { data::read_npy(huge); });
  fs::path overflow = dir / "overflow.npy";
  test::write_bytes(overflow, npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4000000000), }", ""));
  require_refused(overflow, "overflows int64", [&] { data::read_npy(overflow); });
  require_refused(overflow, "overflows int64", [&] { data::open_dataset(overflow); });
  require_refused(overflow, "overflows int64", [&] { data::open_labels(overflow); });

  fs::path idx = dir / "overflow-idx3-ubyte";
  test::write_bytes(idx, test::idx_bytes(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, ""));
  require_refused(idx, "overflows int64", [&] { data::open_dataset(idx); });
  require_refused(idx, "overflows int64", [&] { data::open_labels(idx); });
  // gzip hides the size: labels are inflated as far as the data goes, not to the claim (4 GB).
  fs::path gz = dir / "labels-idx1-ubyte.gz";
  test::write_gzip(gz, test::idx_bytes(0x08, {0xFFFFFFFF}, "\x01\x02"));
  require_refused(gz, "truncated idx data", [&] { data::open_labels(gz); });
}

TEST_CASE("the tensor cap message names the file", "[data][hostile]") {
  test::TempDir dir;
  data::write_npy(dir / "big.npy", Tensor(DType::kFloat, Shape{2, 256}));  // 1 KB a sample
  test::write_bytes(dir / "big-idx3-ubyte", test::idx_bytes(0x08, {2, 32, 32}, std::string(2048, '\0')));
  TensorCap cap(512);
  require_refused(dir / "big.npy", "above the tensor limit of 512 bytes", [&] { data::read_npy(dir / "big.npy"); });
  require_refused(dir / "big.npy", "above the tensor limit of 512 bytes", [&] { data::open_dataset(dir / "big.npy"); });
  require_refused(dir / "big.npy", "above the tensor limit", [&] { data::open_labels(dir / "big.npy"); });
  require_refused(dir / "big-idx3-ubyte", "above the tensor limit", [&] { data::open_dataset(dir / "big-idx3-ubyte"); });
  fs::path images = dir / "images";
  fs::create_directories(images);
  test::write_png(images / "a.png", 4, 4, 1, 2, 3);
  data::DataOptions o;
  o.pre.resize_h = o.pre.resize_w = 64;
  require_refused(images, "above the tensor limit", [&] { data::open_dataset(images, o); });
}

TEST_CASE(".npz members: claims beyond DEFLATE's ratio and odd names", "[data][hostile]") {
  test::TempDir dir;
  std::string member = data::encode_npy(Tensor(DType::kFloat, Shape{2, 2}));
  std::string zip = test::zip_bytes({{"x\n.npy", member}}, true);
  // Patch the central directory's uncompressed size (offset 24 in the entry) to 3 GB.
  size_t cd = zip.rfind(std::string("PK\x01\x02", 4));
  uint32_t claim = 3000000000u;
  std::memcpy(&zip[cd + 24], &claim, 4);
  test::write_bytes(dir / "bomb.npz", zip);
  require_refused(dir / "bomb.npz", "x\\n.npy: claims 3000000000 bytes", [&] { data::open_dataset(dir / "bomb.npz"); });
}

TEST_CASE("byte sources check lengths before allocating", "[data][hostile]") {
  auto src = data::memory_source("abc", "mem.bin");
  require_refused("mem.bin", "truncated", [&] { src->read_string(1, size_t{1} << 40); });
  require_refused("mem.bin", "truncated", [&] { src->read_string(9, 1); });
}

TEST_CASE("tensor protos: claimed sizes are checked before allocating", "[data][hostile]") {
  test::TempDir dir;
  onnx::TensorProto p;
  p.set_name("x");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(int64_t{1} << 31);
  p.set_raw_data(std::string(4, '\0'));
  std::string bytes;
  p.SerializeToString(&bytes);
  test::write_bytes(dir / "x.pb", bytes);
  require_refused(dir / "x.pb", "raw_data has 4 bytes", [&] { read_tensor_pb(dir / "x.pb"); });
  p.clear_raw_data();
  p.add_float_data(1.f);
  require_refused("'x'", "has 1 values but dims need 2147483648", [&] { tensor_from_proto(p, {}, "tensor 'x'"); });
  p.clear_float_data();
  p.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = p.add_external_data();
  kv->set_key("location");
  kv->set_value("x.pb");
  require_refused("'x'", "is too short", [&] { tensor_from_proto(p, dir.path(), "tensor 'x'"); });
  onnx::TensorProto o;
  o.set_data_type(onnx::TensorProto::FLOAT);
  o.add_dims(int64_t{1} << 40);
  o.add_dims(int64_t{1} << 40);
  require_refused("'o'", "dims overflow int64", [&] { tensor_from_proto(o, {}, "tensor 'o'"); });
}

TEST_CASE("images of empty, negative or implausible size are refused", "[data][hostile]") {
  test::TempDir dir;
  auto image_dir = [&](const std::string& name, const std::string& bytes) {
    fs::create_directories(dir / name / "a");
    test::write_bytes(dir / name / "a" / "img.pgm", bytes);
    return dir / name;
  };
  data::DataOptions fit;  // as compressor eval fits images to a 1x4x4 model input
  fit.channels = 1;
  fit.pre.resize_h = fit.pre.resize_w = 4;
  struct Case {
    std::string name, bytes, text;
  };
  const std::string pixels(64, '\x10');
  for (const auto& c : {Case{"zero", "P5\n0 0\n255\n", "size 0x0"},
                        Case{"zero-width", "P6\n0 4\n255\n" + pixels, "size 0x4"},
                        Case{"negative", "P5\n-4 4\n255\n" + pixels, "width is not a number"},
                        Case{"overflow", "P5\n4294967295 4\n255\n" + pixels, "width is not a number"},
                        Case{"maxval", "P5\n4 4\n0\n" + pixels, "maxval 0"},
                        Case{"truncated", "P5\n40000 40000\n255\n" + pixels, "truncated image data"}}) {
    INFO(c.name);
    fs::path root = image_dir(c.name, c.bytes);
    require_refused(root / "a" / "img.pgm", c.text, [&] { data::open_dataset(root, fit)->read(0); });
  }
  // The first image is fine, the second is empty: the error comes from read() and names it.
  fs::path mixed = image_dir("mixed", "P5\n4 4\n255\n" + std::string(16, '\x10'));
  test::write_bytes(mixed / "a" / "zz.pgm", "P5\n0 0\n255\n");
  auto d = data::open_dataset(mixed, fit);
  REQUIRE(d->read(0)[0].numel() == 16);
  require_refused(mixed / "a" / "zz.pgm", "size 0x0", [&] { d->read(1); });
  // A comment in the header is fine.
  fs::path comment = image_dir("comment", "P5\n# made by hand\n4 4\n255\n" + std::string(16, '\x10'));
  REQUIRE(data::open_dataset(comment, fit)->read(0)[0].numel() == 16);
}

TEST_CASE("a small image file that decodes to a huge image is refused", "[data][hostile]") {
  test::TempDir dir;
  std::string jpg;
  std::string gray(64, '\x80');
  stbi_write_jpg_to_func([](void* ctx, void* data, int n) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), static_cast<size_t>(n)); },
                         &jpg, 8, 8, 1, gray.data(), 90);
  size_t sof = jpg.find("\xff\xc0");
  REQUIRE(sof != std::string::npos);
  jpg[sof + 5] = jpg[sof + 7] = static_cast<char>(20000 >> 8);  // 20000x20000
  jpg[sof + 6] = jpg[sof + 8] = static_cast<char>(20000 & 0xff);
  test::write_bytes(dir / "bomb.jpg", jpg);
  require_refused(dir / "bomb.jpg", "decompression bomb", [&] { data::load_image(dir / "bomb.jpg", 3); });
  // An ordinary image well under the floor decodes.
  test::write_png(dir / "ok.png", 300, 200, 1, 2, 3);
  REQUIRE(data::load_image(dir / "ok.png", 3).pixels.size() == 300u * 200u * 3u);
  data::Image empty;
  REQUIRE_THROWS_WITH(data::resize_bilinear(empty, 4, 4), Catch::Contains("cannot resize a 0x0"));
}
