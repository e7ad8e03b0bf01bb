// Writes the hostile-input corpus: one malformed or malicious file per case.
//   make_hostile_corpus HOSTILE_DIR      (tests/hostile)
// writes HOSTILE_DIR/models/*.onnx, the generated HOSTILE_DIR/inputs/* (tensor files fed to
// edge-run run) and HOSTILE_DIR/data/* (datasets for compressor eval). The expected errors
// are listed in tests/hostile/cases.txt and tests/hostile/data-cases.txt.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

// The JPEG writer is compiled in here (header-only), so the tool links edge_ir alone.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include "ir/model.h"
#include "ir/zstd_container.h"
#include "onnx/defs/parser.h"

namespace fs = std::filesystem;

namespace {
fs::path g_out;

onnx::ModelProto parse(const std::string& text) {
  onnx::ModelProto p;
  auto st = onnx::OnnxParser::Parse(p, text.c_str());
  if (!st.IsOK()) {
    std::cerr << "bad template: " << st.ErrorMessage() << "\n";
    std::exit(3);
  }
  return p;
}

void write(const std::string& name, const std::string& bytes) {
  fs::create_directories((g_out / name).parent_path());
  std::ofstream(g_out / name, std::ios::binary) << bytes;
}

void write(const std::string& name, const onnx::ModelProto& p) {
  std::string bytes;
  p.SerializeToString(&bytes);
  write(name, bytes);
}

const char* kBase = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 4] x) => (float[1, 4] y) <float[4] b = {1.0, 2.0, 3.0, 4.0}> { t = Add(x, b)  y = Relu(t) })";

onnx::ModelProto base() { return parse(kBase); }

void external(const std::string& name, const std::string& location) {
  auto p = base();
  auto* b = p.mutable_graph()->mutable_initializer(0);
  b->clear_float_data();
  b->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = b->add_external_data();
  kv->set_key("location");
  kv->set_value(location);
  write(name, p);
}

// Models whose initializer claims 2^31 floats (8 GiB) while the file holds 4 bytes or one
// value: refused before anything of that size is allocated.
void write_size_claims() {
  const char* kMatMul = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 4] x) => (float[1, 536870912] y) <float[4, 1] b = {1.0, 2.0, 3.0, 4.0}> { y = MatMul(x, b) })";
  auto claim = [&] {
    auto p = parse(kMatMul);
    auto* init = p.mutable_graph()->mutable_initializer(0);
    init->set_dims(1, 536870912);
    init->clear_float_data();
    return p;
  };
  auto raw = claim();
  raw.mutable_graph()->mutable_initializer(0)->set_raw_data(std::string(4, '\0'));
  write("huge-claim-raw.onnx", raw);
  auto values = claim();
  values.mutable_graph()->mutable_initializer(0)->add_float_data(1.f);
  write("huge-claim-values.onnx", values);
  auto ext = claim();
  auto* b = ext.mutable_graph()->mutable_initializer(0);
  b->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = b->add_external_data();
  kv->set_key("location");
  kv->set_value("good.onnx");  // exists in the model directory, 116 bytes
  write("huge-claim-external.onnx", ext);
}

