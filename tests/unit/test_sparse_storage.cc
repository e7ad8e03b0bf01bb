// Sparse initializers (sparse_storage.h): the stored-size rule, the round trip through
// save (sparse) and load (dense), coordinate indices, and hostile sparse tensors, each of
// which must fail with one error naming the model and tensor before anything large is
// allocated.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>

#include "ir/model.h"
#include "ir/sparse_storage.h"
#include "ir/tensor_proto.h"
#include "ir/text_format.h"
#include "runtime/session.h"
#include "test_util.h"

using namespace edge;
using edge::test::TempDir;

namespace {

// y = MatMul(x, w) + b with w [k, n] of which a `density` share is non-zero (seeded).
Model matmul_model(int64_t k, int64_t n, double density, uint32_t seed = 1, int ir_version = 8) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::string w, b;
  for (int64_t i = 0; i < k * n; ++i) {
    float v = u(rng) < density ? u(rng) * 2 - 1 : 0.f;
    w += (i ? ", " : "") + std::to_string(v);
  }
  for (int64_t i = 0; i < n; ++i) b += (i ? ", " : "") + std::to_string(0.01 * static_cast<double>(i));
  const std::string dims = std::to_string(k) + ", " + std::to_string(n);
  const std::string text = "<ir_version: " + std::to_string(ir_version) + ", opset_import: [\"\" : 13]>\n" +
                           "g (float[2, " + std::to_string(k) + "] x) => (float[2, " + std::to_string(n) + "] y)\n" +
                           "<float[" + dims + "] w = {" + w + "}, float[" + std::to_string(n) + "] b = {" + b + "}>\n" +
                           "{\n  t = MatMul(x, w)\n  y = Add(t, b)\n}\n";
  return parse_model_text(text);
}

onnx::ModelProto read_proto(const std::filesystem::path& p) {
  onnx::ModelProto m;
  REQUIRE(m.ParseFromString(test::read_bytes(p)));
  return m;
}

Tensor run_once(const Model& m) {
  auto s = rt::Session::create(m);
  Tensor x(DType::kFloat, {2, s->inputs()[0].shape[1]});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = std::sin(0.37f * static_cast<float>(i));
  return s->run({{"x", x}})[0].second;
}

onnx::TensorProto int64_tensor(const std::vector<int64_t>& v, const std::vector<int64_t>& dims) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8));
  return t;
}

onnx::SparseTensorProto sparse_floats(const std::vector<float>& values, const std::vector<int64_t>& indices,
                                      const std::vector<int64_t>& index_dims, const std::vector<int64_t>& dims) {
  onnx::SparseTensorProto s;
  for (int64_t d : dims) s.add_dims(d);
  auto* v = s.mutable_values();
  v->set_name("w");
  v->set_data_type(onnx::TensorProto::FLOAT);
  v->add_dims(static_cast<int64_t>(values.size()));
  v->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
  *s.mutable_indices() = int64_tensor(indices, index_dims);
  return s;
}

// The error to_dense throws (message and code).
Error dense_error(const onnx::SparseTensorProto& s) {
  try {
    to_dense(s, {}, "m.onnx: sparse initializer 'w'");
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error");
  return Error(ErrorCode::kOk, "");
}

}  // namespace

TEST_CASE("stored_size: sparse only where it is clearly smaller and large enough") {
  Model m = matmul_model(64, 32, 0.1);
  const StoredSize w = stored_size(m.graph().initializer(0));
  CHECK(w.dense_bytes == 64 * 32 * 4);
  CHECK(w.nonzeros > 100);
  CHECK(w.nonzeros < 320);
  CHECK(w.sparse);
  CHECK(w.stored_bytes == static_cast<uint64_t>(w.nonzeros) * 12);
  const StoredSize b = stored_size(m.graph().initializer(1));  // 32 elements: too small to matter
  CHECK_FALSE(b.sparse);
  CHECK(b.stored_bytes == b.dense_bytes);
  // 40 % non-zeros: sparse would take 4.8 bytes per element, more than dense.
  Model dense = matmul_model(64, 32, 0.4);
  CHECK_FALSE(stored_size(dense.graph().initializer(0)).sparse);
}

