// Part A backward kernels of the shape ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity,
// Dropout) against finite differences, and whole models: a small mnist-8-like graph with
// every weight checked, and the real mnist-8 (../shared) trained on all its float weights.
#include <catch2/catch.hpp>

#include "ir/model.h"
#include "ir/tensor_proto.h"
#include "kernel_test_util.h"
#include "test_util.h"
#include "train_grad_check.h"

using namespace edge;
using edge::test::check_node_gradients;
using edge::test::NodeGradCase;
using edge::test::random_tensor;

TEST_CASE("grad: Reshape with 0, -1 and allowzero", "[train]") {
  NodeGradCase a("Reshape", 14, "", {random_tensor({2, 3, 4}, 900), Tensor::from_vector<int64_t>({2}, {0, -1})});
  check_node_gradients(a);
  NodeGradCase b("Reshape", 14, "", {random_tensor({2, 3, 4}, 901), Tensor::from_vector<int64_t>({3}, {4, 3, 2})});
  b.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "allowzero", 1); };
  check_node_gradients(b);
  // allowzero=1 with a literal 0: an empty tensor reshaped; its (empty) gradient still has X's shape.
  NodeGradCase e("Reshape", 14, "", {random_tensor({0, 3}, 902), Tensor::from_vector<int64_t>({3}, {3, 0, 1})});
  e.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "allowzero", 1); };
  check_node_gradients(e);
}

TEST_CASE("grad: Flatten on every axis", "[train]") {
  for (int64_t axis : {0, 1, 2, 3, -1, -3}) {
    INFO("axis " << axis);
    NodeGradCase c("Flatten", 13, "", {random_tensor({2, 3, 2, 4}, 910)});
    c.attrs = [axis](onnx::NodeProto& n) { test::add_int_attr(n, "axis", axis); };
    check_node_gradients(c);
  }
}

TEST_CASE("grad: Squeeze and Unsqueeze with axes as attribute (opset 11) and input (opset 13)", "[train]") {
  NodeGradCase s11("Squeeze", 11, "", {random_tensor({2, 1, 3, 1}, 920)});
  s11.attrs = [](onnx::NodeProto& n) { test::add_ints_attr(n, "axes", {-1, 1}); };
  check_node_gradients(s11);
  check_node_gradients(NodeGradCase("Squeeze", 11, "", {random_tensor({1, 4, 1}, 921)}));  // every 1 dim
  NodeGradCase s13("Squeeze", 13, "", {random_tensor({2, 1, 3, 1}, 922), Tensor::from_vector<int64_t>({1}, {3})});
  check_node_gradients(s13);
  NodeGradCase u11("Unsqueeze", 11, "", {random_tensor({2, 3}, 923)});
  u11.attrs = [](onnx::NodeProto& n) { test::add_ints_attr(n, "axes", {0, 3}); };
  check_node_gradients(u11);
  NodeGradCase u13("Unsqueeze", 13, "", {random_tensor({2, 3}, 924), Tensor::from_vector<int64_t>({2}, {-1, 1})});
  check_node_gradients(u13);
}

TEST_CASE("grad: Identity and Dropout (inference and training mode, with and without the mask)", "[train]") {
  check_node_gradients(NodeGradCase("Identity", 16, "", {random_tensor({3, 4}, 930)}));
  check_node_gradients(NodeGradCase("Dropout", 7, "", {random_tensor({3, 4}, 931)}, 2));
  check_node_gradients(NodeGradCase("Dropout", 13, "", {random_tensor({3, 4}, 932)}, 2));
  // Training mode: the forward draws a fixed mask from the seed attribute, so the loss is a
  // smooth function of X and the scaled, masked gradient is what finite differences see.
  // Values are kept away from 0 (an element with X = 0 is taken as dropped without the mask).
  Tensor x = random_tensor({4, 5}, 933, 0.1f, 1.f);
  for (int outs : {1, 2}) {
    INFO("outputs " << outs);
    NodeGradCase c("Dropout", 13, "", {x, Tensor::scalar<float>(0.4f), Tensor::scalar<bool>(true)}, outs);
    c.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "seed", 3); };
    c.check = {0};
    check_node_gradients(c);
  }
  // The mask really drops something (else the test would not tell training from inference).
  NodeGradCase c("Dropout", 13, "", {x, Tensor::scalar<float>(0.4f), Tensor::scalar<bool>(true)});
  c.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "seed", 3); };
  train::TrainGraph g(test::node_model(c), {"x0"});
  train::Tape tape;
  g.forward({}, tape);
  const Tensor& y = g.value(tape, "y0");
  CHECK(std::count(y.data<float>(), y.data<float>() + y.numel(), 0.f) > 0);
}

