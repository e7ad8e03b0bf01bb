#include <catch2/catch.hpp>
#include <set>

#include "data/batcher.h"
#include "data/dataset.h"
#include "data/npy.h"
#include "data_test_util.h"
#include "ir/tensor_proto.h"
#include "ir/text_format.h"

using namespace edge;
namespace fs = std::filesystem;

namespace {
std::vector<float> iota_f(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}
std::string u8_payload(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % 251));
  return s;
}
// `op` must accept the input's element type (Relu-13 takes float types only; loading checks it).
std::unique_ptr<rt::Session> session_for(const std::string& sig, const std::string& op = "Relu") {
  return rt::Session::create(
      parse_model_text("<ir_version: 8, opset_import: [\"\" : 13]>\ng " + sig + " { y = " + op + "(x) }"));
}
}  // namespace

TEST_CASE("npy dataset reads samples on demand", "[data]") {
  test::TempDir dir;
  data::write_npy(dir / "x.npy", Tensor::from_vector<float>({5, 2, 3}, iota_f(30)));
  auto d = data::open_dataset(dir / "x.npy");
  REQUIRE(d->format() == "npy");
  REQUIRE(d->size() == 5);
  REQUIRE(d->inputs().size() == 1);
  REQUIRE(d->inputs()[0].shape == Shape{2, 3});
  auto s = d->read(3);
  REQUIRE(s[0].to_float_vector() == std::vector<float>{18, 19, 20, 21, 22, 23});
  REQUIRE_THROWS_WITH(d->read(5), Catch::Contains("x.npy") && Catch::Contains("out of range"));
  // A truncated file is refused when opened, with the file named.
  std::string bytes = data::encode_npy(Tensor::from_vector<float>({5, 2, 3}, iota_f(30)));
  test::write_bytes(dir / "short.npy", bytes.substr(0, bytes.size() - 4));
  REQUIRE_THROWS_WITH(data::open_dataset(dir / "short.npy"), Catch::Contains("short.npy") && Catch::Contains("truncated"));
}

TEST_CASE("npz dataset with STORED and DEFLATE members", "[data]") {
  test::TempDir dir;
  std::string x = data::encode_npy(Tensor::from_vector<float>({4, 3}, iota_f(12)));
  std::string ids = data::encode_npy(Tensor::from_vector<int64_t>({4}, {7, 8, 9, 10}));
  for (bool deflate : {false, true}) {
    fs::path p = dir / (deflate ? "d.npz" : "s.npz");
    test::write_bytes(p, test::zip_bytes({{"x.npy", x}, {"ids.npy", ids}}, deflate));
    auto d = data::open_dataset(p);
    REQUIRE(d->format() == "npz");
    REQUIRE(d->size() == 4);
    REQUIRE(d->inputs().size() == 2);
    REQUIRE(d->inputs()[0].name == "x");
    REQUIRE(d->inputs()[1].name == "ids");
    REQUIRE(d->inputs()[1].shape == Shape{});
    auto s = d->read(2);
    REQUIRE(s[0].to_float_vector() == std::vector<float>{6, 7, 8});
    REQUIRE(s[1].get_int64(0) == 9);
  }
  std::string two = data::encode_npy(Tensor::from_vector<int64_t>({2}, {1, 2}));
  test::write_bytes(dir / "bad.npz", test::zip_bytes({{"x.npy", x}, {"y.npy", two}}, false));
  REQUIRE_THROWS_WITH(data::open_dataset(dir / "bad.npz"), Catch::Contains("bad.npz") && Catch::Contains("'y' has 2"));
  test::write_bytes(dir / "notzip.npz", "hello, this is not a zip archive at all");
  REQUIRE_THROWS_WITH(data::open_dataset(dir / "notzip.npz"), Catch::Contains("notzip.npz"));
}