TEST_CASE("save writes sparse initializers and load makes them dense again with outputs unchanged") {
  TempDir dir;
  Model m = matmul_model(64, 32, 0.1);
  const std::string before = m.proto().SerializeAsString();
  const Tensor y0 = run_once(m);
  SaveOptions so;
  so.sparse_weights = true;
  const SavedModel info = save_model(m, dir / "s.onnx", so);
  save_model(m, dir / "d.onnx");
  CHECK(m.proto().SerializeAsString() == before);  // the model in memory is untouched
  CHECK(info.sparse_tensors == 1);
  const onnx::ModelProto stored = read_proto(dir / "s.onnx");
  REQUIRE(stored.graph().sparse_initializer_size() == 1);
  CHECK(stored.graph().sparse_initializer(0).values().name() == "w");
  CHECK(stored.graph().initializer_size() == 1);  // b stays dense
  CHECK(std::filesystem::file_size(dir / "s.onnx") < std::filesystem::file_size(dir / "d.onnx") / 2);
  CHECK(stored_model_size(m, true).stored_bytes == std::filesystem::file_size(dir / "s.onnx"));
  CHECK(stored_model_size(m, true).dense_bytes == std::filesystem::file_size(dir / "d.onnx"));

  Model back = load_model(dir / "s.onnx");
  CHECK(back.graph().sparse_initializer_size() == 0);
  const onnx::TensorProto* w = nullptr;
  for (const auto& i : back.graph().initializer()) {
    if (i.name() == "w") w = &i;
  }
  REQUIRE(w != nullptr);
  const Tensor dense = tensor_from_proto(*w, {}, "w");
  const Tensor orig = tensor_from_proto(m.graph().initializer(0), {}, "w");  // float_data in the text model
  REQUIRE(dense.nbytes() == 64 * 32 * 4);
  REQUIRE(orig.nbytes() == dense.nbytes());
  CHECK(std::memcmp(dense.raw(), orig.raw(), dense.nbytes()) == 0);
  const Tensor y1 = run_once(back);
  REQUIRE(y1.nbytes() == y0.nbytes());
  CHECK(std::memcmp(y1.raw(), y0.raw(), y0.nbytes()) == 0);
}

TEST_CASE("sparsify_initializers keeps the sparse form and raises IR below 6 to 6") {
  Model m = matmul_model(64, 32, 0.05, 3, 4);
  CHECK(sparsify_initializers(m) == 1);
  CHECK(m.graph().sparse_initializer_size() == 1);
  CHECK(m.proto().ir_version() == kSparseMinIrVersion);
  // A scope that is not kept restores the IR version too.
  Model k = matmul_model(64, 32, 0.05, 3, 4);
  { SparseStorageScope scope(k.proto()); CHECK(k.proto().ir_version() == 6); }
  CHECK(k.proto().ir_version() == 4);
  CHECK(k.graph().sparse_initializer_size() == 0);
  CHECK(k.graph().initializer(0).name() == "w");
}

