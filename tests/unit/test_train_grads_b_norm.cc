// Backward kernels of lib/train, part B: LayerNormalization, BatchNormalization (frozen
// statistics and training mode), Cast and the variadic Sum/Mean/Max/Min, against central
// finite differences.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernel_test_util.h"
#include "train_grad_b_util.h"
#include "train_grad_check.h"

using namespace edge;
using edge::test::check_node_gradients;
using edge::test::NodeGradCase;
using edge::test::random_tensor;
using edge::test::add_float_attr;
using edge::test::distinct_tensors;
using edge::test::ints;
using edge::test::ints1;

TEST_CASE("grad B: LayerNormalization on every axis, with and without B", "[train]") {
  for (int64_t axis : {-1, 1, 0, -2}) {
    const auto a = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
    const Shape x{2, 3, 4};
    const Shape norm(x.begin() + static_cast<std::ptrdiff_t>(a), x.end());
    NodeGradCase c("LayerNormalization", 17, "",
                   {random_tensor(x, 220, -2.f, 2.f), random_tensor(norm, 221, 0.5f, 1.5f), random_tensor(norm, 222)});
    c.attrs = [axis](onnx::NodeProto& n) {
      test::add_int_attr(n, "axis", axis);
      add_float_attr(n, "epsilon", 1e-3f);
    };
    INFO("axis " << axis);
    check_node_gradients(c);
    c.inputs.pop_back();
    check_node_gradients(c);
  }
  // Scale broadcast over the normalized dims ([4] against X.shape[1:] = [3, 4]).
  NodeGradCase b("LayerNormalization", 17, "", {random_tensor({2, 3, 4}, 223), random_tensor({4}, 224)});
  b.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "axis", 1); };
  check_node_gradients(b);
}

TEST_CASE("grad B: LayerNormalization's Mean and InvStdDev outputs carry no gradient", "[train]") {
  NodeGradCase c("LayerNormalization", 17, "",
                 {random_tensor({3, 5}, 225), random_tensor({5}, 226), random_tensor({5}, 227)}, 3);
  Model m = test::node_model(c);
  auto* g = m.proto().mutable_graph();
  g->mutable_output()->DeleteSubrange(1, 2);  // Mean and InvStdDev are computed but not used
  test::check_model_gradients(m, {"x0", "x1", "x2"}, {});
}

namespace {

NodeGradCase batch_norm_case(int opset, const Shape& x, uint64_t seed) {
  const Shape c{x[1]};
  NodeGradCase bn("BatchNormalization", opset, "",
                  {random_tensor(x, seed, -2.f, 2.f), random_tensor(c, seed + 1, 0.5f, 1.5f), random_tensor(c, seed + 2),
                   random_tensor(c, seed + 3), random_tensor(c, seed + 4, 0.5f, 2.f)});
  bn.attrs = [](onnx::NodeProto& n) { add_float_attr(n, "epsilon", 1e-3f); };
  bn.check = {0, 1, 2};  // running mean and variance are statistics, not parameters
  return bn;
}

}  // namespace

TEST_CASE("grad B: BatchNormalization with frozen statistics", "[train]") {
  check_node_gradients(batch_norm_case(15, {2, 3, 4, 4}, 230));
  check_node_gradients(batch_norm_case(15, {4, 2}, 236));
  check_node_gradients(batch_norm_case(9, {2, 3, 5}, 237));
}

TEST_CASE("grad B: BatchNormalization with per-element parameters (opset 7, spatial = 0)", "[train]") {
  for (bool training : {false, true}) {
    const Shape p{3, 4};
    NodeGradCase bn("BatchNormalization", 7, "",
                    {random_tensor({2, 3, 4}, 238, -2.f, 2.f), random_tensor(p, 239, 0.5f, 1.5f), random_tensor(p, 240),
                     random_tensor(p, 241), random_tensor(p, 242, 0.5f, 2.f)});
    bn.attrs = [](onnx::NodeProto& n) {
      add_float_attr(n, "epsilon", 1e-3f);
      test::add_int_attr(n, "spatial", 0);
    };
    bn.check = {0, 1, 2};
    bn.options.bn_training = training;
    INFO("bn_training " << training);
    check_node_gradients(bn);
  }
}