TEST_CASE("idx and idx.gz datasets and labels", "[data]") {
  test::TempDir dir;
  std::string img = test::idx_bytes(0x08, {3, 2, 2}, u8_payload(12));
  test::write_bytes(dir / "images-idx3-ubyte", img);
  test::write_gzip(dir / "images-idx3-ubyte.gz", img);
  auto plain = data::open_dataset(dir / "images-idx3-ubyte");
  auto gz = data::open_dataset(dir / "images-idx3-ubyte.gz");
  for (auto* d : {plain.get(), gz.get()}) {
    REQUIRE(d->format() == "idx");
    REQUIRE(d->size() == 3);
    REQUIRE(d->inputs()[0].dtype == DType::kUint8);
    REQUIRE(d->inputs()[0].shape == Shape{2, 2});
  }
  // Random access on the gzip stream (backward seeks rewind) gives the same bytes.
  for (int64_t i : {2, 0, 1, 2}) REQUIRE(gz->read(i)[0].to_int64_vector() == plain->read(i)[0].to_int64_vector());
  REQUIRE(plain->read(1)[0].to_int64_vector() == std::vector<int64_t>{4, 5, 6, 7});
  // Big-endian int32 and float payloads.
  test::write_bytes(dir / "f.idx", test::idx_bytes(0x0D, {2}, std::string("\x3f\x80\x00\x00\xc0\x00\x00\x00", 8)));
  auto f = data::open_dataset(dir / "f.idx");
  REQUIRE(f->read(1)[0].get_double(0) == -2.0);
  test::write_gzip(dir / "labels-idx1-ubyte.gz", test::idx_bytes(0x08, {3}, std::string("\x01\x00\x02", 3)));
  data::Labels l = data::open_labels(dir / "labels-idx1-ubyte.gz");
  REQUIRE(l.values() == std::vector<int64_t>{1, 0, 2});
  data::check_labels(*plain, l);
  test::write_bytes(dir / "bad-idx", "\x01\x02\x03\x04");
  REQUIRE_THROWS_WITH(data::open_dataset(dir / "bad-idx"), Catch::Contains("bad-idx") && Catch::Contains("magic"));
  test::write_bytes(dir / "trunc-idx", img.substr(0, img.size() - 1));
  REQUIRE_THROWS_WITH(data::open_dataset(dir / "trunc-idx"), Catch::Contains("trunc-idx") && Catch::Contains("truncated"));
}

TEST_CASE("ONNX test_data_set folders", "[data]") {
  test::TempDir dir;
  for (int i : {0, 1, 2, 10}) {
    fs::path set = dir / ("test_data_set_" + std::to_string(i));
    fs::create_directories(set);
    write_tensor_pb(set / "input_0.pb", Tensor::from_vector<float>({1, 2}, {float(i), float(i) + 0.5f}), "x");
  }
  auto d = data::open_dataset(dir.path());
  REQUIRE(d->format() == "pb");
  REQUIRE(d->size() == 4);
  REQUIRE(d->inputs()[0].name == "x");
  REQUIRE(d->inputs()[0].shape == Shape{1, 2});
  REQUIRE(d->read(2)[0].to_float_vector() == std::vector<float>{2, 2.5f});   // natural order: 0, 1, 2, 10
  REQUIRE(d->read(3)[0].to_float_vector() == std::vector<float>{10, 10.5f});
  auto one = data::open_dataset(dir / "test_data_set_1");
  REQUIRE(one->size() == 1);
  write_tensor_pb(dir / "test_data_set_2" / "input_0.pb", Tensor::from_vector<float>({1, 3}, {1, 2, 3}), "x");
  REQUIRE_THROWS_WITH(d->read(2), Catch::Contains("test_data_set_2") && Catch::Contains("differs"));
}

TEST_CASE("image folders: classes from sub-folders, resize and layout", "[data]") {
  test::TempDir dir;
  fs::create_directories(dir / "cat");
  fs::create_directories(dir / "dog");
  test::write_png(dir / "cat" / "a.png", 4, 4, 10, 20, 30);
  test::write_png(dir / "cat" / "b.png", 4, 4, 40, 50, 60);
  test::write_png(dir / "dog" / "c.png", 6, 2, 200, 100, 0);
  data::DataOptions o;
  o.pre.resize_h = o.pre.resize_w = 2;
  auto d = data::open_dataset(dir.path(), o);
  REQUIRE(d->format() == "images");
  REQUIRE(d->size() == 3);
  REQUIRE(d->class_names() == std::vector<std::string>{"cat", "dog"});
  REQUIRE(d->embedded_labels()->values() == std::vector<int64_t>{0, 0, 1});
  REQUIRE(d->inputs()[0].shape == Shape{3, 2, 2});
  REQUIRE(d->read(2)[0].to_int64_vector() == std::vector<int64_t>{200, 200, 200, 200, 100, 100, 100, 100, 0, 0, 0, 0});
  o.pre.layout = data::Layout::kNHWC;
  o.channels = 1;
  auto gray = data::open_dataset(dir.path(), o);
  REQUIRE(gray->inputs()[0].shape == Shape{2, 2, 1});
  // Without --resize every image must have the first one's size.
  auto same = data::open_dataset(dir.path());
  REQUIRE(same->inputs()[0].shape == Shape{3, 4, 4});
  REQUIRE_THROWS_WITH(same->read(2), Catch::Contains("c.png") && Catch::Contains("--resize"));
  test::write_bytes(dir / "dog" / "broken.png", "not a png");
  auto broken = data::open_dataset(dir.path(), o);
  REQUIRE_THROWS_WITH(broken->read(2), Catch::Contains("broken.png"));
}