TEST_CASE("IR 3 raised to 6: initializers listed as inputs leave the input list, so they stay constants") {
  // IR 3 lists every initializer as a graph input and means constants (mnist-8 is IR 3).
  auto ir3 = [] {
    Model m = matmul_model(64, 32, 0.05, 3, 4);  // (the text parser checks IR 3's listing rule)
    auto* g = m.proto().mutable_graph();
    for (const auto& t : std::vector<onnx::TensorProto>(g->initializer().begin(), g->initializer().end())) {
      g->add_input()->set_name(t.name());
    }
    m.proto().set_ir_version(3);
    return m;
  };
  Model m = ir3();
  REQUIRE(m.graph().input_size() == 3);
  {
    SparseStorageScope scope(m.proto());
    CHECK(m.proto().ir_version() == 6);
    REQUIRE(m.graph().input_size() == 1);
    CHECK(m.graph().input(0).name() == "x");
    CHECK(m.graph().sparse_initializer_size() == 1);
  }
  // Not kept: inputs, IR version and initializers as they were.
  CHECK(m.proto().ir_version() == 3);
  REQUIRE(m.graph().input_size() == 3);
  CHECK(m.graph().input(1).name() == "w");
  CHECK(m.graph().initializer_size() == 2);
  Model k = ir3();
  CHECK(sparsify_initializers(k) == 1);
  CHECK(k.graph().input_size() == 1);
  // The written form runs with the weights as constants (the cpu kernels take constants only).
  rt::SessionOptions so;
  so.profile = true;
  auto s = rt::Session::create(load_model_from_bytes(k.proto().SerializeAsString(), "k.onnx"), so);
  s->run({{"x", Tensor(DType::kFloat, {2, 64})}});
  CHECK(s->profile().at(0).kernel.rfind("cpu:gemm-sparse-csr", 0) == 0);
}

TEST_CASE("to_sparse / to_dense round-trip every storable type bit for bit (-0.0 included)") {
  for (DType dt : {DType::kFloat, DType::kFloat16, DType::kInt8, DType::kUint8, DType::kInt32}) {
    Tensor t(dt, {8, 40});
    auto* bytes = static_cast<uint8_t*>(t.raw());
    const size_t es = dtype_size(dt);
    for (int64_t i = 0; i < t.numel(); i += 7) bytes[static_cast<size_t>(i) * es + es - 1] = 0x80;  // -0.0 for floats
    const onnx::TensorProto p = tensor_to_proto(t, "w");
    const onnx::SparseTensorProto s = to_sparse(p);
    CHECK(s.values().dims(0) == (t.numel() + 6) / 7);
    const onnx::TensorProto d = to_dense(s, {}, "w");
    CHECK(d.raw_data() == p.raw_data());
    CHECK(d.data_type() == p.data_type());
  }
}

TEST_CASE("coordinate indices of shape NNZ x rank give the same dense tensor as linear ones") {
  const auto lin = sparse_floats({1, 2, 3}, {1, 5, 11}, {3}, {3, 4});
  const auto coo = sparse_floats({1, 2, 3}, {0, 1, 1, 1, 2, 3}, {3, 2}, {3, 4});
  const onnx::TensorProto a = to_dense(lin, {}, "lin");
  const onnx::TensorProto b = to_dense(coo, {}, "coo");
  CHECK(a.raw_data() == b.raw_data());
  std::vector<float> v(12);
  std::memcpy(v.data(), a.raw_data().data(), 48);
  CHECK(v == std::vector<float>{0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3});
}