// Sparse initializers that lie (indices out of range, more values than elements, a 2^31-element
// claim in a few bytes) and zstd containers that are cut short or claim gigabytes: refused
// before anything of the claimed size is allocated. A good sparse model and a good .zst model
// are written as fuzzing seeds.
void write_storage_cases() {
  auto sparse = [](int64_t dim, std::vector<float> values, std::vector<int64_t> indices) {
    auto p = base();
    auto* g = p.mutable_graph();
    g->clear_initializer();
    auto* sp = g->add_sparse_initializer();
    sp->add_dims(dim);
    auto* v = sp->mutable_values();
    v->set_name("b");
    v->set_data_type(onnx::TensorProto::FLOAT);
    v->add_dims(static_cast<int64_t>(values.size()));
    for (float f : values) v->add_float_data(f);
    auto* i = sp->mutable_indices();
    i->set_data_type(onnx::TensorProto::INT64);
    i->add_dims(static_cast<int64_t>(indices.size()));
    for (int64_t k : indices) i->add_int64_data(k);
    return p;
  };
  write("good-sparse.onnx", sparse(4, {1.f, 3.f}, {0, 2}));
  write("sparse-index-out-of-range.onnx", sparse(4, {1.f}, {7}));
  write("sparse-unsorted-indices.onnx", sparse(4, {1.f, 2.f}, {2, 1}));
  write("sparse-more-values-than-elements.onnx", sparse(4, {1.f, 2.f, 3.f, 4.f, 5.f}, {0, 1, 2, 3, 4}));
  write("sparse-huge-claim.onnx", sparse(int64_t{1} << 31, {1.f}, {0}));
  // Just under 1 MB on disk (a 900 kB padding initializer) claiming 64 MiB of dense floats:
  // within the old 1024x bound, refused now (32x the file, at least 32 MiB).
  auto near_mb = sparse(int64_t{16} << 20, {1.f}, {0});
  auto* pad = near_mb.mutable_graph()->add_initializer();
  pad->set_name("pad");
  pad->set_data_type(onnx::TensorProto::UINT8);
  pad->add_dims(900000);
  pad->set_raw_data(std::string(900000, '\x01'));
  write("sparse-claim-under-1mb.onnx", near_mb);
  std::string good;
  base().SerializeToString(&good);
  const std::string frame = edge::zstd_compress(good, 9, "good.onnx");
  write("good-zst.onnx", frame);
  write("zst-truncated.onnx", frame.substr(0, frame.size() / 2));
  // A frame whose header claims 2^40 bytes of content (single-segment, 8-byte size field).
  std::string bomb("\x28\xb5\x2f\xfd", 4);
  bomb.push_back(static_cast<char>(0xE0));  // FCS field 8 bytes, single segment
  for (int k = 0; k < 8; ++k) bomb.push_back(static_cast<char>(k == 5 ? 1 : 0));
  bomb += std::string("\x01\x00\x00", 3);  // one last raw block of 0 bytes
  write("zst-huge-claim.onnx", bomb);
}

// Names that are not valid UTF-8 (JSON output must still be valid) and a node name with a
// newline, CR and an escape sequence (the error must stay one line).
void write_hostile_names() {
  auto names = base();
  names.set_producer_name("prod\xff\xfe" "ucer");
  names.set_producer_version("1.\xc3");
  names.mutable_graph()->set_name("graph\xe2\x28\xa1");
  names.mutable_graph()->mutable_node(0)->set_name("add\xff");
  names.mutable_graph()->mutable_node(1)->set_name("relu\xc0\xaf");
  write("invalid-utf8-names.onnx", names);
  auto newline = base();
  newline.mutable_graph()->mutable_node(1)->set_name("evil\nname\r\x1b[31m");
  newline.mutable_graph()->mutable_node(1)->set_op_type("Frobnicate");
  write("newline-node-name.onnx", newline);
}

// A .npy file with the given header dict and payload (version 1.0, padded as numpy does).
std::string npy(std::string header, const std::string& payload) {
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + payload;
}

// Tensor files for `edge-run run --input` (the hand-written x-*.npy cases sit next to them).
void write_inputs() {
  onnx::TensorProto pb;
  pb.set_name("x");
  pb.set_data_type(onnx::TensorProto::FLOAT);
  pb.add_dims(int64_t{1} << 31);
  pb.set_raw_data(std::string(4, '\0'));
  std::string bytes;
  pb.SerializeToString(&bytes);
  write("huge-claim.pb", bytes);
  const std::string four_floats(16, '\0');
  write("huge-claim.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648,), }", std::string(4, '\0')));
  write("overflow-shape.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }", ""));
  write("fortran-order.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 4), }", four_floats));
  write("extra-key.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), 'evil': 1, }", four_floats));
  write("control-bytes.npy", npy("{'descr': '<f\n4\r\xff\x1b', 'fortran_order': False, 'shape': (1, 4), }", four_floats));
}

// An 8x8 gray JPEG whose frame header is patched to claim `w`x`h`: a few hundred bytes
// that stb would decode (padding the missing data) into w*h bytes.
std::string jpeg_claiming(int w, int h) {
  std::string out;
  std::string pixels(64, '\x80');
  stbi_write_jpg_to_func([](void* ctx, void* data, int n) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), static_cast<size_t>(n)); },
                         &out, 8, 8, 1, pixels.data(), 90);
  size_t sof = out.find("\xff\xc0");
  if (sof == std::string::npos) {
    std::cerr << "no SOF0 marker in the JPEG\n";
    std::exit(3);
  }
  out[sof + 5] = static_cast<char>(h >> 8);
  out[sof + 6] = static_cast<char>(h & 0xff);
  out[sof + 7] = static_cast<char>(w >> 8);
  out[sof + 8] = static_cast<char>(w & 0xff);
  return out;
}