TEST_CASE("shuffling is deterministic for a seed; limit cuts the pass", "[data]") {
  test::TempDir dir;
  data::write_npy(dir / "x.npy", Tensor::from_vector<float>({20, 1}, iota_f(20)));
  auto d = data::open_dataset(dir / "x.npy");
  auto pass = [&] {
    std::vector<int64_t> all;
    for (auto idx = d->next_indices(3); !idx.empty(); idx = d->next_indices(3)) all.insert(all.end(), idx.begin(), idx.end());
    return all;
  };
  std::vector<int64_t> identity = pass();
  REQUIRE(identity.size() == 20);
  REQUIRE(identity[7] == 7);
  d->shuffle(42);
  auto a = pass();
  d->shuffle(42);
  auto b = pass();
  d->shuffle(43);
  auto c = pass();
  REQUIRE(a == b);
  REQUIRE(a != identity);
  REQUIRE(a != c);
  REQUIRE(std::set<int64_t>(a.begin(), a.end()).size() == 20);
  d->set_limit(5);
  auto first5 = pass();
  REQUIRE(first5 == std::vector<int64_t>(c.begin(), c.begin() + 5));  // the last shuffle (seed 43) holds
  d->reset();
  REQUIRE(d->read(first5[0])[0].get_double(0) == static_cast<double>(first5[0]));
}

TEST_CASE("label count mismatch names both files", "[data]") {
  test::TempDir dir;
  data::write_npy(dir / "x.npy", Tensor::from_vector<float>({5, 2}, iota_f(10)));
  data::write_npy(dir / "y.npy", Tensor::from_vector<int64_t>({4}, {0, 1, 0, 1}));
  auto d = data::open_dataset(dir / "x.npy");
  auto l = data::open_labels(dir / "y.npy");
  REQUIRE_THROWS_WITH(data::check_labels(*d, l),
                      Catch::Contains("y.npy has 4 labels") && Catch::Contains("x.npy has 5 samples"));
  data::write_npy(dir / "onehot.npy", Tensor::from_vector<float>({2, 3}, {0, 1, 0, 0, 0, 1}));
  REQUIRE(data::open_labels(dir / "onehot.npy").values() == std::vector<int64_t>{1, 2});
}

TEST_CASE("batcher fits samples to the model input", "[data]") {
  test::TempDir dir;
  test::write_bytes(dir / "x-idx3-ubyte", test::idx_bytes(0x08, {5, 2, 2}, std::string(20, '\xff')));
  data::DataOptions o;
  o.pre.scale = data::parse_scale("1/255", "--scale");
  o.pre.mean = {0.5f};
  o.pre.std = {0.5f};
  auto d = data::open_dataset(dir / "x-idx3-ubyte", o);
  // uint8 [2,2] samples feed float [N,1,2,2]: batch from --batch for a dynamic batch dim.
  auto dyn = session_for("(float[N, 1, 2, 2] x) => (float[N, 1, 2, 2] y)");
  data::Batcher b(*dyn, *d, 2);
  REQUIRE(b.batch_size() == 2);
  std::vector<int64_t> idx;
  rt::NamedTensors feeds;
  int runs = 0;
  while (b.next(*d, &idx, &feeds)) {
    ++runs;
    REQUIRE(feeds[0].second.shape() == Shape{static_cast<int64_t>(idx.size()), 1, 2, 2});
    REQUIRE(feeds[0].second.to_float_vector()[0] == Approx(1.0f));
  }
  REQUIRE(runs == 3);
  // A batch fixed to 1 is fed one sample at a time.
  auto one = session_for("(float[1, 1, 2, 2] x) => (float[1, 1, 2, 2] y)");
  REQUIRE(data::Batcher(*one, *d, 8).batch_size() == 1);
  // A fixed batch of 3 pads the last batch by repeating the last sample.
  auto three = session_for("(float[3, 2, 2] x) => (float[3, 2, 2] y)");
  data::Batcher b3(*three, *d, 1);
  d->reset();
  REQUIRE(b3.next(*d, &idx, &feeds));
  REQUIRE(b3.next(*d, &idx, &feeds));
  REQUIRE(idx.size() == 2);
  REQUIRE(feeds[0].second.shape() == Shape{3, 2, 2});
  // Wrong shape and wrong channel count are clear errors.
  auto wrong = session_for("(float[N, 1, 28, 28] x) => (float[N, 1, 28, 28] y)");
  REQUIRE_THROWS_WITH(data::Batcher(*wrong, *d, 1),
                      Catch::Contains("x-idx3-ubyte") && Catch::Contains("does not fit model input 'x'") && Catch::Contains("?x1x28x28"));
  data::DataOptions o3 = o;
  o3.pre.mean = {0.1f, 0.2f, 0.3f};
  auto d3 = data::open_dataset(dir / "x-idx3-ubyte", o3);
  REQUIRE_THROWS_WITH(data::Batcher(*dyn, *d3, 1), Catch::Contains("--mean has 3 values"));
  // Integer inputs take raw values and refuse preprocessing.
  auto ints = session_for("(uint8[N, 2, 2] x) => (uint8[N, 2, 2] y)", "Identity");
  REQUIRE_THROWS_WITH(data::Batcher(*ints, *d, 1), Catch::Contains("apply to float inputs"));
}

