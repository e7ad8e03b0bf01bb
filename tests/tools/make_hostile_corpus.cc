// Writes the hostile-input corpus (tests/hostile/): one malformed or malicious model per case.
//   make_hostile_corpus OUT_DIR
// The expected error of each case is listed in tests/hostile/cases.txt.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "ir/model.h"
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
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_hostile_corpus OUT_DIR\n";
    return 2;
  }
  g_out = argv[1];
  fs::create_directories(g_out);
  std::string good;
  base().SerializeToString(&good);
  write("good.onnx", good);
  write("truncated.onnx", good.substr(0, good.size() * 2 / 3));
  write("empty.onnx", "");
  write("corrupt.onnx", std::string("\x0a\xff\xff\xff\xff\x0f\x01\x02garbage-not-protobuf", 28));

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

  auto unknown = base();
  unknown.mutable_graph()->mutable_node(1)->set_op_type("Frobnicate");
  write("unknown-op.onnx", unknown);

  auto custom = base();
  custom.mutable_graph()->mutable_node(1)->set_domain("com.acme");
  auto* imp = custom.add_opset_import();
  imp->set_domain("com.acme");
  imp->set_version(1);
  write("unknown-domain.onnx", custom);

  // If nested 20 deep: above the subgraph depth limit (16).
  std::string nested = "y = Relu(x)";
  for (int i = 0; i < 20; ++i) {
    nested = "y = If(c) <then_branch = g" + std::to_string(i) + "a () => (float[1, 4] y) { " + nested +
             " }, else_branch = g" + std::to_string(i) + "b () => (float[1, 4] y) { y = Relu(x) }>";
  }
  write("deep-subgraphs.onnx",
        parse("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[1, 4] x, bool c) => (float[1, 4] y) { " + nested + " }"));
  std::cout << "corpus written to " << g_out << "\n";
  return 0;
}