// Datasets for `compressor eval image-1x4x4.onnx --data ...` and friends.
void write_datasets() {
  const std::string good_pgm = "P5\n4 4\n255\n" + std::string(16, '\x7f');
  write("images-zero/a/zero.pgm", "P5\n0 0\n255\n");
  write("images-negative/a/negative.pgm", "P5\n-4 4\n255\n" + std::string(16, '\x7f'));
  write("images-overflow/a/overflow.ppm", "P6\n4294967295 4\n255\n" + std::string(48, '\x7f'));
  write("images-huge-pgm/a/huge.pgm", "P5\n40000 40000\n255\n" + std::string(16, '\x7f'));
  write("images-good/a/good.pgm", good_pgm);
  write("images-second-empty/a/1-good.pgm", good_pgm);
  write("images-second-empty/a/2-empty.pgm", "P6\n0 4\n255\n");
  write("images-jpeg-bomb/a/bomb.jpg", jpeg_claiming(30000, 30000));
  // idx: rank 3, every dim 2^32-1: one sample is 2^64 bytes.
  write("overflow-idx3-ubyte", std::string("\0\0\x08\x03", 4) + std::string(12, '\xff'));
  // idx labels: 2^32-1 claimed, 2 present.
  write("huge-labels-idx1-ubyte", std::string("\0\0\x08\x01", 4) + std::string(4, '\xff') + "\x01\x02");
  write("huge-claim.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 40000, 40000), }", std::string(16, '\0')));
  write("extra-key.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 4, 4), 'evil': 1, }", std::string(16, '\0')));
  auto image_model = parse(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 1, 4, 4] x) => (float[1, 16] y) { y = Flatten(x) })");
  g_out = g_out.parent_path() / "models";
  write("image-1x4x4.onnx", image_model);
}
}  // namespace