namespace {

// x[2,1,8,8] -> Conv(W1 3x3, pads 1, B1) -> Relu -> MaxPool 2x2/2 -> Reshape [2, 64]
// -> MatMul(W2) -> Add(b2) -> y[2, 5]: the op sequence of mnist-8 in miniature.
Model mini_mnist() {
  onnx::ModelProto mp;
  mp.set_ir_version(8);
  mp.add_opset_import()->set_version(17);
  auto* g = mp.mutable_graph();
  g->set_name("mini_mnist");
  g->add_input()->set_name("x");
  auto add = [&](const std::string& op, std::vector<std::string> ins, const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(out + "_node");
    for (auto& i : ins) n->add_input(i);
    n->add_output(out);
    return n;
  };
  *g->add_initializer() = tensor_to_proto(random_tensor({4, 1, 3, 3}, 951), "W1");
  *g->add_initializer() = tensor_to_proto(random_tensor({4}, 952), "B1");
  *g->add_initializer() = tensor_to_proto(Tensor::from_vector<int64_t>({2}, {2, 64}), "shape");
  *g->add_initializer() = tensor_to_proto(random_tensor({64, 5}, 953), "W2");
  *g->add_initializer() = tensor_to_proto(random_tensor({1, 5}, 954), "b2");
  test::add_ints_attr(*add("Conv", {"x", "W1", "B1"}, "c"), "pads", {1, 1, 1, 1});
  add("Relu", {"c"}, "r");
  auto* mp_node = add("MaxPool", {"r"}, "p");
  test::add_ints_attr(*mp_node, "kernel_shape", {2, 2});
  test::add_ints_attr(*mp_node, "strides", {2, 2});
  add("Reshape", {"p", "shape"}, "f");
  add("MatMul", {"f", "W2"}, "m");
  add("Add", {"m", "b2"}, "y");
  g->add_output()->set_name("y");
  return Model(std::move(mp));
}

}  // namespace

TEST_CASE("autodiff: Conv-Relu-MaxPool-Reshape-MatMul-Add model, every weight", "[train]") {
  // Fixed seeds. Random data may put a Relu input or a MaxPool runner-up within a
  // finite-difference step of its kink, where central differences are invalid; with these
  // seeds none does, and such a crossing would show as a failure here, never as a silent pass.
  test::check_model_gradients(mini_mnist(), {"W1", "B1", "W2", "b2"}, {{"x", random_tensor({2, 1, 8, 8}, 955)}});
}

TEST_CASE("autodiff: mnist-8 trains on every float weight; a logit's conv-weight gradient matches finite differences",
          "[train][shared]") {
  const auto dir = test::shared_dir() / "models" / "mnist-8";
  EDGE_SKIP_UNLESS_EXISTS(dir / "model.onnx");
  const Model m = load_model(dir / "model.onnx");
  std::vector<std::string> params;
  for (const auto& init : m.graph().initializer()) {
    if (init.data_type() == onnx::TensorProto::FLOAT) params.push_back(init.name());
  }
  REQUIRE(params.size() == 6);  // two conv weights and biases, the dense weight and bias
  train::TrainGraph g(m, params);
  REQUIRE(g.input_names() == std::vector<std::string>{"Input3"});  // weights listed as inputs are not data
  // The test digit scaled from [0, 255] to [0, 1]. With raw pixels a 1e-3 step of a first-layer
  // weight moves pre-activations by up to 0.26 and central differences straddle Relu and
  // MaxPool kinks (the numeric value then only approaches the analytic one as the step
  // shrinks to where float32 rounding of logits in the thousands takes over).
  Tensor image = read_tensor_pb(dir / "test_data_set_0" / "input_0.pb");
  for (int64_t i = 0; i < image.numel(); ++i) image.data<float>()[i] /= 255.f;
  const rt::NamedTensors feeds{{"Input3", image}};
  train::Tape tape;
  g.forward(feeds, tape);
  const Tensor& logits = g.value(tape, g.output_names()[0]);
  REQUIRE(logits.shape() == Shape{1, 10});
  const int k = 2;  // the predicted digit of test set 0
  Tensor seed(DType::kFloat, logits.shape());
  seed.data<float>()[k] = 1.f;
  std::vector<Tensor> grads;
  g.backward(tape, {{g.output_names()[0], seed}}, grads);
  REQUIRE(grads.size() == params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    INFO("parameter " << params[i]);
    REQUIRE(grads[i].defined());
    CHECK(grads[i].shape() == g.params()[i].shape());
  }
  const test::GradCheckOptions o;
  for (const std::string name : {"Parameter5", "Parameter87"}) {
    const size_t pi = static_cast<size_t>(std::find(params.begin(), params.end(), name) - params.begin());
    REQUIRE(pi < params.size());
    Tensor& p = g.params()[pi];
    const Tensor& an = grads[pi];
    double scale = 0;
    for (int64_t i = 0; i < an.numel(); ++i) scale = std::max(scale, std::abs(static_cast<double>(an.data<float>()[i])));
    REQUIRE(scale > 0);
    auto logit = [&]() {
      train::Tape t;
      g.forward(feeds, t);
      return static_cast<double>(g.value(t, g.output_names()[0]).data<float>()[k]);
    };
    for (int64_t i = 3; i < p.numel(); i += p.numel() / 7) {
      float* v = p.data<float>() + i;
      const float saved = *v;
      *v = static_cast<float>(saved + o.eps);
      const double up = logit();
      *v = static_cast<float>(saved - o.eps);
      const double down = logit();
      *v = saved;
      const double numeric = (up - down) / (2 * o.eps), analytic = an.data<float>()[i];
      INFO(name << " element " << i << ": analytic " << analytic << ", numeric " << numeric);
      CHECK(std::abs(analytic - numeric) <= o.rtol * std::max(std::abs(analytic), std::abs(numeric)) + o.atol * scale);
    }
  }
}