TEST_CASE("grad B: BatchNormalization in training mode goes through the batch statistics", "[train]") {
  // TrainGraphOptions::bn_training: the training forward (batch statistics) and its backward.
  for (const Shape& x : {Shape{2, 3, 4, 4}, Shape{5, 2}, Shape{3, 2, 5}}) {
    NodeGradCase c = batch_norm_case(15, x, 240);
    c.options.bn_training = true;
    check_node_gradients(c);
  }
  // A node that asks for training mode itself (opset 15 training_mode = 1, running stats
  // outputs declared): the runtime's kernel normalizes with batch statistics, so must the
  // backward, with or without bn_training.
  for (bool bn_training : {false, true}) {
    NodeGradCase c = batch_norm_case(15, {3, 2, 4}, 250);
    c.attrs = [](onnx::NodeProto& n) {
      add_float_attr(n, "epsilon", 1e-3f);
      test::add_int_attr(n, "training_mode", 1);
    };
    c.options.bn_training = bn_training;
    c.outputs = 3;
    Model m = test::node_model(c);
    m.proto().mutable_graph()->mutable_output()->DeleteSubrange(1, 2);
    INFO("bn_training " << bn_training);
    test::check_model_gradients(m, {"x0", "x1", "x2"}, {}, c.options);
  }
}

TEST_CASE("grad B: BatchNormalization training forward matches the batch statistics", "[train]") {
  // The same node with training_mode = 1 run by the runtime is the oracle for the forward.
  NodeGradCase c = batch_norm_case(15, {3, 2, 4}, 260);
  c.outputs = 3;
  train::TrainGraphOptions on;
  on.bn_training = true;
  const Model frozen = test::node_model(c);
  train::TrainGraph tg(frozen, {"x1"}, on);
  train::Tape tape;
  tg.forward({}, tape);
  c.attrs = [](onnx::NodeProto& n) {
    add_float_attr(n, "epsilon", 1e-3f);
    test::add_int_attr(n, "training_mode", 1);
  };
  const Model oracle_model = test::node_model(c);
  train::TrainGraph oracle(oracle_model, {});
  train::Tape ot;
  oracle.forward({}, ot);
  for (const char* y : {"y0", "y1", "y2"}) {
    const Tensor& a = tg.value(tape, y);
    const Tensor& b = oracle.value(ot, y);
    REQUIRE(a.shape() == b.shape());
    for (int64_t i = 0; i < a.numel(); ++i) CHECK(a.data<float>()[i] == Approx(b.data<float>()[i]).margin(1e-5));
  }
}

TEST_CASE("grad B: Cast to float passes the gradient, to an integer stops it", "[train]") {
  // x -> Cast(double) -> Cast(float) -> y0 and x -> Cast(int32) -> Cast(float) -> y1; values
  // are kept 0.1 from integers so that the integer cast is flat under the difference step.
  Tensor x = random_tensor({3, 4}, 270, -3.f, 3.f);
  for (int64_t i = 0; i < x.numel(); ++i) {
    float& v = x.data<float>()[i];
    const float f = v - std::floor(v);
    if (f < 0.1f || f > 0.9f) v = std::floor(v) + 0.5f;
  }
  onnx::ModelProto mp;
  mp.set_ir_version(8);
  mp.add_opset_import()->set_version(17);
  auto* g = mp.mutable_graph();
  g->set_name("casts");
  *g->add_initializer() = tensor_to_proto(x, "x");
  auto cast = [&](const std::string& in, const std::string& out, int64_t to) {
    auto* n = g->add_node();
    n->set_op_type("Cast");
    n->set_name(out);
    n->add_input(in);
    n->add_output(out);
    test::add_int_attr(*n, "to", to);
  };
  cast("x", "d", onnx::TensorProto::DOUBLE);
  cast("d", "y0", onnx::TensorProto::FLOAT);
  cast("x", "i", onnx::TensorProto::INT32);
  cast("i", "y1", onnx::TensorProto::FLOAT);
  g->add_output()->set_name("y0");
  g->add_output()->set_name("y1");
  test::check_model_gradients(Model(std::move(mp)), {"x"}, {});
}

TEST_CASE("grad B: Sum, Mean, Max, Min with broadcasting", "[train]") {
  for (const char* op : {"Sum", "Mean"}) {
    check_node_gradients(NodeGradCase(op, 13, "", {random_tensor({2, 3}, 280), random_tensor({3}, 281),
                                                    random_tensor({2, 1}, 282)}));
    check_node_gradients(NodeGradCase(op, 13, "", {random_tensor({4}, 283)}));
  }
  const auto t = distinct_tensors({{2, 3}, {3}, {2, 1}}, 284);
  for (const char* op : {"Max", "Min"}) {
    INFO(op);
    check_node_gradients(NodeGradCase(op, 13, "", {t[0], t[1], t[2]}));
    check_node_gradients(NodeGradCase(op, 13, "", {t[1], t[0]}));
  }
}