// Models that crashed ONNX 1.12's shape inference (fuzzing): refused by our schema validation and
// the rank/axis guards in front of ONNX's inference functions (lib/ir/safe_infer.h).
void write_guard_cases() {
  write("layernorm-rank0.onnx", parse(R"(
<ir_version: 8, opset_import: ["" : 17]>
g (float x, float[5] w) => (float y) { y, mean = LayerNormalization(x, w) })"));
  // Rank 0 known only after ONNX inferred the ReduceMax before the Softmax.
  write("softmax-rank0-inferred.onnx", parse(R"(
<ir_version: 8, opset_import: ["" : 17]>
g (float[3] x) => (float y) { s = ReduceMax <keepdims = 0> (x)  y = Softmax(s) })"));
  write("transpose-bad-perm.onnx", parse(R"(
<ir_version: 8, opset_import: ["" : 17]>
g (float[2, 3] x) => (float[3, 2] y) { y = Transpose <perm = [1, 1]> (x) })"));
  write("attribute-wrong-type.onnx", parse(R"(
<ir_version: 8, opset_import: ["" : 17]>
g (float[2, 3] x) => (float[2, 3] y) { y = Softmax <axis = 1.5> (x) })"));
  auto empty_input = parse(R"(
<ir_version: 8, opset_import: ["" : 17]>
g (float[2, 2] a, float[2, 2] b) => (float[2, 2] y) { y = Gemm(a, b) })");
  empty_input.mutable_graph()->mutable_node(0)->set_input(1, "");
  write("required-input-empty.onnx", empty_input);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_hostile_corpus HOSTILE_DIR\n";
    return 2;
  }
  const fs::path root = argv[1];
  g_out = root / "models";
  fs::create_directories(g_out);
  std::string good;
  base().SerializeToString(&good);
  write("good.onnx", good);
  write("truncated.onnx", good.substr(0, good.size() * 2 / 3));
  write("empty.onnx", "");
  write("corrupt.onnx", std::string("\x0a\xff\xff\xff\xff\x0f\x01\x02garbage-not-protobuf", 28));
  write_storage_cases();

  auto cyclic = base();
  cyclic.mutable_graph()->mutable_node(0)->set_input(0, "y");  // t = Add(y, b); y = Relu(t)
  write("cyclic.onnx", cyclic);

  auto undefined = base();
  undefined.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");
  write("undefined-input.onnx", undefined);

  auto dup = base();
  dup.mutable_graph()->mutable_node(0)->set_output(0, "y");
  dup.mutable_graph()->mutable_node(1)->set_input(0, "x");
  write("duplicate-output.onnx", dup);

  auto huge = base();
  for (auto* v : {huge.mutable_graph()->mutable_input(0), huge.mutable_graph()->mutable_output(0)}) {
    auto* s = v->mutable_type()->mutable_tensor_type()->mutable_shape();
    s->mutable_dim(0)->set_dim_value(int64_t{1} << 31);
    s->mutable_dim(1)->set_dim_value(int64_t{1} << 31);
  }
  huge.mutable_graph()->mutable_initializer(0)->clear_dims();
  huge.mutable_graph()->mutable_initializer(0)->add_dims(1);
  huge.mutable_graph()->mutable_initializer(0)->clear_float_data();
  huge.mutable_graph()->mutable_initializer(0)->add_float_data(1.f);
  write("huge-input-dims.onnx", huge);

  auto neg = base();
  neg.mutable_graph()->mutable_initializer(0)->set_dims(0, -4);
  write("negative-dims.onnx", neg);

  auto overflow = base();
  auto* ob = overflow.mutable_graph()->mutable_initializer(0);
  ob->clear_dims();
  ob->add_dims(int64_t{1} << 40);
  ob->add_dims(int64_t{1} << 40);
  write("overflow-dims.onnx", overflow);

  auto mismatch = base();
  mismatch.mutable_graph()->mutable_initializer(0)->add_float_data(5.f);  // 5 values for dims [4]
  write("initializer-size-mismatch.onnx", mismatch);

  auto raw_mismatch = base();
  auto* rb = raw_mismatch.mutable_graph()->mutable_initializer(0);
  rb->clear_float_data();
  rb->set_raw_data(std::string(10, '\0'));
  write("raw-data-size-mismatch.onnx", raw_mismatch);

  auto wrong_type = base();
  wrong_type.mutable_graph()->mutable_initializer(0)->set_data_type(onnx::TensorProto::INT64);
  wrong_type.mutable_graph()->mutable_initializer(0)->clear_float_data();
  for (int i = 0; i < 4; ++i) wrong_type.mutable_graph()->mutable_initializer(0)->add_int64_data(i);
  write("mixed-dtypes.onnx", wrong_type);

  auto bad_type = base();
  bad_type.mutable_graph()->mutable_initializer(0)->set_data_type(99);
  write("unknown-dtype.onnx", bad_type);

  external("external-dotdot.onnx", "../outside.bin");
  external("external-absolute.onnx", "/etc/hostname");
  external("external-missing.onnx", "missing-weights.bin");
  external("external-symlink.onnx", "escape-link.bin");

  auto newer = base();
  newer.mutable_opset_import(0)->set_version(99);
  write("opset-too-new.onnx", newer);

  auto twice = base();  // the structure-aware CLI fuzzing found that one version was used here, another there
  auto* again = twice.add_opset_import();
  again->set_domain("ai.onnx");
  again->set_version(10);
  write("duplicate-opset-import.onnx", twice);

  auto unknown = base();
  unknown.mutable_graph()->mutable_node(1)->set_op_type("Frobnicate");
  write("unknown-op.onnx", unknown);

  auto custom = base();
  custom.mutable_graph()->mutable_node(1)->set_domain("com.acme");
  auto* imp = custom.add_opset_import();
  imp->set_domain("com.acme");
  imp->set_version(1);
  write("unknown-domain.onnx", custom);

  // Shape of an op ONNX cannot type: ONNX 1.12's data propagation dereferenced the missing
  // input type (segfault during shape inference, at any opset).
  write("custom-op-shape.onnx", parse(R"(
<ir_version: 8, opset_import: ["" : 17, "com.acme" : 1]>
g (float[1, 4] x) => (float[1, 4] y) { a = com.acme.Foo(x)  s = Shape(a)  y = Reshape(x, s) })"));
  // Opset 18: an op ONNX 1.12 does not know, validated against our own op table.
  write("opset18-missing-attribute.onnx", parse(R"(
<ir_version: 8, opset_import: ["" : 18]>
g (float[1, 4, 2] x) => (float[1, 4, 2] y) <float[2] s = {1.0, 1.0}> { y = GroupNormalization(x, s, s) })"));

  // If nested 20 deep: above the subgraph depth limit (16).
  std::string nested = "y = Relu(x)";
  for (int i = 0; i < 20; ++i) {
    nested = "y = If(c) <then_branch = g" + std::to_string(i) + "a () => (float[1, 4] y) { " + nested +
             " }, else_branch = g" + std::to_string(i) + "b () => (float[1, 4] y) { y = Relu(x) }>";
  }
  write("deep-subgraphs.onnx",
        parse("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[1, 4] x, bool c) => (float[1, 4] y) { " + nested + " }"));
  write_size_claims();
  write_guard_cases();
  write_hostile_names();
  g_out = root / "inputs";
  write_inputs();
  g_out = root / "data";
  write_datasets();
  std::cout << "corpus written to " << root << "\n";
  return 0;
}
