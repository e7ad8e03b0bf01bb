// Backward kernels of lib/train against finite differences, and the autodiff engine's
// handling of whole graphs (shared parameters, frozen parts, refused paths).
#include <catch2/catch.hpp>

#include "kernel_test_util.h"
#include "train_grad_check.h"

using namespace edge;
using edge::test::check_node_gradients;
using edge::test::NodeGradCase;
using edge::test::random_tensor;

TEST_CASE("grad: Add with broadcasting", "[train]") {
  check_node_gradients(NodeGradCase("Add", 17, "", {random_tensor({2, 3, 4}, 1), random_tensor({3, 1}, 2)}));
  check_node_gradients(NodeGradCase("Add", 17, "", {random_tensor({4}, 3), random_tensor({2, 3, 4}, 4)}));
  check_node_gradients(NodeGradCase("Add", 17, "", {random_tensor({}, 5), random_tensor({2, 2}, 6)}));
}

TEST_CASE("grad: Relu", "[train]") {
  // Values at least 0.05 from the kink so that central differences do not straddle it.
  Tensor x = random_tensor({3, 5}, 7);
  for (int64_t i = 0; i < x.numel(); ++i) {
    float& v = x.data<float>()[i];
    if (std::abs(v) < 0.05f) v = 0.3f;
  }
  check_node_gradients(NodeGradCase("Relu", 17, "", {x}));
}

TEST_CASE("grad: Gemm with every transpose, alpha, beta and a broadcast C", "[train]") {
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      const Shape a = ta ? Shape{4, 3} : Shape{3, 4};
      const Shape b = tb ? Shape{5, 4} : Shape{4, 5};
      NodeGradCase c("Gemm", 17, "", {random_tensor(a, 10 + ta), random_tensor(b, 20 + tb), random_tensor({5}, 30)});
      c.attrs = [ta, tb](onnx::NodeProto& n) {
        test::add_int_attr(n, "transA", ta);
        test::add_int_attr(n, "transB", tb);
        auto* al = n.add_attribute();
        al->set_name("alpha");
        al->set_type(onnx::AttributeProto::FLOAT);
        al->set_f(0.7f);
        auto* be = n.add_attribute();
        be->set_name("beta");
        be->set_type(onnx::AttributeProto::FLOAT);
        be->set_f(1.3f);
      };
      INFO("transA " << ta << " transB " << tb);
      check_node_gradients(c);
    }
  }
}

namespace {

// x[2x4] -> Gemm(W1, b1) -> Relu -> Add(shared b1 broadcast? no: h + r) -> Gemm(W2) -> y,
// with W1 used twice (two Gemms share it) to test gradient accumulation.
Model two_layer_model() {
  onnx::ModelProto mp;
  mp.set_ir_version(8);
  mp.add_opset_import()->set_version(17);
  auto* g = mp.mutable_graph();
  g->set_name("mlp");
  auto* in = g->add_input();
  in->set_name("x");
  auto add = [&](const std::string& op, std::vector<std::string> ins, const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(out + "_node");
    for (auto& i : ins) n->add_input(i);
    n->add_output(out);
    return n;
  };
  *g->add_initializer() = tensor_to_proto(random_tensor({4, 4}, 41), "W1");
  *g->add_initializer() = tensor_to_proto(random_tensor({4}, 42), "b1");
  *g->add_initializer() = tensor_to_proto(random_tensor({4, 3}, 43), "W2");
  add("Gemm", {"x", "W1", "b1"}, "h1");
  add("Relu", {"h1"}, "r1");
  add("Gemm", {"r1", "W1", "b1"}, "h2");
  add("Add", {"h2", "r1"}, "s");
  add("Gemm", {"s", "W2"}, "y");
  g->add_output()->set_name("y");
  return Model(std::move(mp));
}

}  // namespace

TEST_CASE("autodiff: a shared weight accumulates the gradients of both uses", "[train]") {
  const Model m = two_layer_model();
  rt::NamedTensors feeds{{"x", random_tensor({2, 4}, 44)}};
  test::check_model_gradients(m, {"W1", "b1", "W2"}, feeds);
}

TEST_CASE("autodiff: frozen parameters get no gradient and stay constant", "[train]") {
  const Model m = two_layer_model();
  train::TrainGraph g(m, {"W2"});
  train::Tape tape;
  g.forward({{"x", random_tensor({2, 4}, 44)}}, tape);
  std::vector<Tensor> grads;
  g.backward(tape, {{"y", random_tensor({2, 3}, 45)}}, grads);
  REQUIRE(grads.size() == 1);
  CHECK(grads[0].shape() == Shape{4, 3});
}

TEST_CASE("autodiff: an op without a backward kernel on the trainable path is refused by name", "[train]") {
  onnx::ModelProto mp;
  mp.set_ir_version(8);
  mp.add_opset_import()->set_version(17);
  auto* g = mp.mutable_graph();
  g->set_name("g");
  g->add_input()->set_name("x");
  *g->add_initializer() = tensor_to_proto(random_tensor({3}, 1), "w");
  auto* a = g->add_node();
  a->set_op_type("Add");
  a->set_name("add");
  a->add_input("x");
  a->add_input("w");
  a->add_output("s");
  auto* n = g->add_node();
  n->set_op_type("Sin");
  n->set_name("the_sine");
  n->add_input("s");
  n->add_output("y");
  g->add_output()->set_name("y");
  const Model m(std::move(mp));
  try {
    train::TrainGraph tg(m, {"w"});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("the_sine") && Catch::Contains("Sin") && Catch::Contains("backward"));
  }
  // Frozen: the same graph trains nothing and needs no backward kernel.
  CHECK_NOTHROW(train::TrainGraph(m, {}));
  CHECK_THROWS_WITH(train::TrainGraph(m, {"nope"}), Catch::Contains("nope"));
}