TEST_CASE("hostile sparse tensors fail with one error naming the tensor") {
  const auto check = [](const onnx::SparseTensorProto& s, const std::string& what, ErrorCode code) {
    const Error e = dense_error(s);
    INFO(e.what());
    CHECK(std::string(e.what()).find("m.onnx: sparse initializer 'w'") == 0);
    CHECK(std::string(e.what()).find(what) != std::string::npos);
    CHECK(e.code() == code);
  };
  check(sparse_floats({1, 2, 3, 4, 5}, {0, 1, 2, 3, 4}, {5}, {2, 2}), "5 values but the dense shape 2x2 holds only 4",
        ErrorCode::kInvalidInput);
  check(sparse_floats({1, 2}, {1, 4}, {2}, {2, 2}), "index 4 (entry 1) is outside [0, 4)", ErrorCode::kInvalidInput);
  check(sparse_floats({1, 2}, {-1, 2}, {2}, {2, 2}), "index -1", ErrorCode::kInvalidInput);
  check(sparse_floats({1, 2}, {2, 1}, {2}, {2, 2}), "not strictly increasing (entry 1)", ErrorCode::kInvalidInput);
  check(sparse_floats({1, 2}, {2, 2}, {2}, {2, 2}), "not strictly increasing", ErrorCode::kInvalidInput);
  check(sparse_floats({1, 2}, {0, 1, 1, 2}, {2, 2}, {2, 2}), "coordinate 2 of entry 1", ErrorCode::kInvalidInput);
  check(sparse_floats({1, 2}, {0, 1, 1}, {3}, {2, 2}), "indices must have dims [2]", ErrorCode::kInvalidInput);
  check(sparse_floats({1}, {0}, {1}, {2, -2}), "negative dimension", ErrorCode::kInvalidInput);
  // A header claiming 2^40 floats: refused by size before any allocation.
  check(sparse_floats({1}, {0}, {1}, {1 << 20, 1 << 20}), "above the limit", ErrorCode::kResourceLimit);
  check(sparse_floats({1}, {0}, {1}, {int64_t{1} << 40, int64_t{1} << 40}), "overflow", ErrorCode::kResourceLimit);
  auto int32_idx = sparse_floats({1}, {0}, {1}, {4});
  int32_idx.mutable_indices()->set_data_type(onnx::TensorProto::INT32);
  check(int32_idx, "indices must be int64", ErrorCode::kInvalidInput);
  auto short_values = sparse_floats({1, 2}, {0, 1}, {2}, {4});
  short_values.mutable_values()->mutable_raw_data()->resize(4);  // 2 values declared, 1 present
  check(short_values, "raw_data has 4 bytes", ErrorCode::kInvalidInput);
  auto values_2d = sparse_floats({1, 2}, {0, 1}, {2}, {4});
  values_2d.mutable_values()->add_dims(1);
  check(values_2d, "values must be 1-D", ErrorCode::kInvalidInput);
  auto many_values = sparse_floats({1}, {0}, {1}, {4});
  many_values.mutable_values()->set_dims(0, int64_t{1} << 50);  // NNZ far above the dense size
  check(many_values, "values but the dense shape 4 holds only 4", ErrorCode::kInvalidInput);
}

TEST_CASE("load: sparse initializers in subgraphs and Constant sparse_value are densified and name clashes fail") {
  const char* kText = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[4] x) => (float[4] y)
{
  k = Constant<value = float[4] {0, 0, 0, 0}>()
  xk = Add(x, k)
  y = If(c) <then_branch = t () => (float[4] a) { a = Add(xk, tw) }, else_branch = e () => (float[4] b) { b = Identity(xk) }>
}
)";
  onnx::ModelProto proto = parse_model_text(kText, {false, false}).proto();
  auto* then_g = proto.mutable_graph()->mutable_node(2)->mutable_attribute(0)->mutable_g();
  if (then_g->name() != "t") then_g = proto.mutable_graph()->mutable_node(2)->mutable_attribute(1)->mutable_g();
  *then_g->add_sparse_initializer() = sparse_floats({5}, {2}, {1}, {4});
  then_g->mutable_sparse_initializer(0)->mutable_values()->set_name("tw");
  auto* attr = proto.mutable_graph()->mutable_node(0)->mutable_attribute(0);
  attr->clear_t();
  attr->set_name("sparse_value");
  attr->set_type(onnx::AttributeProto::SPARSE_TENSOR);
  *attr->mutable_sparse_tensor() = sparse_floats({7}, {0}, {1}, {4});
  Model m = load_model_from_bytes(proto.SerializeAsString(), "sub.onnx");
  auto s = rt::Session::create(m);
  Tensor x = Tensor::from_vector<float>({4}, {1, 1, 1, 1});
  auto y = s->run({{"c", Tensor::scalar<bool>(true)}, {"x", x}})[0].second;
  CHECK(std::vector<float>(y.data<float>(), y.data<float>() + 4) == std::vector<float>{8, 1, 6, 1});

  // A sparse initializer named like a dense one in the same graph.
  onnx::ModelProto clash = matmul_model(4, 4, 1.0).proto();
  *clash.mutable_graph()->add_sparse_initializer() = sparse_floats({1}, {0}, {1}, {4, 4});
  try {
    load_model_from_bytes(clash.SerializeAsString(), "clash.onnx");
    FAIL("loaded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "clash.onnx: sparse initializer 'w': another initializer has the same name");
  }
}