TEST_CASE("layout nhwc feeds channels-last samples to a channels-first model", "[data]") {
  test::TempDir dir;
  // Two HxWxC = 2x2x3 samples: value = 100*sample + 10*position + channel.
  std::string payload;
  for (int s = 0; s < 2; ++s)
    for (int p = 0; p < 4; ++p)
      for (int c = 0; c < 3; ++c) payload.push_back(static_cast<char>(100 * s + 10 * p + c));
  test::write_bytes(dir / "x-idx4-ubyte", test::idx_bytes(0x08, {2, 2, 2, 3}, payload));
  auto nchw_model = session_for("(float[N, 3, 2, 2] x) => (float[N, 3, 2, 2] y)");
  data::DataOptions o;
  auto as_stored = data::open_dataset(dir / "x-idx4-ubyte", o);
  REQUIRE_THROWS_WITH(data::Batcher(*nchw_model, *as_stored, 1),
                      Catch::Contains("does not fit") && Catch::Contains("pass --layout nhwc"));
  o.pre.layout = data::Layout::kNHWC;
  o.pre.mean = {0.f, 1.f, 2.f};  // per channel of the stored (last) axis
  auto d = data::open_dataset(dir / "x-idx4-ubyte", o);
  data::Batcher b(*nchw_model, *d, 2);
  std::vector<int64_t> idx;
  rt::NamedTensors feeds;
  REQUIRE(b.next(*d, &idx, &feeds));
  REQUIRE(feeds[0].second.shape() == Shape{2, 3, 2, 2});
  std::vector<float> v = feeds[0].second.to_float_vector();
  for (int s = 0; s < 2; ++s)
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 4; ++p) REQUIRE(v[static_cast<size_t>(s * 12 + c * 4 + p)] == float(100 * s + 10 * p + c - c));
  // A channels-last model takes the samples as stored.
  auto nhwc_model = session_for("(float[N, 2, 2, 3] x) => (float[N, 2, 2, 3] y)");
  data::Batcher same(*nhwc_model, *d, 1);
  d->reset();
  REQUIRE(same.next(*d, &idx, &feeds));
  REQUIRE(feeds[0].second.to_float_vector()[1] == 1.f - 1.f);
  REQUIRE(feeds[0].second.to_float_vector()[3] == 10.f);
}

TEST_CASE("format detection and unreadable paths", "[data]") {
  test::TempDir dir;
  REQUIRE_THROWS_WITH(data::open_dataset(dir / "missing.npy"), Catch::Contains("missing.npy") && Catch::Contains("no such"));
  test::write_bytes(dir / "x.csv", "1,2,3");
  REQUIRE_THROWS_WITH(data::open_dataset(dir / "x.csv"), Catch::Contains("x.csv") && Catch::Contains("unknown data format"));
  fs::create_directories(dir / "empty");
  REQUIRE_THROWS_WITH(data::open_dataset(dir / "empty"), Catch::Contains("empty") && Catch::Contains("no images"));
  REQUIRE(data::parse_resize("224x160", "--resize") == std::pair<int64_t, int64_t>{224, 160});
  REQUIRE_THROWS_WITH(data::parse_resize("0x3", "--resize"), Catch::Contains("--resize"));
  REQUIRE(data::parse_float_list("0.5,1/4", "--mean") == std::vector<float>{0.5f, 0.25f});
  REQUIRE_THROWS_WITH(data::parse_scale("abc", "--scale"), Catch::Contains("--scale 'abc'"));
  REQUIRE_THROWS_WITH(data::parse_layout("chw", "--layout"), Catch::Contains("nchw or nhwc"));
}