TEST_CASE("load: the sparse tensors of a model together stay within the tensor cap") {
  onnx::ModelProto proto = matmul_model(4, 4, 1.0).proto();
  for (const char* name : {"s1", "s2"}) {
    auto s = sparse_floats({1}, {0}, {1}, {1024, 1024});  // 4 MiB each when dense
    s.mutable_values()->set_name(name);
    *proto.mutable_graph()->add_sparse_initializer() = s;
  }
  const uint64_t cap = max_tensor_bytes();
  set_max_tensor_bytes(6 << 20);
  std::string msg;
  ErrorCode code = ErrorCode::kOk;
  try {
    load_model_from_bytes(proto.SerializeAsString(), "two.onnx");
  } catch (const Error& e) {
    msg = e.what();
    code = e.code();
  }
  set_max_tensor_bytes(cap);
  CHECK(code == ErrorCode::kResourceLimit);
  CHECK(msg.find("two.onnx: sparse initializer 's2': sparse tensors of this model expand to more than") == 0);
}

TEST_CASE("load: a small file cannot claim gigabytes through a sparse tensor within the tensor cap") {
  onnx::ModelProto proto = matmul_model(4, 4, 1.0).proto();
  auto s = sparse_floats({1}, {0}, {1}, {1 << 28});  // 1 GiB dense, far below the 16 GiB cap
  s.mutable_values()->set_name("big");
  *proto.mutable_graph()->add_sparse_initializer() = s;
  REQUIRE(max_tensor_bytes() >= (uint64_t{1} << 30));
  try {
    load_model_from_bytes(proto.SerializeAsString(), "bomb.onnx");
    FAIL("loaded");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kResourceLimit);
    CHECK(std::string(e.what()).find("bomb.onnx: sparse initializer 'big': sparse tensors of this model expand to "
                                     "more than 33554432 bytes (32x the file, at least 32 MiB") == 0);
  }
}

TEST_CASE("load: a very sparse model loads when the expansion factor is raised") {
  // 48 MiB dense from a file of a few hundred bytes: over the default 32 MiB floor, within
  // a raised factor only when the floor scales with it (here via a padded file of ~2 MB).
  onnx::ModelProto proto = matmul_model(4, 4, 1.0).proto();
  auto s = sparse_floats({1}, {0}, {1}, {12 << 20});  // 48 MiB dense, one non-zero
  s.mutable_values()->set_name("very_sparse");
  *proto.mutable_graph()->add_sparse_initializer() = s;
  auto* pad = proto.mutable_graph()->add_initializer();
  pad->set_name("pad");
  pad->set_data_type(onnx::TensorProto::UINT8);
  pad->add_dims(1 << 20);
  pad->set_raw_data(std::string(1 << 20, '\1'));
  const std::string bytes = proto.SerializeAsString();  // ~1 MiB: 32x is 32 MiB, too little
  CHECK_THROWS_WITH(load_model_from_bytes(bytes, "sparse.onnx", {false, false}),
                    Catch::Contains("--max-sparse-expansion"));
  set_sparse_max_expansion(64);
  CHECK_NOTHROW(load_model_from_bytes(bytes, "sparse.onnx", {false, false}));
  set_sparse_max_expansion(kSparseDefaultMaxExpansion);
}
